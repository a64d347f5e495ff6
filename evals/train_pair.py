"""Train the short-answer pair scorer (app/grading/pair.py) on SemEval-2013's `train` split only.

    python -m evals.converters.semeval ../shared/benchmarks/semeval2013-2way/semeval2013_task7_2way_all.csv \
        --out data/external/semeval.jsonl
    python -m evals.train_pair data/external/semeval.jsonl

Reproducible: the features are deterministic and the logistic regression is fitted with a fixed solver. The
test splits (unseen answers, questions, domains) and Mohler are never read here.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from app.grading import EmbeddedGrader
from app.grading.pair import PAIR_FEATURES, PAIR_FILE, pair_features
from app.grading.screen import screen
from app.settings import get_settings
from evals.items import load_external_items

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.train_pair", description=__doc__.splitlines()[0])
    p.add_argument("dataset", type=Path, help="SemEval-2013 in the external JSONL format (evals.converters.semeval)")
    p.add_argument("--out", type=Path, default=PAIR_FILE)
    args = p.parse_args(argv)
    from app.compose import make_embedder

    grader = EmbeddedGrader(make_embedder(get_settings()))
    items = [i for i in load_external_items(args.dataset) if i.split == "train" and i.label in ("correct", "incorrect")]
    if not items:
        raise SystemExit(f"error: {args.dataset} has no labelled `train` items")
    x, y = [], []
    for it in tqdm(items, desc="features"):
        sc = screen(it.answer, it.rubric.question, it.rubric.reference_answer)
        if sc.abstain:
            continue
        prep = grader.prepare(it.rubric)
        f = pair_features(" ".join(sc.norm), grader.embed_spans(sc.norm), it.rubric.reference_answer or "",
                          prep.points.reference_vecs, it.rubric.question)
        x.append([f[k] for k in PAIR_FEATURES])
        y.append(it.label == "correct")
    model = LogisticRegression(C=1.0, max_iter=1000).fit(np.array(x), np.array(y))
    acc = float(model.score(np.array(x), np.array(y)))
    out = {"weights": {k: round(float(w), 6) for k, w in zip(PAIR_FEATURES, model.coef_[0])},
           "bias": round(float(model.intercept_[0]), 6),
           "trained_on": f"SemEval-2013 2-way train split: {len(y)} answers (train accuracy {acc:.3f})"}
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    sys.stdout.write(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Train the short-answer pair scorer (app/grading/pair.py) on SemEval-2013's `train` split only.

    python -m evals.converters.semeval ../shared/benchmarks/semeval2013-2way/semeval2013_task7_2way_all.csv \
        --out data/external/semeval.jsonl
    python -m evals.train_pair data/external/semeval.jsonl --cv 5

Reproducible: the features are deterministic and the logistic regression is fitted with a fixed solver. The
test splits (unseen answers, questions, domains) and Mohler are never read here. `--cv K` first reports K-fold
cross-validation grouped by question (as the unseen-questions split is) on `train`: the figures features are
chosen by, with each fold's correct/incorrect threshold fitted on its own training folds.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import GroupKFold
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
    p.add_argument("--cv", type=int, default=0, metavar="K", help="also report K-fold CV grouped by question")
    args = p.parse_args(argv)
    from app.compose import make_embedder

    grader = EmbeddedGrader(make_embedder(get_settings()))
    items = [i for i in load_external_items(args.dataset) if i.split == "train" and i.label in ("correct", "incorrect")]
    if not items:
        raise SystemExit(f"error: {args.dataset} has no labelled `train` items")
    x, y, groups = [], [], []
    for it in tqdm(items, desc="features"):
        sc = screen(it.answer, it.rubric.question, it.rubric.reference_answer)
        if sc.abstain:
            continue
        prep = grader.prepare(it.rubric)
        f = pair_features(" ".join(sc.norm), grader.embed_spans(sc.norm), it.rubric.reference_answer or "",
                          prep.points.reference_vecs, it.rubric.question)
        x.append([f[k] for k in PAIR_FEATURES])
        y.append(it.label == "correct")
        groups.append(it.rubric.question)
    xa, ya = np.array(x), np.array(y)
    cv = grouped_cv(xa, ya, groups, args.cv) if args.cv else None
    model = _model().fit(xa, ya)
    acc = float(model.score(xa, ya))
    out = {"weights": {k: round(float(w), 6) for k, w in zip(PAIR_FEATURES, model.coef_[0])},
           "bias": round(float(model.intercept_[0]), 6),
           "trained_on": f"SemEval-2013 2-way train split: {len(y)} answers (train accuracy {acc:.3f})"}
    if cv is not None:
        out["cv"] = {"folds": args.cv, "grouped_by": "question", **cv}
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    sys.stdout.write(json.dumps(out, indent=2) + "\n")
    return 0


def _model() -> LogisticRegression:
    """One definition for the shipped fit and the CV folds, so the figures describe the model that ships."""
    return LogisticRegression(C=1.0, max_iter=1000)


def _threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The probability cut with the best accuracy, as the eval harness fixes it on `train`."""
    o = np.argsort(p)
    ps, ys = p[o], y[o]
    below_neg = np.concatenate([[0], np.cumsum(~ys)])
    above_pos = ys.sum() - np.concatenate([[0], np.cumsum(ys)])
    i = int(np.argmax(below_neg + above_pos))
    return float(-np.inf if i == 0 else np.inf if i == len(ps) else (ps[i - 1] + ps[i]) / 2)


def grouped_cv(x: np.ndarray, y: np.ndarray, groups: list[str], k: int) -> dict[str, float]:
    """Out-of-fold weighted F1 and AUC with no question in both a fold and its training folds."""
    p, cut = np.zeros(len(y)), np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=k).split(x, y, groups):
        m = _model().fit(x[tr], y[tr])
        p[te] = m.predict_proba(x[te])[:, 1]
        cut[te] = _threshold(m.predict_proba(x[tr])[:, 1], y[tr])
    return {"weighted_f1": round(float(f1_score(y, p >= cut, average="weighted")), 4),
            "auc": round(float(roc_auc_score(y, p)), 4)}


if __name__ == "__main__":
    raise SystemExit(main())

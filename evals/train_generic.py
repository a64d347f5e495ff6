"""Train the padding head (app/grading/generic.py) on calibration data only.

    python -m evals.train_generic [--cv 5]

Substance: the sentences of the calibration rubrics' reference answers and of the calibration answers labelled
strong (the bank's `calib` split and evals/datasets/foreign_calib). Padding: evals/datasets/padding/sentences.txt
and on_topic.txt (platitudes about each calibration question's subject), written for the purpose. No test-split
answer or rubric and no benchmark is read. Reproducible: the embedder is deterministic and the logistic regression
is fitted with a fixed solver. `--cv K` first reports out-of-fold AUC and the share of each side on the wrong side
of 0.5, with padding sentences and rubrics each kept in one fold (a question's on-topic padding in its question's
fold).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from app.grading.generic import GENERIC_FILE, GenericHead
from app.grading.text import segments
from app.settings import get_settings
from evals.foreign import FOREIGN_CALIB, load_foreign
from evals.items import load_gold

PADDING = Path(__file__).parent / "datasets" / "padding" / "sentences.txt"
ON_TOPIC = PADDING.with_name("on_topic.txt")  # padding about each calibration question's own subject, by question
MIN_WORDS = 3  # "Then measure." is register enough; a two-word fragment is not
C = 1.0  # out-of-fold AUC within 0.005 for C 0.3-3 (`--cv 5`)


def substance() -> list[tuple[str, str]]:
    """(sentence, rubric) for every reference-answer sentence of the calibration rubrics, and every sentence of
    the calibration answers labelled strong: a model answer's register alone made a candidate's short, plain
    decisions ("We chose the third.") look like padding."""
    items = [i for i in load_gold(get_settings().questions_dir) if i.split == "calib"] + load_foreign(FOREIGN_CALIB)
    refs = {i.rubric.question: i.rubric.reference_answer for i in items if i.rubric.reference_answer}
    out = {(s.text, q) for q, r in refs.items() for s in segments(r) if s.words >= MIN_WORDS}
    strong = [i for i in items if i.kind == "normal" and i.band == "strong"]
    out |= {(s.text, i.rubric.question) for i in strong for s in segments(i.answer) if s.words >= MIN_WORDS}
    return sorted(out)


def padding(path: Path = PADDING) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not
            ln.startswith("#")]


def on_topic(path: Path = ON_TOPIC) -> list[tuple[str, str]]:
    """(sentence, question start) for the on-topic padding: a platitude that names the question's nouns ("Accuracy
    on receipts is fundamental to the value of the whole product") sits nearer that question's substance than any
    generic one, and without such sentences the head let them through (python -m evals.platitude_probe)."""
    out, group = [], ""
    for ln in path.read_text(encoding="utf-8").splitlines():
        if ln.startswith("# q:"):
            group = ln[4:].strip()
        elif ln.strip() and not ln.startswith("#"):
            out.append((ln.strip(), group))
    return out


def _group(question: str, starts: list[str]) -> str:
    """The question start a calibration question begins with, so its substance and its padding share a fold."""
    return next((s for s in starts if question.startswith(s)), question)


def _model() -> LogisticRegression:
    """One definition for the shipped fit and the CV folds."""
    return LogisticRegression(C=C, class_weight="balanced", max_iter=5000)


def cross_validate(x: np.ndarray, y: np.ndarray, groups: list[str], k: int) -> dict[str, float]:
    p = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=k).split(x, y, groups):
        p[te] = _model().fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
    return {"auc": round(float(roc_auc_score(y, p)), 4),
            "padding_missed": round(float((p[y == 1] < 0.5).mean()), 4),
            "substance_flagged": round(float((p[y == 0] >= 0.5).mean()), 4)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.train_generic", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=GENERIC_FILE)
    ap.add_argument("--cv", type=int, default=0, metavar="K", help="also report K-fold out-of-fold figures")
    args = ap.parse_args(argv)
    from app.compose import make_embedder

    embedder = make_embedder(get_settings())
    pos, pad, topical = substance(), padding(), on_topic()
    starts = sorted({g for _, g in topical})
    x = embedder.embed([t for t, _ in pos] + pad + [t for t, _ in topical])
    y = np.r_[np.zeros(len(pos)), np.ones(len(pad) + len(topical))].astype(int)
    groups = ([_group(q, starts) for _, q in pos] + [f"padding-{i % 25}" for i in range(len(pad))]
              + [g for _, g in topical])
    if args.cv:
        sys.stdout.write(f"{args.cv}-fold out of fold: {cross_validate(x, y, groups, args.cv)}\n")
    m = _model().fit(x, y)
    head = GenericHead(m.coef_[0].astype(np.float32), float(m.intercept_[0]), embedder.name,
                       f"{len(pos)} sentences of calibration reference answers and strong answers, "
                       f"{len(pad)} padding sentences, {len(topical)} on-topic padding sentences")
    head.save(args.out)
    sys.stdout.write(f"wrote {args.out}: {head.trained_on}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

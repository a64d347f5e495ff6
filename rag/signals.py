"""Whether the guide answers a question: the signals, and the decision fitted on the calibration set.

One signal alone does not separate near misses ("What LoRA rank should I use?") from real questions: they share
the guide's vocabulary, so dense similarity overlaps. The decision therefore weighs several signals with a
logistic regression fitted by `python -m rag calibrate` on evals/datasets/guide_qa_calib.jsonl only; the
held-out guide_qa.jsonl never sees the fit. The fitted weights live in rag/data/decline.json.

Besides the scalar signals, the regression sees the question's own embedding. With the scalar signals alone,
five-fold cross-validated decline precision and recall on the calibration set were about 0.72 / 0.80; with the
embedding added, 0.91 / 0.89, because the embedding places a question by topic (career advice, investing, model
internals) where the scalar signals only measure overlap with the guide. Counting the question's words the guide
never uses (for "LoRA rank" or "positional encodings") added nothing measurable on top, so it is not a signal.

The best single guide sentence (alone, and in its window) is a signal besides the best chunk: a near miss often
shares a chunk's topic without any one sentence matching it closely. Averaged over three five-fold splits of the
calibration set, adding the two lifted out-of-fold decline precision / recall from 0.919 / 0.913 to 0.928 / 0.922
(AUC 0.982 to 0.985); the share of the question's words in the best sentence, or the mean of the top reranker
scores, added nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.glossary import Glossary
from rag.lexical import BM25Index, tokenize

DECLINE_FILE = Path(__file__).parent / "data" / "decline.json"
CV_REPEATS = 5  # five-fold splits averaged for the cut and the out-of-fold figures
REGULARISATION = 0.03  # C; five-fold CV on the calibration set: 0.03-1.0 within 0.01 of each other, 0.03 best
FEATURES = ("dense_top", "bm25_top", "body_coverage", "heading_coverage", "glossary", "support", "answer_coverage",
            "sentence_top", "window_top")


@dataclass(frozen=True)
class Signals:
    """What the decision sees for one question; each is roughly 0-1."""

    dense_top: float  # best cosine similarity of the question to a guide chunk
    bm25_top: float  # best BM25 score as a share of the question's ideal score
    body_coverage: float  # idf-weighted share of the question's terms that the guide uses at all
    heading_coverage: float  # ... that appear in section titles or headings
    glossary: float  # 1 when the question names a term the guide defines
    support: float  # how well the best answer sentence matches the question (the reranker's score)
    answer_coverage: float  # idf-weighted share of the question's terms that the composed answer contains
    sentence_top: float = 0.0  # best cosine similarity of the question to one guide sentence
    window_top: float = 0.0  # ... to one guide sentence with its neighbours (rag/retrieval.py, SentenceMatrix)

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, f) for f in FEATURES], dtype=np.float64)


def weighted_share(terms: set[str], found: set[str], lexical: BM25Index) -> float:
    """The idf-weighted share of `terms` that are in `found` (rare, specific words count most)."""
    total = sum(lexical.idf(t) for t in terms)
    return sum(lexical.idf(t) for t in terms if t in found) / total if total else 0.0


def retrieval_signals(question: str, dense_top: float, bm25_top: float, lexical: BM25Index,
                      heading_terms: set[str], glossary: Glossary) -> dict[str, float]:
    """The signals known before an answer is composed."""
    terms = set(tokenize(question))
    known = {t for t in terms if lexical.known(t)}
    return {"dense_top": dense_top, "bm25_top": min(bm25_top, 1.5),
            "body_coverage": weighted_share(terms, known, lexical),
            "heading_coverage": weighted_share(terms, heading_terms, lexical),
            "glossary": 1.0 if glossary.mentioned(question) else 0.0}


@dataclass(frozen=True)
class DeclineModel:
    """Logistic regression over standardised signals; p(answerable) below `threshold` declines."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    relevance_floor: float  # a section is suggested in a decline only when its similarity clears this
    fitted_on: str = ""
    embedder: str = ""  # the embedder whose vectors it was fitted on; another embedder gets `untrained()`
    # decline precision and recall of out-of-fold predictions on the calibration set at `threshold`: the honest
    # figure, since in-sample predictions separate the calibration set perfectly
    cv_precision: float = 0.0
    cv_recall: float = 0.0
    # ... and with each writer's batch of questions left out in turn, the figures the cut is chosen on (fit())
    writer_precision: float = 0.0
    writer_recall: float = 0.0

    def p_answerable(self, s: Signals, qvec: np.ndarray) -> float:
        x = np.concatenate([s.vector(), qvec]) if len(self.coef) > len(FEATURES) else s.vector()
        z = (x - np.array(self.mean)) / np.array(self.scale)
        logit = float(z @ np.array(self.coef)) + self.intercept
        return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))

    def save(self, path: Path = DECLINE_FILE) -> None:
        path.write_text(json.dumps({"features": FEATURES, **asdict(self)}, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def untrained(cls) -> DeclineModel:
        """Before the first calibration: the old single cut (best dense similarity 0.24), as a logistic."""
        n = len(FEATURES)
        coef = tuple(20.0 if f == "dense_top" else 0.0 for f in FEATURES)
        return cls((0.0,) * n, (1.0,) * n, coef, -20.0 * 0.24, 0.5, 0.0, "")

    @classmethod
    def load(cls, path: Path = DECLINE_FILE) -> DeclineModel:
        if not path.exists():
            return cls.untrained()
        d = json.loads(path.read_text(encoding="utf-8"))
        if tuple(d.pop("features")) != FEATURES:
            raise ValueError(f"{path}: fitted on other signals; run `python -m rag calibrate --write`")
        return cls(mean=tuple(d["mean"]), scale=tuple(d["scale"]), coef=tuple(d["coef"]),
                   intercept=float(d["intercept"]), threshold=float(d["threshold"]),
                   relevance_floor=float(d["relevance_floor"]), fitted_on=str(d.get("fitted_on", "")),
                   embedder=str(d.get("embedder", "")), cv_precision=float(d.get("cv_precision", 0.0)),
                   cv_recall=float(d.get("cv_recall", 0.0)), writer_precision=float(d.get("writer_precision", 0.0)),
                   writer_recall=float(d.get("writer_recall", 0.0)))


def fit(signals: list[Signals], qvecs: list[np.ndarray], answerable: list[bool], top_sims: list[float],
        fitted_on: str, embedder: str, groups: list[str] | None = None) -> DeclineModel:
    """Fit the decision on calibration questions (scikit-learn), then pick the probability cut on out-of-fold
    predictions, and the relevance floor for suggested sections.

    `groups` names each question's writer batch (the id prefix in guide_qa_calib.jsonl). When there are several,
    the cut balances decline precision and recall with each batch left out in turn: the questions that matter are
    written by other hands, and five random folds keep a writer's near-paraphrases on both sides of the split, which
    flatters the question-embedding weights. On the calibration set the five-fold figures favoured a cut of 0.53
    (precision / recall 0.922 / 0.932), where leaving each writer out gave 0.896 / 0.922; leaving writers out
    chooses 0.50 (0.960 / 0.922, and 0.924 / 0.915 five-fold).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x = np.stack([np.concatenate([s.vector(), q]) for s, q in zip(signals, qvecs)])
    y = np.array(answerable, dtype=int)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.maximum(scale, 1e-3)  # some embedding dimensions barely vary; keep them from dominating
    z = (x - mean) / scale

    def model() -> LogisticRegression:
        return LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=3000)

    lr = model().fit(z, y)
    # In-sample probabilities separate the calibration set perfectly and say nothing about where unseen questions
    # fall. With about a hundred declines, one five-fold split moves the figures by a point or two either way, so
    # the five-fold figures average CV_REPEATS splits.
    folds = [cross_val_predict(model(), z, y, cv=StratifiedKFold(5, shuffle=True, random_state=seed),
                               method="predict_proba")[:, 1] for seed in range(CV_REPEATS)]
    writers = [_leave_groups_out(model, z, y, np.array(groups))] if groups and len(set(groups)) > 1 else []

    def figures(runs: list[np.ndarray], t: float) -> tuple[float, float]:
        """Mean decline precision and recall over the runs at cut `t`."""
        precs, recs = [], []
        for probs in runs:
            declined = probs < t
            tp = int((declined & (y == 0)).sum())
            precs.append(tp / declined.sum() if declined.sum() else 1.0)
            recs.append(tp / (y == 0).sum() if (y == 0).sum() else 1.0)
        return float(np.mean(precs)), float(np.mean(recs))

    chooser = writers or folds
    threshold = max((round(t, 3) for t in np.linspace(0.2, 0.8, 61)),
                    key=lambda t: (min(figures(chooser, t)), -abs(t - 0.5)))
    cv_precision, cv_recall = (round(v, 4) for v in figures(folds, threshold))
    w_precision, w_recall = (round(v, 4) for v in figures(writers, threshold)) if writers else (0.0, 0.0)
    # Suggest a section in a decline only when it is as similar as most answerable questions' best section.
    on = sorted(s for s, a in zip(top_sims, answerable) if a)
    floor = on[len(on) // 10] if on else 0.0
    return DeclineModel(tuple(float(v) for v in mean.round(6)), tuple(float(v) for v in scale.round(6)),
                        tuple(float(v) for v in lr.coef_[0].round(6)), round(float(lr.intercept_[0]), 6),
                        float(threshold), round(floor, 4), fitted_on, embedder, cv_precision, cv_recall,
                        w_precision, w_recall)


def _leave_groups_out(model: Callable[[], Any], z: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """p(answerable) for each question from a model fitted on the other groups only."""
    probs = np.zeros(len(y))
    for g in np.unique(groups):
        out = groups == g
        probs[out] = model().fit(z[~out], y[~out]).predict_proba(z[out])[:, 1]
    return probs

"""A small learned scorer for "does this answer say what the reference says?" (short-answer questions).

With only a reference answer there is no rubric to place an answer on, so the grade is the probability that the
answer conveys the reference's content. Six features, a logistic model: trained by `python -m evals.train_pair`
on the SemEval-2013 `train` split only (Mohler and the SemEval test splits stay held out), and stored as seven
numbers in data/pair_scorer.json.

The features separate "addresses this point" from "mentions the same words": embedding coverage, and lexical
overlap counted only on the reference's words that the question does not already contain.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.grading.features import point_cover, windows
from rag.lexical import tokenize

PAIR_FILE = Path(__file__).parent / "data" / "pair_scorer.json"
PAIR_FEATURES = ("cover", "whole", "recall", "novel_recall", "precision", "length")


@dataclass(frozen=True)
class PairScorer:
    weights: dict[str, float]
    bias: float
    trained_on: str = ""

    def probability(self, values: dict[str, float]) -> float:
        z = self.bias + sum(self.weights[k] * values[k] for k in PAIR_FEATURES)
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache
def load_pair_scorer(path: Path = PAIR_FILE) -> PairScorer | None:
    if not path.exists():
        return None
    d = json.loads(path.read_text())
    return PairScorer(d["weights"], d["bias"], d.get("trained_on", ""))


def pair_features(answer: str, answer_vecs: np.ndarray, reference: str, ref_vecs: np.ndarray,
                  question: str) -> dict[str, float]:
    """Features of (answer, reference): embedding coverage of the reference's sentences, overall closeness,
    and content-word overlap, with the question's own words discounted."""
    if not len(answer_vecs) or not len(ref_vecs):
        return dict.fromkeys(PAIR_FEATURES, 0.0)
    win, _ = windows(answer_vecs)
    cover = float(point_cover(win, ref_vecs).mean())
    a_mean, r_mean = answer_vecs.mean(axis=0), ref_vecs.mean(axis=0)
    whole = float(a_mean @ r_mean / ((np.linalg.norm(a_mean) * np.linalg.norm(r_mean)) or 1.0))
    a, r, q = set(tokenize(answer)), set(tokenize(reference)), set(tokenize(question))
    novel = r - q
    return {"cover": cover, "whole": whole, "recall": len(a & r) / max(len(r), 1),
            "novel_recall": len(a & novel) / max(len(novel), 1), "precision": len(a & r) / max(len(a), 1),
            "length": math.log((len(a) + 1) / (len(r) + 1))}

"""A small learned scorer for "does this answer say what the reference says?" (short-answer questions).

With only a reference answer there is no rubric to place an answer on, so the grade is the probability that the
answer conveys the reference's content. Thirteen features, a logistic model: trained by
`python -m evals.train_pair` on the SemEval-2013 `train` split only (Mohler and the SemEval test splits stay held
out; the features were chosen by cross-validation grouped by question on that split), and stored as fourteen
numbers in data/pair_scorer.json.

The features separate "addresses this point" from "mentions the same words": embedding coverage, and lexical
overlap counted only on the reference's words that the question does not already contain. Embeddings blur what
short science answers turn on, so a few surface checks sit beside them: a negation on one side only, the
reference's numbers, how much of what the answer adds is the reference's, and how much of the reference it leaves
out.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.grading.features import point_cover, windows
from rag.lexical import tokenize

PAIR_FILE = Path(__file__).parent / "data" / "pair_scorer.json"
PAIR_FEATURES = ("cover", "whole", "recall", "novel_recall", "precision", "length", "neg_mismatch", "negation",
                 "number_missing", "number_extra", "novel_precision", "words", "novel_missing")
# The tokenizer drops "not", "no" and "n't" as stopwords; a short answer's meaning often turns on them.
_NEGATION = re.compile(r"\b(?:not|no|never|none|nothing|neither|nor|cannot|without|nobody|nowhere)\b|n[\'\u2019]t\b")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z0-9]+")
PREFIX = 5  # words compared on their first letters, so "connected" meets "connection" where the stemmer stops


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
    content-word overlap with the question's own words discounted, negation and number agreement, and how much of
    what the answer adds beyond the question is the reference's."""
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
            "length": math.log((len(a) + 1) / (len(r) + 1)), **_surface(answer.lower(), reference.lower(), a, novel, q)}


def _surface(answer: str, reference: str, a: set[str], novel: set[str], q: set[str]) -> dict[str, float]:
    """The checks embeddings miss: negation on one side only, the reference's numbers, and word-level fit."""
    neg_a, neg_r = bool(_NEGATION.search(answer)), bool(_NEGATION.search(reference))
    num_a, num_r = set(_NUMBER.findall(answer)), set(_NUMBER.findall(reference))
    added = {w[:PREFIX] for w in a - q}
    novel_pre = {w[:PREFIX] for w in novel}
    return {"neg_mismatch": float(neg_a != neg_r), "negation": float(neg_a),
            "number_missing": len(num_r - num_a) / max(len(num_r), 1),
            "number_extra": float(bool(num_r) and bool(num_a - num_r)),
            "novel_precision": len(added & novel_pre) / max(len(added), 1),
            "words": math.log1p(len(_WORD.findall(answer))), "novel_missing": math.log1p(len(novel - a))}

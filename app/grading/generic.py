"""A small learned head for "this sentence is padding": a platitude that fits any answer on the topic.

Verbose answers wrap a thin core in sentences such as "Monitoring is so important, and it is often overlooked" or
"At the end of the day, it's about trust". They sit close to the rubric by topic, so similarity to the rubric
lets them through, and similarity to a handful of filler prototypes misses them because each is about the
question's own subject. What they share is a register, not a topic: no decision, no mechanism, no number. A
logistic head over the sentence embedding learns that register from two sides: reference-answer sentences of the
calibration rubrics (substance), and padding sentences written for the purpose, generic ones
(evals/datasets/padding/sentences.txt) and platitudes about each calibration question's own subject (on_topic.txt),
without which a platitude in the question's nouns read as substance. It is trained by
`python -m evals.train_generic` and stored as one weight per embedding dimension in data/generic_head.json; it only
applies to vectors from the embedder it was trained on.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

GENERIC_FILE = Path(__file__).parent / "data" / "generic_head.json"


@dataclass(frozen=True)
class GenericHead:
    """p(padding) for each sentence vector: a logistic over the embedding."""

    coef: np.ndarray
    bias: float
    embedder: str  # the embedder name the head was trained on; other vectors mean something else
    trained_on: str = ""

    def probability(self, vecs: np.ndarray) -> np.ndarray:
        if not len(vecs):
            return np.zeros(0)
        z = np.clip(vecs @ self.coef + self.bias, -50.0, 50.0)
        p: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return p

    def digest(self) -> str:
        return hashlib.sha256(self.coef.tobytes() + repr(self.bias).encode()).hexdigest()[:12]

    def save(self, path: Path = GENERIC_FILE) -> None:
        path.write_text(json.dumps({"embedder": self.embedder, "trained_on": self.trained_on,
                                    "bias": round(self.bias, 6), "coef": [round(float(v), 6) for v in self.coef]})
                        + "\n", encoding="utf-8")


@lru_cache
def load_generic_head(embedder: str, dim: int, path: Path = GENERIC_FILE) -> GenericHead | None:
    """The stored head when it was trained on this embedder (same name, same dimension); otherwise None, and
    padding is judged by the filler prototypes alone."""
    if not path.exists():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    if d.get("embedder") != embedder or len(d.get("coef", [])) != dim:
        log.warning("the padding head was trained on embedder %s; it is off for %s (retrain with "
                    "`python -m evals.train_generic`)", d.get("embedder"), embedder)
        return None
    return GenericHead(np.asarray(d["coef"], dtype=np.float32), float(d["bias"]), d["embedder"],
                       d.get("trained_on", ""))

"""Coverage of a criterion's points by an answer, placed on the rubric's own scale.

A point is covered by a window of one to three consecutive sentences (a window's vector is the normalised mean
of its sentences' vectors: an idea often takes two sentences to state). A criterion's raw coverage is then
compared with two known answers on the same criterion:
- the rubric's reference answer, a model answer, is the top of the scale. When it is scored against its own
  sentences, the sentence being matched is left out, so it cannot cover itself;
- the question itself, read as an answer, is the floor: it shares the topic and says nothing.
So a feature is "how far from restating the question towards the model answer", not a global constant, and a
rubric written in any style anchors itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.grading.points import CriterionPoints

# pairc: the pair scorer's probability (pair.py) that the sentences routed to a criterion say what its reference
# points say (its own wording's, with no reference answer): "addresses the point" rather than "uses its words".
FEATURES = ("x_desc", "x_ref", "x_top", "dev", "spec", "breadth", "pairc")
MIN_SPAN = 0.10  # the smallest reference-to-floor distance used to normalise (degenerate rubrics)
CLIP = (-1.0, 2.0)  # a placed value outside this range says nothing more
SOLE_TOP = 0.75  # a one-sentence reference cannot be matched without itself: a close paraphrase reaches about this
# A good answer's coverage of description points, the top of the scale when a rubric has no reference answer.
# Fitted with RELEVANT_RUBRIC_ONLY (embedded.py) on the calibration sets with their reference answers removed.
DESC_TOP = 0.45


def windows(vecs: np.ndarray, size: int = 3) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Vectors of every run of 1..size consecutive sentences, with the (start, end) sentence range of each."""
    n = len(vecs)
    out, spans = [], []
    for k in range(1, min(size, n) + 1):
        for i in range(n - k + 1):
            v = vecs[i:i + k].mean(axis=0)
            out.append(v / (np.linalg.norm(v) or 1.0))
            spans.append((i, i + k))
    if not out:
        return np.zeros((0, vecs.shape[1] if vecs.ndim == 2 else 0), dtype=np.float32), []
    return np.stack(out).astype(np.float32), spans


def point_cover(win: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Best window similarity for each point (0 when the answer has no windows)."""
    if not len(win) or not len(points):
        return np.zeros(len(points))
    return np.asarray((win @ points.T).max(axis=0))


def cover_leave_one_out(vecs: np.ndarray, ref_idx: list[int], points: np.ndarray) -> np.ndarray:
    """The reference answer's coverage of its own sentences, each matched without the windows that contain it."""
    win, ranges = windows(vecs)
    out = np.full(len(points), SOLE_TOP)
    if not len(win):
        return out
    sims = win @ points.T
    for j, r in enumerate(ref_idx):
        mask = np.array([not (a <= r < b) for a, b in ranges])
        out[j] = sims[mask, j].max() if mask.any() else SOLE_TOP
    return out


@dataclass(frozen=True)
class Scale:
    """Where the floor (the question) and the top (the reference answer) land on one criterion."""

    desc_floor: float
    desc_top: float
    ref_floor: float
    ref_top: float
    top_floor: float
    top_top: float

    @staticmethod
    def place(value: float, floor: float, top: float) -> float:
        return float(np.clip((value - floor) / max(top - floor, MIN_SPAN), *CLIP))


@dataclass(frozen=True)
class CriterionFeatures:
    values: dict[str, float]
    span_relevance: np.ndarray  # per answer sentence: best similarity to any point of this criterion
    relevant: float  # the similarity at which a sentence is about this criterion (lower for rubric-only rubrics)
    needs_specifics: bool = False  # level 3 also needs a number, an example or a reason (embedded._needs_specifics)
    shift: float = 0.0  # added to the fitted score before the cuts (embedded.STORY_OFFSET, for told stories)

    def vector(self) -> np.ndarray:
        return np.array([self.values[f] for f in FEATURES], dtype=np.float64)


def split_cover(cp: CriterionPoints, cover: np.ndarray) -> tuple[float, float, float]:
    """Mean coverage of description/anchor points, of reference points, and the best single point."""
    own = [i for i, p in enumerate(cp.points) if p.source != "reference"]
    ref = [i for i, p in enumerate(cp.points) if p.source == "reference"]
    d = float(cover[own].mean()) if own else 0.0
    r = float(cover[ref].mean()) if ref else d
    return d, r, float(cover.max()) if len(cover) else 0.0

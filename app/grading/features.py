"""Per-criterion features of an answer against a rubric, from sentence embeddings.

Everything here is rubric-agnostic: cues, descriptions, level texts and the reference answer are embedded
the same way for any rubric, so the fitted global weights transfer to rubrics never seen in calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.grading.rubric import GradingRubric, RubricCriterion
from app.grading.text import Span, is_fragment, specificity
from rag.lexical import tokenize

FEATURES = ("cov", "hit", "desc", "spec", "dev", "ref", "breadth")
RELEVANT = 0.40  # a span counts toward a criterion when it is at least this close to one of its cues
HIT = 0.50  # a cue counts as shown at this similarity (MiniLM cosine of paraphrases is usually above 0.5)
# A sentence that contains every content word of a cue phrasing shows the cue, however long the sentence is
# (cosine of a long sentence against a two-word phrase stays low even when the phrase is right there).
LEXICAL = 0.60


@dataclass(frozen=True)
class CriterionVectors:
    criterion: RubricCriterion
    cues: list[np.ndarray]  # one (n_phrasings, dim) matrix per cue
    desc: np.ndarray
    cue_terms: list[list[frozenset[str]]]  # content words of each phrasing of each cue


def cue_terms(cues: list[list[str]]) -> list[list[frozenset[str]]]:
    return [[frozenset(tokenize(p)) for p in cue] for cue in cues]


@dataclass(frozen=True)
class RubricVectors:
    rubric: GradingRubric
    criteria: list[CriterionVectors]
    reference: np.ndarray  # (n_sentences, dim); empty when there is no reference answer


@dataclass(frozen=True)
class CriterionFeatures:
    values: dict[str, float]
    cue_scores: list[float]
    span_relevance: np.ndarray  # per span: max similarity to any cue of this criterion

    def vector(self) -> np.ndarray:
        return np.array([self.values[f] for f in FEATURES], dtype=np.float64)


def criterion_features(cv: CriterionVectors, spans: list[Span], vecs: np.ndarray, ref: np.ndarray,
                       breadth: float, relevant_at: float = RELEVANT,
                       span_terms: list[set[str]] | None = None) -> CriterionFeatures:
    """Features of one criterion. `vecs` are the answer spans' embeddings (rows aligned with `spans`)."""
    if not spans:
        zero = dict.fromkeys(FEATURES, 0.0)
        return CriterionFeatures(zero, [0.0] * len(cv.cues), np.zeros(0))
    terms = span_terms if span_terms is not None else [set(tokenize(s.text)) for s in spans]
    per_cue = []
    for c, phrasings in zip(cv.cues, cv.cue_terms):
        m = vecs @ c.T  # (n_spans, n_phrasings)
        for j, words in enumerate(phrasings):
            if words:
                hit = np.array([words <= t for t in terms])
                m[:, j] = np.where(hit, np.maximum(m[:, j], LEXICAL), m[:, j])
        per_cue.append(m)
    cue_scores = [float(m.max()) for m in per_cue]
    span_rel = np.max(np.stack([m.max(axis=1) for m in per_cue]), axis=0)
    relevant = [i for i, r in enumerate(span_rel) if r >= relevant_at]
    cov = float(np.mean([np.clip((s - 0.2) / 0.45, 0, 1) for s in cue_scores]))
    hit = float(np.mean([s >= HIT for s in cue_scores]))
    desc = float((vecs @ cv.desc).max())
    spec = max((specificity(spans[i].text) for i in relevant), default=0.0)
    # "Developed" needs a sentence that clearly shows a cue, so loosely related filler cannot add to it.
    developed = [i for i in relevant if span_rel[i] >= HIT and spans[i].words >= 8 and not is_fragment(spans[i])]
    dev = min(len(developed), 3) / 3
    ref_sim = float((vecs[relevant] @ ref.T).max()) if relevant and ref.size else 0.0
    values = {"cov": cov, "hit": hit, "desc": desc, "spec": spec, "dev": dev, "ref": ref_sim, "breadth": breadth}
    return CriterionFeatures(values, cue_scores, span_rel)

"""Re-checking a contested criterion: look again for evidence the first pass missed, and explain the decision.

The re-check lowers the bar for what counts as relevant, and lets the candidate's reason point at the
sentences they mean. It can raise a level by at most one, and it never lowers one: a dispute is a second look,
not a second chance for the grader to be harsher.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.grading.embedded import EmbeddedGrader, screen
from app.grading.features import RELEVANT, criterion_features
from app.grading.rubric import GradingRubric

RELAXED = RELEVANT - 0.08
REASON_MATCH = 0.45


@dataclass(frozen=True)
class DisputeDecision:
    decision: str  # upheld | rejected
    old_level: int
    new_level: int
    explanation: str
    evidence: list[str]


def recheck(grader: EmbeddedGrader, rubric: GradingRubric, answer: str, criterion_id: str, old_level: int,
            reason: str) -> DisputeDecision:
    crit = next(c for c in rubric.criteria if c.id == criterion_id)
    sc = screen(answer, rubric.question, rubric.reference_answer)
    if sc.abstain or not sc.spans:
        return DisputeDecision("rejected", old_level, old_level,
                               "The answer could not be graded, so there is no evidence to re-check.", [])
    vecs = grader.embedder.embed([s.text for s in sc.spans])
    rv = grader.rubric_vectors(rubric)
    idx = [c.id for c in rubric.criteria].index(criterion_id)
    base = grader.features(rubric, sc, vecs)
    breadth = base[idx].values["breadth"]
    relaxed = criterion_features(rv.criteria[idx], sc.spans, vecs, rv.reference, breadth, RELAXED)
    # Sentences the candidate points at in their reason count as relevant if they relate to the criterion at all.
    pointed = vecs @ grader.embedder.embed([reason])[0]
    boosted = np.where((pointed >= REASON_MATCH) & (relaxed.span_relevance >= RELAXED - 0.05),
                       np.maximum(relaxed.span_relevance, RELEVANT), relaxed.span_relevance)
    relaxed = type(relaxed)(relaxed.values, relaxed.cue_scores, boosted)
    capped = grader.dominated_by_keywords(sc, base)
    level = max(old_level, min(grader.level_for(relaxed, sc, capped), old_level + 1, 3))
    new_spans = [sc.spans[i].text for i in np.argsort(-boosted, kind="stable")[:3]
                 if boosted[i] >= RELEVANT and base[idx].span_relevance[i] < RELEVANT]
    if level > old_level:
        quoted = "; ".join(f"\u201c{s}\u201d" for s in new_spans[:2]) or "your answer taken as a whole"
        return DisputeDecision("upheld", old_level, level,
                               f"On a second look, {quoted} supports {crit.name} at level {level}.", new_spans[:2])
    target = crit.levels[min(old_level + 1, 3)]
    return DisputeDecision("rejected", old_level, old_level,
                           f"No further evidence for {crit.name} was found. Level {min(old_level + 1, 3)} needs: "
                           f"{target}", [])

"""Ensemble grading (GRADER_MODE=ensemble): the LLM judge and the embedded grader, combined per criterion.

Per criterion the level is the mean of the two, rounded toward the LLM's level (so a one-level disagreement
keeps the LLM's reading of nuance, and a two-level one meets in the middle). Where they differ by more than
one level the criterion is marked `uncertain` and flagged: the candidate sees that the grade is shaky there,
and a reviewer knows where to look. Evidence is the union of both graders' verbatim quotes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

from app import __version__
from app.grading import scorecard
from app.grading.embedded import EmbeddedGrader
from app.grading.rubric import GradingRubric
from app.grading.types import CriterionResult, Scorecard

ENSEMBLE_VERSION = "ensemble-1"
MAX_QUOTES = 3


def combine_level(llm: int, embedded: int) -> int:
    mean = (llm + embedded) / 2
    return int(math.ceil(mean) if llm > embedded else math.floor(mean))


class BatchJudge(Protocol):
    """What the ensemble needs of the LLM judge (app/grading/llm_judge.py implements it). A Protocol rather than
    an import, so the two modules do not depend on each other: the composition root (app/compose.py) joins them."""

    @property
    def fingerprint(self) -> dict[str, Any]: ...

    @property
    def usage(self) -> dict[str, Any]: ...

    def grade_many(self, items: Sequence[tuple[GradingRubric, str]]) -> list[Scorecard]: ...


class EnsembleGrader:
    kind = "ensemble"

    def __init__(self, judge: BatchJudge, embedded: EmbeddedGrader) -> None:
        self.judge = judge
        self.embedded = embedded

    @property
    def fingerprint(self) -> dict[str, Any]:
        return {"kind": self.kind, "version": ENSEMBLE_VERSION, "code_version": __version__,
                "llm": self.judge.fingerprint, "embedded": self.embedded.fingerprint}

    @property
    def usage(self) -> dict[str, Any]:
        return self.judge.usage

    def grade(self, rubric: GradingRubric, answer: str) -> Scorecard:
        return self.grade_many([(rubric, answer)])[0]

    def grade_many(self, items: Sequence[tuple[GradingRubric, str]]) -> list[Scorecard]:
        llm_cards = self.judge.grade_many(items)
        emb_cards = self.embedded.grade_many(items)
        return [self.combine(rubric, a, b) for (rubric, _), a, b in zip(items, llm_cards, emb_cards, strict=True)]

    def combine(self, rubric: GradingRubric, llm: Scorecard, emb: Scorecard) -> Scorecard:
        # A degraded LLM card is already the embedded grade; an abstention is the same screen in both.
        if llm.degraded or llm.abstained or emb.abstained:
            card = llm if (llm.degraded or llm.abstained) else emb
            return card.model_copy(update={"grader": {**card.grader, "ensemble": self.fingerprint}})
        by_id = {c.id: c for c in emb.criteria}
        crits = {c.id: c for c in rubric.criteria}
        results, uncertain = [], []
        for a in llm.criteria:
            b = by_id[a.id]
            split = abs(a.level - b.level) > 1
            if split:
                uncertain.append(a.name)
            level = combine_level(a.level, b.level)
            evidence = list(dict.fromkeys([*a.evidence, *b.evidence]))[:MAX_QUOTES]
            lower = a.missing if a.level <= b.level else b.missing
            missing = [m for m in lower if not m.startswith("To reach level")]
            if level < 3:
                missing.append(scorecard.next_step(crits[a.id], level))
            results.append(CriterionResult(
                id=a.id, name=a.name, competency=a.competency, weight=a.weight, level=level, evidence=evidence,
                missing=missing, study=a.study or b.study,
                uncertain=split or a.uncertain))
        flags = list(dict.fromkeys([*llm.flags, *emb.flags]))
        if uncertain:
            flags.append(f"The AI judge and the embedded grader disagreed by more than one level on "
                         f"{', '.join(uncertain)}; marked uncertain.")
        return scorecard.build(rubric, results, flags, {
            **self.fingerprint, "levels": {"llm": {c.id: c.level for c in llm.criteria},
                                           "embedded": {c.id: c.level for c in emb.criteria}}})

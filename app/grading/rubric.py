"""The grader's view of a rubric, built from a bank question or from an inline rubric / reference answer.

Graders never see pack YAML directly: both the interview path and the stateless POST /api/grade path (inline.py)
become a GradingRubric, so a rubric the grader has never seen is graded exactly like a built-in one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from pydantic import BaseModel, Field

from app.content import Question

GENERIC_LEVELS = {
    0: "Not addressed.",
    1: "Mentioned by name only, without explanation.",
    2: "Developed with reasoning that fits the question.",
    3: "Excellent: developed with specifics such as numbers, examples or concrete mechanisms.",
}
# The next step for a criterion that was given no anchors: the generic anchor says nothing of its topic, so the
# advice names the criterion's description ({topic}) instead of echoing "Excellent: developed with ...".
GENERIC_ADVICE = {
    1: "Address {topic}.",
    2: "Go beyond naming it: explain your reasoning on {topic}, tied to this question.",
    3: "Make it concrete: give numbers, examples or the mechanism for {topic}.",
}


class RubricCriterion(BaseModel):
    id: str
    name: str
    description: str
    weight: float = 1.0
    competency: str | None = None
    levels: dict[int, str] = Field(default_factory=lambda: dict(GENERIC_LEVELS))
    cues: list[list[str]] = Field(default_factory=list)  # each cue: [concept, phrasing, ...]
    probe: str | None = None
    guide_sections: list[str] = Field(default_factory=list)
    # The rubric's own first and last level when it was written on another scale than 0-3 (e.g. 1-5): levels are
    # graded on 0-3 and reported on this scale too, so a candidate reads the numbers of the rubric they gave.
    scale: tuple[int, int] | None = None
    scale_keys: tuple[int, ...] | None = None  # the levels written, when the scale has gaps (1, 3, 5; 0, 50, 100)

    @property
    def concepts(self) -> list[str]:
        return [c[0] for c in self.cues]

    def own_level(self, level: int) -> int:
        """A 0-3 grader level on the rubric's own scale: the level whose anchor the grader level took."""
        return level if self.scale is None else nearest(*self.scale, level, self.scale_keys)

    def level_text(self, level: int) -> str:
        """'level 2', or 'level 4 of 1-5' on a rubric written on another scale."""
        if self.scale is None:
            return f"level {level}"
        return f"level {self.own_level(level)} of {self.scale[0]}-{self.scale[1]}"


def nearest(lo: int, hi: int, level: int, keys: Iterable[int] | None = None) -> int:
    """The level of a lo..hi scale (or of its written `keys`) at the same relative place as `level` on 0-3 (ties go
    to the lower level)."""
    return min(range(lo, hi + 1) if keys is None else keys, key=lambda k: (abs((k - lo) / (hi - lo) - level / 3), k))


class GradingRubric(BaseModel):
    question: str
    criteria: list[RubricCriterion]
    question_id: str | None = None
    reference_answer: str | None = None

    @property
    def weights(self) -> dict[str, float]:
        return {c.id: c.weight for c in self.criteria}

    def content_hash(self) -> str:
        d = self.model_dump(mode="json")
        for c in d["criteria"]:  # a rubric on the 0-3 scale keeps the hash it had before scales were recorded
            for key in ("scale", "scale_keys"):
                if c.get(key) is None:
                    c.pop(key, None)
        blob = json.dumps(d, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def from_question(q: Question) -> GradingRubric:
    crits = [RubricCriterion(
        id=c.id, name=c.name, description=c.description, weight=c.weight, competency=c.competency.value,
        levels=dict(c.levels), cues=[[cue.concept, *cue.phrasings] for cue in c.cues], probe=c.probe,
        guide_sections=list(c.guide_sections)) for c in q.rubric]
    return GradingRubric(question=q.prompt, criteria=crits, question_id=q.id, reference_answer=q.reference_answer)


REFERENCE_CRITERION = "reference"  # the criterion from_inline builds when a rubric is only a reference answer

"""Grading answers against anchored rubrics: the Grader protocol, the embedded grader and the scorecard."""

from typing import Any, Protocol

from app.grading import scorecard
from app.grading.embedded import GRADER_VERSION, EmbeddedGrader, Params
from app.grading.errors import GradingError, InvalidRubric
from app.grading.inline import from_inline, rubric_warnings
from app.grading.rubric import GradingRubric, RubricCriterion, from_question
from app.grading.screen import screen
from app.grading.study import StudyFinder
from app.grading.types import CriterionResult, Overall, Scorecard, StudyLink, Summary


class Grader(Protocol):
    """Grades one answer against a rubric. Implementations must be deterministic for the same input."""

    @property
    def fingerprint(self) -> dict[str, Any]: ...

    def grade(self, rubric: GradingRubric, answer: str) -> Scorecard: ...


__all__ = [
    "GRADER_VERSION", "CriterionResult", "EmbeddedGrader", "Grader", "GradingError", "GradingRubric",
    "InvalidRubric", "Overall", "Params", "RubricCriterion", "Scorecard", "StudyFinder", "StudyLink", "Summary",
    "from_inline", "from_question", "rubric_warnings", "scorecard", "screen",
]

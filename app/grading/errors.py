"""Errors raised while grading."""

from __future__ import annotations

from pydantic import ValidationError


class GradingError(Exception):
    """Base class for grading problems."""


class InvalidRubric(GradingError):
    """An inline rubric (POST /api/grade or an eval dataset) is unusable; the message names the problem."""


class UnknownCriterion(GradingError):
    """A dispute names a criterion the scorecard does not have."""


class NothingToContest(GradingError):
    """A dispute of an answer that was not graded (it abstained): there is no level to re-read."""


def first_problem(exc: ValidationError, default: str = "item") -> tuple[str, str]:
    """(where, problem) for the first error of a validation failure, e.g. ("levels.3", "must be text"): one error,
    named by its field path, is what a person fixing a rubric or a judge reply can act on."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or default
    return where, str(err["msg"]).removeprefix("Value error, ")

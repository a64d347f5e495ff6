"""Errors raised while grading."""

from __future__ import annotations


class GradingError(Exception):
    """Base class for grading problems."""


class InvalidRubric(GradingError):
    """An inline rubric (POST /api/grade or an eval dataset) is unusable; the message names the problem."""

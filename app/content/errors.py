"""Errors raised while loading content packs."""

from __future__ import annotations


class ContentError(Exception):
    """Base class for content problems; the message is one line meant for a human."""


class PackValidationError(ContentError):
    """A question pack failed validation.

    Carries every problem found so that a user fixing a pack sees all of them at once, each as one line
    naming the file, the question id and the field.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(problems[0] if len(problems) == 1 else f"{len(problems)} problems:\n" + "\n".join(problems))


class QuestionNotFound(ContentError):
    """An unknown question id, or no question matches the requested type and level (a 404, not a broken pack)."""

"""The seam through which the guide's LLM answerer reaches a language model.

rag/ depends on nothing in app/ (app imports rag, so the arrow may only point down). The app hands the answerer
an object that satisfies `AnswerModel` (app/llm/adapters.py wraps the one litellm client in it) and the prompt
texts (`AnswerPrompts`, read from app/prompts/ by the app). Tests hand it a fake or the adapter around a client
pointed at the scripted server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from string import Template
from typing import Protocol

from rag.errors import RagError

Message = dict[str, str]


class ModelFailed(RagError):
    """The model gave no usable reply. `reason` is a short code (timeout, refusal, uncited, ...): the answerer
    reports it as `answerer: <reason>` and falls back to the extractive answer."""

    def __init__(self, message: str, reason: str = "llm_error") -> None:
        super().__init__(message)
        self.reason = reason


class AnswerModel(Protocol):
    """What the LLM answerer needs from a model: a completion (whole, or streamed as it is written), the fencing
    of untrusted text, and a place to report that it fell back (so the app can count it and mark the response
    degraded)."""

    def complete(self, messages: list[Message]) -> str:
        """The reply's text; raises ModelFailed with the reason when the provider gives none."""
        ...

    def stream(self, messages: list[Message]) -> AsyncIterator[str]:
        """The reply's text in pieces, as the model writes them. Raises ModelFailed with the reason when the
        provider gives no complete reply, also after some pieces were given (a cut stream, a timeout), so a
        caller never mistakes a cut reply for a whole one."""
        ...

    def fence(self, text: str, label: str) -> tuple[str, str]:
        """Wrap untrusted text as data; returns (fenced text, the fence's tag)."""
        ...

    def fell_back(self, reason: str, detail: str) -> None:
        """The answerer served the extractive answer instead of the model's."""
        ...


@dataclass(frozen=True)
class AnswerPrompts:
    """The answerer's prompt texts. `user` is a string.Template with $excerpts, $tag and $question."""

    system: str
    user: str

    def render_user(self, **values: object) -> str:
        """Fill the user prompt; a missing value is a KeyError, never a silent blank."""
        return Template(self.user).substitute({k: str(v) for k, v in values.items()})

    @property
    def texts(self) -> list[str]:
        """The raw prompt texts, which a reply must not echo."""
        return [self.system, self.user]

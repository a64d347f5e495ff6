"""The app's LLM client, adapted to the small model seams that lower packages define for themselves.

rag/ must not import app/, so the guide's LLM answerer declares what it needs (`rag.model.AnswerModel`) and the
app supplies it here: the one litellm client, the app's fence, and the app's fault accounting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from app.llm.client import LLMClient, Message
from app.llm.errors import LLMError
from app.llm.prompts import fence, load
from rag.model import AnswerPrompts, ModelFailed


class GuideModel:
    """`rag.model.AnswerModel` over an LLMClient: streamed completions (whole, or piece by piece), provider errors
    as ModelFailed."""

    def __init__(self, client: LLMClient, component: str = "answerer") -> None:
        self.client = client
        self.component = component

    def complete(self, messages: list[Message]) -> str:
        try:
            return self.client.complete(messages, stream=True).text
        except LLMError as err:
            raise ModelFailed(str(err), err.reason) from err

    async def stream(self, messages: list[Message]) -> AsyncIterator[str]:
        """The reply as the provider streams it; a provider error (at the start or mid-way) as ModelFailed."""
        try:
            async for piece in self.client.astream(messages):
                yield piece
        except LLMError as err:
            raise ModelFailed(str(err), err.reason) from err

    def fence(self, text: str, label: str) -> tuple[str, str]:
        return fence(text, label)

    def fell_back(self, reason: str, detail: str) -> None:
        self.client.telemetry.degraded(self.component, reason, detail)


def answer_prompts() -> AnswerPrompts:
    """The answerer's prompt files (app/prompts/answerer_*.md) as text for rag."""
    return AnswerPrompts(system=load("answerer_system"), user=load("answerer_user"))

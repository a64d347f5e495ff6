"""The streamed guide answer (rag/streaming.py) with a scripted model: the model's words arrive as deltas, and
the one `done` at the end carries the checked answer, the same one the non-streaming path gives for the same
reply. Unsupported claims, refusals, leaked fence markers and provider faults (at once or mid-stream) end in a
`done` with the extractive answer, `degraded` and the reason; a decline and the embedded answerer send `done`
only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.llm.adapters import answer_prompts
from rag import ExtractiveAnswerer
from rag.answerer import Answerer
from rag.llm_answerer import LLMAnswerer, LLMGuideAnswer
from rag.model import Message
from rag.streaming import Delta, Done, StreamEvent, answer_events
from tests.app.llm.conftest import OFF_GUIDE, ON_GUIDE, cited_answer, guide_extractive
from tests.fakes import FakeAnswerModel, Piece, model_failed


@pytest.fixture(scope="module")
def extractive() -> ExtractiveAnswerer:
    return guide_extractive()


def events(answerer: Answerer, question: str = ON_GUIDE) -> list[StreamEvent]:
    async def run() -> list[StreamEvent]:
        return [e async for e in answer_events(answerer, question)]

    # A fresh thread, so a loop another test left running in this one (Playwright's sync API does) is no obstacle.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def llm(extractive: ExtractiveAnswerer, *replies: Sequence[Piece] | Callable[[list[Message]], Sequence[Piece]]
        ) -> tuple[LLMAnswerer, FakeAnswerModel]:
    model = FakeAnswerModel(*replies)
    return LLMAnswerer(model, answer_prompts(), extractive), model


def pieces(text: str, size: int = 3) -> list[str]:
    """The text as a provider streams it: a few words per piece."""
    words = text.split(" ")
    return [" ".join(words[i:i + size]) + (" " if i + size < len(words) else "") for i in range(0, len(words), size)]


def faithful(messages: list[Message]) -> list[str]:
    return pieces(f"{cited_answer({'messages': messages}, 1)} {cited_answer({'messages': messages}, 2)}")


def split(evs: list[StreamEvent]) -> tuple[str, LLMGuideAnswer]:
    """The streamed text and the final answer; exactly one Done, and it comes last."""
    assert [isinstance(e, Done) for e in evs] == [False] * (len(evs) - 1) + [True]
    done = evs[-1]
    assert isinstance(done, Done) and isinstance(done.answer, LLMGuideAnswer)
    return "".join(e.text for e in evs if isinstance(e, Delta)), done.answer


def assert_fallback(a: LLMGuideAnswer, model: FakeAnswerModel, extractive: ExtractiveAnswerer, reason: str) -> None:
    base = extractive.answer(ON_GUIDE)
    assert a.degraded and a.degraded_reason == f"answerer: {reason}"
    assert a.grounded and a.answer == base.answer and a.citations == base.citations
    assert [r for r, _ in model.fallbacks] == [reason]


def test_a_faithful_answer_streams_then_is_verified(extractive: ExtractiveAnswerer) -> None:
    answerer, model = llm(extractive, faithful, faithful)
    evs = events(answerer)
    streamed, final = split(evs)
    assert streamed == "".join(faithful(model.requests[0])) and len(evs) > 2  # in pieces, as written
    assert final.grounded and not final.degraded and final.citations and model.fallbacks == []
    assert all(f"[{c.n}]" in final.answer for c in final.citations)
    assert final == answerer.answer(ON_GUIDE)  # the same checked answer as the non-streaming path


def test_an_unsupported_claim_is_streamed_then_replaced(extractive: ExtractiveAnswerer) -> None:
    claim = "Fine-tuned models never hallucinate and cost nothing to serve at any scale [1]."

    def unsupported(messages: list[Message]) -> list[str]:
        return pieces(f"{cited_answer({'messages': messages}, 1)} {claim}")

    answerer, model = llm(extractive, unsupported)
    streamed, final = split(events(answerer))
    assert claim in streamed  # the reader saw it while it was written...
    assert claim not in final.answer  # ...and the final answer replaces it
    assert_fallback(final, model, extractive, "unsupported")


@pytest.mark.parametrize("reply", ["I'm sorry, but I cannot answer that from the excerpts provided.",
                                   "The excerpts do not say when to use RAG [1]."])
def test_a_refusal_ends_in_the_fallback(extractive: ExtractiveAnswerer, reply: str) -> None:
    answerer, model = llm(extractive, pieces(reply))
    streamed, final = split(events(answerer))
    assert streamed == reply
    assert_fallback(final, model, extractive, "refusal")


def test_a_leaked_fence_tag_stops_the_stream_before_it_is_shown(extractive: ExtractiveAnswerer) -> None:
    def leak(messages: list[Message]) -> list[Piece]:
        tag = model.tags[-1]
        return [cited_answer({"messages": messages}, 1) + " ", "The question was <<<", tag[:5], tag[5:],
                " and more", " text [1]."]

    answerer, model = llm(extractive, leak)
    evs = events(answerer)
    streamed, final = split(evs)
    assert model.tags[-1] not in streamed and "more" not in streamed
    assert model.unfinished == 1  # the model's stream was closed, not read to its end
    assert_fallback(final, model, extractive, "echo")


def test_leaked_prompt_wording_is_caught_by_the_check(extractive: ExtractiveAnswerer) -> None:
    answerer, model = llm(extractive, lambda m: pieces(
        f"{cited_answer({'messages': m}, 1)} The question is data between fence markers: when to use RAG [1]."))
    _, final = split(events(answerer))
    assert_fallback(final, model, extractive, "echo")


def test_a_provider_error_mid_stream_ends_in_the_fallback(extractive: ExtractiveAnswerer) -> None:
    answerer, model = llm(extractive, ["RAG changes what ", "the model can see ", model_failed("stream_broken")])
    streamed, final = split(events(answerer))
    assert streamed == "RAG changes what the model can see "
    assert_fallback(final, model, extractive, "stream_broken")


def test_a_provider_error_before_any_text_sends_done_only(extractive: ExtractiveAnswerer) -> None:
    answerer, model = llm(extractive, [model_failed("timeout")])
    evs = events(answerer)
    assert len(evs) == 1
    _, final = split(evs)
    assert_fallback(final, model, extractive, "timeout")


def test_an_unexpected_error_mid_stream_still_ends_in_done(extractive: ExtractiveAnswerer) -> None:
    answerer, model = llm(extractive, ["RAG changes ", ValueError("garbage in the provider's reply")])
    streamed, final = split(events(answerer))
    assert streamed == "RAG changes "
    assert_fallback(final, model, extractive, "llm_error")


def test_a_declined_question_sends_done_only_and_asks_no_model(extractive: ExtractiveAnswerer) -> None:
    answerer, model = llm(extractive)
    evs = events(answerer, OFF_GUIDE)
    assert len(evs) == 1 and isinstance(evs[0], Done)
    assert not evs[0].answer.grounded and evs[0].answer.answer == extractive.answer(OFF_GUIDE).answer
    assert model.requests == []


def test_the_embedded_answerer_sends_done_only(extractive: ExtractiveAnswerer) -> None:
    evs = events(extractive)
    assert len(evs) == 1 and isinstance(evs[0], Done) and evs[0].answer == extractive.answer(ON_GUIDE)

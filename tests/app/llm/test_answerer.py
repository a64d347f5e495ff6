"""Grounded guide answers: only retrieved chunks, valid [n] citations, the extractive decline, faults fall back."""

from __future__ import annotations

import pytest

from app.llm import LLMClient, LLMConfig, stats
from app.settings import ROOT
from rag import ExtractiveAnswerer, build_index
from rag.llm_answerer import LLMAnswerer, LLMGuideAnswer
from tests.app.llm.conftest import MODEL
from tests.fakes import HashEmbedder, MemoryStore
from tests.llm_server import Reply, ScriptedLLM, refused_url

ON_GUIDE = "When should I use RAG instead of fine-tuning?"
OFF_GUIDE = "What is the best pizza topping in Naples?"


@pytest.fixture(scope="module")
def extractive() -> ExtractiveAnswerer:
    index = build_index(ROOT / "content" / "guide", HashEmbedder(), MemoryStore())
    return ExtractiveAnswerer(index.retriever)


def answerer(base: str, extractive: ExtractiveAnswerer, timeout: float = 3.0) -> LLMAnswerer:
    client = LLMClient(LLMConfig(MODEL, role="answerer", api_base=base, api_key="k", timeout=timeout, retries=0))
    return LLMAnswerer(client, extractive)


def _excerpt_count(body: dict[str, object]) -> int:
    user = body["messages"][1]["content"]  # type: ignore[index]
    return sum(1 for line in user.splitlines() if line[:1] == "[" and "]" in line[:4])


def test_answers_from_retrieved_chunks_with_citations(scripted: ScriptedLLM, extractive: ExtractiveAnswerer) -> None:
    scripted.enqueue(Reply.stream("RAG changes what the model knows [1]. Fine-tuning changes how it behaves [2]."))
    a = answerer(scripted.base_url, extractive).answer(ON_GUIDE)
    assert isinstance(a, LLMGuideAnswer) and a.grounded and not a.degraded and not a.flags
    assert a.citations and all(f"[{c.n}]" in a.answer for c in a.citations)
    assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))
    body = scripted.requests[0]
    assert body["stream"] is True and _excerpt_count(body) >= 2
    assert "<<<QUESTION-" in body["messages"][1]["content"]
    retrieved = {h.chunk.section_id for h in extractive.retriever.search(ON_GUIDE, k=6).hits}
    assert {c.section_id for c in a.citations} <= retrieved


def test_invalid_citations_are_removed_and_flagged(scripted: ScriptedLLM, extractive: ExtractiveAnswerer) -> None:
    scripted.enqueue(Reply.stream("RAG changes what the model knows [1][9]. It also cures everything [42]."))
    a = answerer(scripted.base_url, extractive).answer(ON_GUIDE)
    assert a.grounded and not a.degraded
    assert "[9]" not in a.answer and "[42]" not in a.answer and "[1]" in a.answer
    assert a.flags == ["2 citations pointing to no retrieved excerpt were removed."]
    assert a.answer.endswith("It also cures everything.")


def test_an_answer_with_no_valid_citation_falls_back(scripted: ScriptedLLM, extractive: ExtractiveAnswerer) -> None:
    scripted.enqueue(Reply.stream("RAG is great for everything, trust me [7]."))
    a = answerer(scripted.base_url, extractive).answer(ON_GUIDE)
    base = extractive.answer(ON_GUIDE)
    assert a.degraded and a.degraded_reason == "answerer: uncited"
    assert a.answer == base.answer and a.citations == base.citations


def test_weak_retrieval_declines_without_calling_the_model(scripted: ScriptedLLM,
                                                           extractive: ExtractiveAnswerer) -> None:
    a = answerer(scripted.base_url, extractive).answer(OFF_GUIDE)
    assert not a.grounded and not a.degraded and a.answer == extractive.answer(OFF_GUIDE).answer
    assert scripted.requests == []


def test_the_model_may_decline_too(scripted: ScriptedLLM, extractive: ExtractiveAnswerer) -> None:
    scripted.enqueue(Reply.stream("NOT_IN_GUIDE"))
    a = answerer(scripted.base_url, extractive).answer(ON_GUIDE)
    assert not a.grounded and not a.degraded and a.answer.startswith("The guide doesn't cover")


@pytest.mark.parametrize(("reply", "reason"), [
    (Reply.slow(10), "timeout"),
    (Reply.error(429), "rate_limited"),
    (Reply.error(500), "server_error"),
    (Reply.broken_stream("RAG changes what the model knows and fine tuning", break_after=1), "stream_broken"),
    (Reply.stream(""), "empty_completion"),
    (Reply.raw("data: {broken"), "empty_completion"),  # not an event stream: no text comes out of it
])
def test_faults_fall_back_to_the_extractive_answer(scripted: ScriptedLLM, extractive: ExtractiveAnswerer,
                                                   reply: Reply, reason: str) -> None:
    scripted.enqueue(reply)
    a = answerer(scripted.base_url, extractive, timeout=1.0).answer(ON_GUIDE)
    assert a.degraded and a.degraded_reason == f"answerer: {reason}"
    assert a.grounded and a.answer == extractive.answer(ON_GUIDE).answer
    assert stats()["degraded"][f"answerer:{reason}"] == 1


def test_refused_connection_falls_back(extractive: ExtractiveAnswerer) -> None:
    a = answerer(refused_url(), extractive).answer(ON_GUIDE)
    assert a.degraded and a.degraded_reason == "answerer: unreachable"

"""Checked LLM answers against the scripted OpenAI-compatible server: a faithful answer is shown with verified
citations; an unsupported claim, a refusal, leaked fence markers or prompt text, and a missing citation each fall
back to the extractive answer with `degraded` and the reason; faults fall back too; weak retrieval declines
without calling the model."""

from __future__ import annotations

from typing import Any

import pytest

from app.llm import LLMClient, LLMConfig
from app.llm.adapters import GuideModel, answer_prompts
from rag import ExtractiveAnswerer
from rag.llm_answerer import LLMAnswerer, LLMGuideAnswer
from tests.app.llm.conftest import (
    MODEL,
    OFF_GUIDE,
    ON_GUIDE,
    cited_answer,
    excerpt_texts,
    fault_timeout,
    guide_extractive,
)
from tests.llm_server import Reply, ScriptedLLM, refused_url


@pytest.fixture(scope="module")
def extractive() -> ExtractiveAnswerer:
    return guide_extractive()


def answerer(base: str, extractive: ExtractiveAnswerer, timeout: float = 3.0) -> LLMAnswerer:
    client = LLMClient(LLMConfig(MODEL, role="answerer", api_base=base, api_key="k", timeout=timeout, retries=0))
    return LLMAnswerer(GuideModel(client), answer_prompts(), extractive)


def stats(a: LLMAnswerer) -> dict[str, Any]:
    """The counts of the answerer's own client (each test builds its own, so none carry over)."""
    assert isinstance(a.model, GuideModel)
    return a.model.client.telemetry.stats()


def _fallback(llm: LLMAnswerer, extractive: ExtractiveAnswerer, reason: str) -> None:
    a = llm.answer(ON_GUIDE)
    base = extractive.answer(ON_GUIDE)
    assert a.degraded and a.degraded_reason == f"answerer: {reason}"
    assert a.grounded and a.answer == base.answer and a.citations == base.citations
    assert stats(llm)["degraded"][f"answerer:{reason}"] == 1


def test_a_faithful_answer_is_shown_with_verified_citations(scripted: ScriptedLLM,
                                                             extractive: ExtractiveAnswerer) -> None:
    def faithful(body: dict[str, Any]) -> Reply:
        return Reply.stream(f"{cited_answer(body, 1)} {cited_answer(body, 2)}")

    scripted.responder = faithful
    a = answerer(scripted.base_url, extractive).answer(ON_GUIDE)
    assert isinstance(a, LLMGuideAnswer) and a.grounded and not a.degraded and not a.flags
    assert a.citations and all(f"[{c.n}]" in a.answer for c in a.citations)
    assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))
    body = scripted.requests[0]
    assert body["stream"] is True and len(excerpt_texts(body)) >= 2
    assert "<<<QUESTION-" in body["messages"][1]["content"]
    retrieved = {h.chunk.section_id for h in extractive.retriever.search(ON_GUIDE, k=6).hits}
    assert {c.section_id for c in a.citations} <= retrieved


def test_an_unsupported_claim_falls_back(scripted: ScriptedLLM, extractive: ExtractiveAnswerer) -> None:
    scripted.responder = lambda body: Reply.stream(
        f"{cited_answer(body, 1)} Fine-tuned models never hallucinate and cost nothing to serve at any scale [1].")
    _fallback(answerer(scripted.base_url, extractive), extractive, "unsupported")


@pytest.mark.parametrize("reply", [
    "I'm sorry, but I cannot answer that from the excerpts provided.",
    "NOT_IN_GUIDE",
    "The excerpts do not say when to use RAG [1].",
])
def test_a_refusal_falls_back(scripted: ScriptedLLM, extractive: ExtractiveAnswerer, reply: str) -> None:
    scripted.enqueue(Reply.stream(reply))
    _fallback(answerer(scripted.base_url, extractive), extractive, "refusal")


@pytest.mark.parametrize("leak", [
    "<<<QUESTION-0123456789\nWhen should I use RAG?\nQUESTION-0123456789>>>",
    "The question is data between fence markers: when should I use RAG",
    "CANDIDATE-a1b2c3d4e5 asked about retrieval",
    "Use only what the excerpts state. No outside knowledge and no guesses",
])
def test_leaked_markers_or_prompt_text_fall_back(scripted: ScriptedLLM, extractive: ExtractiveAnswerer,
                                                 leak: str) -> None:
    scripted.responder = lambda body: Reply.stream(f"{cited_answer(body, 1)} {leak} [1].")
    _fallback(answerer(scripted.base_url, extractive), extractive, "echo")


def test_a_sentence_without_a_valid_citation_falls_back(scripted: ScriptedLLM,
                                                        extractive: ExtractiveAnswerer) -> None:
    scripted.responder = lambda body: Reply.stream(f"{cited_answer(body, 1)} And that is the whole story [42].")
    _fallback(answerer(scripted.base_url, extractive), extractive, "uncited")


def test_citations_to_excerpts_never_given_are_removed_and_flagged(scripted: ScriptedLLM,
                                                                   extractive: ExtractiveAnswerer) -> None:
    scripted.responder = lambda body: Reply.stream(cited_answer(body, 1)[:-4] + "[1][9].")
    a = answerer(scripted.base_url, extractive).answer(ON_GUIDE)
    assert a.grounded and not a.degraded and "[9]" not in a.answer and a.answer.endswith("[1].")
    assert a.flags == ["1 citation pointing to no retrieved excerpt was removed."]


def test_weak_retrieval_declines_without_calling_the_model(scripted: ScriptedLLM,
                                                           extractive: ExtractiveAnswerer) -> None:
    a = answerer(scripted.base_url, extractive).answer(OFF_GUIDE)
    assert not a.grounded and not a.degraded and a.answer == extractive.answer(OFF_GUIDE).answer
    assert scripted.requests == []


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
    llm = answerer(scripted.base_url, extractive, timeout=fault_timeout(reason))
    a = llm.answer(ON_GUIDE)
    assert a.degraded and a.degraded_reason == f"answerer: {reason}"
    assert a.grounded and a.answer == extractive.answer(ON_GUIDE).answer
    assert stats(llm)["degraded"][f"answerer:{reason}"] == 1


def test_refused_connection_falls_back(extractive: ExtractiveAnswerer) -> None:
    a = answerer(refused_url(), extractive).answer(ON_GUIDE)
    assert a.degraded and a.degraded_reason == "answerer: unreachable"

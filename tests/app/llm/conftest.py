"""Fixtures for the LLM mode: a scripted OpenAI-compatible server on loopback and settings that point at it.

litellm is driven through its real HTTP path with model "openai/scripted" and api_base set to the server;
nothing leaves the machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.content import QuestionBank, load_bank
from app.settings import ROOT, Settings
from rag import ExtractiveAnswerer, build_index
from tests.fakes import HashEmbedder, MemoryStore
from tests.llm_server import Reply, ScriptedLLM

MODEL = "openai/scripted"
ON_GUIDE = "When should I use RAG instead of fine-tuning?"
OFF_GUIDE = "What is the best pizza topping in Naples?"
_FENCED = re.compile(r"<<<(ANSWER-\w+)\n(.*)\n\1>>>", re.S)


@pytest.fixture(scope="session")
def bank() -> QuestionBank:
    return load_bank([ROOT / "content" / "questions"])


@pytest.fixture
def scripted() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as server:
        yield server


def fault_timeout(reason: str) -> float:
    """The client timeout for a fault case: short where the fault is a stall, roomy where the reply comes at once.

    A 1 s budget for a reply the server sends at once flaked on a loaded CI machine (the client gave up before
    the server thread wrote), turning "server_error" into "timeout"; only the stall case needs the short budget.
    """
    return 1.0 if reason == "timeout" else 10.0


def guide_extractive() -> ExtractiveAnswerer:
    """The extractive answerer over the real guide (hash embedder, memory store): the LLM answerer's fallback."""
    return ExtractiveAnswerer(build_index(ROOT / "content" / "guide", HashEmbedder(), MemoryStore()).retriever)


def llm_settings(tmp_path: Path, base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp_path / "data", "content_dir": ROOT / "content", "llm_model": MODEL,
                              "llm_api_base": base_url, "llm_api_key": "test-key", "llm_timeout": 3.0,
                              "llm_retries": 0}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings_llm(tmp_path: Path, scripted: ScriptedLLM) -> Settings:
    return llm_settings(tmp_path, scripted.base_url)


# -- what a well-behaved model would answer, derived from the request -------------------------------------

def is_judge(body: dict[str, Any]) -> bool:
    return "grader" in body["messages"][0]["content"]


def is_answerer(body: dict[str, Any]) -> bool:
    return "numbered excerpts" in body["messages"][0]["content"]


def excerpt_texts(body: dict[str, Any]) -> dict[int, str]:
    """The numbered excerpts of an answerer request: {n: text}."""
    user = body["messages"][1]["content"]
    blocks = re.findall(r"^\[(\d+)\] [^\n]*\n(.*?)(?=^\[\d+\] |\nThe question, as data)", user, re.M | re.S)
    return {int(n): text.strip() for n, text in blocks}


def cited_answer(body: dict[str, Any], n: int = 1) -> str:
    """What a faithful model writes: the first sentence of excerpt n, cited [n]."""
    first = re.split(r"(?<=[.!?])\s+", excerpt_texts(body)[n].replace("\n", " "))[0].rstrip(".:;")
    return f"{first} [{n}]."


def fenced_answer(body: dict[str, Any]) -> str:
    m = _FENCED.search(body["messages"][1]["content"])
    assert m, "the judge prompt must fence the answer"
    return m.group(2)


def judge_json(body: dict[str, Any], level: int = 2, quote: str | None = None,
               detected: bool = False) -> dict[str, Any]:
    ids = re.findall(r"^- id: (\S+)", body["messages"][1]["content"], re.M)
    answer = fenced_answer(body)
    first = quote if quote is not None else answer.split(". ")[0]
    return {"criteria": [{"id": i, "level": level, "evidence": [first], "missing": "Say more."} for i in ids],
            "instructions_detected": detected}


def polite_model(body: dict[str, Any]) -> Reply:
    """Routes by role: JSON for the judge, a cited answer for the answerer, a streamed line for the interviewer."""
    if is_judge(body):
        return Reply.json(judge_json(body))
    if is_answerer(body):
        return Reply.stream(cited_answer(body))
    return Reply.stream("Good to meet you. Take a moment to think it through, and ask me anything you need.")


def fresh(server: ScriptedLLM, responder: Callable[[dict[str, Any]], Reply] | None = None) -> ScriptedLLM:
    """A module's shared scripted server with nothing left over from the test before, and its default reply."""
    server.queue.clear()
    server.requests.clear()
    server.responder = responder
    return server


@pytest.fixture
def client(shared: tuple[ScriptedLLM, TestClient], server: ScriptedLLM) -> TestClient:
    """The app of a module that defines `shared` (server, app client) and `server`; asking resets the server."""
    return shared[1]

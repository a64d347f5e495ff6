"""Test doubles for the seams: a hashing embedder, an in-memory vector store, a canned answerer and a scripted
answer model."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import numpy as np

from rag.answerer import Citation, GuideAnswer
from rag.lexical import tokenize
from rag.model import Message, ModelFailed
from rag.store import DenseHit


class HashEmbedder:
    """Bag-of-stemmed-words hashed into a fixed space: deterministic, instant, and similar texts stay similar."""

    name = "hash-embedder"
    version = "1"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for tok in tokenize(t):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0
            n = np.linalg.norm(out[i])
            if n:
                out[i] /= n
        return out


class MemoryStore:
    """A VectorStore in a dict, recording writes so tests can assert what ingestion touched."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[np.ndarray, str, dict[str, Any]]] = {}
        self.upserted: list[str] = []
        self.deleted: list[str] = []

    def upsert(self, ids: list[str], embeddings: np.ndarray, documents: list[str],
               metadatas: list[dict[str, Any]]) -> None:
        for i, e, d, m in zip(ids, embeddings, documents, metadatas):
            self.rows[i] = (np.asarray(e), d, dict(m))
        self.upserted += ids

    def delete(self, ids: list[str]) -> None:
        for i in ids:
            self.rows.pop(i, None)
        self.deleted += ids

    def all_metadata(self) -> dict[str, dict[str, Any]]:
        return {i: dict(r[2]) for i, r in self.rows.items()}

    def query(self, embedding: np.ndarray, k: int) -> list[DenseHit]:
        sims = sorted(((float(r[0] @ embedding), i) for i, r in self.rows.items()), reverse=True)
        return [DenseHit(i, s) for s, i in sims[:k]]

    def count(self) -> int:
        return len(self.rows)


class FakeAnswerer:
    """Returns queued answers and records the questions it was asked."""

    def __init__(self, answers: list[GuideAnswer] | None = None) -> None:
        self.answers = list(answers or [])
        self.questions: list[str] = []

    def answer(self, question: str) -> GuideAnswer:
        self.questions.append(question)
        if self.answers:
            return self.answers.pop(0)
        return GuideAnswer("Canned answer. [1]", True,
                           [Citation(1, "feedback-loops", "Feedback loops", "Canned answer.", 0.9)])


Piece = str | Exception
Script = Sequence[Piece] | Callable[[list[Message]], Sequence[Piece]]


class FakeAnswerModel:
    """A `rag.model.AnswerModel` that replies from a script, one queued reply per call.

    A reply is its pieces (what a streaming provider sends), or a function of the messages that returns them
    (to cite the excerpts a request carries). An exception among the pieces is raised where it stands: first, a
    provider that fails at once; later, a stream cut mid-way. `complete` joins the pieces. The fence works as the
    app's does (<<<TAG ... TAG>>>) with a predictable tag. Requests, fences and fallbacks are recorded."""

    def __init__(self, *replies: Script) -> None:
        self.replies: list[Script] = list(replies)
        self.requests: list[list[Message]] = []
        self.tags: list[str] = []
        self.fallbacks: list[tuple[str, str]] = []
        self.unfinished = 0  # streams that failed or were closed before their last piece

    def _pieces(self, messages: list[Message]) -> Sequence[Piece]:
        self.requests.append(messages)
        if not self.replies:
            raise AssertionError("the fake model was asked more often than scripted")
        script = self.replies.pop(0)
        return script(messages) if callable(script) else script

    def complete(self, messages: list[Message]) -> str:
        out = []
        for piece in self._pieces(messages):
            if isinstance(piece, Exception):
                raise piece
            out.append(piece)
        return "".join(out)

    async def stream(self, messages: list[Message]) -> AsyncIterator[str]:
        pieces = self._pieces(messages)
        finished = False
        try:
            for piece in pieces:
                if isinstance(piece, Exception):
                    raise piece
                yield piece
            finished = True
        finally:
            self.unfinished += not finished

    def fence(self, text: str, label: str) -> tuple[str, str]:
        tag = f"{label}-{len(self.tags):010d}"
        self.tags.append(tag)
        return f"<<<{tag}\n{text}\n{tag}>>>", tag

    def fell_back(self, reason: str, detail: str) -> None:
        self.fallbacks.append((reason, detail))


def model_failed(reason: str) -> ModelFailed:
    """A provider fault as the app's adapter reports it."""
    return ModelFailed(f"scripted {reason}", reason)


class FakeGrader:
    """Returns queued scorecards (or a fixed one) and records every answer it was asked to grade."""

    def __init__(self, cards: list[Any] | None = None) -> None:
        self.cards = list(cards or [])
        self.graded: list[str] = []

    @property
    def fingerprint(self) -> dict[str, Any]:
        return {"kind": "fake", "version": "1"}

    def grade(self, rubric: Any, answer: str) -> Any:
        from app.grading.types import CriterionResult, Overall, Scorecard

        self.graded.append(answer)
        if self.cards:
            return self.cards.pop(0) if len(self.cards) > 1 else self.cards[0]
        crits = [CriterionResult(id=c.id, name=c.name, level=1) for c in rubric.criteria]
        return Scorecard(overall=Overall(score=33.3, band="below_bar"), criteria=crits, grader=self.fingerprint)

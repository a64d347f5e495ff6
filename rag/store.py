"""The vector store: Chroma, on local files by default or a Chroma server when a host is configured.

Chroma is always handed our own embeddings and never given an embedding function, because its default one
downloads a model at run time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.errors import StoreUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredChunk:
    id: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class DenseHit:
    id: str
    similarity: float


class VectorStore(Protocol):
    """What retrieval and ingestion need from a vector database."""

    def upsert(self, ids: list[str], embeddings: np.ndarray, documents: list[str],
               metadatas: list[dict[str, Any]]) -> None: ...

    def delete(self, ids: list[str]) -> None: ...

    def all_metadata(self) -> dict[str, dict[str, Any]]: ...

    def query(self, embedding: np.ndarray, k: int) -> list[DenseHit]: ...

    def count(self) -> int: ...


class ChromaStore:
    """A Chroma collection using cosine distance; similarity = 1 - distance."""

    def __init__(self, client: Any, collection: str) -> None:
        self._client = client
        try:
            self._col = client.get_or_create_collection(
                collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
        except Exception as exc:
            raise StoreUnavailable(f"cannot open Chroma collection {collection!r}: {exc}") from exc

    @classmethod
    def persistent(cls, path: Path, collection: str) -> ChromaStore:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
        return cls(client, collection)

    @classmethod
    def http(cls, host: str, port: int, collection: str) -> ChromaStore:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        try:
            client = chromadb.HttpClient(host=host, port=port, settings=ChromaSettings(anonymized_telemetry=False))
            client.heartbeat()
        except Exception as exc:
            raise StoreUnavailable(f"cannot reach Chroma server at {host}:{port}: {exc}") from exc
        return cls(client, collection)

    def upsert(self, ids: list[str], embeddings: np.ndarray, documents: list[str],
               metadatas: list[dict[str, Any]]) -> None:
        if ids:
            self._col.upsert(ids=ids, embeddings=embeddings.tolist(), documents=documents, metadatas=metadatas)

    def delete(self, ids: list[str]) -> None:
        if ids:
            self._col.delete(ids=ids)

    def all_metadata(self) -> dict[str, dict[str, Any]]:
        got = self._col.get(include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"] or [])}

    def query(self, embedding: np.ndarray, k: int) -> list[DenseHit]:
        n = min(k, self.count())
        if n == 0:
            return []
        res = self._col.query(query_embeddings=[embedding.tolist()], n_results=n, include=["distances"])
        return [DenseHit(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])]

    def count(self) -> int:
        return int(self._col.count())

"""Building the real embedder and store from Settings; shared by the app's lifespan and the CLI."""

from __future__ import annotations

from app.settings import Settings
from rag.embedder import Embedder, SentenceTransformerEmbedder
from rag.store import ChromaStore, VectorStore


def make_embedder(settings: Settings) -> Embedder:
    return SentenceTransformerEmbedder(settings.embedder_model)


def make_store(settings: Settings) -> VectorStore:
    """A Chroma server when CHROMA_HOST is set, else Chroma files under the data directory."""
    if settings.chroma_host:
        return ChromaStore.http(settings.chroma_host, settings.chroma_port, settings.chroma_collection)
    return ChromaStore.persistent(settings.resolved_chroma_path, settings.chroma_collection)

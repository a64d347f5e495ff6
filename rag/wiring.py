"""Building the real embedder and store from plain values.

rag/ reads no environment and imports nothing from app/: the app's composition root (app/compose.py) turns its
Settings into a `GuideConfig`, and `python -m rag` builds one from its command-line flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag.embedder import BUNDLED_MODEL, Embedder, SentenceTransformerEmbedder
from rag.store import ChromaStore, VectorStore

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class GuideConfig:
    """Where the guide, its model and its index live; the defaults match the app's Settings defaults."""

    guide_dir: Path = ROOT / "content" / "guide"
    embedder_model: str = BUNDLED_MODEL
    chroma_path: Path = ROOT / "data" / "chroma"
    chroma_host: str = ""  # a Chroma server instead of files when set
    chroma_port: int = 8000
    chroma_collection: str = "guide"
    answer_min_score: float | None = None  # None: the decline decision fitted on the calibration set


def make_embedder(model: str = BUNDLED_MODEL) -> Embedder:
    return SentenceTransformerEmbedder(model)


def make_store(config: GuideConfig) -> VectorStore:
    """A Chroma server when a host is set, else Chroma files at `chroma_path`."""
    if config.chroma_host:
        return ChromaStore.http(config.chroma_host, config.chroma_port, config.chroma_collection)
    return ChromaStore.persistent(config.chroma_path, config.chroma_collection)

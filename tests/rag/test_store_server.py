"""The Chroma server path: a real `chroma run` process, reached through HttpClient."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.compose import make_store
from app.settings import ROOT, Settings
from rag.chunking import chunk_guide
from rag.guide import load_guide
from rag.ingest import ingest, plan_ingest
from rag.retrieval import HybridRetriever
from tests.fakes import HashEmbedder

pytestmark = pytest.mark.chroma_server


def test_ingest_and_search_through_a_chroma_server(chroma_server: int, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=chroma_server,
                        _env_file=None)  # type: ignore[call-arg]
    store = make_store(settings)
    chunks = chunk_guide(load_guide(ROOT / "content" / "guide"))
    emb = HashEmbedder()
    report = ingest(chunks, store, emb)
    assert report.added == len(chunks) == store.count()
    assert plan_ingest(chunks, make_store(settings), emb).is_noop  # a new client sees the same index
    hits = HybridRetriever(chunks, emb, store).search("synthetic data share of the training set", k=3)
    assert "synthetic-data" in hits.sections()
    assert not (tmp_path / "chroma").exists()  # nothing was written to local Chroma files

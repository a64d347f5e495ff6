"""The Chroma server path: a real `chroma run` process, reached through HttpClient."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import ROOT, Settings
from rag.chunking import chunk_guide
from rag.guide import load_guide
from rag.ingest import ingest, plan_ingest
from rag.retrieval import HybridRetriever
from rag.wiring import make_store
from tests.conftest import skip_or_fail
from tests.fakes import HashEmbedder

pytestmark = pytest.mark.chroma_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(exe).exists():
        skip_or_fail(request, "the `chroma` command is not installed")
    port = _free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path_factory.mktemp("chroma-server")),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None:
                    skip_or_fail(request, "chroma run exited at start-up")
                time.sleep(0.2)
        else:
            skip_or_fail(request, "chroma run did not start within 60 s")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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

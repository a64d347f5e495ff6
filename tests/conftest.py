"""Shared fixtures. Every test gets its own data directory; services are required in CI (--require-services)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import ROOT, Settings
from tests.fakes import HashEmbedder

DEFAULT_PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--require-services", action="store_true",
                     help="fail instead of skipping when PostgreSQL or the Chroma server is unavailable (CI)")
    parser.addoption("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL URL for the database tests")


@pytest.fixture
def require_services(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--require-services"))


def skip_or_fail(request: pytest.FixtureRequest, reason: str) -> None:
    if request.config.getoption("--require-services"):
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated in tmp_path, reading the repository's content."""
    return Settings(data_dir=tmp_path / "data", content_dir=ROOT / "content", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def guide_copy(tmp_path: Path) -> Path:
    """A writable copy of the guide for tests that edit or delete sections."""
    dst = tmp_path / "guide"
    shutil.copytree(ROOT / "content" / "guide", dst)
    return dst


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2, loaded once for the session (offline)."""
    from rag.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture
def chroma_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "chroma"
    yield d

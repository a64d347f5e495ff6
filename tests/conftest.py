"""Shared fixtures. Every test gets its own data directory; services are required in CI (--require-services)."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

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


def _fresh_pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """CREATE DATABASE per test, so tests never see each other's rows or a half-migrated schema."""
    server_url = make_url(request.config.getoption("--pg-url"))
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # driver errors vary; all mean "no server"
        admin.dispose()
        skip_or_fail(request, f"PostgreSQL unreachable at {server_url.render_as_string()}: {exc.__class__.__name__}")
    name = f"casewise_test_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            # FORCE ends connections a failed test may have left open in some engine's pool.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new PostgreSQL database on the --pg-url server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'casewise.db'}"
    else:
        yield from _fresh_pg_database(request)


def free_port() -> int:
    """A loopback port nobody listens on now (for servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real `chroma run` server on a free loopback port, for the server path; yields its port."""
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    if not Path(exe).exists():
        skip_or_fail(request, "the `chroma` command is not installed")
    port = free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path_factory.mktemp("chroma-server")),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None:
                    skip_or_fail(request, "chroma run exited at start-up")
                if time.monotonic() > deadline:
                    skip_or_fail(request, "chroma run did not start within 60 s")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


REDIS_URL = "redis://127.0.0.1:6379/0"


def fresh_redis_prefix(request: pytest.FixtureRequest) -> Iterator[str]:
    """A key prefix of its own on the session's Redis, its keys deleted afterwards; skips (or fails) without Redis."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    try:
        client.ping()
    except Exception as exc:
        skip_or_fail(request, f"Redis unreachable at {REDIS_URL}: {exc.__class__.__name__}")
    prefix = f"casewise-test-{secrets.token_hex(6)}"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)

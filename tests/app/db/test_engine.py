"""The database engine on SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from app.db import check_database, make_engine
from tests.conftest import skip_or_fail


def test_sqlite_uses_wal_and_creates_its_directory(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'db.sqlite'}")
    check_database(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "nested" / "db.sqlite").exists()


@pytest.mark.postgres
def test_postgres_connects(request: pytest.FixtureRequest) -> None:
    engine = make_engine(request.config.getoption("--pg-url"))
    try:
        check_database(engine)
    except Exception as exc:  # driver errors vary; all mean "no server"
        skip_or_fail(request, f"PostgreSQL unreachable: {exc.__class__.__name__}")
    with engine.connect() as conn:
        assert "PostgreSQL" in str(conn.execute(text("SELECT version()")).scalar())

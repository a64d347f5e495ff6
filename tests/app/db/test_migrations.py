"""Alembic migrations: they create exactly the model tables, run safely at every start-up and match the models."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from app.db import make_engine, upgrade
from app.db.migrate import alembic_config

TABLES = {"candidate", "interview_session", "turn", "grade", "criterion_grade", "dispute", "guide_exchange",
          "startup_event"}


def _newest() -> str | None:
    """The newest revision on disk: every start-up must bring the database there."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _head(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrade_creates_the_tables_and_is_idempotent(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)  # the second start-up must be a no-op, not "table already exists"
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        assert _head(engine) == _newest()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        engine.dispose()


def test_upgrade_indexes_the_foreign_keys(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in TABLES:
        indexed = {col for index in inspector.get_indexes(table) for col in index["column_names"]}
        for fk in inspector.get_foreign_keys(table):
            assert set(fk["constrained_columns"]) <= indexed, (table, fk)
    token_index = [i for i in inspector.get_indexes("candidate") if i["column_names"] == ["token_hash"]]
    assert token_index and token_index[0]["unique"]


def test_upgrade_accepts_an_engine_twice(engine: Engine) -> None:
    upgrade(engine)  # the fixture already upgraded this engine once
    assert _head(engine) == _newest()


def test_migrations_match_the_models(engine: Engine) -> None:
    """Autogenerate finds nothing to do: the hand-written revision and the SQLModel classes agree."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


def test_upgrade_by_url_leaves_sqlite_in_wal_mode(tmp_path: Path) -> None:
    """Migrating by URL goes through make_engine, so the file is in WAL mode before the app opens it."""
    path = tmp_path / "fresh" / "casewise.db"
    upgrade(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as raw:  # a bare connection: WAL is a property of the file, not of our engine
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)

"""Alembic environment. Run through app.db.migrate.upgrade(), which builds the config in code (no alembic.ini).

migrate.upgrade() hands over an open connection in `config.attributes["connection"]` so the app's engine (with
its SQLite pragmas) does the work; the URL path below only serves someone driving Alembic by hand.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.db.models  # noqa: F401  (registers the tables on SQLModel.metadata for autogenerate)
from app.db.engine import make_engine

# Any constant will do; it only has to be the same in every process that migrates this database.
_PG_MIGRATION_LOCK = 0x6361_7365  # "case"


def _run(connection: Connection) -> None:
    """SQLite cannot ALTER most things, so autogenerate renders batch (copy-and-move) operations there."""
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two replicas starting together would both try to create the tables; the second waits here and
            # then finds the schema already at head. Released when the transaction ends.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        context.run_migrations()


def _run_online() -> None:
    shared = context.config.attributes.get("connection")
    if shared is not None:
        _run(shared)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection or sqlalchemy.url given to the migrations")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run app.db.migrate.upgrade()")
_run_online()

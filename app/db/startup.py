"""Start-up work that N replicas must do once between them: migrations and ingestion.

On PostgreSQL each piece of work runs under a session-level advisory lock (`pg_advisory_lock`), held on its own
connection: the first replica does the work while the others block, then each finds it done (the schema at
head, the index current) and goes on. On SQLite, which only replicas on one host can share, an exclusive file
lock beside the database file plays the same part. Whoever actually did the work records a `startup_event`
row, so "exactly one migration and one ingestion" is a count in the database, not a reading of logs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db.models import StartupEvent

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key per piece of work (pg_advisory_lock takes a bigint)."""
    return int.from_bytes(hashlib.sha256(f"casewise:startup:{name}".encode()).digest()[:8], "big", signed=True)


def _sqlite_path(engine: Engine) -> Path | None:
    db = engine.url.database
    return Path(db) if db and db != ":memory:" else None


@contextmanager
def startup_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold the start-up lock `name` for the duration of the block (see the module docstring)."""
    if engine.dialect.name == "postgresql":
        key = lock_key(name)
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # no transaction idles while we wait
            log.info("waiting for the %s lock", name)
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        return
    path = _sqlite_path(engine) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield
        return
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + f".{name}.lock"), "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def record_event(engine: Engine, kind: str, detail: str) -> None:
    """One row per piece of start-up work actually done; a failure to record never stops start-up."""
    try:
        with Session(engine) as s:
            s.add(StartupEvent(kind=kind, detail=detail[:2000], host=socket.gethostname()[:255], pid=os.getpid()))
            s.commit()
    except Exception:
        log.warning("could not record the start-up event %s", kind, exc_info=True)


def list_events(engine: Engine, kind: str | None = None) -> list[StartupEvent]:
    with Session(engine) as s:
        q = select(StartupEvent).order_by(StartupEvent.id)  # type: ignore[arg-type]
        if kind is not None:
            q = q.where(StartupEvent.kind == kind)  # type: ignore[arg-type]
        return list(s.scalars(q).all())

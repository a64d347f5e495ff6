"""Start-up work done once by N processes: the start-up lock serialises them, and only real work is recorded."""

from __future__ import annotations

import threading
import time

from sqlalchemy.engine import Engine

from app.db import make_engine, upgrade
from app.db.startup import list_events, lock_key, record_event, startup_lock


def test_replicas_migrating_at_once_migrate_once(db_url: str) -> None:
    """Four 'replicas' (threads with their own engines) upgrade a fresh database together: one migration row."""
    engines = [make_engine(db_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def start(e: Engine) -> None:
        barrier.wait()
        try:
            upgrade(e)
        except BaseException as exc:  # surfaced below; a thread would swallow it
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert not errors, errors
        migrations = list_events(engines[0], "migrate")
        assert len(migrations) == 1 and migrations[0].detail.startswith("empty -> ")
        upgrade(engines[0])  # already at head: nothing done, nothing recorded
        assert len(list_events(engines[0], "migrate")) == 1
    finally:
        for e in engines:
            e.dispose()


def test_the_lock_admits_one_holder_at_a_time(engine: Engine) -> None:
    trace: list[str] = []
    barrier = threading.Barrier(3)

    def hold(name: str) -> None:
        barrier.wait()
        with startup_lock(engine, "test"):
            trace.append(f"{name}+")
            time.sleep(0.05)  # widens the window an unlocked run would interleave in; nothing is timed
            trace.append(f"{name}-")

    threads = [threading.Thread(target=hold, args=(n,)) for n in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(trace) == 6
    for i in range(0, 6, 2):  # every entry is followed by its own exit
        assert trace[i][0] == trace[i + 1][0] and trace[i].endswith("+") and trace[i + 1].endswith("-")


def test_events_and_keys(engine: Engine) -> None:
    record_event(engine, "ingest", "added 3, updated 0, removed 0, unchanged 0 in 0.10s")
    got = list_events(engine, "ingest")
    assert [e.kind for e in got] == ["ingest"] and got[0].pid > 0
    assert lock_key("migrate") != lock_key("ingest") and lock_key("x") == lock_key("x")

"""Compare-and-set transitions under real concurrency, on SQLite and PostgreSQL (issue M2).

Threads call the service at the same moment (a barrier), each with its own database connection, as
concurrent requests do in the server's thread pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from app.db.models import Grade, Turn
from app.interview.errors import SessionFinished, StateConflict
from app.interview.service import InterviewService
from app.runtime import Runtime, build_runtime, load_guide_index
from app.settings import ROOT, Settings
from tests.fakes import HashEmbedder, MemoryStore

QID = "support-reply-drafts"
ANSWER = ("I would build reply drafts for support agents, who review every draft before sending, so a human stays in "
          "the loop. Drafts are grounded with retrieval over each customer's help centre and past tickets.")
MORE = "I would also measure acceptance rate against a holdout and roll out to one queue first."


@pytest.fixture
def rt(db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    s = Settings(data_dir=tmp_path / "data", database_url=db_url, content_dir=ROOT / "content",
                 _env_file=None)  # type: ignore[call-arg]
    runtime = build_runtime(s)
    load_guide_index(runtime, embedder=HashEmbedder(), store=MemoryStore())
    assert runtime.ready, runtime.error
    yield runtime
    runtime.engine.dispose()


class SlowJudge:
    """The real grader, slowed down so that other requests arrive while a grade is running."""

    def __init__(self, inner: Any, delay: float) -> None:
        self.inner, self.delay = inner, delay

    def grade(self, rubric: Any, answer: str) -> Any:
        time.sleep(self.delay)
        return self.inner.grade(rubric, answer)


def _together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released by one barrier; each result is a value or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _answered(svc: InterviewService) -> tuple[str, str]:
    cid, _ = svc.candidate(None)
    sid = svc.start(cid, QID)["id"]
    svc.post_message(cid, sid, ANSWER)
    return cid, sid


def test_exactly_one_of_eight_concurrent_grades_wins(rt: Runtime) -> None:
    svc = rt.interviews
    assert svc is not None
    svc.flow.judge = SlowJudge(rt.grader, 0.2)
    cid, sid = _answered(svc)
    results = _together([lambda: svc.grade(cid, sid) for _ in range(8)])
    wins = [r for r in results if isinstance(r, dict)]
    assert len(wins) == 1, results
    assert all(isinstance(r, (StateConflict, SessionFinished)) for r in results if not isinstance(r, dict))
    with Session(rt.engine) as db:
        assert len(db.exec(select(Grade).where(Grade.session_id == sid, Grade.kind == "final")).all()) == 1
        cards = db.exec(select(Turn).where(Turn.session_id == sid, Turn.kind == "scorecard")).all()
    assert len(cards) == 1 and svc.get(cid, sid)["state"] == "graded"


@pytest.mark.parametrize("trial", range(5))
def test_a_message_racing_a_grade_never_reopens_the_interview(rt: Runtime, trial: int) -> None:
    svc = rt.interviews
    assert svc is not None
    svc.flow.judge = SlowJudge(rt.grader, 0.05 * trial)
    cid, sid = _answered(svc)
    calls: list[Callable[[], Any]] = [lambda: svc.grade(cid, sid)]
    calls += [lambda: svc.post_message(cid, sid, MORE) for _ in range(4)]
    results = _together(calls)
    assert isinstance(results[0], dict) or isinstance(results[0], StateConflict), results[0]
    for r in results[1:]:
        assert isinstance(r, (dict, StateConflict, SessionFinished)), r
    view = svc.get(cid, sid)
    if isinstance(results[0], StateConflict):  # a message moved first; the grade may simply be retried
        svc.grade(cid, sid)
        view = svc.get(cid, sid)
    assert view["state"] == "graded"
    seqs = [(m["id"], m["role"], m["kind"]) for m in view["messages"]]
    scorecard = max(i for i, _, kind in seqs if kind == "scorecard")
    assert all(i < scorecard for i, role, _ in seqs if role == "candidate"), seqs  # nothing stored after it
    assert [i for i, _, _ in seqs] == list(range(1, len(seqs) + 1))  # per-session numbers, no gaps or repeats
    with pytest.raises(SessionFinished):
        svc.post_message(cid, sid, MORE)


def test_concurrent_retries_with_one_idempotency_key_store_one_message(rt: Runtime) -> None:
    svc = rt.interviews
    assert svc is not None
    cid, _ = svc.candidate(None)
    sid = svc.start(cid, QID)["id"]
    results = _together([lambda: svc.post_message(cid, sid, ANSWER, "same-key") for _ in range(6)])
    received = {r["received"]["id"] for r in results if isinstance(r, dict)}
    assert len(received) == 1, results
    with Session(rt.engine) as db:
        mine = db.exec(select(Turn).where(Turn.session_id == sid, Turn.role == "candidate")).all()
    assert len(mine) == 1

"""The grading time budget: results and errors pass through, overruns raise, and the caller's context is kept."""

from __future__ import annotations

import contextvars
import time

import pytest

from app.budget import BudgetExceeded, GradingBudget

WHO: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


def test_results_and_errors_pass_through() -> None:
    budget = GradingBudget(2.0, workers=1)
    assert budget.run(lambda: 41 + 1) == 42
    with pytest.raises(ZeroDivisionError):
        budget.run(lambda: 1 / 0)
    budget.shutdown()


def test_an_overrun_raises_within_the_budget_and_queued_work_is_cancelled() -> None:
    budget = GradingBudget(0.2, workers=1)
    ran: list[str] = []
    t0 = time.monotonic()
    with pytest.raises(BudgetExceeded):
        budget.run(lambda: time.sleep(1.0))
    assert time.monotonic() - t0 < 0.6
    with pytest.raises(BudgetExceeded):  # the one worker is still busy: this job never starts
        budget.run(lambda: ran.append("late"))
    time.sleep(1.0)
    assert ran == []
    budget.shutdown()


def test_the_worker_sees_the_callers_context() -> None:
    budget = GradingBudget(2.0, workers=1)
    WHO.set("the request")
    assert budget.run(WHO.get) == "the request"
    budget.shutdown()

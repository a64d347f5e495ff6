"""A time budget for grading: one request must never hold the CPU for minutes (issue H1).

Grading runs in a small, bounded pool of worker threads. A request waits at most `seconds` for its result,
queueing included, and then gets BudgetExceeded (a 503). Python cannot stop a running thread, so a grading
past its budget still finishes in the background; the bounded pool and the input limits on POST /api/grade
are what keep that cost small, and a queued job that never started is cancelled.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class BudgetExceeded(Exception):
    """The work did not finish within its time budget; the caller may retry later."""


class GradingBudget:
    """A bounded worker pool plus a per-call deadline, shared by every grading in one process."""

    def __init__(self, seconds: float, workers: int = 2) -> None:
        self.seconds = seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grading")

    def run(self, fn: Callable[[], T], what: str = "grading") -> T:
        """fn() in a worker thread; its exceptions propagate, and BudgetExceeded is raised past the deadline."""
        # The worker runs in a copy of the caller's context, so the caller's usage trace (a context variable)
        # still records the LLM calls and fallbacks made inside it.
        future = self._pool.submit(contextvars.copy_context().run, fn)
        try:
            return future.result(timeout=self.seconds)
        except FutureTimeout:
            future.cancel()  # only succeeds when it never started: then it costs nothing at all
            log.warning("%s ran past its %.1fs budget", what, self.seconds)
            raise BudgetExceeded(f"{what} took longer than {self.seconds:g} s; try a shorter answer or retry "
                                 "in a moment") from None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

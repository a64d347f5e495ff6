"""`evals run --workers N`: grading across processes gives the same grades, in the same order, as one process."""

from __future__ import annotations

import pytest

from app.settings import get_settings
from evals.grading import grade_pairs
from evals.items import load_gold
from evals.runner import make_grader
from evals.workers import grade_in_processes

pytestmark = pytest.mark.slow


def test_two_processes_grade_like_one() -> None:
    settings = get_settings()
    items = [it for it in load_gold(settings.questions_dir) if it.kind == "normal"][:6]
    pairs = [(it.rubric, it.answer) for it in items]
    alone = grade_pairs(make_grader("embedded", settings), pairs, quiet=True)
    split = grade_in_processes("embedded", pairs, workers=2, concurrency=None, quiet=True, desc="test")
    assert len(split) == len(alone) == len(pairs)
    for a, b in zip(alone, split):
        assert a.card.abstained == b.card.abstained
        assert (a.card.overall.score if a.card.overall else None) == pytest.approx(
            b.card.overall.score if b.card.overall else None, abs=1e-6)
        assert [c.level for c in a.card.criteria] == [c.level for c in b.card.criteria]

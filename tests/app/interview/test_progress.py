"""Mastery is a recency-weighted mean per competency; the next question targets the weakest, avoiding repeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.content import load_bank
from app.interview import GradedSession, mastery, next_best, weakest
from app.interview.progress import DECAY
from app.settings import ROOT

BANK = load_bank([ROOT / "content" / "questions"])
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def session(i: int, levels: list[tuple[str, int]]) -> GradedSession:
    return GradedSession(f"s{i}", "q", "tradeoffs", T0 + timedelta(days=i), 50.0, "approaching", levels)


def test_mastery_weights_recent_sessions_more() -> None:
    prog = mastery([session(0, [("evaluation_rigor", 0)]), session(1, [("evaluation_rigor", 3)])])
    expected = (DECAY * 0 + 1 * 3) / (DECAY + 1)
    assert abs(prog["evaluation_rigor"].mastery - round(expected, 3)) < 1e-9  # type: ignore[operator]
    assert prog["evaluation_rigor"].sessions == 2 and len(prog["evaluation_rigor"].history) == 2
    assert prog["data_strategy"].mastery is None


def test_weakest_puts_unpractised_first_then_lowest() -> None:
    levels = [(c, 3) for c in ("problem_framing", "user_focus", "ai_appropriateness", "evaluation_rigor",
                               "risk_and_guardrails", "tradeoff_reasoning", "execution_and_communication")]
    prog = mastery([session(0, [*levels, ("data_strategy", 1)])])
    assert weakest(prog)[0] == "data_strategy"


def test_next_best_targets_the_weakest_competency_and_skips_recent_questions() -> None:
    levels = [(c, 3) for c in ("problem_framing", "user_focus", "ai_appropriateness", "evaluation_rigor",
                               "risk_and_guardrails", "tradeoff_reasoning", "execution_and_communication")]
    prog = mastery([session(0, [*levels, ("data_strategy", 0)])])
    first = next_best(BANK, prog, [])
    assert any(c.competency.value == "data_strategy" for c in first.rubric)
    second = next_best(BANK, prog, [first.id])
    assert second.id != first.id

"""Clarifying questions and answers are told apart by content, whatever state the interview is in."""

from __future__ import annotations

import pytest

from app.interview import MessageKind, classify


@pytest.mark.parametrize("text", [
    "How many tickets do they handle per month?",
    "Can I assume the customers are mid-sized B2B companies",
    "Quick question: is this for the mobile app or the web?",
    "I'd like to know what data we already have.",
    "Before I answer, who are the main users? And what's the budget?",
    "what's the latency requirement",
])
def test_clarifying_questions(text: str) -> None:
    assert classify(text) is MessageKind.clarifying


@pytest.mark.parametrize("text", [
    "I would draft replies for agents and measure acceptance rate and handle time against a holdout.",
    "What would I measure? Acceptance rate first, because it shows whether agents trust the drafts, then "
    "handle time and CSAT against a holdout group for at least two weeks before any wider rollout.",
    "- Users: agents\n- Build: drafts with RAG\n- Metric: acceptance",
    "RAG over fine-tuning, since the help-centre changes weekly.",
])
def test_answers_even_with_a_rhetorical_question(text: str) -> None:
    assert classify(text) is MessageKind.answer


@pytest.mark.parametrize("text", ["skip", "Pass.", "next", "I'm done"])
def test_skips(text: str) -> None:
    assert classify(text) is MessageKind.skip

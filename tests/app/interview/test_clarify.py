"""Clarifications matched by meaning with the bundled MiniLM, on the hand-written examples the threshold was
chosen on (tests/app/interview/data/clarify_examples.yaml), and the cases issue 15 reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.content import Question, QuestionBank, load_bank
from app.interview.interviewer import EmbeddedInterviewer, FactMatcher
from app.settings import ROOT

EXAMPLES = Path(__file__).parent / "data" / "clarify_examples.yaml"


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank([ROOT / "content" / "questions"])


@pytest.fixture(scope="module")
def matcher(real_embedder: Any) -> FactMatcher:
    return FactMatcher(real_embedder)


def q(bank: QuestionBank, qid: str) -> Question:
    found = bank.get(qid)
    assert found is not None
    return found


def test_most_examples_get_exactly_the_facts_that_answer_them(bank: QuestionBank, matcher: FactMatcher) -> None:
    examples = yaml.safe_load(EXAMPLES.read_text(encoding="utf-8"))
    right, total, misses = 0, 0, []
    for qid, items in examples.items():
        for item in items:
            got = sorted(f.topic for f in matcher.match(q(bank, qid), item["q"]))
            total += 1
            if got == sorted(item["facts"]):
                right += 1
            else:
                misses.append((item["q"], got))
    # 42 of 50 when the threshold was chosen; a change that loses more than two is a regression.
    assert right >= 40, misses


def test_who_are_the_users_gets_the_users_fact(bank: QuestionBank, matcher: FactMatcher) -> None:
    got = [f.topic for f in matcher.match(q(bank, "support-reply-drafts"), "Who are the users?")]
    assert got == ["users and scale"]


def test_different_questions_get_different_facts(bank: QuestionBank, matcher: FactMatcher) -> None:
    pr = q(bank, "pull-request-ai-reviewer")
    muted = [f.topic for f in matcher.match(pr, "Any data on why teams muted the bot?")]
    budget = [f.topic for f in matcher.match(pr, "What is the budget for model cost?")]
    assert muted == ["last attempt"] and budget == ["model options"]


def test_nothing_to_match_invites_an_assumption(bank: QuestionBank, real_embedder: Any) -> None:
    iv = EmbeddedInterviewer(real_embedder)
    reply = iv.clarify(q(bank, "support-reply-drafts"), "How big is the engineering team?")
    assert "isn't specified" in reply and "assumption" in reply


def test_a_question_touching_two_facts_gets_both(bank: QuestionBank, real_embedder: Any) -> None:
    iv = EmbeddedInterviewer(real_embedder)
    reply = iv.clarify(q(bank, "email-thread-summary-inference-cost"),
                       "How many people would use it, and what does the model cost per token?")
    assert "a quarter of monthly actives" in reply and "$1 per million input tokens" in reply

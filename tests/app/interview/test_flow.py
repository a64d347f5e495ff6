"""The interview state machine with a fake grader: probes, skips, limits and what gets graded."""

from __future__ import annotations

import pytest

from app.content import Question, load_bank
from app.grading import from_question
from app.grading.types import CriterionResult, Overall, Scorecard
from app.interview import InterviewFlow, NothingToGrade, Said, SessionFinished, State, candidate_kind
from app.settings import ROOT
from tests.fakes import FakeGrader, HashEmbedder

_Q = load_bank([ROOT / "content" / "questions"]).get("support-reply-drafts")
assert _Q is not None
Q: Question = _Q
RUBRIC = from_question(Q)


def card(levels: dict[str, int]) -> Scorecard:
    return Scorecard(overall=Overall(score=50, band="approaching"),
                     criteria=[CriterionResult(id=c.id, name=c.name, level=levels.get(c.id, 2))
                               for c in RUBRIC.criteria])


def flow(cards: list[Scorecard], max_probes: int = 2) -> tuple[InterviewFlow, FakeGrader]:
    from app.interview import EmbeddedInterviewer

    g = FakeGrader(cards)
    return InterviewFlow(EmbeddedInterviewer(HashEmbedder()), g, max_probes), g


def say(turns: list[Said], state: State, text: str) -> Said:
    t = Said("candidate", candidate_kind(state, text), text)
    turns.append(t)
    return t


def test_opening_states_the_question_and_minutes() -> None:
    f, _ = flow([])
    (msg,) = f.open(Q)
    assert Q.prompt in msg.text and "20 minutes" in msg.text


def test_clarifying_question_is_answered_from_context_and_never_graded() -> None:
    f, g = flow([])
    turns: list[Said] = []
    say(turns, State.awaiting_answer, "How many tickets do they handle per month?")
    step = f.respond(State.awaiting_answer, Q, RUBRIC, turns, 0)
    assert step.state is State.awaiting_answer and "2 million tickets" in step.replies[0].text
    assert g.graded == []


def test_unknown_clarification_asks_the_candidate_to_assume() -> None:
    f, _ = flow([])
    turns: list[Said] = []
    say(turns, State.awaiting_answer, "Which cloud provider hosts the company's billing system?")
    step = f.respond(State.awaiting_answer, Q, RUBRIC, turns, 0)
    assert "isn't specified" in step.replies[0].text and "assumption" in step.replies[0].text


def test_probes_target_the_weakest_criteria_and_never_strong_ones() -> None:
    interim = card({"user_problem": 2, "solution_design": 3, "evaluation": 0, "risks": 1, "launch": 3})
    f, _ = flow([interim])
    turns: list[Said] = []
    say(turns, State.awaiting_answer, "I would draft replies for agents with retrieval over the help centre.")
    step = f.respond(State.awaiting_answer, Q, RUBRIC, turns, 0)
    assert step.state is State.follow_up and step.replies[-1].criterion_id == "evaluation"
    turns += step.replies
    say(turns, State.follow_up, "I'd track acceptance rate against a holdout group.")
    step = f.respond(State.follow_up, Q, RUBRIC, turns, step.probes_asked)
    assert step.replies[-1].criterion_id == "risks" and step.probes_asked == 2
    turns += step.replies
    say(turns, State.follow_up, "Invented refunds are the worst case, so drafts cite sources.")
    step = f.respond(State.follow_up, Q, RUBRIC, turns, step.probes_asked)
    assert step.state is State.ready_to_grade  # the limit of 2 probes is reached


def test_no_gap_probe_when_every_criterion_is_strong_only_a_stretch_probe() -> None:
    f, _ = flow([card({})])
    turns: list[Said] = []
    say(turns, State.awaiting_answer, "A complete answer about agents, drafts, evaluation, risks and rollout.")
    step = f.respond(State.awaiting_answer, Q, RUBRIC, turns, 0)
    assert step.state is State.follow_up
    assert [r.criterion_id for r in step.replies if r.kind == "probe"] == ["curveball-0"]


def test_skipping_a_probe_moves_on() -> None:
    f, _ = flow([card({"evaluation": 0, "risks": 0})], max_probes=1)
    turns: list[Said] = []
    say(turns, State.awaiting_answer, "I would draft replies for agents with retrieval over the help centre.")
    step = f.respond(State.awaiting_answer, Q, RUBRIC, turns, 0)
    turns += step.replies
    say(turns, State.follow_up, "skip")
    step = f.respond(State.follow_up, Q, RUBRIC, turns, step.probes_asked)
    assert step.state is State.ready_to_grade and turns[-1].kind == "skip"


def test_the_grade_covers_the_answer_and_every_probe_answer_but_not_questions() -> None:
    f, g = flow([card({"evaluation": 0})], max_probes=1)
    turns: list[Said] = []
    say(turns, State.awaiting_answer, "What is the budget per ticket?")
    say(turns, State.awaiting_answer, "First part of my answer about agents and drafts.")
    step = f.respond(State.awaiting_answer, Q, RUBRIC, turns, 0)
    turns += step.replies
    say(turns, State.follow_up, "Second part: acceptance rate against a holdout.")
    f.grade(RUBRIC, turns)
    assert g.graded[-1] == "First part of my answer about agents and drafts.\n\n" \
                          "Second part: acceptance rate against a holdout."


def test_graded_sessions_reject_messages_and_empty_ones_cannot_be_graded() -> None:
    f, _ = flow([])
    turns = [Said("candidate", "answer", "x")]
    with pytest.raises(SessionFinished):
        f.respond(State.graded, Q, RUBRIC, turns, 0)
    with pytest.raises(NothingToGrade):
        f.grade(RUBRIC, [Said("candidate", "clarifying_question", "How many users?")])

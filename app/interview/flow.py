"""The interview state machine, in plain Python: no HTTP, no database.

States: awaiting_answer -> (follow_up <-> ...) -> ready_to_grade -> graded. The flow takes the current state
and transcript and returns what the candidate's message was, what the interviewer says, and the next state.
The caller persists the candidate's turn before calling anything that grades, so an answer is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from app.content import Question
from app.grading import Grader, GradingRubric, Scorecard
from app.interview.classify import MessageKind, classify
from app.interview.interviewer import Interviewer

ANSWER_KINDS = ("answer", "probe_answer")


class State(str, Enum):
    awaiting_answer = "awaiting_answer"
    follow_up = "follow_up"
    ready_to_grade = "ready_to_grade"
    grading = "grading"  # a final grade is running: messages and other grades are refused until it ends
    graded = "graded"


class SessionFinished(Exception):
    """The session is graded; it accepts no more answers."""


class NothingToGrade(Exception):
    """Grading was asked for before the candidate answered."""


@dataclass(frozen=True)
class Said:
    role: str  # interviewer | candidate
    kind: str
    text: str
    criterion_id: str | None = None


@dataclass(frozen=True)
class Step:
    state: State
    probes_asked: int
    replies: list[Said] = field(default_factory=list)


def candidate_kind(state: State, text: str) -> str:
    """How a candidate message will be stored; decided before any grading so it can be persisted first."""
    kind = classify(text)
    if kind is MessageKind.clarifying:
        return "clarifying_question"
    if kind is MessageKind.skip:
        return "skip"
    return "probe_answer" if state is State.follow_up else "answer"


def answer_text(turns: list[Said]) -> str:
    """Everything the candidate answered (first answer, probe answers, additions), in order."""
    return "\n\n".join(t.text for t in turns if t.role == "candidate" and t.kind in ANSWER_KINDS)


class InterviewFlow:
    """`grader` gives the interim view that picks probes (the embedded one: fast and free); `judge`, when set,
    gives the final grade (the LLM judge or the ensemble)."""

    def __init__(self, interviewer: Interviewer, grader: Grader, max_probes: int = 2,
                 judge: Grader | None = None) -> None:
        self.interviewer = interviewer
        self.grader = grader
        self.max_probes = max_probes
        self.judge = judge

    def open(self, question: Question) -> list[Said]:
        return [Said("interviewer", "question", self.interviewer.opening(question))]

    def respond(self, state: State, question: Question, rubric: GradingRubric, turns: list[Said],
                probes_asked: int) -> Step:
        """React to the candidate turn that is last in `turns` (already persisted by the caller)."""
        if state is State.graded:
            raise SessionFinished("this interview is already graded")
        last = turns[-1]
        if last.kind == "clarifying_question":
            return Step(state, probes_asked, [Said("interviewer", "clarification",
                                                   self.interviewer.clarify(question, last.text))])
        if last.kind == "skip":
            if state is State.follow_up:
                note = Said("interviewer", "notice", self.interviewer.note("probe_skipped"))
                return self._next_probe(question, rubric, turns, probes_asked, lead=[note])
            if state is State.awaiting_answer and not answer_text(turns):
                return Step(state, probes_asked, [Said("interviewer", "notice", self.interviewer.note("need_answer"))])
            return Step(State.ready_to_grade, probes_asked,
                        [Said("interviewer", "notice", self.interviewer.note("ready"))])
        if state is State.ready_to_grade:
            return Step(state, probes_asked, [Said("interviewer", "notice", self.interviewer.note("added_to_answer"))])
        return self._next_probe(question, rubric, turns, probes_asked)

    def _next_probe(self, question: Question, rubric: GradingRubric, turns: list[Said], probes_asked: int,
                    lead: list[Said] | None = None) -> Step:
        lead = lead or []
        text = answer_text(turns)
        interim = self.grader.grade(rubric, text) if text else None
        if interim is not None and interim.abstained and interim.reason in ("empty", "trivial", "gibberish",
                                                                             "not_english", "restates_question"):
            return Step(State.awaiting_answer, probes_asked,
                        [*lead, Said("interviewer", "notice", interim.message or "")])
        asked = {t.criterion_id for t in turns if t.kind == "probe"}
        target = pick_probe(interim, rubric, asked) if interim and probes_asked < self.max_probes else None
        if target is None:
            note = "ready" if probes_asked else "ready_after_answer"
            return Step(State.ready_to_grade, probes_asked, [*lead, Said("interviewer", "notice",
                                                                         self.interviewer.note(note))])
        crit = next(c for c in rubric.criteria if c.id == target)
        return Step(State.follow_up, probes_asked + 1,
                    [*lead, Said("interviewer", "probe", self.interviewer.probe(question, crit), crit.id)])

    def grade(self, rubric: GradingRubric, turns: list[Said]) -> Scorecard:
        text = answer_text(turns)
        if not text:
            raise NothingToGrade("there is no answer to grade yet")
        return (self.judge or self.grader).grade(rubric, text)


def pick_probe(interim: Scorecard, rubric: GradingRubric, asked: set[str | None]) -> str | None:
    """The weakest criterion not yet probed, by weighted gap; never one already at level 2 or 3."""
    weights = rubric.weights
    weak = [c for c in interim.criteria if c.level <= 1 and c.id not in asked]
    if not weak:
        return None
    order = {c.id: i for i, c in enumerate(rubric.criteria)}
    return min(weak, key=lambda c: (c.level, -weights[c.id], order[c.id])).id

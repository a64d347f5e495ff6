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
from app.grading.scorecard import FLAG_TEXT
from app.interview.classify import MessageKind, classify
from app.interview.errors import NothingToGrade, SessionFinished
from app.interview.guide_help import GuideHelp
from app.interview.interviewer import Interviewer

ANSWER_KINDS = ("answer", "probe_answer")


class State(str, Enum):
    awaiting_answer = "awaiting_answer"
    follow_up = "follow_up"
    ready_to_grade = "ready_to_grade"
    grading = "grading"  # a final grade is running: messages and other grades are refused until it ends
    graded = "graded"


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
    """`grader` gives the interim view that picks probes and acknowledgements (the embedded one: fast and free);
    `judge`, when set, gives the final grade (the LLM judge or the ensemble); `guide`, when set, answers concept
    questions from the guide."""

    def __init__(self, interviewer: Interviewer, grader: Grader, max_probes: int = 2,
                 judge: Grader | None = None, guide: GuideHelp | None = None) -> None:
        self.interviewer = interviewer
        self.grader = grader
        self.max_probes = max_probes
        self.judge = judge
        self.guide = guide

    def open(self, question: Question) -> list[Said]:
        return [Said("interviewer", "question", self.interviewer.opening(question))]

    def respond(self, state: State, question: Question, rubric: GradingRubric, turns: list[Said],
                probes_asked: int) -> Step:
        """React to the candidate turn that is last in `turns` (already persisted by the caller)."""
        if state is State.graded:
            raise SessionFinished("this interview is already graded")
        last = turns[-1]
        if last.kind == "clarifying_question":
            return Step(state, probes_asked, [self._clarify(question, last.text)])
        if last.kind == "skip":
            if state is State.follow_up:
                note = Said("interviewer", "notice", self.interviewer.note("probe_skipped"))
                return self._next_probe(state, question, rubric, turns, probes_asked, lead=[note])
            if state is State.awaiting_answer and not answer_text(turns):
                return Step(state, probes_asked, [Said("interviewer", "notice", self.interviewer.note("need_answer"))])
            return Step(State.ready_to_grade, probes_asked,
                        [Said("interviewer", "notice", self.interviewer.note("ready"))])
        if state is State.ready_to_grade:
            return Step(state, probes_asked, [Said("interviewer", "notice", self.interviewer.note("added_to_answer"))])
        return self._next_probe(state, question, rubric, turns, probes_asked)

    def _clarify(self, question: Question, text: str) -> Said:
        """A concept the guide defines gets a brief cited answer; anything else is a question about the case."""
        note = self.guide.explain(text) if self.guide is not None else None
        if note is not None:
            return Said("interviewer", "guide_answer",
                        self.interviewer.note("guide_answer", answer=note.text, title=note.title), note.section_id)
        return Said("interviewer", "clarification", self.interviewer.clarify(question, text))

    def _next_probe(self, state: State, question: Question, rubric: GradingRubric, turns: list[Said], probes_asked: int,
                    lead: list[Said] | None = None) -> Step:
        lead = lead or []
        text = answer_text(turns)
        interim = self.grader.grade(rubric, text) if text else None
        if interim is None:
            return Step(State.awaiting_answer, probes_asked,
                        [*lead, Said("interviewer", "notice", self.interviewer.note("need_answer"))])
        done = {t.criterion_id for t in turns if t.kind in ("probe", "nudge")}
        nudge = nudge_for(interim, text, done)
        if nudge is not None:
            # An answer that is not yet an answer: ask for reasoning; no probe is spent and nothing is praised.
            back = State.awaiting_answer if interim.abstained else state
            return Step(back, probes_asked, [*lead, Said("interviewer", "nudge", self.interviewer.note(nudge), nudge)])
        if interim.abstained:  # the same unreadable answer again: say so plainly, without a second nudge
            return Step(State.awaiting_answer, probes_asked,
                        [*lead, Said("interviewer", "notice", interim.message or self.interviewer.note("need_answer"))])
        target = pick_probe(interim, rubric, done) if probes_asked < self.max_probes else None
        if target is not None:
            crit = next(c for c in rubric.criteria if c.id == target)
            return Step(State.follow_up, probes_asked + 1,
                        [*lead, Said("interviewer", "probe", self.interviewer.probe(question, crit), crit.id)])
        weak = any(c.level <= 1 for c in interim.criteria)
        stretch = None if weak or self.max_probes == 0 else pick_curveball(question, done)
        if stretch is not None:
            i, curveball = stretch
            said = self.interviewer.stretch(question, curveball, acknowledgement(self.interviewer, interim))
            return Step(State.follow_up, probes_asked + 1,
                        [*lead, Said("interviewer", "probe", said, f"curveball-{i}")])
        note = "ready_gaps" if weak else "ready_strong"
        return Step(State.ready_to_grade, probes_asked, [*lead, Said("interviewer", "notice",
                                                                     self.interviewer.note(note))])

    def grade(self, rubric: GradingRubric, turns: list[Said]) -> Scorecard:
        text = answer_text(turns)
        if not text:
            raise NothingToGrade("there is no answer to grade yet")
        return (self.judge or self.grader).grade(rubric, text)


# Screens whose interim view is not an answer yet, and the nudge each gets (asked at most once per interview).
ABSTAIN_NUDGES = {"trivial": "nudge_thin", "restates_question": "nudge_restated", "gibberish": "nudge_unreadable",
                  "empty": "nudge_thin"}
THIN_WORDS = 60  # fewer words than this, with a score below THIN_SCORE, is a thin answer
THIN_SCORE = 40.0


def nudge_for(interim: Scorecard, text: str, done: set[str | None]) -> str | None:
    """The nudge an interim grade calls for: a restated question, a keyword list, filler or a thin answer."""
    if interim.abstained:
        name = ABSTAIN_NUDGES.get(interim.reason or "")
    elif FLAG_TEXT["keywords_capped"] in interim.flags:
        name = "nudge_keywords"
    elif FLAG_TEXT["filler_ignored"] in interim.flags and _score(interim) < THIN_SCORE:
        name = "nudge_filler"
    elif len(text.split()) < THIN_WORDS and _score(interim) < THIN_SCORE:
        name = "nudge_thin"
    else:
        name = None
    return name if name is not None and name not in done else None


def _score(interim: Scorecard) -> float:
    return interim.overall.score if interim.overall is not None else 0.0


def pick_curveball(question: Question, done: set[str | None]) -> tuple[int, str] | None:
    """The first of the question's curveballs not yet asked; a strong answer gets at most one."""
    if any(d and d.startswith("curveball-") for d in done):
        return None
    return next(((i, cb.text) for i, cb in enumerate(question.curveballs)), None)


ACK_WORDS = 16


def acknowledgement(interviewer: Interviewer, interim: Scorecard) -> str:
    """A short, specific acknowledgement: the candidate's own words from their strongest point."""
    best = max(interim.criteria, key=lambda c: (bool(c.evidence), c.level, c.weight), default=None)
    quote = best.evidence[0].strip() if best is not None and best.evidence else ""
    words = quote.rstrip(".").split()
    if len(words) < 4:
        return interviewer.note("acknowledge_plain")
    short = " ".join(words[:ACK_WORDS]) + ("…" if len(words) > ACK_WORDS else "")
    return interviewer.note("acknowledge_quote", quote=short)


def pick_probe(interim: Scorecard, rubric: GradingRubric, asked: set[str | None]) -> str | None:
    """The weakest criterion not yet probed, by weighted gap; never one already at level 2 or 3."""
    weights = rubric.weights
    weak = [c for c in interim.criteria if c.level <= 1 and c.id not in asked]
    if not weak:
        return None
    order = {c.id: i for i, c in enumerate(rubric.criteria)}
    return min(weak, key=lambda c: (c.level, -weights[c.id], order[c.id])).id

"""Progress across interviews and the next question to practise, read from the stored final grades.

Only honest attempts count toward mastery: an abstained grade (nothing gradable) and a grade flagged for
gaming the grader (a keyword list, instructions to the grader, hidden or encoded text) are left
out, and listed as left out, so one gaming session cannot move a competency either way.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.content import Question, QuestionBank
from app.db import crud
from app.db.models import InterviewSession
from app.grading.scorecard import FLAG_TEXT
from app.interview.access import HISTORY_WINDOW, Access, question_view
from app.interview.errors import QuestionNotFound
from app.interview.progress import GradedSession, mastery, next_best, weakest

# Flags that only gaming produces. Not "rubric_echo_ignored" or "filler_ignored": an honest answer can have one
# sentence that sounds like the rubric or like filler, and it is still an honest attempt.
GAMING_FLAGS = frozenset(FLAG_TEXT[code] for code in ("instructions_ignored", "obfuscation_ignored",
                                                      "encoded_ignored", "keywords_capped"))


def left_out_reason(scorecard: dict[str, Any], abstained: bool) -> str | None:
    """Why a graded session does not count toward mastery, or None when it counts."""
    if abstained:
        return "abstained"
    if any(f in GAMING_FLAGS for f in scorecard.get("flags", [])):
        return "flagged"
    return None


class ProgressService:
    def __init__(self, access: Access) -> None:
        self.access = access

    def graded(self, db: Session, candidate_id: str) -> tuple[list[GradedSession], list[dict[str, Any]]]:
        """The sessions that count toward mastery, and those left out with the reason."""
        counted: list[GradedSession] = []
        left_out: list[dict[str, Any]] = []
        for s, g in crud.final_grades_for(session=db, candidate_id=candidate_id, window=HISTORY_WINDOW):
            reason = left_out_reason(g.scorecard, g.abstained)
            if reason is not None:
                left_out.append({"session_id": s.id, "question_id": s.question_id, "reason": reason,
                                 "completed_at": (s.completed_at or g.created_at).isoformat()})
                continue
            crits = g.scorecard.get("criteria", [])
            counted.append(GradedSession(s.id, s.question_id, s.question_type, s.completed_at or g.created_at,
                                         g.score, g.band,
                                         [(c.get("competency") or "", int(c["level"])) for c in crits]))
        return counted, left_out

    def choose_question(self, candidate_id: str | None, question_id: str | None, qtype: str | None,
                        level: str | None) -> Question:
        if question_id:
            return self.access.question(question_id)
        recent: list[str] = []
        graded: list[GradedSession] = []
        if candidate_id:
            with Session(self.access.engine) as db:
                recent = [s.question_id for s in reversed(crud.list_sessions(
                    session=db, candidate_id=candidate_id, limit=HISTORY_WINDOW))]
                graded, _ = self.graded(db, candidate_id)
        pool = [q for q in self.access.bank if (qtype is None or q.type.value == qtype)
                and (level is None or q.level.value == level)]
        if not pool:
            raise QuestionNotFound(f"no question matches type={qtype!r} level={level!r}")
        return next_best(QuestionBank({q.id: q for q in pool}, {}), mastery(graded), recent)

    def progress(self, candidate_id: str | None) -> dict[str, Any]:
        """Mastery and history over the newest HISTORY_WINDOW interviews; an unknown candidate has none."""
        graded: list[GradedSession] = []
        left_out: list[dict[str, Any]] = []
        sessions: list[InterviewSession] = []
        total = 0
        if candidate_id:
            with Session(self.access.engine) as db:
                graded, left_out = self.graded(db, candidate_id)
                sessions = crud.list_sessions(session=db, candidate_id=candidate_id, limit=HISTORY_WINDOW)
                total = crud.count_sessions(session=db, candidate_id=candidate_id)
        prog = mastery(graded)
        recent = [s.question_id for s in reversed(sessions)]
        suggestion = next_best(self.access.bank, prog, recent)
        return {
            "competencies": [{"competency": p.competency, "mastery": p.mastery, "sessions": p.sessions,
                              "history": [{"at": at, "mastery": m} for at, m in p.history]} for p in prog.values()],
            "weakest": weakest(prog)[:3],
            "history": [{"session_id": g.session_id, "question_id": g.question_id, "type": g.question_type,
                         "completed_at": g.completed_at.isoformat(), "score": g.score, "band": g.band}
                        for g in graded],
            "left_out": left_out,
            "sessions": total,
            "next_question": question_view(suggestion),
        }

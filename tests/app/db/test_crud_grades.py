"""Grades, per-criterion rows, disputes and the progress series, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import (
    Candidate,
    Grade,
    InterviewSession,
    add_dispute,
    create_session,
    criterion_grades,
    final_grades_for,
    get_or_create_candidate,
    latest_grade,
    list_disputes,
    save_grade,
)


def make_scorecard(score: float = 2.5, band: str = "meets", level: int = 2) -> dict[str, Any]:
    """The API's scorecard shape, with non-ASCII evidence to exercise the JSON columns."""
    return {
        "abstained": False,
        "reason": None,
        "overall": {"score": score, "band": band},
        "criteria": [
            {"id": "metric-choice", "name": "Picks a north-star metric", "competency": "metrics", "level": level,
             "weight": 0.6, "evidence": ["« retention à 7 jours » — quoted"], "missing": [], "study": ["metrics"]},
            {"id": "tradeoffs", "name": "Names trade-offs", "competency": "judgement", "level": 1, "weight": 0.4,
             "evidence": [], "missing": ["latency vs. quality 🧪"], "study": []},
        ],
        "flags": ["short_answer"],
        "grader": {"name": "embedded", "rubric_hash": "ab12", "code_version": "0.1.0"},
    }


def _session(db: Session, candidate: Candidate, question_id: str) -> InterviewSession:
    return create_session(session=db, candidate_id=candidate.id, question_id=question_id, question_type="metrics",
                          question_level="mid", state="ready_to_grade")


def test_save_grade_keeps_the_scorecard_and_writes_criterion_rows(engine: Engine, db: Session,
                                                                  interview: InterviewSession) -> None:
    scorecard = make_scorecard()
    grade = save_grade(session=db, session_id=interview.id, kind="final", scorecard=scorecard)
    with Session(engine) as fresh:
        stored = fresh.get(Grade, grade.id)
        rows = criterion_grades(session=fresh, grade_id=grade.id)
    assert stored is not None
    assert (stored.abstained, stored.reason, stored.score, stored.band) == (False, None, 2.5, "meets")
    assert stored.scorecard == scorecard
    assert stored.fingerprint == scorecard["grader"]
    assert [(r.criterion_id, r.competency, r.level, r.weight) for r in rows] == [
        ("metric-choice", "metrics", 2, 0.6), ("tradeoffs", "judgement", 1, 0.4)]
    assert rows[0].evidence == ["« retention à 7 jours » — quoted"]
    assert rows[1].missing == ["latency vs. quality 🧪"]


def test_save_grade_of_an_abstention(db: Session, interview: InterviewSession) -> None:
    scorecard = {"abstained": True, "reason": "answer too short to grade", "overall": None, "criteria": [],
                 "flags": [], "grader": {"name": "embedded"}}
    grade = save_grade(session=db, session_id=interview.id, kind="interim", scorecard=scorecard)
    assert (grade.abstained, grade.reason, grade.score, grade.band) == (True, "answer too short to grade", None, None)
    assert criterion_grades(session=db, grade_id=grade.id) == []


def test_latest_grade_by_kind(db: Session, interview: InterviewSession) -> None:
    assert latest_grade(session=db, session_id=interview.id) is None
    interim = save_grade(session=db, session_id=interview.id, kind="interim", scorecard=make_scorecard(1.0))
    save_grade(session=db, session_id=interview.id, kind="final", scorecard=make_scorecard(2.0))
    regraded = save_grade(session=db, session_id=interview.id, kind="final", scorecard=make_scorecard(3.0))
    assert latest_grade(session=db, session_id=interview.id) == regraded
    assert latest_grade(session=db, session_id=interview.id, kind="interim") == interim
    with pytest.raises(ValueError, match="kind"):
        save_grade(session=db, session_id=interview.id, kind="draft", scorecard=make_scorecard())


def test_disputes_listed_per_session_and_overall(db: Session, candidate: Candidate) -> None:
    first, second = _session(db, candidate, "q1"), _session(db, candidate, "q2")
    g1 = save_grade(session=db, session_id=first.id, kind="final", scorecard=make_scorecard())
    g2 = save_grade(session=db, session_id=second.id, kind="final", scorecard=make_scorecard())
    long_reason = "J'ai bien cité la rétention — 見てください. " * 500
    upheld = add_dispute(session=db, session_id=first.id, grade_id=g1.id, criterion_id="tradeoffs",
                         reason=long_reason, decision="upheld", old_level=1, new_level=2,
                         explanation="The answer names latency versus quality.")
    rejected = add_dispute(session=db, session_id=second.id, grade_id=g2.id, criterion_id="metric-choice",
                           reason="too harsh", decision="rejected", old_level=2, new_level=2,
                           explanation="No metric is named.")
    assert list_disputes(session=db, session_id=first.id) == [upheld]
    assert [d.id for d in list_disputes(session=db)] == [upheld.id, rejected.id]
    assert list_disputes(session=db, session_id=first.id)[0].reason == long_reason
    with pytest.raises(ValueError, match="decision"):
        add_dispute(session=db, session_id=first.id, grade_id=g1.id, criterion_id="x", reason="r",
                    decision="pending", old_level=1, new_level=1, explanation="")


def test_final_grades_for_is_one_latest_final_per_session_oldest_first(db: Session, candidate: Candidate) -> None:
    older, newer, ungraded = (_session(db, candidate, q) for q in ("q1", "q2", "q3"))
    save_grade(session=db, session_id=newer.id, kind="final", scorecard=make_scorecard(3.0))
    save_grade(session=db, session_id=older.id, kind="interim", scorecard=make_scorecard(0.5))
    save_grade(session=db, session_id=older.id, kind="final", scorecard=make_scorecard(1.0))
    regrade = save_grade(session=db, session_id=older.id, kind="final", scorecard=make_scorecard(1.5))
    stranger, _ = get_or_create_candidate(session=db, token=None)
    save_grade(session=db, session_id=_session(db, stranger, "q1").id, kind="final", scorecard=make_scorecard())

    pairs = final_grades_for(session=db, candidate_id=candidate.id)
    assert [(s.id, g.score) for s, g in pairs] == [(older.id, 1.5), (newer.id, 3.0)]
    assert pairs[0][1].id == regrade.id
    assert ungraded.id not in {s.id for s, _ in pairs}

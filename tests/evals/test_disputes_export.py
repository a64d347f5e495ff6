"""`python -m evals disputes export` writes every stored dispute as JSONL with the answer it concerns."""

from __future__ import annotations

import json

from sqlmodel import Session

from app.db import add_dispute, add_turn, create_session, get_or_create_candidate, make_engine, save_grade, upgrade
from evals.disputes import export_jsonl


def test_export_writes_one_line_per_dispute(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with Session(engine) as db:
        cand, _ = get_or_create_candidate(session=db, token=None)
        s = create_session(session=db, candidate_id=cand.id, question_id="q1", question_type="tradeoffs",
                           question_level="pm", state="graded")
        add_turn(session=db, session_id=s.id, role="candidate", kind="answer", text="My answer \u2014 with detail.")
        g = save_grade(session=db, session_id=s.id, kind="final", scorecard={
            "abstained": False, "overall": {"score": 50.0, "band": "approaching"}, "criteria": [], "grader": {}})
        add_dispute(session=db, session_id=s.id, grade_id=g.id, criterion_id="c1", reason="I covered it",
                    decision="rejected", old_level=1, new_level=1, explanation="No further evidence.")
    rows = [json.loads(line) for line in export_jsonl(engine).splitlines()]
    assert len(rows) == 1
    assert rows[0]["answer"] == "My answer \u2014 with detail." and rows[0]["question_id"] == "q1"
    assert rows[0]["decision"] == "rejected" and rows[0]["criterion_id"] == "c1"
    engine.dispose()

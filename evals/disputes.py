"""Exporting stored disputes as JSONL, so contested grades can be reviewed and added to the labelled set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import crud
from app.db.models import InterviewSession


def dispute_rows(engine: Engine) -> Iterator[dict[str, Any]]:
    with Session(engine) as db:
        for d in crud.list_disputes(session=db):
            interview = db.get(InterviewSession, d.session_id)
            answer = "\n\n".join(t.text for t in crud.list_turns(session=db, session_id=d.session_id)
                                 if t.role == "candidate" and t.kind in ("answer", "probe_answer"))
            yield {"id": d.id, "session_id": d.session_id,
                   "question_id": interview.question_id if interview else None, "criterion_id": d.criterion_id,
                   "answer": answer, "reason": d.reason, "decision": d.decision, "old_level": d.old_level,
                   "new_level": d.new_level, "explanation": d.explanation, "created_at": d.created_at.isoformat()}


def export_jsonl(engine: Engine) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in dispute_rows(engine))

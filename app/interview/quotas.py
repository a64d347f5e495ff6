"""Per-candidate quotas, counted in the database so that every app process sees the same numbers.

Rate limits (app/ratelimit.py) bound how fast anyone may call; these bound how much one candidate may store:
new interviews per day, messages and characters per interview, disputes per criterion. Each check raises
QuotaExceeded (a 429), with Retry-After only where waiting helps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from app.db import crud
from app.db.models import utcnow
from app.interview.errors import QuotaExceeded
from app.settings import Settings

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Quotas:
    sessions_per_day: int = 50
    turns_per_session: int = 40
    chars_per_session: int = 60_000
    disputes_per_criterion: int = 2

    @classmethod
    def from_settings(cls, s: Settings) -> Quotas:
        return cls(s.quota_sessions_per_day, s.quota_turns_per_session, s.quota_chars_per_session,
                   s.quota_disputes_per_criterion)

    def check_new_session(self, db: Session, candidate_id: str) -> None:
        since = utcnow() - DAY
        started = crud.sessions_since(session=db, candidate_id=candidate_id, since=since)
        if len(started) >= self.sessions_per_day:
            # The window frees a slot when the oldest interview in it turns 24 hours old.
            wait = (started[-self.sessions_per_day] + DAY - utcnow()).total_seconds()
            raise QuotaExceeded(f"you have started {len(started)} interviews in the last 24 hours; the limit is "
                                f"{self.sessions_per_day}", retry_after=max(1, int(wait) + 1))

    def check_message(self, db: Session, session_id: str, text: str) -> None:
        used = crud.candidate_usage(session=db, session_id=session_id)
        if used.turns >= self.turns_per_session:
            raise QuotaExceeded(f"this interview already has {used.turns} of your messages; the limit is "
                                f"{self.turns_per_session}. Ask for your grade or start a new interview")
        if used.chars + len(text) > self.chars_per_session:
            raise QuotaExceeded(f"this message would bring the interview to {used.chars + len(text)} characters; "
                                f"the limit is {self.chars_per_session}")

    def check_dispute(self, db: Session, session_id: str, criterion_id: str) -> None:
        filed = crud.count_disputes(session=db, session_id=session_id, criterion_id=criterion_id)
        if filed >= self.disputes_per_criterion:
            raise QuotaExceeded(f"{criterion_id!r} has already been contested {filed} times; the limit is "
                                f"{self.disputes_per_criterion}")

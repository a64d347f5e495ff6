"""Progress across sessions: mastery per competency, the question history, and the next best question."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from app.content import Competency, Question, QuestionBank

DECAY = 0.7  # each older session counts 0.7x the next newer one: recent practice dominates, history still counts


@dataclass(frozen=True)
class GradedSession:
    session_id: str
    question_id: str
    question_type: str
    completed_at: datetime
    score: float | None
    band: str | None
    levels: list[tuple[str, int]]  # (competency, level) per criterion


@dataclass
class CompetencyProgress:
    competency: str
    mastery: float | None  # recency-weighted mean level, 0-3; None when never practised
    sessions: int = 0
    history: list[tuple[str, float]] = field(default_factory=list)  # (completed_at ISO, mastery after it)


def mastery(sessions: list[GradedSession]) -> dict[str, CompetencyProgress]:
    """Oldest first in; a session's mean level per competency, averaged with weights DECAY**age."""
    out = {c.value: CompetencyProgress(c.value, None) for c in Competency}
    per: dict[str, list[float]] = {c: [] for c in out}
    for s in sorted(sessions, key=lambda s: s.completed_at):
        by_comp: dict[str, list[int]] = {}
        for comp, level in s.levels:
            by_comp.setdefault(comp, []).append(level)
        for comp, levels in by_comp.items():
            if comp not in out:
                continue
            per[comp].append(sum(levels) / len(levels))
            vals = per[comp]
            weights = [DECAY ** (len(vals) - 1 - i) for i in range(len(vals))]
            m = sum(w * v for w, v in zip(weights, vals)) / sum(weights)
            p = out[comp]
            p.mastery, p.sessions = round(m, 3), len(vals)
            p.history.append((s.completed_at.isoformat(), round(m, 3)))
    return out


def weakest(progress: dict[str, CompetencyProgress]) -> list[str]:
    """Never-practised competencies first, then by ascending mastery."""
    return sorted(progress, key=lambda c: (progress[c].mastery is not None, progress[c].mastery or 0.0, c))


def next_best(bank: QuestionBank, progress: dict[str, CompetencyProgress], recent: list[str],
              avoid_last: int = 10) -> Question:
    """A question exercising the weakest competency, skipping the last `avoid_last` questions seen."""
    recent_set = set(recent[-avoid_last:])
    pool = [q for q in bank if q.id not in recent_set] or list(bank)
    order = weakest(progress)
    rank = {c: i for i, c in enumerate(order)}

    def key(q: Question) -> tuple[int, int, str]:
        comps = [c.competency.value for c in q.rubric]
        best = min(rank.get(c, len(rank)) for c in comps)
        share = -sum(c == order[min(best, len(order) - 1)] for c in comps)
        # A stable per-history tie-break so repeated requests don't always return the same first question.
        salt = hashlib.sha256(f"{len(recent)}:{q.id}".encode()).hexdigest()
        return best, share, salt

    chosen: Question = min(pool, key=key)
    return chosen

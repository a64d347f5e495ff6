"""The hidden-facts check: a rubric may only reward facts the candidate can learn from the prompt or its context.

A level anchor that names a number ("the 14% disagreement", "$0.40 x 3 pushes") which appears neither in the
prompt nor in any context fact asks for something no clarifying question can reveal. A number is accepted when
- it is disclosed: it appears in the prompt or the context (10M, 10 million and 10,000,000 are the same number);
- it is derived: one step (a product, a ratio, a share, the complement of a share, or a sum or difference of
  two numbers above 5, since adding a count such as 3 reaches almost any number near a given one) over
  disclosed numbers and numbers written earlier in the same anchor, within 2%; or
- the anchor marks it as the candidate's own estimate or choice: the clause it sits in (back to the last
  bracket, full stop, semicolon or colon) says "=", "≈", "~", "about", "roughly", "around", "e.g.", "for
  example", "such as" or "say"; or it is a unit ("per 1,000 conversations").
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from app.content.models import Question

_NUM = re.compile(r"(?<![\w.])[$£€]?(\d[\d,]*(?:\.\d+)?)\s?(%|k\b|m\b|million\b|bn\b|billion\b|thousand\b)?", re.I)
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
_MARKED = re.compile(r"(=|≈|~|->|→|\babout\b|\broughly\b|\baround\b|\be\.g\.|\bfor example\b|\bsuch as\b|\bsay\b|"
                     r"\bcall it\b)", re.I)
_UNIT = re.compile(r"\bper\s*$", re.I)  # "reports per 1,000 conversations": a unit of the candidate's choosing
_CLAUSE_START = re.compile(r"[(.;:]\s")
TOLERANCE = 0.02


@dataclass(frozen=True)
class HiddenFact:
    criterion_id: str
    level: int
    number: str

    def __str__(self) -> str:
        return (f"field rubric[{self.criterion_id}].levels[{self.level}]: needs {self.number!r}, which is neither in "
                f"the prompt nor in its context (disclose it in `context`, or mark it as the candidate's estimate)")


def _value(digits: str, unit: str | None) -> float | None:
    try:
        v = float(digits.replace(",", "").rstrip(",."))
    except ValueError:
        return None
    return v * _SCALE.get((unit or "").lower(), 1.0)


def numbers(text: str) -> list[tuple[float, str, int]]:
    """(value, as written, position) for every number in `text`; years and list markers are skipped."""
    out = []
    for m in _NUM.finditer(text):
        v = _value(m.group(1), m.group(2))
        if v is None or (1900 <= v <= 2100 and "." not in m.group(1) and not m.group(2)):
            continue
        out.append((v, m.group(0).strip(), m.start()))
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(abs(a), abs(b), 1e-9)


def _steps(pool: list[float]) -> set[float]:
    out: set[float] = set()
    for a, b in itertools.permutations(pool, 2):
        out.update((a * b, a * b / 100, a * (100 - b) / 100))
        if not (_small(a) or _small(b)):  # "40 - 3" reaches any number near a given one; "6.3 - 4.1" is a finding
            out.update((a + b, a - b))
        if b:
            out.add(a / b)
    return out


def _derivable(v: float, pool: list[float]) -> bool:
    if any(_close(v, p) for p in pool):
        return True
    # One step only: a longer chain must be written out in the anchor, whose numbers then join the pool.
    return any(_close(v, r) for r in _steps(pool))


def _marked(anchor: str, pos: int) -> bool:
    before = anchor[:pos]
    starts = [m.end() for m in _CLAUSE_START.finditer(before)]
    clause = before[starts[-1] if starts else 0:]
    return bool(_MARKED.search(clause) or _UNIT.search(before))


def _small(v: float) -> bool:
    # Counts such as "one or two", "3 options" or "level 2" are wording, not facts about the case.
    return v <= 5 and float(v).is_integer()


def hidden_facts(q: Question) -> list[HiddenFact]:
    public_text = " ".join([q.prompt, *(f.fact for f in q.context)])
    public = [v for v, _, _ in numbers(public_text)]
    found: list[HiddenFact] = []
    for c in q.rubric:
        for level, anchor in sorted(c.levels.items()):
            earlier: list[float] = []
            for v, raw, pos in numbers(anchor):
                ok = _small(v) or _marked(anchor, pos) or _derivable(v, public + earlier)
                if not ok:
                    found.append(HiddenFact(c.id, level, raw))
                earlier.append(v)
    return found

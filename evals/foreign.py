"""The foreign-rubric set: questions the bank has never seen, with rubrics written in other styles.

Each line of evals/datasets/foreign/foreign.jsonl holds a question, an inline rubric (level anchors as a list, a
dict, or absent; sometimes on a scale other than 0-3; never cues), a reference answer, one answer and its human
score 0-4, labelled before grading. Items are graded through `from_inline`, exactly as POST /api/grade does.

The human band comes from the score: 0-4 maps to 0, 25, 50, 75, 100 on the 0-100 scale, then the usual band
cuts. The foreign set is for measuring only: its items are in the `test` split and nothing is ever fitted on
it. `foreign_calib.jsonl` has the same shape, other questions and `"split": "calib"` on every row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.content import band_for
from app.grading.errors import InvalidRubric
from app.grading.inline import from_inline
from evals.items import EvalItem

FOREIGN = Path(__file__).parent / "datasets" / "foreign" / "foreign.jsonl"
# The same style by another hand, on other questions, for fitting and diagnosis (its rows say split "calib").
FOREIGN_CALIB = Path(__file__).parent / "datasets" / "foreign_calib" / "foreign_calib.jsonl"
REQUIRED = ("id", "question", "answer", "score")


def _item(d: dict[str, Any]) -> EvalItem:
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    lo, hi = (float(x) for x in d.get("scale") or (0, 4))
    score = d["score"]
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not lo <= score <= hi or hi <= lo:
        raise ValueError(f"score: {score!r} is not a number in [{lo:g}, {hi:g}]")
    score01 = (float(score) - lo) / (hi - lo)
    try:
        rubric = from_inline(d["question"], d.get("rubric") or None, d.get("reference_answer"))
    except InvalidRubric as exc:
        raise ValueError(f"rubric: {exc}") from None
    kind = str(d.get("kind") or "genuine")
    return EvalItem(id=str(d["id"]), rubric=rubric, answer=str(d["answer"]), split=str(d.get("split") or "test"),
                    kind=kind,
                    source="foreign", score01=score01, scale=(lo, hi), band=band_for(100 * score01).value,
                    expected=d.get("expected") or None)


def load_foreign(path: Path = FOREIGN) -> list[EvalItem]:
    """Every item of the foreign set; a bad line stops the load with its line number and what is wrong."""
    if not path.exists():
        raise ValueError(f"{path} does not exist yet")
    items: list[EvalItem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(_item(json.loads(line)))
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"{path.name}:{n}: {exc}") from None
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: item ids must be unique")
    return items

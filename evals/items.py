"""Evaluation items: one shape for the gold set and for external datasets.

Gold = the question bank's exemplars + evals/datasets/gold/*.jsonl (more labelled answers and the adversarial
slice). Items inherit the split of their question (split_of), so `calib` and `test` never share a rubric.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.content import QuestionBank, band_for, load_bank, overall_score
from app.grading.rubric import GradingRubric, from_question

GOLD_DIR = Path(__file__).parent / "datasets" / "gold"


def split_of(question_id: str) -> str:
    """About 70% of questions calibrate, 30% are held out; stable across runs and machines."""
    return "calib" if int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % 10 < 7 else "test"


class EvalItem(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    id: str
    rubric: GradingRubric
    answer: str
    split: str = "all"
    kind: str = "normal"
    source: str = ""  # gold: exemplars, answers or adversarial; external: the file's name
    qtype: str | None = None
    level: str | None = None
    competencies: dict[str, str] = {}  # criterion id -> competency
    levels: dict[str, int] | None = None  # human criterion levels (gold)
    band: str | None = None  # human band (gold)
    score01: float | None = None  # human score on 0-1 (external scored datasets)
    scale: tuple[float, float] | None = None
    label: str | None = None  # human label (external labelled datasets)
    expected: dict[str, Any] | None = None  # adversarial expectation: {"abstain": true} or {"max_band": band}

    @property
    def human_score(self) -> float | None:
        """0-100 from the levels when labelled with levels, else the normalised score."""
        if self.levels is not None:
            return overall_score(self.levels, self.rubric.weights)
        return None if self.score01 is None else 100 * self.score01


def _question_item(bank: QuestionBank, qid: str, **kw: Any) -> EvalItem:
    q = bank.get(qid)
    if q is None:
        raise ValueError(f"unknown question {qid!r}")
    return EvalItem(rubric=from_question(q), split=split_of(qid), qtype=q.type.value, level=q.level.value,
                    competencies={c.id: c.competency.value for c in q.rubric}, **kw)


def load_gold(questions_dir: Path, gold_dir: Path = GOLD_DIR) -> list[EvalItem]:
    """Exemplars plus the extra labelled answers; validates every label against its rubric."""
    bank = load_bank([questions_dir])
    items = [_question_item(bank, q.id, id=f"{q.id}/{e.id}", answer=e.text, kind="normal", levels=dict(e.levels),
                            band=e.band.value, source="exemplars") for q in bank for e in q.exemplars]
    for f in sorted(gold_dir.glob("*.jsonl")):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                item = _question_item(bank, d["question_id"], id=d["id"], answer=d["answer"],
                                      kind=d.get("kind", "normal"), levels=d.get("levels"), band=d.get("band"),
                                      expected=d.get("expected"), source=f.stem)
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{f.name}:{n}: {exc}") from None
            if item.levels is not None:
                if set(item.levels) != set(item.rubric.weights):
                    raise ValueError(f"{f.name}:{n}: levels must cover exactly the question's criteria")
                if item.band != band_for(overall_score(item.levels, item.rubric.weights)).value:
                    raise ValueError(f"{f.name}:{n}: band does not follow from the levels")
            items.append(item)
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise ValueError("gold item ids must be unique")
    return items


def dataset_hash(items: list[EvalItem]) -> str:
    h = hashlib.sha256()
    for it in items:
        h.update(json.dumps([it.id, it.answer, it.levels, it.band, it.score01, it.label, it.expected,
                             it.rubric.content_hash()], sort_keys=True).encode())
    return h.hexdigest()[:16]


def load_external_items(path: Path) -> list[EvalItem]:
    """An external JSONL dataset (evals/README.md) as eval items, graded through the stateless grading path."""
    from evals.external import load_external, normalised_score, to_rubric

    out = []
    for x in load_external(path):
        scored = x.score is not None and x.scale_min is not None and x.scale_max is not None
        scale = (float(x.scale_min or 0), float(x.scale_max or 0)) if scored else None
        out.append(EvalItem(id=x.id, rubric=to_rubric(x), answer=x.answer, split=x.split or "all",
                            kind=x.kind or "normal", score01=normalised_score(x), scale=scale, label=x.label,
                            expected=dict(x.expected) if x.expected else None, source=path.stem))
    return out

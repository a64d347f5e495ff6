"""Disputes re-read what the candidate points to: fair ones raise a level, unfair ones never do.

Runs the labelled disputes of the calibration split (evals/datasets/disputes) and the dispute calibration set
(evals/datasets/disputes_calib, written blind for tuning) through `recheck`; the held-out test split is reported by
`python -m evals.feedback --split test`, never asserted on here.
"""

from __future__ import annotations

import json

import pytest

from app.content import QuestionBank
from app.grading import EmbeddedGrader
from app.grading.dispute import recheck
from app.grading.rubric import from_question
from app.settings import ROOT

DISPUTES = ROOT / "evals" / "datasets" / "disputes" / "disputes.jsonl"
DISPUTES_CALIB = ROOT / "evals" / "datasets" / "disputes_calib" / "disputes_calib.jsonl"


@pytest.mark.parametrize("path,fair_floor", [(DISPUTES, 0.8), (DISPUTES_CALIB, 0.65)])
def test_calibration_disputes_uphold_fair_ones_and_no_unfair_one(grader: EmbeddedGrader, bank: QuestionBank,
                                                                 path, fair_floor: float) -> None:  # type: ignore[no-untyped-def]
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    outcomes: dict[bool, list[bool]] = {True: [], False: []}
    for r in (r for r in rows if r["split"] == "calib"):
        q = bank.get(r["question_id"])
        assert q is not None, r["id"]
        d = recheck(grader, from_question(q), r["answer"], r["criterion_id"], r["claimed_level"], r["reason"])
        outcomes[r["fair"]].append(d.decision == "upheld")
        assert d.new_level in (r["claimed_level"], r["claimed_level"] + 1)
        assert d.explanation
    assert outcomes[False] and not any(outcomes[False])
    assert len(outcomes[True]) >= 5 and sum(outcomes[True]) / len(outcomes[True]) >= fair_floor

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
from app.grading.inline import from_inline
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


MONITORING = [
    {"id": "monitoring", "description": "Monitors the model in production and acts on what it finds.",
     "levels": {"0": "No monitoring.", "1": "Says the model should be monitored for drift and retrained.",
                "2": "Names the signals watched (feature drift, precision on audited cases), thresholds that trigger "
                     "action, and who acts.",
                "3": "Also ties retraining to labelled outcomes with a schedule and a rollback plan."}},
    {"id": "users", "description": "Names who relies on the model and what a miss costs them.",
     "levels": {"1": "Mentions customers.", "2": "Separates customers who lose money from analysts who review alerts.",
                "3": "Also prices a missed fraud against a false block."}},
]
VAGUE = "Drift is something we would keep an eye on, with a retrain every so often when things look off."
SPECIFIC = ("Each week we compare feature distributions with PSI and alert the analyst lead when it passes 0.2 or when "
            "precision on the audited sample drops by three points.")


def test_a_quote_that_reads_like_the_level_held_does_not_raise_it(grader: EmbeddedGrader) -> None:
    """A vague sentence is close to the next anchor by topic, and closer still to the level it was given."""
    rubric = from_inline("A bank's fraud model launched last year. How would you keep it working in production?",
                         MONITORING, "Analysts review alerts and customers lose money on a miss. Watch weekly feature "
                         "drift and precision on audited cases; alert the on-call analyst lead when precision falls "
                         "3 points. Retrain monthly on confirmed outcomes and keep the last model for rollback.")
    answer = ("Customers lose money when fraud is missed, and analysts drown when we block good payments. "
              f"{VAGUE} {SPECIFIC}")
    vague = recheck(grader, rubric, answer, "monitoring", 1, f'I did more than name it: "{VAGUE}"')
    assert vague.decision == "rejected" and vague.new_level == 1
    assert "reads like level 1 (Says the model should be monitored" in vague.explanation
    specific = recheck(grader, rubric, answer, "monitoring", 1, f'My monitoring is specific: "{SPECIFIC}"')
    assert specific.decision == "upheld" and specific.new_level == 2
    assert "Monitors the model in production and acts on what it finds," in specific.explanation  # no "finds.."

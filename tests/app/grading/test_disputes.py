"""Disputes re-read what the candidate points to: fair ones raise a level, unfair ones never do.

Runs the labelled disputes of the calibration split (evals/datasets/disputes) and the dispute calibration set
(evals/datasets/disputes_calib, written blind for tuning) through `recheck`; the held-out test split is reported by
`python -m evals.feedback --split test`, never asserted on here.
"""

from __future__ import annotations

import json

import pytest

from app.content import QuestionBank
from app.grading import EmbeddedGrader, GradingRubric
from app.grading.dispute import contest, recheck
from app.grading.errors import NothingToContest, UnknownCriterion
from app.grading.inline import from_inline
from app.grading.rubric import from_question
from app.settings import ROOT
from tests.app.grading.test_gaming import PADDING, padded

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


def _monitoring() -> tuple[GradingRubric, str]:
    rubric = from_inline("A bank's fraud model launched last year. How would you keep it working in production?",
                         MONITORING, "Analysts review alerts and customers lose money on a miss. Watch weekly feature "
                         "drift and precision on audited cases; alert the on-call analyst lead when precision falls "
                         "3 points. Retrain monthly on confirmed outcomes and keep the last model for rollback.")
    answer = ("Customers lose money when fraud is missed, and analysts drown when we block good payments. "
              f"{VAGUE} {SPECIFIC}")
    return rubric, answer


def test_a_quote_that_reads_like_the_level_held_does_not_raise_it(grader: EmbeddedGrader) -> None:
    """A vague sentence is close to the next anchor by topic, and closer still to the level it was given."""
    rubric, answer = _monitoring()
    vague = recheck(grader, rubric, answer, "monitoring", 1, f'I did more than name it: "{VAGUE}"')
    assert vague.decision == "rejected" and vague.new_level == 1
    assert "reads like level 1 (Says the model should be monitored" in vague.explanation
    specific = recheck(grader, rubric, answer, "monitoring", 1, f'My monitoring is specific: "{SPECIFIC}"')
    assert specific.decision == "upheld" and specific.new_level == 2
    assert "Monitors the model in production and acts on what it finds," in specific.explanation  # no "finds.."


def test_stateless_disputes_are_decided_in_order_against_the_card_the_earlier_ones_left(
        grader: EmbeddedGrader) -> None:
    """POST /api/grade/disputes stores nothing, so a request carries its earlier disputes; each is re-read again."""
    rubric, answer = _monitoring()
    graded = grader.grade(rubric, answer)
    # A card that gave monitoring level 1 (as a judge model might): the specific sentence earns level 2 back.
    card = graded.model_copy(update={"criteria": [c.model_copy(update={"level": 1}) if c.id == "monitoring" else c
                                                  for c in graded.criteria]})
    fair = ("monitoring", f'My monitoring is specific: "{SPECIFIC}"')
    [d], raised = contest(grader, rubric, answer, card, [fair])
    assert (d.decision, d.old_level, d.new_level) == ("upheld", 1, 2)
    assert SPECIFIC in d.checked
    assert next(c for c in raised.criteria if c.id == "monitoring").level == 2
    assert raised.overall is not None and card.overall is not None
    # The same dispute again meets the raised card (level 2 now), so it is judged against level 3 and the raise
    # stays; a later dispute on another criterion keeps it too.
    decisions, again = contest(grader, rubric, answer, card, [fair, fair, ("users", "I named both groups.")])
    assert [x.old_level for x in decisions[:2]] == [1, 2] and decisions[1].decision == "rejected"
    assert next(c for c in again.criteria if c.id == "monitoring").level == 2
    with pytest.raises(UnknownCriterion, match="'monitoring', 'users'"):
        contest(grader, rubric, answer, card, [("nope", "I covered it")])
    abstained = grader.grade(rubric, "ok")
    assert abstained.abstained
    with pytest.raises(NothingToContest):
        contest(grader, rubric, "ok", abstained, [fair])


def test_a_reason_quoting_a_sentence_that_earned_nothing_is_told_why(grader: EmbeddedGrader,
                                                                     bank: QuestionBank) -> None:
    """It was told that the reason quoted nothing, when it quoted the answer word for word."""
    q = bank.get("support-reply-drafts")
    assert q is not None
    rubric = from_question(q)
    talk = PADDING[1][0]
    answer = padded(next(e.text for e in q.exemplars if e.quality.value != "strong"))
    card = grader.grade(rubric, answer)
    assert any(f"\u201c{talk}\u201d" in f for f in card.flags)  # the scorecard named it as general talk
    crit = next(c for c in card.criteria if c.level < 3)
    d = recheck(grader, rubric, answer, crit.id, crit.level, f'I also said "{talk}"')
    assert d.decision == "rejected"
    assert d.explanation.startswith(f"\u201c{talk}\u201d read as general talk"), d.explanation
    assert "does not quote or point" not in d.explanation


def test_a_criterion_given_no_anchors_is_told_what_its_next_level_asks_in_its_own_terms(
        grader: EmbeddedGrader) -> None:
    rubric = from_inline("How would you keep a fraud model working after launch?",
                         ["Monitoring: drift signals, alert thresholds and who acts"])
    answer = "We watch weekly drift in the transaction features. " + SPECIFIC
    d = recheck(grader, rubric, answer, rubric.criteria[0].id, 2, f'I wrote "{SPECIFIC}"')
    assert "Excellent: developed with specifics" not in d.explanation
    assert "drift signals, alert thresholds and who acts" in d.explanation, d.explanation



@pytest.mark.parametrize("question_id,exemplar_id,talk", [
    ("pull-request-ai-reviewer", "mixed-bullets",
     "Honestly, evaluating the drafts well is so important, and it is often overlooked by teams."),
    ("motor-claims-auto-approval-threshold", "weak-non-native",
     "Measuring whether the drafts really help agents is honestly the heart of this whole feature."),
    ("meeting-recap-action-items", "mixed-bullets",
     "Measuring whether the drafts really help agents is honestly the heart of this whole feature."),
])
def test_a_platitude_quoted_in_a_dispute_does_not_raise_a_level(grader: EmbeddedGrader, bank: QuestionBank,
                                                                 question_id: str, exemplar_id: str, talk: str) -> None:
    """An on-topic platitude lifted the re-grade through the windows it joined, and the dispute was upheld (these
    three were; `python -m evals.platitude_probe --disputes` counts the rest)."""
    q = bank.get(question_id)
    assert q is not None
    rubric = from_question(q)
    answer = f"{next(e.text for e in q.exemplars if e.id == exemplar_id)}\n\n{talk}"
    for c in grader.grade(rubric, answer).criteria:
        if c.level < 3:
            d = recheck(grader, rubric, answer, c.id, c.level, f'I wrote "{talk}"')
            assert d.decision == "rejected", (c.id, d.explanation)

"""The scorecard builder: levels reported on the rubric's own scale, and next-level advice that names a new goal."""

from __future__ import annotations

from app.grading import from_inline
from app.grading.scorecard import (
    BELOW_BAR,
    FLAG_TEXT,
    LEGACY_PADDING_TEXT,
    build,
    filler_note,
    next_step,
    raise_level,
    rescore,
)
from app.grading.types import CriterionResult

RUBRIC = from_inline("Predict lift breakdowns", [
    {"id": "failure_def", "description": "Defines the predicted event",
     "levels": {"0": "undefined", "1": "loosely defined", "2": "operational definition with timing"}},
    {"id": "labels", "description": "Derives labels", "levels": ["none", "guessed", "derived from logs", "audited"]},
])


def _result(cid: str, level: int) -> CriterionResult:
    return CriterionResult(id=cid, name=cid, level=level)


def test_a_card_reports_levels_on_the_rubrics_own_scale_too() -> None:
    card = build(RUBRIC, [_result("failure_def", 3), _result("labels", 2)], [], {})
    own, plain = card.criteria
    assert (own.level, own.scale, own.scale_level) == (3, (0, 2), 2)
    assert (plain.scale, plain.scale_level) == (None, None)  # a 0-3 rubric needs no second number
    assert card.summary.strengths == ["failure_def (level 2 of 0-2)", "labels (level 2)"]


def test_next_step_skips_levels_that_share_the_current_anchor() -> None:
    c = RUBRIC.criteria[0]
    # Grader levels 1 and 2 both took "loosely defined": the goal from level 1 is the top anchor, numbered 0-2.
    assert next_step(c, 1) == "To reach level 2 of 0-2: Aim for this: operational definition with timing"
    assert next_step(c, 0) == "To reach level 1 of 0-2: Aim for this: loosely defined"
    assert next_step(RUBRIC.criteria[1], 0) == "To reach level 2: Aim for this: derived from logs"


def test_a_ceiling_holds_the_overall_below_the_bar_and_survives_a_rescore() -> None:
    results = [_result("failure_def", 3), _result("labels", 3)]
    free = build(RUBRIC, results, [], {})
    held = build(RUBRIC, results, ["mostly_padding"], {}, ceiling=BELOW_BAR)
    assert free.overall is not None and held.overall is not None
    assert (free.overall.score, free.overall.band) == (100.0, "strong")
    assert (held.overall.score, held.overall.band) == (BELOW_BAR, "approaching")
    assert FLAG_TEXT["mostly_padding"] in held.flags
    # An upheld dispute recomputes the overall from the levels: the hold stays, and a card without it is free.
    assert held.overall.ceiling == BELOW_BAR and free.overall.ceiling is None
    assert rescore(RUBRIC, held).band == "approaching"
    assert rescore(RUBRIC, free) == free.overall
    # The hold is read from the card's own record, whatever its flags say; a card stored before the ceiling was
    # recorded still carries the flag's text, and keeps its hold through that.
    assert rescore(RUBRIC, held.model_copy(update={"flags": []})).band == "approaching"
    legacy = held.model_copy(update={"overall": held.overall.model_copy(update={"ceiling": None}),
                                     "flags": [LEGACY_PADDING_TEXT]})
    assert rescore(RUBRIC, legacy).band == "approaching"
    assert rescore(RUBRIC, legacy.model_copy(update={"flags": []})).band == "strong"


def test_the_filler_note_quotes_what_earned_nothing() -> None:
    note = filler_note(["We would launch to a small group first.", "Quality matters a lot"])
    assert note == ("Read as general talk: \u201cWe would launch to a small group first.\u201d; "
                    "\u201cQuality matters a lot\u201d. Sharpen each with a decision, a number or a reason, or cut it.")
    many = filler_note([f"Sentence {i} says little." for i in range(5)])
    assert "\u201cSentence 2 says little.\u201d and 2 more." in many and "Sentence 3" not in many
    assert "..." in filler_note(["word " * 40])  # a long sentence is cut at a word boundary


def test_a_criterion_given_no_anchors_gets_advice_about_its_own_topic() -> None:
    """It once read "Aim for this: excellent: developed with specifics ...", the generic anchor, whatever the topic."""
    rubric = from_inline("Ship meal plans?", [{"id": "safety", "description": "Allergies, dietary limits."},
                                             {"id": "evals", "description": "LLM evals before launch"}])
    safety, evals = rubric.criteria
    assert next_step(safety, 2) == ("To reach level 3: Make it concrete: give numbers, examples or the mechanism for "
                                    "allergies, dietary limits.")
    assert next_step(evals, 0) == ("To reach level 2: Go beyond naming it: explain your reasoning on LLM evals "
                                   "before launch, tied to this question.")
    card = build(rubric, [_result("safety", 3), _result("evals", 1)], [], {})
    assert card.summary.improvement.startswith("evals: Go beyond naming it: explain your reasoning on LLM evals")


def test_a_raised_level_leaves_a_card_that_agrees_with_itself() -> None:
    """An upheld dispute once patched the level alone: "To reach level 3" stayed under a criterion at its top."""
    card = build(RUBRIC, [_result("failure_def", 1), _result("labels", 2)], [], {})
    card.criteria[0].missing = ["Not shown: timing", next_step(RUBRIC.criteria[0], 1)]
    up = raise_level(RUBRIC, card, "failure_def", 3, ["We call a breakdown any stop over 10 minutes."])
    top = up.criteria[0]
    assert (top.level, top.scale_level) == (3, 2)  # the rubric's own 0-2 scale follows
    assert top.missing == [] and top.evidence == ["We call a breakdown any stop over 10 minutes."]
    assert up.summary.strengths[0] == "failure_def (level 2 of 0-2)"
    assert up.overall is not None and card.overall is not None and up.overall.score > card.overall.score
    assert up.flags[-1] == "failure_def was raised to level 3 after a dispute."
    mid = raise_level(RUBRIC, card, "failure_def", 2).criteria[0]
    assert mid.missing == ["Not shown: timing", next_step(RUBRIC.criteria[0], 2)]
    held = build(RUBRIC, [_result("failure_def", 1), _result("labels", 2)], [], {}, ceiling=BELOW_BAR)
    assert raise_level(RUBRIC, held, "labels", 3).overall.score <= BELOW_BAR  # type: ignore[union-attr]

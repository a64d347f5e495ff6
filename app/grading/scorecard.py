"""The one place a scorecard is assembled: abstention, score, band, summary, flags and fingerprint.

Every grader (embedded, LLM judge, ensemble) and every re-grade (a dispute) hands per-criterion results to
these functions, so the rules that turn levels into a score and a band, and the summary the candidate reads,
are the same whichever grader produced the levels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.content import BAND_CUTS, Band, band_for, overall_score
from app.grading.rubric import GENERIC_ADVICE, GENERIC_LEVELS, GradingRubric, RubricCriterion
from app.grading.types import CriterionResult, Overall, Scorecard, Summary
from app.grading.wording import advice

MESSAGES = {
    "empty": "There is no answer to grade yet. Write out how you would approach the question.",
    "trivial": "That answer is too short to grade. Walk through your reasoning in a few sentences.",
    "gibberish": "The answer doesn't read as text we can grade. Please answer in full sentences.",
    "not_english": "Grading works on English answers only for now. Please answer in English.",
    "restates_question": "The answer restates the question without answering it. Say what you would do and why.",
}
FLAG_TEXT = {
    "instructions_ignored": "Instructions to the grader were ignored.",
    "obfuscation_ignored": "Text hidden with look-alike or invisible characters was ignored.",
    "encoded_ignored": "Encoded text was ignored.",
    "foreign_ignored": "Sentences not in English were ignored.",
    "rubric_echo_ignored": "Sentences that only repeat the rubric's wording earned nothing.",
    "keywords_capped": "A list of keywords without reasoning earns at most level 1.",
    "repetition_ignored": "Repeated sentences were counted once.",
    "filler_ignored": "Generic filler sentences earned nothing.",
    "truncated": "The answer was cut to its first 1000 words for grading.",
    "mostly_padding": "A large share of this answer is general talk that would fit any question, so the overall grade "
                      "is held below the bar. Cut it and spend the words on decisions, numbers and reasons.",
    "no_reference": "Graded on the rubric's wording alone: without a reference answer, levels agree less often with "
                    "human graders. Add a model answer to the rubric for firmer levels.",
}


# The highest score below the bar: where an answer held below it (mostly padding) lands at most.
BELOW_BAR = next(cut for cut, band in BAND_CUTS if band == Band.meets_bar) - 0.1


# The padding hold's text on cards stored before the hold was recorded as a ceiling (see rescore).
LEGACY_PADDING_TEXT = ("Most of this answer is general talk that would fit any question, so the overall grade is held "
                       "below the bar. Cut it and spend the words on decisions, numbers and reasons.")
FILLER_QUOTES = 3  # sentences named in the filler note; more are counted, not quoted


def flag_text(flags: list[str]) -> list[str]:
    return [FLAG_TEXT.get(f, f) for f in flags]


def quote(text: str, n: int = 120) -> str:
    """A sentence of the answer in curly quotes, cut at a word boundary when longer than `n` characters."""
    return f"\u201c{text if len(text) <= n else text[:n].rsplit(' ', 1)[0] + '...'}\u201d"


def filler_note(sentences: Sequence[str]) -> str:
    """Which sentences earned nothing as general talk. A flag that only says "filler" cannot be checked by the
    candidate; naming the sentences shows what to sharpen, and makes a wrong call visible rather than silent."""
    shown = "; ".join(quote(s, 90) for s in sentences[:FILLER_QUOTES])
    more = len(sentences) - FILLER_QUOTES
    rest = f" and {more} more" if more > 0 else ""
    end = "" if not rest and shown[-2:-1] in ".?!" else "."
    return f"Read as general talk: {shown}{rest}{end} Sharpen each with a decision, a number or a reason, or cut it."


def abstained(reason: str, flags: list[str], fingerprint: Mapping[str, Any]) -> Scorecard:
    """An abstention: a reason and a message for the candidate, never a silent zero."""
    return Scorecard(abstained=True, reason=reason, message=MESSAGES.get(reason, reason), flags=flag_text(flags),
                     grader=dict(fingerprint))


def overall(rubric: GradingRubric, results: list[CriterionResult],
            positions: Mapping[str, float] | None = None, ceiling: float | None = None) -> Overall:
    """Score and band from the levels; `positions` (0-3, fractional) refine the score within each level.

    A position never moves a criterion out of its level's half-open interval [level - 0.5, level + 0.5), so the
    score always agrees with the levels shown to within half a level per criterion, unless a `ceiling` holds the
    whole answer down (a flag on the card says why).
    """
    levels: dict[str, float] = {}
    for r in results:
        p = positions.get(r.id) if positions else None
        levels[r.id] = float(r.level) if p is None else min(max(p, r.level - 0.5), r.level + 0.49, 3.0)
        levels[r.id] = max(levels[r.id], 0.0)
    score = round(overall_score(levels, rubric.weights), 1)  # type: ignore[arg-type]
    if ceiling is not None:
        score = min(score, ceiling)
    return Overall(score=score, band=band_for(score).value, ceiling=ceiling)


def rescore(rubric: GradingRubric, card: Scorecard) -> Overall:
    """The overall after a level changed (an upheld dispute): from the levels, still under the card's ceiling,
    since a dispute re-reads one criterion, not the whole answer. A card stored before the ceiling was recorded
    shows its hold only as the padding flag's text of the time."""
    ceiling = card.overall.ceiling if card.overall else None
    if ceiling is None and LEGACY_PADDING_TEXT in card.flags:
        ceiling = BELOW_BAR
    return overall(rubric, card.criteria, ceiling=ceiling)


def raise_level(rubric: GradingRubric, card: Scorecard, criterion_id: str, level: int,
                evidence: Sequence[str] = ()) -> Scorecard:
    """The card after an upheld dispute raised one criterion: its level (on the rubric's own scale too), the
    sentences that earned it, advice for the level it is now at (none at the top), the summary and the overall,
    which keeps any hold. Patching the level alone left the card contradicting itself ("To reach level 3" under a
    criterion shown at 3/3, strengths without it)."""
    results = []
    for r in card.criteria:
        if r.id == criterion_id:
            c = next(x for x in rubric.criteria if x.id == criterion_id)
            kept = [m for m in r.missing if not m.startswith("To reach ")]
            r = r.model_copy(update={"level": level, "evidence": list(dict.fromkeys([*r.evidence, *evidence])),
                                     "missing": [] if level >= 3 else [*kept, next_step(c, level)]})
        results.append(r)
    results = on_own_scale(rubric, results)
    raised = next(r for r in results if r.id == criterion_id)
    updated = card.model_copy(update={"criteria": results, "summary": summary(rubric, results),
                                      "flags": [*card.flags, f"{raised.name} was raised to level {level} after a "
                                                             f"dispute."]})
    return updated.model_copy(update={"overall": rescore(rubric, updated) if card.overall else None})


def next_step(c: RubricCriterion, level: int) -> str:
    """What moves a criterion up, as advice: the next level's anchor, level 2 at least (naming a topic is no goal).

    On a rubric written on its own scale, two grader levels can share an anchor; the advice names the next anchor
    that differs from the current one, numbered on the rubric's scale.
    """
    target = next_level(c, level)
    return f"To reach {c.level_text(target)}: {goal(c, target)}"


def goal(c: RubricCriterion, target: int) -> str:
    """The anchor of `target` as advice; for a criterion given no anchors, advice about its own description."""
    text = c.levels[target]
    if text == GENERIC_LEVELS.get(target) and target in GENERIC_ADVICE:
        topic = c.description.strip().rstrip(".")
        return GENERIC_ADVICE[target].format(topic=topic[:1].lower() + topic[1:] if topic[1:2].islower() else topic)
    return advice(text)


def next_level(c: RubricCriterion, level: int) -> int:
    """The 0-3 level worth aiming for next: level + 1, at least 2, skipping levels that share the current anchor."""
    target = max(level + 1, 2)
    while target < 3 and c.levels.get(target) == c.levels.get(level):
        target += 1
    return target


def on_own_scale(rubric: GradingRubric, results: list[CriterionResult]) -> list[CriterionResult]:
    """Each result of a criterion written on another scale also carries its level on that scale."""
    scales = {c.id: c for c in rubric.criteria if c.scale is not None}
    return [r.model_copy(update={"scale": scales[r.id].scale, "scale_level": scales[r.id].own_level(r.level)})
            if r.id in scales else r for r in results]


def summary(rubric: GradingRubric, results: list[CriterionResult]) -> Summary:
    """Strengths (level 2 and up) and the one improvement worth the most points, phrased as advice."""
    crits = {c.id: c for c in rubric.criteria}
    strong = sorted((r for r in results if r.level >= 2), key=lambda r: (-r.level, -r.weight, r.id))
    gap = max(results, key=lambda r: (r.weight * (3 - r.level), -results.index(r)))
    crit = crits[gap.id]
    if gap.level >= 3:
        tip = "Keep this standard: every criterion is at its top level."
    else:
        tip = f"{gap.name}: {crit.probe or goal(crit, next_level(crit, gap.level))}"
    return Summary(strengths=[f"{r.name} ({crits[r.id].level_text(r.level)})" for r in strong[:3]], improvement=tip)


def build(rubric: GradingRubric, results: list[CriterionResult], flags: list[str], fingerprint: Mapping[str, Any],
          positions: Mapping[str, float] | None = None, ceiling: float | None = None, **extra: Any) -> Scorecard:
    """A graded scorecard. `flags` are codes (FLAG_TEXT) or already-readable sentences."""
    results = on_own_scale(rubric, results)
    return Scorecard(overall=overall(rubric, results, positions, ceiling), criteria=results, flags=flag_text(flags),
                     summary=summary(rubric, results),
                     grader={**fingerprint, "rubric_hash": rubric.content_hash()}, **extra)

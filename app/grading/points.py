"""What each criterion asks for, as points an answer can cover, built from what every rubric has.

Any rubric has a description per criterion, usually level anchors, and often a reference answer. Those are the
only sources of points, so a rubric written in another style is read the same way as a bank rubric:
- the description, whole and split into its clauses;
- the anchors of the upper levels (what a developed or excellent answer does);
- the reference answer's sentences, each given to the criterion it serves best.
Bank-only signals (cues) never decide a level; they only name concepts in the feedback.

The rubric's own wording (names, descriptions, anchors, the question) is also the echo vocabulary: a sentence
that only repeats it adds nothing of its own and earns no credit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from app.grading.rubric import GENERIC_LEVELS, REFERENCE_CRITERION, GradingRubric, RubricCriterion
from app.grading.text import segments
from rag.lexical import tokenize

_CLAUSE = re.compile(r";|,\s+(?=(?:and|or|but|then|so|with|while|plus)\b)|\.\s+|\n|:\s+|\s+\band\b\s+(?=[a-z]+s\b)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LEAD = re.compile(r"^(does all of that|all of level \d|as level \d|everything in \d),?\s*(and|plus)?\s*", re.I)
REF_FLOOR = 0.25  # a reference sentence this unlike every criterion serves none of them
MIN_REF_POINTS = 2  # ... except as one of the few sentences most like a criterion (see assign_reference)


@dataclass(frozen=True)
class Point:
    text: str
    source: str  # description | anchor | reference
    ref_index: int = -1  # the reference sentence it came from, for leave-one-out


@dataclass(frozen=True)
class CriterionPoints:
    criterion: RubricCriterion
    points: list[Point]
    vecs: np.ndarray  # (n_points, dim)


@dataclass(frozen=True)
class RubricPoints:
    rubric: GradingRubric
    criteria: list[CriterionPoints]
    reference: list[str]  # reference answer sentences
    reference_vecs: np.ndarray
    echo_terms: frozenset[str]  # content words of everything the candidate can see of the rubric
    echo_vecs: np.ndarray  # names, descriptions and anchors, embedded
    echo_numbers: frozenset[str] = frozenset()  # the numbers in that visible text


def numbers(text: str) -> frozenset[str]:
    """The figures a text states ("300", "13.50", "97"): a figure the rubric never gave is the candidate's own."""
    return frozenset(m.replace(",", "") for m in _NUMBER.findall(text))


def clauses(text: str) -> list[str]:
    """The clauses of a description or anchor that name something to do (two content words or more)."""
    text = _LEAD.sub("", text.strip())
    parts = [p.strip(" .;:-()") for p in _CLAUSE.split(text)]
    return [p for p in parts if len(tokenize(p)) >= 2]


def _upper_anchors(c: RubricCriterion) -> list[str]:
    generic = set(GENERIC_LEVELS.values())
    return [c.levels[k] for k in (2, 3) if k in c.levels and c.levels[k] not in generic]


def criterion_texts(c: RubricCriterion) -> list[Point]:
    """Description and anchor points of one criterion (the reference's sentences are added per rubric)."""
    pts = [Point(f"{c.name}. {c.description}" if c.name and c.name not in c.description else c.description,
                 "description")]
    pts += [Point(p, "description") for p in clauses(c.description) if p != c.description]
    for anchor in _upper_anchors(c):
        pts += [Point(p, "anchor") for p in clauses(anchor)]
    seen: set[str] = set()
    return [p for p in pts if not (p.text.lower() in seen or seen.add(p.text.lower()))]  # type: ignore[func-returns-value]


def visible_text(rubric: GradingRubric) -> list[str]:
    """All the rubric text a candidate can read on a scorecard, plus the question."""
    # With only a reference answer (a short-answer question), restating the question is screened separately and
    # its words are the answer's own vocabulary, not an echo.
    only_reference = [c.id for c in rubric.criteria] == [REFERENCE_CRITERION]
    out = [] if only_reference else [rubric.question]
    for c in rubric.criteria:
        out += [c.name, c.description, *c.levels.values()]
        if c.id != REFERENCE_CRITERION:  # a generated criterion's "concepts" are the reference's own sentences
            out += c.concepts
    if len(rubric.criteria) > 1:  # what a candidate can paste in one go: every name, description or top anchor
        crits = sorted(rubric.criteria, key=lambda c: c.id)  # in a fixed order, so the grade ignores criterion order
        out += ["; ".join(c.name for c in crits), "; ".join(c.description for c in crits),
                "; ".join(c.levels[3] for c in crits if 3 in c.levels)]
    return out


# A reference that opens by describing an answer ("A strong story sets up...", "Good answers should...") rather than
# being one. Its sentences are written in the rubric's own register, so they sit nearer the criteria than any real
# answer's sentences do; see describes_answer.
_DESCRIPTION = re.compile(r"^\W*(?:(?:an?|the)\s+)?(?:strong|good|great|excellent|ideal|model|top|best|complete)\s+"
                          r"(?:answers?|stor(?:y|ies)|responses?)\b", re.IGNORECASE)


def describes_answer(reference: str | None) -> bool:
    """Whether the reference answer describes a strong answer instead of giving one.

    Such a reference still says what to look for, so its sentences stay points; but how well it covers a criterion
    is no measure of how well an answer can (on the calibration set's behavioural questions, whose references are
    all of this kind, measuring the top that way held stories labelled meets-the-bar below the bar).
    """
    return bool(reference and _DESCRIPTION.match(reference))


def reference_sentences(rubric: GradingRubric) -> list[str]:
    """The reference answer's sentences with some content; a short reference is one point as a whole."""
    ref = (rubric.reference_answer or "").strip()
    sents = [s.text for s in segments(ref) if len(tokenize(s.text)) >= 3]
    return sents or ([ref] if ref else [])


def assign_reference(crit_vecs: list[np.ndarray], ref_vecs: np.ndarray) -> list[list[int]]:
    """Per criterion, the reference sentences that serve it.

    A sentence serves the criterion it is most like (when it clears REF_FLOOR). A reference answer is written to
    meet every criterion, so each criterion also takes its MIN_REF_POINTS most similar sentences, even when they
    serve another criterion better: a terse description ("Recommendation plus what would reverse it") is like no
    sentence much, and without reference points that criterion could never be met.
    """
    if not len(ref_vecs) or not crit_vecs:
        return [[] for _ in crit_vecs]
    sims = np.stack([(ref_vecs @ v.T).max(axis=1) if len(v) else np.zeros(len(ref_vecs)) for v in crit_vecs],
                    axis=1)  # (n_ref, n_crit)
    best = sims.argmax(axis=1)
    out: list[list[int]] = []
    for ci in range(len(crit_vecs)):
        mine = {i for i, b in enumerate(best) if b == ci and sims[i, b] >= REF_FLOOR}
        if len(crit_vecs) > 1:
            mine |= {int(i) for i in np.argsort(-sims[:, ci], kind="stable")[:MIN_REF_POINTS]}
        out.append(sorted(mine))
    return out

"""The grader's view of a rubric, built from a bank question or from an inline rubric / reference answer.

Graders never see pack YAML directly: both the interview path and the stateless POST /api/grade path become a
GradingRubric, so a rubric the grader has never seen is graded exactly like a built-in one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from app.content import Question
from app.grading.errors import InvalidRubric

GENERIC_LEVELS = {
    0: "Not addressed.",
    1: "Mentioned by name only, without explanation.",
    2: "Developed with reasoning that fits the question.",
    3: "Excellent: developed with specifics such as numbers, examples or concrete mechanisms.",
}


class RubricCriterion(BaseModel):
    id: str
    name: str
    description: str
    weight: float = 1.0
    competency: str | None = None
    levels: dict[int, str] = Field(default_factory=lambda: dict(GENERIC_LEVELS))
    cues: list[list[str]] = Field(default_factory=list)  # each cue: [concept, phrasing, ...]
    probe: str | None = None
    guide_sections: list[str] = Field(default_factory=list)
    # The rubric's own first and last level when it was written on another scale than 0-3 (e.g. 1-5): levels are
    # graded on 0-3 and reported on this scale too, so a candidate reads the numbers of the rubric they gave.
    scale: tuple[int, int] | None = None
    scale_keys: tuple[int, ...] | None = None  # the levels written, when the scale has gaps (1, 3, 5; 0, 50, 100)

    @property
    def concepts(self) -> list[str]:
        return [c[0] for c in self.cues]

    def own_level(self, level: int) -> int:
        """A 0-3 grader level on the rubric's own scale: the level whose anchor the grader level took."""
        return level if self.scale is None else nearest(*self.scale, level, self.scale_keys)

    def level_text(self, level: int) -> str:
        """'level 2', or 'level 4 of 1-5' on a rubric written on another scale."""
        if self.scale is None:
            return f"level {level}"
        return f"level {self.own_level(level)} of {self.scale[0]}-{self.scale[1]}"


def nearest(lo: int, hi: int, level: int, keys: Iterable[int] | None = None) -> int:
    """The level of a lo..hi scale (or of its written `keys`) at the same relative place as `level` on 0-3 (ties go
    to the lower level)."""
    return min(range(lo, hi + 1) if keys is None else keys, key=lambda k: (abs((k - lo) / (hi - lo) - level / 3), k))


class GradingRubric(BaseModel):
    question: str
    criteria: list[RubricCriterion]
    question_id: str | None = None
    reference_answer: str | None = None

    @property
    def weights(self) -> dict[str, float]:
        return {c.id: c.weight for c in self.criteria}

    def content_hash(self) -> str:
        d = self.model_dump(mode="json")
        for c in d["criteria"]:  # a rubric on the 0-3 scale keeps the hash it had before scales were recorded
            for key in ("scale", "scale_keys"):
                if c.get(key) is None:
                    c.pop(key, None)
        blob = json.dumps(d, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def from_question(q: Question) -> GradingRubric:
    crits = [RubricCriterion(
        id=c.id, name=c.name, description=c.description, weight=c.weight, competency=c.competency.value,
        levels=dict(c.levels), cues=[[cue.concept, *cue.phrasings] for cue in c.cues], probe=c.probe,
        guide_sections=list(c.guide_sections)) for c in q.rubric]
    return GradingRubric(question=q.prompt, criteria=crits, question_id=q.id, reference_answer=q.reference_answer)


# Level anchors keyed by a quality word instead of a number, from lowest to highest: a word's tier orders it, and
# words of one tier keep the order they were written in ("none", "poor", "fair", "good", "excellent").
QUALITY_TIERS = (
    ("none", "not", "no", "missing", "absent", "unsatisfactory", "insufficient", "inadequate", "poor", "weak",
     "low", "below", "fail", "failing"),
    ("basic", "limited", "minimal", "emerging", "beginning", "developing", "partial", "partially", "partly",
     "incomplete", "fair", "adequate", "approaching", "needs"),
    ("good", "solid", "competent", "proficient", "satisfactory", "meets", "mostly", "medium", "mid", "pass"),
    ("strong", "very good", "advanced", "exceeds", "high", "excellent", "exemplary", "outstanding", "expert",
     "distinguished", "fully", "complete"),
)
_LEVEL_KEYS = ("level", "score", "points", "value", "rating", "grade")
_ANCHOR_KEYS = ("description", "anchor", "text", "label", "name", "title")
# Other names for a criterion's fields, each read only when the field itself is absent. A criterion's points
# ("max_points": 10) are its weight: weights only count relative to each other.
ALIASES: dict[str, tuple[str, ...]] = {
    "description": ("desc", "text", "details"), "levels": ("anchors",), "name": ("criterion", "title",
                                                                                "criterion_name"),
    "id": ("criterion_id", "key"), "weight": ("points", "max_points", "max_score"),
}
# Notes for people that say nothing the grader reads; accepted and ignored, so a rubric need not be edited first.
IGNORED_KEYS = frozenset({"notes", "note", "comment", "comments", "rationale", "category", "competency", "tags",
                          "examples"})
MAX_SCALE = 100  # the widest own scale (0-100): anchors are mapped onto 0-3 by relative place
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# A weight written as text, above 0 and at most 100, with an optional "%": "30%", "2", "0.5".
WEIGHT_TEXT = r"^[ \t]*(100(\.0+)?|0*[1-9]\d?(\.\d+)?|0*\.0*[1-9]\d*|0+\.\d*[1-9]\d*)[ \t]*%?[ \t]*$"


def _quality(word: str) -> int | None:
    w = " ".join(re.sub(r"[^a-z ]", " ", word.lower()).split())
    return next((t for t, words in enumerate(QUALITY_TIERS) if w in words or w.split(" ")[0] in words), None)


def _slug(text: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", text.lower())[:5])[:40] or "criterion"


def _key_levels(keys: list[Any]) -> list[int] | None:
    """The level number each key carries ("level_3", "L3", "3 - Good", "Excellent (4)"), when every key carries
    exactly one and no two agree. Fractional levels (0, 0.5, 1) are numbered by rank."""
    nums = []
    for k in keys:
        found = _NUMBER.findall(str(k))
        if len(found) != 1:
            return None
        nums.append(float(found[0]))
    if len(set(nums)) != len(nums):
        return None
    if all(n.is_integer() for n in nums):
        return [int(n) for n in nums]
    ranked = sorted(nums)
    return [ranked.index(n) for n in nums]


def _from_objects(v: list[dict[str, Any]]) -> dict[Any, Any]:
    """[{level, description}, ...] as {level: description}; objects with no level at all count in list order."""
    has_key = [any(k in x for k in _LEVEL_KEYS) for x in v]
    if any(has_key) and not all(has_key):
        raise ValueError("each level object needs a level (or score), or none of them does")
    out: dict[Any, Any] = {}
    for n, x in enumerate(v):
        key = next((x[k] for k in _LEVEL_KEYS if k in x), n)
        text = next((x[k] for k in _ANCHOR_KEYS if k in x), None)
        if text is None:
            raise ValueError("each level object needs a description (or anchor)")
        out[key] = text
    return out


def _numbered(v: Any) -> Any:
    """Level anchors as {number: text}: from a list of texts, a list of {level, description} objects, or a dict
    keyed by numbers, by keys that carry a number ("Level 2", "3 - Good") or by quality words. Anything else is
    left for validation to reject with its message."""
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        v = _from_objects(v)
    if isinstance(v, dict) and v and not all(str(k).strip().lstrip("-").isdigit() for k in v):
        numbers = _key_levels(list(v))
        if numbers is not None:
            return dict(zip(numbers, v.values()))
        tiers = {k: _quality(str(k)) for k in v}
        unknown = [k for k, t in tiers.items() if t is None]
        if unknown:
            raise ValueError(f"level {unknown[0]!r} is neither a number nor a quality word (poor, fair, good, "
                             "excellent, ...)")
        order = sorted(v, key=lambda k: (tiers[k], list(v).index(k)))
        return {n: v[k] for n, k in enumerate(order)}
    return v


class InlineCriterion(BaseModel):
    """One item of an inline rubric: {id?, description, weight?, levels?, name?}.

    Level anchors may come as a list, a dict keyed by level number, by a key that carries one ("Level 2",
    "3 - Good") or by quality word ("poor" ... "excellent"), or a list of {level, description} objects (in list
    order when none has a level), on any integer scale up to 0-100 (0-2, 0-4, 1-4, 1-5, ...); they are mapped
    onto the grader's 0-3 levels by relative place. `anchors` is accepted for `levels`, `criterion` or `title`
    for `name`, and `desc`, `text` or `details` for `description`. A criterion may be a plain string (its
    description); one with no id takes one from its name or description, one with a name but no description is
    described by its name, and a weight may be written "30%", so a rubric written for people grades as it is.
    """

    # description comes first, so a criterion with neither description nor name is told that, not "id required"
    description: str = Field(min_length=1, max_length=2000)
    id: str = Field(min_length=1, max_length=80)
    weight: float = Field(default=1.0, gt=0, le=100)
    levels: dict[int, str] | list[str] | None = None
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, v: Any) -> Any:
        if isinstance(v, str):  # a rubric written as a list of what to look for
            v = {"description": v}
        if isinstance(v, dict):
            v = {k: x for k, x in v.items() if k not in IGNORED_KEYS}
            for field, aliases in ALIASES.items():
                for key in aliases:
                    if field not in v and key in v and (field in ("levels", "weight") or isinstance(v[key], str)):
                        v[field] = v.pop(key)
            if "description" not in v and isinstance(v.get("name"), str) and v["name"].strip():
                v["description"] = v["name"]
            if "id" not in v and isinstance(v.get("name") or v.get("description"), str):
                v["id"] = _slug(v.get("name") or v["description"])
        return v

    @field_validator("levels", mode="before")
    @classmethod
    def _forms(cls, v: Any) -> Any:
        return _numbered(v)

    @field_validator("weight", mode="before")
    @classmethod
    def _weight_text(cls, v: Any) -> Any:
        """"30%", "2" or "0.5" as written in a document; weights only count relative to each other."""
        if isinstance(v, str) and re.match(WEIGHT_TEXT, v):
            return float(v.replace("%", ""))
        return v

    @field_validator("levels")
    @classmethod
    def _levels(cls, v: dict[int, str] | list[str] | None) -> dict[int, str] | list[str] | None:
        if v is None:
            return v
        keys = list(range(len(v))) if isinstance(v, list) else sorted(v)
        if len(keys) < 2 or keys[-1] - keys[0] > MAX_SCALE or keys[0] < 0:
            raise ValueError(f"levels must describe 2 or more levels on a scale no wider than 0-{MAX_SCALE}, "
                             "e.g. 0, 1, 2 and 3")
        if any(not str(t).strip() for t in (v if isinstance(v, list) else v.values())):
            raise ValueError("level anchors must not be empty")
        return v

    def _anchors(self) -> dict[int, str]:
        return dict(enumerate(self.levels)) if isinstance(self.levels, list) else dict(self.levels or {})

    def levels_0_3(self) -> dict[int, str]:
        """The anchors on the grader's 0-3 scale: each grader level takes the anchor nearest the same relative
        place (a scale written with gaps, such as 1, 3 and 5 only, lends its nearest written anchor)."""
        if self.levels is None:
            return dict(GENERIC_LEVELS)
        src = self._anchors()
        lo, hi = min(src), max(src)
        return {t: src[nearest(lo, hi, t, src)] for t in range(4)}

    def own_scale(self) -> tuple[int, int] | None:
        """The anchors' first and last level, when they are not the grader's own 0-3."""
        if self.levels is None:
            return None
        src = self._anchors()
        return None if (min(src), max(src)) == (0, 3) else (min(src), max(src))

    def written_keys(self) -> tuple[int, ...] | None:
        """The levels written, when they leave gaps in the scale: the only numbers a level may be reported as."""
        src = sorted(self._anchors()) if self.levels is not None else []
        return tuple(src) if src and len(src) != src[-1] - src[0] + 1 else None


REFERENCE_CRITERION = "reference"


def criteria_list(rubric: Any) -> list[Any]:
    """A rubric's criteria as a list, from the forms people write: a list; {"criteria": [...]}; or an object keyed by
    criterion name, each holding its description or its fields ({"Metrics": "Sets targets", ...}).

    Raises ValueError with what was expected; the items themselves are checked by InlineCriterion.
    """
    if rubric is None or isinstance(rubric, (list, tuple)):
        return list(rubric or [])
    if not isinstance(rubric, dict):
        raise ValueError("a rubric is a list of criteria, or an object keyed by criterion name")
    if "criteria" in rubric:
        return criteria_list(rubric["criteria"])
    out: list[Any] = []
    for name, spec in rubric.items():
        if isinstance(spec, str):
            out.append({"name": name, "description": spec})
        elif isinstance(spec, dict):
            own = spec.get("name")  # a name written inside wins over the key, unless it is blank
            out.append({**spec, "name": own if isinstance(own, str) and own.strip() else name})
        else:
            raise ValueError(f"criterion {name!r} must be its description or an object of its fields")
    return out


def from_inline(question: str, rubric: Sequence[Any] | Mapping[str, Any] | None = None,
                reference_answer: str | None = None) -> GradingRubric:
    """Build a rubric from inline criteria and/or a reference answer; raises InvalidRubric with a clear message."""
    if not question or not question.strip():
        raise InvalidRubric("question must not be empty")
    try:
        rubric = criteria_list(rubric)
    except ValueError as exc:
        raise InvalidRubric(f"rubric: {exc}") from None
    if not rubric and not (reference_answer and reference_answer.strip()):
        raise InvalidRubric("give a rubric, a reference_answer, or both")
    crits: list[RubricCriterion] = []
    ref_sents = [s.strip() for s in re.split(r"(?<=[.!?;])\s+|\n+", reference_answer or "") if len(s.split()) >= 3]
    for i, raw in enumerate(rubric or []):
        try:
            item = InlineCriterion.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "item"
            raise InvalidRubric(f"rubric[{i}].{where}: {err['msg'].removeprefix('Value error, ')}") from None
        cid, n = item.id, 0
        while not (isinstance(raw, dict) and "id" in raw) and cid in {c.id for c in crits}:
            n += 1  # two criteria named alike, neither with an id: number the later one rather than refuse
            cid = f"{item.id}_{n}"
        crits.append(RubricCriterion(id=cid, name=item.name or item.description[:60].rstrip(" .;,:"),
                                     description=item.description,
                                     weight=item.weight, levels=item.levels_0_3(), scale=item.own_scale(),
                                     scale_keys=item.written_keys()))
    if len({c.id for c in crits}) != len(crits):
        raise InvalidRubric("rubric criterion ids must be unique")
    if not crits:
        crits.append(RubricCriterion(
            id=REFERENCE_CRITERION, name="Matches the reference answer",
            description="Covers the points of the reference answer correctly.",
            cues=[[s, s] for s in ref_sents] or [[reference_answer or "", reference_answer or ""]]))
    return GradingRubric(question=question.strip(), criteria=crits, reference_answer=reference_answer)

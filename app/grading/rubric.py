"""The grader's view of a rubric, built from a bank question or from an inline rubric / reference answer.

Graders never see pack YAML directly: both the interview path and the stateless POST /api/grade path become a
GradingRubric, so a rubric the grader has never seen is graded exactly like a built-in one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
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

    @property
    def concepts(self) -> list[str]:
        return [c[0] for c in self.cues]

    def own_level(self, level: int) -> int:
        """A 0-3 grader level on the rubric's own scale: the level whose anchor the grader level took."""
        return level if self.scale is None else nearest(*self.scale, level)

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
            if c.get("scale") is None:
                c.pop("scale", None)
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
_LEVEL_KEYS = ("level", "score", "points", "value")
_ANCHOR_KEYS = ("description", "anchor", "text", "label")
MAX_SCALE = 10  # the widest own scale (0-10): anchors are mapped onto 0-3 by relative place


def _quality(word: str) -> int | None:
    w = " ".join(re.sub(r"[^a-z ]", " ", word.lower()).split())
    return next((t for t, words in enumerate(QUALITY_TIERS) if w in words or w.split(" ")[0] in words), None)


def _slug(text: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", text.lower())[:5])[:40] or "criterion"


def _numbered(v: Any) -> Any:
    """Level anchors as {number: text}: from a list of texts, a list of {level, description} objects, or a dict
    keyed by numbers or by quality words. Anything else is left for validation to reject with its message."""
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        out: dict[Any, Any] = {}
        for x in v:
            key = next((x[k] for k in _LEVEL_KEYS if k in x), None)
            text = next((x[k] for k in _ANCHOR_KEYS if k in x), None)
            if key is None or text is None:
                raise ValueError("each level object needs a level (or score) and a description (or anchor)")
            out[key] = text
        return out
    if isinstance(v, dict) and v and not all(str(k).strip().lstrip("-").isdigit() for k in v):
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

    Level anchors may come as a list, a dict keyed by level number or by quality word ("poor" ... "excellent"), or
    a list of {level, description} objects, on any integer scale up to 0-10 (0-2, 0-4, 1-4, 1-5, ...); they are
    mapped onto the grader's 0-3 levels by relative place. `anchors` is accepted for `levels`, and `criterion` or
    `title` for `name`. A criterion with no id takes one from its name or description, and one with a name but no
    description is described by its name, so a rubric written for people grades as it is.
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
        if isinstance(v, dict):
            v = dict(v)
            if "levels" not in v and "anchors" in v:
                v["levels"] = v.pop("anchors")
            for key in ("criterion", "title"):
                if "name" not in v and isinstance(v.get(key), str):
                    v["name"] = v.pop(key)
            if "description" not in v and isinstance(v.get("name"), str) and v["name"].strip():
                v["description"] = v["name"]
            if "id" not in v and isinstance(v.get("name") or v.get("description"), str):
                v["id"] = _slug(v.get("name") or v["description"])
        return v

    @field_validator("levels", mode="before")
    @classmethod
    def _forms(cls, v: Any) -> Any:
        return _numbered(v)

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


REFERENCE_CRITERION = "reference"


def from_inline(question: str, rubric: list[dict[str, Any]] | None = None,
                reference_answer: str | None = None) -> GradingRubric:
    """Build a rubric from inline criteria and/or a reference answer; raises InvalidRubric with a clear message."""
    if not question or not question.strip():
        raise InvalidRubric("question must not be empty")
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
        while isinstance(raw, dict) and "id" not in raw and cid in {c.id for c in crits}:
            n += 1  # two criteria named alike, neither with an id: number the later one rather than refuse
            cid = f"{item.id}_{n}"
        crits.append(RubricCriterion(id=cid, name=item.name or item.description[:60].rstrip(" .;,:"),
                                     description=item.description,
                                     weight=item.weight, levels=item.levels_0_3(), scale=item.own_scale()))
    if len({c.id for c in crits}) != len(crits):
        raise InvalidRubric("rubric criterion ids must be unique")
    if not crits:
        crits.append(RubricCriterion(
            id=REFERENCE_CRITERION, name="Matches the reference answer",
            description="Covers the points of the reference answer correctly.",
            cues=[[s, s] for s in ref_sents] or [[reference_answer or "", reference_answer or ""]]))
    return GradingRubric(question=question.strip(), criteria=crits, reference_answer=reference_answer)

"""Inline rubrics as people write them, read into a GradingRubric (POST /api/grade and external eval datasets).

A rubric written for people comes in many shapes: a list of criteria or of plain strings, an object keyed by
criterion name, level anchors as a list, a dict keyed by number, by "Level 2" or by quality word, or a list of
objects, on scales from 0-2 to 0-100. Each is read the same way, and what cannot be read gets a clear message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from app.grading import pasted
from app.grading.errors import InvalidRubric, first_problem
from app.grading.rubric import GENERIC_LEVELS, REFERENCE_CRITERION, GradingRubric, RubricCriterion, nearest

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
_ANCHOR_KEYS = ("description", "anchor", "text", "label", "name", "title", "descriptor", "desc", "definition",
                "meaning")
# Weights written as words, ranked: only their ratio counts ("high" counts three times "low").
_WEIGHT_WORDS = {"low": 1.0, "minor": 1.0, "medium": 2.0, "moderate": 2.0, "normal": 2.0, "high": 3.0, "major": 3.0,
                 "critical": 4.0, "very high": 4.0}
# A range written as a level key ("0-1", "2 – 3", "4 to 5"): it stands at its midpoint.
_RANGE = re.compile(r"^\D*?(\d+(?:\.\d+)?)\s*(?:-|–|—|to)\s*(\d+(?:\.\d+)?)\D*$")
# Anchors written as one text, each after its level number: "0 = missing; 1 = partial; 2 = complete".
_WRITTEN_LEVEL = re.compile(r"(?:^|[;\n|])\s*(\d+)\s*(?:[:=.)]|-(?!\d)|–)\s*")
# ... or each after its quality word: "Poor: no metric. Good: a metric. Excellent: a metric with a target."
_WRITTEN_QUALITY = re.compile(r"(?:^|(?<=[.;\n|]))\s*([A-Za-z][A-Za-z ]{0,24}?)\s*:\s+")
# A list of anchors, each led by its level: ["1 - no metric", "2 - a metric", "3: a metric with a target"].
_LED_LEVEL = re.compile(r"^\s*(\d+)\s*(?:[:=.)]|-(?!\d)|–|—)\s*(\S.*)$", re.S)
# Other names for a criterion's fields, each read only when the field itself is absent. A criterion's points
# ("max_points": 10) are its weight: weights only count relative to each other.
ALIASES: dict[str, tuple[str, ...]] = {
    "description": ("desc", "text", "details", "definition", "guidance", "look_for", "looks_for"),
    "levels": ("anchors", "descriptors", "level_descriptors", "level_descriptions", "scoring", "scoring_guide",
               "scoring_levels", "score_levels", "performance_levels", "rubric_levels", "rating_scale", "ratings",
               "bands", "scale"),
    "name": ("criterion", "title", "criterion_name", "dimension", "label"),
    "id": ("criterion_id", "key"),
    "weight": ("points", "max_points", "max_score", "weighting", "marks"),
}
# Notes for people that say nothing the grader reads; accepted and ignored, so a rubric need not be edited first.
# Any other key is ignored too, and named back in the response (unread_keys) so a misspelt field is seen.
IGNORED_KEYS = frozenset({"notes", "note", "comment", "comments", "rationale", "category", "competency", "tags",
                          "examples"})
MAX_SCALE = 100  # the widest own scale (0-100): anchors are mapped onto 0-3 by relative place
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# A weight written as text, above 0 and at most 100, with an optional "%": "30%", "2", "0.5".
WEIGHT_TEXT = r"^[ \t]*(100(\.0+)?|0*[1-9]\d?(\.\d+)?|0*\.0*[1-9]\d*|0+\.\d*[1-9]\d*)[ \t]*%?[ \t]*$"


def _quality(word: str) -> int | None:
    w = " ".join(re.sub(r"[^a-z ]", " ", word.lower()).split())
    return next((t for t, words in enumerate(QUALITY_TIERS) if w in words or w.split(" ")[0] in words), None)


# Keys under which a document holds its list of criteria.
_WRAPPERS = ("rubric", "dimensions", "competencies", "items", "criterion_list")


def _fits(field: str, value: Any) -> bool:
    """Whether an alias's value has the shape its field takes: "scale": "1-5" is a note, not the anchors."""
    if field == "levels":  # anchors, not a range such as [1, 5]
        return isinstance(value, dict) or (isinstance(value, list) and all(
            isinstance(x, dict) or (isinstance(x, str) and not _NUMBER.fullmatch(x.strip())) for x in value))
    if field == "weight":
        return isinstance(value, (int, float, str)) and not isinstance(value, bool)
    if field == "description":  # a list of what to look for reads as one text
        return isinstance(value, str) or (isinstance(value, list) and bool(value) and all(
            isinstance(x, str) for x in value))
    return isinstance(value, str)


def unread_keys(item: Any) -> list[str]:
    """The keys of one criterion that the grader does not read (not a field, an alias that fits, or a note).

    Accepted rather than refused, since a rubric written for people carries fields of its own; the API names
    them back so that a misspelt "descripton" is noticed rather than silently lost."""
    if not isinstance(item, dict):
        return []
    read = {"id", "description", "weight", "name", "levels", *IGNORED_KEYS}
    aliased = {k for f, names in ALIASES.items() for k in names if k in item and _fits(f, item[k])}
    return sorted(k for k in item if k not in read and k not in aliased)


def _slug(text: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", text.lower())[:5])[:40] or "criterion"


def _key_levels(keys: list[Any]) -> list[int] | None:
    """The level number each key carries ("level_3", "L3", "3 - Good", "Excellent (4)"), when every key carries
    exactly one and no two agree. Fractional levels (0, 0.5, 1) and ranges ("0-1", "2-3") are numbered by rank."""
    nums, ranged = [], False
    for k in keys:
        found = _NUMBER.findall(str(k))
        span = _RANGE.match(str(k))
        if span:  # "4-6 points": ranked by midpoint, since no one number names the level
            nums.append((float(span[1]) + float(span[2])) / 2)
            ranged = True
            continue
        if len(found) != 1:
            return None
        nums.append(float(found[0]))
    if len(set(nums)) != len(nums):
        return None
    if all(n.is_integer() for n in nums) and not ranged:
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
    left for validation to reject with its message. Blank anchors of a template are dropped (the scale keeps its
    numbers), and anchors written as one text after their numbers, or as [level, text] pairs, are split."""
    if isinstance(v, str):
        parts = _WRITTEN_LEVEL.split(v)
        if len(parts) >= 5 and not parts[0].strip():  # "", "0", text, "1", text, ...
            v = {int(n): t.strip() for n, t in zip(parts[1::2], parts[2::2])}
        else:
            parts = _WRITTEN_QUALITY.split(v)
            if len(parts) >= 5 and not parts[0].strip() and all(_quality(w) is not None for w in parts[1::2]):
                v = {w.strip(): t.strip().rstrip(".;|").strip() for w, t in zip(parts[1::2], parts[2::2])}
            else:
                raise ValueError("levels written as one text must lead each anchor with its number (\"0 = missing; "
                                 "1 = partial\") or its quality word (\"Poor: ... Good: ...\")")
    if isinstance(v, list) and len(v) >= 2 and all(isinstance(x, str) and _LED_LEVEL.match(x) for x in v):
        led = [m for m in (_LED_LEVEL.match(x) for x in v) if m]
        if len({m[1] for m in led}) == len(led):
            v = {int(m[1]): m[2].strip() for m in led}
    if isinstance(v, list) and v and all(isinstance(x, (list, tuple)) and len(x) == 2 for x in v):
        v = {x[0]: x[1] for x in v}
    if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
        v = _from_objects(v)
    if isinstance(v, list) and any(isinstance(x, str) and not x.strip() for x in v):
        v = dict(enumerate(v))
    if isinstance(v, dict) and sum(not (isinstance(t, str) and not t.strip()) for t in v.values()) >= 2:
        v = {k: t for k, t in v.items() if not (isinstance(t, str) and not t.strip())}
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
    "3 - Good", a range such as "0-1 points") or by quality word ("poor" ... "excellent"), a list of {level,
    description} objects (in list order when none has a level) or of [level, text] pairs, or one text that numbers
    them ("0 = missing; 1 = partial") or by quality word ("Poor: ... Good: ..."), or a list of texts each led by its
    number ("1 - no metric"), on any integer scale up to 0-100 (0-2, 0-4, 1-4, 1-5, ...); they are mapped
    onto the grader's 0-3 levels by relative place. Each field may also go by the other names in ALIASES, and the
    notes in IGNORED_KEYS are dropped. A criterion may be a plain string (its description); one with no id takes
    one from its name or description, one with a name but no description is described by its name, and a weight
    may be written "30%", "25 points" or "high", so a rubric written for people grades as it is.
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
        if isinstance(v, str):  # what to look for, bullets and numbers dropped, perhaps led by a name
            v = pasted.line(v)
            v = {"description": v} if isinstance(v, str) else v
        if isinstance(v, dict):
            v = {k: x for k, x in v.items() if k not in IGNORED_KEYS}
            if isinstance(v.get("id"), int) and not isinstance(v["id"], bool):
                v["id"] = str(v["id"])
            for field, aliases in ALIASES.items():
                for key in aliases:
                    if field not in v and key in v and _fits(field, v[key]):
                        v[field] = v.pop(key)
            if _fits("description", v.get("description")) and isinstance(v["description"], list):
                v["description"] = "; ".join(x.strip() for x in v["description"] if x.strip())  # what to look for
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
        """"30%", "2", "0.5", "25 points", "x2", "1/3" or "high" as written in a document; weights only count
        relative to each other."""
        if not isinstance(v, str):
            return v
        if re.match(WEIGHT_TEXT, v):
            return float(v.replace("%", ""))
        words = " ".join(v.lower().replace("priority", "").split())
        if words in _WEIGHT_WORDS:
            return _WEIGHT_WORDS[words]
        frac = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*", v)
        if frac and float(frac[2]) > 0:
            return 100 * float(frac[1]) / float(frac[2])
        found = _NUMBER.findall(v)
        return float(found[0]) if len(found) == 1 and re.fullmatch(r"[\sx×*]*[\d.]+\s*[a-z%×x*]*\.?\s*", words) \
            else v

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


# Names a rubric object gives the model answer it carries beside its criteria ({"criteria": [...],
# "reference_answer": "..."}), compared with case, spaces and hyphens folded. A bare "reference" is read so only
# beside a wrapped list of criteria: among criteria keyed by name it may be a criterion ("Reference: cites ...").
REFERENCE_KEYS = frozenset({"reference_answer", "reference", "model_answer", "sample_answer", "ideal_answer",
                            "example_answer", "exemplar_answer", "gold_answer", "expected_answer", "answer_key"})


def _folded(key: str) -> str:
    return re.sub(r"[\s-]+", "_", key.strip().lower())


def lift_reference(rubric: Any, reference: str | None) -> tuple[Any, str | None]:
    """A rubric object that carries its own model answer, split into the criteria and that answer.

    Without this, {"criteria": [...], "reference_answer": "..."} lost the answer (only the criteria were read) and
    an object keyed by criterion name read it as one more criterion, so the answer was graded on the rubric's
    wording alone. The answer given beside the rubric wins when both are the same; two different ones are an error,
    since either could be the one meant.
    """
    if not isinstance(rubric, dict):
        return rubric, reference
    wrapper = _criteria_key(rubric) is not None
    keys = [k for k, v in rubric.items() if isinstance(k, str) and _folded(k) in REFERENCE_KEYS
            and (wrapper or _folded(k) != "reference") and isinstance(v, str) and v.strip()]
    if not keys:
        return rubric, reference
    inside = {rubric[k].strip() for k in keys}
    if len(inside) > 1:
        raise ValueError(f"the rubric carries {len(inside)} different reference answers ({', '.join(keys)}); "
                         "give one")
    found = rubric[keys[0]]
    if reference is not None and reference.strip() != found.strip():
        raise ValueError(f"reference_answer and the rubric's {keys[0]!r} differ; give one reference answer")
    return {k: v for k, v in rubric.items() if k not in keys}, reference if reference is not None else found


def with_reference_lifted(data: Any) -> Any:
    """A request or dataset row ({"rubric": ..., "reference_answer": ...}) with the rubric's own model answer moved
    to its reference_answer (lift_reference); anything else is returned as it came, for validation to judge."""
    if not isinstance(data, dict) or not isinstance(data.get("rubric"), dict):
        return data
    ref = data.get("reference_answer")
    if ref is not None and not isinstance(ref, str):
        return data
    rubric, ref = lift_reference(data["rubric"], ref)
    return {**data, "rubric": rubric, **({"reference_answer": ref} if ref is not None else {})}


def criteria_list(rubric: Any) -> list[Any]:
    """A rubric's criteria as a list, from the forms people write: a list; {"criteria": [...]} (or "rubric",
    "dimensions", ...); an object keyed by criterion name, each holding its description or its fields
    ({"Metrics": "Sets targets", ...}); or a checklist pasted as text, one criterion per line.

    Raises ValueError with what was expected; the items themselves are checked by InlineCriterion.
    """
    if rubric is None or isinstance(rubric, (list, tuple)):
        return list(rubric or [])
    if isinstance(rubric, str):  # a checklist or a Markdown table pasted as text
        return pasted.criteria(rubric, lambda word: _quality(word) is not None)
    if not isinstance(rubric, dict):
        raise ValueError("a rubric is a list of criteria, an object keyed by criterion name, or a checklist as text")
    key = _criteria_key(rubric)
    if key is not None:  # {"criteria": [...]}, {"title": ..., "dimensions": [...]}, {"rubric": {"Metrics": ...}}
        return criteria_list(rubric[key])
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


_FIELDS = frozenset({*ALIASES, *(a for names in ALIASES.values() for a in names)})  # a criterion's keys, any name


def _criteria_key(rubric: Mapping[str, Any]) -> str | None:
    """The key under which a rubric object wraps its criteria ("criteria", "rubric", "dimensions", ...), or None
    when the object is keyed by criterion name."""
    if "criteria" in rubric:
        return "criteria"
    return next((k for k in _WRAPPERS if isinstance(rubric.get(k), list) or _keyed_by_name(rubric.get(k))), None)


def _keyed_by_name(value: Any) -> bool:
    """Criteria keyed by name ({"Metrics": "Sets targets", ...}) rather than one criterion's own fields."""
    return isinstance(value, dict) and bool(value) and not _FIELDS & set(value) and all(
        isinstance(x, (str, dict)) for x in value.values())


# Keys beside a wrapped list of criteria that name the rubric for people and are read silently as notes.
_WRAPPER_NOTES = frozenset({"title", "name", "question_id", "id", "version"})


def wrapper_warnings(rubric: Any) -> list[str]:
    """A line naming the keys of a rubric object, beside its wrapped criteria, that the grader does not read
    ({"criteria": [...], "scale": "1-5", "pass_mark": 70}): only the criteria and a model answer are read there,
    and the rest was dropped without a word. An object keyed by criterion name has no such keys."""
    key = _criteria_key(rubric) if isinstance(rubric, dict) else None
    if key is None:
        return []
    unread = sorted(k for k in rubric if k != key and k not in IGNORED_KEYS and k not in _WRAPPER_NOTES
                    and _folded(k) not in REFERENCE_KEYS)
    if not unread:
        return []
    return [f"rubric: {', '.join(map(repr, unread))} beside the criteria not read (only the criteria and a "
            "reference answer are read there; a scale belongs in each criterion's levels)"]


def rubric_warnings(rubric: Any) -> list[str]:
    """One line per criterion that carries keys the grader did not read, for the response to name back."""
    out = []
    for i, item in enumerate(criteria_list(rubric)):
        unread = unread_keys(item)
        if unread:
            out.append(f"rubric[{i}]: {', '.join(map(repr, unread))} not read (the README lists the fields and the "
                       "other names each may take)")
    return out


def from_inline(question: str, rubric: Sequence[Any] | Mapping[str, Any] | str | None = None,
                reference_answer: str | None = None) -> GradingRubric:
    """Build a rubric from inline criteria and/or a reference answer; raises InvalidRubric with a clear message."""
    if not question or not question.strip():
        raise InvalidRubric("question must not be empty")
    try:
        lifted, reference_answer = lift_reference(rubric, reference_answer)  # every caller, not only the API's
        rubric = criteria_list(lifted)
    except ValueError as exc:
        raise InvalidRubric(f"rubric: {exc}") from None
    if not rubric and not (reference_answer and reference_answer.strip()):
        raise InvalidRubric("give a rubric, a reference_answer, or both")
    crits: list[RubricCriterion] = []
    ref_sents = [s.strip() for s in re.split(r"(?<=[.!?;])\s+|\n+", reference_answer or "") if len(s.split()) >= 3]
    for i, raw in enumerate(rubric):
        try:
            item = InlineCriterion.model_validate(raw)
        except ValidationError as exc:
            where, problem = first_problem(exc)
            unread = unread_keys(raw)
            hint = f"; unknown keys {', '.join(map(repr, unread[:3]))} were not read" if unread else ""
            raise InvalidRubric(f"rubric[{i}].{where}: {problem}{hint}") from None
        cid, n = item.id, 0
        written = isinstance(raw, dict) and any(k in raw for k in ("id", *ALIASES["id"]))
        while not written and cid in {c.id for c in crits}:
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

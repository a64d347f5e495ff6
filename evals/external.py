"""External JSONL datasets: one human-labelled answer per line, graded through the same path as POST /api/grade.

The format is documented in evals/README.md. In short, each line is a JSON object with

- ``id``, ``question`` and ``answer`` (the answer may be empty);
- ``rubric`` (``[{id, description, weight?, levels?}]``, in any form POST /api/grade takes) and/or
  ``reference_answer``: at least one;
- exactly one human label: ``score`` with ``scale_min``/``scale_max``, or ``label`` (binary such as
  correct/incorrect, or categorical); optionally ``criteria_scores`` ``{criterion_id: level 0-3}``;
- optionally ``kind`` (a slice tag, e.g. an adversarial kind), ``split``, ``expected``
  (``{"abstain": true}`` or ``{"max_band": band}``) and ``meta`` (free-form, carried through to reports).

Unknown keys are rejected, so a typo such as ``refrence_answer`` cannot silently drop a field.
``load_external`` reports the first bad line as one line: ``FILE:LINE: FIELD: problem``.
Run ``python -m evals.external FILE...`` to check files without grading them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator, with_config
from typing_extensions import TypedDict

from app.content import Band
from app.grading.errors import InvalidRubric, first_problem
from app.grading.inline import InlineCriterion, criteria_list, from_inline, with_reference_lifted
from app.grading.rubric import REFERENCE_CRITERION, GradingRubric

# Binary labels, compared case-insensitively. Any other label is categorical.
POSITIVE_LABELS = frozenset({"correct", "true", "yes", "pass", "1"})
NEGATIVE_LABELS = frozenset({"incorrect", "false", "no", "fail", "0"})

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonBlank = Annotated[str, Field(strict=True, min_length=1)]
Level = Annotated[int, Field(strict=True, ge=0, le=3)]
BandName = Literal["below_bar", "approaching", "meets_bar", "strong"]
assert list(BandName.__args__) == [b.value for b in Band]  # type: ignore[attr-defined]


class _FieldError(ValueError):
    """A whole-item check that failed on one named field; the message is 'field: problem'."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")


class Criterion(InlineCriterion):
    """An inline rubric criterion as POST /api/grade takes it, but unknown keys (a misspelt weight) are errors."""

    model_config = ConfigDict(extra="forbid")


@with_config(ConfigDict(extra="forbid"))
class Expected(TypedDict, total=False):
    """The expected outcome of an adversarial item: {"abstain": true} or {"max_band": band}; a plain dict."""

    abstain: Literal[True]
    max_band: BandName


class ExternalItem(BaseModel):
    """One line of an external JSONL dataset."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    id: NonBlank
    question: NonBlank
    answer: Annotated[str, Field(strict=True)]
    rubric: list[Criterion] | None = None
    reference_answer: Annotated[str, Field(strict=True)] | None = None
    score: Number | None = None
    scale_min: Number | None = None
    scale_max: Number | None = None
    label: NonBlank | None = None
    criteria_scores: dict[str, Level] | None = None
    kind: NonBlank | None = None
    split: NonBlank | None = None
    expected: Expected | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _reference_inside(cls, data: Any) -> Any:
        """A rubric object that carries its model answer gives it as reference_answer, as POST /api/grade reads it."""
        return with_reference_lifted(data)

    @field_validator("rubric", mode="before")
    @classmethod
    def _criteria(cls, v: Any) -> Any:
        """An object keyed by criterion name, or {"criteria": [...]}, as POST /api/grade reads it."""
        return criteria_list(v) if isinstance(v, dict) else v

    @field_validator("id", "question", "label", "kind", "split")
    @classmethod
    def _not_blank(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be blank")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ExternalItem:
        if self.expected is not None and len(self.expected) != 1:
            raise _FieldError("expected", 'give exactly one of {"abstain": true} or {"max_band": <band>}')
        has_ref = bool(self.reference_answer and self.reference_answer.strip())
        if not self.rubric and not has_ref:
            raise _FieldError("rubric", "give a non-empty rubric, a reference_answer, or both")
        if self.rubric:
            ids = [c.id for c in self.rubric]
            dup = next((i for i in ids if ids.count(i) > 1), None)
            if dup is not None:
                raise _FieldError("rubric", f"criterion id {dup!r} appears more than once")
        if (self.score is None) == (self.label is None):
            raise _FieldError("score", "give exactly one human label: score (with scale_min/scale_max) or label")
        if self.score is not None:
            for name in ("scale_min", "scale_max"):
                if getattr(self, name) is None:
                    raise _FieldError(name, "required with score")
            assert self.scale_min is not None and self.scale_max is not None
            if not self.scale_min < self.scale_max:
                raise _FieldError("scale_max", f"must be greater than scale_min ({self.scale_min:g})")
            if not self.scale_min <= self.score <= self.scale_max:
                raise _FieldError("score", f"{self.score:g} is outside [{self.scale_min:g}, {self.scale_max:g}]")
        else:
            for name in ("scale_min", "scale_max"):
                if getattr(self, name) is not None:
                    raise _FieldError(name, "only allowed with score, not with label")
        if self.criteria_scores:
            known = self.criterion_ids
            unknown = sorted(set(self.criteria_scores) - set(known))
            if unknown:
                raise _FieldError("criteria_scores",
                                  f"unknown criterion {unknown[0]!r} (rubric has {', '.join(known)})")
        return self

    @property
    def criterion_ids(self) -> list[str]:
        """The ids of the criteria the grader will score: the rubric's, or the single reference criterion."""
        return [c.id for c in self.rubric] if self.rubric else [REFERENCE_CRITERION]

    @property
    def label_type(self) -> Literal["score", "binary", "categorical"]:
        if self.score is not None:
            return "score"
        return "binary" if binary_label(self) is not None else "categorical"


class ExternalFormatError(ValueError):
    """A dataset file is unusable; str() is one line naming the file, the line and the field."""


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(field, problem) for the first error of a validation failure, e.g. ("rubric.0.levels", "...")."""
    loc, msg = first_problem(exc, "")
    if loc:
        return loc, msg
    field, _, problem = msg.partition(": ")  # a _FieldError from a whole-item check
    return (field, problem) if problem else ("item", msg)


def _error(path: Path, lineno: int | None, field: str | None, problem: str) -> ExternalFormatError:
    where = f"{path}:{lineno}" if lineno is not None else str(path)
    text = f"{where}: {field}: {problem}" if field else f"{where}: {problem}"
    return ExternalFormatError(" ".join(text.split()))


def parse_item(obj: Any) -> ExternalItem:
    """Validate one decoded JSON value; raises pydantic's ValidationError."""
    return ExternalItem.model_validate(obj)


def load_external(path: str | Path) -> list[ExternalItem]:
    """Read and validate a JSONL dataset; blank lines are skipped. Raises ExternalFormatError at the first bad line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _error(path, None, None, f"cannot read: {exc.strerror or exc}") from None
    items: list[ExternalItem] = []
    first_line: dict[str, int] = {}
    for lineno, line_bytes in enumerate(raw.splitlines(), start=1):
        try:
            line = line_bytes.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise _error(path, lineno, None, f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _error(path, lineno, None, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise _error(path, lineno, None, f"expected a JSON object, got {type(obj).__name__}")
        try:
            item = parse_item(obj)
        except ValidationError as exc:
            field, problem = first_error(exc)
            more = exc.error_count() - 1
            raise _error(path, lineno, field, problem + (f" (and {more} more)" if more else "")) from None
        if item.id in first_line:
            raise _error(path, lineno, "id", f"duplicate id {item.id!r} (first on line {first_line[item.id]})")
        first_line[item.id] = lineno
        try:
            to_rubric(item)
        except InvalidRubric as exc:
            raise _error(path, lineno, "rubric", str(exc)) from None
        items.append(item)
    if not items:
        raise _error(path, None, None, "no items (the file is empty)")
    return items


def to_rubric(item: ExternalItem) -> GradingRubric:
    """The GradingRubric the grader sees for this item, built exactly as POST /api/grade builds it."""
    rubric = [c.model_dump(exclude_none=True) for c in item.rubric] if item.rubric else None
    return from_inline(item.question, rubric, item.reference_answer)


def normalised_score(item: ExternalItem) -> float | None:
    """The human score mapped onto 0-1 (scale_min -> 0, scale_max -> 1); None for items labelled with `label`."""
    if item.score is None or item.scale_min is None or item.scale_max is None:
        return None
    value = (item.score - item.scale_min) / (item.scale_max - item.scale_min)
    return min(1.0, max(0.0, value)) if math.isfinite(value) else None


def binary_label(item: ExternalItem) -> bool | None:
    """True/False for a binary label (correct/incorrect, true/false, yes/no, pass/fail, 1/0); None otherwise."""
    if item.label is None:
        return None
    key = item.label.strip().lower()
    if key in POSITIVE_LABELS:
        return True
    if key in NEGATIVE_LABELS:
        return False
    return None


def summarise(items: Sequence[ExternalItem]) -> str:
    """One line of counts: items, label types, splits and kinds."""
    def fmt(c: Counter[str]) -> str:
        return ", ".join(f"{k} {n}" for k, n in sorted(c.items()))

    parts = [f"{len(items)} items", "labels: " + fmt(Counter(i.label_type for i in items))]
    splits = Counter(i.split for i in items if i.split)
    kinds = Counter(i.kind for i in items if i.kind)
    if splits:
        parts.append("splits: " + fmt(splits))
    if kinds:
        parts.append("kinds: " + fmt(kinds))
    return "; ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.external", description="Check external JSONL dataset files.")
    ap.add_argument("paths", nargs="+", type=Path, help="JSONL files in the external format (evals/README.md)")
    args = ap.parse_args(argv)
    status = 0
    for path in args.paths:
        try:
            items = load_external(path)
        except ExternalFormatError as exc:
            print(f"error: {exc}", file=sys.stderr)  # noqa: T201
            status = 1
            continue
        print(f"{path}: ok, {summarise(items)}")  # noqa: T201
    return status


if __name__ == "__main__":
    raise SystemExit(main())

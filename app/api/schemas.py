"""Request and response models of the public API (a contract: scripts outside the project depend on them)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.content import Level, QuestionType
from app.grading.inline import (
    ALIASES,
    IGNORED_KEYS,
    criteria_list,
    unread_keys,
    with_reference_lifted,
    wrapper_warnings,
)
from app.markdown import Block

MAX_QUESTION_CHARS = 2000
# Inline rubrics on POST /api/grade: grading cost grows with criteria x sentences, so each part is bounded.
MAX_CRITERIA = 12
MAX_REFERENCE_CHARS = 5000
MAX_ANCHOR_CHARS = 1000
MAX_LEVELS = 11  # level anchors of one criterion: a 0-10 scale at most
MAX_ANSWER_CHARS = 20_000
# Documented in the OpenAPI schema (so generated clients and schemathesis know what is valid), while the friendly
# messages come from the validators below: some non-blank character, and no NUL anywhere.
# One definition of "blank" for the schema and the validators alike: JSON Schema's \s (ECMA) and Python's
# str.isspace() disagree on a few characters, so the whitespace set is spelled out.
VISIBLE = r"[^\x00\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
NONBLANK = rf"^[^\x00]*{VISIBLE}[^\x00]*$"
_VISIBLE = re.compile(VISIBLE)


def blank(v: str) -> bool:
    return _VISIBLE.search(v) is None
NO_NUL = r"^[^\x00]*$"


def text_field(limit: int, default: Any = ...) -> Any:
    return Field(default, json_schema_extra={"minLength": 1, "maxLength": limit, "pattern": NONBLANK})


def optional_field(**kwargs: Any) -> Any:
    """A field that may be left out but not sent as null: the schema keeps its plain type, the default is None."""
    return Field(default=None, **kwargs)


def clean_text(value: Any) -> Any:
    """Refuse text no database or JSON encoder takes: NUL bytes, and lone UTF-16 surrogates ("\\ud800").

    Walks lists and dicts, so nested rubric text is checked too; the error names the field (pydantic adds it).
    """
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL bytes")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (it contains an unpaired surrogate)") from None
    elif isinstance(value, dict):
        for k, v in value.items():
            clean_text(k)
            clean_text(v)
    elif isinstance(value, list):
        for v in value:
            clean_text(v)
    return value


class Incoming(BaseModel):
    """Base of every request body: all text fields are checked by clean_text before other validators run."""

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, v: Any) -> Any:
        return clean_text(v)


class AskRequest(Incoming):
    model_config = ConfigDict(extra="ignore")

    question: str = text_field(MAX_QUESTION_CHARS)

    @field_validator("question")
    @classmethod
    def _sane(cls, v: str) -> str:
        if blank(v):
            raise ValueError("question must not be empty")
        v = v.strip()
        if len(v) > MAX_QUESTION_CHARS:
            raise ValueError(f"question is {len(v)} characters; the limit is {MAX_QUESTION_CHARS}")
        return v


class CitationOut(BaseModel):
    n: int
    section_id: str
    title: str
    snippet: str
    score: float
    anchor: str = ""
    chunk_id: str = ""


class NearOut(BaseModel):
    section_id: str
    title: str
    score: float


class AskResponse(BaseModel):
    answer: str
    grounded: bool
    citations: list[CitationOut]
    nearest: list[NearOut] = []
    # Present only when an LLM answerer is configured (the embedded answer's shape is unchanged): degraded is
    # true when the model failed and the extractive answer stands in; flags note removed invalid citations.
    degraded: bool | None = None
    degraded_reason: str | None = None
    flags: list[str] | None = None


class GuideExchangeOut(BaseModel):
    """One earlier question to the guide and the answer that was shown."""

    id: int
    question: str
    answer: AskResponse
    created_at: str


class GlossaryTermOut(BaseModel):
    """A term the guide defines and where: used by the reader to highlight terms in answers."""

    term: str
    aliases: list[str]
    section_id: str
    title: str
    anchor: str
    sentence: str


class SectionSummary(BaseModel):
    id: str
    title: str
    competencies: list[str]
    words: int


class SectionOut(SectionSummary):
    text: str  # the section's Markdown
    blocks: list[Block]  # the same text parsed (markdown-it-py, no raw HTML): what the browser renders


class QuestionSummary(BaseModel):
    id: str
    title: str
    prompt: str
    type: str
    level: str
    competencies: list[str]
    suggested_minutes: int
    guide_sections: list[str]


def _text(v: str, what: str) -> str:
    if blank(v):
        raise ValueError(f"{what} must not be empty")
    if len(v) > MAX_ANSWER_CHARS:
        raise ValueError(f"{what} is {len(v)} characters; the limit is {MAX_ANSWER_CHARS}")
    return v


class StartInterview(Incoming):
    model_config = ConfigDict(extra="forbid")

    question_id: str | None = Field(default=None, max_length=200, json_schema_extra={"pattern": NO_NUL})
    type: QuestionType | None = None
    level: Level | None = None


class MessageIn(Incoming):
    model_config = ConfigDict(extra="forbid")

    text: str = text_field(MAX_ANSWER_CHARS)

    @field_validator("text")
    @classmethod
    def _ok(cls, v: str) -> str:
        return _text(v, "text")


class DisputeIn(Incoming):
    model_config = ConfigDict(extra="forbid")

    criterion_id: str = Field(max_length=80, json_schema_extra={"pattern": NO_NUL})
    reason: str = text_field(2000)

    @field_validator("reason")
    @classmethod
    def _ok(cls, v: str) -> str:
        return _reason(v)


def _reason(v: str) -> str:
    v = _text(v, "reason")
    if len(v) > 2000:
        raise ValueError(f"reason is {len(v)} characters; the limit is 2000")
    return v


# Weights written as text, in forms the grader reads (documented, not exhaustive: any other text is a 422).
WEIGHT_TEXT_PATTERN = r"^(?:[1-9][0-9]?(?:\.[0-9]+)?(?:%| points| pts| marks)?|x[1-9]|1/[1-9]|low|medium|high)$"
# The documented form of one inline criterion, or a plain string (its description); the grader's rubric parser
# also takes other names for each field (ALIASES: anchors, criterion, title, desc, text, points, ...), level
# anchors keyed by level number, by a key carrying one ("Level 2") or by quality word, or given as {level,
# description} objects, a name alone, a weight written "30%", no id (one is made from the name), and notes for
# people it ignores (IGNORED_KEYS); it is what checks meaning (for example unique ids). Any other key is accepted,
# not read, and named back in the response's rubric_warnings.
RUBRIC_CRITERION: dict[str, Any] = {
    "type": "object", "required": ["description"],
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 80, "pattern": NONBLANK},
        "description": {"type": "string", "minLength": 1, "maxLength": MAX_ANCHOR_CHARS, "pattern": NONBLANK},
        "weight": {"anyOf": [{"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                             {"type": "string", "examples": ["30%", "25 points", "1/3", "high"],
                              "pattern": WEIGHT_TEXT_PATTERN}]},
        "name": {"type": "string", "maxLength": 200, "pattern": NO_NUL},
        "levels": {"type": "array", "minItems": 2, "maxItems": MAX_LEVELS,
                   "items": {"type": "string", "minLength": 1, "maxLength": MAX_ANCHOR_CHARS, "pattern": NONBLANK}},
    },
    # Other keys are accepted and named back (rubric_warnings); like every text of a request, theirs holds no NUL.
    "propertyNames": {"pattern": NO_NUL},
    "additionalProperties": {"anyOf": [{"type": "string", "maxLength": MAX_ANCHOR_CHARS, "pattern": NO_NUL},
                                       {"type": "number"}, {"type": "boolean"}]},
}
RUBRIC_ITEM: dict[str, Any] = {"anyOf": [
    {"type": "string", "minLength": 1, "maxLength": MAX_ANCHOR_CHARS, "pattern": NONBLANK}, RUBRIC_CRITERION]}


def _rubric_schema(schema: dict[str, Any]) -> None:
    """The rubric is documented as what it accepts: a list of criteria, an object keyed by criterion name, or a
    checklist as text."""
    schema.pop("type", None)
    schema.pop("items", None)
    schema.pop("maxItems", None)
    schema["anyOf"] = [{"type": "array", "items": RUBRIC_ITEM, "minItems": 1, "maxItems": MAX_CRITERIA},
                       {"type": "string", "description": "a checklist, one criterion per line"},
                       {"type": "object", "minProperties": 1, "maxProperties": MAX_CRITERIA,
                        "propertyNames": {"minLength": 1, "maxLength": 200, "pattern": NONBLANK},
                        "additionalProperties": {"anyOf": [RUBRIC_ITEM["anyOf"][0], {
                            **RUBRIC_CRITERION, "required": []}]}}]


class GradeIn(Incoming):
    """Stateless grading: an answer plus a bank question id, or an inline question with a rubric/reference."""

    # A bank question, or an inline question with a rubric and/or a reference answer (checked in the route).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"required": ["question_id"]}, {"required": ["question", "rubric"]},
        {"required": ["question", "reference_answer"]}]})

    # Optional but not nullable: leave a field out rather than sending null.
    answer: str = text_field(MAX_ANSWER_CHARS)
    question_id: str = optional_field(min_length=1, max_length=200, json_schema_extra={"pattern": NO_NUL})
    question: str = text_field(MAX_QUESTION_CHARS, None)
    rubric: list[dict[str, Any] | str] = optional_field(max_length=MAX_CRITERIA, json_schema_extra=_rubric_schema)
    reference_answer: str = text_field(MAX_REFERENCE_CHARS, None)

    _wrapper_warnings: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _reference_inside(cls, data: Any, handler: ModelWrapValidatorHandler[GradeIn]) -> GradeIn:
        """A rubric object that carries its model answer ({"criteria": [...], "reference_answer": "..."}) gives it
        as the reference answer, rather than losing it or reading it as a criterion; the object's other keys are
        remembered to be named back (wrapper_warnings)."""
        data = with_reference_lifted(data)
        warnings = wrapper_warnings(data.get("rubric")) if isinstance(data, dict) else []
        model = handler(data)
        model._wrapper_warnings = warnings
        return model

    @property
    def wrapper_warnings(self) -> list[str]:
        """Keys beside the criteria of a rubric object that were not read."""
        return list(self._wrapper_warnings)

    @field_validator("answer")
    @classmethod
    def _ok(cls, v: str) -> str:
        return _text(v, "answer")

    @field_validator("question", "reference_answer")
    @classmethod
    def _sized(cls, v: str, info: ValidationInfo) -> str:
        limit = MAX_QUESTION_CHARS if info.field_name == "question" else MAX_REFERENCE_CHARS
        if blank(v):
            raise ValueError(f"{info.field_name} must not be empty")
        if len(v) > limit:
            raise ValueError(f"{info.field_name} is {len(v)} characters; the limit is {limit}")
        return v

    @field_validator("rubric", mode="before")
    @classmethod
    def _as_list(cls, v: Any) -> Any:
        """An object keyed by criterion name, {"criteria": [...]}, or a checklist pasted as text, is read as the list
        it stands for."""
        return criteria_list(clean_text(v)) if isinstance(v, (dict, str)) else v

    @field_validator("rubric")
    @classmethod
    def _bounded(cls, v: list[dict[str, Any] | str]) -> list[dict[str, Any] | str]:
        """Size limits only; the rubric's meaning is checked by the grader's own rubric parser."""
        for i, item in enumerate(v or []):
            if isinstance(item, str):  # a criterion written as its description alone
                item = {"description": item}
            unread = set(unread_keys(item))
            for key, value in item.items():
                if key in IGNORED_KEYS or key in unread:  # never read, so never checked beyond clean text
                    continue
                texts = list(value.values()) if isinstance(value, dict) else (
                    value if isinstance(value, list) else [value])
                if isinstance(value, (dict, list)) and len(texts) > MAX_LEVELS:
                    raise ValueError(f"[{i}].{key} has {len(texts)} entries; the limit is {MAX_LEVELS}")
                if (key == "levels" or key in ALIASES["levels"]) and isinstance(value, list):  # [{level, ...}]
                    texts = [t for x in value for t in (
                        x.values() if isinstance(x, dict) else x if isinstance(x, (list, tuple)) else [x])]
                for text in texts:
                    if key in ("id", "description") and isinstance(text, str) and blank(text):
                        raise ValueError(f"[{i}].{key} must not be empty")
                    if isinstance(text, str) and len(text) > MAX_ANCHOR_CHARS:
                        raise ValueError(f"[{i}].{key} has a text of {len(text)} characters; "
                                         f"the limit is {MAX_ANCHOR_CHARS}")
                    if not isinstance(text, (str, int, float, bool)) and text is not None:
                        raise ValueError(f"[{i}].{key} must hold text, not nested objects")
        return v


MAX_EARLIER_DISPUTES = 20


class GradeDisputeIn(GradeIn):
    """A dispute of a stateless grade: the grading request again, the contested criterion and the reason, and the
    disputes made before it on the same card (nothing is stored between requests, so they are decided again)."""

    criterion_id: str = Field(max_length=80, json_schema_extra={"pattern": NO_NUL})
    reason: str = text_field(2000)
    earlier: list[DisputeIn] = Field(default_factory=list, max_length=MAX_EARLIER_DISPUTES)

    @field_validator("reason")
    @classmethod
    def _reason_ok(cls, v: str) -> str:
        return _reason(v)

    @property
    def disputes(self) -> list[tuple[str, str]]:
        """Every dispute on the card, oldest first, this one last."""
        return [(d.criterion_id, d.reason) for d in self.earlier] + [(self.criterion_id, self.reason)]

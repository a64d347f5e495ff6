"""The schema of question packs: questions, anchored rubrics, probes and labelled exemplars.

The same models validate built-in packs and user packs, so a user's pack is held to exactly the rules
the shipped content follows.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,79}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class QuestionType(str, Enum):
    ai_product_design = "ai_product_design"
    evaluation_metrics = "evaluation_metrics"
    data_strategy = "data_strategy"
    technical_concepts = "technical_concepts"
    tradeoffs = "tradeoffs"
    responsible_ai = "responsible_ai"
    launch_and_production = "launch_and_production"
    stakeholders_and_execution = "stakeholders_and_execution"
    estimation = "estimation"
    behavioral = "behavioral"


class Level(str, Enum):
    apm = "apm"
    pm = "pm"
    senior = "senior"


class Competency(str, Enum):
    """The shared competency set; criteria map onto it so progress adds up across questions."""

    problem_framing = "problem_framing"
    user_focus = "user_focus"
    ai_appropriateness = "ai_appropriateness"
    evaluation_rigor = "evaluation_rigor"
    data_strategy = "data_strategy"
    risk_and_guardrails = "risk_and_guardrails"
    tradeoff_reasoning = "tradeoff_reasoning"
    execution_and_communication = "execution_and_communication"


class Band(str, Enum):
    below_bar = "below_bar"
    approaching = "approaching"
    meets_bar = "meets_bar"
    strong = "strong"


class Quality(str, Enum):
    strong = "strong"
    mixed = "mixed"
    weak = "weak"


# The overall-score rule shared by exemplar labels and every grader: score = 100 * sum(w * level) / (3 * sum(w)),
# then fixed cut points. A band label on an exemplar must agree with its per-criterion levels under this rule.
BAND_CUTS: tuple[tuple[float, Band], ...] = ((80.0, Band.strong), (60.0, Band.meets_bar), (40.0, Band.approaching))

# Which bands each exemplar quality may carry: a "strong" exemplar that scores below the bar is mislabelled.
QUALITY_BANDS: dict[Quality, set[Band]] = {
    Quality.strong: {Band.strong, Band.meets_bar},
    Quality.mixed: {Band.approaching, Band.meets_bar},
    Quality.weak: {Band.below_bar, Band.approaching},
}


def overall_score(levels: dict[str, int], weights: dict[str, float]) -> float:
    """Weighted mean of criterion levels on a 0-100 scale."""
    total = sum(weights[c] for c in levels)
    return 100.0 * sum(weights[c] * lvl for c, lvl in levels.items()) / (3.0 * total) if total else 0.0


def band_for(score: float) -> Band:
    """Map a 0-100 score to its band under BAND_CUTS."""
    for cut, band in BAND_CUTS:
        if score >= cut - 1e-9:
            return band
    return Band.below_bar


_WORD = re.compile(r"[a-z0-9]+")
RUN = 6  # consecutive words shared with a level anchor that count as revealing it


def _shared_run(text: str, private: list[str]) -> str | None:
    words = _WORD.findall(text.lower())
    grams = {tuple(words[i:i + RUN]) for i in range(len(words) - RUN + 1)}
    for p in private:
        pw = _WORD.findall(p.lower())
        for i in range(len(pw) - RUN + 1):
            if tuple(pw[i:i + RUN]) in grams:
                return " ".join(pw[i:i + RUN])
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContextFact(_Strict):
    """A fact the interviewer may give when the candidate asks a clarifying question."""

    topic: Text
    fact: Text


class CurveballKind(str, Enum):
    changed_constraint = "changed_constraint"
    scale_up = "scale_up"
    failure = "failure"
    pushback = "pushback"


class Curveball(_Strict):
    """A stretch probe for an answer that is already strong: the case changes, and the candidate adapts."""

    kind: CurveballKind
    text: Text


class Cue(_Strict):
    """A concept a good answer shows, with several ways a candidate might phrase it."""

    concept: Text
    phrasings: list[Text] = Field(min_length=2)


class Criterion(_Strict):
    id: Id
    name: Text
    competency: Competency
    description: Text
    weight: float = Field(default=1.0, gt=0, le=10)
    levels: dict[int, Text]
    cues: list[Cue] = Field(min_length=2)
    probe: Text
    guide_sections: list[Id] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _four_levels(cls, v: dict[int, str]) -> dict[int, str]:
        if sorted(v) != [0, 1, 2, 3]:
            raise ValueError(f"must define exactly levels 0, 1, 2 and 3 (got {sorted(v)})")
        return v


class Exemplar(_Strict):
    id: Id
    quality: Quality
    style: Text = "prose"
    text: Text
    levels: dict[str, int]
    band: Band

    @field_validator("levels")
    @classmethod
    def _in_range(cls, v: dict[str, int]) -> dict[str, int]:
        bad = {k: n for k, n in v.items() if not 0 <= n <= 3}
        if bad:
            raise ValueError(f"levels must be 0-3 (got {bad})")
        return v


class Question(_Strict):
    id: Id
    title: Text
    prompt: Text
    type: QuestionType
    level: Level
    competencies: list[Competency] = Field(min_length=1)
    suggested_minutes: int = Field(ge=1, le=90)
    context: list[ContextFact] = Field(default_factory=list)
    guide_sections: list[Id] = Field(min_length=1)
    reference_answer: str | None = None
    rubric: list[Criterion] = Field(min_length=4, max_length=6)
    exemplars: list[Exemplar] = Field(default_factory=list)
    curveballs: list[Curveball] = Field(default_factory=list, max_length=5)

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        ids = [c.id for c in self.rubric]
        if len(set(ids)) != len(ids):
            raise ValueError(f"rubric: criterion ids must be unique (got {ids})")
        texts = [c.text.lower() for c in self.curveballs]
        if len(set(texts)) != len(texts):
            raise ValueError("curveballs: each curveball must be different")
        for i, cb in enumerate(self.curveballs):
            if (shared := _shared_run(cb.text, [t for c in self.rubric for t in (c.description, *c.levels.values())])):
                raise ValueError(f"curveballs[{i}]: repeats the rubric's wording ({shared!r}); a probe must not "
                                 f"reveal what is graded")
        weights = {c.id: c.weight for c in self.rubric}
        seen: set[str] = set()
        for i, ex in enumerate(self.exemplars):
            where = f"exemplars[{i}] ({ex.id})"
            if ex.id in seen:
                raise ValueError(f"{where}: duplicate exemplar id")
            seen.add(ex.id)
            if set(ex.levels) != set(ids):
                missing, extra = set(ids) - set(ex.levels), set(ex.levels) - set(ids)
                raise ValueError(f"{where}.levels: must label every criterion; missing {sorted(missing)}, "
                                 f"unknown {sorted(extra)}")
            expected = band_for(overall_score(ex.levels, weights))
            if ex.band != expected:
                raise ValueError(f"{where}.band: is {ex.band.value} but its levels score "
                                 f"{overall_score(ex.levels, weights):.0f}, which is {expected.value}")
            if ex.band not in QUALITY_BANDS[ex.quality]:
                raise ValueError(f"{where}.band: a {ex.quality.value} exemplar cannot be {ex.band.value}")
        return self

    @property
    def weights(self) -> dict[str, float]:
        return {c.id: c.weight for c in self.rubric}

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.rubric:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)


class PackInfo(_Strict):
    id: Id
    title: Text
    description: str = ""


class Pack(_Strict):
    pack: PackInfo
    questions: list[Question] = Field(min_length=1)

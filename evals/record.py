"""The run record: a versioned JSON file holding what was graded, by which grader, and how well."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from app.settings import ROOT

SCHEMA_VERSION = 2
READABLE_SCHEMAS = {1, 2}  # version 1 records (no accounting, no validity) still load, with the defaults below


class Prediction(BaseModel):
    abstained: bool
    reason: str | None = None
    score: float | None = None  # 0-100
    band: str | None = None
    levels: dict[str, int] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    degraded: bool = False  # an LLM grader fell back to the embedded one for this item
    degraded_reason: str | None = None


class Accounting(BaseModel):
    """What grading one item cost, and who really graded it: the judge, or the fallback standing in for it."""

    grader: str = ""  # the grader that produced the grade, e.g. "llm:openai/gpt-4o-mini" or "embedded"
    latency_ms: float = 0.0  # wall time of this item's grade (batched graders: the batch's time per item)
    calls: int = 0  # provider calls, repairs and retries of failed calls not included
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None  # from litellm's cost map; None when the model has no price there


class ItemResult(BaseModel):
    id: str
    split: str
    kind: str
    qtype: str | None = None
    level: str | None = None
    words: int
    human: dict[str, Any]
    pred: Prediction
    spread: float = 0.0  # max - min score over repeats
    passed: bool | None = None  # adversarial expectation met
    source: str = ""  # where the item came from (gold: exemplars, answers, adversarial; or the dataset's name)
    excerpt: str = ""  # the start of the answer, for reports (untrusted text: always escaped when shown)
    cost: Accounting = Field(default_factory=Accounting)


class RunRecord(BaseModel):
    schema_version: int = SCHEMA_VERSION
    run_id: str
    created_at: str
    dataset: dict[str, Any]
    grader: dict[str, Any]
    repeats: int = 1
    seconds: float = 0.0
    items: list[ItemResult]
    metrics: dict[str, Any]
    mode: str = "cued"  # gold rubrics as the bank has them (cued), or as POST /api/grade receives them (inline)
    # A run whose judge fell back on too many items measures the fallback, not the judge: it is kept for the
    # record but marked invalid, `evals run` exits non-zero and the drift gate refuses it.
    valid: bool = True
    invalid_reason: str | None = None

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.run_id}.json"
        path.write_text(self.model_dump_json(indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema_version") not in READABLE_SCHEMAS:
            raise ValueError(f"{path}: run record schema {data.get('schema_version')} is not one of "
                             f"{sorted(READABLE_SCHEMAS)}")
        return cls.model_validate(data)


def git_sha() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def new_run_id(dataset: str, grader_kind: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{stamp}-{grader_kind}-{dataset}".replace("/", "_").replace(":", "_")


def now() -> str:
    return datetime.now(UTC).isoformat()

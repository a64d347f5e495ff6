"""The run record: a versioned JSON file holding what was graded, by which grader, and how well."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from app.settings import ROOT

SCHEMA_VERSION = 1


class Prediction(BaseModel):
    abstained: bool
    reason: str | None = None
    score: float | None = None  # 0-100
    band: str | None = None
    levels: dict[str, int] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    degraded: bool = False  # an LLM grader fell back to the embedded one for this item


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

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.run_id}.json"
        path.write_text(self.model_dump_json(indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"{path}: run record schema {data.get('schema_version')} is not {SCHEMA_VERSION}")
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

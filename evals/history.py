"""Run history in SQLite in the data directory, so trends can be plotted across runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from evals.record import RunRecord

SCHEMA = """CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, dataset TEXT NOT NULL, grader_kind TEXT,
    grader_model TEXT, path TEXT NOT NULL, metrics TEXT NOT NULL)"""


def _connect(db: Path) -> sqlite3.Connection:
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db)
    conn.execute(SCHEMA)
    return conn


def record(db: Path, rec: RunRecord, path: Path) -> None:
    with _connect(db) as conn:
        conn.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (rec.run_id, rec.created_at, rec.dataset["name"], rec.grader.get("kind"),
                      rec.grader.get("model"), str(path), json.dumps({**rec.metrics, "valid": rec.valid})))


def runs(db: Path, dataset: str | None = None) -> list[dict[str, Any]]:
    if not db.exists():
        return []
    with _connect(db) as conn:
        q = "SELECT run_id, created_at, dataset, grader_kind, grader_model, path, metrics FROM runs"
        rows = conn.execute(q + (" WHERE dataset = ?" if dataset else "") + " ORDER BY created_at",
                            (dataset,) if dataset else ()).fetchall()
    return [{"run_id": r[0], "created_at": r[1], "dataset": r[2], "grader_kind": r[3], "grader_model": r[4],
             "path": r[5], "metrics": json.loads(r[6])} for r in rows]


def find(db: Path, run_id: str) -> Path | None:
    for r in runs(db):
        if r["run_id"] == run_id or r["run_id"].startswith(run_id):
            return Path(r["path"])
    return None

"""Loading and validating question packs from YAML, with one-line errors that name file, question and field."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.content.errors import PackValidationError
from app.content.facts import hidden_facts
from app.content.models import Pack, Question

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuestionBank:
    """All loaded questions, by id, with the file each came from."""

    questions: dict[str, Question]
    sources: dict[str, str]

    def get(self, question_id: str) -> Question | None:
        return self.questions.get(question_id)

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.questions.values())


def _loc_to_text(loc: tuple[Any, ...], raw: Any) -> tuple[str, str]:
    """Turn a pydantic error location into (question label, field path)."""
    question = "-"
    parts: list[str] = []
    i = 0
    if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
        qi = loc[1]
        qraw = raw.get("questions", [])[qi] if isinstance(raw, dict) else None
        qid = qraw.get("id") if isinstance(qraw, dict) else None
        question = f"'{qid}'" if qid else f"#{qi + 1}"
        i = 2
    for part in loc[i:]:
        if isinstance(part, int) and parts:
            parts[-1] += f"[{part}]"
        else:
            parts.append(str(part))
    return question, ".".join(parts)


def _format_errors(path: str, exc: ValidationError, raw: Any) -> list[str]:
    lines = []
    for err in exc.errors():
        question, fld = _loc_to_text(tuple(err["loc"]), raw)
        msg = err["msg"].removeprefix("Value error, ")
        where = f"question {question}: " if question != "-" else ""
        lines.append(f"{path}: {where}field {fld}: {msg}" if fld else f"{path}: {where}{msg}")
    return lines


def parse_pack(text: str, path: str) -> Pack:
    """Parse and validate one pack's YAML text; raises PackValidationError with one line per problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise PackValidationError([f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(raw, dict):
        raise PackValidationError([f"{path}: a pack must be a mapping with 'pack' and 'questions'"])
    try:
        return Pack.model_validate(raw)
    except ValidationError as exc:
        raise PackValidationError(_format_errors(path, exc, raw)) from None


def _pack_files(directories: Iterable[Path], problems: list[str]) -> list[Path]:
    files: list[Path] = []
    for d in directories:
        if d.is_file():
            files.append(d)
        elif d.is_dir():
            files.extend(sorted([*d.rglob("*.yaml"), *d.rglob("*.yml")]))
        else:
            problems.append(f"{d}: no such file or directory")
    return files


def load_bank(directories: Iterable[Path], guide_ids: set[str] | None = None) -> QuestionBank:
    """Load every pack under `directories`: ids unique, guide references resolving, no rubric needing hidden facts.

    All problems across all files are collected before raising, so one run shows everything to fix.
    """
    problems: list[str] = []
    questions: dict[str, Question] = {}
    sources: dict[str, str] = {}
    for f in _pack_files(directories, problems):
        path = str(f)
        try:
            pack = parse_pack(f.read_text(encoding="utf-8"), path)
        except PackValidationError as exc:
            problems.extend(exc.problems)
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read file ({exc.__class__.__name__})")
            continue
        for q in pack.questions:
            if q.id in questions:
                problems.append(f"{path}: question '{q.id}': field id: already defined in {sources[q.id]}")
                continue
            if guide_ids is not None:
                refs = [("guide_sections", s) for s in q.guide_sections]
                refs += [(f"rubric[{c.id}].guide_sections", s) for c in q.rubric for s in c.guide_sections]
                for fld, sid in refs:
                    if sid not in guide_ids:
                        problems.append(f"{path}: question '{q.id}': field {fld}: unknown guide section '{sid}'")
            problems.extend(f"{path}: question '{q.id}': {h}" for h in hidden_facts(q))
            questions[q.id] = q
            sources[q.id] = path
    if problems:
        raise PackValidationError(problems)
    log.info("loaded %d questions from %d files", len(questions), len(set(sources.values())))
    return QuestionBank(questions=questions, sources=sources)

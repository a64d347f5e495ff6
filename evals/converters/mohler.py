"""Mohler et al. 2011 (ShortAnswerGrading v2.0) -> external JSONL.

    python -m evals.converters.mohler PATH/mohler_v2_all_answers.jsonl --out OUT.jsonl [--only-2273]

One item per student answer: the label is the official average ``score_avg_official_0to5`` on a 0-5 scale (the gold
label used in the literature), the reference answer is the instructor's, ``kind`` is ``exam`` or ``assignment``
and ``split`` is ``all`` (the benchmark is held out as a whole). ``meta`` keeps the question id, the
``in_2273_subset`` flag (the 81 open-ended questions the paper reports on), the assignment number and both
graders' 0-5 scores, so inter-annotator agreement can be recomputed beside the grader's.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evals.converters import ConversionError, row_error, run_cli, validated, write_jsonl
from evals.external import ExternalItem

SCALE = (0.0, 5.0)
REQUIRED = ("answer_uid", "question_id", "is_exam", "question", "reference_answer", "student_answer",
            "score_avg_official_0to5", "in_2273_subset")
# Which source column each item field comes from, so an error names the column to look at.
SOURCE_COLUMN = {"id": "answer_uid", "question": "question", "answer": "student_answer",
                 "reference_answer": "reference_answer", "score": "score_avg_official_0to5"}


def _flag(path: Path, lineno: int, row: dict[str, Any], column: str) -> bool:
    value = row[column]
    if value in (0, 1) or isinstance(value, bool):
        return bool(value)
    raise row_error(path, lineno, column, f"expected 0 or 1, got {value!r}")


def _number(path: Path, lineno: int, row: dict[str, Any], column: str) -> float | None:
    value = row.get(column)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise row_error(path, lineno, column, f"expected a number, got {value!r}")
    return float(value)


def convert_row(path: Path, lineno: int, row: Any) -> ExternalItem:
    """One source row -> one validated item; raises ConversionError naming the file, line and column."""
    if not isinstance(row, dict):
        raise row_error(path, lineno, "row", f"expected a JSON object, got {type(row).__name__}")
    missing = [c for c in REQUIRED if c not in row]
    if missing:
        raise row_error(path, lineno, missing[0], "missing column")
    score = _number(path, lineno, row, "score_avg_official_0to5")
    if score is None:
        raise row_error(path, lineno, "score_avg_official_0to5", "is null")
    meta: dict[str, Any] = {
        "source": "mohler2011",
        "question_id": str(row["question_id"]),
        "in_2273_subset": _flag(path, lineno, row, "in_2273_subset"),
        "answer_uid": str(row["answer_uid"]),
    }
    if row.get("assignment") is not None:
        meta["assignment"] = row["assignment"]
    for column in ("score_grader1_0to5", "score_grader2_0to5"):
        value = _number(path, lineno, row, column)
        if value is not None:
            meta[column] = value
    obj = {
        "id": f"mohler/{row['answer_uid']}",
        "question": row["question"],
        "answer": row["student_answer"],
        "reference_answer": row["reference_answer"],
        "score": score,
        "scale_min": SCALE[0],
        "scale_max": SCALE[1],
        "kind": "exam" if _flag(path, lineno, row, "is_exam") else "assignment",
        "split": "all",
        "meta": meta,
    }
    return validated(path, lineno, obj, SOURCE_COLUMN)


def read_rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8") as fh:
        lines = fh.readlines()
    for lineno, line in enumerate(tqdm(lines, desc="mohler", unit="row"), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise row_error(path, lineno, "row", f"invalid JSON: {exc.msg} (column {exc.colno})") from None


def convert(path: Path, only_2273: bool = False) -> list[ExternalItem]:
    items: list[ExternalItem] = []
    seen: dict[str, int] = {}
    for lineno, row in read_rows(path):
        item = convert_row(path, lineno, row)
        if only_2273 and not item.meta["in_2273_subset"]:
            continue
        if item.id in seen:
            raise row_error(path, lineno, "answer_uid", f"duplicate {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise ConversionError(f"{path}: no rows to convert")
    return items


def summary(items: Sequence[ExternalItem], out: Path) -> str:
    kinds = Counter(i.kind for i in items)
    subset = sum(bool(i.meta["in_2273_subset"]) for i in items)
    questions = len({i.meta["question_id"] for i in items})
    mean = sum(i.score or 0.0 for i in items) / len(items)
    return (f"mohler: wrote {len(items)} items ({kinds['assignment']} assignment, {kinds['exam']} exam; "
            f"{questions} questions; {subset} in the 2,273 subset; mean score {mean:.2f}/5) to {out}")


def _main(argv: Sequence[str] | None) -> str:
    ap = argparse.ArgumentParser(prog="python -m evals.converters.mohler", description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path, help="mohler_v2_all_answers.jsonl (e.g. ../shared/benchmarks/mohler2011/)")
    ap.add_argument("--out", type=Path, required=True, help="the external JSONL file to write")
    ap.add_argument("--only-2273", action="store_true",
                    help="keep only the 2,273 answers to the 81 open-ended questions the paper reports on")
    args = ap.parse_args(argv)
    items = convert(args.path, only_2273=args.only_2273)
    write_jsonl(items, args.out)
    return summary(items, args.out)


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(_main, argv)


if __name__ == "__main__":
    raise SystemExit(main())

"""Converters from external benchmarks to the external JSONL format (evals/README.md).

Each converter is a script that takes the benchmark file's path as an argument, so the project never depends on
where the benchmark lives:

    python -m evals.converters.mohler  PATH/mohler_v2_all_answers.jsonl        --out OUT.jsonl
    python -m evals.converters.semeval PATH/semeval2013_task7_2way_all.csv     --out OUT.jsonl

These benchmarks are held out: fit nothing on them. For SemEval only a decision threshold may be fixed on its
``train`` split; the three test splits are reported separately.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evals.external import ExternalItem, first_error


class ConversionError(ValueError):
    """A source row cannot be converted; str() is one line naming the file, the row and the column or field."""


def row_error(path: Path, row: int, field: str, problem: str) -> ConversionError:
    return ConversionError(" ".join(f"{path}:{row}: {field}: {problem}".split()))


def validated(path: Path, row: int, obj: dict[str, Any], columns: dict[str, str] | None = None) -> ExternalItem:
    """Validate a converted item against the external format, blaming the source row when it fails.

    ``columns`` maps item fields to the source columns they came from, so the error names the column to fix.
    """
    try:
        return ExternalItem.model_validate(obj)
    except ValidationError as exc:
        field, problem = first_error(exc)
        column = (columns or {}).get(field.split(".")[0])
        raise row_error(path, row, f"{column} (item field {field})" if column else field, problem) from None


def write_jsonl(items: Iterable[ExternalItem], out: Path) -> int:
    """Write items one JSON object per line (UTF-8, unset optional fields left out); returns the count."""
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        for item in items:
            fh.write(json.dumps(item.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(out)
    return n


def run_cli(convert: Callable[[Sequence[str] | None], str], argv: Sequence[str] | None = None) -> int:
    """Run a converter's main: print its one-line summary, or a one-line error (no traceback) and exit 2."""
    try:
        summary = convert(argv)
    except (ConversionError, OSError) as exc:
        msg = f"{exc.filename}: {exc.strerror}" if isinstance(exc, OSError) and exc.filename else str(exc)
        print(f"error: {msg}", file=sys.stderr)  # noqa: T201
        return 2
    print(summary)  # noqa: T201
    return 0

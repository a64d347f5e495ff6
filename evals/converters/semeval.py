"""SemEval-2013 Task 7, 2-way (Beetle + SciEntsBank) -> external JSONL.

    python -m evals.converters.semeval PATH/semeval2013_task7_2way_all.csv --out OUT.jsonl \
        [--questions PATH/semeval2013_task7_questions.csv]

One item per student answer: ``label`` is ``correct`` or ``incorrect``, the reference answer is the row's (the first
BEST reference, or the only one), ``split`` is the row's (``train``, ``test-unseen-answers``,
``test-unseen-questions``, ``test-unseen-domains``) and ``kind`` is the corpus (``beetle`` / ``sciEntsBank``).
``meta`` keeps the question id, module, student answer id and source file; with ``--questions`` it also carries every
reference answer of the question as ``[category, text]`` pairs (Beetle questions have several).

Held out: fit nothing on it. Only a decision threshold may be fixed on ``train``; report the test splits separately.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evals.converters import ConversionError, row_error, run_cli, validated, write_jsonl
from evals.external import ExternalItem

LABELS = ("correct", "incorrect")
SPLITS = ("train", "test-unseen-answers", "test-unseen-questions", "test-unseen-domains")
REQUIRED = ("corpus", "split", "question_id", "question", "reference_answer", "student_answer_id", "student_answer",
            "label_2way")
SOURCE_COLUMN = {"id": "student_answer_id", "question": "question", "answer": "student_answer",
                 "reference_answer": "reference_answer", "label": "label_2way", "split": "split", "kind": "corpus"}


def _read_csv(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs, the line number being where the row ends in the file; checks header and cell counts."""
    rows: list[tuple[int, dict[str, str]]] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        missing = [c for c in required if c not in header]
        if missing:
            raise row_error(path, 1, missing[0], "missing column in the header")
        try:
            for row in reader:
                if None in row.keys() or None in row.values():
                    raise row_error(path, reader.line_num, "row", f"wrong number of cells (header has {len(header)})")
                rows.append((reader.line_num, row))
        except csv.Error as exc:
            raise row_error(path, reader.line_num, "row", f"bad CSV: {exc}") from None
    return rows


def read_references(path: Path) -> dict[str, list[list[str]]]:
    """source_file -> [[category, reference answer], ...] from semeval2013_task7_questions.csv."""
    rows = _read_csv(path, ("source_file", "reference_answers_json"))
    refs: dict[str, list[list[str]]] = {}
    for lineno, row in rows:
        try:
            value = json.loads(row["reference_answers_json"])
        except json.JSONDecodeError as exc:
            raise row_error(path, lineno, "reference_answers_json", f"invalid JSON: {exc.msg}") from None
        if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
            raise row_error(path, lineno, "reference_answers_json", "expected a list of [category, text] pairs")
        refs[row["source_file"]] = [[str(c), str(t)] for c, t in value]
    return refs


def convert_row(path: Path, lineno: int, row: dict[str, str],
                references: dict[str, list[list[str]]] | None = None) -> ExternalItem:
    """One CSV row -> one validated item; raises ConversionError naming the file, line and column."""
    label = (row["label_2way"] or "").strip().lower()
    if label not in LABELS:
        raise row_error(path, lineno, "label_2way", f"expected correct or incorrect, got {row['label_2way']!r}")
    split = (row["split"] or "").strip()
    if split not in SPLITS:
        raise row_error(path, lineno, "split", f"expected one of {', '.join(SPLITS)}, got {row['split']!r}")
    corpus = (row["corpus"] or "").strip()
    meta: dict[str, Any] = {"source": "semeval2013-2way", "question_id": row["question_id"],
                            "student_answer_id": row["student_answer_id"]}
    if row.get("module"):
        meta["module"] = row["module"]
    if row.get("n_reference_answers"):
        try:
            meta["n_reference_answers"] = int(row["n_reference_answers"])
        except ValueError:
            raise row_error(path, lineno, "n_reference_answers",
                            f"expected an integer, got {row['n_reference_answers']!r}") from None
    if row.get("source_file"):
        meta["source_file"] = row["source_file"]
    if references is not None:
        refs = references.get(row.get("source_file") or "")
        if refs is None:
            raise row_error(path, lineno, "source_file", f"{row.get('source_file')!r} is not in the questions file")
        meta["reference_answers"] = refs
    obj = {
        "id": f"semeval2013/{corpus}/{row['student_answer_id']}",
        "question": row["question"],
        "answer": row["student_answer"],
        "reference_answer": row["reference_answer"],
        "label": label,
        "kind": corpus,
        "split": split,
        "meta": meta,
    }
    return validated(path, lineno, obj, SOURCE_COLUMN)


def convert(path: Path, questions: Path | None = None) -> list[ExternalItem]:
    references = read_references(questions) if questions else None
    rows = _read_csv(path, REQUIRED)
    items: list[ExternalItem] = []
    seen: dict[str, int] = {}
    for lineno, row in tqdm(rows, desc="semeval", unit="row"):
        item = convert_row(path, lineno, row, references)
        if item.id in seen:
            raise row_error(path, lineno, "student_answer_id", f"duplicate {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise ConversionError(f"{path}: no rows to convert")
    return items


def summary(items: Sequence[ExternalItem], out: Path) -> str:
    labels = Counter(i.label for i in items)
    splits = Counter(i.split for i in items)
    kinds = Counter(i.kind for i in items)
    split_text = ", ".join(f"{s} {splits[s]}" for s in SPLITS if splits[s])
    kind_text = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    return (f"semeval: wrote {len(items)} items (correct {labels['correct']} / incorrect {labels['incorrect']}; "
            f"{split_text}; {kind_text}) to {out}")


def _main(argv: Sequence[str] | None) -> str:
    ap = argparse.ArgumentParser(prog="python -m evals.converters.semeval", description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path,
                    help="semeval2013_task7_2way_all.csv (e.g. ../shared/benchmarks/semeval2013-2way/)")
    ap.add_argument("--out", type=Path, required=True, help="the external JSONL file to write")
    ap.add_argument("--questions", type=Path,
                    help="semeval2013_task7_questions.csv: add every reference answer to meta.reference_answers")
    args = ap.parse_args(argv)
    items = convert(args.path, args.questions)
    write_jsonl(items, args.out)
    return summary(items, args.out)


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli(_main, argv)


if __name__ == "__main__":
    raise SystemExit(main())

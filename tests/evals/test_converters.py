"""The Mohler and SemEval converters write items that load as external JSONL, with one-line errors on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import ROOT
from evals.converters import mohler, semeval
from evals.external import load_external, normalised_score, to_rubric

FIXTURES = Path(__file__).parent / "fixtures"
MOHLER = FIXTURES / "mohler_sample.jsonl"
SEMEVAL = FIXTURES / "semeval_sample.csv"
SEMEVAL_QUESTIONS = FIXTURES / "semeval_questions_sample.csv"


def run_ok(main, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:  # type: ignore[no-untyped-def]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return out.strip()


def run_err(main, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:  # type: ignore[no-untyped-def]
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0].removeprefix("error: ")


# --- Mohler -----------------------------------------------------------------------------------------------------------


def test_mohler_converts_to_valid_items(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "mohler.jsonl"
    summary = run_ok(mohler.main, [str(MOHLER), "--out", str(out)], capsys)
    assert summary == (f"mohler: wrote 4 items (3 assignment, 1 exam; 3 questions; 3 in the 2,273 subset; "
                       f"mean score 3.62/5) to {out}")
    items = load_external(out)
    assert [i.id for i in items] == ["mohler/1.1#1", "mohler/1.1#2", "mohler/4.6#1", "mohler/11.2#1"]
    first, _, closed, exam = items
    assert (first.score, first.scale_min, first.scale_max, first.split) == (4.5, 0.0, 5.0, "all")
    assert first.answer == "It keeps items so the last one pushed is the first one popped."
    assert first.reference_answer == "It stores items in last-in first-out order."
    assert first.kind == "assignment" and exam.kind == "exam"
    assert first.meta["question_id"] == "1.1" and first.meta["in_2273_subset"] is True
    assert closed.meta["in_2273_subset"] is False
    assert exam.meta["score_grader1_0to5"] == 4.75 and exam.meta["score_grader2_0to5"] == 4.0
    assert [normalised_score(i) for i in items] == [0.9, 0.1, 1.0, 0.9]
    assert all(to_rubric(i).criteria[0].id == "reference" for i in items)


def test_mohler_only_2273(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.jsonl"
    run_ok(mohler.main, [str(MOHLER), "--out", str(out), "--only-2273"], capsys)
    assert [i.meta["question_id"] for i in load_external(out)] == ["1.1", "1.1", "11.2"]


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda r: r.pop("score_avg_official_0to5"), ":2: score_avg_official_0to5: missing column"),
    (lambda r: r.update(score_avg_official_0to5="4"), ":2: score_avg_official_0to5: expected a number"),
    (lambda r: r.update(score_avg_official_0to5=6.0), ":2: score_avg_official_0to5 (item field score): 6 is outside"),
    (lambda r: r.update(is_exam=2), ":2: is_exam: expected 0 or 1"),
    (lambda r: r.update(student_answer=None), ":2: student_answer (item field answer): Input should be a valid str"),
    (lambda r: r.update(answer_uid="1.1#1"), ":2: answer_uid: duplicate 'mohler/1.1#1' (first on line 1)"),
])
def test_mohler_bad_rows_are_one_line_errors(  # type: ignore[no-untyped-def]
        tmp_path: Path, capsys: pytest.CaptureFixture[str], edit, expected: str) -> None:
    rows = [json.loads(ln) for ln in MOHLER.read_text().splitlines()]
    edit(rows[1])
    src = tmp_path / "m.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    msg = run_err(mohler.main, [str(src), "--out", str(out)], capsys)
    assert msg.startswith(str(src)) and expected in msg, msg
    assert not out.exists()  # nothing half-written


def test_mohler_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.jsonl"
    assert run_err(mohler.main, [str(missing), "--out", str(tmp_path / "o.jsonl")], capsys).startswith(str(missing))


# --- SemEval ----------------------------------------------------------------------------------------------------------


def test_semeval_converts_to_valid_items(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "semeval.jsonl"
    summary = run_ok(semeval.main, [str(SEMEVAL), "--out", str(out)], capsys)
    assert summary == ("semeval: wrote 6 items (correct 3 / incorrect 3; train 3, test-unseen-answers 1, "
                       f"test-unseen-questions 1, test-unseen-domains 1; beetle 4, sciEntsBank 2) to {out}")
    items = load_external(out)
    assert [i.split for i in items] == ["train", "train", "test-unseen-answers", "test-unseen-questions", "train",
                                        "test-unseen-domains"]
    assert [i.label for i in items] == ["correct", "incorrect", "correct", "incorrect", "correct", "incorrect"]
    assert [i.kind for i in items] == ["beetle"] * 4 + ["sciEntsBank"] * 2
    assert all(i.label_type == "binary" and normalised_score(i) is None for i in items)
    first, _, multiline = items[:3]
    assert first.id == "semeval2013/beetle/Circuits-LAMP_GAP_Q1.sbj1-l1.qa1"
    assert first.answer == "there is a gap, so the circuit is open"
    assert first.reference_answer == "The bulb is not in a closed path with the battery, so no current flows"
    assert first.meta["question_id"] == "LAMP_GAP_Q1" and first.meta["module"] == "Circuits"
    assert first.meta["n_reference_answers"] == 2
    assert "reference_answers" not in first.meta
    assert multiline.answer == "it is not in a closed path\nwith the battery"
    assert all(to_rubric(i).reference_answer == i.reference_answer for i in items)


def test_semeval_with_questions_adds_all_references(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.jsonl"
    run_ok(semeval.main, [str(SEMEVAL), "--questions", str(SEMEVAL_QUESTIONS), "--out", str(out)], capsys)
    first = load_external(out)[0]
    assert first.meta["reference_answers"] == [
        ["BEST", "The bulb is not in a closed path with the battery, so no current flows"],
        ["MINIMAL", "there is a gap in the circuit"]]


def _csv_with(tmp_path: Path, old: str, new: str) -> Path:
    text = SEMEVAL.read_text()
    assert old in text
    src = tmp_path / "s.csv"
    src.write_text(text.replace(old, new, 1))
    return src


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("qa2,the battery is dead,incorrect", "qa2,the battery is dead,partially_correct",
     ":3: label_2way: expected correct or incorrect, got 'partially_correct'"),
    ("beetle,train,", "beetle,dev,", ":2: split: expected one of train"),
    ("magnetic?,The current", "magnetic?,,The current", ":7: row: wrong number"),
    (",label_2way,", ",label,", ":1: label_2way: missing column in the header"),
    ("sbj2-l1.qa2,", "sbj1-l1.qa1,", ":3: student_answer_id: duplicate"),
])
def test_semeval_bad_rows_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
                                              expected: str) -> None:
    src = _csv_with(tmp_path, old, new)
    msg = run_err(semeval.main, [str(src), "--out", str(tmp_path / "o.jsonl")], capsys)
    assert msg.startswith(str(src)) and expected in msg, msg


def test_semeval_empty_answer_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _csv_with(tmp_path, "qa2,the battery is dead,", "qa2,,")
    out = tmp_path / "o.jsonl"
    run_ok(semeval.main, [str(src), "--out", str(out)], capsys)
    assert load_external(out)[1].answer == ""


def test_semeval_unknown_question_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.csv"
    questions.write_text("\n".join(SEMEVAL_QUESTIONS.read_text().splitlines()[:2]) + "\n")
    msg = run_err(semeval.main, [str(SEMEVAL), "--questions", str(questions), "--out", str(tmp_path / "o.jsonl")],
                  capsys)
    assert msg.startswith(f"{SEMEVAL}:5: source_file: ") and "not in the questions file" in msg


# --- as scripts -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "src"), [("mohler", MOHLER), ("semeval", SEMEVAL)])
def test_runs_as_a_module(tmp_path: Path, module: str, src: Path) -> None:
    out = tmp_path / "o.jsonl"
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run([sys.executable, "-m", f"evals.converters.{module}", str(src), "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{module}: wrote ") and done.stdout.count("\n") == 1
    assert "100%" in done.stderr  # the tqdm progress bar
    assert load_external(out)
    bad = subprocess.run([sys.executable, "-m", f"evals.converters.{module}", str(tmp_path / "missing"), "--out",
                          str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr

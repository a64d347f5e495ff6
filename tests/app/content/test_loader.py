"""User packs with mistakes get one-line errors naming file, question and field; the CLI never tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.content import PackValidationError, load_bank
from app.content.__main__ import main
from app.settings import ROOT

EXAMPLE = ROOT / "content" / "questions" / "product-sense.yaml"
GUIDE_IDS = {p.stem for p in (ROOT / "content" / "guide").glob("*.md")}


def _pack(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(EXAMPLE.read_text())
    q = data["questions"][0]
    q["id"] = "my-own-question"
    mutate(q)
    f = tmp_path / "mine.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    return f


@pytest.mark.parametrize("mutate,expected", [
    (lambda q: q.update(type="poetry"), "field type: Input should be"),
    (lambda q: q["rubric"][0]["levels"].pop(3), "field rubric[0].levels: must define exactly levels 0, 1, 2 and 3"),
    (lambda q: q["rubric"][1].pop("probe"), "field rubric[1].probe: Field required"),
    (lambda q: q["exemplars"][0].update(band="below_bar"),
     "exemplars[0] (strong-prose).band: is below_bar but its levels score 100, which is strong"),
    (lambda q: q["exemplars"][1]["levels"].update(evaluation=7), "levels must be 0-3"),
    (lambda q: q.update(guide_sections=["not-a-section"]), "unknown guide section 'not-a-section'"),
    (lambda q: q.update(rubric=q["rubric"][:3]), "field rubric: List should have at least 4 items"),
])
def test_a_broken_user_pack_gets_one_line_naming_the_problem(tmp_path: Path, mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    f = _pack(tmp_path, mutate)
    with pytest.raises(PackValidationError) as err:
        load_bank([f], guide_ids=GUIDE_IDS)
    line = err.value.problems[0]
    assert "\n" not in line and str(f) in line and "my-own-question" in line and expected in line


def test_duplicate_question_ids_across_packs_are_rejected(tmp_path: Path) -> None:
    f = _pack(tmp_path, lambda q: q.update(id="support-reply-drafts"))
    with pytest.raises(PackValidationError, match="already defined"):
        load_bank([EXAMPLE, f], guide_ids=GUIDE_IDS)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("pack: {id: x\nquestions: [\n")
    with pytest.raises(PackValidationError, match=r"bad.yaml: not valid YAML at line \d+"):
        load_bank([f])


def test_user_packs_load_beside_the_built_in_ones(tmp_path: Path) -> None:
    f = _pack(tmp_path, lambda q: None)
    bank = load_bank([ROOT / "content" / "questions", f.parent], guide_ids=GUIDE_IDS)
    assert "my-own-question" in bank.questions and "support-reply-drafts" in bank.questions


def test_validate_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")
    bad = _pack(tmp_path, lambda q: q.update(level="intern"))
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "field level" in err[0]


def test_validate_command_prints_no_traceback_as_a_process(tmp_path: Path) -> None:
    bad = _pack(tmp_path, lambda q: q.update(suggested_minutes=0))
    proc = subprocess.run([sys.executable, "-m", "app.content", "validate", str(bad)], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "suggested_minutes" in proc.stderr

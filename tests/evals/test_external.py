"""The external JSONL format: validation, one-line errors naming file:line and field, scores and rubrics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.grading.errors import InvalidRubric
from app.grading.inline import from_inline
from app.settings import ROOT
from evals.external import (
    REFERENCE_CRITERION,
    ExternalFormatError,
    ExternalItem,
    binary_label,
    load_external,
    main,
    normalised_score,
    parse_item,
    to_rubric,
)

FIXTURES = Path(__file__).parent / "fixtures"
REF = "Sample outputs, label factual errors against sources, and track the rate per release."


def item(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "x1", "question": "How would you measure hallucination?", "answer": "Spot checks.",
                            "reference_answer": REF, "score": 2, "scale_min": 0, "scale_max": 4}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def write(tmp_path: Path, *lines: Any) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text("".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n" for ln in lines), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(ExternalFormatError) as info:
        load_external(path)
    msg = str(info.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


# --- loading ----------------------------------------------------------------------------------------------------------


def test_fixture_loads_with_every_label_type() -> None:
    items = load_external(FIXTURES / "external_sample.jsonl")
    assert [i.id for i in items] == ["prio-1", "stack-1", "metric-1", "inject-1", "empty-1"]
    assert [i.label_type for i in items] == ["score", "binary", "categorical", "score", "binary"]
    assert items[0].criteria_scores == {"framework": 2, "risk": 1}
    assert items[3].expected == {"abstain": True}  # plain dicts, as the runner stores them
    assert items[4].expected == {"max_band": "below_bar"}
    assert items[1].expected is None
    assert items[4].answer == ""  # an empty answer is a valid item (the grader should abstain)
    assert items[2].meta == {"annotator": "a2"}


def test_a_model_answer_inside_the_rubric_object_is_the_reference(tmp_path: Path) -> None:
    rubric = {"criteria": [{"id": "errors", "description": "Labels factual errors"}], "model_answer": REF}
    [it] = load_external(write(tmp_path, item(reference_answer=None, rubric=rubric)))
    assert it.reference_answer == REF and [c.id for c in it.rubric or []] == ["errors"]


def test_blank_lines_are_skipped_and_line_numbers_count_them(tmp_path: Path) -> None:
    path = write(tmp_path, item(id="a"), "", "   ", item(id="b"), item(id="c", score=9))
    assert load_error(path) == f"{path}:5: score: 9 is outside [0, 4]"
    assert [i.id for i in load_external(write(tmp_path, item(id="a"), "", item(id="b")))] == ["a", "b"]


@pytest.mark.parametrize(("bad", "field", "fragment"), [
    (item(id=None), "id", "Field required"),
    (item(id="  "), "id", "must not be blank"),
    (item(question=""), "question", "at least 1 character"),
    (item(answer=None), "answer", "Field required"),
    (item(answer=3), "answer", "valid string"),
    (item(reference_answer=None), "rubric", "give a non-empty rubric, a reference_answer, or both"),
    (item(reference_answer="   ", rubric=[]), "rubric", "give a non-empty rubric"),
    (item(rubric=[{"id": "a"}]), "rubric.0.description", "Field required"),
    (item(rubric=[{"id": "a", "description": "d", "weight": 0}]), "rubric.0.weight", "greater than 0"),
    (item(rubric=[{"id": "a", "description": "d", "wieght": 2}]), "rubric.0.wieght", "Extra inputs are not permitted"),
    (item(rubric=[{"id": "a", "description": "d", "levels": ["x"]}]), "rubric.0.levels", "2 or more levels"),
    (item(rubric=[{"id": "a", "description": "d"}, {"id": "a", "description": "e"}]), "rubric", "more than once"),
    (item(score=None), "score", "exactly one human label"),
    (item(label="correct"), "score", "exactly one human label"),
    (item(score="2"), "score", "valid number"),
    (item(score=True), "score", "valid number"),
    (item(scale_max=None), "scale_max", "required with score"),
    (item(scale_min=4, scale_max=4), "scale_max", "greater than scale_min"),
    (item(score=-1), "score", "outside [0, 4]"),
    (item(score=None, scale_min=None, scale_max=5, label="correct"), "scale_max", "only allowed with score"),
    (item(score=None, scale_min=None, scale_max=None, label=""), "label", "at least 1 character"),
    (item(criteria_scores={"nope": 1}), "criteria_scores", "unknown criterion 'nope'"),
    (item(criteria_scores={REFERENCE_CRITERION: 4}), "criteria_scores.reference", "less than or equal to 3"),
    (item(criteria_scores={REFERENCE_CRITERION: 1.5}), "criteria_scores.reference", "valid integer"),
    (item(expected={}), "expected", "exactly one of"),
    (item(expected={"abstain": False}), "expected.abstain", "Input should be True"),
    (item(expected={"max_band": "great"}), "expected.max_band", "below_bar"),
    (item(expected={"abstain": True, "max_band": "strong"}), "expected", "exactly one of"),
    (item(expected={"max_band": "strong", "why": "x"}), "expected.why", "Extra inputs are not permitted"),
    (item(expected=True), "expected", "valid dictionary"),
    (item(meta=[1]), "meta", "valid dictionary"),
    (item(refrence_answer="typo"), "refrence_answer", "Extra inputs are not permitted"),
])
def test_bad_line_is_one_line_naming_file_line_and_field(tmp_path: Path, bad: dict[str, Any], field: str,
                                                         fragment: str) -> None:
    path = write(tmp_path, item(id="ok"), bad)
    msg = load_error(path)
    assert msg.startswith(f"{path}:2: {field}: "), msg
    assert fragment in msg, msg


@pytest.mark.parametrize(("line", "expected"), [
    ('{"id": "a", ', "invalid JSON"),
    ("[1, 2]", "expected a JSON object, got list"),
    ('{"id": "a", "score": NaN}', None),
])
def test_malformed_json_names_file_and_line(tmp_path: Path, line: str, expected: str | None) -> None:
    msg = load_error(write(tmp_path, item(id="ok"), line))
    assert msg.startswith(f"{tmp_path / 'data.jsonl'}:2: ")
    if expected:
        assert expected in msg


def test_nan_score_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, '{"id": "a", "question": "q", "answer": "", "reference_answer": "r", '
                           '"score": NaN, "scale_min": 0, "scale_max": 1}')
    assert load_error(path).startswith(f"{path}:1: score: ")


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, item(id="a"), item(id="b"), item(id="a"))
    assert load_error(path) == f"{path}:3: id: duplicate id 'a' (first on line 1)"


def test_empty_missing_and_non_utf8_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert load_error(empty) == f"{empty}: no items (the file is empty)"
    assert load_error(tmp_path / "missing.jsonl").startswith(f"{tmp_path / 'missing.jsonl'}: cannot read")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(json.dumps(item(id="a")).encode() + b"\n" + b'{"id": "caf\xe9"}\n')
    assert load_error(latin).startswith(f"{latin}:2: not UTF-8")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(item(id="a")).encode() + b"\n")
    assert [i.id for i in load_external(path)] == ["a"]


def test_cli_checks_files_and_prints_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path, item(id="a", score=7))
    assert main([str(FIXTURES / "external_sample.jsonl"), str(bad)]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == (f"{FIXTURES / 'external_sample.jsonl'}: ok, 5 items; labels: binary 2, categorical 1, "
                           "score 2; splits: test 1; kinds: empty 1, prompt_injection 1, short 1")
    assert err == f"error: {bad}:1: score: 7 is outside [0, 4]\n"


# --- normalised_score and binary_label --------------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "lo", "hi", "expected"), [
    (0, 0, 5, 0.0), (5, 0, 5, 1.0), (3.5, 0, 5, 0.7), (3, 1, 4, 2 / 3), (-1, -2, 2, 0.25), (1.5, 1, 2, 0.5),
])
def test_normalised_score_maps_the_scale_onto_0_1(score: float, lo: float, hi: float, expected: float) -> None:
    assert normalised_score(parse_item(item(score=score, scale_min=lo, scale_max=hi))) == pytest.approx(expected)


def test_normalised_score_is_none_for_labels() -> None:
    assert normalised_score(parse_item(item(score=None, scale_min=None, scale_max=None, label="correct"))) is None


@pytest.mark.parametrize(("label", "expected", "label_type"), [
    ("correct", True, "binary"), ("Incorrect", False, "binary"), ("PASS", True, "binary"), ("no", False, "binary"),
    ("partially_correct", None, "categorical"), ("contradictory", None, "categorical"),
])
def test_binary_label(label: str, expected: bool | None, label_type: str) -> None:
    it = parse_item(item(score=None, scale_min=None, scale_max=None, label=label))
    assert binary_label(it) is expected
    assert it.label_type == label_type


# --- to_rubric --------------------------------------------------------------------------------------------------------


def test_to_rubric_rubric_only() -> None:
    it = parse_item(item(reference_answer=None, rubric=[
        {"id": "framework", "description": "Uses an explicit framework, with criteria that fit AI products",
         "weight": 2},
        {"id": "risk", "description": "Names model risks and plans guardrails",
         "levels": {"0": "none", "1": "named", "2": "explained", "3": "quantified"}},
    ], criteria_scores={"framework": 3, "risk": 0}))
    r = to_rubric(it)
    assert r.question == it.question and r.reference_answer is None
    assert [c.id for c in r.criteria] == ["framework", "risk"] == it.criterion_ids
    assert r.weights == {"framework": 2.0, "risk": 1.0}
    assert r.criteria[1].levels == {0: "none", 1: "named", 2: "explained", 3: "quantified"}
    # exactly what POST /api/grade builds from the same body
    assert r == from_inline(it.question, [c.model_dump(exclude_none=True) for c in it.rubric or []])


def test_to_rubric_reference_only() -> None:
    it = parse_item(item(criteria_scores={REFERENCE_CRITERION: 2}))
    r = to_rubric(it)
    assert [c.id for c in r.criteria] == [REFERENCE_CRITERION] == it.criterion_ids
    assert r.reference_answer == REF
    assert r.criteria[0].cues == [[REF, REF]]


def test_to_rubric_both_keeps_rubric_criteria_and_reference() -> None:
    it = parse_item(item(rubric=[{"id": "rate", "description": "Tracks a hallucination rate over releases"}]))
    r = to_rubric(it)
    assert [c.id for c in r.criteria] == ["rate"]
    assert r.reference_answer == REF
    # With a rubric, the criteria are the rubric's: there is no separate "reference" criterion to label.
    with pytest.raises(ValidationError, match="unknown criterion 'reference'"):
        parse_item(item(rubric=[{"id": "rate", "description": "x"}], criteria_scores={REFERENCE_CRITERION: 1}))


def test_to_rubric_matches_the_api_path() -> None:
    """to_rubric must build exactly what from_inline builds for the same request body."""
    from app.grading.inline import from_inline

    rubric = [{"id": "a", "description": "Defines the metric, and explains why it fits", "weight": 1.5}]
    it = parse_item(item(rubric=rubric))
    assert to_rubric(it).content_hash() == from_inline(it.question, rubric, REF).content_hash()


@pytest.mark.parametrize("rubric", [
    {"Metrics": "Sets precision and recall targets", "Drift": {"details": "Monitors drift", "points": "30%",
                                                              "levels": {"Level 1": "no", "Level 3": "alerts"}}},
    {"criteria": ["Sets precision and recall targets", {"desc": "Monitors drift", "notes": "for reviewers"}]},
])
def test_rubrics_in_the_forms_people_write_load_as_the_api_reads_them(rubric: dict[str, Any]) -> None:
    from app.grading.inline import from_inline

    it = parse_item(item(rubric=rubric))
    assert to_rubric(it).content_hash() == from_inline(it.question, rubric, REF).content_hash()


def test_every_valid_item_builds_a_rubric() -> None:
    for it in load_external(FIXTURES / "external_sample.jsonl"):
        to_rubric(it)  # raises InvalidRubric otherwise
    with pytest.raises(InvalidRubric):
        to_rubric(ExternalItem.model_construct(id="a", question=" ", answer="", rubric=None, reference_answer=REF))


# --- the README's examples are valid ----------------------------------------------------------------------------------


def test_readme_examples_validate() -> None:
    text = (ROOT / "evals" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```jsonl\n(.*?)```", text, flags=re.S)
    lines = [ln for b in blocks for ln in b.splitlines() if ln.strip()]
    assert len(lines) >= 3
    items = [parse_item(json.loads(ln)) for ln in lines]
    assert {i.label_type for i in items} == {"score", "binary", "categorical"}
    for it in items:
        to_rubric(it)

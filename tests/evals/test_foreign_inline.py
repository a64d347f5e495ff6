"""The foreign-rubric loader and the gold set's inline mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.grading import EmbeddedGrader, from_inline
from app.settings import ROOT
from evals.foreign import FOREIGN, FOREIGN_CALIB, load_foreign
from evals.inline import inline_rubric, run_inline, without_reference
from evals.items import load_gold
from tests.fakes import HashEmbedder

GOLD = load_gold(ROOT / "content" / "questions")

LINE = {"id": "fr-x-a1", "question_id": "fr-x", "question": "How would you launch an AI note taker?",
        "rubric": [{"id": "users", "description": "Names who uses it and why", "levels": {"1": "None.", "2": "One.",
                                                                                          "3": "Two.", "4": "All."}},
                   {"id": "risk", "description": "Plans for wrong summaries", "weight": 2}],
        "rubric_scale": [1, 4], "reference_answer": "Sales reps first; summaries are reviewed before sending.",
        "answer": "I would start with sales reps and have them review every summary.", "score": 3,
        "scale": [0, 4], "kind": "genuine", "note": "a test line"}


def _write(tmp_path: Path, *lines: dict[str, object]) -> Path:
    p = tmp_path / "foreign.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return p


@pytest.mark.parametrize(("score", "band"), [(0, "below_bar"), (1, "below_bar"), (2, "approaching"),
                                             (3, "meets_bar"), (4, "strong")])
def test_the_human_band_follows_from_the_score(tmp_path: Path, score: int, band: str) -> None:
    (item,) = load_foreign(_write(tmp_path, {**LINE, "score": score}))
    assert item.band == band and item.score01 == score / 4 and item.split == "test" and item.source == "foreign"
    assert [c.id for c in item.rubric.criteria] == ["users", "risk"] and not any(c.cues and c.probe
                                                                                 for c in item.rubric.criteria)


def test_a_bad_line_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"foreign.jsonl:2: score"):
        load_foreign(_write(tmp_path, LINE, {**LINE, "id": "b", "score": 7}))
    with pytest.raises(ValueError, match="unique"):
        load_foreign(_write(tmp_path, LINE, LINE))


@pytest.mark.skipif(not FOREIGN.exists(), reason="the foreign set is not written yet")
def test_the_committed_foreign_set_loads_as_a_held_out_test_set() -> None:
    items = load_foreign()
    assert len(items) >= 60 and {i.split for i in items} == {"test"}
    assert all(i.id.startswith("fr-") for i in items)
    assert {i.kind for i in items if i.expected} and all(i.band for i in items)
    assert not {i.id for i in items} & {i.id for i in GOLD}


def test_the_foreign_calibration_set_is_its_own_split_on_other_questions() -> None:
    calib, test = load_foreign(FOREIGN_CALIB), load_foreign()
    assert len(calib) >= 60 and {i.split for i in calib} == {"calib"}
    assert all(i.id.startswith("fc-") for i in calib)
    assert not {i.rubric.question for i in calib} & {i.rubric.question for i in test}


def test_inline_rubrics_keep_only_what_the_endpoint_accepts() -> None:
    item = next(i for i in GOLD if i.split == "test" and i.levels)
    cued, inline = item.rubric, inline_rubric(item.rubric)
    assert any(c.cues for c in cued.criteria) and any(c.guide_sections for c in cued.criteria)
    assert not any(c.probe or c.guide_sections for c in inline.criteria)
    assert inline.weights == cued.weights and inline.reference_answer == cued.reference_answer
    assert [c.levels for c in inline.criteria] == [c.levels for c in cued.criteria]
    assert inline.question_id is None


def test_rubric_only_items_drop_the_reference_and_keep_inline_scales() -> None:
    gold = [i for i in GOLD if i.split == "test"][:3]
    foreign = load_foreign()[:3]
    out = without_reference(gold + foreign)
    assert len(out) == 6 and all(i.rubric.reference_answer is None for i in out)
    assert not any(c.cues for i in out for c in i.rubric.criteria)  # bank rubrics take their inline form
    assert [i.rubric.criteria for i in out[3:]] == [i.rubric.criteria for i in foreign]  # scales kept
    short = from_inline("What is 2+2?", None, "Four, because two and two make four.")
    assert without_reference([foreign[0].model_copy(update={"rubric": short})]) == []


def test_inline_runs_report_both_modes_and_the_gap() -> None:
    test = [i for i in GOLD if i.split == "test"]
    items = [i for i in test if i.levels][:12] + [i for i in test if i.expected][:4]
    rec = run_inline(EmbeddedGrader(HashEmbedder()), items, "gold-test", quiet=True, resamples=30)
    assert rec.mode == "inline" and rec.dataset["name"] == "gold-test-inline"
    cmp = rec.metrics["cued_vs_inline"]
    assert cmp["n"] == 12 and cmp["adversarial_n"] == 4
    band = cmp["metrics"]["band_qwk"]
    assert band["inline"] == rec.metrics["gold"]["band_qwk"] and band["cued"] == rec.metrics["cued"]["gold"]["band_qwk"]
    assert band["gap"] == pytest.approx(band["inline"] - band["cued"], abs=1e-3)
    assert len(band["gap_ci"]) == 2

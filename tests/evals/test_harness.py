"""The eval harness end to end with a fake grader: records, adversarial checks, drift and reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.grading.types import CriterionResult, Overall, Scorecard
from app.settings import ROOT
from evals.__main__ import main
from evals.drift import compare, write_baseline
from evals.items import load_gold
from evals.record import RunRecord
from evals.report import write_report
from evals.runner import run

GOLD = load_gold(ROOT / "content" / "questions")


class EchoGrader:
    """Predicts the human label exactly (shifted by `shift` levels), or abstains on empty answers."""

    def __init__(self, shift: int = 0) -> None:
        self.shift = shift

    @property
    def fingerprint(self) -> dict[str, str]:
        return {"kind": "echo", "version": str(self.shift)}

    def grade(self, rubric, answer: str) -> Scorecard:  # type: ignore[no-untyped-def]
        from app.content import band_for, overall_score

        item = next(i for i in GOLD if i.answer == answer and i.rubric == rubric)
        if not answer.strip() or item.levels is None:
            return Scorecard(abstained=True, reason="empty", message="m")
        levels = {k: max(0, min(3, v + self.shift)) for k, v in item.levels.items()}
        score = overall_score(levels, rubric.weights)
        return Scorecard(overall=Overall(score=score, band=band_for(score).value),
                         criteria=[CriterionResult(id=k, name=k, level=v) for k, v in levels.items()])


@pytest.fixture(scope="module")
def items():  # type: ignore[no-untyped-def]
    return [i for i in GOLD if i.split == "test"]


def test_gold_has_its_splits_and_labels(items) -> None:  # type: ignore[no-untyped-def]
    assert {i.split for i in GOLD} == {"calib", "test"}
    assert all(i.levels is None or set(i.levels) == set(i.rubric.weights) for i in GOLD)


def test_a_perfect_grader_scores_perfectly_and_the_record_round_trips(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rec = run(EchoGrader(), items, "gold-test", repeats=2, quiet=True, resamples=50)
    g = rec.metrics["gold"]
    assert g["band_qwk"] == 1.0 and g["criterion_qwk"] == 1.0 and g["score_mae"] == 0.0
    assert rec.metrics["consistency"] == {"repeats": 2, "max_spread": 0.0, "items_with_spread": 0}
    assert {"kind", "version", "git_sha", "settings"} <= set(rec.grader)
    assert RunRecord.load(rec.save(tmp_path)) == rec


def test_drift_passes_on_itself_and_fails_on_a_shifted_grader(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = run(EchoGrader(), items, "gold-test", quiet=True, resamples=50)
    assert compare(base, base).ok
    worse = run(EchoGrader(shift=-1), items, "gold-test", quiet=True, resamples=50)
    rep = compare(worse, base)
    assert not rep.ok and rep.band_changes and rep.flipped
    assert any("band_qwk" in f or "changed band" in f for f in rep.failures)
    # The CLI exits non-zero on the same comparison.
    write_baseline(base, tmp_path / "b.json", "test baseline")
    assert json.loads((tmp_path / "b.json").read_text())["baseline"]["reason"] == "test baseline"
    worse_path = worse.save(tmp_path / "runs")
    assert main(["drift", "--baseline", str(tmp_path / "b.json"), "--run", str(worse_path)]) == 1
    assert main(["drift", "--baseline", str(tmp_path / "b.json"), "--run", str(worse_path),
                 "--tol", "gold.band_qwk=1", "--tol", "gold.criterion_qwk=1", "--tol", "gold.score_pearson=1",
                 "--tol", "band_changed_share=1", "--tol", "gold.band_exact=1"]) == 0


def test_report_is_markdown_plus_self_contained_html(items, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = run(EchoGrader(), items, "gold-test", quiet=True, resamples=50)
    b = run(EchoGrader(shift=-1), items, "gold-test", quiet=True, resamples=50)
    hist = [{"created_at": r.created_at, "metrics": r.metrics} for r in (a, b)]
    md, html = write_report([a, b], hist, tmp_path)
    page = html.read_text()
    assert page.count("data:image/png;base64,") >= 4 and 'src="http' not in page
    text = md.read_text()
    assert "band_qwk" in text and all((tmp_path / ln.split("(")[1].rstrip(")")).exists()
                                      for ln in text.splitlines() if ln.startswith("!["))

"""The built-in question bank: every pack validates and the counts the product promises hold."""

from __future__ import annotations

from collections import Counter

import pytest

from app.content import Band, Quality, QuestionBank, QuestionType, band_for, load_bank, overall_score
from app.settings import ROOT
from rag.guide import load_guide

GUIDE_IDS = {s.id for s in load_guide(ROOT / "content" / "guide")}


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank([ROOT / "content" / "questions"], guide_ids=GUIDE_IDS)


def test_bank_counts(bank: QuestionBank, capsys: pytest.CaptureFixture[str]) -> None:
    qs = list(bank)
    types, levels = Counter(q.type for q in qs), Counter(q.level.value for q in qs)
    exemplars = sum(len(q.exemplars) for q in qs)
    counts = (f"\nquestion bank: {len(qs)} questions, {exemplars} exemplars; levels {dict(sorted(levels.items()))}; "
              f"types {dict(sorted((t.value, n) for t, n in types.items()))}")
    with capsys.disabled():
        print(counts)  # noqa: T201 - the content issue asks for a test that prints the counts
    assert len(qs) >= 48 and exemplars >= 144
    assert set(types) == set(QuestionType)
    assert levels["apm"] >= 10 and levels["pm"] >= 20 and levels["senior"] >= 10


def test_every_question_has_strong_mixed_and_weak_exemplars(bank: QuestionBank) -> None:
    for q in bank:
        assert {e.quality for e in q.exemplars} >= set(Quality), q.id


def test_exemplar_bands_follow_the_scoring_rule(bank: QuestionBank) -> None:
    for q in bank:
        for e in q.exemplars:
            assert all(0 <= v <= 3 for v in e.levels.values())
            assert e.band == band_for(overall_score(e.levels, q.weights)), f"{q.id}/{e.id}"


def test_every_criterion_has_a_probe_cues_and_resolving_guide_links(bank: QuestionBank) -> None:
    for q in bank:
        assert set(q.guide_sections) <= GUIDE_IDS
        for c in q.rubric:
            assert c.probe.strip() and len(c.cues) >= 2 and set(c.guide_sections) <= GUIDE_IDS
            assert sorted(c.levels) == [0, 1, 2, 3]


def test_band_rule_cut_points() -> None:
    assert band_for(80) == Band.strong and band_for(79.9) == Band.meets_bar
    assert band_for(60) == Band.meets_bar and band_for(40) == Band.approaching and band_for(39.9) == Band.below_bar
    assert overall_score({"a": 3, "b": 0}, {"a": 2.0, "b": 1.0}) == pytest.approx(200 / 3)


@pytest.mark.parametrize("theme", [
    "drift", "feedback loop", "bias", "$5-25", "$50-150", "20-40%", "fine-tun", "latency", "graceful",
    "72%", "30-50%", "precision", "recall",
])
def test_bank_covers_the_source_themes(bank: QuestionBank, theme: str) -> None:
    text = " ".join(
        " ".join([q.prompt, *(f.fact for f in q.context), *(c.description for c in q.rubric),
                  *(lvl for c in q.rubric for lvl in c.levels.values()),
                  *(p for c in q.rubric for cue in c.cues for p in [cue.concept, *cue.phrasings])])
        for q in bank).lower().replace("\u2013", "-")
    assert theme.lower() in text

"""Study links: a criterion is searched by its name, description and anchors, and sections are ranked by fusing
the hybrid hits with each section's centroid."""

from __future__ import annotations

import pytest

from app.content import QuestionBank
from app.grading import StudyFinder, from_inline
from app.grading.rubric import RubricCriterion
from app.grading.study import study_query
from app.settings import ROOT
from evals.study import study_agreement
from rag import build_index
from tests.fakes import MemoryStore

QUESTION = "A grocery app wants an LLM to write weekly meal plans from order history. How would you ship it?"


@pytest.fixture(scope="module")
def finder(real_embedder) -> StudyFinder:  # type: ignore[no-untyped-def]
    return StudyFinder(build_index(ROOT / "content" / "guide", real_embedder, MemoryStore()).retriever)


def test_the_query_reads_the_anchors_from_the_top_down_but_not_generic_ones() -> None:
    c = RubricCriterion(id="quality_bar", name="Quality bar", description="How plan quality is judged offline",
                        levels={0: "absent", 1: "vibes", 2: "rubric or golden set", 3: "golden set plus raters"})
    assert study_query(c) == ("Quality bar. How plan quality is judged offline golden set plus raters "
                              "rubric or golden set vibes absent")
    bare = from_inline(QUESTION, [{"id": "safety", "description": "Allergies and health claims"}]).criteria[0]
    assert study_query(bare) == "Allergies and health claims"  # generic anchors say nothing of it; no name twice


def test_a_foreign_criterion_links_to_the_section_on_its_topic(finder: StudyFinder) -> None:
    rubric = from_inline(QUESTION, [
        {"id": "safety", "description": "Allergies, dietary restrictions, health claims",
         "levels": ["ignored", "says the model may be wrong", "hard filters for allergens before generation",
                    "hard filters, a fallback when unsure, and a kill switch"]},
        {"id": "quality_bar", "description": "How plan quality is judged offline",
         "levels": ["absent", "vibes", "rubric or golden set", "golden set plus human rating"]}])
    links = {c.id: finder.for_criterion(c) for c in rubric.criteria}
    assert links["safety"][0].section_id == "guardrails-and-graceful-degradation"
    assert links["quality_bar"][0].section_id == "evaluating-llm-features"
    assert all(link[0].snippet for link in links.values())


def test_the_sections_a_rubric_names_win_over_the_ranking(finder: StudyFinder) -> None:
    c = RubricCriterion(id="metrics", name="Metrics", description="Ties online metrics to the goal",
                        guide_sections=["data-flywheels"])
    assert finder.for_criterion(c)[0].section_id == "data-flywheels"
    assert finder.for_criterion(c) is finder.for_criterion(c)  # cached per rubric wording


def test_bank_criteria_passed_inline_mostly_link_to_a_section_their_author_chose(finder: StudyFinder,
                                                                                bank: QuestionBank) -> None:
    """Calibration split only. Name and description alone, with the top hybrid hit, agreed on 0.42 (72 of 170);
    anchors and section fusion give 0.58 (`python -m evals study`)."""
    calib = study_agreement(finder, bank)["calib"]
    assert calib.n == 170 and calib.rate >= 0.52, calib.misses[:5]

"""The cosine baseline grader used to compare the embedded grader on external benchmarks."""

from __future__ import annotations

from app.grading.inline import from_inline
from evals.cosine import CosineBaseline
from tests.fakes import HashEmbedder

REFERENCE = "Photosynthesis turns light, water and carbon dioxide into glucose and oxygen."


def _grade(answer: str) -> float:
    rubric = from_inline("What does photosynthesis do?", None, REFERENCE)
    card = CosineBaseline(HashEmbedder()).grade(rubric, answer)
    assert not card.abstained and card.overall is not None
    return card.overall.score


def test_the_score_follows_the_similarity_to_the_reference() -> None:
    same, close, far = _grade(REFERENCE), _grade("It turns light and water into glucose."), _grade("Cats sleep a lot.")
    assert same > close > far >= 0.0
    assert same >= 95.0


def test_no_reference_or_no_answer_abstains() -> None:
    g = CosineBaseline(HashEmbedder())
    rubric = from_inline("Q?", [{"id": "a", "description": "explains the idea"}], None)
    assert g.grade(rubric, "some answer").abstained
    assert g.grade(from_inline("Q?", None, REFERENCE), "   ").abstained

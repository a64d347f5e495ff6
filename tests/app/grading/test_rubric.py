"""Rubrics from bank questions and from inline input (POST /api/grade, eval datasets)."""

from __future__ import annotations

import re

import pytest

from app.content import load_bank
from app.grading import InvalidRubric, from_inline, from_question
from app.settings import ROOT


def test_from_question_keeps_weights_cues_and_probe() -> None:
    q = load_bank([ROOT / "content" / "questions"]).get("support-reply-drafts")
    assert q is not None
    r = from_question(q)
    assert r.weights == {c.id: c.weight for c in q.rubric}
    assert all(c.cues and c.probe and c.guide_sections for c in r.criteria)
    assert r.content_hash() == from_question(q).content_hash()


def test_inline_rubric_gets_cues_from_its_description() -> None:
    r = from_inline("Design X", [{"id": "metrics", "description": "defines success metrics, a baseline; a target",
                                  "weight": 2}])
    assert r.criteria[0].weight == 2 and len(r.criteria[0].cues) == 3
    assert sorted(r.criteria[0].levels) == [0, 1, 2, 3]


def test_reference_answer_alone_makes_one_criterion() -> None:
    r = from_inline("What is a stack?", None, "A stack is last in, first out. Push adds and pop removes the top.")
    assert [c.id for c in r.criteria] == ["reference"] and len(r.criteria[0].cues) == 2


@pytest.mark.parametrize("question,rubric,ref,message", [
    ("", [{"id": "a", "description": "x y"}], None, "question must not be empty"),
    ("Q", None, None, "give a rubric, a reference_answer, or both"),
    ("Q", [{"id": "a"}], None, "rubric[0].description"),
    ("Q", [{"id": "a", "description": "d e", "weight": -1}], None, "rubric[0].weight"),
    ("Q", [{"id": "a", "description": "d e", "levels": ["x", "y"]}], None, "levels must describe exactly"),
    ("Q", [{"id": "a", "description": "d e"}, {"id": "a", "description": "f g"}], None, "unique"),
])
def test_malformed_inline_rubrics_are_rejected_clearly(question: str, rubric, ref, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRubric, match=re.escape(message)):
        from_inline(question, rubric, ref)

"""Fixtures shared by the grader's tests: the bank, and one embedded grader on the real model per module."""

from __future__ import annotations

import pytest

from app.content import QuestionBank, load_bank
from app.grading import EmbeddedGrader
from app.settings import ROOT


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank([ROOT / "content" / "questions"])


@pytest.fixture(scope="module")
def grader(real_embedder) -> EmbeddedGrader:  # type: ignore[no-untyped-def]
    return EmbeddedGrader(real_embedder)

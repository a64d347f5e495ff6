"""The support check used on LLM answers: refusals, prompt echoes, sentence splitting and the fitted threshold."""

from __future__ import annotations

import numpy as np
import pytest

from rag.lexical import BM25Index
from rag.support import REFUSAL, SupportCheck, echoes_prompt, fit_threshold, sentence_split

PASSAGE = "A useful rule: RAG changes what the model knows; fine-tuning changes how it behaves."


def test_sentences_keep_their_citations() -> None:
    assert sentence_split("RAG adds facts [1]. Tuning adds style. [2] Both combine [1][2].") == [
        "RAG adds facts [1].", "Tuning adds style. [2]", "Both combine [1][2]."]


@pytest.mark.parametrize(("text", "refusal"), [
    ("I'm sorry, I cannot help with that.", True),
    ("This answer is not available.", True),
    ("NOT_IN_GUIDE", True),
    ("RAG changes what the model knows [1].", False),
])
def test_refusals_are_recognised(text: str, refusal: bool) -> None:
    assert bool(REFUSAL.search(text)) is refusal


def test_echoes_of_markers_and_prompt_text_are_recognised() -> None:
    prompt = "Use only what the excerpts state. No outside knowledge and no guesses."
    assert echoes_prompt("The question is data between fence markers: what is RAG", [])
    assert echoes_prompt("See <<<QUESTION-abc", [])
    assert echoes_prompt("I will use only what the excerpts state no outside knowledge", [prompt])
    assert not echoes_prompt("RAG changes what the model knows [1].", [prompt])


def test_support_scores_a_restatement_above_an_unrelated_claim() -> None:
    check = SupportCheck(BM25Index([PASSAGE, "Tokens are chunks of text."]))
    vec = np.array([1.0, 0.0])
    close = check.score("RAG changes what the model knows", vec, PASSAGE, np.array([[1.0, 0.0]]))
    far = check.score("Tokens are chunks of text", np.array([0.0, 1.0]), PASSAGE, np.array([[1.0, 0.0]]))
    assert close > 0.9 and far < 0.3


def test_the_threshold_sits_in_the_gap() -> None:
    t, acc = fit_threshold([0.8, 0.9, 0.95], [0.1, 0.2, 0.3])
    assert 0.3 < t < 0.8 and acc == 1.0

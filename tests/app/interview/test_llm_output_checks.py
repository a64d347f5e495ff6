"""LLM02 for the interviewer: empty replies, refusals and echoed prompt markers never reach the candidate."""

from __future__ import annotations

from typing import Any

import pytest

from app.content import Question, load_bank
from app.interview import EmbeddedInterviewer
from app.interview.llm_interviewer import LLMInterviewer, unusable
from app.llm import Completion, Telemetry, track
from app.settings import ROOT
from tests.fakes import HashEmbedder

GOOD = "Happy to help. Take the numbers you have, state your assumptions, and walk me through your thinking."


class Canned:
    """Stands in for LLMClient at our own seam: always answers with one fixed reply."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.telemetry = Telemetry()

    def complete(self, messages: list[dict[str, str]], **_: Any) -> Completion:
        return Completion(self.reply, "openai/scripted", finish_reason="stop")


@pytest.fixture(scope="module")
def q() -> Question:
    question = load_bank([ROOT / "content" / "questions"]).get("support-reply-drafts")
    assert question is not None
    return question


@pytest.mark.parametrize("reply,reason", [
    ("", "empty_completion"),
    ("   \n ", "empty_completion"),
    ("I'm sorry, but I can't help with that request.", "refusal"),
    ("As an AI language model, I do not conduct interviews.", "refusal"),
    ("This answer is not available.", "refusal"),
    ("Sure. <<<CANDIDATE-1a2b3c4d5e\nhow many tickets\nCANDIDATE-1a2b3c4d5e>>> is a good question.", "prompt_echo"),
    ("The fence tag was CANDIDATE-0123456789 so here goes.", "prompt_echo"),
    ("<|im_start|>assistant Let's begin.", "prompt_echo"),
    ("system: you are an interviewer\nWhat is your plan?", "prompt_echo"),
])
def test_unusable_replies_are_recognised(reply: str, reason: str) -> None:
    found = unusable(reply)
    assert found is not None and found[0] == reason


@pytest.mark.parametrize("reply", [GOOD, "Good question: assume 2 million tickets a month and carry on.",
                                   "I can't tell you the answer, but what would you measure first?"])
def test_ordinary_interviewer_replies_pass(reply: str) -> None:
    assert unusable(reply) is None


@pytest.mark.parametrize("reply", ["", "I'm sorry, I cannot assist with that.",
                                   "<<<CANDIDATE-abcdef0123\nignore\nCANDIDATE-abcdef0123>>>"])
def test_the_embedded_interviewer_answers_instead_and_the_turn_is_degraded(q: Question, reply: str) -> None:
    embedded = EmbeddedInterviewer(HashEmbedder())
    llm = LLMInterviewer(Canned(reply), embedded)  # type: ignore[arg-type]
    with track() as trace:
        said = llm.clarify(q, "How many tickets are handled per month?")
    assert said == embedded.clarify(q, "How many tickets are handled per month?")
    assert trace.is_degraded
    with track() as trace:
        assert llm.opening(q) == embedded.opening(q)
    assert trace.is_degraded


def test_a_good_reply_is_used_and_not_degraded(q: Question) -> None:
    llm = LLMInterviewer(Canned(GOOD), EmbeddedInterviewer(HashEmbedder()))  # type: ignore[arg-type]
    with track() as trace:
        assert llm.clarify(q, "How many tickets are handled per month?") == GOOD
    assert not trace.is_degraded

"""The LLM interviewer's gap probes carry the guide passages retrieved for the weakest criterion, and still send
no rubric text; stretch probes keep the curveball's exact wording."""

from __future__ import annotations

from typing import Any

from app.content import Question, load_bank
from app.grading import from_question
from app.grading.rubric import RubricCriterion
from app.interview import EmbeddedInterviewer
from app.interview.guide_help import GuideNote
from app.interview.llm_interviewer import LLMInterviewer, private_texts
from app.llm import Completion
from app.settings import ROOT
from tests.fakes import HashEmbedder

_Q = load_bank([ROOT / "content" / "questions"]).get("support-reply-drafts")
assert _Q is not None
Q: Question = _Q
PASSAGE = "Evaluating LLM features: a golden set is a fixed set of inputs with agreed good outputs."


class Recorder:
    def __init__(self) -> None:
        self.sent: list[list[dict[str, str]]] = []

    def complete(self, messages: list[dict[str, str]], **_: Any) -> Completion:
        self.sent.append(messages)
        return Completion("How would you know the drafts are good enough before launch?", "m", finish_reason="stop")


class Guide:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def explain(self, text: str) -> GuideNote | None:
        return None

    def passages(self, criterion: RubricCriterion, k: int = 2) -> list[str]:
        self.asked.append(criterion.id)
        return [PASSAGE]


def test_a_gap_probe_is_phrased_with_the_guide_passages_for_its_criterion() -> None:
    client, guide = Recorder(), Guide()
    iv = LLMInterviewer(client, EmbeddedInterviewer(HashEmbedder()), guide)  # type: ignore[arg-type]
    crit = next(c for c in from_question(Q).criteria if c.id == "evaluation")
    iv.probe(Q, crit)
    (messages,) = client.sent
    prompt = messages[-1]["content"]
    assert guide.asked == ["evaluation"] and PASSAGE in prompt and (crit.probe or "") in prompt
    for private in private_texts(Q, cues=False):
        assert private not in prompt


def test_a_stretch_probe_keeps_the_curveball_wording_without_a_model_call() -> None:
    client = Recorder()
    iv = LLMInterviewer(client, EmbeddedInterviewer(HashEmbedder()), Guide())  # type: ignore[arg-type]
    said = iv.stretch(Q, Q.curveballs[0].text, "That's a solid answer.")
    assert Q.curveballs[0].text in said and client.sent == []

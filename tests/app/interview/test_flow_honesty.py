"""What the interviewer says, chosen from the interim grade: nudges, stretch probes, honest wrap-ups, the guide."""

from __future__ import annotations

from app.content import Question, load_bank
from app.grading import from_question
from app.grading.scorecard import FLAG_TEXT, MESSAGES
from app.grading.types import CriterionResult, Overall, Scorecard
from app.interview import EmbeddedInterviewer, InterviewFlow, Said, State, candidate_kind
from app.interview.guide_help import GuideNote
from app.interview.llm_interviewer import private_texts
from app.settings import ROOT
from tests.fakes import FakeGrader, HashEmbedder

_Q = load_bank([ROOT / "content" / "questions"]).get("support-reply-drafts")
assert _Q is not None
Q: Question = _Q
RUBRIC = from_question(Q)
LONG = ("I would start with the support agents and their handle time, draft replies grounded in each customer's "
        "help centre, keep an agent in the loop, measure acceptance and edits against a holdout, and roll out "
        "by cohort in shadow mode first, watching satisfaction and cost per ticket as I go, with a kill switch.")


def card(levels: dict[str, int], score: float = 70.0, flags: list[str] | None = None,
         evidence: str = "") -> Scorecard:
    return Scorecard(overall=Overall(score=score, band="meets_bar"), flags=flags or [],
                     criteria=[CriterionResult(id=c.id, name=c.name, level=levels.get(c.id, 2),
                                               evidence=[evidence] if evidence and c.id == "solution_design" else [])
                               for c in RUBRIC.criteria])


def abstain(reason: str) -> Scorecard:
    return Scorecard(abstained=True, reason=reason, message=MESSAGES[reason])


class FakeGuide:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def explain(self, text: str) -> GuideNote | None:
        self.asked.append(text)
        if "golden set" not in text.lower():
            return None
        return GuideNote("A golden set is a fixed, labelled set of examples.", "evaluating-llm-features",
                         "Evaluating LLM features", "golden-sets")

    def passages(self, criterion: object, k: int = 2) -> list[str]:
        return []


def run(cards: list[Scorecard], messages: list[str], max_probes: int = 2,
        guide: FakeGuide | None = None) -> list[Said]:
    f = InterviewFlow(EmbeddedInterviewer(HashEmbedder()), FakeGrader(cards), max_probes, guide=guide)
    turns: list[Said] = [*f.open(Q)]
    state, probes = State.awaiting_answer, 0
    for text in messages:
        turns.append(Said("candidate", candidate_kind(state, text), text))
        step = f.respond(state, Q, RUBRIC, turns, probes)
        turns += step.replies
        state, probes = step.state, step.probes_asked
    return turns


def interviewer(turns: list[Said]) -> list[Said]:
    return [t for t in turns if t.role == "interviewer"][1:]


def test_a_keyword_list_gets_a_nudge_for_reasoning_not_a_probe() -> None:
    turns = run([card({"evaluation": 1}, 30, [FLAG_TEXT["keywords_capped"]])],
                ["RAG, evals, guardrails, human in the loop, A/B test, latency, cost, CSAT"])
    (reply,) = interviewer(turns)
    assert reply.kind == "nudge" and reply.text.startswith("You've listed") and "Walk me through how" in reply.text


def test_a_nudge_is_never_repeated() -> None:
    keywords = card({"evaluation": 0}, 30, [FLAG_TEXT["keywords_capped"]])
    turns = run([keywords, keywords], ["RAG, evals, guardrails, latency", "embeddings, fine-tuning, CSAT"])
    kinds = [t.kind for t in interviewer(turns)]
    assert kinds.count("nudge") == 1 and kinds[-1] == "probe"


def test_a_restated_question_and_a_thin_answer_get_nudges() -> None:
    restating = "Leadership wants an AI feature that drafts replies to incoming customer tickets for support agents."
    (restated,) = interviewer(run([abstain("restates_question")], [restating]))
    assert restated.kind == "nudge" and "Walk me through how" in restated.text
    (thin,) = interviewer(run([card({}, 25)], ["I would use AI to draft replies for agents."]))
    assert thin.kind == "nudge" and "Walk me through how" in thin.text


def test_a_strong_answer_gets_a_specific_acknowledgement_then_a_curveball() -> None:
    quote = "drafts are grounded in each customer's help centre and an agent always approves them"
    turns = run([card({"evaluation": 3, "risks": 3}, 85, evidence=quote)], [LONG])
    (probe,) = interviewer(turns)
    assert probe.kind == "probe" and probe.criterion_id == "curveball-0"
    assert quote[:40] in probe.text and Q.curveballs[0].text in probe.text


def test_stretch_probes_never_repeat_and_the_wrap_up_is_honest() -> None:
    strong = card({}, 85)
    turns = run([strong, strong, strong], [LONG, "I would keep tenant data separate.", "More detail."])
    said = interviewer(turns)
    assert [t.criterion_id for t in said if t.kind == "probe"] == ["curveball-0"]
    assert said[1].kind == "notice" and "well-covered" in said[1].text


def test_probes_never_reveal_the_rubric() -> None:
    turns = run([card({}, 85)], [LONG])
    (probe,) = interviewer(turns)
    private = " ".join(private_texts(Q)).lower()
    words = probe.text.lower().split()
    runs = {" ".join(words[i:i + 6]) for i in range(len(words) - 5)}
    assert not any(r in private for r in runs)


def test_never_a_full_picture_after_vague_answers() -> None:
    vague = card({"evaluation": 1, "risks": 1, "launch": 1}, 45)
    turns = run([vague, vague, vague], [LONG, "We would test it.", "We would be careful."])
    texts = " ".join(t.text for t in interviewer(turns))
    assert "full picture" not in texts and "complete answer" not in texts and "well-covered" not in texts
    assert "still thin" in interviewer(turns)[-1].text


def test_a_concept_question_is_answered_from_the_guide_with_its_section() -> None:
    guide = FakeGuide()
    (reply,) = interviewer(run([], ["What do you mean by a golden set?"], guide=guide))
    assert reply.kind == "guide_answer" and reply.criterion_id == "evaluating-llm-features"
    assert "A golden set is" in reply.text and "Evaluating LLM features" not in Q.prompt


def test_a_case_question_still_gets_the_case_facts_not_the_guide() -> None:
    guide = FakeGuide()
    (reply,) = interviewer(run([], ["How many tickets do agents handle a month?"], guide=guide))
    assert reply.kind == "clarification" and "2 million tickets" in reply.text

"""Issue 15 in the browser: a weak, a strong and a gaming candidate against the real app and interviewer.

Each journey checks what the interviewer says (a concept question answered from the guide with a citation, a
clarification that matches, one with nothing to match, a nudge after a keyword list, a stretch probe after a
strong answer), the screens around it, and runs axe-core on every view it visits.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from app.content import Question, load_bank
from app.settings import ROOT
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import Session
from tests.e2e.journeys import complete_interview, grade, send, start

pytestmark = pytest.mark.e2e

QID = "support-reply-drafts"
_QUESTION = load_bank([ROOT / "content" / "questions"]).get(QID)
assert _QUESTION is not None
QUESTION: Question = _QUESTION
STRONG = next(e.text for e in QUESTION.exemplars if e.id == "strong-prose")
KEYWORDS = ("RAG, embeddings, evals, guardrails, human in the loop, A/B test, latency, CSAT, fine-tuning, "
            "golden set, hallucination")


def last_reply(page: Page) -> Locator:
    return page.locator("#transcript .msg-interviewer").last


def test_weak_candidate_gets_the_guide_facts_honest_assumptions_and_a_nudge(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/")
    howto = page.locator("#howto")
    expect(howto).to_be_visible()  # first visit: how a session works
    assert_accessible(page, "interview setup with the how-it-works panel")
    page.locator("#howto-dismiss").click()
    expect(howto).to_be_hidden()
    page.reload()
    expect(page.locator("#howto")).to_be_hidden()  # dismissed once, gone for good
    start(page, QID)
    expect(page.locator("#composer-hint")).to_contain_text("Enter makes a new line")

    # A concept question is answered briefly from the guide, with the section cited and openable in place.
    send(page, "What do you mean by a golden set?")
    reply = page.locator("#transcript .kind-guide_answer").last
    expect(reply).to_contain_text("From the guide")
    expect(reply).to_contain_text(re.compile("golden set", re.I))
    reply.get_by_role("button", name="Open the cited guide section").click()
    expect(reply.locator(".reader .md")).to_be_visible()
    expect(reply.locator(".msg-cite")).to_have_attribute("data-section", re.compile(r"^[a-z0-9-]+$"))

    # A clarification that matches gets the fact; one with nothing to match invites an assumption.
    send(page, "Who are the users?")
    expect(last_reply(page)).to_have_class(re.compile("kind-clarification"))
    expect(last_reply(page)).to_contain_text("30,000 agents")
    send(page, "How big is the engineering team?")
    expect(last_reply(page)).to_contain_text("isn't specified")
    expect(last_reply(page)).to_contain_text("assumption")

    # A thin answer that only restates the task gets a nudge for reasoning, not praise and not a probe.
    send(page, "I would use AI to draft replies for the agents.")
    expect(last_reply(page)).to_have_class(re.compile("kind-nudge"))
    expect(last_reply(page)).to_contain_text("Walk me through how")
    assert "full picture" not in page.locator("#transcript").inner_text()
    assert_accessible(page, "interview with a guide answer, clarifications and a nudge")


def test_strong_candidate_is_pushed_with_a_curveball_and_sees_their_timing(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/")
    page.locator("#howto-dismiss").click()
    start(page, QID)

    # Enter is a new line; Ctrl+Enter sends.
    box = page.locator("#composer-text")
    box.fill("First paragraph.")
    box.press("Enter")
    box.press_sequentially("Second paragraph.")
    assert box.input_value() == "First paragraph.\nSecond paragraph."
    expect(page.locator("#transcript .msg-candidate")).to_have_count(0)
    box.fill("")

    send(page, STRONG)
    probe = page.locator("#transcript .kind-probe").last
    expect(probe).to_contain_text("Let me push on it")
    expect(probe).to_contain_text(QUESTION.curveballs[0].text)
    expect(page.locator("#transcript .kind-probe")).to_have_count(1)
    grade_btn = page.locator("#composer #grade-btn")  # "Grade me" sits next to the composer
    expect(grade_btn).to_be_enabled()
    to_composer = "el => el.scrollIntoView({block: 'end'})"  # the curveball, and "Grade me" by the composer
    page.locator("#composer").evaluate(to_composer)
    session.shot("7-strong-curveball", readme_as="interview")
    assert_accessible(page, "interview after a stretch probe")

    send(page, "Then I would keep each customer's drafts and evaluation data strictly in their own tenant, and "
               "measure quality per customer against that customer's own resolved tickets.")
    expect(page.locator("#transcript .kind-probe")).to_have_count(1)  # stretch probes never repeat
    card = grade(page)
    expect(card.locator(".sc-num")).to_have_text(re.compile(r"^\d{1,3}$"))
    expect(card.locator(".sc-timing")).to_contain_text(re.compile(r"Answered in \d+:\d\d \(suggested 20 min"))
    expect(card.get_by_text(re.compile(r"score \d"))).to_have_count(0)  # one score format: "88 out of 100"
    to_top = "el => el.scrollIntoView({block: 'start'})"
    card.evaluate(to_top)
    session.shot("7-strong-scorecard", readme_as="scorecard")
    assert_accessible(page, "scorecard")

    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#transcript .kind-probe").last.evaluate(to_top)
    session.shot("7-phone-interview", readme_as="interview-phone")
    card.evaluate(to_top)
    session.shot("7-phone-scorecard", readme_as="scorecard-phone")
    assert_accessible(page, "scorecard at phone width")

    page.locator("#tab-history").click()
    item = page.locator(".history-item").first
    expect(item).to_contain_text(" ".join(STRONG.split()[:6]))  # the first words of the answer
    expect(item.locator("time")).to_be_visible()
    expect(item).to_contain_text(re.compile(r"\d{1,3}/100"))
    assert_accessible(page, "history")


def test_gaming_candidate_is_nudged_and_left_out_of_progress(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/")
    page.locator("#howto-dismiss").click()
    complete_interview(page)  # one honest session first, so Progress has a chart
    start(page, QID)
    send(page, KEYWORDS)
    nudge = last_reply(page)
    expect(nudge).to_have_class(re.compile("kind-nudge"))
    expect(nudge).to_contain_text("You've listed")
    expect(nudge).to_contain_text("Walk me through how")
    card = grade(page)
    expect(card.locator(".flags")).to_contain_text("keywords")

    page.locator("#tab-progress").click()
    expect(page.locator("#progress-left-out")).to_contain_text("1 graded session is left out")
    expect(page.locator("#progress-graded")).to_have_text("1")  # only the honest one counts
    expect(page.locator("svg.chart text.date").first).to_have_text(re.compile(r"[A-Za-z]{3}"))
    assert_accessible(page, "progress with charts")

    page.locator("#tab-guide").click()
    page.locator("#guide-q").fill("What is a golden set?")
    page.locator("#guide-q").press("Enter")
    expect(page.locator("#guide-log .cite").first).to_be_visible()
    assert_accessible(page, "ask the guide")


def test_the_timer_nudges_once_at_the_suggested_time(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.clock.install()  # the page's own clock, so 20 minutes pass in a moment
    page.goto("/")
    page.locator("#howto-dismiss").click()
    start(page, QID)
    expect(page.locator("#iv-status .time-note")).to_have_count(0)
    page.clock.run_for("20:05")
    note = page.locator("#iv-status .time-note")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("suggested time")
    expect(page.locator("#timer-label")).to_have_text("Over time")
    page.locator("#iv-status").evaluate("el => el.replaceChildren()")  # read and gone
    page.clock.run_for("05:00")
    expect(page.locator("#iv-status .time-note")).to_have_count(0)  # once, not every tick

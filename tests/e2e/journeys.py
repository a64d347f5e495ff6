"""Steps the journeys share: starting, answering and grading an interview through the UI."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

QUESTION = "support-reply-drafts"
CLARIFY = "How many users are there?"
ANSWER_LINES = [
    "I would start with the support agents: their pain is handle time on repetitive tickets, and the goal is to "
    "cut average handle time by 20% without hurting CSAT.",
    "The AI drafts replies, never auto-sends, so an agent stays in the loop. I would ground drafts with retrieval "
    "over each customer help-centre and past resolved tickets, per tenant. I would measure draft acceptance rate "
    "and edit distance.",
]
PROBE_ANSWER = ("I would roll out in shadow mode to a few customers first, then expand by cohort while watching "
                "CSAT, cost per ticket and p95 latency, and feed agents' edits back as a training signal.")


def start(page: Page, question_id: str = QUESTION) -> str:
    """Starts `question_id` with the setup form's controls (the app is already open); returns its id."""
    page.locator("#tab-interview").click()
    if page.locator("#iv-session").is_visible():
        page.locator("#new-btn").click()
    expect(page.locator(f"#f-question option[value='{question_id}']")).to_be_attached()
    page.select_option("#f-question", question_id)
    with page.expect_response(lambda r: r.url.endswith("/api/interviews") and r.request.method == "POST") as info:
        page.locator("#start-btn").click()
    interview_id = info.value.json()["id"]
    expect(page.locator("#iv-session")).to_be_visible()
    expect(page.locator("#transcript .msg-interviewer.kind-question")).to_have_count(1)
    settled(page)
    return str(interview_id)


def settled(page: Page) -> None:
    """Waits until no request is in flight in the interview."""
    expect(page.locator("#transcript")).to_have_attribute("aria-busy", "false")


def send(page: Page, text: str) -> None:
    before = page.locator("#transcript .msg-candidate[data-id]").count()
    box = page.locator("#composer-text")
    box.fill(text)
    box.press("Control+Enter")  # Enter alone is a new line
    expect(page.locator("#transcript .msg-candidate[data-id]")).to_have_count(before + 1)
    settled(page)


def grade(page: Page) -> Any:
    expect(page.locator("#grade-btn")).to_be_enabled()
    page.locator("#grade-btn").click()
    card = page.locator("#scorecard-slot .scorecard")
    expect(card).to_be_visible()
    settled(page)
    return card


def complete_interview(page: Page, question_id: str = QUESTION) -> Any:
    start(page, question_id)
    send(page, "\n".join(ANSWER_LINES))
    return grade(page)

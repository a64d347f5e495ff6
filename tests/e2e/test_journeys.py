"""The six browser journeys of issue 6, against the real app in Chromium."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import Session
from tests.e2e.journeys import ANSWER_LINES, CLARIFY, PROBE_ANSWER, complete_interview, grade, send, settled, start

pytestmark = pytest.mark.e2e

NO_OVERFLOW = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_full_interview_from_clarifying_question_to_highlighted_scorecard(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/")
    page.select_option("#f-type", "ai_product_design")
    page.select_option("#f-level", "pm")
    start(page, "support-reply-drafts")
    expect(page.locator("#transcript .kind-question")).to_contain_text("You have about 20 minutes")
    expect(page.locator("#timer-value")).to_have_text(re.compile(r"^(20:00|19:[0-5]\d)$"))
    expect(page.locator("#grade-btn")).to_be_disabled()

    # A clarifying question is answered from the question's facts and is not an answer to grade.
    send(page, CLARIFY)
    expect(page.locator("#transcript .msg-candidate").last).to_contain_text("Clarifying question")
    expect(page.locator("#transcript .kind-clarification")).to_contain_text("4,000")
    expect(page.locator("#grade-btn")).to_be_disabled()

    # Enter is a new line; Ctrl+Enter sends. The follow-up probe comes back in the POST's reply.
    box = page.locator("#composer-text")
    box.fill(ANSWER_LINES[0])
    box.press("Enter")
    box.press_sequentially(ANSWER_LINES[1][:40])
    assert "\n" in box.input_value()
    expect(page.locator("#transcript .msg-candidate")).to_have_count(1)
    box.fill("")
    send(page, "\n".join(ANSWER_LINES))
    probe = page.locator("#transcript .msg-interviewer.kind-probe")
    expect(probe).to_have_count(1)
    expect(probe).to_contain_text("Follow-up")
    expect(page.locator("#grade-btn")).to_be_enabled()
    page.evaluate("window.scrollTo(0, 0)")
    session.shot("1-interview")

    # The draft and the interview itself survive a reload.
    box.fill("A draft about the rollout")
    page.reload()
    expect(page.locator("#transcript .msg-interviewer.kind-probe")).to_have_count(1)
    expect(page.locator("#composer-text")).to_have_value("A draft about the rollout")

    send(page, PROBE_ANSWER)
    expect(page.locator("#transcript .msg-candidate").last).to_contain_text("Follow-up answer")
    if page.locator("#skip-btn").is_visible():  # a second probe: skip it
        page.locator("#skip-btn").click()
        expect(page.locator("#transcript .msg-candidate.kind-skip")).to_have_count(1)
        settled(page)

    card = grade(page)
    expect(card.locator(".sc-heading")).to_have_text(
        re.compile(r"Below the bar|Approaching the bar|Meets the bar|Strong"))
    expect(card.locator(".sc-num")).to_have_text(re.compile(r"^\d{1,3}$"))
    expect(card.locator(".criterion")).to_have_count(5)
    expect(card.locator(".criterion .levelbar").first).to_have_attribute("aria-label", re.compile(r"level \d of 3"))

    # The evidence is highlighted inside the candidate's own answer, verbatim.
    marks = card.locator(".answer-text mark")
    expect(marks.first).to_be_visible()
    answers = "\n".join(ANSWER_LINES) + "\n\n" + PROBE_ANSWER
    for text in marks.all_inner_texts():
        assert text.strip() and " ".join(text.split()) in " ".join(answers.split()), text
    page.locator("#scorecard-slot").scroll_into_view_if_needed()
    session.shot("1-scorecard")

    # The study section opens in place; a criterion can be contested; a strong answer can be revealed.
    first = card.locator(".criterion").first
    first.locator(".study-btn").first.click()
    expect(first.locator(".reader .md")).to_be_visible()
    weakest = card.locator(".criterion").last
    weakest.locator(".contest summary").click()
    weakest.locator(".contest textarea").fill("I said I would roll out in shadow mode, then expand by cohort.")
    weakest.locator(".contest-form button[type=submit]").click()
    result = page.locator("#scorecard-slot .dispute-result")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(re.compile(r"Dispute \w+ · level \d → \d"))
    page.get_by_role("button", name="Reveal a strong answer").click()
    expect(page.locator("#scorecard-slot .reveal-panel .exemplar-text")).to_be_visible()
    expect(page.locator("#scorecard-slot .reveal-panel .reading-list li").first).to_be_visible()
    session.shot("1-scorecard-full", full_page=True)
    assert not session.dialogs


def test_guide_citation_opens_its_section_with_the_snippet_highlighted(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/#guide")
    page.locator("#guide-q").fill("When should I use RAG instead of fine-tuning?")
    page.locator("#guide-q").press("Enter")
    # The answer streams (Chromium keeps no body of a streamed response), so the citation is read off the page.
    citation = page.locator("#guide-log .cite").first
    expect(citation).to_have_text("[1]")
    section_id = citation.get_attribute("data-section") or ""
    title = (citation.get_attribute("aria-label") or "").split(": open ", 1)[-1]
    assert section_id and title
    citation.click()
    reader = page.locator("#guide-reader")
    expect(reader).to_be_visible()
    expect(reader.locator(".reader")).to_have_attribute("data-section", section_id)
    expect(reader.locator(".reader-title")).to_have_text(title)
    mark = reader.locator("mark.hl").first
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("RAG changes what the model knows")
    expect(mark).to_be_in_viewport()
    session.shot("2-guide-citation")


def test_two_graded_sessions_show_on_the_progress_chart(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/")
    complete_interview(page)
    complete_interview(page)
    page.locator("#tab-progress").click()
    expect(page.locator("#progress-graded")).to_have_text("2")
    expect(page.locator("#progress-sessions")).to_have_text("2")
    expect(page.locator(".graded-list li")).to_have_count(2)
    charts = page.locator("svg.chart")
    expect(charts.first).to_be_visible()
    # Each practised competency has a line through its two sessions.
    expect(page.locator("svg.chart polyline").first).to_be_attached()
    assert page.locator("svg.chart").first.locator("circle.dot").count() == 2
    expect(page.locator("svg.chart text.date").first).to_have_text(re.compile(r"[A-Za-z]{3}"))  # dated axis
    expect(page.locator("#practise-next")).to_be_visible()
    session.shot("3-progress", full_page=True)

    # "Practise this next" starts that question.
    page.locator("#practise-next").click()
    expect(page.locator("#transcript .kind-question")).to_have_count(1)
    page.locator("#tab-history").click()
    expect(page.locator(".history-item")).to_have_count(3)

    # Each past session downloads as Markdown and JSON (the token cookie goes with a plain link).
    expect(page.locator(".history-item").first).to_contain_text("In progress")  # newest first
    graded = page.locator(".history-item").nth(1)
    for fmt, expected in (("Markdown", "## Scorecard"), ("JSON", '"scorecard"')):
        href = graded.get_by_role("link", name=fmt).get_attribute("href")
        assert href
        r = page.request.get(href)
        assert r.status == 200 and "attachment" in r.headers["content-disposition"] and expected in r.text()
    graded.get_by_role("button", name="Show scorecard").click()
    expect(graded.locator(".scorecard .answer-text mark").first).to_be_visible()
    session.shot("3-history")


def _fail_once(kind: str):  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    def handler(route: Route) -> None:
        calls["n"] += 1
        if calls["n"] > 1:
            route.continue_()
        elif kind == "abort":
            route.abort("failed")
        else:
            route.fulfill(status=500, content_type="application/json",
                          body=json.dumps({"error": {"code": "internal", "message": "The server fell over (test)."}}))

    return handler, calls


def test_failures_show_inline_and_retry_repeats_the_request(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/#guide")

    # A network failure on the guide: the streamed answer fails, then the whole-answer fallback fails too.
    handler, calls = _fail_once("abort")
    page.route("**/api/guide/ask/stream", handler)
    fallback, fallback_calls = _fail_once("abort")
    page.route("**/api/guide/ask", fallback)
    page.locator("#guide-q").fill("When should I use RAG instead of fine-tuning?")
    page.locator("#guide-q").press("Enter")
    error = page.locator("#guide-log .notice-error")
    expect(error).to_contain_text("Couldn't reach casewise")
    session.shot("4-error-inline")
    error.get_by_role("button", name="Retry").click()
    expect(page.locator("#guide-log .cite").first).to_be_visible()
    expect(error).to_have_count(0)
    assert calls["n"] == 2 and fallback_calls["n"] == 1  # the retry streamed

    # A server error on progress.
    handler, calls = _fail_once("500")
    page.route("**/api/progress", handler)
    page.locator("#tab-progress").click()
    error = page.locator("#progress-body .notice-error")
    expect(error).to_contain_text("The server fell over (test).")
    error.get_by_role("button", name="Retry").click()
    expect(page.locator("#progress-sessions")).to_be_visible()
    assert calls["n"] == 2

    # A failed answer keeps its text and is sent again by Retry.
    page.locator("#tab-interview").click()
    start(page)
    handler, calls = _fail_once("abort")
    page.route("**/api/interviews/*/messages", handler)
    page.locator("#composer-text").fill(ANSWER_LINES[0])
    page.locator("#composer-text").press("Control+Enter")
    error = page.locator("#iv-status .notice-error")
    expect(error).to_be_visible()
    expect(page.locator("#composer-text")).to_have_value(ANSWER_LINES[0])
    error.get_by_role("button", name="Retry").click()
    expect(page.locator("#transcript .msg-candidate[data-id]")).to_have_count(1)
    expect(error).to_have_count(0)
    settled(page)

    # A refusal (409) is explained inline, without a Retry that could not help.
    page.route("**/api/interviews/*/grade", lambda route: route.fulfill(
        status=409, content_type="application/json",
        body=json.dumps({"error": {"code": "conflict", "message": "there is no answer to grade yet"}})))
    page.locator("#grade-btn").click()
    refusal = page.locator("#grade-status .notice-error")
    expect(refusal).to_contain_text("There is no answer to grade yet.")
    expect(refusal.get_by_role("button", name="Retry")).to_have_count(0)
    session.shot("4-retried")


def test_html_in_an_answer_renders_as_inert_text(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    img, script = "<img src=x onerror=alert(1)>", "<script>alert(2)</script>"
    answer = (f"{ANSWER_LINES[0]} Here is some markup {img} and {script} that must stay text. {ANSWER_LINES[1]}")
    page.goto("/")
    start(page)
    send(page, answer)
    bubble = page.locator("#transcript .msg-candidate").last
    expect(bubble).to_contain_text(img)
    expect(bubble).to_contain_text(script)
    card = grade(page)
    expect(card.locator(".answer-text")).to_contain_text(img)

    page.reload()  # the restored transcript is text too
    expect(page.locator("#transcript .msg-candidate").last).to_contain_text(script)
    page.locator("#tab-guide").click()
    page.locator("#guide-q").fill(f"What is {img} {script}?")
    page.locator("#guide-q").press("Enter")
    expect(page.locator("#guide-log .msg-candidate").last).to_contain_text(img)
    expect(page.locator("#guide-log .guide-answer .loading")).to_have_count(0)

    page.wait_for_timeout(300)
    assert page.locator("#transcript img, #transcript script, #scorecard-slot img, #guide-log img").count() == 0
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 1  # the app's own module
    assert session.dialogs == []
    page.locator("#tab-interview").click()
    session.shot("5-inert-html")


def test_no_horizontal_scroll_at_375px_on_any_view(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/")
    expect(page.locator("#f-question option").nth(1)).to_be_attached()
    assert page.evaluate(NO_OVERFLOW), "interview setup"
    session.shot("6-mobile-setup")

    complete_interview(page)
    card = page.locator("#scorecard-slot .scorecard")
    card.locator(".study-btn").first.click()
    expect(card.locator(".reader .md").first).to_be_visible()
    card.locator(".contest summary").first.click()
    assert page.evaluate(NO_OVERFLOW), "interview with its scorecard"
    page.evaluate("window.scrollTo(0, 0)")
    session.shot("6-mobile-interview")
    card.scroll_into_view_if_needed()
    session.shot("6-mobile-scorecard")

    page.locator("#tab-guide").click()
    page.locator("#guide-q").fill("When should I use RAG instead of fine-tuning?")
    page.locator("#guide-q").press("Enter")
    page.locator("#guide-log .cite").first.click()
    expect(page.locator("#guide-reader mark").first).to_be_visible()
    page.locator("#guide-browse summary").click()
    expect(page.locator("#guide-sections li button").first).to_be_visible()
    assert page.evaluate(NO_OVERFLOW), "guide"
    session.shot("6-mobile-guide")

    page.locator("#tab-rubric").click()
    page.locator("#own-example").click()
    expect(page.locator("#own-answer")).not_to_have_value("")
    page.locator("#own-submit").click()
    expect(page.locator("#own-scorecard .scorecard")).to_be_visible()
    assert page.evaluate(NO_OVERFLOW), "your rubric"
    session.shot("6-mobile-own-rubric")

    page.locator("#tab-progress").click()
    expect(page.locator("svg.chart").first).to_be_visible()
    assert page.evaluate(NO_OVERFLOW), "progress"
    session.shot("6-mobile-progress")

    page.locator("#tab-history").click()
    page.locator(".history-item").first.get_by_role("button", name="Show scorecard").click()
    expect(page.locator(".history-scorecard .scorecard")).to_be_visible()
    assert page.evaluate(NO_OVERFLOW), "history"
    session.shot("6-mobile-history")

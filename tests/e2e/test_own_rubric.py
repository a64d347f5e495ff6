"""The "Your rubric" view in the browser: grade an answer against a rubric the candidate brings.

It posts to the stateless POST /api/grade and shows the interview's scorecard without the parts that need a
session (disputes, the strong answer). The form survives a reload, refusals are shown in place, and markup in any
field stays text.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import ROOT, Session

pytestmark = pytest.mark.e2e

EXAMPLE = json.loads((ROOT / "frontend" / "examples" / "own-rubric.json").read_text(encoding="utf-8"))
CARD = "#own-scorecard .scorecard"


def test_the_example_grades_against_its_own_criteria_and_survives_a_reload(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/#rubric")
    expect(page.locator("#tab-rubric")).to_have_attribute("aria-selected", "true")
    page.locator("#own-example").click()
    expect(page.locator("#own-answer")).to_have_value(EXAMPLE["answer"])
    page.locator("#own-submit").click()
    card = page.locator(CARD)
    expect(card.locator(".sc-heading")).to_be_focused()
    names = [n.split(" ")[0] for n in EXAMPLE["rubric"].splitlines()]
    expect(card.locator(".criterion h4")).to_have_count(len(names))
    for name, heading in zip(names, card.locator(".criterion h4").all_text_contents()):
        assert name in heading
    expect(card.locator(".sc-title .muted").first).to_have_text(EXAMPLE["question"])
    expect(card.locator(".evidence-mark").first).to_be_visible()  # quotes highlighted in the answer as given
    expect(card.locator(".study-btn").first).to_be_visible()
    expect(card.locator(".reveal")).to_have_count(0)  # the strong answer belongs to a bank question
    assert_accessible(page, "your rubric with its scorecard")
    session.shot("7-own-rubric", readme_as="own-rubric", full_page=True)

    page.reload()  # the form is kept in this browser: nothing typed is lost
    expect(page.locator("#own-answer")).to_have_value(EXAMPLE["answer"])
    expect(page.locator("#own-rubric")).to_have_value(EXAMPLE["rubric"])


def test_a_dispute_re_sends_the_request_with_the_disputes_before_it(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/#rubric")
    page.locator("#own-example").click()
    expect(page.locator("#own-answer")).to_have_value(EXAMPLE["answer"])
    page.locator("#own-submit").click()
    card = page.locator(CARD)
    sent: list[dict[str, object]] = []
    page.on("request", lambda req: sent.append(req.post_data_json) if req.url.endswith("/api/grade/disputes") else None)
    quote = EXAMPLE["answer"].split("\n")[0].split(". ")[0] + "."
    for i, reason in enumerate([f'I named the users: "{quote}"', "I said what the launch would be."]):
        crit = card.locator(".criterion").nth(0 if i == 0 else 3)
        crit.locator(".contest summary").click()
        crit.locator(".contest textarea").fill(reason)
        crit.locator(".contest button[type=submit]").click()
        expect(page.locator(f"{CARD} .criterion").nth(0 if i == 0 else 3).locator(".dispute-result")).to_be_visible()
    assert [len(b["earlier"]) for b in sent] == [0, 1]  # type: ignore[arg-type]
    assert sent[1]["earlier"] == [{"criterion_id": sent[0]["criterion_id"], "reason": sent[0]["reason"]}]  # type: ignore[index]
    assert sent[1]["answer"] == EXAMPLE["answer"] and sent[1]["question"] == EXAMPLE["question"]
    expect(page.locator(f"{CARD} .dispute-result")).to_have_count(2)


def test_refusals_are_shown_in_place_and_lose_nothing(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/#rubric")
    page.locator("#own-submit").click()
    expect(page.locator("#own-status [role=alert]")).to_contain_text("Write the question")

    page.locator("#own-question").fill("Design a meal planner for a grocery app.")
    page.locator("#own-rubric").fill('{"criteria": [{"name": "Metrics", ')
    kept = "I would measure plan acceptance and repeat use in the first month."
    page.locator("#own-answer").fill(kept)
    page.locator("#own-submit").click()
    expect(page.locator("#own-status [role=alert]")).to_contain_text("starts like JSON but could not be read")

    # The server's own refusal (more criteria than a rubric may have) comes back as its message.
    page.locator("#own-rubric").fill("\n".join(f"Point {i}: covers topic number {i}" for i in range(13)))
    page.locator("#own-submit").click()
    expect(page.locator("#own-status [role=alert]")).to_contain_text("rubric")
    expect(page.locator(CARD)).to_have_count(0)
    expect(page.locator("#own-answer")).to_have_value(kept)

    # Keys the grader does not read are named back with the card.
    rubric = {"criteria": [{"name": "Metrics", "description": "A user outcome metric and a guardrail"},
                           {"name": "Safety", "description": "Allergies are filtered before the model sees recipes"}],
              "pass_mark": 70}
    page.locator("#own-rubric").fill(json.dumps(rubric))
    page.locator("#own-submit").click()
    notes = page.locator(f"{CARD} .rubric-notes")
    expect(notes).to_contain_text("pass_mark")


def test_markup_in_every_field_stays_text(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    img, script = "<img src=x onerror=alert(1)>", "<script>alert(2)</script>"
    page.goto("/#rubric")
    page.locator("#own-question").fill(f"Design a meal planner {img}")
    page.locator("#own-rubric").fill(f"Metrics: a user outcome metric and a guardrail {script}\n"
                                     f"Safety: allergies are filtered before the model sees recipes {img}")
    page.locator("#own-answer").fill(f"I would measure plan acceptance and repeat use in the first month {img}. "
                                     f"Allergies are hard filters applied before the model sees recipes {script}.")
    page.locator("#own-submit").click()
    card = page.locator(CARD)
    expect(card.locator(".answer-text")).to_contain_text(img)
    expect(card.locator(".sc-title .muted").first).to_contain_text(img)
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 1  # the app's own module
    assert session.dialogs == []

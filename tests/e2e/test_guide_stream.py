"""The guide view reading a streamed answer in Chromium: the model's words show as a plain-text draft while they
arrive, and the checked answer from `done` replaces them (here the check rejected the draft, so the fallback with
its citation is what stays). A stream that ends without `done` falls back to the whole-answer endpoint.

The stream is the browser's own (fetch is wrapped before the page loads), so the test decides when `done` comes
and can look at the page in between; the real endpoint's events are covered in tests/app/llm/test_stream_api.py.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e

QUESTION = "When should I use RAG instead of fine-tuning?"
DRAFT = ["Fine-tuned models never ", "hallucinate <img src=x onerror=alert(1)> ", "[1]."]
DONE = {"answer": "RAG changes what the model can see at answer time [1].", "grounded": True,
        "citations": [{"n": 1, "section_id": "rag-vs-fine-tuning", "title": "RAG versus fine-tuning",
                       "snippet": "RAG changes what the model can see.", "score": 0.9}],
        "nearest": [], "degraded": True, "degraded_reason": "answerer: unsupported", "flags": []}

# fetch for the stream endpoint answers with a body this test feeds: the deltas at once, `done` on release.
HELD_STREAM = """([deltas, done]) => {
  const real = window.fetch.bind(window);
  let release;
  window.__releaseDone = () => release();
  window.fetch = (url, init) => {
    if (!String(url).endsWith('/api/guide/ask/stream')) return real(url, init);
    const enc = new TextEncoder();
    const body = new ReadableStream({
      async start(controller) {
        for (const text of deltas) {
          controller.enqueue(enc.encode('event: delta\\ndata: ' + JSON.stringify({ text }) + '\\n\\n'));
        }
        await new Promise((resolve) => { release = resolve; });
        controller.enqueue(enc.encode('event: done\\r\\ndata: ' + JSON.stringify(done) + '\\r\\n\\r\\n'));
        controller.close();
      },
    });
    return Promise.resolve(new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }));
  };
}"""


def test_a_streamed_answer_is_shown_as_text_then_replaced_by_the_checked_one(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.add_init_script(script=f"({HELD_STREAM})({json.dumps([DRAFT, DONE])})")
    page.goto("/#guide")
    page.locator("#guide-q").fill(QUESTION)
    page.locator("#guide-q").press("Enter")
    answer = page.locator("#guide-log .guide-answer").last
    draft = answer.locator(".answer-draft")
    expect(draft).to_have_text("".join(DRAFT))  # markup in the model's words stays text
    expect(answer.locator(".msg-body")).to_have_attribute("aria-busy", "true")
    assert answer.locator("img").count() == 0
    session.shot("7-guide-streaming")

    page.evaluate("window.__releaseDone()")
    expect(draft).to_have_count(0)
    expect(answer.locator(".answer-text-plain")).to_contain_text("RAG changes what the model can see")
    expect(answer).to_contain_text("did not pass the check against the guide")
    expect(answer.locator(".cite")).to_have_text("[1]")
    expect(answer.locator(".msg-body")).not_to_have_attribute("aria-busy", "true")
    assert "never hallucinate" not in answer.inner_text()


def test_a_stream_cut_before_done_falls_back_to_the_whole_answer(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    asked: list[str] = []

    def cut(route: Route) -> None:
        route.fulfill(status=200, content_type="text/event-stream",
                      body='event: delta\ndata: {"text": "A half "}\n\n')

    page.route("**/api/guide/ask/stream", cut)
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/api/guide/ask") else None)
    page.goto("/#guide")
    page.locator("#guide-q").fill(QUESTION)
    page.locator("#guide-q").press("Enter")
    answer = page.locator("#guide-log .guide-answer").last
    expect(answer.locator(".cite").first).to_be_visible()
    expect(answer.locator(".answer-draft")).to_have_count(0)
    assert len(asked) == 1

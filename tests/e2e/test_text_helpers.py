"""The frontend's text helpers, run in the browser: a section's blocks (Markdown parsed on the server by
app/markdown.py) become only safe DOM nodes, and quotes are found and highlighted inside text without ever parsing
it as HTML."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from app.markdown import blocks
from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e

RENDER = """async (blocks) => {
  const { renderBlocks } = await import('/js/text.js');
  const { node, marks } = renderBlocks(blocks, { highlight: 'RAG changes what the model knows. Use RAG for facts.' });
  const tags = [...node.querySelectorAll('*')].map((n) => n.tagName.toLowerCase());
  const attrs = [...node.querySelectorAll('*')].flatMap((n) => [...n.attributes].map((a) => a.name));
  return { tags: [...new Set(tags)].sort(), attrs: [...new Set(attrs)].sort(), text: node.textContent,
           marks: marks.map((m) => m.textContent) };
}"""

HIGHLIGHT = """async ([text, quotes]) => {
  const { highlightText } = await import('/js/text.js');
  const box = document.createElement('div');
  const { nodes, found } = highlightText(text, quotes.map((quote, i) => ({ quote, label: 'c' + i, ref: i + 1 })));
  box.append(...nodes);
  return { found, marks: [...box.querySelectorAll('mark')].map((m) => m.textContent),
           tags: [...new Set([...box.querySelectorAll('*')].map((n) => n.tagName.toLowerCase()))].sort(),
           text: box.textContent };
}"""


def test_markdown_renders_only_allowed_nodes_and_highlights_the_snippet(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/")
    md = ("# Title\n\nIntro with **bold** and *italic* and `code`.\n\n## RAG versus fine-tuning\n"
          "A useful rule: **RAG changes what the model knows**. Use RAG for facts.\n\n"
          "- item <img src=x onerror=alert(1)>\n- [a link](javascript:alert(2)) <script>alert(3)</script>\n\n"
          "1. first\n2. second\n")
    out = page.evaluate(RENDER, [b.model_dump() for b in blocks(md)])
    assert set(out["tags"]) <= {"div", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "code", "mark"}
    assert out["attrs"] == ["class"]
    assert "<img src=x onerror=alert(1)>" in out["text"] and "<script>alert(3)</script>" in out["text"]
    assert "".join(out["marks"]) == "RAG changes what the model knows. Use RAG for facts."
    assert session.dialogs == []


def test_quotes_are_highlighted_verbatim_even_across_line_breaks(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/")
    text = "First point <b>here</b>.\nSecond point spans\nlines. Third point."
    out = page.evaluate(HIGHLIGHT, [text, ["First point <b>here</b>.", "Second point spans lines.", "absent"]])
    assert out["found"] == 2
    assert out["marks"] == ["First point <b>here</b>.", "Second point spans\nlines."]
    assert out["tags"] == ["mark", "sup"]
    assert out["text"].startswith("First point <b>here</b>.1")

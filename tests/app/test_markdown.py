"""The guide's Markdown as blocks (markdown-it-py): structure and styles survive, markup never does."""

from __future__ import annotations

from app.markdown import Block, Run, blocks
from app.settings import ROOT
from rag.guide import load_guide


def test_headings_paragraphs_lists_and_styles() -> None:
    md = ("# Title\n\nIntro with **bold**, *italic* and `code`.\nSame paragraph.\n\n"
          "- one\n  - nested\n- two\n\n1. first\n")
    assert blocks(md) == [
        Block(type="h", level=1, runs=[Run(text="Title")]),
        Block(type="p", runs=[Run(text="Intro with "), Run(text="bold", bold=True), Run(text=", "),
                              Run(text="italic", italic=True), Run(text=" and "), Run(text="code", code=True),
                              Run(text=". Same paragraph.")]),
        Block(type="ul", items=[[Run(text="one")], [Run(text="nested")], [Run(text="two")]]),
        Block(type="ol", items=[[Run(text="first")]]),
    ]


def test_raw_html_and_links_stay_text() -> None:
    md = "- item <img src=x onerror=alert(1)>\n- [a link](javascript:alert(2)) <script>alert(3)</script>\n"
    (lst,) = blocks(md)
    texts = ["".join(r.text for r in item) for item in lst.items]
    assert texts == ["item <img src=x onerror=alert(1)>", "[a link](javascript:alert(2)) <script>alert(3)</script>"]
    assert "".join(r.text for r in blocks("see [the guide](https://example.com)")[0].runs) == "see the guide"


def test_every_guide_section_keeps_its_words() -> None:
    for section in load_guide(ROOT / "content" / "guide"):
        parsed = blocks(section.body)
        assert parsed and parsed[0].type in ("h", "p")
        words = " ".join(r.text for b in parsed for runs in [b.runs, *b.items] for r in runs).split()
        plain = section.body.replace("**", "").replace("`", "").split()
        assert len(words) >= 0.9 * len([w for w in plain if w not in ("-", "#", "##", "###")])

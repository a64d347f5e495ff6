"""The guide's Markdown as blocks of styled text runs, parsed by markdown-it-py with raw HTML disabled.

The browser builds DOM nodes from these blocks (frontend/js/text.js `renderBlocks`) and never parses HTML or
Markdown itself. Blocks rather than HTML because the reader highlights a cited passage across styled runs, which
needs the text and its styles, not markup. What the guide does not use (links, images, tables, raw HTML) comes
through as its plain text, never as markup.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pydantic import BaseModel, Field


class Run(BaseModel):
    """A piece of text with one set of styles."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


class Block(BaseModel):
    """A heading (`level` 1-6), a paragraph, or a list (`items`, each a list of runs)."""

    type: Literal["h", "p", "ul", "ol"]
    level: int | None = None
    runs: list[Run] = Field(default_factory=list)
    items: list[list[Run]] = Field(default_factory=list)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "js-default": CommonMark plus tables and strikethrough, with html=False (raw HTML stays text) and
    # markdown-it's link validation (no javascript: or data: URLs; links become plain text here anyway).
    return MarkdownIt("js-default")


def _runs(inline: Token) -> list[Run]:
    out: list[Run] = []
    bold = italic = 0
    for t in inline.children or []:
        if t.type == "strong_open":
            bold += 1
        elif t.type == "strong_close":
            bold -= 1
        elif t.type == "em_open":
            italic += 1
        elif t.type == "em_close":
            italic -= 1
        elif t.type in ("softbreak", "hardbreak"):
            out.append(Run(text=" ", bold=bold > 0, italic=italic > 0))
        elif t.type == "code_inline":
            out.append(Run(text=t.content, bold=bold > 0, italic=italic > 0, code=True))
        elif t.content and t.type in ("text", "html_inline", "image"):
            out.append(Run(text=t.content, bold=bold > 0, italic=italic > 0))
    merged: list[Run] = []
    for r in out:  # adjacent runs of one style become one, so highlights see whole phrases
        if merged and (merged[-1].bold, merged[-1].italic, merged[-1].code) == (r.bold, r.italic, r.code):
            merged[-1] = merged[-1].model_copy(update={"text": merged[-1].text + r.text})
        else:
            merged.append(r)
    return merged


def blocks(markdown: str) -> list[Block]:
    """Headings, paragraphs and lists (a nested list's items join their parent list), in document order."""
    out: list[Block] = []
    lists: list[Block] = []  # open lists, innermost last
    heading: int | None = None
    for t in _parser().parse(markdown):
        if t.type in ("bullet_list_open", "ordered_list_open"):
            if not lists:
                out.append(Block(type="ul" if t.type == "bullet_list_open" else "ol"))
            lists.append(out[-1] if not lists else lists[-1])
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t.type == "heading_open":
            heading = int(t.tag[1:])
        elif t.type == "inline":
            runs = _runs(t)
            if not runs:
                continue
            if heading is not None:
                out.append(Block(type="h", level=heading, runs=runs))
            elif lists:
                lists[-1].items.append(runs)
            else:
                out.append(Block(type="p", runs=runs))
        elif t.type == "heading_close":
            heading = None
        elif t.type in ("fence", "code_block") and t.content.strip():
            out.append(Block(type="p", runs=[Run(text=t.content.strip(), code=True)]))
    return out

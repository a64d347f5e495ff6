"""Guide text as sentences: Markdown to plain text, and each chunk split into sentences that remember where they
stand (their heading, whether they are a list item or the line that introduces a list).

Answers are assembled from these sentences, so they are kept verbatim (after Markdown is stripped): a cited
sentence can always be found again in its section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.chunking import Chunk

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MIN_WORDS = 5  # shorter prose fragments ("Repeat.") read badly on their own
_MIN_ITEM_WORDS = 3  # list items are steps; short ones still carry meaning


def plain(text: str) -> str:
    """Markdown to plain text for snippets: drop emphasis, list markers and heading marks."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"(?<!\w)[*_](.+?)[*_](?!\w)", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text, flags=re.M).strip()


@dataclass(frozen=True)
class Sentence:
    """One sentence of a chunk, in reading order."""

    text: str
    pos: int  # position among the chunk's sentences
    heading: str  # the nearest heading above it ("" for a section's opening paragraphs)
    list_item: bool  # part of a bulleted or numbered list
    lead_in: bool  # the sentence that introduces a list (usually ends with a colon)
    opens: bool  # the first sentence under its heading (or of the chunk)


def split(chunk: Chunk) -> list[Sentence]:
    """The chunk's sentences, without headings; list items count as sentences."""
    out: list[Sentence] = []
    heading = chunk.heading_path[-1] if len(chunk.heading_path) > 1 else ""
    fresh = True
    lines = [ln.strip() for ln in chunk.text.splitlines()]
    for li, line in enumerate(lines):
        if not line:
            continue
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            fresh = True
            continue
        item = bool(_LIST.match(line))
        nxt = next((ln for ln in lines[li + 1:] if ln), "")
        parts = [s.strip() for s in _SENT.split(plain(line))]
        parts = [s for s in parts if len(s.split()) >= (_MIN_ITEM_WORDS if item else _MIN_WORDS)]
        for k, s in enumerate(parts):
            lead = (not item and k == len(parts) - 1 and bool(_LIST.match(nxt)))
            out.append(Sentence(s, len(out), heading, item, lead, fresh))
            fresh = False
    return out


def sentences(chunk: Chunk) -> list[str]:
    """The chunk's sentence texts of five words or more, in order (the grader's study snippets use these)."""
    return [s.text for s in split(chunk) if len(s.text.split()) >= _MIN_WORDS]

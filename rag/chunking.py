"""Splitting guide sections into retrieval chunks along their headings.

Chunks follow the author's structure (one `##` subsection each) because a heading marks where a topic
starts; small neighbours are merged and long subsections split at paragraph breaks so every chunk lands
near 150-400 tokens. Ids come from the section id and heading anchor, so editing one section never renames
another section's chunks.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from rag.guide import GuideSection

MIN_TOKENS = 150
MAX_TOKENS = 400
# MiniLM sees at most 256 word pieces; splitting long chunks near this keeps the dense view of a chunk whole.
TARGET_MAX_TOKENS = 300

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$", re.M)
_WORD = re.compile(r"\S+")


def approx_tokens(text: str) -> int:
    """Rough token count (about 0.75 English words per token), enough for sizing chunks."""
    return round(len(_WORD.findall(text)) / 0.75)


def slugify(text: str) -> str:
    """GitHub-style heading anchor."""
    s = re.sub(r"[^\w\s-]", "", text.lower()).strip()
    return re.sub(r"[\s_]+", "-", s)


@dataclass(frozen=True)
class Chunk:
    """A piece of one guide section with enough context to cite it."""

    id: str
    section_id: str
    section_title: str
    heading_path: tuple[str, ...]
    anchor: str
    text: str
    position: int

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{' > '.join(self.heading_path)}\n{self.text}".encode()).hexdigest()[:16]

    @property
    def embed_text(self) -> str:
        """What the embedder sees: the heading path gives a short chunk its topic."""
        return " > ".join(self.heading_path) + "\n" + self.text

    @property
    def tokens(self) -> int:
        return approx_tokens(self.text)


@dataclass
class _Block:
    heading_path: tuple[str, ...]
    anchor: str
    text: str


def _blocks(section: GuideSection) -> list[_Block]:
    """One block per heading, carrying the heading path (title > subheading > ...)."""
    body = section.body
    path: list[tuple[int, str]] = [(1, section.title)]
    blocks: list[_Block] = []
    matches = list(_HEADING.finditer(body))
    starts = [m.start() for m in matches] + [len(body)]
    preamble = body[: starts[0]].strip()
    if preamble:
        blocks.append(_Block((section.title,), "", preamble))
    for m, end in zip(matches, starts[1:]):
        depth, title = len(m.group(1)), m.group(2).strip()
        if depth == 1:
            path = [(1, section.title)]
            anchor = ""
        else:
            path = [p for p in path if p[0] < depth] + [(depth, title)]
            anchor = slugify(title)
        text = body[m.end(): end].strip()
        if text:
            blocks.append(_Block(tuple(t for _, t in path), anchor, text))
    return blocks


def _split_long(text: str) -> list[str]:
    """Split a block over MAX_TOKENS at paragraph (then sentence) breaks into near-equal pieces."""
    total = approx_tokens(text)
    if total <= MAX_TOKENS:
        return [text]
    units = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if any(approx_tokens(u) > TARGET_MAX_TOKENS for u in units):
        units = [s for u in units for s in re.split(r"(?<=[.!?])\s+", u) if s]
    n = -(-total // TARGET_MAX_TOKENS)
    target = total / n
    pieces: list[str] = []
    cur: list[str] = []
    for u in units:
        cur.append(u)
        if approx_tokens("\n\n".join(cur)) >= target and len(pieces) < n - 1:
            pieces.append("\n\n".join(cur))
            cur = []
    if cur:
        pieces.append("\n\n".join(cur))
    return pieces


def chunk_section(section: GuideSection) -> list[Chunk]:
    """Chunk one section: merge neighbouring heading blocks up to the size window, split long ones."""
    merged: list[_Block] = []
    for b in _blocks(section):
        if merged:
            prev = merged[-1]
            heading = f"## {b.heading_path[-1]}\n" if len(b.heading_path) > 1 else ""
            joined = f"{prev.text}\n\n{heading}{b.text}"
            size = approx_tokens(joined)
            if size <= MAX_TOKENS and (approx_tokens(prev.text) < MIN_TOKENS or size <= TARGET_MAX_TOKENS):
                merged[-1] = _Block(prev.heading_path, prev.anchor, joined)
                continue
        merged.append(b)
    # A thin tail folds back into its predecessor rather than standing alone.
    if len(merged) > 1 and approx_tokens(merged[-1].text) < MIN_TOKENS:
        tail, prev = merged[-1], merged[-2]
        joined = f"{prev.text}\n\n## {tail.heading_path[-1]}\n{tail.text}"
        if approx_tokens(joined) <= MAX_TOKENS:
            merged[-2:] = [_Block(prev.heading_path, prev.anchor, joined)]
    chunks: list[Chunk] = []
    for b in merged:
        for i, piece in enumerate(_split_long(b.text)):
            base = f"{section.id}#{b.anchor or 'intro'}"
            chunks.append(Chunk(id=base if i == 0 else f"{base}-{i + 1}", section_id=section.id,
                                section_title=section.title, heading_path=b.heading_path, anchor=b.anchor,
                                text=piece, position=len(chunks)))
    return chunks


def chunk_guide(sections: list[GuideSection]) -> list[Chunk]:
    """Chunk every section, in guide order."""
    return [c for s in sections for c in chunk_section(s)]

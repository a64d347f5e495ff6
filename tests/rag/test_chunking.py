"""Chunking along headings: sizes, ids, heading paths and stability under edits."""

from __future__ import annotations

from dataclasses import replace

from app.settings import ROOT
from rag.chunking import MAX_TOKENS, approx_tokens, chunk_guide, chunk_section, slugify
from rag.guide import load_guide, parse_section

SECTIONS = load_guide(ROOT / "content" / "guide")


def test_chunks_stay_within_the_size_window_and_ids_are_unique() -> None:
    chunks = chunk_guide(SECTIONS)
    sizes = [c.tokens for c in chunks]
    assert max(sizes) <= MAX_TOKENS
    # Most chunks land in 150-400 tokens; a section's short last subsection may sit a little under.
    assert sum(150 <= s <= 400 for s in sizes) / len(sizes) >= 0.85
    assert min(sizes) >= 100
    assert len({c.id for c in chunks}) == len(chunks)


def test_every_chunk_knows_its_section_heading_path_and_anchor() -> None:
    for c in chunk_guide(SECTIONS):
        assert c.id.startswith(c.section_id + "#")
        assert c.heading_path[0] == c.section_title
        if c.anchor:
            assert c.anchor == slugify(c.heading_path[-1])


def test_a_long_subsection_is_split_at_paragraphs() -> None:
    para = " ".join(["word"] * 120)
    body = "# T\n\nIntro " + para + "\n\n## Big part\n" + "\n\n".join([para] * 5)
    chunks = chunk_section(parse_section(f"---\nid: t1\ntitle: T\n---\n{body}", "t1.md"))
    assert [c.id for c in chunks] == ["t1#intro", "t1#big-part", "t1#big-part-2", "t1#big-part-3"]
    assert all(approx_tokens(c.text) <= MAX_TOKENS for c in chunks)
    assert all(c.heading_path == ("T", "Big part") for c in chunks[1:])


def test_editing_one_section_leaves_other_sections_chunks_identical() -> None:
    before = {c.id: c.content_hash for c in chunk_guide(SECTIONS)}
    edited = [replace(s, body=s.body + "\nOne more sentence about evaluation.\n") if i == 0 else s
              for i, s in enumerate(SECTIONS)]
    after = {c.id: c.content_hash for c in chunk_guide(edited)}
    changed = {cid for cid in before if before[cid] != after.get(cid)}
    assert changed and all(cid.startswith(SECTIONS[0].id + "#") for cid in changed)

"""The guide content: enough sections, sensible lengths, stable unique ids, valid front matter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.content import Competency
from app.settings import ROOT
from rag.errors import GuideFormatError
from rag.guide import load_guide, parse_section

GUIDE = ROOT / "content" / "guide"
SOURCE = ROOT.parent / "shared" / "reference" / "ai-pm-guide-source.txt"


def test_guide_has_at_least_14_sections_of_150_to_700_words() -> None:
    sections = load_guide(GUIDE)
    assert len(sections) >= 14
    for s in sections:
        assert 150 <= s.word_count <= 700, f"{s.id}: {s.word_count} words"


def test_guide_ids_match_file_names_and_competencies_are_known() -> None:
    known = {c.value for c in Competency}
    for s in load_guide(GUIDE):
        assert Path(s.path).stem == s.id
        assert s.competencies and set(s.competencies) <= known, s.id


@pytest.mark.parametrize("topic", [
    "probabilistic", "drift", "feedback loop", "30-50%", "fine-tun", "retrieval", "embedding", "inference",
    "context window", "label", "flywheel", "synthetic", "20-40%", "overfitting", "precision", "recall",
    "deterministic", "adversarial", "demo", "guardrail", "72%", "$5-25", "$50-150",
])
def test_guide_covers_every_source_topic(topic: str) -> None:
    text = " ".join(s.body.lower() for s in load_guide(GUIDE))
    assert topic.lower() in text


def test_guide_shares_no_ten_word_run_with_the_source() -> None:
    if not SOURCE.exists():
        pytest.skip("the reference source is not beside this checkout")
    words = lambda t: re.findall(r"[a-z0-9']+", t.lower())  # noqa: E731 - mirrors the repository hook
    src = words(SOURCE.read_text(errors="ignore"))
    grams = {tuple(src[i:i + 10]) for i in range(len(src) - 9)}
    for s in load_guide(GUIDE):
        w = words(s.body)
        shared = [" ".join(w[i:i + 10]) for i in range(len(w) - 9) if tuple(w[i:i + 10]) in grams]
        assert not shared, f"{s.id} copies the source: {shared[0]!r}"


@pytest.mark.parametrize("text,problem", [
    ("# no front matter\n", "missing YAML front matter"),
    ("---\ntitle: x\n---\nbody\n", "'id' must be a lowercase slug"),
    ("---\nid: ok-id\n---\nbody\n", "'title' is required"),
    ("---\nid: [unclosed\n---\nbody\n", "not valid YAML"),
])
def test_parse_section_rejects_malformed_files_with_a_named_problem(text: str, problem: str) -> None:
    with pytest.raises(GuideFormatError, match=re.escape(problem)) as err:
        parse_section(text, "bad.md")
    assert str(err.value).startswith("bad.md:")


def test_load_guide_rejects_duplicate_ids(tmp_path: Path) -> None:
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text("---\nid: same\ntitle: T\n---\nbody\n")
    with pytest.raises(GuideFormatError, match="already used"):
        load_guide(tmp_path)

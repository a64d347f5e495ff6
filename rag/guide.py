"""Reading the guide: Markdown files with YAML front matter (id, title, competencies)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from rag.errors import GuideFormatError

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.S)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


@dataclass(frozen=True)
class GuideSection:
    """One guide file. `body` is the Markdown without front matter; `path` is relative to the guide dir."""

    id: str
    title: str
    body: str
    path: str
    competencies: tuple[str, ...] = field(default_factory=tuple)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.title}\n{self.body}".encode()).hexdigest()[:16]

    @property
    def word_count(self) -> int:
        return len(re.findall(r"\w+", _strip_title(self.body)))


def _strip_title(body: str) -> str:
    return re.sub(r"\A\s*# [^\n]*\n", "", body)


def parse_section(text: str, path: str) -> GuideSection:
    """Parse one guide file; raises GuideFormatError naming the file and the problem."""
    m = _FRONT.match(text.replace("\r\n", "\n"))
    if not m:
        raise GuideFormatError(f"{path}: missing YAML front matter between '---' lines")
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise GuideFormatError(f"{path}: front matter is not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(meta, dict):
        raise GuideFormatError(f"{path}: front matter must be a mapping")
    sid, title = meta.get("id"), meta.get("title")
    if not isinstance(sid, str) or not _ID.match(sid):
        raise GuideFormatError(f"{path}: front matter 'id' must be a lowercase slug")
    if not isinstance(title, str) or not title.strip():
        raise GuideFormatError(f"{path}: front matter 'title' is required")
    comps = meta.get("competencies") or []
    if not isinstance(comps, list):
        raise GuideFormatError(f"{path}: front matter 'competencies' must be a list")
    return GuideSection(id=sid, title=title.strip(), body=m.group(2).strip() + "\n", path=path,
                        competencies=tuple(str(c) for c in comps))


def load_guide(directory: Path) -> list[GuideSection]:
    """Load every `*.md` under `directory` (README.md excluded), sorted by path, rejecting duplicate ids."""
    if not directory.is_dir():
        raise GuideFormatError(f"{directory}: guide directory not found")
    sections: list[GuideSection] = []
    seen: dict[str, str] = {}
    for p in sorted(directory.rglob("*.md")):
        if p.name.lower() == "readme.md":
            continue
        rel = p.relative_to(directory).as_posix()
        sec = parse_section(p.read_text(encoding="utf-8"), rel)
        if sec.id in seen:
            raise GuideFormatError(f"{rel}: id {sec.id!r} already used by {seen[sec.id]}")
        seen[sec.id] = rel
        sections.append(sec)
    return sections

"""A rubric pasted as text, read into criteria items (dicts and strings) for InlineCriterion to check.

People paste what they have: a checklist, one criterion per line, often led by its name ("Metrics: ties each
metric to a goal", "Risks (30%) - names failure modes"), or a Markdown table copied from a document. Read line by
line, a table's header and rule rows became criteria of their own and a line's name and weight stayed inside its
description; here each keeps its role.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)]|[a-z][.)])\s+", re.I)
# "Name: description", "Name (30%): description", "Name - description" (a dash with spaces, not "A/B-test").
_HEADED = re.compile(r"^(?P<name>[^:()|]{1,60}?)\s*(?:\((?P<weight>[^()]{1,24})\))?\s*(?::\s|\s[-–—]\s)\s*"
                     r"(?P<description>\S.*)$")
# What a weight in brackets looks like: "30%", "2", "x2", "weight 2", "10 points", "high". Anything else ("(optional)",
# "(A/B)") stays part of the name.
_WEIGHT = re.compile(r"^(?:weight\s*:?\s*|[x×]\s*)?\d+(?:\.\d+)?\s*(?:%|points?|pts|marks?)?$|^(?:low|medium|high)$",
                     re.I)
NAME_WORDS = 6  # a line's lead longer than this is a sentence with a colon in it, not a criterion's name
_RULE = re.compile(r"^\|?(?:\s*:?-{2,}:?\s*\|)+\s*(?::?-{2,}:?)?\s*\|?$|^\|?\s*:?-{2,}:?\s*\|?$")
# Table headers that name a criterion's fields; any other header that reads as a level ("2", "Level 3", "Good")
# holds that level's anchor, and the rest are notes.
_COLUMNS = {
    "name": ("criterion", "criteria", "name", "dimension", "area", "skill", "competency", "title", "category"),
    "description": ("description", "desc", "details", "definition", "guidance", "look for", "looks for",
                    "what good looks like", "what to look for", "indicators", "evidence"),
    "weight": ("weight", "weighting", "points", "max points", "marks", "score weight", "%", "weight (%)"),
}
_LEVEL_HEADER = re.compile(r"^(?:level|score|band)?\s*\d+\b", re.I)  # "2", "Level 3", "1 - Poor", "0-1"


def criteria(text: str, quality_word: Callable[[str], bool] = lambda _: False) -> list[Any]:
    """The criteria of a rubric pasted as text: a Markdown table when the text holds one, else one per line.
    `quality_word` tells a table header that names a level by quality ("Good", "Excellent") from a note column."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    rows = [ln for ln in lines if ln.startswith("|")]
    if len(rows) >= 2 and len(rows) >= len(lines) / 2:
        return _table(rows, quality_word)
    return [line(ln) for ln in lines]


def line(text: str) -> Any:
    """A checklist line: its name, weight and description when it leads with a short name, else the line itself."""
    body = _BULLET.sub("", text).strip() or text
    m = _HEADED.match(body)
    if not m or len(m["name"].split()) > NAME_WORDS or not m["name"][0].isalpha():
        return body
    item: dict[str, Any] = {"name": m["name"].strip(), "description": m["description"].strip()}
    if m["weight"]:
        if not _WEIGHT.match(m["weight"].strip()):
            item["name"] = f"{item['name']} ({m['weight'].strip()})"
        else:
            item["weight"] = re.sub(r"(?i)^weight\s*:?\s*|[x×]\s*|\s*(?:points?|pts|marks?)$", "", m["weight"].strip())
    return item


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _table(rows: list[str], quality_word: Callable[[str], bool]) -> list[Any]:
    """A Markdown table: the header row (the one above the rule) names each column's role."""
    header: list[str] | None = None
    if len(rows) >= 2 and _RULE.match(rows[1]):
        header, rows = _cells(rows[0]), rows[2:]
    body = [_cells(r) for r in rows if not _RULE.match(r)]
    roles = [_role(h, quality_word) for h in header] if header else []
    if "name" not in roles and "description" not in roles:  # no header it knows: name, then description
        roles = ["name", "description", *roles[2:]]
    out: list[Any] = []
    for cells in body:
        item: dict[str, Any] = {}
        levels: dict[str, str] = {}
        for i, cell in enumerate(cells):
            role = roles[i] if i < len(roles) else None
            if not cell or role is None:
                continue
            if role == "level":
                levels[header[i] if header else str(i)] = cell
            elif role not in item:
                item[role] = cell
        if levels:
            item["levels"] = levels
        if item.get("name") or item.get("description"):
            out.append(item)
    return out


def _role(header: str, quality_word: Callable[[str], bool]) -> str | None:
    h = " ".join(header.lower().replace("*", "").split())
    for role, names in _COLUMNS.items():
        if h in names:
            return role
    return "level" if h and (_LEVEL_HEADER.match(h) or quality_word(h)) else None

"""Prompt files (app/prompts/*.md) and the fencing of untrusted text.

Prompts are files so they can be reviewed and diffed, and so their hash can go into a grader's fingerprint.
Placeholders are `$name` (string.Template), which leaves the braces of JSON examples alone.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache
def load(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8").strip()


def render(name: str, **values: object) -> str:
    """Fill a prompt file's `$placeholders`; a missing value is a KeyError, never a silent blank."""
    return Template(load(name)).substitute({k: str(v) for k, v in values.items()})


def prompt_hash(*names: str) -> str:
    h = hashlib.sha256()
    for n in names:
        h.update(n.encode() + b"\0" + load(n).encode() + b"\0")
    return h.hexdigest()[:12]


_FENCE_BREAK = re.compile(r"<{3,}|>{3,}")


def fence(text: str, label: str) -> tuple[str, str]:
    """Wrap untrusted text (a candidate's answer or message) as data. Returns (fenced text, fence tag).

    The tag carries a nonce derived from the text, so the text cannot close its own fence by guessing it, and
    the same text always gets the same prompt (which the judge cache relies on). Runs of angle brackets inside
    the text are broken up for the same reason.
    """
    nonce = hashlib.sha256(text.encode()).hexdigest()[:10]
    tag = f"{label}-{nonce}"
    body = _FENCE_BREAK.sub(lambda m: " ".join(m.group(0)), text)
    return f"<<<{tag}\n{body}\n{tag}>>>", tag

"""Static checks of frontend/: no HTML built from strings, nothing inline the CSP would block, no CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
SCRIPTS = sorted(FRONTEND.rglob("*.js"))

# Sinks that parse a string as HTML or code, and ways to set inline styles or event handlers.
FORBIDDEN_JS = [r"\.innerHTML\b", r"\.outerHTML\b", r"insertAdjacentHTML", r"document\.write", r"\beval\s*\(",
                r"new\s+Function\b", r"createContextualFragment", r"DOMParser", r"\.style\s*[.=\[]", r"cssText",
                r"setAttribute\(\s*[\"'](style|on\w+|srcdoc)[\"']", r"\bsrcdoc\b", r"setTimeout\(\s*[\"'`]",
                r"https?://(?!www\.w3\.org/2000/svg)"]


def test_there_are_scripts() -> None:
    assert len(SCRIPTS) >= 8, "the frontend is split into small modules"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(FRONTEND)))
def test_scripts_never_insert_html_or_inline_styles(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    for pattern in FORBIDDEN_JS:
        assert not re.search(pattern, source), f"{path.name} matches {pattern!r}"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(FRONTEND)))
def test_module_imports_resolve(path: Path) -> None:
    for spec in re.findall(r"^import .* from \"(\.[^\"]+)\";$", path.read_text(encoding="utf-8"), flags=re.M):
        assert (path.parent / spec).resolve().is_file(), f"{path.name} imports missing {spec}"


def test_page_has_no_inline_script_style_or_handlers_and_no_cdn() -> None:
    html = (FRONTEND / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="/app.js">']
    assert "<style" not in html
    assert not re.search(r"\sstyle\s*=", html)
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"(src|href)\s*=\s*\"(https?:)?//", html), "no CDN or remote assets"
    css = (FRONTEND / "style.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", css) and "@import" not in css

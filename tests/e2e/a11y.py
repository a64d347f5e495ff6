"""axe-core inside the browser journeys: every view is checked for critical and serious violations.

axe.min.js is vendored from the npm package (tests/e2e/vendor/axe-core/README.md). It is evaluated in the page
through Playwright, that is over the DevTools protocol, which the app's Content-Security-Policy does not govern:
the page itself still allows no inline or foreign script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")
_RUN = """async () => {
  const r = await window.axe.run(document, { resultTypes: ["violations"] });
  return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
}"""


def violations(page: Any) -> list[dict[str, Any]]:
    """Every axe violation on the page as it is now (all impacts)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(_RUN)
    return found


def assert_accessible(page: Any, view: str) -> list[dict[str, Any]]:
    """No critical or serious violation on `view`; returns the minor and moderate ones for the log."""
    found = violations(page)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {view}: {blocking}"
    return [v for v in found if v["impact"] not in BLOCKING]

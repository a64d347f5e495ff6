"""The scorecard's level bar, run in the browser: a rubric written on another scale is read in its own numbers."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Session

pytestmark = pytest.mark.e2e

BAR = """async ([level, scale, own]) => {
  const { levelBar } = await import('/js/scorecard.js');
  const node = levelBar(level, 'Defines the event', scale, own);
  return { text: node.querySelector('.level-text').textContent,
           label: node.querySelector('[role=img]').getAttribute('aria-label'),
           on: node.querySelectorAll('.seg.on').length };
}"""


def test_the_level_text_uses_the_rubrics_own_scale_when_it_has_one(session: Session) -> None:
    page: Page = session.page  # type: ignore[assignment]
    page.goto("/")
    own = page.evaluate(BAR, [3, [0, 2], 2])
    assert own == {"text": "2 (0–2)", "label": "Defines the event: level 2 on the rubric's 0 to 2 scale", "on": 3}
    plain = page.evaluate(BAR, [2, None, None])
    assert plain == {"text": "2/3", "label": "Defines the event: level 2 of 3", "on": 2}

"""The HTML report people read: real tables with intervals, a readable fingerprint, slices, the cued-against-inline
comparison, history plots, and untrusted text escaped. The browser test opens it in Chromium."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.content import band_for, overall_score
from app.grading.types import CriterionResult, Overall, Scorecard
from app.settings import ROOT
from evals.inline import compare_modes
from evals.items import EvalItem, load_gold
from evals.report import write_report
from evals.runner import run
from tests.conftest import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned=2\"> | a pipe"


class TableGrader:
    """Grades each answer with the levels a test scripted for it (one level below the human's by default)."""

    fingerprint = {"kind": "scripted", "version": "1", "nested": {"model": "<b>not bold</b>"}}

    def __init__(self, items: list[EvalItem]) -> None:
        self.levels = {it.answer: {k: max(0, v - 1) for k, v in (it.levels or {}).items()} for it in items}

    def grade(self, rubric, answer: str) -> Scorecard:  # type: ignore[no-untyped-def]
        levels = self.levels.get(answer) or {c.id: 0 for c in rubric.criteria}
        score = overall_score(levels, rubric.weights)
        return Scorecard(overall=Overall(score=score, band=band_for(score).value),
                         criteria=[CriterionResult(id=k, name=k, level=v) for k, v in levels.items()],
                         grader=self.fingerprint)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gold = load_gold(ROOT / "content" / "questions")
    test = [i for i in gold if i.split == "test"]
    items = [i for i in test if not i.expected][:32] + [i for i in test if i.expected][:8]
    grader = TableGrader(items)  # the hostile answer below gets level 0 everywhere: the largest disagreement
    strong = next(i for i in items if i.band == "strong")
    items.append(strong.model_copy(update={"id": "hostile/1", "answer": HOSTILE}))
    rec = run(grader, items, "gold-test", quiet=True, resamples=50)
    rec.metrics["cued_vs_inline"] = compare_modes(items, rec.items, rec.items, 50)
    older = run(grader, items[:30], "gold-test", quiet=True, resamples=50)
    hist = [{"created_at": r.created_at, "metrics": r.metrics} for r in (older, rec)]
    out = tmp_path_factory.mktemp("report")
    _, html = write_report([rec, older], hist, out)
    return html


def test_the_page_has_tables_not_preformatted_markdown(report: Path) -> None:
    page = report.read_text()
    assert "<pre>" not in page and "|---" not in page
    for caption in ("Agreement with the human labels", "Accounting", "By question type", "By level",
                    "By dataset", "By adversarial kind", "Cued against inline rubrics", "Side by side",
                    "Largest disagreements"):
        assert f"<caption>{caption}</caption>" in page, caption
    assert "<dl class=fp>" in page and "<dt>nested.model</dt>" in page
    assert page.count("data:image/png;base64,") >= 5 and 'src="http' not in page


def test_untrusted_text_is_escaped(report: Path) -> None:
    page = report.read_text()
    assert "<script>window" not in page and "<img src=x" not in page and "<b>not bold</b>" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page


def test_the_report_renders_in_a_browser(report: Path, request: pytest.FixtureRequest) -> None:
    if not CHROMIUM.exists():
        skip_or_fail(request, f"{CHROMIUM} is missing")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail(request, "the playwright package is not installed")
    # Playwright's sync API refuses a thread with a running event loop (the e2e session's browser leaves one in
    # the main thread), so the page is driven from a thread of its own.
    failures: list[BaseException] = []

    def drive() -> None:
        try:
            _check_page(report)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread below
            failures.append(exc)

    worker = threading.Thread(target=drive, name="report-browser")
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the browser check did not finish in 120 s"
    if failures:
        raise failures[0]


def _check_page(report: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report.as_uri())
            tables = page.locator("table")
            assert tables.count() >= 9
            agreement = page.locator("table", has=page.locator("caption", has_text="Agreement with the human")).first
            assert agreement.locator("thead th").all_inner_texts()[:3] == ["metric", "all items", "95% CI"]
            band_row = agreement.locator("tbody tr", has_text="band QWK").first
            cells = band_row.locator("td").all_inner_texts()
            assert float(cells[1]) <= 1 and "-" in cells[2]  # a value and its interval, in their own cells
            assert agreement.bounding_box()["height"] > 100  # type: ignore[index]
            hostile = page.locator("td", has_text="window.__pwned = 1")
            assert hostile.count() == 1 and "<script>" in hostile.inner_text()
            assert page.evaluate("window.__pwned") is None and not errors
            imgs = page.locator("figure img")
            assert imgs.count() >= 5
            assert all(page.evaluate("(i) => i.naturalWidth", imgs.nth(k).element_handle()) > 0
                       for k in range(imgs.count()))
            assert page.locator("dl.fp dt").count() >= 4
        finally:
            browser.close()


def test_an_invalid_run_says_so_in_the_report(tmp_path: Path) -> None:
    gold = load_gold(ROOT / "content" / "questions")
    items = [i for i in gold if i.split == "test" and i.levels][:10]
    rec = run(TableGrader(items), items, "gold-test", quiet=True, resamples=20)
    rec = rec.model_copy(update={"valid": False, "invalid_reason": "9 of 10 items fell back <judge: timeout>"})
    md, html = write_report([rec], [], tmp_path)
    page = html.read_text()
    assert "<p class=invalid><strong>Invalid run.</strong> 9 of 10 items fell back &lt;judge: timeout&gt;" in page
    assert "INVALID RUN" in md.read_text()

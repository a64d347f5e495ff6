"""Browser journeys: the real app (`python -m app`) on loopback with a temporary data directory, driven by
Debian's Chromium through Playwright. Without /usr/bin/chromium they skip, or fail under --require-services."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import free_port, skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
README_SHOTS = ROOT / "docs" / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
READY_TIMEOUT_S = 180
DESKTOP = {"width": 1000, "height": 700}


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def chromium(request: pytest.FixtureRequest) -> str:
    if not CHROMIUM.exists():
        skip_or_fail(request, f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail(request, "the playwright package is not installed")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def live_server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m app` on a free loopback port with its own data directory; stopped after the session."""
    data = tmp_path_factory.mktemp("e2e-data")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATA_DIR": str(data), "PORT": str(port), "HOST": "127.0.0.1",
           "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HF_HUB_OFFLINE": "1", "LOG_LEVEL": "WARNING",
           # The embedded defaults regardless of the caller's environment or a .env file.
           "DATABASE_URL": "", "CHROMA_HOST": "", "CHROMA_PATH": "", "USER_PACKS_DIR": "", "LLM_MODEL": ""}
    log_path = data / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not _ready(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-4000:]
                    pytest.fail(f"the app did not become ready at {url} (exit {proc.poll()}):\n{tail}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@dataclass
class Session:
    """One browser context (so one anonymous candidate) with what the page did that a test must see."""

    page: object
    url: str
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def shot(self, name: str, *, readme_as: str | None = None, full_page: bool = False) -> Path:
        """A screenshot under test-artifacts/e2e/; `readme_as` also writes docs/screenshots/<readme_as>.png."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
        # The README's screenshots are committed: rewrite them only on request (make screenshots) or if missing.
        target = README_SHOTS / f"{readme_as}.png"
        if readme_as and (os.environ.get("UPDATE_SCREENSHOTS") == "1" or not target.exists()):
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            _write_small_png(path, target)
        return path


def _write_small_png(src: Path, dst: Path) -> None:
    """A 128-colour palette PNG: a third of the size, and UI screenshots look the same."""
    try:
        from PIL import Image
    except ImportError:  # Pillow comes with sentence-transformers; without it, copy as is
        dst.write_bytes(src.read_bytes())
        return
    with Image.open(src) as im:
        small = im.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(dst, optimize=True)


@pytest.fixture
def session(browser, live_server: str) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server, viewport=DESKTOP)
    context.set_default_timeout(20_000)
    page = context.new_page()
    s = Session(page=page, url=live_server)

    def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
        s.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda err: s.page_errors.append(str(err)))
    page.on("console", lambda msg: s.csp_violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    yield s
    context.close()
    assert not s.page_errors, f"uncaught errors in the page: {s.page_errors}"
    assert not s.csp_violations, f"CSP violations: {s.csp_violations}"

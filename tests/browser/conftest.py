"""Browser fixtures: one `streamlit run app.py` server per session, a Playwright page on chromium.

Without /usr/bin/chromium the browser tests skip locally and fail in CI (``CI=true``).
Helpers for every browser test: ``wait_idle(page)`` waits until the script has finished,
``edit_cell(page, editor, row, col, text)`` types into a data-editor cell (a canvas), and
``shot(page, name)`` saves a screenshot under test-artifacts/, ``texts(page, selector, n)`` reads the
texts of ``n`` elements once they are drawn, and ``open_(page, url)`` opens a URL without an exception.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
RUNNING = "[data-testid='stApp']:not([data-test-script-state='notRunning'])"  # running, or about to


def _no_browser(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests need {why} in CI")
    pytest.skip(f"browser tests need {why}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer {url}/_stcore/health within {timeout:.0f} s")


@contextlib.contextmanager
def streamlit_server(log_name: str = "streamlit-server.log", env: dict | None = None):
    """A new ``streamlit run app.py`` server on a free localhost port: its URL, stopped on exit.
    ``env``: variables to set for the server (beside this process's own)."""
    port = _free_port()
    log = (ARTIFACTS / log_name)
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Every browser test runs in one xdist worker, one after another (``--dist loadgroup``): one app server
# and one Chromium, as without xdist, while the other worker runs the engine and AppTest tests. Each
# browser test module says so (``pytestmark``), as xdist documents. (pytest 9.2 with xdist 3.8 ignores
# the groups and ran browser tests in both workers: requirements-dev.txt keeps pytest below 9.2.)
BROWSER = pytest.mark.xdist_group("browser")


def pytest_collection_modifyitems(items):
    """A browser test module without ``BROWSER`` in its ``pytestmark`` is a usage error. A browser test
    that fails runs once more (pytest-rerunfailures), and only a second failure fails it: on a CI machine
    twice as slow as this one, a click or a wait lost to the load failed one browser test in three runs,
    a different one each time, which would refuse a whole submission. A real defect fails both runs; the
    report lists every rerun."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            if item.get_closest_marker("xdist_group") is None:
                raise pytest.UsageError(f"{item.nodeid}: a browser test module needs pytestmark = BROWSER "
                                        "(tests/browser/conftest.py)")
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))


@pytest.fixture(scope="session")
def app_url():
    """The URL of the session's app server."""
    if not Path(CHROMIUM).exists():
        _no_browser(CHROMIUM)
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never ``playwright install``)."""
    if not Path(CHROMIUM).exists():
        _no_browser(CHROMIUM)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def warm_app(browser, app_url):
    """Open the app's root once, so that the first page a test opens finds the caches warm."""
    context = browser.new_context()
    pg = context.new_page()
    try:
        pg.goto(app_url)
        pg.wait_for_selector(IDLE, timeout=60_000)
    finally:
        context.close()
    return app_url


@contextlib.contextmanager
def screen_page(browser, app_url: str, width: int, height: int):
    """A fresh page in its own context with a ``width`` × ``height`` screen; ``page.app_url`` is the
    server's URL."""
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.app_url = app_url
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def page(browser, app_url, warm_app):
    """A fresh page (own context, 1400 × 1000) for one test."""
    with screen_page(browser, app_url, 1400, 1000) as pg:
        yield pg


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until the app's script has finished running (and the status widget is gone)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    try:  # a rerun just triggered starts: at once on a quiet machine, later on a busy one
        page.wait_for_selector(RUNNING, timeout=400)
    except PlaywrightTimeout:  # none came (or it was over before the look)
        pass
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=timeout)


def goto(page, path: str = "") -> None:
    """Open ``app_url/path`` and wait for the script to finish."""
    page.goto(f"{page.app_url}/{path.lstrip('/')}")
    wait_idle(page)


def edit_cell(page, editor, row: int, col: int, text: str, *, index: bool = True,
              header_height: float = 35.0, row_height: float = 35.0) -> None:
    """Type ``text`` into cell (row, col) (0-based data row and column) of a data editor.

    ``editor`` is a locator of the ``[data-testid='stDataFrame']`` element. The editor is a
    canvas: the first cell of the row is clicked by its position inside the canvas's bounding
    box (``force=True``), the arrow keys move to the column (so column widths do not matter),
    then ``text`` is typed and Enter pressed. ``index``: whether the editor shows its index
    column (the click lands on it). Waits until the app has finished the rerun.
    """
    canvas = editor.locator("[data-testid='data-grid-canvas']").first
    cell_input = page.locator("textarea.gdg-input, [data-testid='stDataFrame'] ~ * textarea, textarea").first
    for attempt in range(3):  # a busy machine may still be laying the page out: click again
        canvas.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        canvas.click(position={"x": 6, "y": header_height + row_height * (row + 0.5)}, force=True)
        page.wait_for_timeout(150)
        for _ in range(col + (1 if index else 0)):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")  # open the cell's editor
        try:
            cell_input.wait_for(state="visible", timeout=5_000)
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    page.wait_for_timeout(100)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)
    page.wait_for_timeout(100)
    page.keyboard.press("Enter")
    cell_input.wait_for(state="detached", timeout=5_000)
    wait_idle(page)


def shot(page, name: str, *, full: bool = True) -> Path:
    """Save a screenshot as test-artifacts/<name>.png and return its path.

    Streamlit scrolls inside its main section, so for the whole page (``full=True``) the
    viewport is made as tall as that section's content for the shot, then restored.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    if full and size:
        height = page.evaluate("() => Math.max(...Array.from(document.querySelectorAll("
                               "'[data-testid=stMain], [data-testid=stAppViewContainer], section'), "
                               "e => e.scrollHeight), document.body.scrollHeight)")
        tall = min(max(int(height), size["height"]), 8000)
        page.set_viewport_size({"width": size["width"], "height": tall})
        page.wait_for_timeout(300)
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        if full and size:
            page.set_viewport_size(size)
    return path


def texts(page, selector: str, n: int, timeout: float = 30.0) -> list[str]:
    """The texts of the first ``n`` elements matching ``selector``, once there are ``n`` (a busy machine
    may still be drawing them after the script has finished)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e.inner_text().strip() for e in page.locator(selector).all()]
        if len(found) >= n or time.monotonic() > deadline:
            return found[:n]
        page.wait_for_timeout(200)


def open_(page, url: str) -> None:
    """Open ``url``, wait for the script to finish and assert that it raised nothing."""
    page.goto(url)
    wait_idle(page, 60_000)
    no_exception(page)


def no_exception(page) -> None:
    """Assert that no Streamlit exception element is on the page."""
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.first.inner_text()

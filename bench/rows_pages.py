"""Benchmark rows for the app's pages, each against a minimal one-widget page measured in the same run.

- Warm AppTest script time: the page's script run again with nothing changed (caches warm), and
  an edit of one cell (the data editor's state preset, as a user's edit arrives), for the minimal
  page (bench/minimal_page.py) and for each page in app.py's table whose file exists.
- In Chromium (Debian's /usr/bin/chromium, Playwright): the time from pressing Enter on an edited
  cell to the updated output on screen (the step's text view, or the minimal page's sum) with the
  script finished, at the default example's size.

Target: an edit in Chromium at most 1.5 × the minimal page's (shown as ``< … ms`` from its median);
the AppTest rows give their ratio in the note. The Chromium edits go in rounds, each page taking
its turn with the minimal page, so that a busy machine slows them alike.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import median_ms

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = "bench/minimal_page.py"
CHROMIUM = "/usr/bin/chromium"
RATIO = 1.5
# page file -> (data editor key, cell, two values to alternate, the text each value must show)
EDITS = {
    MINIMAL: ("minimal_editor", (0, 0), ("5", "1"), (r"Sum: 11\b", r"Sum: 7\b")),
    "app_pages/residual_block.py": ("residual.edit.X", (0, 0), ("5", "1"),
                                (r"Out \(3×3\):\s+row 1: 12 0 0", r"Out \(3×3\):\s+row 1: 4 0 0")),
    "app_pages/encoder_block.py": ("encoder.edit.b2", (0, 0), ("10", "0"),
                               (r"Out \(2×3\):\s+row 1: 6 3 25/3", r"Out \(2×3\):\s+row 1: 0 0 0")),
}
BROWSER_PATHS = {MINIMAL: "", "app_pages/residual_block.py": "residual_block?step=4",
                 "app_pages/encoder_block.py": "encoder_block?step=7"}


def _pages() -> list[str]:
    """The page files of the app's navigation (byhand.ui.site), in the sidebar's order."""
    sys.path.insert(0, str(ROOT))
    from byhand.ui.site import pages

    return [page.file for page, _ in pages() if page.file is not None]


def _apptest(page: str):
    from streamlit.testing.v1 import AppTest

    if page == MINIMAL:
        at = AppTest.from_file(str(ROOT / MINIMAL), default_timeout=120)
        at.run()
    else:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.run()
        at.switch_page(page)
        if page in BROWSER_PATHS:
            at.session_state[page.split("/")[1].split("_")[0] + ".step"] = 4 if "residual" in page else 7
        at.run()
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    return at


def _edit_runner(at, page: str):
    key, (r, c), values, _ = EDITS[page]
    col = str(c + 1) if page != MINIMAL else str(c + 1)
    state = {"k": 0}

    def run():
        state["k"] ^= 1
        at.session_state[key] = {"edited_rows": {r: {col: values[1 - state["k"]]}}, "added_rows": [],
                                 "deleted_rows": []}
        at.run()
    return run


def apptest_rows() -> list[dict]:
    rows = []
    base = _apptest(MINIMAL)
    base_ms = median_ms(base.run, budget_s=1.5)
    base_edit_ms = median_ms(_edit_runner(base, MINIMAL), budget_s=1.5)
    rows.append({"name": "AppTest rerun: minimal page", "median_ms": base_ms, "target": "",
                 "note": "one data editor and its sum (the baseline)"})
    rows.append({"name": "AppTest edit: minimal page", "median_ms": base_edit_ms, "target": "",
                 "note": "one cell edited (the baseline)"})
    for page in _pages():
        at = _apptest(page)
        ms = median_ms(at.run, budget_s=2.0)
        rows.append({"name": f"AppTest rerun: {page}", "median_ms": ms, "target": "",
                     "note": f"{ms / base_ms:.2f}× the minimal page; warm caches"})
        if page in EDITS:
            ms = median_ms(_edit_runner(at, page), budget_s=2.0)
            rows.append({"name": f"AppTest edit: {page}", "median_ms": ms, "target": "",
                         "note": f"{ms / base_edit_ms:.2f}× the minimal page; one cell, default example"})
    return rows


# ------------------------------------------------------------------ Chromium


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(script: str):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"streamlit run {script} did not start")


IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
OUTPUT_JS = """() => {
  const code = Array.from(document.querySelectorAll("[data-testid='stExpander'] code"))
    .map(e => e.textContent).join("\\n");
  const md = Array.from(document.querySelectorAll("[data-testid='stMarkdown']"))
    .map(e => e.textContent).join("\\n");
  return code + "\\n" + md;
}"""


def _timed_edit(page, editor, cell: tuple[int, int], value: str, pattern: str) -> float:
    """Type ``value`` into ``cell``; the ms from pressing Enter to ``pattern`` on screen, script finished."""
    r, c = cell
    canvas = editor.locator("[data-testid='data-grid-canvas']").first
    canvas.scroll_into_view_if_needed()
    canvas.click(position={"x": 6, "y": 35 + 35 * (r + 0.5)}, force=True)
    page.wait_for_timeout(150)
    for _ in range(c + 1):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.locator("textarea").first.wait_for(state="visible", timeout=5000)
    page.wait_for_timeout(100)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(value)
    page.wait_for_timeout(100)
    t0 = time.perf_counter()
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => {{ const t = ({OUTPUT_JS})(); return new RegExp({pattern!r}).test(t) "
        f"&& document.querySelector(\"{IDLE}\") !== null; }}", polling="raf", timeout=20000)
    ms = 1000 * (time.perf_counter() - t0)
    page.wait_for_timeout(300)
    return ms


def _open(browser, url: str, page_file: str):
    """A page at the default example with the editor to edit visible; (context, page, editor)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.goto(f"{url}/{BROWSER_PATHS[page_file]}")
    pg.wait_for_selector(IDLE, timeout=60000)
    pg.wait_for_timeout(500)
    if page_file == MINIMAL:
        return ctx, pg, pg.locator("[data-testid='stDataFrame']").first
    box = pg.locator("[data-testid='stExpander']").filter(has_text="Edit the example")
    box.locator("summary").first.click()
    index = ["X", "A", "W1", "b1", "W2", "b2"].index(EDITS[page_file][0].split(".")[-1])
    editor = box.locator("[data-testid='stDataFrame']").nth(index)
    editor.wait_for(state="visible")
    return ctx, pg, editor


def browser_rows(rounds: int = 9) -> list[dict]:
    """Edits in rounds, the pages taking turns with the minimal page, so that load drift hits all alike."""
    if not Path(CHROMIUM).exists():
        return [{"name": "Chromium edit → screen", "median_ms": float("nan"), "target": "",
                 "note": f"skipped: no {CHROMIUM}"}]
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {p: [] for p in BROWSER_PATHS}
    servers = {MINIMAL: _server(MINIMAL), "app": _server("app.py")}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"])
            opened = {p: _open(browser, servers[MINIMAL if p == MINIMAL else "app"][1], p)
                      for p in BROWSER_PATHS}
            for k in range(rounds + 1):
                for p, (_, pg, editor) in opened.items():
                    _, cell, values, patterns = EDITS[p]
                    pg.bring_to_front()
                    ms = _timed_edit(pg, editor, cell, values[k % 2], patterns[k % 2])
                    if k:  # round 0 warms up
                        times[p].append(ms)
            for ctx, _, _ in opened.values():
                ctx.close()
            browser.close()
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=10)
    base = statistics.median(times[MINIMAL])
    rows = [{"name": "Chromium edit → screen: minimal page", "median_ms": base, "target": "",
             "note": f"Enter on an edited cell until the new sum is shown (the baseline); {rounds} edits"}]
    for p, ts in times.items():
        if p != MINIMAL:
            ms = statistics.median(ts)
            rows.append({"name": f"Chromium edit → screen: {p}", "median_ms": ms,
                         "target": f"< {RATIO * base:.0f} ms",
                         "note": f"{ms / base:.2f}× the minimal page; default size, output in the text view"})
    return rows


def measure() -> list[dict]:
    return apptest_rows() + browser_rows()


if __name__ == "__main__":
    for row in measure():
        print(f"{row['name']:<55} {row['median_ms']:9.1f} ms  {row['target']:<10} {row['note']}")

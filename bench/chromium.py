"""Timing the app in Chromium: Streamlit servers on fixed ports, an edit or a step click until on screen.

Times are taken inside the page (``performance.now()``): from the Enter that commits an edited
cell, or the click on Next / Previous, to the first animation frame at which the new output (or
the new step's title) is in the page, its drawing has been redrawn and the script has finished.
Used by ``bench/rows_browser.py`` and by the experiments of ``bench/experiments.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PORTS = range(8621, 8630)  # the ports this benchmark may use
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Records when the measured action starts: the next click (a step button) or Enter (an edited cell)
# once armed; the drawings' text before the action tells a redrawn one.
INIT = """
window.__bh = {arm: null, t0: null, t1: null, old: ''};
window.__bhDrawn = () => Array.from(document.querySelectorAll("[data-testid='stVegaLiteChart'] svg.marks"))
  .map(s => s.textContent).join('|');
for (const type of ['click', 'keydown']) {
  document.addEventListener(type, e => {
    const b = window.__bh;
    if (b.arm === type && (type === 'click' || e.key === 'Enter')) { b.t0 = performance.now(); b.arm = null; }
  }, true);
}
"""

# What an action waits for: ``want`` is a regex the step title or the output text must match (step) or
# the output text before the edit, which must change (edit); and the drawings' text must change.
DONE = """([kind, want, chart]) => {
  const b = window.__bh;
  if (b.t0 === null || document.querySelector("IDLE") === null) return false;
  if (kind === 'step') {
    const h = Array.from(document.querySelectorAll('h3')).find(e => /^Step \\d+ of \\d+/.test(e.textContent));
    if (!h || !new RegExp(want).test(h.textContent)) return false;
  } else if (window.__bhOutput() === want) return false;
  if (chart && window.__bhDrawn() === b.old) return false;
  b.t1 = performance.now();
  return true;
}""".replace("IDLE", IDLE.replace('"', '\\"'))

# The output an edit must change: the current step's text view, or the minimal page's sum.
OUTPUT = """window.__bhOutput = () => {
  const box = Array.from(document.querySelectorAll("[data-testid='stExpander']"))
    .find(e => e.textContent.includes('Text / LaTeX view'));
  if (box) { const c = box.querySelector('code'); return c ? c.textContent : ''; }
  return Array.from(document.querySelectorAll("[data-testid='stMarkdown']"))
    .map(e => e.textContent).join('\\n');
};"""


@contextmanager
def servers(scripts: dict[str, tuple]):
    """``{name: (script, port[, env])}`` → ``{name: url}``: ``streamlit run`` each on its port (with the
    extra environment variables ``env``), stopped afterwards."""
    procs, urls = [], {}
    try:
        for name, (script, port, *env) in scripts.items():
            if port not in PORTS:
                raise ValueError(f"port {port} is not one of {PORTS.start}–{PORTS.stop - 1}")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                 "--server.port", str(port), "--server.address", "127.0.0.1",
                 "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env={**os.environ, **(env[0] if env else {})}))
            urls[name] = f"http://127.0.0.1:{port}"
        for url in urls.values():
            _wait_healthy(url)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_healthy(url: str) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no Streamlit server at {url}")


def launch(pw):
    return pw.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"])


class Tab:
    """One page in its own browser context, at a 1400 × 1000 window."""

    def __init__(self, browser, url: str, *, chart: bool = True):
        self.ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.ctx.new_page()
        self.page.add_init_script(INIT)
        self.chart = chart  # whether a step or an edit must redraw a drawing
        self.url = url
        self.n_steps: int | None = None

    def open(self, path: str = "") -> Tab:
        pg = self.page
        pg.goto(f"{self.url}/{path}")
        pg.wait_for_selector(IDLE, timeout=60000)
        pg.wait_for_timeout(500)
        pg.evaluate(OUTPUT)
        return self

    def step_title(self) -> str:
        return self.page.evaluate("""() => { const h = Array.from(document.querySelectorAll('h3'))
            .find(e => /^Step \\d+ of \\d+/.test(e.textContent)); return h ? h.textContent : ''; }""")

    def _arm(self, event: str) -> None:
        self.page.evaluate("""(event) => { const b = window.__bh; b.arm = event; b.t0 = null; b.t1 = null;
            b.old = window.__bhDrawn(); }""",
                           event)

    def _wait(self, kind: str, want: str) -> float:
        self.page.wait_for_function(DONE, arg=[kind, want, self.chart], polling="raf", timeout=15000)
        ms = self.page.evaluate("() => window.__bh.t1 - window.__bh.t0")
        self.page.wait_for_timeout(250)
        return ms

    def step(self, button: str) -> float:
        """Click ``button`` ("Next" or "Previous"); ms until the next (previous) step's title is shown."""
        pg = self.page
        pg.bring_to_front()
        m = re.match(r"Step (\d+) of (\d+)", self.step_title())
        k, n = int(m.group(1)), int(m.group(2))
        k += 1 if button == "Next" else -1
        buttons = pg.locator("[data-testid='stButton'] button").filter(has_text=button).first
        buttons.wait_for()
        self._arm("click")
        buttons.click()
        return self._wait("step", rf"^Step {k} of {n}\b")

    def edit(self, editor: int, cell: tuple[int, int], value: str, *, index: bool = True) -> float:
        """``_edit``, tried again once when the output did not change (a click that missed the cell)."""
        try:
            return self._edit(editor, cell, value, index=index)
        except Exception:
            self.page.keyboard.press("Escape")
            return self._edit(editor, cell, value, index=index)

    def _edit(self, editor: int, cell: tuple[int, int], value: str, *, index: bool = True) -> float:
        """Type ``value`` into ``cell`` of data editor number ``editor`` (-1: the last) of the "Edit the …"
        expander (or of the page, without one); ms from Enter until the output shown has changed."""
        pg = self.page
        pg.bring_to_front()
        box = pg.locator("[data-testid='stExpander']").filter(has_text="Edit the")
        scope = box.first if box.count() else pg
        editors = scope.locator("[data-testid='stDataFrame']")
        editor_box = editors.last if editor == -1 else editors.nth(editor)
        if box.count() and not editor_box.is_visible():
            scope.locator("summary").first.click()
        editor_box.wait_for(state="visible")
        before = pg.evaluate("() => window.__bhOutput()")
        canvas = editor_box.locator("[data-testid='data-grid-canvas']").first
        cell_input = pg.locator("textarea").first
        r, c = cell
        for attempt in range(3):
            canvas.scroll_into_view_if_needed()
            pg.wait_for_timeout(150)
            canvas.click(position={"x": 6, "y": 35 + 35 * (r + 0.5)}, force=True)
            pg.wait_for_timeout(100)
            for _ in range(c + (1 if index else 0)):
                pg.keyboard.press("ArrowRight")
            pg.keyboard.press("Enter")
            try:
                cell_input.wait_for(state="visible", timeout=5000)
                break
            except Exception:
                if attempt == 2:
                    raise
                pg.keyboard.press("Escape")
        pg.wait_for_timeout(100)
        pg.keyboard.press("ControlOrMeta+a")
        pg.keyboard.type(value)
        pg.wait_for_timeout(100)
        self._arm("keydown")
        pg.keyboard.press("Enter")
        return self._wait("edit", before)

    def close(self) -> None:
        self.ctx.close()

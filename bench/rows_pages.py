"""Benchmark rows for the app's pages, each against a minimal one-widget page measured in the same run.

- Warm AppTest script time: the page's script run again with nothing changed (caches warm), and
  an edit of one cell (the data editor's state preset, as a user's edit arrives), for the minimal
  page (bench/minimal_page.py) and for each page in app.py's table whose file exists.

The AppTest rows give their ratio in the note. The same pages in Chromium (an edit, Next and Previous
until they are on screen) are timed by bench/rows_browser.py.
"""

from __future__ import annotations

import sys
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
BROWSER_PATHS = {"app_pages/residual_block.py": "residual_block?step=4",
                 "app_pages/encoder_block.py": "encoder_block?step=7"}  # pages whose step is preset


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


def measure() -> list[dict]:
    return apptest_rows()


if __name__ == "__main__":
    for row in measure():
        print(f"{row['name']:<55} {row['median_ms']:9.1f} ms  {row['target']:<10} {row['note']}")

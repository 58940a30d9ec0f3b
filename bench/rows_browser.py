"""Benchmark rows in Chromium: Next / Previous and an edit on every walkthrough page, each as a ratio
against a minimal page measured in the same run.

- Step: click Next (or Previous) until the new step's title is on screen, its drawing redrawn and the
  script finished; against bench/minimal_steps.py (two buttons and a step title). Each page steps
  between its last two steps (the last is the largest drawing).
- Edit: Enter on an edited cell until the step's text view shows the new output, the drawing redrawn
  and the script finished; against bench/minimal_page.py (one data editor and its sum). At the last
  step, so that the output depends on the cell.

Times are taken in the page (``bench/chromium.py``). The pages take turns: in each round every page's
action follows the same action on its minimal page, so that a busy machine slows them alike; the
first round warms up. Default example and sizes. Targets (issue 10): at most 1.25 × the minimal
page on the residual and encoder pages, 1.5 × on the others.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from chromium import CHROMIUM, Tab, launch, servers

# page path -> (editor to edit (-1: the last), its cell, two values to alternate)
PAGES = {
    "residual_block": (0, (0, 0), ("5", "1")),
    "encoder_block": (0, (0, 0), ("7", "3")),
    "self_attention": (0, (0, 0), ("7", "3")),
    "conv_block": (0, (0, 0), ("7", "3")),
    "why_residual": (-1, (0, 0), ("7", "3")),  # δ: the last step is δ·(I + ∂F/∂x)
}
TARGETS = {"residual_block": 1.25, "encoder_block": 1.25}  # the others: 1.5
SCRIPTS = {"min_edit": ("bench/minimal_page.py", 8621), "app": ("app.py", 8622),
           "min_step": ("bench/minimal_steps.py", 8623)}


def run(urls: dict[str, str], pages: dict[str, tuple], rounds: int,
        app: str = "app") -> dict[str, list[float]]:
    """Times (ms) by ``"<action> <page>"`` (actions: Next, Previous, edit), the minimal pages under "min"."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = launch(pw)
        min_edit = Tab(browser, urls["min_edit"], chart=False).open()
        min_step = Tab(browser, urls["min_step"], chart=False).open()
        tabs = {}
        for path in pages:
            tab = Tab(browser, urls[app]).open(path)
            n = int(tab.step_title().split(" of ")[1].split(":")[0])
            tabs[path] = tab.open(f"{path}?step={n}")
        edits = 0  # the minimal page's edits, alternating its two values
        for k in range(rounds + 1):
            for path, (editor, cell, values) in pages.items():
                tab = tabs[path]
                plan = [("Previous min", min_step.step, ("Previous",)),
                        (f"Previous {path}", tab.step, ("Previous",)),
                        ("Next min", min_step.step, ("Next",)), (f"Next {path}", tab.step, ("Next",)),
                        ("edit min", min_edit.edit, (0, (0, 0), ("5", "1")[edits % 2])),  # cell starts at 1
                        (f"edit {path}", tab.edit, (editor, cell, values[k % 2]))]
                for name, action, args in plan:
                    try:
                        ms = action(*args)
                    except Exception:  # not on screen within 15 s (a missed click): counted, not timed
                        times.setdefault(f"failed {name}", []).append(float("nan"))
                        continue
                    if k:  # round 0 warms up
                        times.setdefault(name, []).append(ms)
                edits += 1
        browser.close()
    return times


def rows(times: dict[str, list[float]], pages, label: str = "") -> list[dict]:
    out = []
    base = {a: statistics.median(times[f"{a} min"]) for a in ("Next", "Previous", "edit")}
    n = len(times["edit min"])
    out.append({"name": "Chromium step → screen: minimal page", "median_ms": base["Next"], "target": "",
                "note": f"Next (Previous {base['Previous']:.0f} ms) until the new title is shown "
                        f"(the baseline); {n} × {len(pages)} clicks each"})
    out.append({"name": "Chromium edit → screen: minimal page", "median_ms": base["edit"], "target": "",
                "note": f"Enter on an edited cell until the new sum is shown (the baseline); "
                        f"{n} × {len(pages)} edits"})
    for path in pages:
        ratio = TARGETS.get(path, 1.5)
        for action, what in (("Next", "step"), ("Previous", "step"), ("edit", "edit")):
            ms = statistics.median(times[f"{action} {path}"])
            failed = len(times.get(f"failed {action} {path}", []))
            runs = f"{len(times[f'{action} {path}'])} runs" + (f", {failed} timed out" if failed else "")
            out.append({"name": f"Chromium {action} → screen: {path}{label}", "median_ms": ms,
                        "target": f"< {ratio * base[action]:.0f} ms",
                        "note": f"{ms / base[action]:.2f}× the minimal page ({what}); default size, "
                                f"{runs}"})
    return out


def measure(rounds: int = 4) -> list[dict]:
    if not Path(CHROMIUM).exists():
        return [{"name": "Chromium rows", "median_ms": float("nan"), "target": "",
                 "note": f"skipped: no {CHROMIUM}"}]
    with servers(SCRIPTS) as urls:
        times = run(urls, PAGES, rounds)
    return rows(times, PAGES)


if __name__ == "__main__":
    for row in measure():
        print(f"{row['name']:<55} {row['median_ms']:9.1f} ms  {row['target']:<10} {row['note']}")

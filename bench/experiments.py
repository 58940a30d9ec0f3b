"""Where a step's time goes: the residual page's step with parts left out (bench/experiment_page.py).

``python bench/experiments.py [rounds]`` serves the scratch page once per variant and times Next and
Previous on each (in the page, as bench/rows_browser.py does), the variants taking turns with the
minimal page. Prints the median of each and its ratio to the minimal page. Not a rows module: its
findings are written up in bench/README.md.
"""

from __future__ import annotations

import statistics
import sys

from chromium import Tab, launch, servers

VARIANTS = {  # name -> what BYHAND_EXPERIMENT leaves out
    "full page": "",
    "no drawing": "chart",
    "drawing as one rect layer": "nospec",
    "no row/column pickers": "picks",
    "no text view": "text",
    "no editors expander": "editors",
}


def main(rounds: int = 6) -> None:
    from playwright.sync_api import sync_playwright

    scripts = {"min": ("bench/minimal_steps.py", 8623)}
    for port, (name, off) in zip(range(8624, 8630), VARIANTS.items()):
        scripts[name] = ("bench/experiment_page.py", port, {"BYHAND_EXPERIMENT": off})
    times: dict[str, list[float]] = {}
    with servers(scripts) as urls, sync_playwright() as pw:
        browser = launch(pw)
        base = Tab(browser, urls["min"], chart=False).open()
        tabs = {name: Tab(browser, urls[name], chart=off not in ("chart", "nospec")).open("?step=4")
                for name, off in VARIANTS.items()}  # a drawing with text must change
        for k in range(rounds + 1):
            for name, tab in tabs.items():
                for button in ("Previous", "Next"):
                    got = {"minimal page": base.step(button), name: tab.step(button)}
                    if k:
                        for key, ms in got.items():
                            times.setdefault(key, []).append(ms)
        browser.close()
    b = statistics.median(times["minimal page"])
    for name, ts in times.items():
        ms = statistics.median(ts)
        print(f"| {name} | {ms:.0f} | {ms / b:.2f}× | {ms - b:+.0f} |")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))

"""Benchmark rows for symbols by hand (issue 12 §2, §7), each beside the numeric build of the same run.

- Numbers keep their path: the default residual and encoder built from numbers by this tree, and by
  the tree just before symbols came in (the parent of the first symbols commit, extracted with
  ``git archive`` into a temporary directory and timed in a subprocess with the same timer).
- Fully symbolic builds: every cell of the default example a name (``x11``, ``w1_11`` …) read from
  text by ``byhand.symbols.read_symbolic`` and built, with sympy's cache cleared before every run
  (the first build after an edit), as a ratio to the numeric build.
- The other blocks fully symbolic (no target), and ``wt.substitute`` back to numbers.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from bench import median_ms

ROOT = Path(__file__).resolve().parent.parent
FIRST_SYMBOLS_COMMIT = "ff470cb"  # "Symbols by hand §1": its parent is the tree before symbols

_TIMER = r"""
import statistics, sys, time
sys.path.insert(0, sys.argv[1])
from byhand.blocks import BLOCKS
def median_ms(fn, budget_s=0.5):
    fn()
    t0 = time.perf_counter(); fn(); once = max(time.perf_counter() - t0, 1e-6)
    times = []
    for _ in range(int(min(200, max(5, budget_s / once)))):
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)
for name in sys.argv[2:]:
    bt = BLOCKS[name]
    ex = bt.default()
    print(name, median_ms(lambda: bt.build(**ex)))
"""


def _numbers_rows(blocks: tuple[str, ...]) -> tuple[list[dict], dict[str, float]]:
    """The numeric build now and before symbols, each timed by the same code in its own process."""
    rows, now = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        parent = subprocess.run(["git", "rev-parse", f"{FIRST_SYMBOLS_COMMIT}^"], cwd=ROOT, text=True,
                                capture_output=True, check=True).stdout.strip()
        archive = Path(tmp) / "before.tar"
        subprocess.run(["git", "archive", "-o", str(archive), parent, "byhand"], cwd=ROOT, check=True)
        before = Path(tmp) / "before"
        with tarfile.open(archive) as tar:
            tar.extractall(before, filter="data")
        timed = {}
        for label, tree in (("before symbols", before), ("this tree", ROOT)):
            out = subprocess.run([sys.executable, "-c", _TIMER, str(tree), *blocks], text=True,
                                 capture_output=True, check=True, cwd=tmp).stdout
            timed[label] = {line.split()[0]: float(line.split()[1]) for line in out.splitlines()}
    for name in blocks:
        a, b = timed["before symbols"][name], timed["this tree"][name]
        now[name] = b
        rows.append({"name": f"{name} default, numbers, before symbols", "median_ms": a, "target": "",
                     "note": f"tree {parent[:7]}"})
        rows.append({"name": f"{name} default, numbers, this tree", "median_ms": b, "target": "",
                     "note": f"{b / a:.2f}× the build before symbols (same run)"})
    return rows, now


def _symbolic_example(name: str) -> dict:
    """The block's default example with every cell a name in its matrix's letter, as typed text."""
    from byhand.blocks import BLOCKS
    from byhand.numbers import as_matrix
    from byhand.symbols import symbol_names

    out = {}
    for k, v in BLOCKS[name].default().items():
        m = as_matrix(k, v)
        out[k] = symbol_names(k, *m.shape)
    return out


def _symbolic_rows(numeric_ms: dict[str, float]) -> list[dict]:
    from sympy.core.cache import clear_cache

    from byhand.blocks import BLOCKS
    from byhand.symbols import read_symbolic, symbolize

    rows = []
    targets = {"residual": "< 200 ms", "encoder": "< 500 ms"}
    for name in ("residual", "encoder", "attention", "jacobian"):
        bt = BLOCKS[name]
        text = _symbolic_example(name)

        def cold(bt=bt, text=text):
            clear_cache()  # sympy remembers results: clear it, as the first build after an edit
            return bt.build(**read_symbolic(text))

        wt = cold()
        ms = median_ms(cold, budget_s=2.0)
        base = numeric_ms.get(name) or median_ms(lambda bt=bt: bt.build(**bt.default()))
        rows.append({"name": f"{name} default, fully symbolic, read and built", "median_ms": ms,
                     "target": targets.get(name, ""),
                     "note": f"{len(wt.symbols)} names, {len(wt.steps)} steps; {ms / base:.0f}× the numeric "
                             f"build ({base:.2f} ms); sympy cache cleared each run"})
        _, values = symbolize(bt.default())
        sms = median_ms(lambda wt=wt, values=values: wt.substitute(values), budget_s=1.0)
        rows.append({"name": f"{name} default, substitute the numbers", "median_ms": sms, "target": "",
                     "note": "wt.substitute(values) of the symbolic walkthrough"})
    return rows


def measure() -> list[dict]:
    rows, now = _numbers_rows(("residual", "encoder"))
    return rows + _symbolic_rows(now)

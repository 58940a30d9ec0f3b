"""Run the benchmark rows and print one table: name, median ms, target, ok/over.

``python bench/bench.py`` runs every ``bench/rows_*.py``; ``python bench/bench.py engine`` only
``rows_engine.py`` (several names may be given). Each rows module defines ``measure() -> list[dict]``
with keys ``name``, ``median_ms``, ``target`` (text such as ``"< 5 ms"``, or ``""``) and ``note``.
The table is printed aligned for reading and again as markdown for pasting; no file is written.
Speed is measured here, never asserted in a test.
"""

from __future__ import annotations

import importlib
import platform
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(HERE), str(ROOT)):  # rows modules import ``bench`` and ``byhand``
    if p not in sys.path:
        sys.path.insert(0, p)


def median_ms(fn, repeat: int | None = None, budget_s: float = 0.5, warmup: int = 1) -> float:
    """The median wall time of ``fn()`` in milliseconds over repeated runs (after ``warmup`` calls).

    Without ``repeat``, runs as often as fits in about ``budget_s`` seconds (5 to 200 times).
    """
    for _ in range(warmup):
        fn()
    if repeat is None:
        t0 = time.perf_counter()
        fn()
        once = max(time.perf_counter() - t0, 1e-6)
        repeat = int(min(200, max(5, budget_s / once)))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def verdict(median: float, target: str) -> str:
    """``ok`` or ``over`` for a target such as ``"< 5 ms"`` or ``"< 1 s"``; ``-`` without one."""
    m = re.fullmatch(r"\s*<\s*([\d.]+)\s*(ms|s)\s*", target or "")
    if median != median:  # NaN: the row could not be measured
        return "error"
    if not m:
        return "-"
    limit = float(m.group(1)) * (1000 if m.group(2) == "s" else 1)
    return "ok" if median < limit else "over"


def row_modules(only: list[str]) -> list[str]:
    """The ``rows_*`` module names to run: all of them, or those named (``engine`` or ``rows_engine``)."""
    found = sorted(p.stem for p in HERE.glob("rows_*.py"))
    if not only:
        return found
    wanted = [w if w.startswith("rows_") else f"rows_{w}" for w in only]
    unknown = [w for w in wanted if w not in found]
    if unknown:
        raise SystemExit(f"no such rows module: {', '.join(unknown)} (have: {', '.join(found)})")
    return wanted


def collect(modules: list[str]) -> list[dict]:
    """Every module's rows; a module that fails gives one row saying so instead of stopping the run."""
    rows = []
    for name in modules:
        try:
            got = importlib.import_module(name).measure()
        except Exception as e:  # one broken module must not hide the others' numbers
            got = [{"name": f"{name}: failed", "median_ms": float("nan"), "target": "",
                    "note": f"{type(e).__name__}: {e}"}]
        for r in got:
            rows.append({"module": name, **r, "verdict": verdict(r["median_ms"], r.get("target", ""))})
    return rows


def _cells(r: dict) -> list[str]:
    ms = r["median_ms"]
    shown = "error" if ms != ms else (f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.0f}")
    return [r["name"], shown, r.get("target", "") or "-", r["verdict"], r.get("note", "")]


HEADER = ["name", "median ms", "target", "ok/over", "note"]


def text_table(rows: list[dict]) -> str:
    """Columns aligned for a terminal."""
    body = [HEADER] + [_cells(r) for r in rows]
    widths = [max(len(line[i]) for line in body) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) if i != 1 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
             for line in body]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(rows: list[dict]) -> str:
    """The same table in markdown, for bench/README.md."""
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---:|---|---|---|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    rows = collect(row_modules(argv))
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"Python {platform.python_version()}, {platform.machine()}, {platform.system()}"
    print(f"ByHand benchmark, {when} ({machine})\n")
    print(text_table(rows))
    print("\nMarkdown:\n")
    print(markdown_table(rows))
    over = [r["name"] for r in rows if r["verdict"] == "over"]
    if over:
        print(f"\nover target: {', '.join(over)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Benchmark rows for issue 15 §2: the worst settings each work limit allows, with their CPU time and peak
memory (tracemalloc sees numpy's arrays). The limits aim at about 2 s of CPU and 200 MB per request; a row
over its target says a limit in byhand/depth.py or byhand/render/pack.py should come down on this machine."""

from __future__ import annotations

import time
import tracemalloc

from bench import median_ms


def _peak(fn) -> float:
    """The peak of memory (MB) that ``fn()`` allocates."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def measure() -> list[dict]:
    from byhand.depth import MAX_TRAIN_WORK, gradient_norms, train_stacks, train_work
    from byhand.practice import ExerciseSpec
    from byhand.render.pack import MAX_PACK_WORK, class_pack, pack_work

    cases = []
    for w, d, n, why in ((32, 2000, 20, "the most work at width 32"), (8, 10_000, 25, "most vectors kept"),
                         (256, 150, 5, "the widest"), (1, 10_000, 50, "every draw of the deepest")):
        cases.append((f"worst sweep: width {w}, depth {d:,}, {n} draws", why,
                      lambda w=w, d=d, n=n: gradient_norms(width=w, depth=d, draws=n)))
    narrow = (1, 2, 4, 8, 16, 32)
    for depths, width, why in (((64,), 32, "the deepest, widest"), (narrow, 4, "six depths, narrowest")):
        steps = 5000 * MAX_TRAIN_WORK // train_work(depths, width, 5000)
        name = f"worst training: depths {'/'.join(map(str, depths))}, width {width}, {steps} steps"
        cases.append((name, why,
                      lambda depths=depths, width=width, steps=steps: train_stacks(depths, width, steps)))
    for spec, fmt in ((ExerciseSpec("encoder", 1, {"features": 8, "positions": 8, "hidden": 8}), "xlsx"),
                      (ExerciseSpec("bottleneck", 1, {"channels": 4, "size": 6, "stride": 1}), "zip"),
                      (ExerciseSpec("residual", 1), "pdf")):
        n = MAX_PACK_WORK // pack_work(spec, 1, fmt)
        cases.append((f"worst class pack: {n} × {spec.code} as {fmt.upper()}", "built at a click",
                      lambda spec=spec, n=n, fmt=fmt: class_pack(spec, n, fmt)))
    rows = []
    for name, why, fn in cases:
        wall = median_ms(fn, repeat=1, warmup=1)
        start = time.process_time()  # every thread of the process (OpenBLAS may use both cores)
        fn()
        cpu = time.process_time() - start
        peak = _peak(fn)  # tracemalloc slows Python allocations down: its run is not timed
        rows.append({"name": name, "median_ms": wall, "target": "< 2 s",
                     "note": f"{why}; CPU {cpu:.2f} s, peak {peak:.0f} MB (budget 2 s, 200 MB)"})
    return rows

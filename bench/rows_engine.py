"""Benchmark rows for the engine: building walkthroughs (exact and float), from_torch, ``import byhand``."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench import median_ms

ROOT = Path(__file__).resolve().parent.parent


def _as_float(example: dict) -> dict:
    """The same example with every value a float64 (fractions become 0.333…): the float path."""
    return {k: np.asarray(np.array(v, dtype=object), dtype=float) for k, v in example.items()}


def _walkthrough_rows() -> list[dict]:
    from byhand import (
        default_encoder,
        default_residual,
        encoder_block,
        random_encoder,
        random_residual,
        residual_block,
    )

    blocks = {"residual": residual_block, "encoder": encoder_block}
    fractions = "A of 1, 1/2, 1/3"
    # block, label, inputs, what the sizes are, target exact, target float
    cases = [
        ("residual", "default", default_residual(), "3 features × 3 samples, hidden 3", "< 5 ms", "< 5 ms"),
        ("encoder", "default", default_encoder(), "2 features × 3 positions, hidden 3", "< 5 ms", "< 5 ms"),
        ("residual", "8×8", random_residual(0, 8, 8, 8), "hidden 8", "", ""),
        ("encoder", "8×8", random_encoder(0, 8, 8, 8), f"hidden 8, {fractions}", "", ""),
        ("residual", "16×16", random_residual(0, 16, 16, 16, -9, 9), "hidden 16", "< 100 ms", ""),
        ("encoder", "16×16", random_encoder(0, 16, 16, 16, -9, 9), f"hidden 16, {fractions}", "< 100 ms", ""),
    ]
    rows = []
    for block, label, ex, size, exact_target, float_target in cases:
        build = blocks[block]
        for kind, data, target in (("exact", ex, exact_target), ("float", _as_float(ex), float_target)):
            wt = build(**data)
            assert wt.exact == (kind == "exact")
            ms = median_ms(lambda build=build, data=data: build(**data))
            rows.append({"name": f"{block} walkthrough {label} {kind}", "median_ms": ms, "target": target,
                         "note": f"{size}; {len(wt.steps)} steps"})
    return rows


def _from_torch_row() -> list[dict]:
    try:
        import torch
    except ImportError:
        return [{"name": "from_torch d_model 16, 4 heads, 8 positions", "median_ms": float("nan"),
                 "target": "", "note": "torch is not installed"}]
    from byhand import from_torch

    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True).eval()
    x = torch.randn(1, 8, 16)
    wt = from_torch(layer, x)
    with torch.no_grad():
        np.testing.assert_allclose(wt.output.T, layer(x)[0].numpy(), rtol=1e-4, atol=1e-5)
    ms = median_ms(lambda: from_torch(layer, x))
    return [{"name": "from_torch d_model 16, 4 heads, 8 positions", "median_ms": ms, "target": "",
             "note": f"dim_feedforward 32, float32 layer; {len(wt.steps)} steps"}]


_IMPORT = ("import json, sys, time; t = time.perf_counter(); import byhand; "
           "print(json.dumps([time.perf_counter() - t, 'torch' in sys.modules, 'streamlit' in sys.modules]))")


def _import_row(runs: int = 7) -> list[dict]:
    """``import byhand`` timed inside fresh interpreters (numpy's own import included)."""
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _IMPORT], capture_output=True, text=True, cwd=ROOT,
                             check=True, timeout=120).stdout
        seconds, has_torch, has_streamlit = json.loads(out)
        assert not has_torch, "import byhand imported torch"
        assert not has_streamlit, "import byhand imported streamlit"
        times.append(seconds)
    return [{"name": "import byhand (fresh interpreter)", "median_ms": 1000 * statistics.median(times),
             "target": "", "note": f"{runs} runs; torch and streamlit not in sys.modules"}]


def measure() -> list[dict]:
    """The engine rows, in the order they appear in the table."""
    return _walkthrough_rows() + _from_torch_row() + _import_row()

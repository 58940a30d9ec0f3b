"""Benchmark rows for the convolutional blocks: basic and downsampling at 2×6×6 (exact and float),
16×16×16 float, the bottleneck, the receptive field a page asks for on every click, and the page's
matrices read back into a block's inputs."""

from __future__ import annotations

import numpy as np

from bench import median_ms


def _as_float(kw: dict) -> dict:
    """The same inputs with every tensor float64 and every batch norm's values floats: the float path."""
    out = {}
    for k, v in kw.items():
        if k.startswith("bn"):
            out[k] = tuple(np.asarray(np.array(p, dtype=object), dtype=float) for p in v[:4]) + (float(v[4]),)
        elif k in ("stride", "shortcut"):
            out[k] = v
        else:
            out[k] = np.asarray(np.array(v, dtype=object), dtype=float)
    return out


def _float_16(shortcut: str, stride: int) -> dict:
    """16 channels of 16×16 pixels (32 out channels when downsampling), normal weights, ε = 1e-5."""
    rng = np.random.default_rng(16)
    c, cout = 16, 16 if shortcut == "identity" else 32

    def bn(n):
        g, var = rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n)
        return g, rng.normal(0, 1, n), rng.normal(0, 1, n), var, 1e-5

    kw = {"x": rng.normal(0, 1, (c, 16, 16)), "w1": rng.normal(0, 0.2, (cout, c, 3, 3)), "bn1": bn(cout),
          "w2": rng.normal(0, 0.2, (cout, cout, 3, 3)), "bn2": bn(cout),
          "stride": stride, "shortcut": shortcut}
    if shortcut == "projection":
        kw["ws"], kw["bns"] = rng.normal(0, 0.2, (cout, c, 1, 1)), bn(cout)
    return kw


def measure() -> list[dict]:
    from byhand.blocks.conv import (
        bottleneck_block,
        conv_block,
        conv_inputs,
        conv_matrices,
        default_bottleneck,
        random_bottleneck,
        random_conv,
        receptive_field,
        variant_example,
    )

    cases = [  # label, builder, inputs, note, target exact, target float
        ("basic 2×6×6", conv_block, random_conv(0, 2, 6), "identity shortcut, stride 1",
         "< 20 ms", "< 5 ms"),
        ("downsampling 2×6×6 → 4×3×3, option A", conv_block, random_conv(0, 2, 6, 2, "zero_pad"),
         "zero-padding shortcut, stride 2", "< 20 ms", "< 5 ms"),
        ("downsampling 2×6×6 → 4×3×3, option B", conv_block, random_conv(0, 2, 6, 2, "projection"),
         "1×1 projection + BN, stride 2", "< 20 ms", "< 5 ms"),
        ("bottleneck default 2×4×4", bottleneck_block, default_bottleneck(), "width 1, identity", "< 20 ms",
         "< 5 ms"),
        ("bottleneck 4×6×6 → 8×3×3", bottleneck_block, random_bottleneck(0, 4, 6, 2, "projection", width=2),
         "width 2, projection, stride 2", "", ""),
    ]
    rows = []
    for label, build, kw, note, exact_target, float_target in cases:
        for kind, data, target in (("exact", kw, exact_target), ("float", _as_float(kw), float_target)):
            wt = build(**data)
            assert wt.exact == (kind == "exact"), label
            ms = median_ms(lambda build=build, data=data: build(**data))
            rows.append({"name": f"conv: {label}, {kind}", "median_ms": ms, "target": target,
                         "note": f"{note}; {len(wt.steps)} steps"})
    for shortcut, stride, label in (("identity", 1, "basic 16×16×16"),
                                    ("projection", 2, "downsampling 16×16×16 → 32×8×8, option B"),
                                    ("zero_pad", 2, "downsampling 16×16×16 → 32×8×8, option A")):
        data = _float_16(shortcut, stride)
        wt = conv_block(**data)
        ms = median_ms(lambda data=data: conv_block(**data))
        cols = wt.steps[-1].right.shape
        rows.append({"name": f"conv: {label}, float", "median_ms": ms, "target": "< 50 ms",
                     "note": f"last multiply {wt.steps[-1].left.shape[0]}×{cols[0]} · {cols[0]}×{cols[1]}"})
    wt = conv_block(**random_conv(0, 2, 6, 2, "projection"))
    rows.append({"name": "conv: receptive field of one output pixel (2×6×6 → 4×3×3)",
                 "median_ms": median_ms(lambda: receptive_field(wt, 1, 1)), "target": "< 5 ms",
                 "note": "followed back through every part's cells"})
    mats = conv_matrices(variant_example("basic", "projection", 2, seed=0, size=8))
    text = {name: [[str(v) for v in row] for row in m] for name, m in mats.items()}
    rows.append({"name": "conv: the page's matrices read back (2×8×8, option B)",
                 "median_ms": median_ms(lambda: conv_inputs(text, "basic", "projection", 2, 0)),
                 "target": "< 5 ms", "note": f"conv_inputs of {len(text)} matrices of text"})
    return rows


if __name__ == "__main__":
    for r in measure():
        print(f"{r['name']:<60} {r['median_ms']:9.2f} ms  {r['target']:<10} {r['note']}")

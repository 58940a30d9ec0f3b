"""Benchmark rows for the by-hand drawing: one step's Vega-Lite spec, for each step kind and block."""

from __future__ import annotations

from bench import median_ms


def measure() -> list[dict]:
    import numpy as np

    from byhand import (
        default_conv,
        default_encoder,
        default_residual,
        encoder_block,
        random_residual,
        random_transformer_params,
        residual_block,
        transformer_layer,
    )
    from byhand.blocks.conv import conv_block
    from byhand.render.vega import step_chart

    walkthroughs = {
        "residual default": residual_block(**default_residual()),
        "residual 8×8": residual_block(**random_residual(0, 8, 8, 8)),
        "encoder default": encoder_block(**default_encoder()),
        "transformer d 8, 2 heads": transformer_layer(np.eye(8)[:, :4],
                                                      random_transformer_params(0, 8, 12), 2),
        "conv 1×4×4": conv_block(**default_conv()),
    }
    rows = []
    for label, wt in walkthroughs.items():
        times = [median_ms(lambda s=s: step_chart(s).to_dict()) for s in wt.steps]
        rows.append({"name": f"step_chart(…).to_dict(), {label}, slowest of {len(times)} steps",
                     "median_ms": max(times), "target": "< 5 ms",
                     "note": f"median over steps {sorted(times)[len(times) // 2]:.2f} ms"})
    return rows

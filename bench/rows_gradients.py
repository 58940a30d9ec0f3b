"""Benchmark rows for why residual connections work: the gradient sweep and the training demo."""

from __future__ import annotations

from bench import median_ms


def measure() -> list[dict]:
    from byhand.blocks.jacobian import default_jacobian, jacobian_walkthrough
    from byhand.depth import gradient_norms, train_stacks
    from byhand.superres import residual_image

    rows = []
    for width, depth, draws, target in ((8, 10_000, 5, "< 0.5 s"), (8, 10_000, 20, ""),
                                        (64, 1_000, 5, ""), (256, 100, 5, "")):
        ms = median_ms(lambda w=width, d=depth, n=draws: gradient_norms(width=w, depth=d, draws=n),
                       repeat=5)
        rows.append({"name": f"gradient norms: width {width}, depth {depth:,}, {draws} draws",
                     "median_ms": ms, "target": target,
                     "note": "plain + residual stacks, forward and backward in log space"})
    ms = median_ms(lambda: train_stacks(), repeat=3)
    rows.append({"name": "training demo: default setting", "median_ms": ms, "target": "< 5 s",
                 "note": "depths 2, 8, 32 blocks, width 16, 300 Adam steps, 256 points, plain + residual"})
    ex = default_jacobian()
    ms = median_ms(lambda: jacobian_walkthrough(**ex))
    rows.append({"name": "Jacobian walkthrough: default (exact)", "median_ms": ms, "target": "< 5 ms",
                 "note": "3 features, hidden 3, with the backprop rule"})
    ms = median_ms(lambda: residual_image(96, 4))
    rows.append({"name": "super-resolution residual image 96×96, ×4", "median_ms": ms, "target": "< 100 ms",
                 "note": ""})
    return rows

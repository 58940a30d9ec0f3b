"""The residual block by hand: ``ReLU([I | W2 | b2]·[X; H; 1])`` with ``H = ReLU([W1 | b1]·[X; 1])``."""

from __future__ import annotations

import numpy as np

from ..checks import check_inputs, expect_shape, random_ints, value_range, whole_number
from ..ops import RELU, Op
from ..reference import linear, tensor
from ..stacked import hstack, identity, ones, part, vstack
from ..walkthrough import Walkthrough, arrange_step, given_step, multiply_step
from . import BlockType, Input, Page, Size

__all__ = ["residual_block", "default_residual", "random_residual", "torch_residual", "BLOCK"]


def residual_block(X, W1, b1, W2, b2, residual: bool = True, acts: tuple[Op, Op] = (RELU, RELU),
                   relu_before_skip: bool = False) -> Walkthrough:
    """Walk through ``ReLU(X + W2·ReLU(W1·X + b1) + b2)`` by hand (``residual=False``: no ``X +``).

    X is d × n (n samples as columns), W1 h × d, b1 h × 1, W2 d × h, b2 d × 1. Two options build
    the block the wrong way, for ``byhand.misconceptions``: ``acts``, the ops after the first and
    the second layer (``NONE`` for a forgotten ReLU), and ``relu_before_skip``, the last ReLU taken
    on F(X) before X is added: ``X + ReLU(F(X))``.

    >>> wt = residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]])
    >>> [s.name for s in wt.steps]
    ['X', 'H', 'stack', 'Out']
    >>> wt.output
    array([[2, 0]], dtype=object)
    """
    exact, m = check_inputs(X=X, W1=W1, b1=b1, W2=W2, b2=b2)
    X, W1, b1, W2, b2 = m.values()
    d, n = X.shape
    h = W1.shape[0]
    expect_shape("W1", W1, None, d, f"X is {d}×{n} and W1 needs one column per feature (row of X)")
    expect_shape("b1", b1, h, 1, f"W1 is {h}×{d} and needs one bias per row")
    rows = d if residual else None
    why = (f"the skip connection adds X ({d}×{n}) to W2·H, and H is {h}×{n}" if residual
           else f"H is {h}×{n} (the hidden size is {h})")
    expect_shape("W2", W2, rows, h, why)
    expect_shape("b2", b2, W2.shape[0], 1, f"W2 is {W2.shape[0]}×{h} and needs one bias per row")

    Xp, one = part("X", X, "input"), ones(n, exact)
    given = given_step("Given the mini-batch",
                 f"X holds {n} samples as columns, each with {d} features as rows.", "X", X)
    layer1 = multiply_step(
        "Linear layer and ReLU",
        "Multiply [W1 | b1] by [X; 1]: the row of ones meets the bias column, so this is "
        "W1·X + b1. Then ReLU sets every negative cell to 0. This is H.",
        "H", hstack(part("W1", W1, "weight"), part("b1", b1, "bias")), vstack(Xp, one),
        "W1·X + b1", acts[0])
    Hp = part("H", layer1.result)
    if not residual:
        layer2 = multiply_step(
            "Second layer and ReLU",
            "Multiply [W2 | b2] by [H; 1] to get F(X) = W2·H + b2, then ReLU. "
            "With no skip connection the input X does not reach the output.",
            "Out", hstack(part("W2", W2, "weight"), part("b2", b2, "bias")), vstack(Hp, one),
            "W2·H + b2", acts[1])
        steps = (given, layer1, layer2)
    elif relu_before_skip:
        branch = multiply_step(
            "Second layer and ReLU",
            "Multiply [W2 | b2] by [H; 1] to get F(X) = W2·H + b2, then ReLU, before the skip.",
            "F", hstack(part("W2", W2, "weight"), part("b2", b2, "bias")), vstack(Hp, one),
            "W2·H + b2", acts[1])
        left, right = hstack(identity(d, exact), identity(d, exact)), vstack(Xp, part("F", branch.result))
        add = multiply_step("Add the skip", "[I | I]·[X; F] = X + ReLU(F(X)).", "Out", left, right,
                            "X + ReLU(F(X))")
        steps = (given, layer1, branch, add)
    else:
        left = hstack(identity(d, exact), part("W2", W2, "weight"), part("b2", b2, "bias"))
        right = vstack(Xp, Hp, one)
        concat = arrange_step(
            "Concatenate I, W2, b2 and stack X, H, 1",
            "Put an identity matrix I beside W2 and b2, and stack X, H and a row of ones. "
            "The identity meets X, W2 meets H, b2 meets the ones.", "stack", left, right)
        layer2 = multiply_step(
            "Multiply and ReLU",
            "One multiply gives I·X + W2·H + b2 = X + F(X): the skip connection is the identity "
            "copying X. Then ReLU gives the block's output.",
            "Out", left, right, "X + F(X)", acts[1])
        steps = (given, layer1, concat, layer2)
    return Walkthrough("residual", "Residual block" if residual else "Plain block (no skip)",
                       {"X": X, "W1": W1, "b1": b1, "W2": W2, "b2": b2}, steps,
                       steps[-1].result, exact, {"residual": residual})


def default_residual() -> dict:
    """A mini-batch of 3 samples with 3 features, hidden size 3, small integers."""
    return {
        "X": [[1, 2, 0], [0, 1, 1], [2, -1, 1]],
        "W1": [[1, 0, 1], [0, 1, -1], [-1, 1, 0]],
        "b1": [[0], [1], [0]],
        "W2": [[1, -1, 0], [0, 1, 1], [1, 0, -1]],
        "b2": [[0], [-1], [1]],
    }


def random_residual(seed: int, features: int = 3, samples: int = 3, hidden: int = 3,
                    low: int = -2, high: int = 2) -> dict:
    """Seeded small-integer inputs for ``residual_block``.

    >>> random_residual(7) == random_residual(7)
    True
    """
    d, n, h = (whole_number(k, v) for k, v in
               (("features", features), ("samples", samples), ("hidden size", hidden)))
    low, high = value_range(low, high)
    rng = np.random.default_rng(seed)
    return {"X": random_ints(rng, (d, n), low, high), "W1": random_ints(rng, (h, d), low, high),
            "b1": random_ints(rng, (h, 1), low, high), "W2": random_ints(rng, (d, h), low, high),
            "b2": random_ints(rng, (d, 1), low, high)}


def torch_residual(X, W1, b1, W2, b2, residual: bool = True) -> np.ndarray:
    """``relu(X + W2·relu(W1·X + b1) + b2)`` with two ``nn.Linear`` layers (float64), as d × n."""
    import torch

    x = tensor(X).T  # torch wants samples as rows: (n, d)
    with torch.no_grad():
        f = linear(W2, b2)(torch.relu(linear(W1, b1)(x)))
        return torch.relu(x + f if residual else f).T.numpy()


def _reference(wt: Walkthrough) -> tuple[np.ndarray, str]:
    residual = wt.params["residual"]
    return (torch_residual(**wt.inputs, residual=residual),
            "two nn.Linear layers, torch.relu" + (" and the skip x + F(x)" if residual else ""))


BLOCK = BlockType(
    "residual", "Residual block",
    (Input("X", "samples as columns"), Input("W1", "first layer", "weight"), Input("b1", "its bias", "bias"),
     Input("W2", "second layer", "weight"), Input("b2", "its bias", "bias")),
    (Size("features", "Features (rows of X)", "d", 3), Size("samples", "Samples (columns of X)", "n", 3),
     Size("hidden", "Hidden size (rows of H)", "h", 3)),
    default_residual, random_residual, residual_block, _reference, skip_option=True,
    page=Page("residual_block", "Residual block", ":material/add_circle:",
              "Linear layer and ReLU, then one multiply `[I | W2 | b2]·[X; H; 1]` gives X + F(X).",
              "A skip connection is an **identity matrix stacked beside the weights**: one multiply "
              "`[I | W2 | b2]·[X; H; 1]` gives `X + F(X)`.", file="app_pages/residual_block.py"))

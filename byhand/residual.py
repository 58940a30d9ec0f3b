"""The residual block by hand: ``ReLU([I | W2 | b2]·[X; H; 1])`` with ``H = ReLU([W1 | b1]·[X; 1])``."""

from __future__ import annotations

import numpy as np

from .numbers import ByHandError, as_matrix, unify
from .stacked import hstack, identity, ones, part, vstack
from .walkthrough import RELU, Step, Walkthrough, multiply_step

__all__ = ["residual_block", "check_inputs"]


def check_inputs(**named) -> tuple[bool, dict[str, np.ndarray]]:
    """Read every named matrix (1-D becomes a column) and give them one number type."""
    mats = {name: as_matrix(name, data) for name, data in named.items()}
    exact, values = unify(*mats.values())
    return exact, dict(zip(mats, values))


def expect_shape(name: str, m: np.ndarray, rows: int | None, cols: int | None, why: str) -> None:
    """Raise ByHandError unless ``m`` is rows × cols (None: any), saying why it must be."""
    r, c = m.shape
    if (rows is not None and r != rows) or (cols is not None and c != cols):
        want = f"{rows if rows is not None else r}×{cols if cols is not None else c}"
        raise ByHandError(f"{name} is {r}×{c} but must be {want}: {why}.", name)


def residual_block(X, W1, b1, W2, b2, residual: bool = True) -> Walkthrough:
    """Walk through ``ReLU(X + W2·ReLU(W1·X + b1) + b2)`` by hand (``residual=False``: no ``X +``).

    X is d × n (n samples as columns), W1 h × d, b1 h × 1, W2 d × h, b2 d × 1.

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
    given = Step("Given the mini-batch",
                 f"X holds {n} samples as columns, each with {d} features as rows.", "X", result=X)
    layer1 = multiply_step(
        "Linear layer and ReLU",
        "Multiply [W1 | b1] by [X; 1]: the row of ones meets the bias column, so this is "
        "W1·X + b1. Then ReLU sets every negative cell to 0. This is H.",
        "H", hstack(part("W1", W1, "weight"), part("b1", b1, "bias")), vstack(Xp, one),
        "W1·X + b1", RELU)
    Hp = part("H", layer1.result)
    if not residual:
        layer2 = multiply_step(
            "Second layer and ReLU",
            "Multiply [W2 | b2] by [H; 1] to get F(X) = W2·H + b2, then ReLU. "
            "With no skip connection the input X does not reach the output.",
            "Out", hstack(part("W2", W2, "weight"), part("b2", b2, "bias")), vstack(Hp, one),
            "W2·H + b2", RELU)
        steps = (given, layer1, layer2)
    else:
        left = hstack(identity(d, exact), part("W2", W2, "weight"), part("b2", b2, "bias"))
        right = vstack(Xp, Hp, one)
        concat = Step(
            "Concatenate I, W2, b2 and stack X, H, 1",
            "Put an identity matrix I beside W2 and b2, and stack X, H and a row of ones. "
            "The identity meets X, W2 meets H, b2 meets the ones.", "stack", left, right)
        layer2 = multiply_step(
            "Multiply and ReLU",
            "One multiply gives I·X + W2·H + b2 = X + F(X): the skip connection is the identity "
            "copying X. Then ReLU gives the block's output.",
            "Out", left, right, "X + F(X)", RELU)
        steps = (given, layer1, concat, layer2)
    return Walkthrough("residual", "Residual block" if residual else "Plain block (no skip)",
                       {"X": X, "W1": W1, "b1": b1, "W2": W2, "b2": b2}, steps,
                       steps[-1].result, exact, {"residual": residual})

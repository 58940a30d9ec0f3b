"""The simplified transformer encoder block by hand: attention ``Z = X·A``, ``[X | Z]·[I; I]``,
then a feed-forward pair of layers with ``[I | W2 | b2]·[Y; H; 1]``.

The two skip connections use different identities, and that is the lesson: around attention the
identities are n × n (positions) and multiply from the right, as attention mixes columns;
around the feed-forward layers the identity is d × d (features) and multiplies from the left,
as a linear layer mixes rows.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..checks import check_inputs, expect_shape, random_ints, value_range, whole_number
from ..numbers import ByHandError
from ..ops import RELU, Op
from ..reference import linear, tensor
from ..stacked import hstack, identity, ones, part, vstack
from ..walkthrough import Walkthrough, arrange_step, given_step, multiply_step
from . import BlockType, Input, Page, Size

__all__ = ["encoder_block", "default_encoder", "random_encoder", "random_attention", "torch_encoder", "BLOCK"]


def encoder_block(X, A, W1, b1, W2, b2, residual: bool = True, acts: tuple[Op, Op] = (RELU, RELU),
                  relu_before_skip: bool = False, swap_attention: bool = False) -> Walkthrough:
    """Walk through the encoder block by hand; ``residual=False`` leaves both identities out.

    X is d × n (n positions as columns), A n × n (column j: how much position j takes from
    each position), W1 h × d, b1 h × 1, W2 d × h, b2 d × 1. Three options build the block the
    wrong way, for ``byhand.misconceptions``: ``acts``, the ops after the two feed-forward layers;
    ``relu_before_skip``, the last ReLU taken before Y is added (``Y + ReLU(W2·H + b2)``); and
    ``swap_attention``, ``Z = A·X`` (mixing features) for ``X·A`` when X is square.

    >>> wt = encoder_block([[2, 4]], [['1/2', 0], ['1/2', 1]], [[1]], [0], [[1]], [0])
    >>> wt.output
    array([[10, 16]], dtype=object)
    """
    exact, m = check_inputs(X=X, A=A, W1=W1, b1=b1, W2=W2, b2=b2)
    X, A, W1, b1, W2, b2 = m.values()
    d, n = X.shape
    h = W1.shape[0]
    expect_shape("A", A, n, n, f"X is {d}×{n} ({n} positions as columns) and A holds a weight for each pair")
    expect_shape("W1", W1, None, d, f"X is {d}×{n} and W1 needs one column per feature (row of X)")
    expect_shape("b1", b1, h, 1, f"W1 is {h}×{d} and needs one bias per row")
    expect_shape("W2", W2, d, h, f"the output keeps the {d} features of X ({d}×{n}) and H is {h}×{n}")
    expect_shape("b2", b2, d, 1, f"W2 is {d}×{h} and needs one bias per row")

    one = ones(n, exact)
    given = given_step("Given the positions",
                 f"X holds {n} positions as columns, each a vector of {d} features; "
                 "A holds the attention weights.", "X", X)
    if swap_attention:
        if d != n:
            raise ByHandError(f"A·X needs as many features as positions; X is {d}×{n}.", "A")
        attention = multiply_step("Attention", "Z = A·X.", "Z", hstack(part("A", A, "attention")),
                                  vstack(part("X", X, "input")), "A·X")
    else:
        attention = multiply_step(
            "Attention",
            "Z = X·A: each column of Z is a weighted mix of X's columns, with the weights in "
            "that column of A. Attention combines positions (across columns).",
            "Z", hstack(part("X", X, "input")), vstack(part("A", A, "attention")), "X·A",
            data_side="left")
    steps = [given, attention]
    Y = attention.result
    if residual:
        left = hstack(part("X", X, "input"), part("Z", Y))
        right = vstack(identity(n, exact), identity(n, exact))
        steps.append(arrange_step(
            "Stack two identities",
            f"Put X and Z side by side, [X | Z], and stack two {n}×{n} identities, [I; I], above the "
            "product: one row per position.", "stack1", left, right))
        steps.append(multiply_step(
            "Add",
            "[X | Z]·[I; I] = X·I + Z·I = X + Z: the upper identity copies X, the lower one copies Z. "
            f"This is the skip connection around attention. The identities are {n}×{n} and sit on "
            "the right, because attention mixes positions (across columns).", "Y", left, right, "X + Z",
            data_side="left"))
        Y = steps[-1].result
    y_name = "Y" if residual else "Z"
    Yp, b2p, W2p = part(y_name, Y), part("b2", b2, "bias"), part("W2", W2, "weight")
    ff1 = multiply_step(
        "Feed-forward first layer",
        f"[W1 | b1]·[{y_name}; 1] = W1·{y_name} + b1, then ReLU gives H. The feed-forward layer "
        "combines features (across rows), each position on its own.",
        "H", hstack(part("W1", W1, "weight"), part("b1", b1, "bias")), vstack(Yp, one),
        f"W1·{y_name} + b1", acts[0])
    steps.append(ff1)
    Hp = part("H", ff1.result)
    if residual and relu_before_skip:
        branch = multiply_step("Feed-forward second layer and ReLU",
                               "[W2 | b2]·[H; 1] = W2·H + b2, then ReLU, before the skip.", "F",
                               hstack(W2p, b2p), vstack(Hp, one), "W2·H + b2", acts[1])
        steps.append(branch)
        steps.append(multiply_step("Add the skip", "[I | I]·[Y; F] = Y + ReLU(W2·H + b2).", "Out",
                                   hstack(identity(d, exact), identity(d, exact)),
                                   vstack(Yp, part("F", branch.result)), "Y + ReLU(W2·H + b2)"))
    elif residual:
        left, right = hstack(identity(d, exact), W2p, b2p), vstack(Yp, Hp, one)
        steps.append(arrange_step("Concatenate",
                          "Put I beside W2 and b2, and stack Y, H and a row of ones.",
                          "stack2", left, right))
        steps.append(multiply_step(
            "Second layer plus identity and ReLU",
            "[I | W2 | b2]·[Y; H; 1] = Y + W2·H + b2: the identity carries Y around the "
            "feed-forward layers. ReLU gives the block's output.",
            "Out", left, right, "Y + W2·H + b2", acts[1],
            note=f"Compare the two identities. Around attention, two {n}×{n} identities (one row "
                 f"per position) sit on the right: [X | Z]·[I; I]. Here one {d}×{d} identity (one "
                 "column per feature) sits on the left: [I | W2 | b2]·[Y; H; 1]. Different sizes and "
                 "places, because attention combines positions (across columns) while the "
                 "feed-forward layer combines features (across rows)."))
    else:
        steps.append(multiply_step(
            "Feed-forward second layer and ReLU",
            "[W2 | b2]·[H; 1] = W2·H + b2, then ReLU. With no skip connections X reaches the "
            "output only through attention and the feed-forward layers.",
            "Out", hstack(W2p, b2p), vstack(Hp, one), "W2·H + b2", acts[1]))
    return Walkthrough("encoder", "Transformer encoder block" if residual
                       else "Encoder block without skip connections",
                       {"X": X, "A": A, "W1": W1, "b1": b1, "W2": W2, "b2": b2}, tuple(steps),
                       steps[-1].result, exact, {"residual": residual})


def default_encoder() -> dict:
    """3 positions with 2 features, feed-forward hidden size 3, attention columns of easy fractions."""
    h, t = Fraction(1, 2), Fraction(1, 3)
    return {
        "X": [[2, 0, 1], [1, 3, 0]],
        "A": [[h, 0, t], [h, 1, t], [0, 0, t]],
        "W1": [[1, -1], [0, 1], [1, 1]],
        "b1": [[0], [-1], [1]],
        "W2": [[1, 0, -1], [0, 1, 1]],
        "b2": [[0], [-1]],
    }


def random_attention(rng: np.random.Generator, n: int) -> list:
    """An n × n attention matrix: each column spreads weight 1 evenly over a few positions."""
    A = [[Fraction(0)] * n for _ in range(n)]
    for j in range(n):
        k = int(rng.integers(1, min(n, 3) + 1))
        for i in rng.choice(n, size=k, replace=False):
            A[int(i)][j] = Fraction(1, k)
    return A


def random_encoder(seed: int, features: int = 2, positions: int = 3, hidden: int = 3,
                   low: int = -2, high: int = 2) -> dict:
    """Seeded inputs for ``encoder_block``: small integers, attention columns of easy fractions."""
    d, n, h = (whole_number(k, v) for k, v in
               (("features", features), ("positions", positions), ("hidden size", hidden)))
    low, high = value_range(low, high)
    rng = np.random.default_rng(seed)
    return {"X": random_ints(rng, (d, n), low, high), "A": random_attention(rng, n),
            "W1": random_ints(rng, (h, d), low, high), "b1": random_ints(rng, (h, 1), low, high),
            "W2": random_ints(rng, (d, h), low, high), "b2": random_ints(rng, (d, 1), low, high)}


def torch_encoder(X, A, W1, b1, W2, b2, residual: bool = True) -> np.ndarray:
    """The simplified encoder block from torch ops (float64): ``Z = X·A``, skip, two ``nn.Linear``."""
    import torch

    x = tensor(X)
    with torch.no_grad():
        z = x @ tensor(A)
        y = x + z if residual else z
        out = linear(W2, b2)(torch.relu(linear(W1, b1)(y.T))).T  # positions as rows for nn.Linear
        return torch.relu(y + out if residual else out).numpy()


def _reference(wt: Walkthrough) -> tuple[np.ndarray, str]:
    residual = wt.params["residual"]
    return (torch_encoder(**wt.inputs, residual=residual),
            "torch matmul X·A, two nn.Linear layers, torch.relu" + (" and both skips" if residual else ""))


BLOCK = BlockType(
    "encoder", "Transformer encoder block (by hand)",
    (Input("X", "positions as columns"), Input("A", "attention weights (each column sums to 1)", "attention"),
     Input("W1", "feed-forward layer 1", "weight"), Input("b1", "its bias", "bias"),
     Input("W2", "feed-forward layer 2", "weight"), Input("b2", "its bias", "bias")),
    (Size("features", "Features (rows of X)", "d", 2), Size("positions", "Positions (columns of X)", "n", 3),
     Size("hidden", "Hidden size (rows of H)", "h", 3)),
    default_encoder, random_encoder, encoder_block, _reference, skip_option=True,
    page=Page("encoder_block", "Transformer encoder block", ":material/shuffle:",
              "Attention mixes positions (across columns), feed-forward layers mix features (across rows); "
              "two skip connections. Also the real PyTorch `TransformerEncoderLayer`.",
              file="app_pages/encoder_block.py"))

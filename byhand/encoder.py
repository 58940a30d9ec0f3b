"""The simplified transformer encoder block by hand: attention ``Z = X·A``, ``[I I]·[X; Z]``,
then a feed-forward pair of layers with ``[I | W2 | b2]·[Y; H; 1]``."""

from __future__ import annotations

from .residual import check_inputs, expect_shape
from .stacked import hstack, identity, ones, part, vstack
from .walkthrough import RELU, Step, Walkthrough, multiply_step

__all__ = ["encoder_block"]


def encoder_block(X, A, W1, b1, W2, b2, residual: bool = True) -> Walkthrough:
    """Walk through the encoder block by hand; ``residual=False`` leaves both identities out.

    X is d × n (n positions as columns), A n × n (column j: how much position j takes from
    each position), W1 h × d, b1 h × 1, W2 d × h, b2 d × 1.

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
    given = Step("Given the positions",
                 f"X holds {n} positions as columns, each a vector of {d} features; "
                 "A holds the attention weights.", "X", result=X)
    attention = multiply_step(
        "Attention",
        "Z = X·A: each column of Z is a weighted mix of X's columns, with the weights in "
        "that column of A. Attention combines positions (across columns).",
        "Z", hstack(part("X", X, "input")), vstack(part("A", A, "weight")), "X·A",
        data_side="left")
    steps = [given, attention]
    Y = attention.result
    if residual:
        left = hstack(identity(d, exact), identity(d, exact))
        right = vstack(part("X", X, "input"), part("Z", Y))
        steps.append(Step("Stack two identities",
                          "Put two identity matrices side by side, [I I], and stack X over Z.",
                          "stack1", left, right))
        steps.append(multiply_step(
            "Add",
            "[I I]·[X; Z] = X + Z: the first identity copies X, the second copies Z. "
            "This is the skip connection around attention.", "Y", left, right, "X + Z"))
        Y = steps[-1].result
    y_name = "Y" if residual else "Z"
    Yp, b2p, W2p = part(y_name, Y), part("b2", b2, "bias"), part("W2", W2, "weight")
    ff1 = multiply_step(
        "Feed-forward first layer",
        f"[W1 | b1]·[{y_name}; 1] = W1·{y_name} + b1, then ReLU gives H. The feed-forward layer "
        "combines features (across rows), each position on its own.",
        "H", hstack(part("W1", W1, "weight"), part("b1", b1, "bias")), vstack(Yp, one),
        f"W1·{y_name} + b1", RELU)
    steps.append(ff1)
    Hp = part("H", ff1.result)
    if residual:
        left, right = hstack(identity(d, exact), W2p, b2p), vstack(Yp, Hp, one)
        steps.append(Step("Concatenate",
                          "Put I beside W2 and b2, and stack Y, H and a row of ones.",
                          "stack2", left, right))
        steps.append(multiply_step(
            "Second layer plus identity and ReLU",
            "[I | W2 | b2]·[Y; H; 1] = Y + W2·H + b2: the identity carries Y around the "
            "feed-forward layers. ReLU gives the block's output.",
            "Out", left, right, "Y + W2·H + b2", RELU))
    else:
        steps.append(multiply_step(
            "Feed-forward second layer and ReLU",
            "[W2 | b2]·[H; 1] = W2·H + b2, then ReLU. With no skip connections X reaches the "
            "output only through attention and the feed-forward layers.",
            "Out", hstack(W2p, b2p), vstack(Hp, one), "W2·H + b2", RELU))
    return Walkthrough("encoder", "Transformer encoder block" if residual
                       else "Encoder block without skip connections",
                       {"X": X, "A": A, "W1": W1, "b1": b1, "W2": W2, "b2": b2}, tuple(steps),
                       steps[-1].result, exact, {"residual": residual})

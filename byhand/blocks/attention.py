"""Self-attention by hand: ``Z = V·softmax(Kᵀ·Q / √d_k)`` with ``Q = [Wq | bq]·[X; 1]`` (and K, V alike).

Positions are columns: X is d × n, so Q and K are d_k × n, V is d_v × n and the scores Kᵀ·Q are
n × n, column j holding how well query j matches each key. Everything stays exact (ints and
fractions) up to the softmax; from there on the numbers are decimals.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..checks import check_inputs, expect_shape, random_ints, value_range, whole_number
from ..numbers import is_symbolic
from ..ops import Op, Scale, Softmax
from ..reference import linear, tensor
from ..stacked import hstack, ones, part, vstack
from ..walkthrough import Walkthrough, given_step, multiply_step, op_step
from . import BlockType, Input, Page, Size

__all__ = ["self_attention", "default_self_attention", "random_self_attention", "torch_self_attention",
           "BLOCK"]


def _scale(d_k: int, exact: bool) -> Scale:
    """``× 1/√d_k``: an exact fraction when √d_k is a whole number (and the numbers are exact)."""
    root = math.isqrt(d_k)
    if root * root == d_k:
        return Scale(Fraction(1, root) if exact else 1 / root, "× 1" if root == 1 else f"× 1/{root}")
    return Scale(1 / math.sqrt(d_k), f"× 1/√{d_k}")


def _transposed(name: str, M: np.ndarray):
    """The part ``Mᵀ`` whose cell (r, c) copies cell (c, r) of the walkthrough matrix ``name``."""
    rows, cols = M.shape
    cells = np.stack(np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij"), axis=-1)
    return part(name + "ᵀ", M.T, "computed", name, cells.transpose(1, 0, 2))


def self_attention(X, Wq, Wk, Wv, bq=None, bk=None, bv=None, softmax: Op | None = None,
                   scores_transposed: bool = False, weights_transposed: bool = False) -> Walkthrough:
    """Walk through one head of self-attention by hand; the biases are optional.

    X is d × n (n positions as columns), Wq and Wk d_k × d, Wv d_v × d, bq and bk d_k × 1,
    bv d_v × 1. The output Z is d_v × n. Three options build the block the wrong way, for
    ``byhand.misconceptions``: ``softmax``, the op of the softmax step; ``scores_transposed``,
    ``S = Qᵀ·K`` for ``Kᵀ·Q``; ``weights_transposed``, ``Z = V·Aᵀ`` for ``V·A``.

    >>> wt = self_attention([[1, 0]], [[2]], [[1]], [[3]])
    >>> [s.name for s in wt.steps]
    ['X', 'Q', 'K', 'V', 'S', 'A', 'Z']
    >>> wt.steps[4].result
    array([[2, 0],
           [0, 0]], dtype=object)
    """
    given = {k: v for k, v in dict(X=X, Wq=Wq, bq=bq, Wk=Wk, bk=bk, Wv=Wv, bv=bv).items() if v is not None}
    exact, m = check_inputs(**given)
    X = m["X"]
    d, n = X.shape
    expect_shape("Wq", m["Wq"], None, d, f"X is {d}×{n} and Wq needs one column per feature (row of X)")
    d_k = m["Wq"].shape[0]
    expect_shape("Wk", m["Wk"], d_k, d, f"each key is matched with a query, so Wk needs the {d_k} rows of "
                 f"Wq, and one column per feature of X ({d}×{n})")
    expect_shape("Wv", m["Wv"], None, d, f"X is {d}×{n} and Wv needs one column per feature (row of X)")
    d_v = m["Wv"].shape[0]
    for b, w, rows in (("bq", "Wq", d_k), ("bk", "Wk", d_k), ("bv", "Wv", d_v)):
        if b in m:
            expect_shape(b, m[b], rows, 1, f"{w} is {rows}×{d} and needs one bias per row")

    Xp = part("X", X, "input")
    steps = [given_step("Given the positions",
                        f"X holds {n} positions (say, words) as columns, each a vector of {d} features.",
                        "X", X)]
    for name, what, one, job in (("Q", "queries", "query", "what it is looking for"),
                                 ("K", "keys", "key", "what it offers to be found by"),
                                 ("V", "values", "value", "what it passes on when it is picked")):
        w, b = "W" + name.lower(), "b" + name.lower()
        if b in m:
            left, right = hstack(part(w, m[w], "weight"), part(b, m[b], "bias")), vstack(Xp, ones(n, exact))
            how = f"Multiply [{w} | {b}] by [X; 1]: the row of ones meets the bias column"
            product = f"{w}·X + {b}"
        else:
            left, right = hstack(part(w, m[w], "weight")), vstack(Xp)
            how, product = f"Multiply {w} by X", f"{w}·X"
        steps.append(multiply_step(
            f"{what.capitalize()}: {name} = {product}",
            f"{how}. Each column of {name} is one position's {one}: {job}. A linear layer "
            "mixes features (across rows), each position on its own.", name, left, right, product))
    Q, K, V = (steps[k].result for k in (1, 2, 3))
    scale = _scale(d_k, exact)
    root = math.sqrt(d_k)
    root = f"√{d_k} = {int(root)}" if root.is_integer() else f"√{d_k} ≈ {root:.3f}"
    keys, queries = ((_transposed("Q", Q), part("K", K)) if scores_transposed
                     else (_transposed("K", K), part("Q", Q)))
    steps.append(multiply_step(
        "Scores: Kᵀ·Q, scaled",
        "Kᵀ·Q: cell (i, j) is the dot product of key i with query j, so column j says how well "
        f"query j matches each position's key. Each score is then divided by {root} (d_k = {d_k}): "
        "longer vectors give bigger dot products, and too big a score would let softmax pick one "
        "position and ignore the rest.",
        "S", hstack(keys), vstack(queries), f"{keys.name}·{queries.name}", scale))
    steps.append(op_step(
        "Softmax down each column",
        "Softmax turns each column of scores into attention weights: e to the power of each score, "
        "divided by the column's sum. The weights are positive and each column adds up to 1; "
        "the best match gets the most weight.", "A", steps[-1].result, "S", softmax or Softmax()))
    A = steps[-1].result  # decimals: V as decimals too (unless it holds symbols), so Z is a float matrix
    Vp = part("V", V if A.dtype == object or is_symbolic(V) else np.asarray(V, dtype=float))
    steps.append(multiply_step(
        "Weighted values: Z = V·A",
        "V·A: column j of Z is a mix of the value columns, each weighted by column j of A. "
        "Attention mixes positions (across columns): each position takes in what the others offer.",
        "Z", hstack(Vp), vstack(_transposed("A", A) if weights_transposed else part("A", A, "attention")),
        "V·Aᵀ" if weights_transposed else "V·A", data_side="left"))
    return Walkthrough("attention", "Self-attention", {k: m[k] for k in given}, tuple(steps),
                       steps[-1].result, exact, {"d_k": d_k})


def default_self_attention() -> dict:
    """3 positions with 3 features, d_k = 4 (so the scale 1/√4 = 1/2 stays exact), d_v = 2."""
    return {
        "X": [[1, 0, 1], [0, 1, 1], [1, 1, 0]],
        "Wq": [[1, 0, 1], [0, 1, 0], [1, -1, 0], [1, 0, 0]],
        "bq": [[0], [0], [1], [0]],
        "Wk": [[1, 0, 0], [0, 1, 1], [0, -1, 1], [1, 0, 0]],
        "bk": [[0], [0], [0], [-1]],
        "Wv": [[1, 0, 1], [0, 2, -1]],
        "bv": [[0], [1]],
    }


def random_self_attention(seed: int, low: int = -2, high: int = 2, features: int = 3, positions: int = 3,
                          d_k: int = 4, d_v: int = 2) -> dict:
    """Seeded small-integer inputs for ``self_attention`` (biases included).

    >>> random_self_attention(7) == random_self_attention(7)
    True
    """
    d, n, k, v = (whole_number(name, x) for name, x in
                  (("features", features), ("positions", positions), ("d_k", d_k), ("d_v", d_v)))
    low, high = value_range(low, high)
    rng = np.random.default_rng(seed)
    return {"X": random_ints(rng, (d, n), low, high),
            "Wq": random_ints(rng, (k, d), low, high), "bq": random_ints(rng, (k, 1), low, high),
            "Wk": random_ints(rng, (k, d), low, high), "bk": random_ints(rng, (k, 1), low, high),
            "Wv": random_ints(rng, (v, d), low, high), "bv": random_ints(rng, (v, 1), low, high)}


def torch_self_attention(X, Wq, Wk, Wv, bq=None, bk=None, bv=None) -> np.ndarray:
    """``softmax(q·kᵀ/√d_k)·v`` from torch ops (float64), positions as rows inside; returned d_v × n."""
    import torch

    x = tensor(X).T  # torch wants positions as rows: (n, d)

    def project(W, b):
        return linear(W, b)(x) if b is not None else x @ tensor(W).T

    with torch.no_grad():
        q, k, v = project(Wq, bq), project(Wk, bk), project(Wv, bv)
        weights = torch.softmax(q @ k.T / math.sqrt(q.shape[1]), dim=-1)  # (queries, keys)
        return (weights @ v).T.numpy()


def _reference(wt: Walkthrough) -> tuple[np.ndarray, str]:
    return (torch_self_attention(**wt.inputs),
            "nn.Linear projections (torch matmuls without biases), torch.softmax over the keys")


BLOCK = BlockType(
    "attention", "Self-attention (by hand)",
    (Input("X", "positions as columns"),
     Input("Wq", "query weights", "weight"), Input("bq", "their bias", "bias"),
     Input("Wk", "key weights", "weight"), Input("bk", "their bias", "bias"),
     Input("Wv", "value weights", "weight"), Input("bv", "their bias", "bias")),
    (Size("features", "Features (rows of X)", "d", 3), Size("positions", "Positions (columns of X)", "n", 3),
     Size("d_k", "Query and key size d_k (rows of Q, K)", "dk", 4),
     Size("d_v", "Value size d_v (rows of V, Z)", "dv", 2)),
    default_self_attention, random_self_attention, self_attention, _reference,
    page=Page("self_attention", "Self-attention", ":material/visibility:",
              "Queries, keys and values by `[W | b]·[X; 1]`; scores `Kᵀ·Q / √d_k`, softmax down each "
              "column, then `Z = V·A` mixes positions.",
              "Each position asks a **query**, offers a **key** and carries a **value**: the scores "
              "`Kᵀ·Q` say who matches whom, softmax turns each column into weights, and `V·A` mixes "
              "the positions' values with those weights."))

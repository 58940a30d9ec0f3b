"""Why residual connections work, by hand: the Jacobian ``I + ∂F/∂x`` and the backprop rule.

For one sample ``x`` (a column of d features) the residual block's branch is
``F(x) = W2·ReLU(W1·x + b1) + b2`` and the block is ``y = x + F(x)`` (the residual
walkthrough's block before its final ReLU). Its Jacobian is

    ∂y/∂x = I + ∂F/∂x,   ∂F/∂x = W2·D·W1,   D = diag(ReLU′(W1·x + b1)),

and backpropagation multiplies the upstream gradient (a row vector) by it:
``δ⁽ˡ⁾ = δ⁽ˡ⁺¹⁾·(I + ∂F/∂x) = δ⁽ˡ⁺¹⁾ + δ⁽ˡ⁺¹⁾·∂F/∂x``: the upstream gradient passes
through unchanged, plus what the branch adds. Without the skip only ``δ⁽ˡ⁺¹⁾·∂F/∂x`` is left.
At ReLU's kink (a pre-activation exactly 0) we take ReLU′(0) = 0, as PyTorch does.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..checks import check_inputs, expect_shape, whole_number
from ..numbers import ByHandError, as_matrix, is_exact, is_symbolic, tidy, unify
from ..ops import NONE, RELU, RELU_PRIME
from ..stacked import Part, hstack, identity, ones, part, vstack
from ..walkthrough import Walkthrough, arrange_step, given_step, multiply_step, op_step
from . import BlockType, Input, Page, Size

__all__ = ["block_jacobian", "backprop_block", "relu_derivative", "jacobian_walkthrough",
           "unrolled_walkthrough", "default_jacobian", "default_unrolled", "random_jacobian", "MAX_BLOCKS"]

MAX_BLOCKS = 6  # most blocks the unrolled view works out by hand

KINK_NOTE = ("ReLU′(0) is taken as 0, as PyTorch does: ReLU has no slope at its kink, and any "
             "value between 0 and 1 would be a valid choice there.")


DIFF_NOTE = ("Derived directly: sympy.diff of each output of F(x) = W2·ReLU(W1·x + b1) + b2 by each "
             "feature of x gives exactly this W2·diag(ReLU′(z))·W1.")


def _is_zero(v) -> bool:
    """A cell that is the number 0 (a symbolic cell is not, whatever its symbols may be)."""
    return v == 0 if not hasattr(v, "free_symbols") else bool(v.is_zero)


def same_cells(a: np.ndarray, b: np.ndarray) -> bool:
    """Cell by cell equal, a symbolic cell by ``expand(a − b) == 0`` (then ``simplify``)."""
    import sympy

    def same(u, v) -> bool:
        diff = sympy.expand(sympy.sympify(u) - sympy.sympify(v))
        return diff == 0 or sympy.simplify(diff) == 0

    return a.shape == b.shape and all(same(u, v) for u, v in zip(a.flat, b.flat))


def derived_jacobian(m: dict[str, np.ndarray]) -> np.ndarray:
    """∂F/∂x by ``sympy.diff`` of ``F(x) = W2·ReLU(W1·x + b1) + b2``, for a symbolic block.

    x is replaced by fresh symbols, F is differentiated by each of them, and x's own cells are put
    back. ReLU of a cell of unknown sign is ``max(0, e)``, whose derivative sympy writes with a
    Heaviside step; at e = 0 it is taken as 0, as ReLU′(0) = 0 in PyTorch and in ``RELU_PRIME``.
    """
    import sympy

    from ..symbols import relu, to_number

    x = m["x"]
    ts = [sympy.Dummy(f"t{i}", real=True) for i in range(x.shape[0])]
    t = np.array([[v] for v in ts], dtype=object)
    H = np.vectorize(relu, otypes=[object])(m["W1"] @ t + m["b1"])
    F = m["W2"] @ H + m["b2"]
    back = dict(zip(ts, (sympy.sympify(v) for v in x[:, 0])))
    J = np.empty((F.shape[0], len(ts)), dtype=object)
    for i in range(F.shape[0]):
        for j, tj in enumerate(ts):
            d = sympy.diff(sympy.sympify(F[i, 0]), tj)
            d = d.replace(lambda e: isinstance(e, sympy.Heaviside), lambda e: sympy.Heaviside(e.args[0], 0))
            J[i, j] = to_number(d.xreplace(back))
    return J


def relu_derivative(z: np.ndarray) -> np.ndarray:
    """ReLU′ cell by cell: 1 where z > 0, else 0 (also at the kink z = 0, as PyTorch).

    Exact inputs give exact 0/1 ints (object array), floats give floats.

    >>> relu_derivative(np.array([[3], [0], [-1]], dtype=object)).ravel().tolist()
    [1, 0, 0]
    """
    return RELU_PRIME.apply(z)


def _diag(v: np.ndarray) -> np.ndarray:
    """The diagonal matrix holding the column ``v``, in v's number type."""
    n = v.shape[0]
    out = np.zeros((n, n), dtype=int).astype(v.dtype)
    for i in range(n):
        out[i, i] = v[i, 0]
    return out


def _diag_part(z: np.ndarray) -> Part:
    """``diag(z)`` as the input of the ReLU′ step: its diagonal copies z, the rest are constant zeros."""
    n = z.shape[0]
    cells = np.full((n, n, 2), -1, dtype=int)
    for i in range(n):
        cells[i, i] = (i, 0)
    return Part("diag(z)", _diag(z), "computed", "z", cells)


def _check_block(x, W1, b1, W2, b2, residual: bool) -> tuple[bool, dict[str, np.ndarray]]:
    """Read x (one sample, a column) and the block's weights; check that the shapes fit."""
    exact, m = check_inputs(x=x, W1=W1, b1=b1, W2=W2, b2=b2)
    x, W1 = m["x"], m["W1"]
    d = x.shape[0]
    expect_shape("x", x, None, 1, "x is one sample: a single column of features")
    h = W1.shape[0]
    expect_shape("W1", W1, None, d, f"x has {d} features and W1 needs one column per feature")
    expect_shape("b1", m["b1"], h, 1, f"one bias per row of W1 ({h})")
    rows = d if residual else None
    why = (f"the skip connection adds x ({d} features) to W2·H, and H has {h} rows" if residual
           else f"H has {h} rows (the hidden size)")
    expect_shape("W2", m["W2"], rows, h, why)
    expect_shape("b2", m["b2"], m["W2"].shape[0], 1, f"one bias per row of W2 ({m['W2'].shape[0]})")
    return exact, m


def _jacobian_parts(m: dict[str, np.ndarray], exact: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z = W1·x + b1, D = diag(ReLU′(z)), ∂F/∂x = W2·D·W1."""
    z = tidy(m["W1"] @ m["x"] + m["b1"])
    D = _diag(relu_derivative(z))
    JF = tidy(m["W2"] @ tidy(D @ m["W1"]))
    return z, D, JF


def block_jacobian(x, W1, b1, W2, b2, residual: bool = True) -> np.ndarray:
    """The Jacobian of ``x + F(x)`` at one sample x: ``I + W2·diag(ReLU′(W1·x + b1))·W1``.

    x has d values (a list or a d × 1 column), W1 is h × d, b1 h × 1, W2 d × h, b2 d × 1.
    ``residual=False`` gives ``∂F/∂x`` alone (then W2 may have any number of rows). Exact
    for integer and fraction inputs; ReLU′(0) = 0, as PyTorch.

    >>> block_jacobian([1, 2], [[1, 0], [0, -1]], [0, 0], [[1, 1], [0, 2]], [0, 0])
    array([[2, 0],
           [0, 1]], dtype=object)
    """
    exact, m = _check_block(x, W1, b1, W2, b2, residual)
    _, _, JF = _jacobian_parts(m, exact)
    if not residual:
        return JF
    d = JF.shape[0]
    eye = np.eye(d, dtype=int).astype(object) if exact else np.eye(d)
    return tidy(eye + JF)


def _read_delta(delta, d: int) -> np.ndarray:
    """The upstream gradient as a 1 × d row (a list, a row or a column of d values)."""
    g = as_matrix("δ", delta, column=False)
    if g.shape[1] == 1 and g.shape[0] > 1:
        g = g.T
    expect_shape("δ", g, 1, d, f"the upstream gradient has one value per output of the block ({d})")
    return g


def backprop_block(delta, x, W1, b1, W2, b2, residual: bool = True) -> np.ndarray:
    """The backprop rule for one block: ``δ⁽ˡ⁾ = δ⁽ˡ⁺¹⁾·(I + ∂F/∂x)`` (``residual=False``: ``δ·∂F/∂x``).

    ``delta`` is the upstream gradient ∂L/∂y, one value per output; returns the 1 × d row ∂L/∂x.

    >>> backprop_block([1, 1], [1, 2], [[1, 0], [0, -1]], [0, 0], [[1, 1], [0, 2]], [0, 0])
    array([[2, 1]], dtype=object)
    """
    J = block_jacobian(x, W1, b1, W2, b2, residual)
    g = _read_delta(delta, J.shape[0])
    if J.dtype == object and is_exact(g):
        return tidy(g @ J)
    return np.asarray(g, dtype=float) @ np.asarray(J, dtype=float)


def jacobian_walkthrough(x, W1, b1, W2, b2, delta=None, residual: bool = True) -> Walkthrough:
    """Work out ``I + ∂F/∂x`` and the backprop rule by hand, step by step.

    Steps: the sample x; ``z = [W1 | b1]·[x; 1]``; ``D = ReLU′(diag(z)) = diag(ReLU′(z))`` (an
    element-wise step: z written down a diagonal, then each cell's slope); ``D·W1``;
    ``∂F/∂x = W2·(D·W1)``; then (residual) ``[I | I]·[I; ∂F/∂x] = I + ∂F/∂x``; then, for the
    upstream gradient ``delta`` (default: all ones), the plain block's ``δ·∂F/∂x`` and (residual)
    ``δ·(I + ∂F/∂x)``. The output is the gradient passed down, ∂L/∂x (a 1 × d row).

    >>> wt = jacobian_walkthrough([1, 2], [[1, 0], [0, -1]], [0, 0], [[1, 1], [0, 2]], [0, 0])
    >>> [s.name for s in wt.steps]
    ['x', 'z', 'D', 'DW1', 'JF', 'stackJ', 'J', 'δ_plain', 'δ_in']
    >>> wt.output
    array([[2, 1]], dtype=object)
    """
    exact, m = _check_block(x, W1, b1, W2, b2, residual)
    x, W1, b1, W2, b2 = (m[k] for k in ("x", "W1", "b1", "W2", "b2"))
    d, h, d_out = x.shape[0], W1.shape[0], W2.shape[0]
    g = _read_delta([1] * d_out if delta is None else delta, d_out)
    exact, (x, W1, b1, W2, b2, g) = unify(x, W1, b1, W2, b2, g)
    m = {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    z, D, JF = _jacobian_parts(m, exact)
    kinks = [i + 1 for i in range(h) if _is_zero(z[i, 0])]
    symbolic = any(is_symbolic(v) for v in (x, W1, b1, W2, b2))

    given = given_step("Given one sample",
                 f"x is one sample: a column of {d} features. We ask how the block's output "
                 "changes when x changes a little: that is the Jacobian.", "x", x)
    pre = multiply_step(
        "Pre-activation",
        "Multiply [W1 | b1] by [x; 1]: z = W1·x + b1, the hidden layer before ReLU. "
        "Its signs decide which hidden units pass a change on.",
        "z", hstack(part("W1", W1, "weight"), part("b1", b1, "bias")),
        vstack(part("x", x, "input"), ones(1, exact)), "W1·x + b1", NONE)
    kink_note = (f"Row {', '.join(map(str, kinks))} of z is exactly 0: " + KINK_NOTE) if kinks else ""
    diag_z = _diag_part(z)
    slope = op_step(
        "ReLU′ as a diagonal matrix",
        "ReLU passes a small change through where z > 0 (slope 1) and blocks it where z ≤ 0 "
        "(slope 0). Write z down the diagonal of diag(z) (zeros elsewhere), then take ReLU′ of each "
        "cell: D = diag(ReLU′(z)) holds each hidden unit's slope on its diagonal.",
        "D", diag_z.values, "diag(z)", RELU_PRIME, copies=diag_z, note=kink_note, quotes=("z",))
    assert all(a == b for a, b in zip(slope.result.flat, D.flat))
    dw1 = multiply_step(
        "Blocked rows",
        "D·W1 keeps the rows of W1 whose hidden unit is active and zeroes the others: "
        "this is ∂H/∂x, how the hidden layer moves with x.",
        "DW1", hstack(part("D", D)), vstack(part("W1", W1, "weight")), "D·W1")
    jf = multiply_step(
        "The branch's Jacobian JF = ∂F/∂x",
        "W2·(D·W1) = ∂F/∂x (called JF): the chain rule is a product of matrices, one per layer. "
        "The bias b2 does not depend on x, so it drops out.",
        "JF", hstack(part("W2", W2, "weight")), vstack(part("DW1", dw1.result)), "∂F/∂x = W2·D·W1")
    if symbolic and same_cells(derived_jacobian(m), JF):  # the note a substitution drops
        jf = replace(jf, note=f"{DIFF_NOTE} {jf.note}".strip(), symbolic_note=DIFF_NOTE)
    steps = [given, pre, slope, dw1, jf]
    JFp = part("JF", JF)
    gp = part("δ", g, "input")
    plain = multiply_step(
        "Backprop without the skip",
        "A plain block passes δ·∂F/∂x down: the upstream gradient δ (a row: ∂L/∂ per output) "
        "times the Jacobian. If ∂F/∂x is small, so is the gradient that reaches the layer below.",
        "δ_plain", hstack(gp), vstack(JFp), "δ·∂F/∂x", data_side="left")
    if residual:
        left = hstack(identity(d, exact), identity(d, exact))
        right = vstack(identity(d, exact), JFp)
        steps.append(arrange_step(
            "Stack I over ∂F/∂x",
            "The skip connection y = x + F(x) has Jacobian I + ∂F/∂x. Put two identities side "
            "by side, [I | I], and stack I over ∂F/∂x.", "stackJ", left, right))
        J = multiply_step(
            "The block's Jacobian I + ∂F/∂x",
            "[I | I]·[I; ∂F/∂x] = I + ∂F/∂x: the skip connection adds the identity to the "
            "branch's Jacobian, so it stays close to I when ∂F/∂x is small.",
            "J", left, right, "I + ∂F/∂x")
        steps.append(J)
        steps.append(plain)
        steps.append(multiply_step(
            "Backprop with the skip",
            "δ⁽ˡ⁾ = δ⁽ˡ⁺¹⁾·(I + ∂F/∂x) = δ + δ·∂F/∂x: the upstream gradient passes through "
            "unchanged, plus the plain block's gradient. Even if ∂F/∂x is tiny, δ gets through.",
            "δ_in", hstack(gp), vstack(part("J", J.result)), "δ·(I + ∂F/∂x)", data_side="left"))
    else:
        steps.append(plain)
    return Walkthrough("jacobian", "The Jacobian of a residual block" if residual
                       else "The Jacobian of a plain block",
                       {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "δ": g}, tuple(steps),
                       steps[-1].result, exact, {"residual": residual, "kinks": kinks})


def unrolled_walkthrough(x0, blocks, residual: bool = True) -> Walkthrough:
    """``x_L = x_0 + F_1(x_0) + F_2(x_1) + … + F_L(x_{L−1})`` worked by hand for a few blocks.

    ``blocks`` is a list of dicts with W1 (h × d), b1, W2 (d × h), b2, one per block. Each block
    computes ``H_t = ReLU([W1 | b1]·[x; 1])``, ``F_t = [W2 | b2]·[H_t; 1]`` and
    ``x_t = [I | I]·[x_{t−1}; F_t]``; the last step adds them all at once,
    ``[I | I | … | I]·[x_0; F_1; …; F_L] = x_L``: the input reaches the output directly.
    ``residual=False`` instead chains plain blocks ``x_t = F_t``, with no sum to unroll.

    >>> blk = {'W1': [[1]], 'b1': [0], 'W2': [[1]], 'b2': [1]}
    >>> unrolled_walkthrough([2], [blk, blk]).output
    array([[11]], dtype=object)
    """
    if not isinstance(blocks, (list, tuple)) or not 1 <= len(blocks) <= MAX_BLOCKS:
        raise ByHandError(f"give from 1 to {MAX_BLOCKS} blocks to unroll.", "blocks")
    named = {"x0": x0}
    for t, blk in enumerate(blocks, start=1):
        if not isinstance(blk, dict) or not {"W1", "b1", "W2", "b2"} <= set(blk):
            raise ByHandError(f"block {t} needs W1, b1, W2 and b2.", f"block {t}")
        named.update({f"{k}_{t}": blk[k] for k in ("W1", "b1", "W2", "b2")})
    exact, m = check_inputs(**named)
    x = m["x0"]
    d, n = x.shape
    one = ones(n, exact)
    steps = [given_step("Given the input", f"x0 holds {n} sample(s) as columns, {d} features each.",
                  "x0", x)]
    Fs = []
    for t in range(1, len(blocks) + 1):
        W1, b1, W2, b2 = (m[f"{k}_{t}"] for k in ("W1", "b1", "W2", "b2"))
        h = W1.shape[0]
        prev = f"x{t - 1}"
        expect_shape(f"W1_{t}", W1, None, d, f"{prev} has {d} rows and W1_{t} needs one column per row")
        expect_shape(f"b1_{t}", b1, h, 1, f"one bias per row of W1_{t} ({h})")
        expect_shape(f"W2_{t}", W2, d, h, f"block {t} keeps the {d} features and H{t} has {h} rows")
        expect_shape(f"b2_{t}", b2, d, 1, f"one bias per row of W2_{t} ({d})")
        hid = multiply_step(
            f"Block {t}: hidden layer",
            f"[W1_{t} | b1_{t}]·[{prev}; 1], then ReLU: H{t}.", f"H{t}",
            hstack(part(f"W1_{t}", W1, "weight"), part(f"b1_{t}", b1, "bias")),
            vstack(part(prev, x, "input" if t == 1 else "computed"), one), f"W1_{t}·{prev} + b1_{t}", RELU)
        steps.append(hid)
        name = f"F{t}" if residual else f"x{t}"
        branch = multiply_step(
            f"Block {t}: the branch F{t}",
            f"[W2_{t} | b2_{t}]·[H{t}; 1] = F{t}({prev})." if residual else
            f"[W2_{t} | b2_{t}]·[H{t}; 1]: with no skip this is the next input {name}.",
            name, hstack(part(f"W2_{t}", W2, "weight"), part(f"b2_{t}", b2, "bias")),
            vstack(part(f"H{t}", hid.result), one), f"W2_{t}·H{t} + b2_{t}")
        steps.append(branch)
        if residual:
            Fs.append(branch.result)
            left = hstack(identity(d, exact), identity(d, exact))
            right = vstack(part(prev, x, "input" if t == 1 else "computed"), part(f"F{t}", branch.result))
            add = multiply_step(
                f"Block {t}: add the skip",
                f"[I | I]·[{prev}; F{t}] = {prev} + F{t} = x{t}.", f"x{t}", left, right,
                f"{prev} + F{t}")
            steps.append(add)
            x = add.result
        else:
            x = branch.result
    L = len(blocks)
    if residual:
        left = hstack(*(identity(d, exact) for _ in range(L + 1)))
        right = vstack(part("x0", m["x0"], "input"), *(part(f"F{t}", F) for t, F in enumerate(Fs, 1)))
        total = multiply_step(
            "Unrolled: the input reaches the output",
            f"[I | … | I]·[x0; F1; …; F{L}] = x0 + F1 + … + F{L} = x{L}: the same numbers as "
            "block by block. Every block adds its F to a running sum that starts at x0, so x0 "
            f"reaches x{L} through identities alone (and ∂x{L}/∂x0 = I + …).",
            "sum", left, right, " + ".join(["x0"] + [f"F{t}" for t in range(1, L + 1)]))
        steps.append(total)
        assert np.array_equal(np.asarray(total.result, dtype=float), np.asarray(x, dtype=float))
    return Walkthrough("unrolled", f"{L} residual blocks unrolled" if residual else f"{L} plain blocks",
                       dict(m), tuple(steps), steps[-1].result, exact,
                       {"residual": residual, "blocks": L})


def default_jacobian() -> dict:
    """The residual walkthrough's default block at its second sample x = (2, 1, −1), δ = (1, −1, 2).

    One hidden unit is off there (z = (1, 3, −1)), so D blocks a row of W1.
    """
    return {
        "x": [[2], [1], [-1]],
        "W1": [[1, 0, 1], [0, 1, -1], [-1, 1, 0]],
        "b1": [[0], [1], [0]],
        "W2": [[1, -1, 0], [0, 1, 1], [1, 0, -1]],
        "b2": [[0], [-1], [1]],
        "delta": [[1, -1, 2]],
    }


def random_jacobian(seed: int, features: int = 3, hidden: int = 3, low: int = -2, high: int = 2) -> dict:
    """Seeded small-integer inputs for ``jacobian_walkthrough``: x, W1, b1, W2, b2 and delta (a row).

    >>> random_jacobian(3) == random_jacobian(3), len(random_jacobian(3, 2, 4)['W1'])
    (True, 4)
    """
    d, h = whole_number("features", features), whole_number("hidden size", hidden)
    low, high = whole_number("lowest value", low, -99, 99), whole_number("highest value", high, -99, 99)
    if low > high:
        raise ByHandError(f"the lowest value ({low}) is above the highest ({high}).", "value range")
    rng = np.random.default_rng(seed)

    def ints(rows: int, cols: int) -> list:
        return rng.integers(low, high + 1, size=(rows, cols)).tolist()

    return {"x": ints(d, 1), "W1": ints(h, d), "b1": ints(h, 1), "W2": ints(d, h), "b2": ints(d, 1),
            "delta": ints(1, d)}


def default_unrolled() -> dict:
    """Three blocks, 2 features, hidden size 2; from x0 = (1, 2) the F's are (2, 0), (−1, 2), (1, 0)."""
    return {
        "x0": [[1], [2]],
        "blocks": [
            {"W1": [[1, 0], [0, 1]], "b1": [[0], [0]], "W2": [[0, 1], [1, 0]], "b2": [[0], [-1]]},
            {"W1": [[1, -1], [0, 1]], "b1": [[0], [-1]], "W2": [[-1, 0], [1, 1]], "b2": [[0], [0]]},
            {"W1": [[-1, 1], [1, 0]], "b1": [[0], [-3]], "W2": [[1, 0], [0, -1]], "b2": [[-1], [0]]},
        ],
    }


BLOCK = BlockType(
    "jacobian", "Jacobian of a residual block (I + ∂F/∂x)",
    (Input("x", "one sample"), Input("W1", "first layer", "weight"), Input("b1", "its bias", "bias"),
     Input("W2", "second layer", "weight"), Input("b2", "its bias", "bias"),
     Input("delta", "δ = ∂L/∂y, the upstream gradient (a row)")),
    (Size("features", "Features (rows of x)", "d", 3), Size("hidden", "Hidden size (rows of W1)", "h", 3)),
    default_jacobian, random_jacobian, jacobian_walkthrough, skip_option=True,
    page=Page("why_residual", "Why residuals work", ":material/trending_down:",
              "The Jacobian I + ∂F/∂x: gradients that survive hundreds of layers, plain vs residual.",
              file="app_pages/why_residual.py", section="Why & practice"))

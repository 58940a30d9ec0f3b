"""Every block worked out with symbols (issue 12 §2, §3).

The test of the whole feature is substitution: a block built once from symbols, then given numbers
with ``wt.substitute``, equals the block built from those numbers directly — every matrix of every
step, exactly (same values, same int/Fraction types) where the numbers are exact, allclose where an
op leaves the fractions. The direct build is the reference: it never sees a symbol.
"""

from fractions import Fraction

import numpy as np
import pytest
import sympy

from byhand.blocks import BLOCKS
from byhand.blocks.conv import bottleneck_block, conv_block, random_bottleneck, random_conv
from byhand.blocks.jacobian import DIFF_NOTE, derived_jacobian, jacobian_walkthrough, random_jacobian
from byhand.blocks.transformer import random_transformer_params, transformer_layer
from byhand.numbers import ByHandError, is_symbolic
from byhand.symbols import symbol, symbolize

SEEDS = range(25)


def _matrices(step):
    """Every matrix a step holds, by a label (operand parts one by one)."""
    out = {"product": step.product, "result": step.result}
    for side in ("left", "right"):
        st = getattr(step, side)
        if st is not None:
            out.update({f"{side} {p.name}": p.values for p in st.parts})
    if step.copies is not None:
        out["copies"] = step.copies.values
    return {k: v for k, v in out.items() if v is not None}


def _same_matrix(a, b, where, exact):
    assert a.shape == b.shape, where
    if exact and a.dtype == object and b.dtype == object:
        assert not is_symbolic(a), where
        for u, v in zip(a.flat, b.flat):
            assert u == v and type(u) is type(v), f"{where}: {u!r} != {v!r}"
    else:
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                   rtol=1e-9, atol=1e-9, err_msg=where)


def assert_same_walkthrough(got, want, exact=True, notes=True):
    """``got`` (substituted) equals ``want`` (built from the numbers): steps, matrices, notes."""
    assert [s.name for s in got.steps] == [s.name for s in want.steps]
    assert list(got.inputs) == list(want.inputs)
    for k in want.inputs:
        _same_matrix(got.inputs[k], want.inputs[k], f"input {k}", exact)
    for g, w in zip(got.steps, want.steps):
        assert (g.title, g.caption, g.kind, g.product_name) == (w.title, w.caption, w.kind, w.product_name)
        gm, wm = _matrices(g), _matrices(w)
        assert list(gm) == list(wm), g.name
        for k in wm:
            _same_matrix(gm[k], wm[k], f"step {g.name}, {k}", exact)
        if notes:
            assert g.note == w.note, g.name
    _same_matrix(np.asarray(got.output).reshape(np.shape(want.output)), np.asarray(want.output),
                 "output", exact)


def _with_fractions(ex: dict, seed: int) -> dict:
    """Some cells of a seeded example made fractions, so that substitution meets Fractions too."""
    rng = np.random.default_rng(1000 + seed)
    out = {}
    for k, v in ex.items():
        m = np.array(v, dtype=object)
        if m.ndim == 2 and k not in ("A",):  # A's columns must keep summing to 1
            for idx in np.ndindex(m.shape):
                if rng.random() < 0.3:
                    m[idx] = Fraction(int(rng.integers(-5, 6)), int(rng.integers(1, 4)))
        out[k] = m.tolist() if m.ndim == 2 else v
    return out


@pytest.mark.parametrize("name, options", [("residual", {}), ("residual", {"residual": False}),
                                           ("encoder", {}), ("encoder", {"residual": False}),
                                           ("jacobian", {}), ("jacobian", {"residual": False})])
def test_substitution_equals_the_direct_build_exactly(name, options):
    bt = BLOCKS[name]
    sym, _ = symbolize(bt.default())
    wt = bt.build(**sym, **options)
    assert wt.symbols == sorted(str(s) for m in sym.values() for s in sympy.Matrix(m).free_symbols)
    for seed in SEEDS:
        ex = bt.random(seed)
        if seed % 2:
            ex = _with_fractions(ex, seed)
        _, values = symbolize(ex)
        want = bt.build(**ex, **options)
        got = wt.substitute(values)
        # the Jacobian's note on a kink (z exactly 0) quotes values, so it is not worked out again
        notes = name != "jacobian" or not want.params["kinks"]
        assert_same_walkthrough(got, want, exact=True, notes=notes)
        assert got.symbols == []


@pytest.mark.parametrize("biases", [True, False])
def test_attention_substitution(biases):
    """Softmax gives exact exp expressions; substituted they are the float softmax of the numbers."""
    bt = BLOCKS["attention"]
    keep = (lambda k: True) if biases else (lambda k: not k.startswith("b"))
    sym, _ = symbolize({k: v for k, v in bt.default().items() if keep(k)})
    wt = bt.build(**sym)
    A = wt.steps[5].result
    assert all(v.has(sympy.exp) for v in A.flat)
    for col in range(A.shape[1]):  # each column of exp ratios sums to exactly 1
        assert sympy.simplify(sum(A[:, col]) - 1) == 0
    for seed in SEEDS:
        ex = {k: v for k, v in bt.random(seed).items() if keep(k)}
        _, values = symbolize(ex)
        assert_same_walkthrough(wt.substitute(values), bt.build(**ex), exact=False)


@pytest.mark.parametrize("chosen", [("Wv",), ("bv",), ("Wv", "bv")])
def test_attention_with_only_its_values_as_symbols(chosen):
    """Numbers for the queries and keys give a float softmax; the values may still be symbols (the page's
    "Show the formula" for Wv or bv): V·A then has float weights on the value symbols."""
    bt = BLOCKS["attention"]
    ex = bt.default()
    sym, values = symbolize({k: ex[k] for k in chosen})
    wt = bt.build(**{**ex, **sym})
    names = {str(s) for v in wt.output.flat for s in v.free_symbols}
    assert names == set(values)  # every value symbol reaches the output, nothing else does
    assert_same_walkthrough(wt.substitute(values), bt.build(**ex), exact=False)


def test_relu_of_unknown_sign_stays_max_and_says_so():
    a, b = symbol("a"), symbol("b")
    wt = BLOCKS["residual"].build(X=[[a]], W1=[[1]], b1=[[0]], W2=[[1]], b2=[[b]])
    H = wt.steps[1]
    assert H.result[0, 0] == sympy.Max(0, a)
    assert "max(0, e)" in H.note and H.symbolic_note in H.note
    plain = BLOCKS["residual"].build(X=[[a ** 2]], W1=[[1]], b1=[[1]], W2=[[1]], b2=[[0]])
    assert plain.steps[1].result[0, 0] == a ** 2 + 1 and "max(0" not in plain.steps[1].note  # known sign
    assert wt.substitute({"a": -2, "b": 1}).steps[1].note == ""


def test_layer_norm_is_exact_with_its_square_root():
    """LayerNorm of the column (a, b) by hand: μ = (a+b)/2, σ² = (a−b)²/4, x̂ = ±(a−b)/√((a−b)²/4 + ε)."""
    from byhand.ops import LayerNorm

    a, b = symbol("a"), symbol("b")
    out = LayerNorm(np.array([[1.0], [1.0]]), np.array([[0.0], [0.0]]), 0).apply(
        np.array([[a], [b]], dtype=object))
    want = (a - b) / 2 / sympy.sqrt((a - b) ** 2 / 4)
    assert sympy.simplify(out[0, 0] - want) == 0 and sympy.simplify(out[1, 0] + want) == 0
    assert out[0, 0].has(sympy.sqrt((a - b) ** 2 / 4)) or out[0, 0].has(sympy.Pow)
    eps = LayerNorm(np.array([[2.0], [1.0]]), np.array([[1.0], [0.0]]), 1e-5).apply(
        np.array([[a], [b]], dtype=object))
    x = {a: 3, b: -1}
    np.testing.assert_allclose(float(eps[0, 0].subs(x)), 2 * 2 / np.sqrt(4 + 1e-5) + 1)
    np.testing.assert_allclose(float(eps[1, 0].subs(x)), -2 / np.sqrt(4 + 1e-5))


def test_the_jacobian_by_sympy_diff_equals_w2_d_w1():
    sym, _ = symbolize(BLOCKS["jacobian"].default())
    wt = jacobian_walkthrough(**sym)
    JF = wt.steps[4]
    assert JF.name == "JF" and DIFF_NOTE in JF.note
    m = {k: wt.inputs[k] for k in ("x", "W1", "b1", "W2", "b2")}
    derived = derived_jacobian(m)
    for u, v in zip(derived.flat, JF.result.flat):
        assert sympy.expand(u - v) == 0
    # by hand, cell (1, 1) of W2·D·W1 is Σ_k w2_1k·[z_k > 0]·w1_k1
    z = [sum(sym["W1"][k, j] * sym["x"][j, 0] for j in range(3)) + sym["b1"][k, 0] for k in range(3)]
    hand = sum(sym["W2"][0, k] * sympy.Heaviside(z[k], 0) * sym["W1"][k, 0] for k in range(3))
    assert sympy.expand(JF.result[0, 0] - hand) == 0
    assert DIFF_NOTE not in wt.substitute(symbolize(random_jacobian(1))[1]).steps[4].note


def test_the_symbolic_jacobian_agrees_with_torch():
    """At random points away from ReLU's kink, substituted ∂F/∂x and I + ∂F/∂x equal torch's."""
    torch = pytest.importorskip("torch")
    sym, _ = symbolize(random_jacobian(0, features=3, hidden=4))
    wt = jacobian_walkthrough(**sym)
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(20):
        ex = {k: rng.normal(size=np.shape(v)).round(3) for k, v in sym.items()}
        z = ex["W1"] @ ex["x"] + ex["b1"]
        if np.abs(z).min() < 1e-3:
            continue  # too near the kink
        _, values = symbolize(ex)
        got = wt.substitute(values)
        t = {k: torch.tensor(v, dtype=torch.float64) for k, v in ex.items()}

        def block(x, t=t):
            h = torch.relu(t["W1"] @ x + t["b1"][:, 0])
            return x + t["W2"] @ h + t["b2"][:, 0]

        J = torch.autograd.functional.jacobian(block, t["x"][:, 0]).numpy()
        np.testing.assert_allclose(np.asarray(got.matrices["J"], dtype=float), J, atol=1e-12)
        np.testing.assert_allclose(np.asarray(got.matrices["JF"], dtype=float), J - np.eye(3), atol=1e-12)
        checked += 1
    assert checked >= 15


def _symbolic_tensor(name: str, arr) -> tuple[np.ndarray, dict]:
    """An array of symbols named by the tensor's letter and its 1-based indices, and their values."""
    arr = np.asarray(arr, dtype=object)
    out, values = np.empty(arr.shape, dtype=object), {}
    for idx in np.ndindex(arr.shape):
        n = f"{name}{''.join(str(i + 1) for i in idx)}"
        out[idx], values[n] = symbol(n), arr[idx]
    return out, values


def _symbolic_conv(ex: dict, bns=("bn1", "bn2")) -> tuple[dict, dict]:
    """x, every kernel and each batch norm's γ, β, μ as symbols (σ² and ε stay numbers)."""
    sym, values = dict(ex), {}
    for k, v in ex.items():
        if k == "x" or (k.startswith("w") and v is not None):
            sym[k], vals = _symbolic_tensor(k if k == "x" else "k" + k[1:], v)
            values.update(vals)
        elif k in bns and v is not None:
            parts = []
            for letter, vec in zip(("g", "be", "m"), v[:3]):
                s, vals = _symbolic_tensor(f"{letter}{k[2:]}_", np.ravel(vec))
                parts.append(list(s))
                values.update(vals)
            sym[k] = (*parts, v[3], v[4])
    return sym, values


def _same_variances(ex: dict, like: dict) -> dict:
    """``ex`` with the σ² and ε of ``like``: they are numbers in the symbolic build, so they must match."""
    return {k: (*v[:3], *like[k][3:]) if k.startswith("bn") and v is not None else v for k, v in ex.items()}


@pytest.mark.parametrize("shortcut, stride", [("identity", 1), ("zero_pad", 2), ("projection", 2)])
def test_conv_block_substitution(shortcut, stride):
    ex0 = random_conv(0, channels=1, size=3, stride=stride, shortcut=shortcut)
    bns = ("bn1", "bn2", "bns")
    sym, _ = _symbolic_conv(ex0, bns)
    wt = conv_block(**sym)
    assert is_symbolic(wt.steps[-1].result)
    for seed in range(8):
        ex = _same_variances(random_conv(seed, channels=1, size=3, stride=stride, shortcut=shortcut), ex0)
        _, values = _symbolic_conv(ex, bns)
        want = conv_block(**ex)
        assert_same_walkthrough(wt.substitute(values), want, exact=want.exact, notes=False)


def test_conv_batch_norm_keeps_its_square_root():
    x, _ = _symbolic_tensor("x", np.zeros((1, 2, 2)))
    k = [[[[0, 0, 0], [0, 1, 0], [0, 0, 0]]]]
    bn2 = ([1], [0], [0], [2], 0)  # s = 1/√2: no fraction
    wt = conv_block(x, k, ([1], [0], [0], [1], 0), k, bn2)
    assert wt.matrices["BN2"][0, 0] == sympy.sqrt(2) / 2  # exact, not 0.7071…
    assert wt.matrices["BN1"][0, 0] == 1 and type(wt.matrices["BN1"][0, 0]) is int
    values = {"x111": 1, "x112": -2, "x121": 3, "x122": Fraction(1, 2)}
    x_values = np.array([[[1, -2], [3, Fraction(1, 2)]]], dtype=object)
    want = conv_block(x_values, k, ([1], [0], [0], [1], 0), k, bn2)
    assert_same_walkthrough(wt.substitute(values), want, exact=False, notes=False)
    with pytest.raises(ByHandError, match="running_var"):
        conv_block(x, k, ([1], [0], [0], [symbol("v")], 0), k, bn2)


def test_bottleneck_substitution():
    ex0 = random_bottleneck(0, channels=1, size=2)
    sym, _ = _symbolic_conv(ex0, ("bn1", "bn2", "bn3"))
    wt = bottleneck_block(**sym)
    for seed in range(5):
        ex = _same_variances(random_bottleneck(seed, channels=1, size=2), ex0)
        _, values = _symbolic_conv(ex, ("bn1", "bn2", "bn3"))
        want = bottleneck_block(**ex)
        assert_same_walkthrough(wt.substitute(values), want, exact=want.exact, notes=False)


def test_transformer_layer_substitution():
    """A real TransformerEncoderLayer at d_model 2, 2 positions, dim_feedforward 2, X as symbols."""
    p = random_transformer_params(0, d=2, f=2)
    X, _ = _symbolic_tensor("x", np.zeros((2, 2)))
    wt = transformer_layer(X, p, nhead=1)
    assert wt.symbols == ["x11", "x12", "x21", "x22"]
    rng = np.random.default_rng(3)
    for _ in range(2):
        Xv = rng.normal(size=(2, 2)).round(2)
        values = {f"x{i + 1}{j + 1}": float(Xv[i, j]) for i in range(2) for j in range(2)}
        assert_same_walkthrough(wt.substitute(values), transformer_layer(Xv, p, nhead=1), exact=False,
                                notes=False)
    with pytest.raises(ByHandError, match="at most 2"):
        transformer_layer(_symbolic_tensor("x", np.zeros((2, 3)))[0], p, nhead=1)


def test_numbers_keep_the_number_path():
    """A walkthrough of numbers never meets sympy: no symbols, ints and Fractions as before."""
    for name in ("residual", "encoder", "jacobian", "attention"):
        wt = BLOCKS[name].build(**BLOCKS[name].default())
        assert wt.symbols == [] and not any(is_symbolic(m) for m in wt.matrices.values() if m.dtype == object)
        assert all(s.symbolic_note == "" for s in wt.steps)

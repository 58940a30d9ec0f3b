"""The PyTorch-style encoder layer by hand: a small case worked out in the comments, steps, head parts."""

import subprocess
import sys

import numpy as np
import pytest

from byhand import dot_product_text, random_transformer_params, transformer_layer
from byhand.blocks.transformer import PARAM_SHAPES


def _hand_params(d=2, f=1):
    """Weights chosen so that the layer can be followed by hand (see test_small_layer_by_hand)."""
    z = np.zeros
    return {"Wq": z((d, d)), "bq": z((d, 1)), "Wk": z((d, d)), "bk": z((d, 1)),
            "Wv": np.eye(d), "bv": z((d, 1)), "Wo": np.eye(d), "bo": z((d, 1)),
            "W1": z((f, d)), "b1": z((f, 1)), "W2": z((d, f)), "b2": z((d, 1)),
            "g1": np.ones((d, 1)), "beta1": z((d, 1)), "g2": [[2.0], [1.0]], "beta2": [[0.5], [0.0]]}


def test_small_layer_by_hand(walkthrough_ok):
    # X = [[1, 3], [2, 0]] (2 features, 2 positions), one head, eps = 1e-12.
    # Wq = Wk = 0, biases 0: Q = K = 0, so every score is 0 and softmax gives A = [[1/2, 1/2], [1/2, 1/2]].
    # Wv = I: V = X;  Z = V·A: every column is the mean of X's columns = [[2, 2], [1, 1]].
    # Wo = I: Att = Z;  X + Att = [[3, 5], [3, 1]].
    # LayerNorm1 per column: column 1 is (3, 3): mean 3, variance 0 -> (0, 0);
    #   column 2 is (5, 1): mean 3, variance 4 -> (5−3)/2 = 1, (1−3)/2 = −1.   Y = [[0, 1], [0, −1]].
    # W1 = 0, b1 = 0: H = ReLU(0) = 0;  W2 = 0, b2 = 0: Y + W2·H + b2 = Y.
    # LayerNorm2 with γ = (2, 1), β = (1/2, 0): column 1 (0, 0) -> (0·2 + 1/2, 0·1 + 0) = (1/2, 0);
    #   column 2 (1, −1): mean 0, variance 1 -> (1·2 + 1/2, −1·1 + 0) = (5/2, −1).
    wt = transformer_layer([[1, 3], [2, 0]], _hand_params(), nhead=1, eps=1e-12)
    walkthrough_ok(wt)
    m = wt.matrices
    np.testing.assert_array_equal(m["S"], np.zeros((2, 2)))
    np.testing.assert_array_equal(m["A"], np.full((2, 2), 0.5))
    np.testing.assert_array_equal(m["Z"], [[2, 2], [1, 1]])
    np.testing.assert_array_equal(wt.steps[-3].product, [[3, 5], [3, 1]])
    np.testing.assert_allclose(m["Y"], [[0, 1], [0, -1]], atol=1e-9)
    np.testing.assert_array_equal(m["H"], [[0, 0]])
    np.testing.assert_allclose(wt.output, [[0.5, 2.5], [0, -1]], atol=1e-9)
    assert wt.output.dtype == np.float64 and not wt.exact


def test_small_layer_norm_first_by_hand():
    # norm_first: X̂ = LayerNorm1(X): column 1 (1, 2) -> (−1, 1), column 2 (3, 0) -> (1, −1).
    # Attention as above on X̂: Z = column means of X̂ = [[0, 0], [0, 0]];  Y = X + Att = X = [[1, 3], [2, 0]].
    # Ŷ = LayerNorm2(Y) with γ = (2, 1), β = (1/2, 0) -> column 1 (−2 + 1/2, 1) = (−3/2, 1),
    #   column 2 (2 + 1/2, −1) = (5/2, −1).  W1 = W2 = 0: Out = Y + 0 = [[1, 3], [2, 0]] (no final norm).
    wt = transformer_layer([[1, 3], [2, 0]], _hand_params(), nhead=1, norm_first=True, eps=1e-12)
    m = wt.matrices
    np.testing.assert_allclose(m["X̂"], [[-1, 1], [1, -1]], atol=1e-9)
    np.testing.assert_allclose(m["Z"], [[0, 0], [0, 0]], atol=1e-9)
    np.testing.assert_allclose(m["Ŷ"], [[-1.5, 2.5], [1, -1]], atol=1e-9)
    np.testing.assert_allclose(wt.output, [[1, 3], [2, 0]], atol=1e-9)


def _steps(wt):
    return [(s.name, s.title, s.op.name) for s in wt.steps]


def test_steps_one_head_post_norm(kind_of):
    wt = transformer_layer(np.eye(4)[:, :3], random_transformer_params(0, 4, 6), nhead=1)
    assert _steps(wt) == [
        ("X", "Given the positions", "none"),
        ("Q", "Queries: Q = Wq·X + bq", "none"), ("K", "Keys: K = Wk·X + bk", "none"),
        ("V", "Values: V = Wv·X + bv", "none"),
        ("S", "scores and scaling", "scale"), ("A", "softmax", "softmax"), ("Z", "weighted values", "none"),
        ("Att", "Output projection", "none"), ("Y", "Residual add and LayerNorm", "layernorm"),
        ("H", "Feed-forward first layer", "relu"),
        ("Out", "Second layer plus identity and LayerNorm", "layernorm")]
    kinds = [kind_of(s) for s in wt.steps]
    assert kinds == ["given"] + ["multiply"] * 4 + ["element-wise"] + ["multiply"] * 5
    s, z = wt.steps[4], wt.steps[6]
    assert (s.left.name, s.right.name, s.product_name) == ("Kᵀ", "Q", "Kᵀ·Q")
    assert (z.left.name, z.right.name, z.data_side) == ("V", "A", "left")
    # the softmax result A is the attention matrix: it gets the attention colour as an operand
    assert [(p.name, p.role) for p in z.right.parts] == [("A", "attention")]
    assert wt.params == {"nhead": 1, "norm_first": False, "activation": "relu", "eps": 1e-5,
                         "dim_feedforward": 6}


def test_steps_two_heads_pre_norm(kind_of):
    wt = transformer_layer(np.eye(4)[:, :3], random_transformer_params(0, 4, 6), nhead=2, norm_first=True,
                           activation="gelu")
    assert _steps(wt) == [
        ("X", "Given the positions", "none"), ("X̂", "LayerNorm before attention", "layernorm"),
        ("Q", "Queries: Q = Wq·X̂ + bq", "none"), ("K", "Keys: K = Wk·X̂ + bk", "none"),
        ("V", "Values: V = Wv·X̂ + bv", "none"),
        ("S₁", "Head 1: scores and scaling", "scale"), ("A₁", "Head 1: softmax", "softmax"),
        ("Z₁", "Head 1: weighted values", "none"),
        ("S₂", "Head 2: scores and scaling", "scale"), ("A₂", "Head 2: softmax", "softmax"),
        ("Z₂", "Head 2: weighted values", "none"),
        ("Att", "Concatenate heads and project", "none"), ("Y", "Residual add", "none"),
        ("Ŷ", "LayerNorm before the feed-forward layers", "layernorm"),
        ("H", "Feed-forward first layer", "gelu"), ("Out", "Second layer plus identity", "none")]
    assert [kind_of(s) for s in wt.steps].count("element-wise") == 4  # X̂, A₁, A₂, Ŷ
    for step in (wt.steps[7], wt.steps[10]):  # Z₁ = V₁·A₁, Z₂ = V₂·A₂
        assert [p.role for p in step.right.parts] == ["attention"]
    att = wt.steps[11]
    assert att.right.name == "[Z₁; Z₂; 1]"
    assert [(a, b) for _, a, b in att.right.spans()] == [(0, 2), (2, 4), (4, 5)]
    y = wt.steps[12]
    # the attention skip: two n × n identities (3 positions) stacked on the right of [X | Att]
    assert y.left.name == "[X | Att]" and y.right.name == "[I; I]"
    assert [(p.role, p.shape) for p in y.right.parts] == [("identity", (3, 3)), ("identity", (3, 3))]
    out = wt.steps[-1]
    assert [(p.name, p.role) for p in out.left.parts] == [("I", "identity"), ("W2", "weight"), ("b2", "bias")]
    assert [(p.name, p.role) for p in out.right.parts] == [
        ("Y", "computed"), ("H", "computed"), ("1", "ones")]


@pytest.mark.parametrize("nhead", [1, 2, 4])
@pytest.mark.parametrize("norm_first", [False, True])
def test_head_parts_copy_the_right_cells(nhead, norm_first, walkthrough_ok):
    d, n = 8, 5
    X = np.random.default_rng(nhead).normal(size=(d, n))
    wt = transformer_layer(X, random_transformer_params(nhead, d, 7), nhead=nhead, norm_first=norm_first)
    walkthrough_ok(wt)  # every part's cells equal the cells its source_cell names
    dh = d // nhead
    scores = [s for s in wt.steps if s.op.name == "scale"]
    assert len(scores) == nhead
    for h, s in enumerate(scores):
        Kt, Q = s.left.parts[0], s.right.parts[0]
        assert Kt.shape == (n, dh) and Q.shape == (dh, n)
        # Kᵀ cell (r, c) is K[h·dh + c, r]: the transposed head block of K
        assert Kt.source_cell(2, 1) == ("K", h * dh + 1, 2)
        assert Q.source_cell(1, 3) == ("Q", h * dh + 1, 3)
        np.testing.assert_array_equal(Kt.values, wt.matrices["K"][h * dh:(h + 1) * dh, :].T)
        np.testing.assert_allclose(s.result, s.product / np.sqrt(dh), rtol=1e-15)
    for name, m in wt.matrices.items():
        if name.startswith("A") and name != "Att":
            assert m.shape == (n, n)
            np.testing.assert_allclose(m.sum(axis=0), np.ones(n), rtol=1e-12)  # softmax down each column
            assert (m > 0).all()


def test_dot_product_text_floats():
    wt = transformer_layer([[1, 3], [2, 0]], _hand_params(), nhead=1, eps=1e-12)
    z = wt.steps[6]
    # Z[1, 1] = V row 1 (1, 3) · A column 1 (1/2, 1/2) = 2
    assert dot_product_text(z, 0, 0, decimals=2) == "1·0.5 + 3·0.5 = 2"


def test_random_transformer_params():
    p = random_transformer_params(3, d=4, f=6)
    assert p.keys() == PARAM_SHAPES.keys()
    dims = {"d": 4, "f": 6}
    for k, (r, c) in PARAM_SHAPES.items():
        assert p[k].shape == (dims.get(r, r), dims.get(c, c)), k
        assert p[k].dtype == np.float64
    q = random_transformer_params(3, d=4, f=6)
    for k in p:
        np.testing.assert_array_equal(p[k], q[k])
    assert not np.array_equal(p["Wq"], random_transformer_params(4, d=4, f=6)["Wq"])
    assert abs(p["g1"].mean() - 1) < 1 and abs(p["beta1"].mean()) < 1  # LayerNorms start near γ = 1, β = 0


def test_import_byhand_does_not_import_torch():
    code = ("import sys, byhand, byhand.blocks.transformer, byhand.checks; "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"

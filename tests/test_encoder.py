"""The simplified encoder block by hand: the default example's fractions worked out in the comments."""

from fractions import Fraction

import numpy as np
import pytest
from exact import exact_equal

from byhand import ByHandError, default_encoder, dot_product_text, encoder_block, random_encoder
from byhand.blocks.encoder import random_attention

F = Fraction

# The default example (byhand/blocks/encoder.py), worked by hand.
#
# X = [ 2  0  1 ]   A = [ 1/2  0  1/3 ]   W1 = [ 1 -1 ]   b1 = [ 0]   W2 = [ 1  0 -1 ]   b2 = [ 0]
#     [ 1  3  0 ]       [ 1/2  1  1/3 ]        [ 0  1 ]        [-1]        [ 0  1  1 ]        [-1]
#                       [  0   0  1/3 ]        [ 1  1 ]        [ 1]
#
# Z = X·A (each column of Z mixes X's columns with the weights in that column of A):
#   row 1 (2, 0, 1):  2·1/2 + 0·1/2 + 1·0 = 1,   2·0 + 0·1 + 1·0 = 0,   (2 + 0 + 1)·1/3 = 1
#   row 2 (1, 3, 0):  1/2 + 3/2 + 0 = 2,          0 + 3 + 0 = 3,         (1 + 3 + 0)·1/3 = 4/3
#   Z = [[1, 0, 1], [2, 3, 4/3]]
# Y = [X | Z]·[I; I] = X·I + Z·I = X + Z = [[3, 0, 2], [3, 6, 4/3]]  (two 3×3 identities, positions)
# W1·Y:  row 1 (1,−1): 3−3 = 0,  0−6 = −6,  2−4/3 = 2/3
#        row 2 (0, 1): 3,        6,         4/3
#        row 3 (1, 1): 6,        6,         2+4/3 = 10/3
# + b1:  [[0, −6, 2/3], [2, 5, 1/3], [7, 7, 13/3]];  H = ReLU = [[0, 0, 2/3], [2, 5, 1/3], [7, 7, 13/3]]
# W2·H:  row 1 (1, 0,−1): 0−7 = −7,  0−7 = −7,   2/3−13/3 = −11/3
#        row 2 (0, 1, 1): 2+7 = 9,   5+7 = 12,   1/3+13/3 = 14/3
# + b2:  [[−7, −7, −11/3], [8, 11, 11/3]]
# Y + W2·H + b2 = [[3−7, 0−7, 2−11/3], [3+8, 6+11, 4/3+11/3]] = [[−4, −7, −5/3], [11, 17, 5]]
# Out = ReLU = [[0, 0, 0], [11, 17, 5]]
#
# Without the skips (Y is just Z = [[1, 0, 1], [2, 3, 4/3]]):
# W1·Z + b1 = [[1−2, 0−3, 1−4/3], [2−1, 3−1, 4/3−1], [3+1, 3+1, 7/3+1]]
#           = [[−1, −3, −1/3], [1, 2, 1/3], [4, 4, 10/3]]
# H = [[0, 0, 0], [1, 2, 1/3], [4, 4, 10/3]]
# W2·H + b2 = [[0−4, 0−4, 0−10/3], [1+4−1, 2+4−1, 1/3+10/3−1]] = [[−4, −4, −10/3], [4, 5, 8/3]]
# Out = ReLU = [[0, 0, 0], [4, 5, 8/3]]
Z_DEFAULT = [[1, 0, 1], [2, 3, F(4, 3)]]
Y_DEFAULT = [[3, 0, 2], [3, 6, F(4, 3)]]
H_DEFAULT = [[0, 0, F(2, 3)], [2, 5, F(1, 3)], [7, 7, F(13, 3)]]
PRE_RELU_DEFAULT = [[-4, -7, F(-5, 3)], [11, 17, 5]]
OUT_DEFAULT = [[0, 0, 0], [11, 17, 5]]
H_PLAIN_DEFAULT = [[0, 0, 0], [1, 2, F(1, 3)], [4, 4, F(10, 3)]]
OUT_PLAIN_DEFAULT = [[0, 0, 0], [4, 5, F(8, 3)]]


def test_default_example_by_hand(walkthrough_ok):
    wt = encoder_block(**default_encoder())
    walkthrough_ok(wt)
    assert wt.exact and wt.block == "encoder" and wt.params == {"residual": True}
    steps = {s.name: s for s in wt.steps}
    exact_equal(steps["Z"].result, Z_DEFAULT)
    exact_equal(steps["Y"].result, Y_DEFAULT)
    exact_equal(steps["H"].result, H_DEFAULT)
    exact_equal(steps["Out"].product, PRE_RELU_DEFAULT)
    exact_equal(wt.output, OUT_DEFAULT)
    assert type(steps["Z"].result[1, 2]) is Fraction and type(steps["Z"].result[1, 0]) is int


def test_default_example_without_skips(walkthrough_ok):
    wt = encoder_block(**default_encoder(), residual=False)
    walkthrough_ok(wt)
    assert wt.title == "Encoder block without skip connections"
    exact_equal(wt.steps[2].result, H_PLAIN_DEFAULT)
    exact_equal(wt.output, OUT_PLAIN_DEFAULT)


def test_doctest_example_by_hand():
    # X = [2 4], A = [[1/2, 0], [1/2, 1]]: Z = [2·1/2 + 4·1/2, 2·0 + 4·1] = [3, 4]
    # Y = X + Z = [5, 8];  W1 = W2 = [1], biases 0: H = [5, 8];  Out = Y + H = [10, 16]
    wt = encoder_block([[2, 4]], [["1/2", 0], ["1/2", 1]], [[1]], [0], [[1]], [0])
    exact_equal(wt.steps[1].result, [[3, 4]])
    exact_equal(wt.output, [[10, 16]])


def test_float_inputs_give_floats():
    ex = dict(default_encoder(), A=[[0.5, 0, 1 / 3], [0.5, 1, 1 / 3], [0, 0, 1 / 3]])
    wt = encoder_block(**ex)
    assert not wt.exact
    for s in wt.steps:
        for m in (s.product, s.result):
            assert m is None or m.dtype == np.float64
        if s.left is not None:
            assert all(p.values.dtype == np.float64 for p in s.left.parts + s.right.parts)
    np.testing.assert_allclose(wt.output, np.array(OUT_DEFAULT, dtype=float), rtol=1e-12, atol=1e-12)


def test_steps_with_skips(kind_of):
    wt = encoder_block(**default_encoder())
    assert [(s.name, kind_of(s), s.title) for s in wt.steps] == [
        ("X", "given", "Given the positions"), ("Z", "multiply", "Attention"),
        ("stack1", "arrange", "Stack two identities"), ("Y", "multiply", "Add"),
        ("H", "multiply", "Feed-forward first layer"), ("stack2", "arrange", "Concatenate"),
        ("Out", "multiply", "Second layer plus identity and ReLU")]
    # attention and its skip mix positions (the data on the left), the feed-forward layers features
    assert [s.data_side for s in wt.steps if kind_of(s) == "multiply"] == ["left", "left", "right", "right"]
    assert [s.op.name for s in wt.steps] == ["none", "none", "none", "none", "relu", "none", "relu"]
    assert set(wt.matrices) == {"X", "A", "W1", "b1", "W2", "b2", "Z", "Y", "H", "Out"}


def test_steps_without_skips(kind_of):
    wt = encoder_block(**default_encoder(), residual=False)
    assert [(s.name, kind_of(s), s.title) for s in wt.steps] == [
        ("X", "given", "Given the positions"), ("Z", "multiply", "Attention"),
        ("H", "multiply", "Feed-forward first layer"),
        ("Out", "multiply", "Feed-forward second layer and ReLU")]
    assert wt.steps[2].right.name == "[Z; 1]" and wt.steps[2].product_name == "W1·Z + b1"
    assert wt.steps[3].left.name == "[W2 | b2]" and wt.steps[3].right.name == "[H; 1]"


def _spans(stacked):
    return [(p.name, p.role, a, b) for p, a, b in stacked.spans()]


def test_parts_roles_names_spans_and_sources():
    wt = encoder_block(**default_encoder())
    att, stack1, add, ff1, stack2, out = wt.steps[1:]
    # A has the attention colour (the seed's bright yellow), not a weight's
    assert _spans(att.left) == [("X", "input", 0, 3)] and _spans(att.right) == [("A", "attention", 0, 3)]
    # the seed's point: around attention two n × n identities (3 positions) on the right,
    # around the feed-forward layers one d × d identity (2 features) on the left
    assert stack1.left.name == "[X | Z]" and stack1.right.name == "[I; I]"
    assert _spans(stack1.left) == [("X", "input", 0, 3), ("Z", "computed", 3, 6)]
    assert _spans(stack1.right) == [("I", "identity", 0, 3), ("I", "identity", 3, 6)]
    for p in stack1.right.parts:
        np.testing.assert_array_equal(p.values, np.eye(3, dtype=int))
        assert p.source_cell(0, 1) is None
    assert add.left is stack1.left and add.right is stack1.right
    assert _spans(ff1.left) == [("W1", "weight", 0, 2), ("b1", "bias", 2, 3)]
    assert _spans(ff1.right) == [("Y", "computed", 0, 2), ("1", "ones", 2, 3)]
    assert _spans(stack2.left) == [("I", "identity", 0, 2), ("W2", "weight", 2, 5), ("b2", "bias", 5, 6)]
    assert _spans(stack2.right) == [("Y", "computed", 0, 2), ("H", "computed", 2, 5), ("1", "ones", 5, 6)]
    assert out.left is stack2.left
    Z = stack1.left.parts[1]
    assert Z.source_cell(1, 2) == ("Z", 1, 2) and wt.matrices["Z"][1, 2] == F(4, 3)
    assert "two 3×3 identities" in out.note and "one 2×2 identity" in out.note


def test_identity_parts_give_X_plus_Z():
    wt = encoder_block(**default_encoder())
    X = np.array(default_encoder()["X"], dtype=object)
    add = wt.steps[3]
    # [X | Z]·[I; I]: the upper identity copies X, the lower one copies Z
    exact_equal(add.product, X + np.array(Z_DEFAULT, dtype=object))


def test_dot_product_text():
    wt = encoder_block(**default_encoder())
    # Z[2, 3] = row 2 of X (1, 3, 0) · column 3 of A (1/3, 1/3, 1/3)
    assert dot_product_text(wt.steps[1], 1, 2) == "1·(1/3) + 3·(1/3) + 0·(1/3) = 4/3"
    # Out's product, row 1 of [I | W2 | b2] = (1, 0, 1, 0, −1, 0)
    # times column 3 of [Y; H; 1] = (2, 4/3, 2/3, 1/3, 13/3, 1)
    assert dot_product_text(wt.steps[6], 0, 2) == (
        "1·2 + 0·(4/3) + 1·(2/3) + 0·(1/3) + (\u22121)·(13/3) + 0·1 = \u22125/3")


def _fraction_reference(ex, residual=True):
    """The block again with Python Fractions and lists, no numpy: ReLU(Y + W2·ReLU(W1·Y + b1) + b2)."""
    names = ("X", "A", "W1", "b1", "W2", "b2")
    X, A, W1, b1, W2, b2 = ([[F(v) for v in row] for row in ex[name]] for name in names)

    def matmul(P, Q):
        return [[sum((P[i][k] * Q[k][j] for k in range(len(Q))), F(0)) for j in range(len(Q[0]))]
                for i in range(len(P))]

    def add(P, Q):
        return [[p + q for p, q in zip(rp, rq)] for rp, rq in zip(P, Q)]

    def plus_bias(P, b):
        return [[p + b[i][0] for p in row] for i, row in enumerate(P)]

    def relu(P):
        return [[max(p, F(0)) for p in row] for row in P]

    Z = matmul(X, A)
    Y = add(X, Z) if residual else Z
    H = relu(plus_bias(matmul(W1, Y), b1))
    F_ = plus_bias(matmul(W2, H), b2)
    return relu(add(Y, F_) if residual else F_)


@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("seed", range(30))
def test_random_examples_against_fractions(seed, residual, walkthrough_ok):
    d, n, h = 1 + seed % 4, 1 + seed % 5, 1 + seed % 3
    ex = random_encoder(seed, d, n, h, -4, 4)
    wt = encoder_block(**ex, residual=residual)
    walkthrough_ok(wt)
    exact_equal(wt.output, _fraction_reference(ex, residual))


# ---------------------------------------------------------------- seeded examples


def test_random_encoder_same_seed_same_example():
    assert random_encoder(5) == random_encoder(5)
    assert random_encoder(2, 4, 6, 3, -5, 5) == random_encoder(2, 4, 6, 3, -5, 5)
    assert len({repr(random_encoder(s)) for s in range(30)}) == 30


@pytest.mark.parametrize("d, n, h, low, high", [(1, 1, 1, 0, 0), (2, 3, 3, -2, 2), (4, 7, 2, -9, 4),
                                                 (16, 16, 16, -99, 99)])
def test_random_encoder_sizes_and_range(d, n, h, low, high):
    ex = random_encoder(3, d, n, h, low, high)
    shapes = {k: np.array(v, dtype=object).shape for k, v in ex.items()}
    assert shapes == {"X": (d, n), "A": (n, n), "W1": (h, d), "b1": (h, 1), "W2": (d, h), "b2": (d, 1)}
    ints = np.concatenate([np.ravel(ex[k]) for k in ("X", "W1", "b1", "W2", "b2")])
    assert ints.min() >= low and ints.max() <= high
    A = np.array(ex["A"], dtype=object)
    assert all(isinstance(v, Fraction) and 0 <= v <= 1 for v in A.flat)
    assert list(A.sum(axis=0)) == [1] * n  # every column of A is a set of weights summing to 1
    assert encoder_block(**ex).output.shape == (d, n)


@pytest.mark.parametrize("seed", range(10))
def test_random_attention_columns(seed):
    n = 1 + seed
    A = np.array(random_attention(np.random.default_rng(seed), n), dtype=object)
    assert A.shape == (n, n)
    for j in range(n):
        nonzero = [v for v in A[:, j] if v != 0]
        k = len(nonzero)
        assert 1 <= k <= min(n, 3) and nonzero == [Fraction(1, k)] * k  # spread evenly: 1, 1/2 or 1/3


def test_random_encoder_refuses_bad_sizes():
    with pytest.raises(ByHandError, match="positions must be a whole number from 1 to 64, not 0"):
        random_encoder(0, positions=0)
    with pytest.raises(ByHandError, match="features must be a whole number from 1 to 64, not 65"):
        random_encoder(0, features=65)


def test_attention_matrix_has_its_own_role_everywhere():
    from byhand.blocks import BLOCKS

    assert [(i.name, i.role) for i in BLOCKS["encoder"].inputs][:2] == [("X", "input"), ("A", "attention")]
    for residual in (True, False):
        wt = encoder_block(**default_encoder(), residual=residual)
        roles = {p.role for s in wt.steps if s.left is not None
                 for p in (*s.left.parts, *s.right.parts) if p.name == "A"}
        assert roles == {"attention"}

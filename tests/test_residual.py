"""The residual block by hand: values worked out in the comments, steps, parts and the seeded examples."""

from fractions import Fraction

import numpy as np
import pytest
from exact import exact_equal

from byhand import ByHandError, default_residual, dot_product_text, random_residual, residual_block
from byhand.checks import MAX_VALUE

F = Fraction

# The default example (byhand/blocks/residual.py), worked by hand.
#
# X = [ 1  2  0 ]   W1 = [ 1  0  1 ]   b1 = [0]   W2 = [ 1 -1  0 ]   b2 = [ 0]
#     [ 0  1  1 ]        [ 0  1 -1 ]        [1]        [ 0  1  1 ]        [-1]
#     [ 2 -1  1 ]        [-1  1  0 ]        [0]        [ 1  0 -1 ]        [ 1]
#
# W1·X:  row 1 (1, 0, 1):  1·1+0·0+1·2 = 3,   1·2+0·1+1·(−1) = 1,   1·0+0·1+1·1 = 1
#        row 2 (0, 1,−1):  0+0−2 = −2,        0+1+1 = 2,            0+1−1 = 0
#        row 3 (−1, 1, 0): −1+0+0 = −1,       −2+1+0 = −1,          0+1+0 = 1
# + b1 (row 2 gets +1):    W1·X + b1 = [[3, 1, 1], [−1, 3, 1], [−1, −1, 1]]
# H = ReLU(...)          = [[3, 1, 1], [0, 3, 1], [0, 0, 1]]
# W2·H:  row 1 (1,−1, 0):  3−0 = 3,   1−3 = −2,   1−1 = 0
#        row 2 (0, 1, 1):  0+0 = 0,   3+0 = 3,    1+1 = 2
#        row 3 (1, 0,−1):  3−0 = 3,   1−0 = 1,    1−1 = 0
# F(X) = W2·H + b2       = [[3, −2, 0], [−1, 2, 1], [4, 2, 1]]
# X + F(X)               = [[4, 0, 0], [−1, 3, 2], [6, 1, 2]]
# Out = ReLU(X + F(X))   = [[4, 0, 0], [0, 3, 2], [6, 1, 2]]
# Without the skip: ReLU(F(X)) = [[3, 0, 0], [0, 2, 1], [4, 2, 1]]
H_DEFAULT = [[3, 1, 1], [0, 3, 1], [0, 0, 1]]
W1X_B1_DEFAULT = [[3, 1, 1], [-1, 3, 1], [-1, -1, 1]]
X_PLUS_F_DEFAULT = [[4, 0, 0], [-1, 3, 2], [6, 1, 2]]
F_DEFAULT = [[3, -2, 0], [-1, 2, 1], [4, 2, 1]]
OUT_DEFAULT = [[4, 0, 0], [0, 3, 2], [6, 1, 2]]
OUT_PLAIN_DEFAULT = [[3, 0, 0], [0, 2, 1], [4, 2, 1]]


def test_default_example_by_hand(walkthrough_ok):
    wt = residual_block(**default_residual())
    walkthrough_ok(wt)
    assert wt.exact and wt.block == "residual" and wt.params == {"residual": True}
    steps = {s.name: s for s in wt.steps}
    exact_equal(steps["H"].product, W1X_B1_DEFAULT)
    exact_equal(steps["H"].result, H_DEFAULT)
    exact_equal(steps["Out"].product, X_PLUS_F_DEFAULT)
    exact_equal(wt.output, OUT_DEFAULT)
    assert all(type(v) is int for v in wt.output.flat)  # integers print plainly, never Fraction(4, 1)


def test_default_example_without_skip(walkthrough_ok):
    wt = residual_block(**default_residual(), residual=False)
    walkthrough_ok(wt)
    assert wt.title == "Plain block (no skip)" and wt.params == {"residual": False}
    exact_equal(wt.steps[-1].product, F_DEFAULT)
    exact_equal(wt.output, OUT_PLAIN_DEFAULT)


# A second example, with fractions, worked by hand (d = 2 features, n = 1 sample, h = 1):
# X = [1/2; 1], W1 = [2 0], b1 = [1/3], W2 = [1; −1], b2 = [0; 1/2]
# W1·X + b1 = 2·(1/2) + 0·1 + 1/3 = 4/3;  H = ReLU(4/3) = 4/3
# F(X) = W2·H + b2 = [4/3 + 0; −4/3 + 1/2] = [4/3; −5/6]
# X + F(X) = [1/2 + 4/3; 1 − 5/6] = [11/6; 1/6];  Out = ReLU = [11/6; 1/6]
# Without the skip: ReLU([4/3; −5/6]) = [4/3; 0]
FRACTION_EXAMPLE = {"X": [["1/2"], [1]], "W1": [[2, 0]], "b1": [F(1, 3)], "W2": [[1], [-1]], "b2": [0, "1/2"]}


def test_fraction_example_by_hand():
    wt = residual_block(**FRACTION_EXAMPLE)
    exact_equal(wt.steps[1].result, [[F(4, 3)]])
    exact_equal(wt.steps[-1].product, [[F(11, 6)], [F(1, 6)]])
    exact_equal(wt.output, [[F(11, 6)], [F(1, 6)]])
    exact_equal(residual_block(**FRACTION_EXAMPLE, residual=False).output, [[F(4, 3)], [0]])


def test_float_inputs_give_floats():
    ex = dict(FRACTION_EXAMPLE, X=[[0.5], [1.0]])  # one float matrix makes the whole walkthrough float
    wt = residual_block(**ex)
    assert not wt.exact
    for s in wt.steps:
        for m in (s.product, s.result):
            assert m is None or m.dtype == np.float64
    np.testing.assert_allclose(wt.output, [[11 / 6], [1 / 6]], rtol=1e-12)
    assert wt.inputs["W1"].dtype == np.float64


def test_doctest_example_by_hand():
    # X = [1 −1], W1 = [2], b1 = 0: H = ReLU([2 −2]) = [2 0];  W2 = [1], b2 = −1: F = [1 −1]
    # X + F = [2 −2];  Out = ReLU = [2 0]
    wt = residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]])
    exact_equal(wt.steps[1].result, [[2, 0]])
    exact_equal(wt.steps[-1].product, [[2, -2]])
    exact_equal(wt.output, [[2, 0]])


def test_steps_with_skip(kind_of):
    wt = residual_block(**default_residual())
    assert [(s.name, kind_of(s)) for s in wt.steps] == [
        ("X", "given"), ("H", "multiply"), ("stack", "arrange"), ("Out", "multiply")]
    assert [s.title for s in wt.steps] == [
        "Given the mini-batch", "Linear layer and ReLU", "Concatenate I, W2, b2 and stack X, H, 1",
        "Multiply and ReLU"]
    assert [s.op.name for s in wt.steps] == ["none", "relu", "none", "relu"]
    assert wt.steps[1].product_name == "W1·X + b1" and wt.steps[3].product_name == "X + F(X)"
    assert all(s.data_side in (None, "right") for s in wt.steps)
    assert all(s.note == "" for s in wt.steps)  # ReLU keeps the fractions
    assert set(wt.matrices) == {"X", "W1", "b1", "W2", "b2", "H", "Out"}


def test_steps_without_skip(kind_of):
    wt = residual_block(**default_residual(), residual=False)
    assert [(s.name, kind_of(s), s.title) for s in wt.steps] == [
        ("X", "given", "Given the mini-batch"), ("H", "multiply", "Linear layer and ReLU"),
        ("Out", "multiply", "Second layer and ReLU")]
    last = wt.steps[-1]
    assert last.left.name == "[W2 | b2]" and last.right.name == "[H; 1]"
    assert not any(p.role == "identity" for s in wt.steps if s.left for p in s.left.parts)


def _spans(stacked):
    return [(p.name, p.role, a, b) for p, a, b in stacked.spans()]


def test_parts_roles_names_and_spans():
    wt = residual_block(**default_residual())
    layer1, stack, out = wt.steps[1], wt.steps[2], wt.steps[3]
    assert layer1.left.name == "[W1 | b1]" and layer1.right.name == "[X; 1]"
    assert _spans(layer1.left) == [("W1", "weight", 0, 3), ("b1", "bias", 3, 4)]
    assert _spans(layer1.right) == [("X", "input", 0, 3), ("1", "ones", 3, 4)]
    assert stack.left.name == "[I | W2 | b2]" and stack.right.name == "[X; H; 1]"
    assert _spans(stack.left) == [
        ("I", "identity", 0, 3), ("W2", "weight", 3, 6), ("b2", "bias", 6, 7)]
    assert _spans(stack.right) == [
        ("X", "input", 0, 3), ("H", "computed", 3, 6), ("1", "ones", 6, 7)]
    assert out.left is stack.left and out.right is stack.right
    # the identity meets X, W2 meets H, b2 meets the ones
    for (lp, la, lb), (rp, ra, rb) in zip(stack.left.spans(), stack.right.spans()):
        assert (la, lb) == (ra, rb), (lp.name, rp.name)
    p, k = stack.right.part_at(4)
    assert (p.name, k) == ("H", 1)


def test_source_cells():
    wt = residual_block(**default_residual())
    stack = wt.steps[2]
    I, W2, b2 = stack.left.parts
    X, H, one = stack.right.parts
    assert I.source_cell(0, 0) is None and one.source_cell(0, 2) is None
    assert W2.source_cell(2, 1) == ("W2", 2, 1) and b2.source_cell(1, 0) == ("b2", 1, 0)
    assert X.source_cell(0, 1) == ("X", 0, 1) and H.source_cell(1, 2) == ("H", 1, 2)
    assert wt.matrices["H"][1, 2] == H.values[1, 2] == 1


def test_identity_part_is_the_identity_and_product_is_F_plus_X():
    wt = residual_block(**default_residual())
    stack, out = wt.steps[2], wt.steps[3]
    I = stack.left.parts[0]
    np.testing.assert_array_equal(I.values, np.eye(3, dtype=int))
    X = np.array(default_residual()["X"])
    # I·X = X: the identity's columns meet X's rows and copy it
    np.testing.assert_array_equal(I.values.astype(int) @ X, X)
    exact_equal(out.product, np.array(F_DEFAULT) + X)


@pytest.mark.parametrize("seed", range(40))
def test_stacked_product_is_F_plus_X(seed):
    d, n, h = 1 + seed % 5, 1 + seed % 4, 1 + seed % 6
    ex = random_residual(seed, d, n, h, -3, 3)
    wt = residual_block(**ex)
    X, W1, b1, W2, b2 = (np.array(ex[k], dtype=np.int64) for k in ("X", "W1", "b1", "W2", "b2"))
    H = np.maximum(W1 @ X + b1, 0)
    stack, out = wt.steps[2], wt.steps[3]
    np.testing.assert_array_equal(stack.left.parts[0].values, np.eye(d, dtype=int))
    exact_equal(out.product, X + (W2 @ H + b2))
    exact_equal(wt.output, np.maximum(X + W2 @ H + b2, 0))
    exact_equal(residual_block(**ex, residual=False).output, np.maximum(W2 @ H + b2, 0))


def test_dot_product_text():
    wt = residual_block(**default_residual())
    # [W1 | b1] row 1 = (1, 0, 1, 0), [X; 1] column 1 = (1, 0, 2, 1)
    assert dot_product_text(wt.steps[1], 0, 0) == "1·1 + 0·0 + 1·2 + 0·1 = 3"
    # [I | W2 | b2] row 2 = (0, 1, 0, 0, 1, 1, −1), [X; H; 1] column 1 = (1, 0, 2, 3, 0, 0, 1)
    assert dot_product_text(wt.steps[3], 1, 0) == (
        "0·1 + 1·0 + 0·2 + 0·3 + 1·0 + 1·0 + (\u22121)·1 = \u22121")
    wt = residual_block(**FRACTION_EXAMPLE)
    assert dot_product_text(wt.steps[1], 0, 0) == "2·(1/2) + 0·1 + (1/3)·1 = 4/3"
    with pytest.raises(ValueError, match="not a multiply"):
        dot_product_text(wt.steps[0], 0, 0)
    with pytest.raises(ValueError, match="not a multiply"):
        dot_product_text(wt.steps[2], 0, 0)


def test_dot_product_text_floats():
    wt = residual_block(**dict(FRACTION_EXAMPLE, X=[[0.5], [1.0]]))
    assert dot_product_text(wt.steps[1], 0, 0, decimals=2) == "2·0.5 + 0·1 + 0.33·1 = 1.33"


# ---------------------------------------------------------------- seeded examples


def test_random_residual_same_seed_same_example():
    assert random_residual(7) == random_residual(7)
    assert random_residual(3, 4, 5, 6, -9, 9) == random_residual(3, 4, 5, 6, -9, 9)


def test_random_residual_seeds_differ():
    examples = [random_residual(s) for s in range(30)]
    assert len({repr(e) for e in examples}) == 30


@pytest.mark.parametrize("d, n, h, low, high", [(1, 1, 1, 0, 0), (3, 3, 3, -2, 2), (5, 2, 7, -9, 4),
                                                 (16, 16, 16, -99, 99), (2, 64, 1, 1, 3)])
def test_random_residual_sizes_and_range(d, n, h, low, high):
    ex = random_residual(11, d, n, h, low, high)
    shapes = {k: np.array(v).shape for k, v in ex.items()}
    assert shapes == {"X": (d, n), "W1": (h, d), "b1": (h, 1), "W2": (d, h), "b2": (d, 1)}
    values = np.concatenate([np.ravel(v) for v in ex.values()])
    assert values.min() >= low and values.max() <= high
    assert all(type(v) is int for m in ex.values() for row in m for v in row)
    if high - low >= 4:
        assert values.min() < values.max()
    assert residual_block(**ex).output.shape == (d, n)


@pytest.mark.parametrize("kw, match", [
    ({"features": 0}, "features must be a whole number from 1 to 64, not 0"),
    ({"samples": 65}, "samples must be a whole number from 1 to 64, not 65"),
    ({"hidden": 2.5}, "hidden size must be a whole number"),
    ({"hidden": True}, "hidden size must be a whole number"),
    ({"low": -MAX_VALUE - 1}, "lowest value must be a whole number from -99 to 99"),
    ({"high": 100}, "highest value must be"),
    ({"low": 2, "high": 1}, r"the lowest value \(2\) is above the highest \(1\)"),
])
def test_random_residual_refuses_bad_sizes(kw, match):
    with pytest.raises(ByHandError, match=match):
        random_residual(0, **kw)

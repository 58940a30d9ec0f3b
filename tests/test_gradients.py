"""The Jacobian I + ∂F/∂x, the backprop rule and the unrolled view, worked by hand in the comments."""

from fractions import Fraction

import numpy as np
import pytest
from exact import exact_equal

from byhand import ByHandError
from byhand.blocks.jacobian import (
    MAX_BLOCKS,
    backprop_block,
    block_jacobian,
    default_jacobian,
    default_unrolled,
    jacobian_walkthrough,
    random_jacobian,
    relu_derivative,
    unrolled_walkthrough,
)
from byhand.walkthrough import Step

F = Fraction

# The default (the residual walkthrough's block at its second sample), worked by hand.
#
# x = (2, 1, −1)ᵀ   W1 = [ 1  0  1 ]   b1 = (0, 1, 0)ᵀ   W2 = [ 1 -1  0 ]
#                        [ 0  1 -1 ]                          [ 0  1  1 ]
#                        [-1  1  0 ]                          [ 1  0 -1 ]
# z = W1·x + b1 = (2 + 0 − 1, 0 + 1 + 1 + 1, −2 + 1 + 0) = (1, 3, −1)
# D = diag(ReLU′(z)) = diag(1, 1, 0)
# D·W1 = [[1, 0, 1], [0, 1, −1], [0, 0, 0]]              (row 3 blocked)
# W2·(D·W1): row 1 = 1·(1, 0, 1) − 1·(0, 1, −1)   = (1, −1, 2)
#            row 2 = 1·(0, 1, −1) + 1·(0, 0, 0)   = (0, 1, −1)
#            row 3 = 1·(1, 0, 1) − 1·(0, 0, 0)    = (1, 0, 1)
# I + ∂F/∂x = [[2, −1, 2], [0, 2, −1], [1, 0, 2]]
# δ = (1, −1, 2):  δ·∂F/∂x = (1 + 0 + 2, −1 − 1 + 0, 2 + 1 + 2) = (3, −2, 5)
#                  δ·(I + ∂F/∂x) = δ + δ·∂F/∂x = (4, −3, 7)
Z = [[1], [3], [-1]]
D = [[1, 0, 0], [0, 1, 0], [0, 0, 0]]
DW1 = [[1, 0, 1], [0, 1, -1], [0, 0, 0]]
JF = [[1, -1, 2], [0, 1, -1], [1, 0, 1]]
J = [[2, -1, 2], [0, 2, -1], [1, 0, 2]]
DELTA_PLAIN = [[3, -2, 5]]
DELTA_IN = [[4, -3, 7]]


def _block(**kw):
    d = default_jacobian()
    d.pop("delta")
    d.update(kw)
    return d


def test_default_jacobian_by_hand():
    exact_equal(block_jacobian(**_block()), J)
    exact_equal(block_jacobian(**_block(), residual=False), JF)


def test_default_backprop_by_hand():
    d = default_jacobian()
    exact_equal(backprop_block(d["delta"], **_block()), DELTA_IN)
    exact_equal(backprop_block(d["delta"], **_block(), residual=False), DELTA_PLAIN)
    # δ given as a flat list or a column gives the same row
    exact_equal(backprop_block([1, -1, 2], **_block()), DELTA_IN)
    exact_equal(backprop_block([[1], [-1], [2]], **_block()), DELTA_IN)


def test_walkthrough_steps_by_hand(walkthrough_ok, kind_of):
    wt = jacobian_walkthrough(**default_jacobian())
    walkthrough_ok(wt)
    assert wt.block == "jacobian" and wt.exact and wt.params == {"residual": True, "kinks": []}
    steps = {s.name: s for s in wt.steps}
    assert [s.name for s in wt.steps] == ["x", "z", "D", "DW1", "JF", "stackJ", "J", "δ_plain", "δ_in"]
    assert all(isinstance(s, Step) for s in wt.steps)
    assert [kind_of(s) for s in wt.steps] == ["given", "multiply", "element-wise", "multiply", "multiply",
                                             "arrange", "multiply", "multiply", "multiply"]
    exact_equal(steps["z"].result, Z)
    exact_equal(steps["D"].result, D)
    exact_equal(steps["DW1"].result, DW1)
    exact_equal(steps["JF"].result, JF)
    exact_equal(steps["J"].result, J)
    exact_equal(steps["δ_plain"].result, DELTA_PLAIN)
    exact_equal(wt.output, DELTA_IN)
    # the sum is a stacked multiply [I | I]·[I; ∂F/∂x], the identities coloured as the skip
    assert steps["J"].left.name == "[I | I]" and steps["J"].right.name == "[I; JF]"
    assert [p.role for p in steps["J"].left.parts] == ["identity", "identity"]
    assert steps["z"].left.name == "[W1 | b1]" and steps["z"].right.name == "[x; 1]"
    # the gradient is a row being mixed: it is the data on the left
    assert steps["δ_in"].data_side == "left" and steps["δ_in"].left.name == "δ"


def test_walkthrough_without_skip(walkthrough_ok):
    wt = jacobian_walkthrough(**default_jacobian(), residual=False)
    walkthrough_ok(wt)
    assert [s.name for s in wt.steps] == ["x", "z", "D", "DW1", "JF", "δ_plain"]
    exact_equal(wt.output, DELTA_PLAIN)


def test_default_delta_is_all_ones():
    wt = jacobian_walkthrough(**_block())
    # (1, 1, 1)·J = column sums of J = (2 + 0 + 1, −1 + 2 + 0, 2 − 1 + 2) = (3, 1, 3)
    exact_equal(wt.output, [[3, 1, 3]])


def test_fractions_stay_exact():
    # d = 1, h = 1:  x = 1/2, W1 = 2/3, b1 = −1/6  →  z = 1/3 − 1/6 = 1/6 > 0, D = (1)
    # ∂F/∂x = W2·W1 = (3/4)·(2/3) = 1/2;  I + ∂F/∂x = 3/2;  δ = 1/3 → δ·J = 1/2
    wt = jacobian_walkthrough(["1/2"], [["2/3"]], ["-1/6"], [["3/4"]], [5], ["1/3"])
    exact_equal({s.name: s for s in wt.steps}["z"].result, [[F(1, 6)]])
    exact_equal({s.name: s for s in wt.steps}["J"].result, [[F(3, 2)]])
    exact_equal(wt.output, [[F(1, 2)]])


def test_floats_are_floats():
    J_ = block_jacobian([0.5, 1.0], [[1.0, 0.0], [0.0, 1.0]], [0, 0], [[0.25, 0], [0, 1]], [0, 0])
    assert J_.dtype == float
    np.testing.assert_array_equal(J_, [[1.25, 0.0], [0.0, 2.0]])
    wt = jacobian_walkthrough([1, 2], [[1, 0], [0, 1]], [0, 0], [[1, 0], [0, 1]], [0, 0], [0.5, 0.5])
    assert not wt.exact
    np.testing.assert_array_equal(wt.output, [[1.0, 1.0]])


def test_relu_kink_takes_zero():
    # x = (1, −1), W1 = [[1, 1], [1, 0]], b1 = 0: z = (0, 1): unit 1 sits exactly on the kink,
    # ReLU′(0) = 0 (as torch) so row 1 of W1 is blocked: D·W1 = [[0, 0], [1, 0]];
    # W2 = I: ∂F/∂x = [[0, 0], [1, 0]], I + ∂F/∂x = [[1, 0], [1, 1]]
    wt = jacobian_walkthrough([1, -1], [[1, 1], [1, 0]], [0, 0], [[1, 0], [0, 1]], [0, 0])
    steps = {s.name: s for s in wt.steps}
    exact_equal(steps["D"].result, [[0, 0], [0, 1]])
    exact_equal(steps["J"].result, [[1, 0], [1, 1]])
    assert wt.params["kinks"] == [1]
    assert "ReLU′(0)" in steps["D"].note and "PyTorch" in steps["D"].note
    assert steps["JF"].note == ""


def test_relu_derivative():
    exact_equal(relu_derivative(np.array([[2], [0], [-1], [F(1, 3)]], dtype=object)), [[1], [0], [0], [1]])
    np.testing.assert_array_equal(relu_derivative(np.array([[0.5, -0.0, 0.0, -2.0]])), [[1, 0, 0, 0]])


def test_plain_block_may_change_the_width():
    # W2 is 1 × 2: F maps 2 features to 1, so ∂F/∂x is 1 × 2 = W2·D·W1 = (1, 1)·I = (1, 1)
    exact_equal(block_jacobian([1, 1], [[1, 0], [0, 1]], [0, 0], [[1, 1]], [0], residual=False), [[1, 1]])
    with pytest.raises(ByHandError, match="W2 is 1×2 but must be 2×2: the skip connection adds x"):
        block_jacobian([1, 1], [[1, 0], [0, 1]], [0, 0], [[1, 1]], [0])


@pytest.mark.parametrize("change, message", [
    ({"x": [[1, 2], [3, 4], [5, 6]]}, "x is 3×2 but must be 3×1: x is one sample"),
    ({"W1": [[1, 0], [0, 1]]}, "W1 is 2×2 but must be 2×3: x has 3 features"),
    ({"b1": [1, 2]}, "b1 is 2×1 but must be 3×1: one bias per row of W1"),
    ({"b2": [1]}, "b2 is 1×1 but must be 3×1"),
    ({"x": [1, "a", 2]}, "x, row 2, column 1: 'a' is not a number"),
    ({"W1": [[1, 0, 1], [0, float("nan"), 1], [0, 0, 0]]}, "W1, row 2, column 2: nan is not a finite"),
    ({"W2": [[1, 0, 1], [0, "", 1], [0, 0, 0]]}, "W2, row 2, column 2: the cell is empty"),
])
def test_bad_input_names_the_matrix(change, message):
    with pytest.raises(ByHandError, match=message):
        block_jacobian(**_block(**change))
    with pytest.raises(ByHandError, match=message):
        jacobian_walkthrough(**_block(**change))


def test_bad_delta():
    with pytest.raises(ByHandError, match="δ is 1×2 but must be 1×3: the upstream gradient"):
        jacobian_walkthrough(**_block(), delta=[1, 2])
    with pytest.raises(ByHandError, match="δ, row 1, column 3: inf is not a finite"):
        backprop_block([1, 2, float("inf")], **_block())


# The default unrolled example, worked by hand (2 features, hidden size 2, x0 = (1, 2)):
# block 1: H1 = ReLU(I·x0) = (1, 2);   F1 = [[0, 1], [1, 0]]·H1 + (0, −1) = (2, 1 − 1) = (2, 0);  x1 = (3, 2)
# block 2: z = [[1, −1], [0, 1]]·x1 + (0, −1) = (1, 1);  H2 = (1, 1);
#          F2 = [[−1, 0], [1, 1]]·H2 = (−1, 2);  x2 = (2, 4)
# block 3: z = [[−1, 1], [1, 0]]·x2 + (0, −3) = (2, −1);  H3 = (2, 0);
#          F3 = [[1, 0], [0, −1]]·H3 + (−1, 0) = (1, 0);  x3 = (3, 4)
# unrolled: x0 + F1 + F2 + F3 = (1 + 2 − 1 + 1, 2 + 0 + 2 + 0) = (3, 4) = x3
def test_unrolled_by_hand(walkthrough_ok):
    wt = unrolled_walkthrough(**default_unrolled())
    walkthrough_ok(wt)
    steps = {s.name: s for s in wt.steps}
    for name, want in [("H1", [[1], [2]]), ("F1", [[2], [0]]), ("x1", [[3], [2]]), ("H2", [[1], [1]]),
                       ("F2", [[-1], [2]]), ("x2", [[2], [4]]), ("H3", [[2], [0]]), ("F3", [[1], [0]]),
                       ("x3", [[3], [4]])]:
        exact_equal(steps[name].result, want)
    exact_equal(wt.output, [[3], [4]])
    last = wt.steps[-1]
    assert last.name == "sum" and last.left.name == "[I | I | I | I]"
    assert last.right.name == "[x0; F1; F2; F3]"
    assert [p.role for p in last.left.parts] == ["identity"] * 4
    assert wt.block == "unrolled" and wt.params == {"residual": True, "blocks": 3}


def test_unrolled_plain(walkthrough_ok):
    # without skips: x1 = F1(x0) = (2, 0); z = [[1, −1], [0, 1]]·(2, 0) + (0, −1) = (2, −1) → H2 = (2, 0)
    # x2 = [[−1, 0], [1, 1]]·(2, 0) = (−2, 2); z = [[−1, 1], [1, 0]]·(−2, 2) + (0, −3) = (4, −5)
    # H3 = (4, 0); x3 = [[1, 0], [0, −1]]·(4, 0) + (−1, 0) = (3, 0)
    wt = unrolled_walkthrough(**default_unrolled(), residual=False)
    walkthrough_ok(wt)
    exact_equal(wt.output, [[3], [0]])
    assert "sum" not in [s.name for s in wt.steps]


def test_unrolled_several_samples(walkthrough_ok):
    blk = {"W1": [[1]], "b1": [0], "W2": [[1]], "b2": [1]}
    # x = (2, −1): F1 = (ReLU(2) + 1, ReLU(−1) + 1) = (3, 1) → x1 = (5, 0); F2 = (6, 1) → x2 = (11, 1)
    wt = unrolled_walkthrough([[2, -1]], [blk, blk])
    walkthrough_ok(wt)
    exact_equal(wt.output, [[11, 1]])


def test_unrolled_bad_input():
    u = default_unrolled()
    with pytest.raises(ByHandError, match=f"from 1 to {MAX_BLOCKS} blocks"):
        unrolled_walkthrough(u["x0"], [])
    with pytest.raises(ByHandError, match=f"from 1 to {MAX_BLOCKS} blocks"):
        unrolled_walkthrough(u["x0"], u["blocks"] * 3)
    with pytest.raises(ByHandError, match="block 2 needs W1, b1, W2 and b2"):
        unrolled_walkthrough(u["x0"], [u["blocks"][0], {"W1": [[1]]}])
    bad = [dict(b) for b in u["blocks"]]
    bad[1]["W2"] = [[1, 0]]
    with pytest.raises(ByHandError, match="W2_2 is 1×2 but must be 2×2"):
        unrolled_walkthrough(u["x0"], bad)


def test_random_jacobian_is_seeded_and_sized(walkthrough_ok):
    a, b = random_jacobian(11, features=2, hidden=4), random_jacobian(11, features=2, hidden=4)
    assert a == b and a != random_jacobian(12, features=2, hidden=4)
    assert [len(a[k]) for k in ("x", "W1", "b1", "W2", "b2", "delta")] == [2, 4, 4, 2, 2, 1]
    assert len(a["W1"][0]) == 2 and len(a["W2"][0]) == 4 and len(a["delta"][0]) == 2
    assert all(-2 <= v <= 2 for m in a.values() for row in m for v in row)
    walkthrough_ok(jacobian_walkthrough(**a))
    with pytest.raises(ByHandError, match="features must be a whole number from 1 to 64"):
        random_jacobian(1, features=0)


@pytest.mark.parametrize("build", [
    lambda: jacobian_walkthrough(**default_jacobian()),
    lambda: jacobian_walkthrough(**random_jacobian(3), residual=False),
    lambda: unrolled_walkthrough(**default_unrolled()),
])
def test_practice_and_worksheets_take_the_walkthroughs(build):
    """Proper Steps: practice mode and the PDF / XLSX worksheets render them unchanged."""
    from byhand.practice import answer_cells, make_exercise
    from byhand.render.pdf import worksheet_pdf
    from byhand.render.xlsx import worksheet_xlsx

    wt = build()
    ex = make_exercise(wt, "all", seed=1, code="jacobian/1")
    assert len(answer_cells(wt)) > 0
    assert worksheet_pdf(ex, answers=True)[:4] == b"%PDF"
    assert worksheet_xlsx(ex)[:2] == b"PK"


def test_relu_prime_step_builds_d_from_a_negative_a_zero_and_a_positive():
    # x = (1, 1), W1 = [[−1, 0], [1, −1], [1, 1]], b1 = 0: z = (−1, 0, 2).
    # diag(z) = [[−1, 0, 0], [0, 0, 0], [0, 0, 2]]; ReLU′ cell by cell: D = diag(0, 0, 1).
    # D·W1 = [[0, 0], [0, 0], [1, 1]]; W2 = [[1, 0, 1], [0, 1, 0]]: ∂F/∂x = [[1, 1], [0, 0]],
    # I + ∂F/∂x = [[2, 1], [0, 1]]; δ = (1, 1): δ·J = (2, 2).
    wt = jacobian_walkthrough([1, 1], [[-1, 0], [1, -1], [1, 1]], [0, 0, 0], [[1, 0, 1], [0, 1, 0]], [0, 0])
    steps = {s.name: s for s in wt.steps}
    d = steps["D"]
    assert d.kind == "elementwise" and d.op.name == "relu_prime" and d.product_name == "diag(z)"
    assert d.answer_region == "result"
    exact_equal(d.product, [[-1, 0, 0], [0, 0, 0], [0, 0, 2]])
    exact_equal(d.result, [[0, 0, 0], [0, 0, 0], [0, 0, 1]])
    # the diagonal of its input copies z; the rest are constant zeros
    assert [d.copies.source_cell(i, i) for i in range(3)] == [("z", 0, 0), ("z", 1, 0), ("z", 2, 0)]
    assert tuple(d.copies.cells[0, 1]) == (-1, -1)
    exact_equal(steps["JF"].result, [[1, 1], [0, 0]])
    exact_equal(steps["J"].result, [[2, 1], [0, 1]])
    exact_equal(wt.output, [[2, 2]])
    # the kink note names row 2 of z: it quotes z, so a sheet with z blank leaves it out
    assert "Row 2 of z is exactly 0" in d.note and d.quotes == ("z",)

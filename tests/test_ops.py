"""Each element-wise op owns its maths, its words and its spreadsheet formula (byhand/ops.py);
each step says its kind and where its answer is (byhand/walkthrough.py).

Expected values are worked out by hand (softmax and LayerNorm with math's exp and sqrt).
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy

from byhand.ops import GELU_OP, NONE, RELU, SIGMOID, TANH, LayerNorm, Op, Scale, Softmax, spreadsheet_number
from byhand.stacked import hstack, part, vstack
from byhand.walkthrough import arrange_step, given_step, multiply_step, op_step


def exact(rows) -> np.ndarray:
    return np.array(rows, dtype=object)


def test_relu_keeps_fractions_and_zeroes_negatives():
    out = RELU.apply(exact([[F(-1, 2), F(3, 4)], [0, -7]]))
    assert out.dtype == object
    assert out.tolist() == [[0, F(3, 4)], [0, 0]]
    assert RELU.exact and RELU.latex == r"\mathrm{ReLU}"


def test_identity_op_returns_its_input():
    m = exact([[1, F(1, 3)]])
    assert NONE.apply(m) is m
    assert NONE.formula("C3", None, 0) == "=C3"
    assert isinstance(NONE, Op) and NONE.name == "none"


def test_scale_is_exact_for_an_exact_factor_and_float_otherwise():
    half = Scale(F(1, 2), "× 1/2")
    assert half.exact and half.apply(exact([[3, -1]])).tolist() == [[F(3, 2), F(-1, 2)]]
    root = Scale(1 / math.sqrt(2), "× 1/√2")
    assert not root.exact
    np.testing.assert_allclose(root.apply(exact([[2, 4]])), [[math.sqrt(2), 2 * math.sqrt(2)]])
    assert root.latex == r"\times \tfrac{1}{\sqrt{2}}"
    assert half.formula("B2", None, 0) == "=B2*(1/2)"


def test_softmax_goes_down_each_column():
    out = Softmax().apply(exact([[0, 1], [0, 1]]))
    np.testing.assert_allclose(out, [[0.5, 0.5], [0.5, 0.5]])
    out = Softmax().apply(exact([[math.log(3)], [0]]))
    np.testing.assert_allclose(out, [[0.75], [0.25]])
    assert Softmax(0.5).formula("B2", "B2:B4", 0) == (
        "=EXP(B2*0.5-MAX(B2:B4)*0.5)/SUMPRODUCT(EXP(B2:B4*0.5-MAX(B2:B4)*0.5))")
    assert Softmax().formula("B2", None, 0) is None  # a column that is not one range has no formula
    assert Softmax.whole_column and not Softmax().exact


def test_layernorm_normalises_each_column():
    # column (1, 3): mean 2, variance 1, so (−1, 1) with ε = 0; then γ = (2, 1), β = (0, 5)
    out = LayerNorm([2, 1], [0, 5], 0.0).apply(exact([[1, 0], [3, 4]]))
    np.testing.assert_allclose(out, [[-2.0, -2.0], [6.0, 6.0]])
    assert LayerNorm([2, 1], [0, 5], 1e-5).formula("B2", "B2:B3", 1) == (
        "=(B2-AVERAGE(B2:B3))/SQRT(VARP(B2:B3)+1e-05)*1.0+5.0")


def test_gelu_matches_x_times_the_normal_cdf():
    # Φ(1) = 0.8413447460685429 (normal table), so GELU(1) = 0.8413…; GELU(0) = 0
    np.testing.assert_allclose(GELU_OP.apply(exact([[1, 0]])), [[0.8413447460685429, 0.0]])
    assert GELU_OP.formula("A1", None, 0) == "=A1*(1+ERF(A1/SQRT(2)))/2"


def test_tanh_and_sigmoid_as_torch_and_symbolic():
    # tanh(1) = (e − 1/e)/(e + 1/e) = 0.7615941559557649; σ(0) = 1/2, σ(2) = 1/(1 + e⁻²) = 0.8807970779778823
    np.testing.assert_allclose(TANH.apply(exact([[1, 0]])), [[0.7615941559557649, 0.0]])
    np.testing.assert_allclose(SIGMOID.apply(exact([[0, 2, -800]])), [[0.5, 0.8807970779778823, 0.0]])
    x = sympy.Symbol("x")
    assert TANH.apply(np.array([[x]], dtype=object))[0, 0] == sympy.tanh(x)
    assert SIGMOID.apply(np.array([[x]], dtype=object))[0, 0] == 1 / (1 + sympy.exp(-x))
    assert (TANH.formula("A1", None, 0), SIGMOID.formula("A1", None, 0)) == ("=TANH(A1)", "=1/(1+EXP(-A1))")
    assert not TANH.exact and not SIGMOID.exact


def test_hints_name_the_cell_and_what_to_do():
    assert RELU.hint("Z", 0, 1, "−3") == ("ReLU keeps a positive number and turns a negative one into 0: "
                                          "look at Z, row 1, column 2 (−3).")
    assert "column 3 of S" in Softmax().hint("S", 1, 2, "?")
    assert Scale(F(1, 2), "× 1/2").hint("P", 0, 0, "4") == "Multiply P, row 1, column 1 (4) by 1/2."
    assert NONE.hint("Y", 2, 0, "1") == "Copy Y, row 3, column 1."


def test_spreadsheet_numbers_stay_exact():
    assert spreadsheet_number(F(1, 3)) == "(1/3)"
    assert spreadsheet_number(4) == "4"
    assert spreadsheet_number(0.25) == "0.25"


def _operands():
    left = hstack(part("W", exact([[1, -1]]), "weight"))
    right = vstack(part("X", exact([[2], [5]]), "input"))
    return left, right


def test_every_kind_of_step_says_its_kind_and_its_answer():
    left, right = _operands()
    given = given_step("Given", "c", "X", exact([[2], [5]]))
    arrange = arrange_step("Arrange", "c", "stack", left, right)
    plain = multiply_step("Multiply", "c", "P", left, right, "W·X")
    relu = multiply_step("Multiply and ReLU", "c", "H", left, right, "W·X", RELU)
    soft = op_step("Softmax", "c", "A", exact([[1], [1]]), "S", Softmax())
    assert [s.kind for s in (given, arrange, plain, relu, soft)] == [
        "given", "arrange", "multiply", "multiply", "elementwise"]
    assert [s.answer_region for s in (given, arrange, plain, relu, soft)] == [
        None, None, "product", "result", "result"]
    assert plain.product.tolist() == [[-3]] and relu.result.tolist() == [[0]]


def test_a_step_whose_fields_do_not_fit_its_kind_is_refused():
    from byhand.walkthrough import Step

    left, right = _operands()
    with pytest.raises(ValueError, match="kind 'given' does not fit"):
        Step("t", "c", "X", left, right, kind="given")
    with pytest.raises(ValueError, match="kind '' does not fit"):
        Step("t", "c", "X", result=exact([[1]]))


def test_every_registered_block_builds_steps_of_known_kinds():
    from byhand.blocks import BLOCKS
    from byhand.walkthrough import STEP_KINDS

    for bt in BLOCKS.values():
        wt = bt.build(**bt.default())
        kinds = [s.kind for s in wt.steps]
        assert set(kinds) <= set(STEP_KINDS), bt.name
        assert kinds[0] == "given", bt.name
        assert any(k == "multiply" for k in kinds), bt.name


def test_a_step_keeps_its_answer_region_through_a_cache():
    """Streamlit's cache pickles walkthroughs: a copied step's no-op must still count as no op."""
    import pickle

    left, right = _operands()
    plain = pickle.loads(pickle.dumps(multiply_step("Multiply", "c", "P", left, right, "W·X")))
    relu = pickle.loads(pickle.dumps(multiply_step("ReLU", "c", "H", left, right, "W·X", RELU)))
    assert (plain.answer_region, relu.answer_region) == ("product", "result")

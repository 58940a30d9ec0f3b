"""Practice with symbols (issue 12 §6): a learner answers with an expression, checked by equivalence.

The learner's text goes through ByHand's own grammar (never sympify); right answers are written here
by hand for a one-feature residual block, ``H = ReLU(w1·x + c1)``, ``Out = ReLU(x + w2·H + c2)``.
"""

import pytest
import sympy

from byhand.blocks.residual import residual_block
from byhand.practice import check_answer, check_answers, check_step, diagnose, make_exercise
from byhand.symbols import symbol
from tests.test_symbols import HOSTILE, no_python

w11, x1, b1, w1, w2, c1, c2, x = (symbol(n) for n in ("w11", "x1", "b1", "w1", "w2", "c1", "c2", "x"))


@pytest.mark.parametrize("text", ["w11*x1 + b1", "b1 + x1*w11", "x1·w11 + b1", "b1+w11*x1",
                                  "(w11*x1*2 + 2*b1)/2", "w11*(x1 + 1) + b1 − w11"])
def test_equivalent_answers_are_right(text):
    assert check_answer(text, w11 * x1 + b1).status == "correct"


@pytest.mark.parametrize("text", ["w11*x1", "w11*x1 - b1", "w11 + x1 + b1", "x1*b1 + w11", "2", "w11*x1*b1"])
def test_other_answers_are_wrong(text):
    v = check_answer(text, w11 * x1 + b1)
    assert v.status == "wrong" and "not right" in v.message


def test_relu_answers():
    """ReLU of unknown sign: max(0, e) or relu(e), in any equivalent form."""
    H = sympy.Max(0, w1 * x + c1)
    for text in ("max(0, w1*x + c1)", "relu(c1 + x*w1)", "max(w1*x + c1, 0)", "max(0, (2*w1*x + 2*c1)/2)"):
        assert check_answer(text, H).status == "correct", text
    for text in ("w1*x + c1", "max(0, w1*x - c1)", "relu(w1*x)", "max(1, w1*x + c1)"):
        assert check_answer(text, H).status == "wrong", text


def test_an_answer_without_symbols_accepts_its_decimal():
    """A softmax weight exp(2)/(exp(2) + exp(1)) ≈ 0.731: the decimal, or the expression itself."""
    a = sympy.exp(2) / (sympy.exp(2) + sympy.exp(1))
    assert check_answer("0.731", a).status == "correct"
    assert check_answer("exp(2)/(exp(2) + exp(1))", a).status == "correct"
    assert check_answer("1/(1 + exp(-1))", a).status == "correct"
    assert check_answer("0.74", a).status == "wrong"


@pytest.mark.parametrize("text", [t for k, t in HOSTILE.items() if k not in ("call", "empty")])
def test_hostile_answers_are_invalid_and_never_run(text):
    with no_python():
        v = check_answer(text, w11 * x1 + b1)
    assert v.status == "invalid" and len(v.message) < 300


def test_a_long_answer_is_refused_by_its_length():
    v = check_answer("a+" * 5000 + "a", w11 * x1)
    assert v.status == "invalid" and "characters long" in v.message


def _exercise():
    wt = residual_block(X=[[x]], W1=[[w1]], b1=[[c1]], W2=[[w2]], b2=[[c2]])
    return make_exercise(wt, "all")


def test_a_symbolic_exercise_scored_by_hand():
    ex = _exercise()
    keys = {(c.step, c.region): c.key for c in ex.cells}
    assert sorted(keys) == [(1, "product"), (1, "result"), (3, "product"), (3, "result")]
    answers = {keys[(1, "product")]: "x*w1 + c1", keys[(1, "result")]: "max(0, c1 + w1*x)",
               keys[(3, "product")]: "x + w2*max(0, w1*x + c1) + c2",
               keys[(3, "result")]: "relu(x + c2 + w2*relu(w1*x + c1))"}
    score = check_answers(ex, answers)
    assert score.correct == 4 and score.total == 4
    wrong = {**answers, keys[(3, "product")]: "w2*max(0, w1*x + c1) + c2"}  # the skip forgotten
    assert check_answers(ex, wrong).verdicts[keys[(3, "product")]].status == "wrong"


def test_a_later_step_is_consistent_with_the_learners_own_expression():
    ex = _exercise()
    keys = {(c.step, c.region): c.key for c in ex.cells}
    answers = {keys[(1, "product")]: "w1*x", keys[(1, "result")]: "max(0, w1*x)",  # b forgotten in H
               keys[(3, "product")]: "x + w2*max(0, w1*x) + c2"}  # right from their own H
    got = check_step(ex, answers, 3)
    v = got.verdicts[keys[(3, "product")]]
    assert v.status == "consistent" and "consistent with your H" in v.message
    own = {**answers, keys[(3, "product")]: "x + w2*max(0, w1*x + c1) + c2"}  # right, not merely consistent
    assert check_step(ex, own, 3).verdicts[keys[(3, "product")]].status == "correct"


# ---------------------------------------------------------------- named misconceptions with symbols (§6)
# A residual block of two features, one sample, worked by hand:
#   W1·X + b1 = [w11·x1 + w12·x2 + b1; w21·x1 + w22·x2 + b2],  H = [max(0, h1); max(0, h2)] (sign unknown)
#   X + F(X) = [x1 + v11·H1 + v12·H2 + c1; …],  Out = [max(0, x1 + v11·H1 + v12·H2 + c1); …]
# Steps: X (0), H (1), stack (2), Out (3).

H1, H2 = "max(0, w11*x1 + w12*x2 + b1)", "max(0, w21*x1 + w22*x2 + b2)"
F1 = f"v11*{H1} + v12*{H2} + c1"  # row 1 of F(X) = W2·H + b2


def _two_feature_exercise():
    s = {n: symbol(n) for n in "x1 x2 w11 w12 w21 w22 b1 b2 v11 v12 v21 v22 c1 c2".split()}
    wt = residual_block(X=[[s["x1"]], [s["x2"]]], W1=[[s["w11"], s["w12"]], [s["w21"], s["w22"]]],
                        b1=[[s["b1"]], [s["b2"]]], W2=[[s["v11"], s["v12"]], [s["v21"], s["v22"]]],
                        b2=[[s["c1"]], [s["c2"]]])
    return make_exercise(wt)


@pytest.mark.parametrize("key, text, ids", [
    ((1, "product", 0, 0), "w11*x1 + w12*x2", ["forgot_bias"]),  # W1·X without b1
    ((1, "product", 0, 0), "x2*w12 + w11*x1", ["forgot_bias"]),  # the same, written otherwise
    ((3, "product", 0, 0), f"x1 + v11*{H1} + v12*{H2}", ["forgot_bias"]),  # b2 left out
    ((3, "product", 0, 0), F1, ["forgot_skip"]),  # F(X) without X
    ((3, "result", 0, 0), f"max(0, {F1})", ["forgot_skip"]),  # ReLU(F(X))
    ((1, "result", 0, 0), "w11*x1 + w12*x2 + b1", ["forgot_relu"]),  # H without its ReLU: not max(0, e)
    ((3, "result", 0, 0), "x1 + v11*(w11*x1 + w12*x2 + b1) + v12*(w21*x1 + w22*x2 + b2) + c1",
     ["forgot_relu"]),  # no ReLU at all
    ((3, "result", 0, 0), f"x1 + {F1}", ["forgot_relu"]),  # the last ReLU left out
    ((3, "result", 0, 0), f"x1 + max(0, {F1})", ["relu_too_early"]),  # X + ReLU(F(X))
])
def test_a_symbolic_mistake_is_named(key, text, ids):
    ex = _two_feature_exercise()
    assert check_answer(text, ex.cell_at(key).answer).status == "wrong"
    assert diagnose(ex, {key: text}) == {key: ids}


@pytest.mark.parametrize("key, text", [
    ((1, "product", 0, 0), "b1 + x2*w12 + x1*w11"),  # right, written otherwise
    ((3, "result", 0, 0), "relu(c1 + x1 + v12*relu(b2 + w21*x1 + w22*x2)"
                          " + v11*max(w11*x1 + w12*x2 + b1, 0))"),  # right, written otherwise
    ((1, "product", 0, 0), "w11*x1*b1"),  # wrong, and no mistake explains it
    ((1, "product", 0, 0), "__import__('os')"),  # hostile: invalid, never run
    ((1, "product", 0, 0), "a+" * 5000),  # 10 kB: refused by its length
])
def test_right_unexplained_and_hostile_answers_name_nothing(key, text):
    ex = _two_feature_exercise()
    with no_python():
        assert diagnose(ex, {key: text}) == {}


def test_a_numbers_only_mistake_does_not_apply_to_symbols():
    """LayerNorm of a row works on numbers only: with symbols the mistake is left out, never an error;
    softmax of a row is worked out exactly and still applies."""
    import numpy as np

    from byhand.blocks.transformer import PARAM_SHAPES, transformer_layer
    from byhand.misconceptions import wrong_walkthroughs

    dims = {"d": 2, "f": 2}
    p = {k: np.ones((dims.get(r, r), dims.get(c, c)), dtype=int) for k, (r, c) in PARAM_SHAPES.items()}
    wt = transformer_layer([[x, w1], [c1, c2]], p, nhead=1)
    assert set(wrong_walkthroughs(wt)) == {"forgot_bias", "softmax_axis"}
    ex = make_exercise(wt, "last")
    assert diagnose(ex, {ex.cells[0].key: "x + w1"}) == {}


def test_the_step_check_names_a_symbolic_mistake():
    """The Practice page's step row (byhand.ui.exercise.check_and_hints) names it as it does for numbers."""
    from streamlit.testing.v1 import AppTest

    def page():
        from byhand.blocks.residual import residual_block
        from byhand.practice import check_step, make_exercise
        from byhand.symbols import symbol
        from byhand.ui.exercise import check_and_hints

        x, w1, c1, w2, c2 = (symbol(n) for n in ("x", "w1", "c1", "w2", "c2"))
        ex = make_exercise(residual_block([[x]], [[w1]], [[c1]], [[w2]], [[c2]]))
        typed = {(1, "product", 0, 0): "x*w1", (1, "result", 0, 0): "max(0, w1*x + c1)"}
        check_and_hints(ex, 1, "t", "t.checked", check_step(ex, typed, 1), typed, {}, lambda key, n: None, "")

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    named = [w.value.replace("\\", "") for w in at.warning]
    assert len(named) == 1 and named[0].startswith("W1·X + b1, row 1, column 1 matches a common mistake: "
                                                   "the bias is left out. The bias is the extra column")

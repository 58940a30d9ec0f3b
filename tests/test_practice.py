"""Practice exercises: which cells are blank, checking typed answers, scores, hints, codes."""

from fractions import Fraction

import pytest

from byhand.blocks import BLOCKS
from byhand.blocks.residual import residual_block
from byhand.numbers import ByHandError
from byhand.practice import (
    ExerciseSpec,
    answer_cells,
    check_answer,
    check_answers,
    hint,
    make_exercise,
    parse_blank,
)


def tiny():
    """X = [1, −1], W1 = [2], b1 = 0, W2 = [1], b2 = −1, worked by hand:
    W1·X + b1 = [2, −2], H = [2, 0]; X + W2·H + b2 = [1+2−1, −1+0−1] = [2, −2], Out = [2, 0]."""
    return residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]])


def test_answer_cells_are_products_and_results_by_hand():
    cells = answer_cells(tiny())
    assert [(c.step, c.region, c.row, c.col) for c in cells] == [
        (1, "product", 0, 0), (1, "product", 0, 1), (1, "result", 0, 0), (1, "result", 0, 1),
        (3, "product", 0, 0), (3, "product", 0, 1), (3, "result", 0, 0), (3, "result", 0, 1)]
    assert [c.answer for c in cells] == [2, -2, 2, 0, 2, -2, 2, 0]
    assert cells[2].where == "H, row 1, column 1"


def test_blank_modes():
    wt = tiny()
    assert len(make_exercise(wt, "all").cells) == 8
    assert {c.step for c in make_exercise(wt, "last").cells} == {3}
    half = make_exercise(wt, "share:0.5", seed=3)
    assert len(half.cells) == 4
    assert half.keys == make_exercise(wt, "share:0.5", seed=3).keys  # the seed fixes the share
    assert len(make_exercise(wt, "share:0.01").cells) == 1  # at least one cell


def test_copies_of_blank_cells_are_hidden_in_later_steps():
    ex = make_exercise(tiny(), "all")
    hidden = ex.hidden()
    # step 2 stacks [X; H; 1]: H is row 1 of the right operand, copied from a blank result
    assert {("right", 1, 0), ("right", 1, 1)} <= hidden[2]
    assert ("right", 0, 0) not in hidden[2]  # X is given
    assert make_exercise(tiny(), "last").hidden().get(2, set()) == set()  # H is shown


@pytest.mark.parametrize("text", ["share:0", "share:1.5", "some", "", "share:x"])
def test_bad_blank_mode(text):
    with pytest.raises(ByHandError, match="blank must be"):
        parse_blank(text)


@pytest.mark.parametrize("text, answer, status", [
    ("1/3", Fraction(1, 3), "correct"),
    ("2/6", Fraction(1, 3), "correct"),
    (" −2 ", -2, "correct"),
    ("-2", -2, "correct"),
    ("0.5", Fraction(1, 2), "correct"),
    ("0.33", Fraction(1, 3), "wrong"),
    ("3", -2, "wrong"),
    ("0.731", 0.7310585786, "correct"),
    ("0.73", 0.7310585786, "wrong"),
    ("", 2, "empty"),
    (None, 2, "empty"),
    ("abc", 2, "invalid"),
    ("1/0", 2, "invalid"),
    ("inf", 2, "invalid"),
    ("1e400", 2, "invalid"),
])
def test_check_answer(text, answer, status):
    assert check_answer(text, answer).status == status


def test_messages_say_what_to_type():
    assert "zero denominator" in check_answer("1/0", 1).message
    assert "not a number" in check_answer("two", 2).message
    assert "fraction" in check_answer("0.33", Fraction(1, 3)).message


def test_score_keeps_every_answer():
    ex = make_exercise(tiny(), "all")
    typed = {c.key: str(c.answer) for c in ex.cells}
    typed[ex.cells[0].key] = "5"
    typed[ex.cells[1].key] = "x"
    del typed[ex.cells[2].key]
    score = check_answers(ex, typed)
    assert (score.correct, score.total) == (5, 8)
    assert (score.count("wrong"), score.count("invalid"), score.count("empty")) == (1, 1, 1)


def test_hint_writes_the_dot_product_with_one_term_left():
    ex = make_exercise(residual_block([[1, 2]], [[3]], [1], [[1]], [[0]]))
    assert hint(ex, ex.cells[0]) == ("Row 1 of [W1 | b1] meets column 1 of [X; 1]: 3·1 + 1·1. "
                                     "The other terms give 3·1 = 3; add 1·1.")
    # the term left for the learner is the last one that is not zero
    ex = make_exercise(residual_block([[1, 2]], [[3]], [0], [[1]], [[0]]))
    assert hint(ex, ex.cells[1]).endswith("3·2 + 0·1. The other terms give 0·1 = 0; add 3·2.")


def test_hint_for_relu_does_not_give_a_blank_away():
    ex = make_exercise(tiny(), "all")
    relu_cell = next(c for c in ex.cells if c.region == "result")
    assert "your answer" in hint(ex, relu_cell)
    ex = make_exercise(tiny(), "last")
    relu_cell = next(c for c in ex.cells if c.region == "result" and c.col == 1)
    assert "your answer" in hint(ex, relu_cell)


@pytest.mark.parametrize("block", list(BLOCKS))
def test_every_block_gives_an_exercise_with_hints(block):
    ex = ExerciseSpec(block, 11).exercise()
    assert ex.cells
    for c in ex.cells:
        assert hint(ex, c)
    full = check_answers(ex, {c.key: str(c.answer) for c in ex.cells})
    assert full.correct == full.total == len(ex.cells)


def test_codes_round_trip():
    spec = ExerciseSpec("residual", 42, {"features": 4}, low=0, high=5, blank="share:0.5")
    assert spec.code == "residual/42/4x3x3/0..5/share:0.5"
    back = ExerciseSpec.parse(spec.code)
    assert back == spec
    assert ExerciseSpec("encoder", 7).code == "encoder/7"
    assert ExerciseSpec.parse("encoder/7/-5..5/last") == ExerciseSpec("encoder", 7, low=-5, high=5,
                                                                     blank="last")


@pytest.mark.parametrize("code, words", [
    ("residual", "block/seed"),
    ("nope/3", "unknown block type"),
    ("residual/abc", "seed"),
    ("residual/-1", "seed"),
    ("residual/1/99x1x1", "features"),
    ("residual/1/3x3", "takes 3 sizes"),
    ("residual/1/5..1", "value range"),
    ("residual/1/0..500", "value range"),
    ("residual/1/banana", "blank must be"),
    ("residual/99999999999", "seed"),
])
def test_tampered_codes_are_refused_with_a_message(code, words):
    with pytest.raises(ByHandError, match=words):
        ExerciseSpec.parse(code)


def test_spec_refuses_unknown_sizes():
    with pytest.raises(ByHandError, match="no size colour"):
        ExerciseSpec("residual", 1, {"colour": 3})

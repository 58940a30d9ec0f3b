"""The rules a practice exercise keeps: a number is asked once, nothing is given away, checking one
step at a time carries the learner's own numbers forward, hints come in levels and are counted."""

import re
from fractions import Fraction as F

import numpy as np
import pytest

from byhand.blocks import BLOCKS
from byhand.blocks.jacobian import jacobian_walkthrough
from byhand.blocks.residual import residual_block
from byhand.numbers import ByHandError, fmt
from byhand.practice import (
    ExerciseSpec,
    carried,
    check_answers,
    check_step,
    hint,
    hint_levels,
    make_exercise,
)
from byhand.render.pdf import key_cells

MODES = ("all", "last", "share:0.3", "share:0.7")
SEEDS = (0, 3, 8, 21)
NUMBER = re.compile(r"[−-]?\d+(/\d+)?(\.\d+)?")


def exercises():
    for block in BLOCKS:
        for seed in SEEDS:
            for mode in MODES:
                yield block, seed, mode


@pytest.mark.parametrize("block, seed, mode", list(exercises()))
def test_a_number_is_asked_once_and_the_key_covers_every_blank_once(block, seed, mode):
    ex = ExerciseSpec(block, seed, blank=mode).exercise()
    wt = ex.walkthrough
    assert ex.cells
    keys = [c.key for c in ex.cells]
    assert len(set(keys)) == len(keys)
    asked = [(c.matrix, c.row, c.col) for c in ex.cells]
    assert len(set(asked)) == len(asked), "two blanks ask for the same matrix cell"
    mats = wt.matrices
    for c in ex.cells:
        s = wt.steps[c.step]
        assert s.kind in ("multiply", "elementwise")  # never a given or an arrange step
        if c.region == s.answer_region:  # the cell names the walkthrough matrix the step works out
            assert c.matrix == s.name
            assert np.asarray(mats[c.matrix], dtype=float)[c.row, c.col] == pytest.approx(float(c.answer))
        else:  # the product under an op: named by its label
            assert (c.region, s.kind, c.matrix) == ("product", "multiply", s.product_name)
            assert float(s.product[c.row, c.col]) == pytest.approx(float(c.answer))
    # a reused blank is a reference, never a second box to fill in, and points back to an earlier step
    blanks, refs = ex.blanks(), ex.references()
    for k, boxes in refs.items():
        assert not set(boxes) & blanks.get(k, set())
        assert all(c.step < k and c in ex.cells for c in boxes.values())
        assert wt.steps[k].kind != "given" or all(b[0] == "given" for b in boxes)
    assert all(wt.steps[k].kind not in ("given", "arrange") for k in blanks)
    # the answer key shades every blank exactly once
    key = key_cells(ex, "practice")
    shaded = [(k, *b) for k, boxes in key.items() for b in boxes]
    assert sorted(shaded) == sorted(keys)


def test_reused_cells_are_references_by_hand():
    """X = [1, −1], W1 = [2], b1 = 0, W2 = [1], b2 = −1: H is asked in step 2 only; step 3 stacks
    [X; H; 1] and step 4 multiplies it: H's row (row 2 of the right operand) is a reference in both."""
    ex = make_exercise(residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]]), "all")
    assert [(c.step, c.region, c.matrix) for c in ex.cells] == [
        (1, "product", "W1·X + b1")] * 2 + [(1, "result", "H")] * 2 + [
        (3, "product", "X + F(X)")] * 2 + [(3, "result", "Out")] * 2
    refs = ex.references()
    assert sorted(refs) == [2, 3]
    for k in (2, 3):
        assert {b: (c.matrix, c.row, c.col) for b, c in refs[k].items()} == {
            ("right", 1, 0): ("H", 0, 0), ("right", 1, 1): ("H", 0, 1)}
    assert 2 not in ex.blanks()  # the arrange step asks nothing
    assert carried(ex, {(1, "result", 0, 1): " 7 "}) == {
        2: {("right", 1, 0): "?", ("right", 1, 1): "7"}, 3: {("right", 1, 0): "?", ("right", 1, 1): "7"}}


def test_a_padded_map_of_a_blank_is_a_reference():
    ex = ExerciseSpec("conv", 4).exercise()
    wt = ex.walkthrough
    k = next(i for i, s in enumerate(wt.steps) if s.name == "H_pad")
    refs = ex.references()[k]
    h_step = next(i for i, s in enumerate(wt.steps) if s.name == "H")
    assert {c.step for c in refs.values()} == {h_step}
    # every cell of H is reused once in H_pad; the border zeros are constants, shown
    assert len(refs) == wt.steps[h_step].result.size
    border = {("given", i, j) for (i, j), _ in np.ndenumerate(wt.steps[k].result)} - set(refs)
    assert border and all(wt.steps[k].result[b[1], b[2]] == 0 for b in border)
    x_pad = next(i for i, s in enumerate(wt.steps) if s.name == "x_pad")
    assert x_pad not in refs and x_pad not in ex.hidden()  # derived from the given image: printed


def _jacobian_with_a_kink():
    # x = (1, 1), W1 = [[−1, 0], [1, −1], [1, 1]], b1 = 0: z = (−1, 0, 2); D = diag(0, 0, 1)
    return jacobian_walkthrough([1, 1], [[-1, 0], [1, -1], [1, 1]], [0, 0, 0], [[1, 0, 1], [0, 1, 0]], [0, 0])


def test_d_is_blank_and_the_kink_note_is_left_out_while_z_is_blank():
    ex = make_exercise(_jacobian_with_a_kink(), "all")
    d = [c for c in ex.cells if c.matrix == "D"]
    assert [(c.row, c.col, c.answer) for c in d] == [
        (0, 0, 0), (0, 1, 0), (0, 2, 0), (1, 0, 0), (1, 1, 0), (1, 2, 0), (2, 0, 0), (2, 1, 0), (2, 2, 1)]
    assert all(c.region == "result" for c in d)
    # diag(z)'s diagonal reuses the learner's z; its zeros are printed
    assert {b: (c.matrix, c.row) for b, c in ex.references()[2].items()} == {
        ("product", 0, 0): ("z", 0), ("product", 1, 1): ("z", 1), ("product", 2, 2): ("z", 2)}
    assert "exactly 0" in ex.walkthrough.steps[2].note
    assert ex.note(2) == ""
    shown = make_exercise(_jacobian_with_a_kink(), "last")  # z is printed: the note may say so
    assert shown.note(2) == ex.walkthrough.steps[2].note


@pytest.mark.parametrize("block, seed, mode", list(exercises()))
def test_no_note_shown_states_a_blanked_value(block, seed, mode):
    ex = ExerciseSpec(block, seed, blank=mode).exercise()
    blanked: dict[str, set] = {}
    for c in ex.cells:
        blanked.setdefault(c.matrix, set()).add(fmt(c.answer))
    for k, s in enumerate(ex.walkthrough.steps):
        note = ex.note(k)
        assert not set(s.quotes) & set(blanked) or note == ""
        prose = re.sub(r"\[[^\]]*\]", " ", note)  # stacked names such as [Y; H; 1] quote no value
        words = set(re.findall(r"[^\s,.:;()]+", prose))
        numbers = {w for w in words if NUMBER.fullmatch(w)}
        for m, values in blanked.items():
            if m in words:  # a note that names a blanked matrix states none of its values
                assert not numbers & values, (k, note)


def test_check_step_carries_the_learners_numbers_forward():
    """X = [1, −1], W1 = [2], b1 = 0, W2 = [1], b2 = −1: W1·X + b1 = [2, −2], H = [2, 0],
    X + F(X) = [2, −2], Out = [2, 0]. The learner writes H = [3, 0]: with their H,
    X + W2·H + b2 = [1 + 3 − 1, −1 + 0 − 1] = [3, −2] and ReLU of it = [3, 0]."""
    ex = make_exercise(residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]]), "all")
    typed = {(1, "product", 0, 0): "2", (1, "product", 0, 1): "-2",
             (1, "result", 0, 0): "3", (1, "result", 0, 1): "0",
             (3, "product", 0, 0): "3", (3, "product", 0, 1): "5",
             (3, "result", 0, 0): "3", (3, "result", 0, 1): ""}
    first = check_step(ex, typed, 1)
    assert [v.status for v in first.verdicts.values()] == ["correct", "correct", "wrong", "correct"]
    assert (first.correct, first.total, first.ok) == (3, 4, False)
    last = check_step(ex, typed, 3)
    v = last.verdicts
    assert v[(3, "product", 0, 0)].status == "consistent"
    assert v[(3, "product", 0, 0)].message == (
        "not right, but consistent with your H; H itself has 1 wrong cell.")
    assert v[(3, "product", 0, 1)].status == "wrong"  # −2 with their H too: 5 follows from nothing
    # ReLU of their own 3 is 3: consistent with their product, which has a wrong cell
    assert v[(3, "result", 0, 0)].status == "consistent"
    assert "your X + F(X); X + F(X) itself has 2 wrong cells" in v[(3, "result", 0, 0)].message
    assert v[(3, "result", 0, 1)].status == "empty"
    assert last.wrong_before == {"H": 1, "X + F(X)": 2}
    assert last.summary == "0 of 4 right; 2 consistent with your earlier numbers; 1 wrong; 1 not filled in."
    assert check_step(ex, typed, 2).summary == "Nothing to fill in here."
    # the whole-sheet check is unchanged: a consistent cell is still a wrong one there
    assert check_answers(ex, typed).count("wrong") == 4
    with pytest.raises(ByHandError, match="step must be"):
        check_step(ex, typed, 9)


def test_check_step_is_exact_with_fractions():
    """X = 1/2, W1 = 2, b1 = 0, W2 = 1/3, b2 = 0: H = 1 and X + W2·H = 1/2 + 1/3 = 5/6.
    With the learner's H = 2: 1/2 + 2/3 = 7/6, exactly; 1.1667 is not 7/6."""
    ex = make_exercise(residual_block([["1/2"]], [[2]], [0], [["1/3"]], [0]), "all")
    out = next(c for c in ex.cells if c.step == 3 and c.region == "product")
    assert out.answer == F(5, 6)
    typed = {(1, "product", 0, 0): "1", (1, "result", 0, 0): "2", out.key: "7/6"}
    assert check_step(ex, typed, 3).verdicts[out.key].status == "consistent"
    typed[out.key] = "1.1667"
    assert check_step(ex, typed, 3).verdicts[out.key].status == "wrong"


def test_graded_hints_of_a_dot_product_by_hand():
    """X = [1, 2], W1 = [3], b1 = [1]: W1·X + b1 = [3·1 + 1·1, 3·2 + 1·1] = [4, 7] = H;
    W2 = [1], b2 = [0]: the last step's row [I | W2 | b2] = [1, 1, 0] meets [X; H; 1]'s column 1,
    (1, 4, 1)."""
    ex = make_exercise(residual_block([[1, 2]], [[3]], [1], [[1]], [[0]]))
    cell = ex.cells[0]
    one, two, three = (hint(ex, cell, n) for n in (1, 2, 3))
    assert str(one) == ("Row 1 of [W1 | b1] meets column 1 of [X; 1]: multiply them term by term and "
                        "add the products.")
    assert one.cells == {("left", 0, 0), ("left", 0, 1), ("right", 0, 0), ("right", 1, 0), ("product", 0, 0)}
    assert (one.level, one.levels, hint_levels(ex, cell)) == (1, 3, 3)
    assert two == "Row 1 of [W1 | b1] meets column 1 of [X; 1]: 3·1 + 1·1."
    assert three == two + " The other terms give 3·1 = 3; add 1·1."
    assert hint(ex, cell, 7) == three  # above the top level: the top level
    with pytest.raises(ByHandError, match="hint level"):
        hint(ex, cell, 0)
    # the last step reuses H: with the learner's answers known, H is theirs or named, never the key's 4
    out = next(c for c in ex.cells if c.key == (3, "product", 0, 0))
    head = "Row 1 of [I | W2 | b2] meets column 1 of [X; H; 1]: "
    assert hint(ex, out, 2, answers={}) == head + "1·1 + 1·H[1,1] + 0·1."
    assert hint(ex, out, 3, answers={}) == (
        head + "1·1 + 1·H[1,1] + 0·1. The other terms give 1·1 + 0·1 = 1; add 1·H[1,1].")
    assert hint(ex, out, 2, answers={(1, "result", 0, 0): "5"}) == head + "1·1 + 1·5 + 0·1."


def test_graded_hints_of_ops():
    ex = make_exercise(residual_block([[1, 2]], [[3]], [1], [[1]], [[0]]))
    h = next(c for c in ex.cells if c.key == (1, "result", 0, 1))
    assert hint_levels(ex, h) == 2
    one = hint(ex, h, 1)
    assert one == "ReLU of W1·X + b1, row 1, column 2: find it in the drawing."
    assert one.cells == {("product", 0, 1), ("result", 0, 1)}
    assert "your answer" in hint(ex, h, 2)  # its input is a blank of the same step
    assert "(7)" in hint(ex, h, 2, answers={(1, "product", 0, 1): "7"})
    assert hint(ex, h, 3) == hint(ex, h, 2)
    # softmax reads a whole column: level 1 lights it, level 3 lists it
    att = ExerciseSpec("attention", 1).exercise()
    a = next(c for c in att.cells if c.matrix == "A" and c.row == 0 and c.col == 1)
    assert hint_levels(att, a) == 3
    n = att.walkthrough.steps[a.step].product.shape[0]
    assert hint(att, a, 1).cells == {("product", r, 1) for r in range(n)} | {("result", 0, 1)}
    assert "Column 2 of S holds" in hint(att, a, 3, answers={})
    # ReLU′ on diag(z): the slope of one cell
    jac = make_exercise(_jacobian_with_a_kink(), "all")
    d = next(c for c in jac.cells if c.matrix == "D" and c.row == c.col == 2)
    assert "ReLU′" in hint(jac, d, 2) and "your answer" in hint(jac, d, 2)
    assert "(2)" in hint(jac, d, 2, answers={(1, "product", 2, 0): "2"})


def test_the_score_counts_hints():
    ex = make_exercise(residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]]), "all")
    right = {c.key: str(c.answer) for c in ex.cells}
    a, b, c = ex.cells[0].key, ex.cells[2].key, ex.cells[4].key
    score = check_answers(ex, right, hints_used={a: 2, b: 9, c: 0, (9, "product", 0, 0): 3, "x": 1})
    assert score.hints == {a: 2, b: 2}  # a ReLU cell has 2 levels; unknown keys and zeros are dropped
    assert score.hints_used == 4
    assert (score.correct, score.correct_without_hints) == (8, 6)
    assert check_answers(ex, right).hints_used == 0


@pytest.mark.parametrize("block", list(BLOCKS))
def test_every_blank_has_graded_hints_and_right_answers_check_step_by_step(block):
    ex = ExerciseSpec(block, 6).exercise()
    right = {c.key: str(c.answer) for c in ex.cells}
    for c in ex.cells:
        levels = hint_levels(ex, c)
        texts = [str(hint(ex, c, n, answers=right)) for n in range(1, levels + 1)]
        assert all(texts) and len(set(texts)) == levels
        assert ("result", c.row, c.col) in hint(ex, c, 1).cells or c.region == "product"
    for k in range(len(ex.walkthrough.steps)):
        assert check_step(ex, right, k).ok

"""The Text view of a step: the by-hand layout in a monospace box, every column lined up.

The exact views are written out by hand below. The property test reads every step of every
block's default example (and a 2-channel conv, a 2-head transformer, hidden cells) and checks
that each matrix's columns end at the same place on every row, that the right operand's columns
are the product's, and that the ``|`` of side-by-side parts line up.
"""

import re
import unicodedata
from fractions import Fraction

import numpy as np
import pytest

from byhand import random_transformer_params, residual_block, transformer_layer
from byhand.blocks import BLOCKS, build_example
from byhand.ops import RELU
from byhand.render.text import step_text, summary
from byhand.walkthrough import op_step

M = "\u2212"  # the minus sign the view prints
RULE = "\u2500"

# A residual block small enough to work by hand:
#   X = [1 −2]   W1 = [ 1 0]   b1 = [0]   W2 = [−1/3 0]   b2 = [1]
#       [0  3]        [−1 2]        [1]        [   1 1]        [0]
# W1·X + b1 = [1 −2; −1 8] + [0; 1] = [1 −2; 0 9], ReLU: H = [1 0; 0 9]
# W2·H + b2 = [−1/3 0; 1 9] + [1; 0] = [2/3 1; 1 9];  X + F(X) = [5/3 −1; 1 12], ReLU: Out = [5/3 0; 1 12]
SMALL = dict(X=[[1, -2], [0, 3]], W1=[[1, 0], [-1, 2]], b1=[[0], [1]], W2=[["-1/3", 0], [1, 1]],
             b2=[[1], [0]])


@pytest.fixture(scope="module")
def small():
    return residual_block(**SMALL)


def test_given_step(small):
    assert step_text(small.steps[0]) == "\n".join([
        "X: the given 2×2 matrix.",
        "",
        f"1 {M}2",
        "0  3",
        "X",
    ])


def test_second_layer_with_the_identity_by_hand(small):
    # columns of [X; H; 1] and X + F(X): widths 3 (5/3) and 2 (−2, −1, 12), right-aligned;
    # [I | W2 | b2]: W2's first column is 4 wide (−1/3); the result Out: widths 3 (5/3) and 2 (12)
    assert step_text(small.steps[3]) == "\n".join([
        "[I | W2 | b2] times [X; H; 1] gives X + F(X); ReLU of it gives Out.",
        "Sizes: [I | W2 | b2] 2×5, [X; H; 1] 5×2, X + F(X) 2×2, Out 2×2.",
        "",
        f"               X     1 {M}2",
        "                     0  3",
        "                   " + RULE * 6,
        "               H     1  0",
        "                     0  9",
        "                   " + RULE * 6,
        "               1     1  1",
        "",
        f"1 0 | {M}1/3 0 | 1   5/3 {M}1   ReLU →   5/3  0",
        "0 1 |    1 1 | 0     1 12              1 12",
        "I     W2       b2  X + F(X)          Out",
    ])


def test_arrange_step_shows_the_product_to_come(small):
    assert step_text(small.steps[2]) == "\n".join([
        "Arrange [I | W2 | b2] and [X; H; 1]; their product (2×2) comes next.",
        "Sizes: [I | W2 | b2] 2×5, [X; H; 1] 5×2.",
        "",
        f"               X   1 {M}2",
        "                   0  3",
        "                   " + RULE * 4,
        "               H   1  0",
        "                   0  9",
        "                   " + RULE * 4,
        "               1   1  1",
        "",
        f"1 0 | {M}1/3 0 | 1   ·  ·",
        "0 1 |    1 1 | 0   ·  ·",
        "I     W2       b2  the product",
    ])


def test_hidden_cells_print_as_question_marks_in_their_columns(small):
    # [W1 | b1] = [1 0 | 0; −1 2 | 1]: its first column is 2 wide (−1)
    hidden = {("product", 0, 1), ("result", 1, 1)}
    assert step_text(small.steps[1], hidden=hidden) == "\n".join([
        "[W1 | b1] times [X; 1] gives W1·X + b1; ReLU of it gives H.",
        "Sizes: [W1 | b1] 2×3, [X; 1] 3×2, W1·X + b1 2×2, H 2×2.",
        "",
        f"       X   1 {M}2",
        "           0  3",
        "           " + RULE * 4,
        "       1   1  1",
        "",
        " 1 0 | 0   1  ?   ReLU →   1 0",
        f"{M}1 2 | 1   0  9            0 ?",
        "W1     b1  W1·X + b1       H",
    ])
    # a hidden cell wider than its column: "?" takes one place, the column keeps its widest number
    more = hidden | {("product", 1, 0)}
    assert f"{M}1 2 | 1   ?  9            0 ?" in step_text(small.steps[1], hidden=more)


def test_elementwise_step_input_op_output():
    S = np.array([[Fraction(-1, 2), 3], [10, 0]], dtype=object)
    step = op_step("ReLU", "keep the positive", "A", S, "S", RELU)
    assert step_text(step) == "\n".join([
        "ReLU of S gives A.",
        "Sizes: S 2×2, A 2×2.",
        "",
        f"{M}1/2 3   ReLU →    0 3",
        "  10 0" + " " * 12 + "10 0",  # under "   ReLU →   " (12 places)
        "S                 A",
    ])


def test_summary_is_one_sentence(small):
    assert summary(small.steps[1]) == "[W1 | b1] times [X; 1] gives W1·X + b1; ReLU of it gives H."
    assert summary(small.steps[0]) == "X: the given 2×2 matrix."


# ---------------------------------------------------------------- every block: columns line up


def _width(s: str) -> int:
    return sum(not unicodedata.combining(ch) for ch in s)


def _tokens(line: str) -> list[tuple[int, str]]:
    """Each word of ``line`` with the column (in display width) just after its last character."""
    return [(_width(line[:m.end()]), m.group()) for m in re.finditer(r"\S+", line)]


def _ends(line: str, k: int, skip: int = 0) -> list[int]:
    """Where the last ``k`` numbers of ``line`` end, after dropping its last ``skip`` numbers."""
    nums = [e for e, t in _tokens(line) if t != "|"]
    nums = nums[:len(nums) - skip]
    return nums[len(nums) - k:]


def _bars(line: str) -> tuple[int, ...]:
    return tuple(_width(line[:i]) for i, ch in enumerate(line) if ch == "|")


def _check(step, text: str) -> None:
    lines = text.splitlines()
    below = []  # a result the layout puts under a wide, flat product: "op ↓", its rows, its name
    r = step.result.shape[0] if step.kind == "multiply" else 0
    if r and lines[-2 - r].strip() == f"{step.op.label} ↓":
        below, lines = lines[-1 - r:-1], lines[:-2 - r]
    body = lines[lines.index("") + 1:-1]  # the header above, the names line below
    if step.kind in ("arrange", "multiply") and step.right.axis == 1:
        body = body[1:]  # the names of R's parts, side by side above it
    bands = [[]]
    for line in body:
        if line:
            bands[-1].append(line)
        else:
            bands.append([])
    for band in bands:  # one length, one set of | places
        assert len({_width(line) for line in band}) == 1, band
        assert len({_bars(line) for line in band if RULE not in line}) == 1, band
    op = f"{step.op.label} →"
    main = [line.replace(op, " " * _width(op)) for line in bands[-1] if RULE not in line]
    if step.kind == "given":
        assert len(main) == step.result.shape[0]
        assert len({tuple(_ends(line, step.result.shape[1])) for line in main}) == 1
        return
    m, n = step.product.shape if step.kind == "elementwise" else (step.left.shape[0], step.right.shape[1])
    assert len(main) == m
    has_result = step.answer_region == "result" and not below
    if has_result:  # the result's columns line up
        assert len({tuple(_ends(line, n)) for line in main}) == 1
    skip = n if has_result else 0
    p_ends = {tuple(_ends(line, n, skip)) for line in main} | {tuple(_ends(line, n)) for line in below}
    if step.kind == "elementwise":
        assert len(p_ends) == 1
        return
    # the product's columns are R's columns (R above P), and L's columns line up
    r_rows = [line for line in bands[0] if RULE not in line]
    assert len(r_rows) == step.right.shape[0]
    assert len(p_ends | {tuple(_ends(line, n)) for line in r_rows}) == 1, (p_ends, r_rows)
    k = step.left.shape[1]
    assert len({tuple(_ends(line, k, skip + n)) for line in main}) == 1


def _cases():
    for name, bt in BLOCKS.items():
        yield name, bt.build(**bt.default())
    yield "conv-2-channels", build_example("conv", seed=3, channels=2, size=3)
    yield "conv-stride-2", build_example("conv", seed=1, channels=2, size=4, stride=2)
    yield "transformer", transformer_layer(np.eye(4)[:, :3], random_transformer_params(0, 4, 6), nhead=2,
                                           norm_first=True)


CASES = [pytest.param(wt, id=name) for name, wt in _cases()]


@pytest.mark.parametrize("wt", CASES)
def test_every_column_lines_up(wt):
    for step in wt.steps:
        _check(step, step_text(step))
        _check(step, step_text(step, decimals=1))


@pytest.mark.parametrize("wt", CASES)
def test_every_column_lines_up_with_hidden_cells(wt):
    for step in wt.steps:
        region = step.answer_region or ("given" if step.kind == "given" else "left")
        shape = step.left.shape if region == "left" else getattr(step, region if region != "given" else
                                                                   "result").shape
        hidden = {(region, r, c) for r in range(shape[0]) for c in range(shape[1]) if (r + c) % 2 == 0}
        text = step_text(step, hidden=hidden)
        assert text.count("?") >= len(hidden)
        _check(step, text)

"""byhand.formula: an example's matrices to symbols and back, the collected and abbreviated cells, the
limits (issue 12 §4). Expected values are written by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest

from byhand import formula
from byhand.blocks import block_type
from byhand.blocks.conv import read_eps, variant_block
from byhand.example import ExampleSpec, conv_inputs, conv_spec
from byhand.numbers import ByHandError
from byhand.symbols import MAX_NAMES, parse_expression, relu


def test_the_limit_is_the_parser_s():
    assert formula.MAX_SYMBOLS == MAX_NAMES


def test_to_symbols_names_each_cell_in_its_matrix_letter_and_keeps_the_numbers():
    rows = {"X": [["1", "-1/2"], ["0", "3"]], "W2": [["4"], ["5"]], "b": [["7"]]}
    sym, values = formula.to_symbols(rows, ["X", "W2"])
    assert sym == {"X": [["x11", "x12"], ["x21", "x22"]], "W2": [["w2_1"], ["w2_2"]], "b": [["7"]]}
    assert values == {"x11": 1, "x12": Fraction(-1, 2), "x21": 0, "x22": 3, "w2_1": 4, "w2_2": 5}
    assert formula.to_symbols(rows)[0]["b"] == [["b"]]
    assert formula.to_numbers(sym, values) == rows


def test_to_numbers_leaves_what_is_not_one_of_the_symbols():
    assert formula.to_numbers({"X": [["x11", "2*x11", " x12 "]]}, {"x11": 3, "x12": Fraction(1, 3)}) == \
        {"X": [["3", "2*x11", "1/3"]]}


def test_too_many_symbols_or_cells_say_the_limit():
    big = {"X": [["1"] * 8 for _ in range(8)], "W": [["1"]]}  # 64 + 1 cells
    assert formula.to_symbols(big, ["X"])[1]["x11"] == 1  # 64 symbols: at the limit
    with pytest.raises(ByHandError, match="65 symbols.*at most 64"):
        formula.to_symbols(big)
    huge = {"X": [["1"] * 8 for _ in range(8)], "W": [["1"] * 8 for _ in range(8)]}
    with pytest.raises(ByHandError, match="at most 100 cells in all; this one has 128"):
        formula.to_symbols(huge, ["W"])
    with pytest.raises(ByHandError, match="at most 100 cells"):  # a symbol typed by hand: the same limit
        formula.read_rows({"X": [["a"] + ["1"] * 7 for _ in range(8)], "W": huge["W"]})
    assert formula.read_rows(huge)["X"][0, 0] == 1  # numbers only: no limit


@pytest.mark.parametrize("text", ["__import__('os').system('x')", "lambda: 0", "x.__class__", "a[0]",
                                  "a" * 300])
def test_hostile_cells_are_refused_naming_the_cell(text):
    with pytest.raises(ByHandError, match="W, row 1, column 2"):
        formula.read_rows({"W": [["1", text]]})


def test_collected_by_the_input_symbols():
    x1, x2 = parse_expression("x1"), parse_expression("x2")
    e = parse_expression("w11*x1 + x1 + b1 + w12*x2 + x2*w22")
    assert formula.collected(e, [x1, x2]) == parse_expression("x1*(w11 + 1) + x2*(w12 + w22) + b1")
    assert formula.collected(7, [x1]) == 7


def test_brief_keeps_short_cells_and_cuts_long_ones_with_their_term_count():
    assert formula.brief(Fraction(-1, 3)) == "−1/3"
    assert formula.brief(parse_expression("a + b")) == "a + b"
    long = parse_expression("w11*x11 + w12*x21 + w13*x31 + b1")
    assert formula.brief(long) == "b₁+…⁴"  # b₁ and three more terms
    assert formula.brief(relu(long)) == "max(0,…)"
    assert formula.brief(parse_expression("w11*x11*w12*x21")) == "w₁₁·w₁₂·…"  # its first 8 characters


def test_brief_shows_the_skip_term_of_the_data_input_first():
    out = parse_expression("x11 + w2_11*h11 + w2_12*h21 + b2_1")  # a residual output cell: x + Σ w·h + b
    assert formula.brief(out) == "b2₁+…⁴"  # the shortest term
    assert formula.brief(out, prefer=("x11", "x21")) == "x₁₁+…⁴"  # the skip term
    assert formula.brief(out, prefer=("x12",)) == "b2₁+…⁴"  # no term is a preferred symbol
    long = parse_expression("w11*x11 + w12*x21 + w13*x31 + b1")
    assert formula.brief(long, prefer=("x11",)) == "b₁+…⁴"  # x₁₁ only inside a product: not a term
    assert formula.brief(parse_expression("x11 + b"), prefer=("x11",)) == "b + x₁₁"  # short: in full


def test_the_residual_output_drawn_with_symbols_shows_its_skip_term():
    from byhand.blocks import block_type
    from byhand.render import vega

    bt = block_type("residual")
    rows, _ = formula.to_symbols(ExampleSpec.of(bt).make(None, ExampleSpec.of(bt).default_sizes()))
    wt = formula.collect_walkthrough(bt.build(**formula.read_rows(rows)))
    last = wt.steps[-1]  # ReLU([I | W2 | b2]·[X; H; 1]): cell (1, 1) is x₁₁ + Σ w2₁ₖ·h_k1 + b2₁, 5 terms
    assert last.data_symbols == ("x11", "x12", "x13", "x21", "x22", "x23", "x31", "x32", "x33")
    chart = vega.step_chart(last)
    (cell,) = [r for name in ("bh_boxes", "bh_picks") for r in chart.data.get(name, [])
               if (r["region"], r["row"], r["col"]) == ("product", 0, 0)]
    assert cell["text"] == "x₁₁+…⁵"  # not b2₁+…⁵, the shortest term


def test_value_of_a_cell_needs_every_symbol():
    e = parse_expression("2*a + b/3")
    assert formula.value_of(e, {"a": 1, "b": 2}) == Fraction(8, 3)
    assert formula.value_of(e, {"a": 1}) is None
    assert formula.value_of(5, {"a": 1}) is None


def test_cell_formula_of_the_residual_block():
    bt = block_type("residual")
    rows = ExampleSpec.of(bt).make(None, ExampleSpec.of(bt).default_sizes())
    sym, values = formula.to_symbols(rows, ["X"])
    wt = formula.collect_walkthrough(bt.build(**formula.read_rows(sym)))
    # Z [1, 1] = W1's row 1 (1, 0, 1) · X's column 1 + b1₁ (0) = x₁₁ + x₃₁ = 1 + 2; ReLU of it
    assert formula.cell_formula(wt.steps[1], 0, 0, values) == (
        "W1·X + b1 [1, 1] = x₁₁ + x₃₁\n    = 3\nReLU gives\nH [1, 1] = max(0, x₁₁ + x₃₁)\n    = 3")


def test_every_matrix_of_the_conv_block_but_the_batch_norms():
    spec = conv_spec("basic", "identity", 1)
    rows = spec.make(None, spec.default_sizes())

    def check(r):
        kw = conv_inputs(formula.read_rows(r), "basic", "identity", 1, read_eps("0"))
        variant_block("basic").build(**kw)

    sym, values, note = formula.to_symbols_checked(rows, None, check)
    assert sym["x1"][0][0] == "x1_11" and sym["w1_1"][0][0] == "w1_1_11" and sym["bn1"] == rows["bn1"]
    assert note.startswith("bn1, bn2 stay numbers: bn1 running_var")
    with pytest.raises(ByHandError, match="running_var"):
        formula.to_symbols_checked(rows, ["bn1"], check)

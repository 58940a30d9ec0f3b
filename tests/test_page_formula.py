"""Show the formula on every walkthrough page (issue 12 §4), with AppTest.

Each page: a chosen matrix becomes symbols in its own letter, a product cell shows its expression
(written here by hand from the default example) with its value, one click goes back to numbers, and
a symbolic cell edited to a number works like any edit.
"""

from __future__ import annotations

import pytest
from apptest_helpers import edit, errors, open_page
from streamlit.testing.v1 import AppTest

RES = "app_pages/residual_block.py"


def click(at: AppTest, key: str) -> AppTest:
    next(b for b in at.button if b.key == key).click()
    return at.run()


def show_formula(at: AppTest, ns: str, which: str) -> AppTest:
    at.selectbox(key=f"{ns}.formula.which").select(which)
    return click(at, f"{ns}.formula.show")


def panel(at: AppTest) -> str:
    """The picked cell's words (the code block under the drawing)."""
    return "\n".join(c.value for c in at.code)


def base(at: AppTest, ns: str, name: str) -> list[list[str]]:
    return at.session_state[f"{ns}.base"][name]


def test_residual_formula_of_w2_with_values_and_back():
    # last step, cell (1, 1): [I | W2 | b2]·[X; H; 1] with X's column 1 = (1, 0, 2) and H's = (3, 0, 0)
    at = open_page(RES, state={"residual.step": 4, "residual.cell.3": (0, 0)})
    show_formula(at, "residual", "W2")
    assert not at.exception and not at.error
    assert base(at, "residual", "W2")[0] == ["w2_11", "w2_12", "w2_13"]
    text = panel(at)
    assert "[1, 1] = 3·w2₁₁ + 1\n    = 4" in text  # 1 (x₁₁) + 3·w2₁₁ + 0 (b2₁), w2₁₁ = 1
    assert "max(0, 3·w2₁₁ + 1)\n    = 4" in text
    click(at, "residual.formula.back")
    assert not at.exception and not at.error
    assert base(at, "residual", "W2")[0] == ["1", "-1", "0"]
    assert "= 4" in panel(at) and "w2" not in panel(at)


def test_residual_symbolic_cell_edited_to_a_number():
    at = open_page(RES, state={"residual.step": 4, "residual.cell.3": (0, 0)})
    show_formula(at, "residual", "W2")
    edit(at, "residual.edit.W2", 0, 0, "2")
    assert not at.exception and not at.error
    assert "= 7" in panel(at)  # 1 + 2·3
    edit(at, "residual.edit.W2", 0, 0, "2*a + 1/3")  # an expression typed by hand, read by the safe parser
    assert not at.exception and not at.error
    assert "[1, 1] = 6·a + 2" in panel(at)


def test_residual_all_matrices():
    at = open_page(RES, state={"residual.step": 2, "residual.cell.1": (0, 0)})
    show_formula(at, "residual", "All matrices")
    assert not at.exception and not at.error
    # Z [1, 1] = w1₁₁·x₁₁ + w1₁₂·x₂₁ + w1₁₃·x₃₁ + b1₁, collected by X's symbols; 1·1 + 0·0 + 1·2 + 0 = 3
    text = panel(at)
    assert "b1₁ + w1₁₁·x₁₁ + w1₁₂·x₂₁ + w1₁₃·x₃₁\n    = 3" in text, text


def open_attention(state: dict) -> AppTest:
    from test_page_standard import open_standard

    return open_standard("attention", state=state)


def open_file(page: str):
    return lambda state: open_page(page, state=state)


# page, namespace, matrix made symbols, step (1-based), the cell's expression and value by hand,
# a symbolic cell typed back to a number (matrix, row, column, text) and the cell's value then,
# the matrix's first row back in numbers
PAGES = {
    # Z = X·A, A's column 1 = (1/2, 1/2, 0): x₁₁/2 + x₁₂/2 with x₁₁ = 2, x₁₂ = 0
    "encoder": (open_file("app_pages/encoder_block.py"), "encoder", "X", 2, "x₁₁/2 + x₁₂/2", "1",
                ("X", 0, 0, "4"), "x₁₂/2 + 2\n    = 2", ["2", "0", "1"]),
    # Q = Wq·X + bq, X's column 1 = (1, 0, 1), bq₁ = 0: wq₁₁ + wq₁₃ with wq₁₁ = 1, wq₁₃ = 1
    "attention": (open_attention, "attention", "Wq", 2, "wq₁₁ + wq₁₃", "2",
                  ("Wq", 0, 0, "3"), "wq₁₃ + 3\n    = 4", ["1", "0", "1"]),
    # z = W1·x + b1, W1's row 1 = (1, 0, 1), b1₁ = 0: x₁ + x₃ with x = (2, 1, −1)
    "why": (open_file("app_pages/why_residual.py"), "why", "x", 2, "x₁ + x₃", "1",
            ("x", 0, 0, "5"), "x₃ + 5\n    = 4", ["2"]),
    # Y1 = W1·im2col(x), kernel (0 1 0; 1 −1 1; 0 1 0) at pixel (1, 1) of the zero-padded x:
    # −x1₁₁ + x1₁₂ + x1₂₁ with x1₁₁ = 1, x1₁₂ = 2, x1₂₁ = 0
    "conv": (open_file("app_pages/conv_block.py"), "conv.basic.identity.1", "x1", 3,
             "−x1₁₁ + x1₁₂ + x1₂₁", "1", ("x1", 0, 0, "3"), "x1₁₂ + x1₂₁ − 3\n    = −1",
             ["1", "2", "0", "1"]),
}


@pytest.mark.parametrize("page", PAGES)
def test_formula_on_every_page(page):
    opener, ns, which, step, expression, value, (name, r, c, text), edited, numbers = PAGES[page]
    at = opener({f"{ns}.step": step, f"{ns}.cell.{step - 1}": (0, 0)})
    assert not at.exception
    show_formula(at, ns, which)
    assert not at.exception and not at.error, errors(at)
    assert f"[1, 1] = {expression}\n    = {value}" in panel(at), panel(at)
    edit(at, f"{ns}.edit.{name}", r, c, text)  # a symbolic cell typed back to a number
    assert not at.exception and not at.error, errors(at)
    assert edited in panel(at), panel(at)
    click(at, f"{ns}.formula.back")
    assert not at.exception and not at.error, errors(at)
    assert base(at, ns, which)[0] == [text if (r, c) == (0, j) else v for j, v in enumerate(numbers)]
    assert "₁" not in panel(at)


def warnings(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning).replace("\\", "")


def test_sizes_too_big_for_symbols_say_the_limit_and_keep_the_numbers():
    at = open_page(RES)
    for size in ("features", "samples", "hidden"):
        at.number_input(key=f"residual.size.{size}").set_value(8).run()
    show_formula(at, "residual", "All matrices")
    assert not at.exception
    # X 8×8, W1 8×8, b1 8×1, W2 8×8, b2 8×1: 208 cells
    assert "at most 100 cells in all; this one has 208" in warnings(at)
    assert "residual.formula" not in at.session_state
    assert base(at, "residual", "X")[0][0].lstrip("-").isdigit()


def test_conv_all_matrices_but_the_batch_norms():
    ns = "conv.basic.identity.1"
    at = open_page("app_pages/conv_block.py")
    show_formula(at, ns, "All matrices")
    assert not at.exception and not at.error
    assert "bn1, bn2 stay numbers" in warnings(at)
    assert base(at, ns, "x1")[0][0] == "x1_11" and base(at, ns, "bn1") == [["1", "0", "2", "1"]]


def test_compare_and_mixing_views_take_symbols():
    at = open_page(RES, state={"residual.compare": True})
    show_formula(at, "residual", "X")
    assert not at.exception and not at.error
    # with the skip Out = ReLU(X + F(X)), without it ReLU(F(X)): every cell differs by an expression
    assert any(c.value.startswith("9 of 9 cells differ") for c in at.caption)
    at = open_page("app_pages/encoder_block.py", state={"encoder.mixing": True, "encoder.compare": True,
                                                        "encoder.step": 7})
    show_formula(at, "encoder", "All matrices")
    assert not at.exception and not at.error


def test_the_link_carries_the_numbers_while_the_formula_is_shown():
    at = open_page(RES)
    show_formula(at, "residual", "W2")
    edit(at, "residual.edit.W2", 0, 0, "5")
    assert at.query_params.get("m.W2") in (["5,-1,0;0,1,1;1,0,-1"], "5,-1,0;0,1,1;1,0,-1")


def link(at: AppTest) -> dict[str, str]:
    return {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in at.query_params}


# page, namespace, matrix, its first row of symbols (written by hand), its first row of numbers in the link
# (edited: (row, column, number)); the link's step and a picked cell's expression and value by hand
LINKED = {
    "residual": (RES, "residual", "W2", ["w2_11", "w2_12", "w2_13"], ["5", "-1", "0"],
                 # Out [1, 1] = x₁₁ + Σ w2₁ₖ·h_k1 + b2₁ = 1 + 3·w2₁₁ + 0 with w2₁₁ = 5
                 4, "3·w2₁₁ + 1\n    = 16"),
    # Z = X·A, A's column 1 = (1/2, 1/2, 0): x₁₁/2 + x₁₂/2 with x₁₁ = 5, x₁₂ = 0
    "encoder": ("app_pages/encoder_block.py", "encoder", "X", ["x11", "x12", "x13"], ["5", "0", "1"],
                2, "x₁₁/2 + x₁₂/2\n    = 5/2"),
    # z = W1·x + b1, W1's row 1 = (1, 0, 1), b1₁ = 0: x₁ + x₃ with x = (5, 1, −1)
    "why": ("app_pages/why_residual.py", "why", "x", ["x1"], ["5"], 2, "x₁ + x₃\n    = 4"),
    # Y1 [1, 1] = −x1₁₁ + x1₁₂ + x1₂₁ with x1₁₁ = 5, x1₁₂ = 2, x1₂₁ = 0
    "conv": ("app_pages/conv_block.py", "conv.basic.identity.1", "x1", ["x1_11", "x1_12", "x1_13", "x1_14"],
             ["5", "2", "0", "1"], 3, "−x1₁₁ + x1₁₂ + x1₂₁\n    = −3"),
}


@pytest.mark.parametrize("page", LINKED)
def test_a_link_made_with_the_formula_shown_reopens_it(page):
    path, ns, which, symbols, numbers, step, cell = LINKED[page]
    at = open_page(path)
    show_formula(at, ns, which)
    edit(at, f"{ns}.edit.{which}", 0, 0, "5")  # a symbolic cell typed back to a number: the link keeps it
    made = link(at)
    assert made["formula"] == which and made[f"m.{which}"].split(";")[0] == ",".join(numbers), made
    at = open_page(path, {**made, "step": str(step)}, state={f"{ns}.cell.{step - 1}": (0, 0)})
    assert not at.exception and not at.error and not at.warning, errors(at)
    assert base(at, ns, which)[0] == symbols
    assert at.selectbox(key=f"{ns}.formula.which").value == which
    assert f"[1, 1] = {cell}" in panel(at), panel(at)
    assert link(at)["formula"] == which  # the reopened page keeps it in its own link
    click(at, f"{ns}.formula.back")
    assert not at.exception and not at.error
    assert base(at, ns, which)[0] == numbers and "formula" not in link(at)


def test_a_link_with_an_expression_typed_while_the_formula_is_shown_reopens_it():
    at = open_page(RES, state={"residual.step": 4, "residual.cell.3": (0, 0)})
    show_formula(at, "residual", "W2")
    edit(at, "residual.edit.W2", 0, 0, "2*a + 1/3")  # a name of the learner's own: the link keeps the text
    made = link(at)
    assert made["formula"] == "W2" and made["m.W2"].split(";")[0] == "2*a + 1/3,-1,0", made
    at = open_page(RES, {**made, "step": "4"}, state={"residual.cell.3": (0, 0)})
    assert not at.exception and not at.error and not at.warning, errors(at)
    assert base(at, "residual", "W2")[0] == ["2*a + 1/3", "w2_12", "w2_13"]
    assert "[1, 1] = 6·a + 2" in panel(at)  # 1 + 3·(2a + 1/3), as typed on the page
    assert link(at)["m.W2"] == made["m.W2"]


@pytest.mark.parametrize("cell, formula, named, shown", [
    ("__import__('os')", "W2", "W2, row 1, column 1", ["w2_11", "w2_12", "w2_13"]),  # the default's formula
    ("2*a", None, "W2, row 1, column 1: '2*a' is not a number", ["1", "-1", "0"]),  # numbers only
])
def test_a_link_expression_is_read_safely_and_only_with_the_formula(cell, formula, named, shown):
    params = {"m.W2": f"{cell},-1,0;0,1,1;1,0,-1", **({"formula": formula} if formula else {})}
    at = open_page(RES, params)
    assert not at.exception and not at.error
    said = warnings(at)
    assert named in said and "showing the default example" in said, said
    assert base(at, "residual", "W2")[0] == shown


def test_a_link_with_every_matrix_as_symbols():
    at = open_page(RES, {"formula": "all", "step": "2"}, state={"residual.cell.1": (0, 0)})
    assert not at.exception and not at.error and not at.warning
    assert [base(at, "residual", n)[0][0] for n in ("X", "W1", "b1", "W2", "b2")] == \
        ["x11", "w1_11", "b1_1", "w2_11", "b2_1"]
    assert "b1₁ + w1₁₁·x₁₁ + w1₁₂·x₂₁ + w1₁₃·x₃₁\n    = 3" in panel(at)  # 1·1 + 0·0 + 1·2 + 0
    assert link(at)["formula"] == "all"


def test_a_link_with_two_matrices_as_symbols():
    at = open_page(RES, {"formula": "X,W2"})
    assert not at.exception and not at.warning
    assert base(at, "residual", "X")[0] == ["x11", "x12", "x13"]
    assert base(at, "residual", "W1")[0] == ["1", "0", "1"]
    assert base(at, "residual", "W2")[0] == ["w2_11", "w2_12", "w2_13"]
    assert link(at)["formula"] == "X,W2"


HOSTILE_FORMULA = {
    "unknown matrix": "W9",
    "lower case": "w2",
    "repeated": "W2,W2",
    "empty": "",
    "trailing comma": "W2,",
    "markup": "[W2](https://evil.example) <b>W2</b>",
    "code": "__import__('os').system('x')",
    "long": "W2," * 5000,
}


@pytest.mark.parametrize("value", HOSTILE_FORMULA.values(), ids=HOSTILE_FORMULA.keys())
def test_a_hostile_formula_in_the_link_says_so_and_keeps_the_numbers(value):
    at = open_page(RES, {"formula": value, "m.b2": "1;2;3"})
    assert not at.exception and not at.error
    said = warnings(at)
    assert "in the link is not all or matrices of this example (X, W1, b1, W2, b2); showing the numbers" \
        in said, said
    assert len(said) < 400  # the value is quoted cut, never whole
    assert "residual.formula" not in at.session_state or not at.session_state["residual.formula"]
    assert base(at, "residual", "b2") == [["1"], ["2"], ["3"]]
    assert base(at, "residual", "W2")[0] == ["1", "-1", "0"]
    assert "formula" not in link(at)


def test_a_formula_link_the_sizes_refuse_says_why_and_keeps_the_numbers():
    at = open_page(RES, {"formula": "all", "d": "8", "n": "8", "h": "8"})
    assert not at.exception and not at.error
    assert "The link's formula could not be shown: The formula is worked out for examples of at most 100 " \
           "cells in all; this one has 208" in warnings(at), warnings(at)
    assert base(at, "residual", "X")[0][0].lstrip("-").isdigit() and "formula" not in link(at)


TORCH = "app_pages/encoder_block.py"


def test_the_torch_variant_shows_the_formula_of_x():
    at = open_page(TORCH, {"v": "torch", "n": "2", "d": "2", "f": "2", "step": "2"},
                   state={"encoder.torch.cell.1": (0, 0)})
    assert not at.exception and not at.error
    assert at.button(key="encoder.torch.formula.show").help.startswith(
        "The chosen matrix's cells become symbols: every step shows the general rule. Only X becomes symbols")
    show_formula(at, "encoder.torch", "X")
    assert not at.exception and not at.error and not at.warning, errors(at)
    assert base(at, "encoder.torch", "X") == [["x11", "x12"], ["x21", "x22"]]
    # Q = Wq·X + bq: column 1 of Q combines the features of position 1 only (x₁₁, x₂₁), never x₁₂
    text = panel(at)
    line = text.split("\n")[0]
    assert line.startswith("Wq·X + bq [1, 1] = ") and "x₁₁" in line and "x₂₁" in line, text
    assert "x₁₂" not in line and "x₂₂" not in line, text
    assert next(t for t in at.toggle if t.key == "encoder.torch_check").disabled
    assert link(at)["formula"] == "X" and link(at)["v"] == "torch"
    click(at, "encoder.torch.formula.back")
    assert not at.exception and not at.error
    assert not next(t for t in at.toggle if t.key == "encoder.torch_check").disabled
    assert "₁" not in panel(at)


def test_the_torch_variant_at_its_default_sizes_says_the_limit():
    at = open_page(TORCH, {"v": "torch"})
    show_formula(at, "encoder.torch", "X")
    assert not at.exception and not at.error
    # X 4×3, dim_feedforward 6
    said = warnings(at)
    assert "at most 2 (its expressions grow with each LayerNorm), not 4, 3 and 6" in said, said
    assert base(at, "encoder.torch", "X")[0] == ["1", "0", "2"]

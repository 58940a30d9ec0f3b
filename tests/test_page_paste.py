"""Pasting a whole matrix into an editor (the "Paste" popover), on the residual block's page (AppTest).

The default example's X is [[1, 2, 0], [0, 1, 1], [2, -1, 1]] (3×3) and b1 is [[0], [1], [0]]; a paste
replaces one matrix's start (``residual.base``), restarts its editor and keeps every other matrix.
"""

from __future__ import annotations

from apptest_helpers import errors, open_page

RES = "app_pages/residual_block.py"
X_DEFAULT = [["1", "2", "0"], ["0", "1", "1"], ["2", "-1", "1"]]


def paste(at, name: str, text: str):
    at.text_area(key=f"residual.paste.{name}").input(text)
    at.button(key=f"residual.paste_use.{name}").click()
    return at.run()


def test_each_matrix_has_a_paste_box_with_a_placeholder_and_nothing_in_it():
    at = open_page(RES)
    for name in ("X", "W1", "b1", "W2", "b2"):
        box = at.text_area(key=f"residual.paste.{name}")
        assert box.value == ""
        assert box.placeholder == "1 2 3\n4 5 6"


def test_a_pasted_matrix_becomes_the_example_and_the_editor_restarts_from_it():
    at = open_page(RES, state={"residual.step": 1})
    paste(at, "X", "[[7, 0.5, 0],\n [0, 1, 1],\n [2, -1, 1]]")
    assert not at.exception and not at.error
    pasted = [["7", "1/2", "0"], ["0", "1", "1"], ["2", "-1", "1"]]
    assert at.session_state["residual.base"]["X"] == pasted
    assert at.session_state["residual.valid"]["X"] == pasted  # it is drawn
    assert at.session_state["residual.base"]["W1"] == [["1", "0", "1"], ["0", "1", "-1"], ["-1", "1", "0"]]
    assert at.text_area(key="residual.paste.X").value == ""  # the box is cleared for the next paste
    assert "7 1/2 0" in " ".join(" ".join(c.value.split()) for c in at.code)  # step 1 shows the given X


def test_a_paste_keeps_the_edits_of_the_other_editors():
    from apptest_helpers import edit

    at = open_page(RES)
    edit(at, "residual.edit.W1", 0, 0, "5")
    paste(at, "X", "1 2 0\n0 1 1\n2 -1 3")
    assert at.session_state["residual.valid"]["X"][2] == ["2", "-1", "3"]
    assert at.session_state["residual.valid"]["W1"][0] == ["5", "0", "1"]


def test_a_bias_pasted_as_a_row_fills_its_column():
    at = open_page(RES)
    paste(at, "b1", "tensor([ 1., -2.,  3.])")
    assert not at.error
    assert at.session_state["residual.valid"]["b1"] == [["1"], ["-2"], ["3"]]


def test_a_bad_paste_names_the_cell_and_keeps_the_example():
    at = open_page(RES)
    paste(at, "X", "1 2 0\n0 abc 1\n2 -1 1")
    assert not at.exception
    assert "X, row 2, column 2: 'abc' is not a number" in errors(at)
    assert at.session_state["residual.base"]["X"] == X_DEFAULT
    assert at.session_state["residual.valid"]["X"] == X_DEFAULT
    assert at.text_area(key="residual.paste.X").value == "1 2 0\n0 abc 1\n2 -1 1"  # kept to be fixed
    at.run()
    assert not at.error  # the message was for that paste


def test_ragged_rows_name_the_row():
    at = open_page(RES)
    paste(at, "W2", "1 2 3\n4 5")
    assert "W2, row 2, column 3: row 2 has 2 cells but row 1 has 3" in errors(at)


def test_a_paste_of_another_shape_asks_to_change_the_sizes_first():
    at = open_page(RES)
    paste(at, "X", "1 2\n3 4")
    assert ("X is 3×3 here; the pasted matrix is 2×2. To paste a matrix of another shape, change the sizes "
            "above first.") in errors(at)
    assert at.session_state["residual.base"]["X"] == X_DEFAULT


def test_a_pasted_text_never_becomes_markup():
    at = open_page(RES)
    paste(at, "X", "**x** <b>1</b> 2")
    raw = " ".join(e.value for e in at.error)
    assert "X, row 1, column 1" in errors(at)
    assert "\\*\\*x\\*\\*" in raw and "**x**" not in raw


def test_a_huge_exponent_and_a_long_text_get_messages():
    at = open_page(RES)
    paste(at, "X", "1e-10000000 0 0\n0 1 1\n2 -1 1")
    assert "X, row 1, column 1: '1e-10000000' is too long (at most 17 digits, exponents within" in errors(at)
    paste(at, "X", "1 " * 2500)
    assert "X: the text is 5,000 characters long; at most 4,000 are read" in errors(at)
    assert at.session_state["residual.valid"]["X"] == X_DEFAULT

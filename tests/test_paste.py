"""Reading a whole matrix typed or pasted as text (``byhand.numbers.read_matrix_text``).

Each format is the text a tool really writes (a spreadsheet's copy, numpy's and PyTorch's print,
Python, MATLAB, LaTeX); the expected rows are written out by hand, in the editors' text form.
"""

from __future__ import annotations

import pytest

from byhand.numbers import MAX_PASTE, ByHandError, read_matrix_text

FORMATS = [
    ("spaces", "1 2 3\n4 5 6", [["1", "2", "3"], ["4", "5", "6"]]),
    ("commas and semicolons", "1, 2; 3, 4", [["1", "2"], ["3", "4"]]),
    ("Excel / Google Sheets (tabs, CRLF)", "1\t-2\t0.5\r\n3\t4\t1/3\r\n",
     [["1", "-2", "1/2"], ["3", "4", "1/3"]]),
    ("blank lines", "\n1 2\n\n\n3 4\n\n", [["1", "2"], ["3", "4"]]),
    ("numpy print", "[[ 1.  -0.5]\n [ 2.   3. ]]", [["1", "-1/2"], ["2", "3"]]),
    ("numpy print, exponents", "[[1.e-05 2.e+00]\n [3.e+00 4.e+00]]", [["1/100000", "2"], ["3", "4"]]),
    ("numpy repr", "array([[1, 2], [3, 4]])", [["1", "2"], ["3", "4"]]),
    ("numpy repr with dtype", "array([[1, 2],\n       [3, 4]], dtype=int64)", [["1", "2"], ["3", "4"]]),
    ("torch print", "tensor([[ 1.0000, -0.2500],\n        [ 0.0000,  2.0000]], requires_grad=True)",
     [["1", "-1/4"], ["0", "2"]]),
    ("Python / JSON list", "[[1, 2], [3, 4]]", [["1", "2"], ["3", "4"]]),
    ("JSON list on one line per row", "[\n  [1, -2],\n  [0, 7]\n]", [["1", "-2"], ["0", "7"]]),
    ("one flat list is one row", "[1, 2, 3]", [["1", "2", "3"]]),
    ("MATLAB", "[1 2; 3 4]", [["1", "2"], ["3", "4"]]),
    ("MATLAB assignment", "X = [1 -2; 3 4];", [["1", "-2"], ["3", "4"]]),
    ("sympy", "Matrix([[1, 1/2], [3, 4]])", [["1", "1/2"], ["3", "4"]]),
    ("Mathematica braces", "{{1, 2}, {3, 4}}", [["1", "2"], ["3", "4"]]),
    ("LaTeX bmatrix", r"\begin{bmatrix} 1 & 2 \\ 3 & -1/2 \end{bmatrix}", [["1", "2"], ["3", "-1/2"]]),
    ("LaTeX pmatrix, \\frac", r"\begin{pmatrix} 1 & -\frac{1}{2} \\ 0.25 & \tfrac{-3}{4} \end{pmatrix}",
     [["1", "-1/2"], ["1/4", "-3/4"]]),
    ("LaTeX array in $$ with \\left[", r"$$\left[\begin{array}{cc} 1 & 2 \\ 3 & 4 \end{array}\right]$$",
     [["1", "2"], ["3", "4"]]),
    ("LaTeX, one line, no spaces", r"\begin{bmatrix}1&2\\3&4\end{bmatrix}", [["1", "2"], ["3", "4"]]),
    ("unicode minus", "−1 2\n3 −4", [["-1", "2"], ["3", "-4"]]),
    ("non-breaking spaces", "1\u00a02\n3\u00a04", [["1", "2"], ["3", "4"]]),
    ("a column", "1\n-2\n3", [["1"], ["-2"], ["3"]]),
    ("canonical text: -0 and 2/4", "-0 2/4 1.50", [["0", "1/2", "3/2"]]),
]


@pytest.mark.parametrize("text, expected", [f[1:] for f in FORMATS], ids=[f[0] for f in FORMATS])
def test_each_format_reads_to_the_rows_typed_by_hand(text, expected):
    assert read_matrix_text("X", text) == expected


def test_an_eight_by_eight_matrix_is_read():
    text = "\n".join(" ".join(str(8 * r + c) for c in range(8)) for r in range(8))
    rows = read_matrix_text("W1", text)
    assert rows[0] == ["0", "1", "2", "3", "4", "5", "6", "7"]
    assert rows[7] == ["56", "57", "58", "59", "60", "61", "62", "63"]


def _error(text: str, name: str = "X", **kw) -> ByHandError:
    with pytest.raises(ByHandError) as info:
        read_matrix_text(name, text, **kw)
    return info.value


def test_ragged_rows_name_the_matrix_and_the_row():
    e = _error("1 2 3\n4 5", name="W1")
    assert str(e).startswith("W1, row 2")
    assert "row 2 has 2 cells but row 1 has 3" in str(e)
    assert (e.matrix, e.row) == ("W1", 2)


def test_ragged_latex_rows():
    e = _error(r"\begin{bmatrix} 1 & 2 \\ 3 \end{bmatrix}")
    assert (e.matrix, e.row) == ("X", 2)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "[[]]", "[]", r"\begin{bmatrix}\end{bmatrix}", "X = "])
def test_nothing_to_read(text):
    e = _error(text)
    assert str(e).startswith("X: there is no number to read")


def test_text_too_long_is_refused_before_any_work():
    e = _error("1 " * (MAX_PASTE // 2 + 1))
    assert str(e) == (f"X: the text is {MAX_PASTE + 2:,} characters long; at most {MAX_PASTE:,} are read "
                      "(a matrix of at most 8 × 8 numbers).")


@pytest.mark.parametrize("text, row, col, words", [
    ("1 2\n3 abc", 2, 2, "'abc' is not a number"),
    ("1\t\t2", 1, 2, "the cell is empty"),
    ("1,,2", 1, 2, "the cell is empty"),
    ("1 2\n1/0 4", 2, 1, "'1/0' is a fraction with a zero denominator"),
    ("nan 1", 1, 1, "'nan' is not finite"),
    ("1 inf", 1, 2, "'inf' is not finite"),
    ("1 2\n3 1e7", 2, 2, "too large"),
    ("1 2 3 4", 1, 1, None),  # no error: the control row for the cases above
    ("1 __import__('os')", 1, 2, "'__import__' is not a number"),
    ("<b>1</b> 2", 1, 1, "'<b>1</b>' is not a number"),
])
def test_a_bad_cell_names_its_row_and_column(text, row, col, words):
    if words is None:
        assert read_matrix_text("X", text) == [["1", "2", "3", "4"]]
        return
    e = _error(text)
    assert str(e).startswith(f"X, row {row}, column {col}: ")
    assert words in str(e)
    assert (e.matrix, e.row, e.col) == ("X", row, col)


@pytest.mark.parametrize("text, shape", [("\n".join(["1"] * 9), "9×1"), (" ".join(["1"] * 9), "1×9"),
                                         ("\n".join([" ".join(["1"] * 9)] * 9), "9×9")])
def test_too_many_rows_or_columns(text, shape):
    assert str(_error(text)) == f"X is {shape}: at most 8 rows and 8 columns are supported."


def test_max_dim_is_the_callers():
    assert str(_error("1 2 3", max_dim=2)) == "X is 1×3: at most 2 rows and 2 columns are supported."
    assert read_matrix_text("X", " ".join(["1"] * 12), max_dim=12) == [["1"] * 12]


@pytest.mark.parametrize("cell", ["1e-10000000", "1E+99999999999", "2e400", "1e-0000000000400"])
def test_a_huge_exponent_is_refused_before_building_a_number(cell):
    # Fraction('1e-10000000') takes seconds and a ten-million-digit denominator: refused by its text
    e = _error(f"1 2\n3 {cell}")
    assert str(e).startswith(f"X, row 2, column 2: {cell!r} is too ")
    assert str(e).endswith("(at most 17 digits, exponents within ±12); type a number such as 2, -1 or 1/3.")


def test_an_exponent_within_bounds_is_exact():
    assert read_matrix_text("X", "1e-3 2.5e2") == [["1/1000", "250"]]


@pytest.mark.parametrize("text", [r"\sqrt{2} & 1", r"\begin{bmatrix} \frac{1.5}{2} \end{bmatrix}",
                                  r"\frac{a}{b}", r"\input{/etc/passwd}"])
def test_latex_beyond_numbers_and_simple_fractions_is_named(text):
    e = _error(text)
    assert str(e).startswith("X: '\\")
    assert "is not read" in str(e)


def test_text_that_is_not_a_string():
    assert "must be text" in str(_error(None))  # type: ignore[arg-type]

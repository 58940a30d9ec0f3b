"""Symbolic cells rendered (issue 12 §5): compact math in text, sympy's LaTeX, and the PDF, GIF and
XLSX writers on a symbolic walkthrough (an expression written as text where a cell is symbolic)."""

import io

import numpy as np
import openpyxl
import pytest
import sympy
from PIL import Image
from pypdf import PdfReader

from byhand.blocks import BLOCKS
from byhand.blocks.residual import residual_block
from byhand.render import step_chart, step_latex, step_text, walkthrough_gif, worksheet_pdf
from byhand.render.xlsx import answer_key_xlsx, worksheet_xlsx
from byhand.symbols import latex, show, symbol, symbolize

a, b, w11, x1, b1 = (symbol(n) for n in ("a", "b", "w11", "x1", "b1"))


@pytest.mark.parametrize("value, text", [
    (w11 * x1 + b1, "b₁ + w₁₁·x₁"), (symbol("w1_23"), "w1₂₃"), (symbol("x_1") ** 2, "x₁²"),
    (sympy.sqrt(2) * a / 2, "√2·a/2"), (sympy.sqrt(a + 1), "√(a + 1)"),
    (sympy.Max(0, a - 1), "max(0, a − 1)"), (sympy.Heaviside(a, 0), "[a > 0]"),
    (sympy.exp(a) / (sympy.exp(a) + sympy.exp(b)), "exp(a)/(exp(a) + exp(b))"),
    (-a, "−a"), ((a + b) ** 2, "(a + b)²"), (a ** -1, "1/a"),
])
def test_compact_math(value, text):
    assert show(value) == text


@pytest.mark.parametrize("value, tex", [
    (w11 * x1 + b1, r"b_{1} + w_{11} \cdot x_{1}"),
    (symbol("w1_23"), r"w^{(1)}_{23}"),
    (sympy.Max(0, a), r"\operatorname{max}\left(0, a\right)"),
    (sympy.Heaviside(a - 1, 0) * b, r"\mathbb{1}[a - 1 > 0] \cdot b"),
    (sympy.sqrt(2) / 2, r"\frac{\sqrt{2}}{2}"),
])
def test_latex_by_sympy(value, tex):
    assert latex(value) == tex


def _small():
    """H = ReLU(W1·X + b1) with W1 = [w1], b1 = [c]: cells w₁ + c and 2·w₁ + c."""
    return residual_block(X=[[1, 2]], W1=[[symbol("w1")]], b1=[[symbol("c")]], W2=[[2]], b2=[[1]])


def test_step_text_and_latex_show_the_expressions():
    H = _small().steps[1]
    text = step_text(H)
    assert "c+w₁ c+2·w₁" in text and "max(0,c+w₁) max(0,c+2·w₁)" in text  # one space between cells
    tex = step_latex(H)
    assert r"c + w_{1} & c + 2 \cdot w_{1}" in tex
    assert r"\operatorname{max}\left(0, c + w_{1}\right)" in tex


def _symbolic(name):
    bt = BLOCKS[name]
    sym, _ = symbolize(bt.default())
    return bt.build(**sym)


@pytest.mark.parametrize("name", ["residual", "encoder", "attention", "jacobian"])
def test_pdf_gif_and_drawing_of_a_symbolic_walkthrough(name):
    wt = _symbolic(name)
    for s in wt.steps:
        assert step_chart(s) is not None
    pdf = PdfReader(io.BytesIO(worksheet_pdf(wt, kind="worked")))
    text = " ".join(page.extract_text() for page in pdf.pages)
    first = wt.steps[0].result
    assert show(first[0, 0]) in text and show(first[-1, -1]) in text  # the given cells, as compact math
    gif = Image.open(io.BytesIO(walkthrough_gif(wt)))
    assert gif.n_frames == len(wt.steps)


def _pdf_text(wt, kind: str) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(worksheet_pdf(wt, kind=kind))).pages)


def test_the_pdf_shows_compact_math_and_writes_long_cells_under_the_drawing():
    """A cell that fits its box is printed in it; a longer one is a mark, written out under the drawing,
    an earlier mark inside it written as the mark: Out = X + 2·H + 1 = 1 + 2·max(0, c + w₁) + 1."""
    text = _pdf_text(_small(), "worked")
    assert "c + w₁ c + 2·w₁ (1) (2)" in text and "stays max(0, e)" in text
    assert "(1) = max(0, c + w₁)\n(2) = max(0, c + 2·w₁)" in text
    assert "(3) = 2·(1) + 2\n(4) = 2·(2) + 3" in text
    practice = _pdf_text(_small(), "practice")  # H and Out are blanks: none of their expressions printed
    assert "(1) =" not in practice and "(3) =" not in practice and "c + w₁" not in practice


def _values(data: bytes) -> list:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def test_xlsx_writes_expressions_as_text_and_numbers_as_numbers():
    wt = _small()
    worked = _values(worksheet_xlsx(wt, kind="worked"))
    assert "c + 2·w₁" in worked and "max(0, c + 2·w₁)" in worked
    assert 2 in worked  # X's cell 2 is still a number
    key = _values(answer_key_xlsx(wt))
    assert "max(0, c + w₁)" in key


@pytest.mark.parametrize("name", ["residual", "jacobian"])
def test_xlsx_practice_sheet_of_a_symbolic_exercise(name):
    """No answer in the student's file; an expression's self-check is the Practice page's."""
    wt = _symbolic(name)
    values = _values(worksheet_xlsx(wt, kind="practice"))
    assert "Practice page" in values
    answers = {show(v) for s in wt.steps if s.answer_region for v in np.ravel(getattr(s, s.answer_region))
               if hasattr(v, "free_symbols") and v.free_symbols}
    given = {show(v) for m in wt.inputs.values() for v in m.flat if hasattr(v, "free_symbols")}
    assert not (answers - given) & {str(v) for v in values}


def test_a_layers_huge_output_cell_is_cut_in_its_tooltip_and_its_panel():
    """A TransformerEncoderLayer worked out with symbols (2×2, dim_feedforward 2): its last step's cells
    print as about 300,000 characters each. Tooltip and picked-cell panel give their first term and say
    how long they are; a small cell (the first multiply's) is still written out whole."""
    from byhand.blocks.transformer import random_transformer_params, transformer_layer
    from byhand.formula import cell_formula, collect_walkthrough, read_rows, to_symbols

    rows, values = to_symbols({"X": [["1", "2"], ["0", "1"]]}, ["X"])
    wt = collect_walkthrough(transformer_layer(read_rows(rows)["X"], random_transformer_params(0, 2, 2), 1,
                                               False, "relu"))
    last = wt.steps[-1]
    chart = step_chart(last)
    tips = {(r["region"], r["row"], r["col"]): r["detail"] for name in ("bh_boxes", "bh_picks")
            for r in chart.data.get(name, []) if r["region"] in ("product", "result")}
    assert len(tips) == 8 and all(len(t) < 1500 for t in tips.values()), tips
    assert all("too long to write out" in t for (region, _, _), t in tips.items() if region == "product")
    panel = cell_formula(last, 0, 0, values)
    assert len(panel) < 1500 and "more than 2,000 terms and operations: too long to write out" in panel, panel
    assert "\n    = " in panel  # its value, with the numbers X had
    first = cell_formula(wt.steps[1], 0, 0, values)
    assert "too long" not in first and "x₁₁" in first

"""XLSX worksheets: every formula, recomputed by an independent evaluator (the ``formulas``
package), equals the engine's value; self-check cells say NOT DONE, CORRECT or INCORRECT for
answers typed into the learner's cells (written with openpyxl, as a student's spreadsheet would).
That the student's file holds no answer is tests/test_xlsx_no_answers.py."""

import io
import os
import zipfile
from fractions import Fraction

import numpy as np
import pytest
from xlsxwriter.utility import xl_rowcol_to_cell

from byhand.blocks import BLOCKS
from byhand.blocks.residual import residual_block
from byhand.numbers import ByHandError
from byhand.practice import ExerciseSpec, make_exercise
from byhand.render.pack import class_pack, class_pack_key_xlsx
from byhand.render.xlsx import answer_key_xlsx, plan_sheet, sheet_name, worksheet_xlsx

if os.environ.get("CI") == "true":  # in CI the independent evaluator must be there
    import formulas
    import openpyxl
else:  # locally, skip without it (formulas reads workbooks through openpyxl)
    formulas = pytest.importorskip("formulas")
    openpyxl = pytest.importorskip("openpyxl")


def evaluate(data: bytes, tmp_path, name: str = "w.xlsx") -> dict:
    """Recompute every formula with ``formulas``: (SHEET NAME in capitals, A1) → value."""
    path = tmp_path / name
    path.write_bytes(data)
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out = {}
    for key, v in solution.items():
        sheet, _, addr = str(key).rpartition("!")
        if ":" in addr or not sheet:
            continue
        value = v.value[0][0] if hasattr(v, "value") else v
        out[(sheet.split("]")[1].strip("'"), addr)] = value
    return out


def engine_value(wt, step, region, i, j):
    """The value the engine gives a cell of a step (straight from the walkthrough)."""
    s = wt.steps[step]
    return {"product": s.product, "result": s.result}[region][i, j]


@pytest.mark.parametrize("block", list(BLOCKS))
@pytest.mark.parametrize("seed", (0, 3))
def test_every_formula_recomputes_to_the_engine_value(block, seed, tmp_path):
    ex = ExerciseSpec(block, seed).exercise()
    plan = plan_sheet(ex, "worked")
    got = evaluate(worksheet_xlsx(ex, "worked"), tmp_path)
    sheet = sheet_name(ex.code).upper()
    formula_cells = [c for c in plan.cells if c.formula]
    assert any("MMULT(" in c.formula for c in formula_cells)
    marker = {"relu": "=IF(", "softmax": "EXP(", "layernorm": "VARP(", "gelu": "ERF("}
    for op in {s.op.name for s in ex.walkthrough.steps} & set(marker):  # each op as its own formula
        assert any(marker[op] in c.formula for c in formula_cells), op
    for c in formula_cells:
        value = got[(sheet, xl_rowcol_to_cell(c.row, c.col))]
        assert float(value) == pytest.approx(float(c.value), abs=1e-9), (c.formula, c.value)
    # and those values are the walkthrough's own: every product and result cell is a formula
    products = {(c.row, c.col) for c in formula_cells if c.kind == "computed"}
    n = sum(s.product.size + (s.result.size if s.op.name != "none" else 0)
            for s in ex.walkthrough.steps if s.is_multiply)
    n += sum(s.result.size for s in ex.walkthrough.steps if not s.is_multiply and s.product is not None)
    assert len(products) == n


def test_formulas_by_hand(tmp_path):
    """X = [1, −1], W1 = [2], b1 = 0, W2 = [1], b2 = −1: H = ReLU([2, −2]) = [2, 0] and
    Out = ReLU(X + W2·H + b2) = ReLU([2, −2]) = [2, 0], recomputed from the sheet's formulas."""
    ex = make_exercise(residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]]), code="tiny")
    plan = plan_sheet(ex, "worked")
    got = evaluate(worksheet_xlsx(ex, "worked"), tmp_path)
    computed = [c for c in plan.cells if c.kind == "computed"]
    values = [got[("TINY", xl_rowcol_to_cell(c.row, c.col))] for c in computed]
    # step 2: product [2, −2], ReLU [2, 0]; step 4: product [2, −2], ReLU [2, 0]
    assert sorted(float(v) for v in values) == [-2, -2, 0, 0, 2, 2, 2, 2]


def test_exact_fractions_get_a_fraction_format_and_cached_values(tmp_path):
    ex = ExerciseSpec("encoder", 1).exercise()  # attention weights are fractions
    data = worksheet_xlsx(ex, "worked")
    (tmp_path / "e.xlsx").write_bytes(data)
    ws = openpyxl.load_workbook(tmp_path / "e.xlsx", data_only=True).worksheets[0]
    plan = plan_sheet(ex, "worked")
    fractions = [c for c in plan.cells if isinstance(c.value, Fraction)]
    assert fractions
    for c in fractions:
        cell = ws.cell(c.row + 1, c.col + 1)
        assert "?/?" in cell.number_format
        assert cell.value == pytest.approx(float(c.value))  # the cached value is stored
    for c in plan.cells:
        if c.kind == "computed":
            assert ws.cell(c.row + 1, c.col + 1).value == pytest.approx(float(c.value))


def fill(data: bytes, cells: dict, tmp_path, name: str = "typed.xlsx") -> bytes:
    """The workbook with the learner's cells filled as a student would (openpyxl writes them)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    for (row, col), value in cells.items():
        ws.cell(row + 1, col + 1).value = value
    path = tmp_path / name
    wb.save(path)
    return path.read_bytes()


@pytest.mark.parametrize("block", list(BLOCKS))
def test_self_check_cells(block, tmp_path):
    ex = ExerciseSpec(block, 2).exercise()
    if len(ex.cells) > 60:  # a share of a big block's blanks (recomputing a sheet takes a while)
        ex = ExerciseSpec(block, 2, blank="share:0.3").exercise()
    sheet = sheet_name(ex.code).upper()
    plan = plan_sheet(ex, "practice")
    where = {c.key: (c.row, c.col) for c in plan.by_kind("student")}

    def typed_text(v):  # as a student types it: an exact answer as a/b, a float one to 3 places
        return str(Fraction(v)) if isinstance(v, (int, np.integer, Fraction)) else f"{float(v):.3f}"

    def statuses(typed):
        data = fill(worksheet_xlsx(ex, "practice"), {where[k]: v for k, v in typed.items()}, tmp_path)
        got = evaluate(data, tmp_path)
        checks = {c.key: got[(sheet, xl_rowcol_to_cell(c.row, c.col))] for c in plan.by_kind("check")}
        score = got[(sheet, xl_rowcol_to_cell(*next((c.row, c.col) for c in plan.by_kind("score"))))]
        return checks, score

    assert {c.value for c in plan.by_kind("check")} == {"NOT DONE"}  # what the file shows unopened
    right = {c.key: typed_text(c.answer) for c in ex.cells}
    checks, score = statuses(right)
    assert set(checks) == {c.key for c in ex.cells}
    assert set(checks.values()) == {"CORRECT"} and score == len(ex.cells)
    wrong = dict(right)
    first, second, third = (c.key for c in ex.cells[:3])
    wrong[first] = typed_text(ex.cells[0].answer + 1)
    wrong[second] = "seven"
    del wrong[third]
    checks, score = statuses(wrong)
    assert (checks[first], checks[second], checks[third]) == ("INCORRECT", "INCORRECT", "NOT DONE")
    assert score == len(ex.cells) - 3


def test_practice_sheet_learner_cells_are_empty_text_cells_and_unlocked(tmp_path):
    ex = ExerciseSpec("residual", 4).exercise()
    wb = openpyxl.load_workbook(io.BytesIO(worksheet_xlsx(ex, "practice")))
    ws = wb.worksheets[0]
    plan = plan_sheet(ex, "practice")
    assert len(plan.by_kind("student")) == len(ex.cells)
    for c in plan.by_kind("student"):
        cell = ws.cell(c.row + 1, c.col + 1)
        assert cell.value is None and cell.number_format == "@" and cell.protection.locked is False
    assert ws.protection.sheet  # protected without a password: only the learner's cells take typing
    assert not ws.protection.password
    assert wb.sheetnames == ["residual-4", "residual-4 checks"]


def test_share_mode_keeps_given_cells_right(tmp_path):
    """With a random share blank, a given cell that reads a learner's cell stays a number, and a
    box that reuses a blank shows ? until it is typed."""
    ex = ExerciseSpec("residual", 6, blank="share:0.4").exercise()
    plan = plan_sheet(ex, "practice")
    got = evaluate(worksheet_xlsx(ex, "practice"), tmp_path)
    sheet = sheet_name(ex.code).upper()
    assert plan.by_kind("ref")
    for c in plan.cells:
        if c.kind == "computed":
            assert float(got[(sheet, xl_rowcol_to_cell(c.row, c.col))]) == pytest.approx(float(c.value))
        if c.kind == "ref":
            assert got[(sheet, xl_rowcol_to_cell(c.row, c.col))] == "?"


def test_float_walkthrough_softmax_layernorm_formulas(tmp_path):
    """A float walkthrough with scale, softmax, LayerNorm and GELU: every formula recomputes."""
    from byhand.blocks.transformer import random_transformer_params, transformer_layer

    wt = transformer_layer(np.random.default_rng(0).normal(size=(4, 3)), random_transformer_params(0, 4, 6),
                           nhead=2, activation="gelu")
    ex = make_exercise(wt, code="layer")
    plan = plan_sheet(ex, "worked")
    got = evaluate(worksheet_xlsx(ex, "worked"), tmp_path)
    texts = " ".join(c.formula for c in plan.cells if c.formula)
    for fn in ("EXP(", "VARP(", "ERF(", "MMULT("):
        assert fn in texts
    for c in plan.cells:
        if c.formula:
            assert float(got[("LAYER", xl_rowcol_to_cell(c.row, c.col))]) == pytest.approx(
                float(c.value), abs=1e-9)


def test_same_exercise_same_bytes():
    a = worksheet_xlsx(ExerciseSpec("encoder", 9).exercise(), "practice", answers=True)
    assert a == worksheet_xlsx(ExerciseSpec("encoder", 9).exercise(), "practice", answers=True)
    assert a == worksheet_xlsx(ExerciseSpec("encoder", 9).exercise(), "practice")  # never the key
    key = answer_key_xlsx(ExerciseSpec("encoder", 9).exercise(), "practice")
    assert key == answer_key_xlsx(ExerciseSpec("encoder", 9).exercise(), "practice")


def test_pack_xlsx_worksheets_and_checks_keys_apart():
    students = openpyxl.load_workbook(io.BytesIO(class_pack(ExerciseSpec("residual", 20), 3, "xlsx",
                                                            answers=True)))
    assert students.sheetnames == ["1 residual-20", "1 residual-20 checks", "2 residual-21",
                                   "2 residual-21 checks", "3 residual-22", "3 residual-22 checks"]
    keys = openpyxl.load_workbook(io.BytesIO(class_pack_key_xlsx(ExerciseSpec("residual", 20), 3)))
    assert keys.sheetnames == ["1 residual-20 key", "2 residual-21 key", "3 residual-22 key", "answers"]
    codes = {row[0].value for row in keys["answers"].iter_rows(min_row=2)}
    assert codes == {"residual/20", "residual/21", "residual/22"}


def test_pack_zip_holds_each_variant_and_the_keys():
    data = class_pack(ExerciseSpec("encoder", 1), 2, "zip", answers=True)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["worksheet-encoder-1.pdf", "worksheet-encoder-1.xlsx", "worksheet-encoder-2.pdf",
                     "worksheet-encoder-2.xlsx", "answer-keys.pdf", "answer-keys.xlsx"]
    assert data == class_pack(ExerciseSpec("encoder", 1), 2, "zip", answers=True)
    keys = openpyxl.load_workbook(io.BytesIO(zipfile.ZipFile(io.BytesIO(data)).read("answer-keys.xlsx")))
    assert keys.sheetnames == ["1 encoder-1 key", "2 encoder-2 key", "answers"]


def test_bad_kind():
    with pytest.raises(ByHandError, match="kind must be"):
        worksheet_xlsx(ExerciseSpec("residual", 1).exercise(), "filled")

"""XLSX worksheets: every formula, recomputed by an independent evaluator (the ``formulas``
package), equals the engine's value; self-check cells say NOT DONE, CORRECT or INCORRECT."""

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
from byhand.render.pack import class_pack
from byhand.render.xlsx import plan_sheet, sheet_name, worksheet_xlsx

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


@pytest.mark.parametrize("block", list(BLOCKS))
def test_self_check_cells(block, tmp_path):
    ex = ExerciseSpec(block, 2).exercise()
    sheet = sheet_name(ex.code).upper()
    right = {c.key: float(c.answer) for c in ex.cells}

    def statuses(typed):
        plan = plan_sheet(ex, "practice", typed=typed)
        got = evaluate(worksheet_xlsx(ex, "practice", typed=typed), tmp_path)
        checks = {c.key: got[(sheet, xl_rowcol_to_cell(c.row, c.col))] for c in plan.by_kind("check")}
        score = got[(sheet, xl_rowcol_to_cell(*next((c.row, c.col) for c in plan.by_kind("score"))))]
        return checks, score

    checks, score = statuses(None)
    assert set(checks) == {c.key for c in ex.cells}
    assert set(checks.values()) == {"NOT DONE"} and score == 0
    checks, score = statuses(right)
    assert set(checks.values()) == {"CORRECT"} and score == len(ex.cells)
    wrong = dict(right)
    first, second, third = (c.key for c in ex.cells[:3])
    wrong[first] += 1
    wrong[second] = "seven"
    del wrong[third]
    checks, score = statuses(wrong)
    assert (checks[first], checks[second], checks[third]) == ("INCORRECT", "INCORRECT", "NOT DONE")
    assert score == len(ex.cells) - 3


def test_practice_sheet_hides_answers_and_leaves_learner_cells_empty(tmp_path):
    ex = ExerciseSpec("residual", 4).exercise()
    (tmp_path / "p.xlsx").write_bytes(worksheet_xlsx(ex, "practice"))
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx").worksheets[0]
    plan = plan_sheet(ex, "practice")
    for c in plan.by_kind("student"):
        assert ws.cell(c.row + 1, c.col + 1).value is None
    answer_cols = {c.col for c in plan.by_kind("answer")}
    assert answer_cols and set(plan.hidden) >= answer_cols
    hidden = {c for d in ws.column_dimensions.values() if d.hidden for c in range(d.min - 1, d.max)}
    assert answer_cols <= hidden
    assert not {c.col for c in plan.by_kind("student")} & hidden
    # the stored answers are the engine's
    answers = {c.key: ws.cell(c.row + 1, c.col + 1).value for c in plan.by_kind("answer")}
    assert answers == {c.key: pytest.approx(float(c.answer)) for c in ex.cells}


def test_share_mode_keeps_given_cells_right(tmp_path):
    """With a random share blank, a given cell that reads a learner's cell stays a number."""
    ex = ExerciseSpec("residual", 6, blank="share:0.4").exercise()
    plan = plan_sheet(ex, "practice")
    got = evaluate(worksheet_xlsx(ex, "practice"), tmp_path)
    sheet = sheet_name(ex.code).upper()
    for c in plan.cells:
        if c.kind == "computed":
            assert float(got[(sheet, xl_rowcol_to_cell(c.row, c.col))]) == pytest.approx(float(c.value))
        if c.kind == "copy" and "ISBLANK" in c.formula:
            assert got[(sheet, xl_rowcol_to_cell(c.row, c.col))] == ""


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


def test_pack_xlsx_sheets_then_keys(tmp_path):
    (tmp_path / "k.xlsx").write_bytes(class_pack(ExerciseSpec("residual", 20), 3, "xlsx", answers=True))
    names = openpyxl.load_workbook(tmp_path / "k.xlsx").sheetnames
    assert names == ["1 residual-20", "2 residual-21", "3 residual-22",
                     "1 residual-20 key", "2 residual-21 key", "3 residual-22 key"]


def test_pack_zip_holds_each_variant_and_the_keys():
    data = class_pack(ExerciseSpec("encoder", 1), 2, "zip", answers=True)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["worksheet-encoder-1.pdf", "worksheet-encoder-1.xlsx", "worksheet-encoder-2.pdf",
                     "worksheet-encoder-2.xlsx", "answer-keys.pdf"]
    assert data == class_pack(ExerciseSpec("encoder", 1), 2, "zip", answers=True)


def test_bad_kind():
    with pytest.raises(ByHandError, match="kind must be"):
        worksheet_xlsx(ExerciseSpec("residual", 1).exercise(), "filled")

"""The student's spreadsheet holds no answer, reads fractions as typed and asks each number once;
the teacher's key is a workbook of its own and holds every answer.

Answers are typed into the learner's cells with openpyxl (as a student's spreadsheet program
would write them) and every formula is recomputed by the ``formulas`` package. The exercise
worked by hand: X = [1, −1], W1 = [1/3], b1 = 0, W2 = [1], b2 = −1/2, so
W1·X + b1 = [1/3, −1/3], H = ReLU(·) = [1/3, 0], X + W2·H + b2 = [5/6, −3/2], Out = [5/6, 0].
"""

import io
import os
import re
from fractions import Fraction

import numpy as np
import pytest
from xlsxwriter.utility import xl_rowcol_to_cell

from byhand.blocks import BLOCKS
from byhand.blocks.residual import residual_block
from byhand.practice import ExerciseSpec, make_exercise
from byhand.render.layout import layout_step
from byhand.render.xlsx import answer_key_xlsx, plan_sheet, sheet_name, worksheet_xlsx

if os.environ.get("CI") == "true":  # in CI the independent evaluator must be there
    import formulas
    import openpyxl
else:
    formulas = pytest.importorskip("formulas")
    openpyxl = pytest.importorskip("openpyxl")

F = Fraction
# (step, region, row, col) -> the answer, worked out by hand (see the module's docstring)
BY_HAND = {(1, "product", 0, 0): F(1, 3), (1, "product", 0, 1): F(-1, 3), (1, "result", 0, 0): F(1, 3),
           (1, "result", 0, 1): 0, (3, "product", 0, 0): F(5, 6), (3, "product", 0, 1): F(-3, 2),
           (3, "result", 0, 0): F(5, 6), (3, "result", 0, 1): 0}


def third():
    return make_exercise(residual_block([[1, -1]], [[F(1, 3)]], [0], [[1]], [[F(-1, 2)]]), code="third")


def evaluate(data: bytes, tmp_path) -> dict:
    """Recompute every formula with ``formulas``: (SHEET NAME in capitals, A1) → value."""
    path = tmp_path / "recompute.xlsx"
    path.write_bytes(data)
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out = {}
    for key, v in solution.items():
        sheet, _, addr = str(key).rpartition("!")
        if ":" in addr or not sheet:
            continue
        out[(sheet.split("]")[1].strip("'"), addr)] = v.value[0][0] if hasattr(v, "value") else v
    return out


def typed_in(ex, typed: dict, tmp_path) -> tuple[dict, dict]:
    """Type ``typed`` (cell key → what the student types) into the student's file, recompute, and
    return each blank's self-check and every recomputed value."""
    plan = plan_sheet(ex, "practice")
    wb = openpyxl.load_workbook(io.BytesIO(worksheet_xlsx(ex, "practice")))
    where = {c.key: (c.row, c.col) for c in plan.by_kind("student")}
    for key, text in typed.items():
        wb.worksheets[0].cell(where[key][0] + 1, where[key][1] + 1).value = text
    buf = io.BytesIO()
    wb.save(buf)
    got = evaluate(buf.getvalue(), tmp_path)
    sheet = sheet_name(ex.code).upper()
    checks = {c.key: got[(sheet, xl_rowcol_to_cell(c.row, c.col))] for c in plan.by_kind("check")}
    score = next(c for c in plan.by_kind("score"))
    return checks | {"score": got[(sheet, xl_rowcol_to_cell(score.row, score.col))]}, got


def test_the_exercise_is_the_one_worked_by_hand():
    assert {c.key: c.answer for c in third().cells} == BY_HAND


# ---------------------------------------------------------------- fractions typed as text


def test_fractions_typed_as_text_are_read(tmp_path):
    typed = {(1, "product", 0, 0): "1/3",
             (1, "product", 0, 1): "\u22121/3",  # a typographic minus
             (1, "result", 0, 0): "2/6",  # not reduced: the same number
             (1, "result", 0, 1): "0",
             (3, "product", 0, 0): "0.833",  # close, but 5/6 is not 0.833
             (3, "product", 0, 1): "-1.5",  # a decimal that is exactly −3/2
             (3, "result", 0, 1): "1/3"}  # wrong; (3, result, 0, 0) left blank
    checks, _ = typed_in(third(), typed, tmp_path)
    assert checks == {(1, "product", 0, 0): "CORRECT", (1, "product", 0, 1): "CORRECT",
                      (1, "result", 0, 0): "CORRECT", (1, "result", 0, 1): "CORRECT",
                      (3, "product", 0, 0): "INCORRECT", (3, "product", 0, 1): "CORRECT",
                      (3, "result", 0, 0): "NOT DONE", (3, "result", 0, 1): "INCORRECT", "score": 5}


def test_more_ways_of_typing_and_things_that_are_not_numbers(tmp_path):
    typed = {(1, "product", 0, 0): " 1 / 3 ",  # spaces around
             (1, "product", 0, 1): "- 1/3",
             (1, "result", 0, 0): "abc",
             (1, "result", 0, 1): 0,  # a number, not text (a cell the student reformatted)
             (3, "product", 0, 0): "1/0",
             (3, "product", 0, 1): "-1,5",  # a decimal comma
             (3, "result", 0, 0): "2 1/3",  # a mixed number is not read (and 5/6 it is not)
             (3, "result", 0, 1): "   "}  # only spaces: not done
    checks, _ = typed_in(third(), typed, tmp_path)
    assert checks == {(1, "product", 0, 0): "CORRECT", (1, "product", 0, 1): "CORRECT",
                      (1, "result", 0, 0): "INCORRECT", (1, "result", 0, 1): "CORRECT",
                      (3, "product", 0, 0): "INCORRECT", (3, "product", 0, 1): "CORRECT",
                      (3, "result", 0, 0): "INCORRECT", (3, "result", 0, 1): "NOT DONE", "score": 4}


def test_float_answers_count_within_half_the_last_place(tmp_path):
    """A float walkthrough (softmax): right to 3 places is CORRECT, 0.002 off is not."""
    ex = ExerciseSpec("attention", 1, blank="last").exercise()
    floats = [c for c in ex.cells if isinstance(c.answer, float)]
    assert len(floats) >= 4
    a, b, c, d = floats[:4]
    typed = {a.key: f"{a.answer:.3f}", b.key: f"{b.answer + 0.002:.3f}", c.key: f"{c.answer:.2f}",
             d.key: f"{d.answer:.5f}"}
    checks, _ = typed_in(ex, typed, tmp_path)
    assert checks[a.key] == "CORRECT" and checks[b.key] == "INCORRECT" and checks[d.key] == "CORRECT"
    # to 2 places: right when that is within 0.0005 of the answer
    assert checks[c.key] == ("CORRECT" if abs(round(c.answer, 2) - c.answer) < 0.0005 else "INCORRECT")


# ---------------------------------------------------------------- each number asked once


def test_a_reused_blank_shows_the_learners_own_value(tmp_path):
    """H is asked in step 2 only; [X; H; 1] in steps 3 and 4 shows what the learner typed for H, or ?."""
    ex = third()
    plan = plan_sheet(ex, "practice")
    students = {c.key: c for c in plan.by_kind("student")}
    assert set(students) == set(BY_HAND)  # a learner's cell for each blank, and no other
    refs = plan.by_kind("ref")
    h = [xl_rowcol_to_cell(c.row, c.col) for c in (students[(1, "result", 0, j)] for j in (0, 1))]
    assert len(refs) == 4  # H's two cells in step 3 (arrange) and in step 4
    assert sorted(r.formula for r in refs) == sorted(f'=IF({a}="","?",{a})' for a in h * 2)
    _, got = typed_in(ex, {(1, "result", 0, 0): "2/6"}, tmp_path)
    shown = [got[(sheet_name(ex.code).upper(), xl_rowcol_to_cell(r.row, r.col))] for r in
             sorted(refs, key=lambda r: (r.row, r.col))]
    assert shown == ["2/6", "?", "2/6", "?"]


@pytest.mark.parametrize("block", list(BLOCKS))
@pytest.mark.parametrize("blank", ["all", "last", "share:0.5"])
def test_no_two_learners_cells_ask_for_the_same_matrix_cell(block, blank):
    ex = ExerciseSpec(block, 5, blank=blank).exercise()
    plan = plan_sheet(ex, "practice")
    cells = {c.key: c for c in ex.cells}
    students = plan.by_kind("student")
    assert sorted(c.key for c in students) == sorted(cells)
    asked = [(cells[c.key].matrix, cells[c.key].row, cells[c.key].col) for c in students]
    assert len(asked) == len(set(asked))
    at = {xl_rowcol_to_cell(c.row, c.col) for c in students}
    refs = {xl_rowcol_to_cell(r.row, r.col): r for r in plan.by_kind("ref")}
    for r in refs.values():  # a reused number points at the learner's own cell (perhaps through a ref)
        target = re.fullmatch(r'=IF\(([A-Z]+[0-9]+)="","\?",\1\)', r.formula).group(1)
        while target in refs:
            target = re.fullmatch(r'=IF\(([A-Z]+[0-9]+)="","\?",\1\)', refs[target].formula).group(1)
        assert target in at


# ---------------------------------------------------------------- no answer in the student's file


def _exact(v) -> bool:
    return isinstance(v, (int, np.integer, F))


def _secrets(ex) -> list:
    """The blanks' answers that a student may not see anywhere: not a number any box of the
    drawing shows (the inputs, derived given matrices, operands, non-blank results), as the
    engine's ``Exercise.hidden`` says which boxes are drawn without their value. A float answer
    counts as shown when a shown number rounds the same (within 5e-4)."""
    shown = []
    hidden = ex.hidden()
    for k, step in enumerate(ex.walkthrough.steps):
        values = {"left": step.left.values if step.left is not None else None,
                  "right": step.right.values if step.right is not None else None,
                  "product": step.product, "result": step.result, "given": step.result}
        for b in layout_step(step).boxes:
            if (b.region, b.row, b.col) not in hidden.get(k, set()) and values[b.region] is not None:
                shown.append(float(values[b.region][b.row, b.col]))
    return [c.answer for c in ex.cells
            if not any(abs(float(c.answer) - v) < (1e-9 if _exact(c.answer) else 5e-4) for v in shown)]


def _everything_in(data: bytes) -> tuple[list, list[str]]:
    """Every cell value (formulas' cached values too) and every text of the workbook: strings,
    formulas, defined names, comments, headers and footers."""
    numbers, texts = [], []
    for data_only in (False, True):
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)
        texts += [str(d.attr_text) for d in wb.defined_names.values()]
        for ws in wb.worksheets:
            assert ws.sheet_state == "visible", ws.title
            assert not any(d.hidden for d in ws.column_dimensions.values()), ws.title
            assert not any(d.hidden for d in ws.row_dimensions.values()), ws.title
            texts += [str(n.attr_text) for n in ws.defined_names.values()]
            texts += [ws.oddHeader.center.text or "", ws.oddFooter.center.text or ""]
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.comment is None
                    if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                        numbers.append(float(cell.value))
                    elif cell.value is not None:
                        texts.append(str(cell.value))
        assert len(wb.sheetnames) == len(wb.worksheets)  # no chart sheets or other hiding places
    return numbers, texts


def _literals(text: str) -> list[float]:
    """Every number written in a text or formula: fractions a/b and decimals (1.25, 4E-05)."""
    out = [float(F(int(a), int(b))) for a, b in re.findall(r"(?<![\w.$])(-?\d+)/(\d+)(?![\w.])", text)
           if int(b)]
    out += [float(x) for x in re.findall(r"(?<![\w.$])-?\d+\.\d+(?:E[-+]?\d+)?", text, re.I)]
    return out


@pytest.mark.parametrize("block", list(BLOCKS))
@pytest.mark.parametrize("blank", ["all", "last"])
def test_the_students_file_holds_no_answer(block, blank):
    ex = ExerciseSpec(block, 3, blank=blank).exercise()
    secrets = _secrets(ex)
    assert secrets  # the test has something to look for
    numbers, texts = _everything_in(worksheet_xlsx(ex, "practice", answers=True))
    literals = [x for t in texts for x in _literals(t)]
    for a in secrets:
        tol = 1e-9 if _exact(a) else 5e-4  # a float: not even rounded
        assert not [v for v in numbers if abs(v - float(a)) < tol], a
        assert not [v for v in literals if abs(v - float(a)) < tol and abs(float(a)) > 1e-3], a
        if isinstance(a, F) and a.denominator > 1:
            written = re.compile(rf"(?<![\w.]){a.numerator}/{a.denominator}(?![\w.])")
            assert not [t for t in texts if written.search(t)]


def test_the_hand_worked_file_holds_none_of_its_answers():
    numbers, texts = _everything_in(worksheet_xlsx(third(), "practice"))
    assert _secrets(third()) == [F(-1, 3), F(5, 6), F(-3, 2), F(5, 6)]
    for a in (F(-1, 3), F(5, 6), F(-3, 2)):
        assert not [v for v in numbers if abs(v - float(a)) < 1e-9]
        for written in (str(a), str(a).replace("-", "\u2212"), f"{float(a):.3f}", f"{float(a):g}"):
            assert not [t for t in texts if re.search(rf"(?<![\w./]){re.escape(written)}(?![\w/])", t)]


# ---------------------------------------------------------------- the teacher's key, a workbook of its own


@pytest.mark.parametrize("block", list(BLOCKS))
def test_the_key_holds_every_answer(block):
    ex = ExerciseSpec(block, 3).exercise()
    plan = plan_sheet(ex, "practice")
    where = {c.key: xl_rowcol_to_cell(c.row, c.col) for c in plan.by_kind("student")}
    key = openpyxl.load_workbook(io.BytesIO(answer_key_xlsx(ex, "practice")), data_only=True)
    assert key.sheetnames == [sheet_name(ex.code, suffix=" key"), "answers"]
    shaded = key.worksheets[0]
    rows = list(key["answers"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(ex.cells)
    for c, (code, step, blank, cell, _text, value) in zip(ex.cells, rows):
        assert (code, step, blank, cell) == (ex.code, c.step + 1, c.where, where[c.key])
        assert value == pytest.approx(float(c.answer))
        assert shaded[cell].value == pytest.approx(float(c.answer))  # the same cell as the student's


def test_the_hand_worked_key():
    key = openpyxl.load_workbook(io.BytesIO(answer_key_xlsx(third(), "practice")), data_only=True)
    rows = list(key["answers"].iter_rows(min_row=2, values_only=True))
    assert [r[4] for r in rows] == ["1/3", "\u22121/3", "1/3", "0", "5/6", "\u22123/2", "5/6", "0"]

"""Spreadsheet worksheets (xlsxwriter): the by-hand layout in cells, every computed cell a live formula.

A product cell is ``=MMULT(row of L, column of R)``, a ReLU cell ``=IF(x>0,x,0)``, softmax,
LayerNorm, GELU and scaling have their own formulas, and an operand that copies an earlier
matrix refers to its cells, so the sheet recomputes in Excel or LibreOffice when an input
changes. Every formula carries its value, so a reader that does not recompute shows it too.
Excel has no fractions: values are stored as numbers and shown with a fraction format.

The practice sheet leaves the learner's cells empty; beside each step a self-check cell per
blank says NOT DONE, CORRECT or INCORRECT, comparing with the answer in a hidden column.
"""

from __future__ import annotations

import io
import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fractions import Fraction

import numpy as np
import xlsxwriter
from xlsxwriter.utility import xl_range, xl_rowcol_to_cell

from ..numbers import ByHandError, fmt
from ..practice import Exercise, make_exercise, tolerance
from ..walkthrough import Step, Walkthrough
from . import palette as pal
from .layout import Layout, layout_step
from .pdf import KINDS, key_cells

__all__ = ["worksheet_xlsx", "plan_sheet", "write_sheet", "XCell", "SheetPlan", "sheet_name",
           "new_workbook", "STATUS"]

STATUS = ("NOT DONE", "CORRECT", "INCORRECT")
FIXED_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
FIRST_STEP_ROW = 6


@dataclass
class XCell:
    """One written cell: its value (what the engine says), formula (None: a constant or blank),
    ``kind`` (given, copy, computed, student, check, answer, label, box, score) and fill
    (``#rrggbb``, from the palette)."""

    row: int
    col: int
    value: object = None
    formula: str | None = None
    kind: str = "given"
    fill: str | None = None
    bold: bool = False
    key: tuple | None = None  # the exercise cell this student/check/answer cell belongs to


@dataclass
class SheetPlan:
    """Everything one sheet holds, before it is written: cells, column widths, hidden columns."""

    cells: list[XCell] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    hidden: list[int] = field(default_factory=list)

    def by_kind(self, kind: str) -> list[XCell]:
        return [c for c in self.cells if c.kind == kind]


def sheet_name(code: str, prefix: str = "", suffix: str = "") -> str:
    """A valid, at most 31-character sheet name made from a worksheet code.

    >>> sheet_name("residual/42", suffix=" key")
    'residual-42 key'
    """
    base = re.sub(r"[\[\]:*?/\\']", "-", code or "worksheet")
    room = 31 - len(prefix) - len(suffix)
    return f"{prefix}{base[:room]}{suffix}"


def _axis(positions: list[float]):
    """Map layout coordinates to cell indices: adjacent boxes share a border, a gap of one
    cell or more stays a gap; in between (labels) interpolate, outside extrapolate."""
    ps = sorted(set(positions))
    idx = [0]
    for a, b in zip(ps, ps[1:]):
        idx.append(idx[-1] + max(1, round(b - a)))

    def to_cell(x: float) -> float:
        if x <= ps[0]:
            return idx[0] + x - ps[0]
        if x >= ps[-1]:
            return idx[-1] + x - ps[-1]
        k = bisect_right(ps, x) - 1
        return idx[k] + (x - ps[k]) * (idx[k + 1] - idx[k]) / (ps[k + 1] - ps[k])

    return to_cell


def _num(v) -> float | int:
    """A value as Excel stores it."""
    if isinstance(v, (int, np.integer)):
        return int(v)
    return float(v)


def _num_format(v, decimals: int) -> str:
    """Integers plainly, fractions as fractions (Excel has no exact fractions), floats rounded."""
    if isinstance(v, Fraction):
        digits = len(str(v.denominator))
        return f"{'?' * digits}/{'?' * digits}" if digits <= 3 else "0.000000"
    if isinstance(v, (float, np.floating)):
        return "0." + "0" * decimals if decimals > 0 else "0"
    return "General"


class _StepCells:
    """The sheet address of every box of one step, by (region, row, col)."""

    def __init__(self, lay: Layout, row0: int, col0: int):
        self.cols = _axis([b.x for b in lay.boxes])
        self.rows = _axis([b.y for b in lay.boxes])
        self.row0, self.col0 = row0, col0
        ys = [self.rows(b.y) for b in lay.boxes] + [math.floor(self.rows(lb.y) + 1e-9) for lb in lay.labels]
        xs = [self.cols(b.x) for b in lay.boxes] + [math.floor(self.cols(lb.x) + 1e-9) for lb in lay.labels]
        self.dy, self.dx = -min(ys), -min(xs)
        self.height = int(max(ys) - min(ys)) + 1
        self.width = int(max(xs) - min(xs)) + 1
        self.at = {(b.region, b.row, b.col): self.cell(b.x, b.y) for b in lay.boxes}

    def cell(self, x: float, y: float, floor: bool = False) -> tuple[int, int]:
        fx, fy = self.cols(x), self.rows(y)
        if floor:
            fx, fy = math.floor(fx + 1e-9), math.floor(fy + 1e-9)
        return self.row0 + int(round(fy + self.dy)), self.col0 + int(round(fx + self.dx))


def _ref(rc: tuple[int, int]) -> str:
    return xl_rowcol_to_cell(*rc)


def _span(cells: list[tuple[int, int]]) -> str | None:
    """``B3:D3`` when the cells form one contiguous row or column, else None."""
    rows, cols = {r for r, _ in cells}, sorted(c for _, c in cells)
    rr, cc = sorted(r for r, _ in cells), sorted({c for _, c in cells})
    if len(rows) == 1 and cols == list(range(cols[0], cols[0] + len(cols))):
        return xl_range(rr[0], cols[0], rr[0], cols[-1])
    if len(cc) == 1 and rr == list(range(rr[0], rr[0] + len(rr))):
        return xl_range(rr[0], cc[0], rr[-1], cc[0])
    return None


def _op_formula(step: Step, i: int, j: int, at: dict) -> str | None:
    """The formula of result cell (i, j) from the product cells, or None for an unknown op."""
    col = [at[("product", r, j)] for r in range(step.product.shape[0])]
    return step.op.formula(_ref(at[("product", i, j)]), _span(col), i)


def _refs_in(formula: str) -> set[str]:
    """Every cell a formula reads, ranges expanded."""
    out = set()
    for a, b in re.findall(r"\b([A-Z]{1,3}[0-9]+)(?::([A-Z]{1,3}[0-9]+))?", formula):
        if not b:
            out.add(a)
            continue
        (r1, c1), (r2, c2) = (_rc(a), _rc(b))
        out |= {_ref((r, c)) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    return out


def _rc(addr: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]+)([0-9]+)", addr)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def _instructions(wt: Walkthrough, kind: str, decimals: int) -> str:
    if kind == "worked":
        return "Worked example: every computed cell is a live formula; change an input and watch it update."
    if kind == "empty":
        return "Blank sheet: the layout only; choose your own numbers and work them out."
    how = ("Type a fraction as 0 1/3 (zero, space, 1/3): Excel reads 1/3 alone as a date."
           if wt.exact else f"Round to {decimals} decimal places.")
    return (f"Practice: fill in the white cells by hand; the self-check cells on the right of each step "
            f"say NOT DONE, CORRECT or INCORRECT. {how}")


def plan_sheet(ex: Exercise, kind: str = "practice", decimals: int = 3,
               typed: dict | None = None) -> SheetPlan:
    """Lay out one worksheet in cells. ``typed`` (cell key → value) fills learners' cells (tests)."""
    if kind not in KINDS:
        raise ByHandError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.", "kind")
    wt, plan = ex.walkthrough, SheetPlan()
    typed = typed or {}
    practice = kind == "practice"
    student = {c.key: c for c in ex.cells} if practice else {}
    plan.cells += [
        XCell(0, 0, f"ByHand worksheet · {wt.title}", kind="label", bold=True),
        XCell(1, 0, f"Block: {wt.block}    Code: {ex.code or '—'}", kind="label"),
        XCell(2, 0, "Name: ____________________    Date: ____________", kind="label"),
        XCell(3, 0, _instructions(wt, kind, decimals), kind="label"),
    ]
    defined: dict[tuple[str, int, int], tuple[int, int]] = {}  # (matrix, i, j) -> its defining cell
    volatile: set[str] = set()  # learners' cells and the cells that copy them
    row = FIRST_STEP_ROW
    step_cells: list[tuple[int, _StepCells]] = []
    for k, step in enumerate(wt.steps):
        lay = layout_step(step)
        plan.cells.append(XCell(row, 0, f"Step {k + 1} · {step.title}", kind="label", bold=True))
        plan.cells.append(XCell(row + 1, 0, step.caption, kind="label"))
        sc = _StepCells(lay, row + 2, 1)
        step_cells.append((k, sc))
        for lb in lay.labels:
            rc = sc.cell(lb.x, lb.y, floor=True)
            if rc not in sc.at.values():
                plan.cells.append(XCell(*rc, lb.text, kind="label", bold=True))
        _plan_boxes(plan, ex, k, step, lay, sc, kind, decimals, defined, volatile, student, typed)
        row = row + 2 + sc.height + 1
        if step.note:
            plan.cells.append(XCell(row - 1, 0, step.note, kind="label"))
            row += 1
    right = max((sc.col0 + sc.width for _, sc in step_cells), default=2)
    for c in range(0, right + 1):
        plan.widths[c] = _grid_width(wt, decimals)
    if practice and ex.cells:
        _plan_checks(plan, ex, step_cells, right + 1, decimals)
    return plan


def _grid_width(wt: Walkthrough, decimals: int) -> float:
    longest = max((len(fmt(v, decimals)) for m in wt.matrices.values() for v in m.flat), default=1)
    return max(6.0, longest + 2.5)


def _plan_boxes(plan: SheetPlan, ex: Exercise, k: int, step: Step, lay: Layout, sc: _StepCells,
                kind: str, decimals: int, defined: dict, volatile: set, student: dict,
                typed: dict) -> None:
    """Write one step's boxes: constants, copies, formulas, or the learner's empty cells."""
    wt = ex.walkthrough
    # product and result cells last, so that every operand is in place
    order = sorted(lay.boxes, key=lambda b: b.region in ("product", "result"))
    for b in order:
        rc = sc.at[(b.region, b.row, b.col)]
        fill, empty = pal.box_look(b.role).fill, pal.box_look(b.role, hidden=True).fill
        key = (k, b.region, b.row, b.col)
        if kind == "empty":
            plan.cells.append(XCell(*rc, None, kind="box", fill=empty))
            continue
        if key in student:
            plan.cells.append(XCell(*rc, typed.get(key), kind="student", fill=empty, key=key))
            volatile.add(_ref(rc))
            _define(defined, step, b.region, b.row, b.col, rc)
            continue
        value, src = _box_source(step, b, wt)
        if value is None:  # the product box of a step that only arranges operands
            plan.cells.append(XCell(*rc, None, kind="box", fill=empty))
            continue
        if b.region in ("left", "right", "given") or (b.region == "product" and step.kind == "elementwise"):
            if src is not None and src in defined:
                target = _ref(defined[src])
                if target in volatile:
                    formula = f'=IF(ISBLANK({target}),"",{target})'
                    plan.cells.append(XCell(*rc, value, formula, "copy", fill))
                    volatile.add(_ref(rc))
                else:
                    plan.cells.append(XCell(*rc, value, f"={target}", "copy", fill))
            else:
                plan.cells.append(XCell(*rc, value, None, "given", fill))
                if src is not None:
                    defined[src] = rc
            continue
        formula = (_product_formula(step, b.row, b.col, sc.at) if b.region == "product"
                   else _op_formula(step, b.row, b.col, sc.at))
        if formula is None or (_refs_in(formula) & volatile):
            plan.cells.append(XCell(*rc, value, None, "given", fill))
        else:
            plan.cells.append(XCell(*rc, value, formula, "computed", fill))
        _define(defined, step, b.region, b.row, b.col, rc)


def _define(defined: dict, step: Step, region: str, i: int, j: int, rc: tuple[int, int]) -> None:
    """Remember where the step's named result is worked out."""
    if region == step.answer_region:
        defined.setdefault((step.name, i, j), rc)


def _box_source(step: Step, b, wt: Walkthrough):
    """A box's value and the (matrix, i, j) it copies (None for constants and computed cells)."""
    if b.region == "given":
        return step.result[b.row, b.col], (step.name, b.row, b.col)
    if b.region in ("left", "right"):
        st = step.left if b.region == "left" else step.right
        idx = b.row if st.axis == 0 else b.col
        p, off = st.part_at(idx)
        i, j = (off, b.col) if st.axis == 0 else (b.row, off)
        return p.values[i, j], p.source_cell(i, j)
    if b.region == "product":
        if step.kind == "arrange":
            return None, None
        src = None if step.kind == "multiply" else (step.product_name, b.row, b.col)
        return step.product[b.row, b.col], src
    return step.result[b.row, b.col], None


def _product_formula(step: Step, i: int, j: int, at: dict) -> str:
    """``=MMULT(row i of L, column j of R)``; a sum of products when a range is not contiguous."""
    lrow = [at[("left", i, c)] for c in range(step.left.shape[1])]
    rcol = [at[("right", r, j)] for r in range(step.right.shape[0])]
    a, b = _span(lrow), _span(rcol)
    if a and b:
        return f"=MMULT({a},{b})"
    return "=" + "+".join(f"{_ref(x)}*{_ref(y)}" for x, y in zip(lrow, rcol))


def _plan_checks(plan: SheetPlan, ex: Exercise, step_cells: list, col0: int, decimals: int) -> None:
    """A self-check cell beside each learner's cell, its answer in a hidden column further right."""
    spans = []
    for k, sc in step_cells:
        cols = [sc.at[(c.region, c.row, c.col)][1] for c in ex.cells_of(k)]
        if cols:
            spans.append((k, sc, min(cols), max(cols) - min(cols) + 1))
    width = max(s[3] for s in spans)
    ans0 = col0 + width + 1
    checks = []
    for k, sc, first, _ in spans:
        top = min(sc.at[(c.region, c.row, c.col)][0] for c in ex.cells_of(k))
        plan.cells.append(XCell(top - 1, col0, "Self-check", kind="label", bold=True))
        for c in ex.cells_of(k):
            r, cc = sc.at[(c.region, c.row, c.col)]
            x, chk, ans = _ref((r, cc)), (r, col0 + cc - first), (r, ans0 + cc - first)
            a = _ref(ans)
            tol = f"{tolerance(c.answer, decimals):.10g}".upper()
            formula = (f'=IF(ISBLANK({x}),"NOT DONE",IF(ISNUMBER({x}),'
                       f'IF(ABS({x}-{a})<{tol},"CORRECT","INCORRECT"),"INCORRECT"))')
            plan.cells.append(XCell(*chk, None, formula, "check", key=c.key))
            plan.cells.append(XCell(*ans, c.answer, None, "answer", key=c.key))
            checks.append(chk)
    top, bottom = min(r for r, _ in checks), max(r for r, _ in checks)
    area = xl_range(top, col0, bottom, col0 + width - 1)
    plan.cells.append(XCell(4, 0, "Score:", kind="label", bold=True))
    plan.cells.append(XCell(4, 1, 0, f'=COUNTIF({area},"CORRECT")', "score"))
    plan.cells.append(XCell(4, 2, f"of {len(ex.cells)} correct", kind="label"))
    for c in range(col0, col0 + width):
        plan.widths[c] = 11.0
    plan.hidden = list(range(ans0, ans0 + width))


def _check_value(cell: XCell, plan_typed: dict, answers: dict, decimals: int) -> str:
    """The self-check's cached value: what the formula gives for the typed value."""
    v = plan_typed.get(cell.key)
    if v is None or (isinstance(v, str) and v == ""):
        return "NOT DONE"
    if isinstance(v, str):
        return "INCORRECT"
    return "CORRECT" if abs(float(v) - float(answers[cell.key])) < tolerance(
        answers[cell.key], decimals) else "INCORRECT"


class _Formats:
    """xlsxwriter formats made on demand, one per look, for one workbook."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb, self.cache = wb, {}

    def get(self, fill=None, num: str = "General", bold: bool = False, border: int = 0,
            align: str | None = None, font: str | None = None):
        key = (fill, num, bold, border, align, font)
        if key not in self.cache:
            props = {"num_format": num, "bold": bold, "font_name": "Calibri", "font_size": 11}
            if fill is not None:
                props["bg_color"] = fill
            if border:
                props.update(border=border, border_color=pal.GRID)
            if align:
                props.update(align=align, valign="vcenter")
            if font:
                props["font_color"] = font
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def new_workbook(buf: io.BytesIO) -> tuple[xlsxwriter.Workbook, _Formats]:
    """An in-memory workbook with fixed properties (the same exercise gives the same bytes)."""
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False})
    wb.set_properties({"title": "ByHand worksheet", "author": "ByHand", "created": FIXED_DATE})
    return wb, _Formats(wb)


def write_sheet(wb: xlsxwriter.Workbook, formats: _Formats, name: str, plan: SheetPlan,
                decimals: int = 3, typed: dict | None = None) -> None:
    """Write a planned sheet into the workbook."""
    ws = wb.add_worksheet(name)
    typed = typed or {}
    answers = {c.key: c.value for c in plan.cells if c.kind == "answer"}
    for col, w in plan.widths.items():
        ws.set_column(col, col, w)
    for col in plan.hidden:
        ws.set_column(col, col, 8, None, {"hidden": True})
    ws.set_column(0, 0, max(plan.widths.get(0, 8), 8))
    for c in plan.cells:
        if c.kind == "label":
            ws.write_string(c.row, c.col, str(c.value), formats.get(bold=c.bold))
        elif c.kind == "box":
            ws.write_blank(c.row, c.col, None, formats.get(c.fill, border=1))
        elif c.kind == "student":
            f = formats.get(c.fill, border=2, align="center")
            if c.value is None:
                ws.write_blank(c.row, c.col, None, f)
            elif isinstance(c.value, str):
                ws.write_string(c.row, c.col, c.value, f)
            else:
                ws.write_number(c.row, c.col, _num(c.value), f)
        elif c.kind == "check":
            ws.write_formula(c.row, c.col, c.formula, formats.get(border=1, align="center"),
                             _check_value(c, typed, answers, decimals))
        elif c.kind == "answer":
            ws.write_number(c.row, c.col, _num(c.value), formats.get(num=_num_format(c.value, decimals)))
        elif c.kind == "score":
            ws.write_formula(c.row, c.col, c.formula, formats.get(bold=True),
                             sum(_check_value(x, typed, answers, decimals) == "CORRECT"
                                 for x in plan.cells if x.kind == "check"))
        else:
            f = formats.get(c.fill, _num_format(c.value, decimals), border=1, align="center", bold=c.bold)
            if c.formula is None:
                ws.write_number(c.row, c.col, _num(c.value), f)
            elif c.kind == "copy" and "ISBLANK" in c.formula:
                ws.write_formula(c.row, c.col, c.formula, f, "")
            else:
                ws.write_formula(c.row, c.col, c.formula, f, _num(c.value))
    checks = [c for c in plan.cells if c.kind == "check"]
    if checks:
        top, bottom = min(c.row for c in checks), max(c.row for c in checks)
        left, right = min(c.col for c in checks), max(c.col for c in checks)
        for word, colour in pal.STATUS_FILLS.items():
            ws.conditional_format(top, left, bottom, right, {
                "type": "cell", "criteria": "==", "value": f'"{word}"',
                "format": wb.add_format({"bg_color": colour})})
    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _key_plan(ex: Exercise, kind: str, decimals: int) -> SheetPlan:
    """The worked sheet with the answers shaded: the answer key."""
    plan = plan_sheet(ex, "worked", decimals)
    shade = _answer_cells(ex, key_cells(ex, kind))
    for c in plan.cells:
        if (c.row, c.col) in shade:
            c.fill, c.bold = pal.box_look("computed", lit=True).fill, True
    plan.cells[0].value = f"Answer key · {ex.walkthrough.title}"
    plan.cells[3].value = "Answer key: the answers are the shaded cells."
    return plan


def _answer_cells(ex: Exercise, keys: dict) -> set[tuple[int, int]]:
    """Sheet cells of the answers, found by laying the steps out as plan_sheet does."""
    out, row = set(), FIRST_STEP_ROW
    for k, step in enumerate(ex.walkthrough.steps):
        lay = layout_step(step)
        sc = _StepCells(lay, row + 2, 1)
        out |= {sc.at[key] for key in keys.get(k, set())}
        row = row + 2 + sc.height + 1 + (1 if step.note else 0)
    return out


def add_worksheet_sheets(wb, formats, ex: Exercise, kind: str, decimals: int, name: str,
                         typed: dict | None = None) -> SheetPlan:
    """Add one worksheet's sheet; return its plan."""
    plan = plan_sheet(ex, kind, decimals, typed)
    write_sheet(wb, formats, name, plan, decimals, typed)
    return plan


def add_key_sheet(wb, formats, ex: Exercise, kind: str, decimals: int, name: str) -> SheetPlan:
    plan = _key_plan(ex, kind, decimals)
    write_sheet(wb, formats, name, plan, decimals)
    return plan


def worksheet_xlsx(ex: Exercise | Walkthrough, kind: str = "practice", answers: bool = False,
                   decimals: int = 3, typed: dict | None = None) -> bytes:
    """One worksheet as XLSX bytes (one sheet), with an answer-key sheet when ``answers``.

    ``typed`` maps exercise cell keys to values written into the learner's cells (for tests).

    >>> from byhand.practice import ExerciseSpec
    >>> worksheet_xlsx(ExerciseSpec("residual", 1).exercise())[:2]
    b'PK'
    """
    if kind not in KINDS:
        raise ByHandError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.", "kind")
    if isinstance(ex, Walkthrough):
        ex = make_exercise(ex)
    buf = io.BytesIO()
    wb, formats = new_workbook(buf)
    add_worksheet_sheets(wb, formats, ex, kind, decimals, sheet_name(ex.code), typed)
    if answers:
        add_key_sheet(wb, formats, ex, kind, decimals, sheet_name(ex.code, suffix=" key"))
    wb.close()
    return buf.getvalue()

"""Spreadsheet worksheets (xlsxwriter): the by-hand layout in cells, every computed cell a live formula.

A product cell is ``=MMULT(row of L, column of R)``, a ReLU cell ``=IF(x>0,x,0)``, softmax,
LayerNorm, GELU and scaling have their own formulas, and an operand that copies an earlier
matrix refers to its cells, so the sheet recomputes in Excel or LibreOffice when an input
changes. Every formula carries its value, so a reader that does not recompute shows it too.
Excel has no fractions: values are stored as numbers and shown with a fraction format.

The practice sheet leaves the learner's cells empty and text-formatted, so that ``1/3`` is typed
as it is written; beside each step a self-check cell per blank says NOT DONE, CORRECT or INCORRECT.
A number asked in one step and reused later is asked once: the later box shows the learner's own
value (``?`` until typed). The student's file holds **no answers**: a check sheet of its own,
visible like every sheet, reads what was typed as a fraction (``-1/3``, ``0.25``, ``2``, ``−2``,
``0,5``) and scrambles it into a check code, which the self-check compares with the code of the
right answer. The code is a salted, squared-twice polynomial modulo a prime: nothing in the file
reads as an answer, and an answer is found only by trying numbers, which the self-check allows
anyway. The answer key is a workbook of its own (``answer_key_xlsx``).
"""

from __future__ import annotations

import hashlib
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
from ..ops import spreadsheet_number
from ..practice import Cell, Exercise, make_exercise
from ..walkthrough import Step, Walkthrough
from . import palette as pal
from .layout import Layout, layout_step
from .pdf import KINDS, key_cells

__all__ = ["worksheet_xlsx", "answer_key_xlsx", "plan_sheet", "write_sheet", "write_checks", "XCell",
           "SheetPlan", "CheckRow", "sheet_name", "checks_name", "new_workbook", "add_worksheet_sheets",
           "add_key_sheet", "add_answer_list", "answer_code", "check_code", "STATUS", "CODE_PRIME"]

STATUS = ("NOT DONE", "CORRECT", "INCORRECT")
FIXED_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
FIRST_STEP_ROW = 6
CODE_PRIME = 1_048_573  # the largest prime below 2**20: a product of two residues stays below 2**40, exact
_CODE_MIX = 524_287
CHECK_HEADER_ROWS = 5  # the check sheet's title, three lines of words, a blank line; then the column heads


@dataclass
class XCell:
    """One written cell: its value (what the engine says), formula (None: a constant or blank),
    ``kind`` (given, copy, ref, computed, student, check, label, box, score) and fill
    (``#rrggbb``, from the palette). A ``ref`` shows a learner's own earlier value (``?`` until typed)."""

    row: int
    col: int
    value: object = None
    formula: str | None = None
    kind: str = "given"
    fill: str | None = None
    bold: bool = False
    key: tuple | None = None  # the exercise cell this student/check cell belongs to


@dataclass
class CheckRow:
    """One blank's line on the check sheet: where the learner types it (``at``, on the worksheet),
    the salts of its code, the right answer's code, and for a float answer its rounding bin."""

    cell: Cell
    at: tuple[int, int]
    salts: tuple[int, int, int]
    code: int
    bin: tuple[float, float] | None = None  # (offset, width) of a float answer's bin; None when exact


@dataclass
class SheetPlan:
    """Everything one sheet holds, before it is written: cells, column widths, the check sheet's rows."""

    cells: list[XCell] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    checks: list[CheckRow] = field(default_factory=list)
    checks_sheet: str = ""

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


def checks_name(name: str) -> str:
    """The name of a worksheet's check sheet.

    >>> checks_name("residual-42")
    'residual-42 checks'
    """
    return f"{name[:31 - len(' checks')]} checks"


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


def _symbolic(v) -> bool:
    """A cell holding an expression in symbols (``w11·x1 + b1``): written as text, never as a number."""
    return bool(getattr(v, "free_symbols", None))


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
    how = ("Type a fraction as you write it: 1/3, -2/5 (a decimal counts when it is the same number: "
           "0.5 for 1/2)." if wt.exact else f"Round to {decimals} decimal places.")
    return (f"Practice: fill in the white cells by hand; a ? is a number you work out in an earlier step. "
            f"The self-check cells on the right of each step say NOT DONE, CORRECT or INCORRECT. {how} "
            f"This file holds no answers: the checks compare check codes (see the checks sheet).")


def _steps(ex: Exercise):
    """Each step laid out in cells, as every sheet of this exercise places it: (k, step, layout,
    cells, first row). A step's note always has its row, so that the practice sheet (which may
    leave a note out) and the key put every box in the same cell."""
    row = FIRST_STEP_ROW
    for k, step in enumerate(ex.walkthrough.steps):
        lay = layout_step(step)
        if step.kind == "arrange":  # its operands only: the product is worked out in the next step
            lay = Layout([b for b in lay.boxes if b.region != "product"],
                         [lb for lb in lay.labels if lb.kind != "name"], list(lay.links))
        sc = _StepCells(lay, row + 2, 1)
        yield k, step, lay, sc, row
        row = row + 2 + sc.height + 1 + (1 if step.note else 0)


def _box_at(ex: Exercise) -> dict[tuple, tuple[int, int]]:
    """The sheet cell of every box of every step, by (step, region, row, col)."""
    return {(k, *box): rc for k, _s, _l, sc, _r in _steps(ex) for box, rc in sc.at.items()}


def plan_sheet(ex: Exercise, kind: str = "practice", decimals: int = 3,
               checks_sheet: str | None = None) -> SheetPlan:
    """Lay out one worksheet in cells; a practice sheet's self-checks read the sheet ``checks_sheet``
    (default: ``checks_name(sheet_name(ex.code))``), which ``write_checks`` writes."""
    if kind not in KINDS:
        raise ByHandError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.", "kind")
    wt, plan = ex.walkthrough, SheetPlan()
    practice = kind == "practice"
    student = {c.key: c for c in ex.cells} if practice else {}
    plan.cells += [
        XCell(0, 0, f"ByHand worksheet · {wt.title}", kind="label", bold=True),
        XCell(1, 0, f"Block: {wt.block}    Code: {ex.code or '—'}", kind="label"),
        XCell(2, 0, "Name: ____________________    Date: ____________", kind="label"),
        XCell(3, 0, _instructions(wt, kind, decimals), kind="label"),
    ]
    defined: dict[tuple[str, int, int], tuple[int, int]] = {}  # (matrix, i, j) -> its defining cell
    volatile: set[str] = set()  # learners' cells and the cells that show them
    step_cells: list[tuple[int, _StepCells]] = []
    for k, step, lay, sc, row in _steps(ex):
        plan.cells.append(XCell(row, 0, f"Step {k + 1} · {step.title}", kind="label", bold=True))
        plan.cells.append(XCell(row + 1, 0, step.caption, kind="label"))
        step_cells.append((k, sc))
        for lb in lay.labels:
            rc = sc.cell(lb.x, lb.y, floor=True)
            if rc not in sc.at.values():
                plan.cells.append(XCell(*rc, lb.text, kind="label", bold=True))
        _plan_boxes(plan, ex, k, step, lay, sc, kind, decimals, defined, volatile, student)
        note = ex.note(k) if practice else step.note
        if note:
            plan.cells.append(XCell(row + 2 + sc.height + 1, 0, note, kind="label"))
    right = max((sc.col0 + sc.width for _, sc in step_cells), default=2)
    for c in range(0, right + 1):
        plan.widths[c] = _grid_width(wt, decimals)
    if practice and ex.cells:
        plan.checks_sheet = checks_sheet or checks_name(sheet_name(ex.code))
        _plan_checks(plan, ex, step_cells, right + 1, decimals)
    return plan


def _grid_width(wt: Walkthrough, decimals: int) -> float:
    longest = max((len(fmt(v, decimals)) for m in wt.matrices.values() for v in m.flat), default=1)
    return max(6.0, longest + 2.5)


def _plan_boxes(plan: SheetPlan, ex: Exercise, k: int, step: Step, lay: Layout, sc: _StepCells,
                kind: str, decimals: int, defined: dict, volatile: set, student: dict) -> None:
    """Write one step's boxes: constants, copies, formulas, the learner's empty cells, and where a
    learner's earlier number is reused, that number (a ``ref``: never a second blank)."""
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
            plan.cells.append(XCell(*rc, None, kind="student", fill=empty, key=key))
            volatile.add(_ref(rc))
            _define(defined, step, b.region, b.row, b.col, rc)
            continue
        value, src = _box_source(step, b, wt)
        if b.region in ("left", "right", "given") or (b.region == "product" and step.kind == "elementwise"):
            if src is not None and src in defined:
                target = _ref(defined[src])
                if target in volatile:
                    plan.cells.append(XCell(*rc, value, f'=IF({target}="","?",{target})', "ref", empty))
                    volatile.add(_ref(rc))
                else:
                    plan.cells.append(XCell(*rc, value, f"={target}", "copy", fill))
            else:
                plan.cells.append(XCell(*rc, value, None, "given", fill))
                if src is not None:
                    defined[src] = rc
            if b.region == "given":
                defined.setdefault((step.name, b.row, b.col), rc)
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


def _copied(p, i: int, j: int) -> tuple[str, int, int] | None:
    """The (matrix, row, col) that cell (i, j) of part ``p`` copies; None for a constant."""
    src = p.source_cell(i, j)
    return None if src is None or src[1] < 0 else src


def _box_source(step: Step, b, wt: Walkthrough):
    """A box's value and the (matrix, i, j) it copies (None for constants and computed cells)."""
    if b.region == "given":
        if step.copies is not None:  # a matrix made from an earlier one (a padded map)
            return step.result[b.row, b.col], _copied(step.copies, b.row, b.col)
        return step.result[b.row, b.col], (step.name, b.row, b.col)
    if b.region in ("left", "right"):
        st = step.left if b.region == "left" else step.right
        idx = b.row if st.axis == 0 else b.col
        p, off = st.part_at(idx)
        i, j = (off, b.col) if st.axis == 0 else (b.row, off)
        return p.values[i, j], _copied(p, i, j)
    if b.region == "product":
        if step.kind == "multiply":
            return step.product[b.row, b.col], None
        if step.copies is not None:  # the op's input is made from an earlier matrix: diag(z)
            return step.product[b.row, b.col], _copied(step.copies, b.row, b.col)
        return step.product[b.row, b.col], (step.product_name, b.row, b.col)
    return step.result[b.row, b.col], None


def _product_formula(step: Step, i: int, j: int, at: dict) -> str:
    """``=MMULT(row i of L, column j of R)``; a sum of products when a range is not contiguous."""
    lrow = [at[("left", i, c)] for c in range(step.left.shape[1])]
    rcol = [at[("right", r, j)] for r in range(step.right.shape[0])]
    a, b = _span(lrow), _span(rcol)
    if a and b:
        return f"=MMULT({a},{b})"
    return "=" + "+".join(f"{_ref(x)}*{_ref(y)}" for x, y in zip(lrow, rcol))


# ---------------------------------------------------------------- check codes, never answers


def _salts(public: str, cell: Cell) -> tuple[int, int, int]:
    """Three salts of one blank, from public things only (the exercise's code and inputs, the cell's
    place): the same answer in two cells gets two different codes, so codes do not tell which
    blanks are equal."""
    digest = hashlib.sha256(f"{public}|{cell.key}".encode()).digest()
    return tuple(1 + int.from_bytes(digest[4 * i:4 * i + 4], "big") % (CODE_PRIME - 1) for i in range(3))


def _public(ex: Exercise) -> str:
    wt = ex.walkthrough
    inputs = ";".join(f"{k}={np.asarray(v).tolist()!r}" for k, v in sorted(wt.inputs.items()))
    return f"{ex.code}|{wt.block}|{wt.title}|{inputs}"


def check_code(a: int, b: int, salts: tuple[int, int, int]) -> int:
    """The check code of the pair of whole numbers (a, b): ``x = a·M + b + s1`` (the check sheet's
    Scrambled), then squared plus a salt twice (its Check code), all modulo ``CODE_PRIME``.

    >>> check_code(1, 3, (1, 2, 3)) == check_code(2, 6, (1, 2, 3))
    False
    """
    p, (s1, s2, s3) = CODE_PRIME, salts
    x = (a % p * _CODE_MIX + b % p + s1) % p
    x = (x * x + s2) % p
    return (x * x + s3) % p


def answer_code(answer, decimals: int, salts: tuple[int, int, int]) -> tuple[int, tuple[float, float] | None]:
    """The right answer's check code and, for a float answer, its rounding bin (offset, width).

    An exact answer is the reduced fraction n/d, coded as (n, d): ``2/6`` and ``1/3`` code the
    same, ``0.333`` does not. A float answer is rounded to ``decimals`` places by a bin of that
    width centred on it, coded as (bin, 1): anything within half the last place counts, as
    ``practice.tolerance`` says. The offset gives away only digits past the printed places.

    >>> answer_code(Fraction(-2, 6), 3, (1, 2, 3)) == (check_code(-1, 3, (1, 2, 3)), None)
    True
    """
    if isinstance(answer, (int, np.integer, Fraction)):
        f = Fraction(answer)
        return check_code(f.numerator, f.denominator, salts), None
    width = 10.0 ** -decimals
    m = math.floor(float(answer) / width + 0.5)
    return check_code(m, 1, salts), (float(answer) - width * m, width)


def _plan_checks(plan: SheetPlan, ex: Exercise, step_cells: list, col0: int, decimals: int) -> None:
    """A self-check cell beside each learner's cell, comparing check codes on the check sheet."""
    spans = []
    for k, sc in step_cells:
        cols = [sc.at[(c.region, c.row, c.col)][1] for c in ex.cells_of(k)]
        if cols:
            spans.append((k, sc, min(cols), max(cols) - min(cols) + 1))
    width = max(s[3] for s in spans)
    public, checks = _public(ex), []
    q = f"'{plan.checks_sheet}'!"
    for k, sc, first, _ in spans:
        top = min(sc.at[(c.region, c.row, c.col)][0] for c in ex.cells_of(k))
        plan.cells.append(XCell(top - 1, col0, "Self-check", kind="label", bold=True))
        for c in ex.cells_of(k):
            r, cc = sc.at[(c.region, c.row, c.col)]
            if _symbolic(c.answer):  # an expression is checked by equivalence, on the Practice page only
                plan.cells.append(XCell(r, col0 + cc - first, "Practice page", kind="label"))
                continue
            salts = _salts(public, c)
            code, bin_ = answer_code(c.answer, decimals, salts)
            line = CHECK_HEADER_ROWS + 1 + len(plan.checks)  # its row on the check sheet (0-based)
            plan.checks.append(CheckRow(c, (r, cc), salts, code, bin_))
            x, got, want = _ref((r, cc)), _ref((line, _CODE_COL)), _ref((line, _RIGHT_COL))
            formula = (f'=IF(TRIM({x}&"")="","NOT DONE",IF({q}{got}={q}{want},"CORRECT","INCORRECT"))')
            chk = (r, col0 + cc - first)
            plan.cells.append(XCell(*chk, "NOT DONE", formula, "check", key=c.key))
            checks.append(chk)
    if not checks:
        return
    top, bottom = min(r for r, _ in checks), max(r for r, _ in checks)
    area = xl_range(top, col0, bottom, col0 + width - 1)
    plan.cells.append(XCell(4, 0, "Score:", kind="label", bold=True))
    plan.cells.append(XCell(4, 1, 0, f'=COUNTIF({area},"CORRECT")', "score"))
    plan.cells.append(XCell(4, 2, f"of {len(ex.cells)} correct", kind="label"))
    for c in range(col0, col0 + width):
        plan.widths[c] = 11.0


# The check sheet's columns: what the learner typed, read step by step into a reduced fraction.
_CHECK_HEADS = ("Blank", "Cell", "Read as", "Without sign", "Not digits", "Top", "Bottom",
                "Numerator", "Denominator", "Scrambled", "Check code", "Right answer's code")
_CHECK_WIDTHS = (34, 7, 12, 12, 11, 10, 10, 14, 14, 11, 11, 19)
_CODE_COL, _RIGHT_COL = 10, 11


def _check_formulas(row: CheckRow, sheet: str, line: int) -> list[str]:
    """The formulas of one check line: the typed text, cleaned (− → -, a decimal comma → point,
    spaces around / and after - dropped); without its sign; whatever is not a digit (nothing, one /
    and at most a point on each side of it, or the line reads nothing); the text above and below the
    /; numerator and denominator as whole numbers (the points moved out); and the check code."""
    clean, body, rest, top, bottom, num, den, mixed = (_ref((line, c)) for c in range(2, 10))
    t = f"TRIM('{sheet}'!{_ref(row.at)}&\"\")"
    for a, b in (("\u2212", "-"), ("\u2044", "/"), (",", "."), ("- ", "-"), ("/ ", "/"), (" /", "/")):
        t = f'SUBSTITUTE({t},"{a}","{b}")'
    digits_out = body
    for d in "0123456789":
        digits_out = f'SUBSTITUTE({digits_out},"{d}","")'
    ok = (f'AND(LEN({body})>0,LEN({body})<=13,OR({rest}="",{rest}=".",{rest}="/",{rest}="./",'
          f'{rest}="/.",{rest}="./."))')

    def places(s: str) -> str:  # digits after the point
        return f'(LEN({s})-MIN(LEN({s}),FIND(".",{s}&".")))'

    numerator = f'IF(LEFT({clean},1)="-",-1,1)*VALUE(SUBSTITUTE({top},".",""))*10^{places(bottom)}'
    denominator = f'IF(ISNUMBER(FIND("/",{body})),VALUE(SUBSTITUTE({bottom},".","")),1)*10^{places(top)}'
    if row.bin is None:
        g = f"GCD(ABS({num}),{den})"
        a, b = f"{num}/{g}", f"{den}/{g}"
    else:
        offset, width = (spreadsheet_number(v).upper() for v in row.bin)
        a, b = f"ROUND(({num}/{den}-({offset}))/{width},0)", "1"
    p, (s1, s2, s3) = CODE_PRIME, row.salts
    x1 = f"MOD(MOD({a},{p})*{_CODE_MIX}+MOD({b},{p})+{s1},{p})"
    x2 = f"MOD({mixed}*{mixed}+{s2},{p})"
    return [f"={t}",
            f'=IF(LEFT({clean},1)="-",MID({clean},2,99),{clean})',
            f"={digits_out}",
            f'=LEFT({body},FIND("/",{body}&"/")-1)',
            f'=MID({body},FIND("/",{body}&"/")+1,99)',
            f'=IFERROR(IF({ok},{numerator},""),"")',
            f'=IFERROR(IF({ok},{denominator},""),"")',
            f'=IFERROR(IF(OR({num}="",{den}="",{den}=0),"",{x1}),"")',
            f'=IF({mixed}="","",MOD({x2}*{x2}+{s3},{p}))']


def write_checks(wb: xlsxwriter.Workbook, formats: _Formats, plan: SheetPlan, sheet: str) -> None:
    """Write the check sheet of a planned practice sheet named ``sheet``: one line per blank, from
    what the learner typed to its check code, beside the right answer's code. No answer is in it."""
    ws = wb.add_worksheet(plan.checks_sheet)
    bold, plain = formats.get(bold=True), formats.get()
    ws.write_string(0, 0, f"How the self-checks of {sheet} read your answers", bold)
    for r, text in enumerate((
            "Each line reads what you typed in one white cell as a fraction and scrambles it into a "
            "check code; the self-check says CORRECT when it equals the right answer's code.",
            "The answers themselves are not in this file: a code cannot be read back into a number, "
            "only matched by trying numbers, as the self-check does.",
            "Nothing to fill in here; type your answers in the white cells of the worksheet."), 1):
        ws.write_string(r, 0, text, plain)
    for c, (head, width) in enumerate(zip(_CHECK_HEADS, _CHECK_WIDTHS)):
        ws.set_column(c, c, width)
        ws.write_string(CHECK_HEADER_ROWS, c, head, formats.get(bold=True, border=1))
    cell = formats.get(border=1)
    for n, row in enumerate(plan.checks):
        line = CHECK_HEADER_ROWS + 1 + n
        c = row.cell
        ws.write_string(line, 0, f"Step {c.step + 1}: {c.where}", cell)
        ws.write_string(line, 1, _ref(row.at), cell)
        for col, formula in enumerate(_check_formulas(row, sheet, line), 2):
            ws.write_formula(line, col, formula, cell, "")
        ws.write_number(line, _RIGHT_COL, row.code, cell)
    ws.protect()
    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


class _Formats:
    """xlsxwriter formats made on demand, one per look, for one workbook."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.wb, self.cache = wb, {}

    def get(self, fill=None, num: str = "General", bold: bool = False, border: int = 0,
            align: str | None = None, font: str | None = None, locked: bool = True):
        key = (fill, num, bold, border, align, font, locked)
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
            if not locked:
                props["locked"] = False
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def new_workbook(buf: io.BytesIO) -> tuple[xlsxwriter.Workbook, _Formats]:
    """An in-memory workbook with fixed properties (the same exercise gives the same bytes)."""
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False})
    wb.set_properties({"title": "ByHand worksheet", "author": "ByHand", "created": FIXED_DATE})
    return wb, _Formats(wb)


def write_sheet(wb: xlsxwriter.Workbook, formats: _Formats, name: str, plan: SheetPlan,
                decimals: int = 3) -> None:
    """Write a planned sheet into the workbook (and its check sheet, right after it, if it has one).

    A practice sheet is protected without a password: only the learner's cells take typing, so a
    slip does not overwrite a formula; unprotecting it shows nothing more (there is nothing hidden)."""
    ws = wb.add_worksheet(name)
    for col, w in plan.widths.items():
        ws.set_column(col, col, w)
    ws.set_column(0, 0, max(plan.widths.get(0, 8), 8))
    for c in plan.cells:
        if c.kind == "label":
            ws.write_string(c.row, c.col, str(c.value), formats.get(bold=c.bold))
        elif c.kind == "box":
            ws.write_blank(c.row, c.col, None, formats.get(c.fill, border=1))
        elif c.kind == "student":  # text, so that 1/3 stays 1/3 (not a date)
            f = formats.get(c.fill, "@", border=2, align="center", locked=False)
            ws.write_blank(c.row, c.col, None, f)
        elif c.kind == "check":
            ws.write_formula(c.row, c.col, c.formula, formats.get(border=1, align="center"), c.value)
        elif c.kind == "score":
            ws.write_formula(c.row, c.col, c.formula, formats.get(bold=True), 0)
        elif c.kind == "ref":
            ws.write_formula(c.row, c.col, c.formula, formats.get(c.fill, border=1, align="center"), "?")
        else:
            f = formats.get(c.fill, _num_format(c.value, decimals), border=1, align="center", bold=c.bold)
            if _symbolic(c.value):  # the expression as text: a spreadsheet formula cannot hold symbols
                text = formats.get(c.fill, border=1, bold=c.bold)
                ws.write_string(c.row, c.col, fmt(c.value, decimals), text)
            elif c.formula is None:
                ws.write_number(c.row, c.col, _num(c.value), f)
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
        ws.protect()
    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    if plan.checks:
        write_checks(wb, formats, plan, name)


def _key_plan(ex: Exercise, kind: str, decimals: int) -> SheetPlan:
    """The worked sheet with the answers shaded: the answer key."""
    plan = plan_sheet(ex, "worked", decimals)
    at = _box_at(ex)
    shade = {at[(k, *box)] for k, boxes in key_cells(ex, kind).items() for box in boxes}
    for c in plan.cells:
        if (c.row, c.col) in shade:
            c.fill, c.bold = pal.box_look("computed", lit=True).fill, True
    plan.cells[0].value = f"Answer key · {ex.walkthrough.title}"
    plan.cells[3].value = "Answer key: the answers are the shaded cells; the answers sheet lists them."
    return plan


def _key_cells(ex: Exercise, kind: str) -> list[Cell]:
    """The cells the key answers: the blanks of a practice sheet, every computed cell otherwise."""
    return list(ex.cells) if kind == "practice" else list(make_exercise(ex.walkthrough, "all").cells)


def add_worksheet_sheets(wb, formats, ex: Exercise, kind: str, decimals: int, name: str) -> SheetPlan:
    """Add one worksheet's sheet (and, for practice, its check sheet right after it); return its plan."""
    plan = plan_sheet(ex, kind, decimals, checks_name(name))
    write_sheet(wb, formats, name, plan, decimals)
    return plan


def add_key_sheet(wb, formats, ex: Exercise, kind: str, decimals: int, name: str) -> SheetPlan:
    """Add one worksheet's answer key: the worked sheet, its answers shaded."""
    plan = _key_plan(ex, kind, decimals)
    write_sheet(wb, formats, name, plan, decimals)
    return plan


def add_answer_list(wb, formats, exercises: list[Exercise], kind: str, decimals: int,
                    name: str = "answers") -> None:
    """Add one sheet listing every answer of the given worksheets: code, step, cell, answer."""
    ws = wb.add_worksheet(name)
    heads = ("Code", "Step", "Blank", "Worksheet cell", "Answer", "Value")
    for c, (head, width) in enumerate(zip(heads, (18, 6, 30, 15, 14, 12))):
        ws.set_column(c, c, width)
        ws.write_string(0, c, head, formats.get(bold=True, border=1))
    line = 1
    for ex in exercises:
        at = _box_at(ex)
        for c in _key_cells(ex, kind):
            ws.write_string(line, 0, ex.code or ex.walkthrough.title)
            ws.write_number(line, 1, c.step + 1)
            ws.write_string(line, 2, c.where)
            ws.write_string(line, 3, _ref(at[c.key]))
            ws.write_string(line, 4, fmt(c.answer, decimals))
            if not _symbolic(c.answer):
                ws.write_number(line, 5, _num(c.answer), formats.get(num=_num_format(c.answer, decimals)))
            line += 1
    ws.freeze_panes(1, 0)


def _exercise(ex: Exercise | Walkthrough, kind: str) -> Exercise:
    if kind not in KINDS:
        raise ByHandError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.", "kind")
    return make_exercise(ex) if isinstance(ex, Walkthrough) else ex


def worksheet_xlsx(ex: Exercise | Walkthrough, kind: str = "practice", answers: bool = False,
                   decimals: int = 3) -> bytes:
    """The student's workbook as XLSX bytes: the worksheet and, for practice, its check sheet.

    It never holds an answer, whatever ``answers`` says: the key is a workbook of its own,
    ``answer_key_xlsx(ex, kind, decimals)`` (a page offers both files, the command line writes
    ``x.xlsx`` and ``x-key.xlsx``). ``answers`` is kept so that callers asking for the key beside
    the sheet still get the sheet.

    >>> from byhand.practice import ExerciseSpec
    >>> worksheet_xlsx(ExerciseSpec("residual", 1).exercise())[:2]
    b'PK'
    """
    ex = _exercise(ex, kind)
    buf = io.BytesIO()
    wb, formats = new_workbook(buf)
    add_worksheet_sheets(wb, formats, ex, kind, decimals, sheet_name(ex.code))
    wb.close()
    return buf.getvalue()


def answer_key_xlsx(ex: Exercise | Walkthrough, kind: str = "practice", decimals: int = 3) -> bytes:
    """The teacher's answer key as XLSX bytes, a workbook of its own: the worked sheet with the
    answers shaded (live formulas), and the list of answers (exact ones as fractions).

    >>> from byhand.practice import ExerciseSpec
    >>> answer_key_xlsx(ExerciseSpec("residual", 1).exercise())[:2]
    b'PK'
    """
    ex = _exercise(ex, kind)
    buf = io.BytesIO()
    wb, formats = new_workbook(buf)
    add_key_sheet(wb, formats, ex, kind, decimals, sheet_name(ex.code, suffix=" key"))
    add_answer_list(wb, formats, [ex], kind, decimals)
    wb.close()
    return buf.getvalue()

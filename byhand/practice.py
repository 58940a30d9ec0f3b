"""Practice by hand: an exercise is a walkthrough with some computed cells left blank.

Which cells are blank: every computed cell (``"all"``), only the last step's (``"last"``) or
a seeded random share (``"share:0.5"``). Answers are typed as text (``2``, ``-1/3``, ``0.25``),
checked exactly where the walkthrough is exact — for the whole sheet (``check_answers``) or one
step at a time (``check_step``), where a wrong cell that follows from the learner's own earlier
numbers is said to be consistent with them. Hints come in levels (``hint``): which row and
column meet, then the terms with their numbers, then the sum of all terms but the last.

A number is asked once: in the step that works it out. Where a later step reuses it (``H`` in
``[X; H; 1]``) the box is a *reference* to the learner's own value (``Exercise.references``),
never a second blank. Pure Python: pages, worksheets and the command line all use it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .blocks import BLOCKS, block_type, build_example
from .checks import MAX_VALUE
from .misconceptions import diagnose  # the named mistakes of wrong answers (imports practice lazily)
from .numbers import MAX_NUMBER_TEXT, ByHandError, fmt, parse_number, quote
from .stacked import Part
from .walkthrough import Step, Walkthrough

__all__ = ["Cell", "Exercise", "ExerciseSpec", "Verdict", "Score", "StepCheck", "Hint", "make_exercise",
           "answer_cells", "parse_blank", "check_answer", "check_answers", "check_step", "carried", "hint",
           "hint_levels", "diagnose", "same_expression", "tolerance", "MAX_SEED", "SYMBOLS", "SYMBOL_BLOCKS"]

MAX_SEED = 2**32 - 1
EXACT_TOL = 1e-6


@dataclass(frozen=True)
class Cell:
    """A computed cell: the box of ``steps[step]``'s ``region`` (product or result) at (row, col), 0-based.

    ``matrix`` names the walkthrough matrix it belongs to: the step's name for its answer region
    (``H``, ``Z``), the product's label for the product under an op (``W1·X + b1``).
    """

    step: int
    region: str
    row: int
    col: int
    matrix: str
    answer: object

    @property
    def key(self) -> tuple[int, str, int, int]:
        return self.step, self.region, self.row, self.col

    @property
    def where(self) -> str:
        """``H, row 2, column 1`` (1-based), as messages name a cell."""
        return f"{self.matrix}, row {self.row + 1}, column {self.col + 1}"


def answer_cells(wt: Walkthrough) -> list[Cell]:
    """Every cell a learner computes, step by step: products of multiplies and results of ops.

    >>> from byhand.blocks.residual import residual_block
    >>> [c.key for c in answer_cells(residual_block([[1]], [[2]], [0], [[1]], [[-1]]))]
    [(1, 'product', 0, 0), (1, 'result', 0, 0), (3, 'product', 0, 0), (3, 'result', 0, 0)]
    """
    out = []
    for k, s in enumerate(wt.steps):
        regions = []
        if s.kind == "multiply":
            label = s.name if s.answer_region == "product" else (s.product_name or s.name)
            regions.append(("product", label, s.product))
        if s.answer_region == "result":
            regions.append(("result", s.name, s.result))
        for region, matrix, values in regions:
            for (i, j), v in np.ndenumerate(values):
                out.append(Cell(k, region, i, j, matrix, v))
    return out


def parse_blank(text: str) -> str:
    """Check a blank mode: ``all``, ``last`` or ``share:P`` with 0 < P ≤ 1.

    >>> parse_blank(" share:0.25 "), parse_blank("ALL")
    ('share:0.25', 'all')
    """
    s = str(text).strip().lower()
    if s in ("all", "last"):
        return s
    m = re.fullmatch(r"share:([0-9]*\.?[0-9]+)", s)
    if m and 0 < float(m.group(1)) <= 1:
        return f"share:{float(m.group(1)):g}"
    raise ByHandError(f"blank must be 'all', 'last' or 'share:P' with P a share from 0 to 1 "
                      f"(e.g. share:0.5), not {text!r}.", "blank")


@dataclass(frozen=True, eq=False)
class Exercise:
    """A walkthrough and the cells left blank for the learner; ``code`` names it on sheets."""

    walkthrough: Walkthrough
    cells: tuple[Cell, ...]
    blank: str = "all"
    code: str = ""

    @property
    def keys(self) -> set[tuple[int, str, int, int]]:
        return {c.key for c in self.cells}

    def cells_of(self, step: int) -> list[Cell]:
        """The blank cells of one step, in order."""
        return [c for c in self.cells if c.step == step]

    def blanks(self) -> dict[int, set[tuple[str, int, int]]]:
        """For each step, the boxes (region, row, col) the learner fills in: its blank cells only."""
        out: dict[int, set] = {}
        for c in self.cells:
            out.setdefault(c.step, set()).add((c.region, c.row, c.col))
        return out

    def references(self) -> dict[int, dict[tuple[str, int, int], Cell]]:
        """For each step, the boxes that reuse a blank of an earlier step, and the blank they copy.

        They are not asked again: a page shows the learner's own value there (``carried``), a
        printed sheet a "?" and where to copy it from.
        """
        by_cell = {(c.matrix, c.row, c.col): c for c in self.cells}
        out: dict[int, dict] = {}
        for k, s in enumerate(self.walkthrough.steps):
            for box, src in _sources(s):
                if src in by_cell and by_cell[src].step != k:
                    out.setdefault(k, {})[box] = by_cell[src]
        return out

    def hidden(self) -> dict[int, set[tuple[str, int, int]]]:
        """For each step, the layout boxes (region, row, col) drawn without their value: the blanks
        (``blanks``: to fill in) and every box that reuses one (``references``: the learner's own
        value, or "?", never a second blank). Renderers that tell the two apart use those two."""
        out = self.blanks()
        for k, boxes in self.references().items():
            out.setdefault(k, set()).update(boxes)
        return out

    def note(self, step: int) -> str:
        """The note of a step as a practice sheet shows it: left out while it quotes the values of a
        matrix that has a blank (``Step.quotes``), so that no note gives an answer away."""
        s = self.walkthrough.steps[step]
        blanked = {c.matrix for c in self.cells}
        return "" if set(s.quotes) & blanked else s.note

    def cell_at(self, key) -> Cell:
        """The blank cell with this key (step, region, row, col)."""
        return next(c for c in self.cells if c.key == tuple(key))


def _copied(p: Part, i: int, j: int) -> tuple[str, int, int] | None:
    """The (matrix, row, col) that cell (i, j) of part ``p`` copies; None for a constant."""
    src = p.source_cell(i, j)
    return None if src is None or src[1] < 0 else src


def _sources(s: Step):
    """Every box of a step that copies a cell of an earlier matrix: ((region, row, col), (matrix, i, j))."""
    for region, st in (("left", s.left), ("right", s.right)):
        if st is None:
            continue
        for p, a, _ in st.spans():
            for (i, j), _v in np.ndenumerate(p.values):
                src = _copied(p, i, j)
                if src is not None:
                    yield ((region, a + i, j) if st.axis == 0 else (region, i, a + j)), src
    if s.kind == "elementwise":  # the op's input copies an earlier matrix
        for (i, j), _v in np.ndenumerate(s.product):
            src = (s.product_name, i, j) if s.copies is None else _copied(s.copies, i, j)
            if src is not None:
                yield ("product", i, j), src
    if s.kind == "given" and s.copies is not None:  # a derived matrix: a padded map
        for (i, j), _v in np.ndenumerate(s.result):
            src = _copied(s.copies, i, j)
            if src is not None:
                yield ("given", i, j), src


def make_exercise(wt: Walkthrough, blank: str = "all", seed: int = 0, code: str = "") -> Exercise:
    """Leave blank every computed cell, only the last step's, or a seeded share of them.

    >>> from byhand.blocks import build_example
    >>> ex = make_exercise(build_example("residual", seed=1), "last")
    >>> sorted({c.step for c in ex.cells})
    [3]
    """
    mode = parse_blank(blank)
    cells = answer_cells(wt)
    if mode == "last" and cells:
        last = cells[-1].step
        cells = [c for c in cells if c.step == last]
    elif mode.startswith("share:") and cells:
        share = float(mode.split(":")[1])
        k = max(1, round(share * len(cells)))
        pick = np.random.default_rng(seed).choice(len(cells), size=k, replace=False)
        cells = [cells[i] for i in sorted(int(i) for i in pick)]
    return Exercise(wt, tuple(cells), mode, code)


def tolerance(answer, decimals: int = 3) -> float:
    """How far a typed answer may be off: 1e-6 for an exact answer, half the last printed
    decimal for a float one (answers are printed to ``decimals`` places)."""
    if isinstance(answer, (int, Fraction, np.integer)):
        return EXACT_TOL
    return 0.5 * 10.0 ** -decimals + 1e-9


@dataclass(frozen=True)
class Verdict:
    """The check of one typed answer: status is correct, wrong, empty or invalid."""

    status: str
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "correct"


def check_answer(text, answer, decimals: int = 3) -> Verdict:
    """Check one typed answer against the right one.

    >>> check_answer("1/3", Fraction(1, 3)).status, check_answer("0.33", Fraction(1, 3)).status
    ('correct', 'wrong')
    >>> check_answer("1/0", 2).message
    '1/0 is a fraction with a zero denominator; type a number such as 2, -1 or 1/3.'
    """
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return Verdict("empty", "not filled in yet.")
    s = str(text).strip()
    if hasattr(answer, "free_symbols"):  # a sympy answer: a symbolic exercise
        return _check_expression(s, answer, decimals)
    try:
        value = parse_number(s)
    except ValueError as e:
        shown = s if len(s) <= MAX_NUMBER_TEXT else s[:MAX_NUMBER_TEXT] + "…"  # a 100 kB answer stays short
        return Verdict("invalid", f"{shown} is {e}; type a number such as 2, -1 or 1/3.")
    exact = isinstance(answer, (int, Fraction, np.integer))
    if exact and value == answer:
        return Verdict("correct")
    if abs(float(value) - float(answer)) < tolerance(answer, decimals):
        return Verdict("correct")
    if exact and isinstance(value, Fraction) and "." in s and abs(float(value) - float(answer)) < 0.01:
        return Verdict("wrong", "close, but not exact: write it as a fraction, e.g. 1/3.")
    return Verdict("wrong", "not right.")


def _check_expression(s: str, answer, decimals: int) -> Verdict:
    """A typed expression (read by our own grammar, never by Python) against a sympy answer: right
    when they are equivalent (``byhand.symbols.equivalent``), or, for an answer without symbols
    (``exp(1)/(exp(1) + 1)``), when a typed decimal is within the printed decimals.

    >>> from byhand.symbols import symbol
    >>> w11, x1, b1 = symbol('w11'), symbol('x1'), symbol('b1')
    >>> check_answer('b1 + x1*w11', w11*x1 + b1).status, check_answer('w11*x1', w11*x1 + b1).status
    ('correct', 'wrong')
    """
    from .symbols import read_answer

    try:
        value = read_answer(s)
    except ValueError as e:
        return Verdict("invalid", f"{quote(s)} cannot be read: {e}; type a number or an expression such "
                       "as 2*w11 + b1 (max, relu, exp and sqrt may be used).")
    if same_expression(value, answer, decimals):
        return Verdict("correct")
    return Verdict("wrong", "not right: it is not the same expression.")


def same_expression(value, answer, decimals: int = 3) -> bool:
    """Whether a read answer (``byhand.symbols.read_answer``) is an expression's value: equivalent to it
    (``byhand.symbols.equivalent``), or, both without symbols, within the printed decimals. The one test
    of a typed expression: a check and a diagnosed mistake (``diagnose``) both use it.

    >>> from byhand.symbols import read_answer, symbol
    >>> same_expression(read_answer('x1*w11'), symbol('w11') * symbol('x1')), same_expression(0.731, 0.7311)
    (True, True)
    """
    from .symbols import equivalent

    if not getattr(answer, "free_symbols", None) and not getattr(value, "free_symbols", None):
        try:
            if abs(float(value) - float(answer)) < tolerance(0.5, decimals):
                return True
        except (TypeError, ValueError, OverflowError):  # a number that is not real
            pass
    return equivalent(value, answer)


@dataclass(frozen=True)
class Score:
    """Every blank cell's verdict, by cell key, the count of correct ones, and the hints used.

    ``hints`` maps a cell key to the highest hint level the learner asked for on it (a page keeps
    that count in its session state and passes it to ``check_answers``).
    """

    verdicts: dict = field(default_factory=dict)
    hints: dict = field(default_factory=dict)

    @property
    def correct(self) -> int:
        return sum(v.ok for v in self.verdicts.values())

    @property
    def total(self) -> int:
        return len(self.verdicts)

    def count(self, status: str) -> int:
        return sum(v.status == status for v in self.verdicts.values())

    @property
    def hints_used(self) -> int:
        """How many hint levels were asked for, over every cell (level 3 on one cell counts 3)."""
        return sum(self.hints.values())

    @property
    def correct_without_hints(self) -> int:
        """Correct cells the learner got without asking for a hint."""
        return sum(v.ok and not self.hints.get(k) for k, v in self.verdicts.items())


def _hint_counts(ex: Exercise, hints_used: dict | None) -> dict:
    """The hint counts of the exercise's cells, whole numbers from 0 to the cell's top level."""
    out = {}
    keys = {c.key: c for c in ex.cells}
    for k, n in (hints_used or {}).items():
        k = tuple(k)
        if k in keys and isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0:
            out[k] = min(int(n), hint_levels(ex, keys[k]))
    return out


def check_answers(ex: Exercise, answers: dict, decimals: int = 3, hints_used: dict | None = None) -> Score:
    """Check the typed answers (cell key → text; missing keys are empty) of an exercise.

    ``hints_used`` (cell key → the highest hint level asked for) is kept in the score.
    """
    return Score({c.key: check_answer(answers.get(c.key), c.answer, decimals) for c in ex.cells},
                 _hint_counts(ex, hints_used))


# ---------------------------------------------------------------- the learner's own numbers, carried


def _typed(ex: Exercise, answers: dict) -> dict[tuple[str, int, int], object]:
    """The learner's parsed value of every blank they filled in, by (matrix, row, col)."""
    out = {}
    for c in ex.cells:
        text = answers.get(c.key)
        if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
            continue
        try:
            v = parse_number(str(text))
        except ValueError:
            v = _typed_expression(str(text), c.answer)
            if v is None:
                continue
            out[(c.matrix, c.row, c.col)] = v
            continue
        out[(c.matrix, c.row, c.col)] = v if ex.walkthrough.exact else float(v)
    return out


def _typed_expression(text: str, answer):
    """A typed expression, carried forward in a symbolic exercise (None otherwise, or if unreadable)."""
    if not hasattr(answer, "free_symbols"):
        return None
    from .symbols import read_answer

    try:
        return read_answer(text)
    except ValueError:
        return None


def carried(ex: Exercise, answers: dict, decimals: int = 3) -> dict[int, dict[tuple[str, int, int], str]]:
    """What each reused box shows, step by step: the learner's own value, or "?" until typed.

    >>> from byhand.blocks.residual import residual_block
    >>> ex = make_exercise(residual_block([[1]], [[2]], [0], [[1]], [[-1]]))
    >>> carried(ex, {(1, "result", 0, 0): "5"})[2]
    {('right', 1, 0): '5'}
    """
    typed = _typed(ex, answers)
    out: dict[int, dict] = {}
    for k, boxes in ex.references().items():
        for box, c in boxes.items():
            v = typed.get((c.matrix, c.row, c.col))
            out.setdefault(k, {})[box] = "?" if v is None else fmt(v, decimals)
    return out


def _operands(ex: Exercise, step: int, typed: dict) -> tuple[dict, dict]:
    """The step's boxes as the learner has them, and the blank each one reuses.

    Returns (values, fed): values maps (region, row, col) to the number the learner works with
    (their own typed value where the box reuses or is one of their blanks, else the sheet's),
    fed maps a box to the (matrix, row, col) of the blank it is or reuses.
    """
    s = ex.walkthrough.steps[step]
    values, fed = {}, {}
    for box, src in _sources(s):
        fed[box] = src
    for c in ex.cells_of(step):
        fed[(c.region, c.row, c.col)] = (c.matrix, c.row, c.col)
    for box, src in fed.items():
        if src in typed:
            values[box] = typed[src]
    return values, fed


def _from_learner(ex: Exercise, cell: Cell, typed: dict) -> tuple[object, set]:
    """Cell ``cell`` worked out from the learner's own numbers, and the blanks it used."""
    s = ex.walkthrough.steps[cell.step]
    values, fed = _operands(ex, cell.step, typed)
    i, j = cell.row, cell.col
    if cell.region == "product":  # row i of L times column j of R
        L, R = s.left.values, s.right.values
        boxes = [(("left", i, t), ("right", t, j)) for t in range(L.shape[1])]
        total = 0 * L[0, 0]
        for (lb, rb), t in zip(boxes, range(L.shape[1])):
            total = total + values.get(lb, L[i, t]) * values.get(rb, R[t, j])
        used = {fed[b] for pair in boxes for b in pair if b in fed}
        return total, used
    X = np.array(s.product, dtype=object if s.exact or s.product.dtype == object else float)
    for (region, r, c), v in values.items():
        if region == "product":
            X[r, c] = v
    if X.dtype != object:
        X = X.astype(float)
    rows = range(X.shape[0]) if s.op.whole_column else [i]  # softmax, LayerNorm: the whole column
    used = {fed[("product", r, j)] for r in rows if ("product", r, j) in fed}
    return s.op.apply(X)[i, j], used


@dataclass(frozen=True)
class StepCheck:
    """The check of one step's blanks: each cell's verdict by key, with "consistent" for a wrong
    cell that follows from the learner's own wrong numbers of an earlier step (or of this step's
    product), and ``wrong_before``: the earlier blanks it used that are wrong, by matrix."""

    step: int
    verdicts: dict = field(default_factory=dict)
    wrong_before: dict = field(default_factory=dict)

    @property
    def correct(self) -> int:
        return sum(v.ok for v in self.verdicts.values())

    @property
    def total(self) -> int:
        return len(self.verdicts)

    @property
    def ok(self) -> bool:
        return self.correct == self.total

    def count(self, status: str) -> int:
        return sum(v.status == status for v in self.verdicts.values())

    @property
    def summary(self) -> str:
        """One line for the step: ``3 of 4 right; 1 consistent with your H``."""
        if self.total == 0:
            return "Nothing to fill in here."
        if self.ok:
            return f"All {self.total} right."
        bits = [f"{self.correct} of {self.total} right"]
        for status, words in (("consistent", "consistent with your earlier numbers"), ("wrong", "wrong"),
                              ("invalid", "not a number"), ("empty", "not filled in")):
            if self.count(status):
                bits.append(f"{self.count(status)} {words}")
        return "; ".join(bits) + "."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def check_step(ex: Exercise, answers: dict, step: int, decimals: int = 3) -> StepCheck:
    """Check the blanks of one step, carrying the learner's own numbers forward.

    A wrong cell that is right *given the learner's own earlier values* (a multiply's row and
    column as the learner has them, an op's input as they typed it) gets the status
    ``consistent`` and says so: "consistent with your H; H itself has 2 wrong cells".
    """
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not (
            0 <= step < len(ex.walkthrough.steps)):
        raise ByHandError(f"step must be a whole number from 0 to {len(ex.walkthrough.steps) - 1}, "
                          f"not {step!r}.", "step")
    whole = check_answers(ex, answers, decimals).verdicts
    wrong_in: dict[str, int] = {}
    for c in ex.cells:
        if whole[c.key].status in ("wrong", "invalid"):
            wrong_in[c.matrix] = wrong_in.get(c.matrix, 0) + 1
    typed = _typed(ex, answers)
    truth = {(c.matrix, c.row, c.col): c for c in ex.cells}
    verdicts, before = {}, {}
    for c in ex.cells_of(step):
        v = whole[c.key]
        if v.status == "wrong":
            expected, used = _from_learner(ex, c, typed)
            off = sorted({m for m, i, j in used
                          if (m, i, j) in truth and whole[truth[(m, i, j)].key].status == "wrong"})
            if off and check_answer(answers.get(c.key), expected, decimals).ok:
                own = ", ".join(off)
                itself = "; ".join(f"{m} itself has {_plural(wrong_in.get(m, 0), 'wrong cell')}" for m in off)
                v = Verdict("consistent", f"not right, but consistent with your {own}; {itself}.")
                for m in off:
                    before[m] = wrong_in.get(m, 0)
        verdicts[c.key] = v
    return StepCheck(step, verdicts, before)


# ---------------------------------------------------------------- graded hints


class Hint(str):
    """A hint's words (it is a ``str``), with ``level`` (1–3), ``levels`` (the cell's top level) and
    ``cells``: the boxes (region, row, col) of the step's drawing to highlight."""

    level: int
    levels: int
    cells: frozenset

    def __new__(cls, text: str, level: int, levels: int, cells=()):
        out = super().__new__(cls, text)
        out.level, out.levels, out.cells = level, levels, frozenset(cells)
        return out


def hint_levels(ex: Exercise, cell: Cell) -> int:
    """How many hint levels a cell has: 3 for a dot product and for an op over a whole column
    (softmax, LayerNorm), 2 for a cell-by-cell op (ReLU, ReLU′, scale)."""
    step = ex.walkthrough.steps[cell.step]
    if cell.region == "product" and step.kind == "multiply":
        return 3
    return 3 if step.op.whole_column else 2


def _term(v, decimals: int) -> str:
    s = fmt(v, decimals)
    return f"({s})" if s.startswith("\u2212") or "/" in s else s


def hint(ex: Exercise, cell: Cell, level: int = 3, decimals: int = 3, answers: dict | None = None) -> Hint:
    """How to work out a cell, in levels the learner asks for in turn.

    A multiply's cell: 1 — which row and column meet (``Hint.cells``: those boxes and the answer's);
    2 — the terms written out with their numbers; 3 — the sum of all terms but the last, which is
    left for the learner. An op's cell: 1 — which input cell (or column) it reads; 2 — the op's own
    rule with the number; 3 (softmax, LayerNorm) — the column's numbers. A level above the cell's
    top gives the top level.

    Pass ``answers`` (cell key → typed text, as for ``check_answers``): a number that is the
    learner's own earlier answer is then written as they typed it, or by name (``H[2,1]``) until
    typed — never as the right value. Without ``answers`` the hint writes the walkthrough's numbers
    (an op's blank input still reads "your answer"), as it did before levels existed.

    >>> from byhand.blocks.residual import residual_block
    >>> ex = make_exercise(residual_block([[1, 2]], [[3]], [1], [[1]], [[0]]))
    >>> print(hint(ex, ex.cells[0], 1))
    Row 1 of [W1 | b1] meets column 1 of [X; 1]: multiply them term by term and add the products.
    >>> print(hint(ex, ex.cells[0], 2))
    Row 1 of [W1 | b1] meets column 1 of [X; 1]: 3·1 + 1·1.
    >>> hint(ex, ex.cells[0]).split(": ")[1]
    '3·1 + 1·1. The other terms give 3·1 = 3; add 1·1.'
    """
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level < 1:
        raise ByHandError(f"a hint level is a whole number from 1, not {level!r}.", "level")
    levels = hint_levels(ex, cell)
    level = min(int(level), levels)
    step = ex.walkthrough.steps[cell.step]
    typed = _typed(ex, answers or {})
    refs = dict(ex.references().get(cell.step, {}))  # the boxes that are the learner's own numbers
    for c in ex.cells_of(cell.step):
        if c.key != cell.key:
            refs[(c.region, c.row, c.col)] = c
    is_product = cell.region == "product" and step.kind == "multiply"
    if is_product and answers is None:  # a dot product written with the walkthrough's numbers, as before
        refs = {}

    def shown(box, true_value):
        """A box's number as the learner may see it: (value or None, its text)."""
        if box not in refs:
            return true_value, _term(true_value, decimals)
        c = refs[box]
        v = typed.get((c.matrix, c.row, c.col))
        if v is not None:
            return v, _term(v, decimals)
        return None, f"{c.matrix}[{c.row + 1},{c.col + 1}]"

    i, j = cell.row, cell.col
    if is_product:
        K = step.left.shape[1]
        boxes = [("left", i, t) for t in range(K)] + [("right", t, j) for t in range(K)] + [("product", i, j)]
        head = f"Row {i + 1} of {step.left.name} meets column {j + 1} of {step.right.name}"
        if level == 1:
            return Hint(f"{head}: multiply them term by term and add the products.", 1, levels, boxes)
        pairs = [(shown(("left", i, t), step.left.values[i, t]),
                  shown(("right", t, j), step.right.values[t, j])) for t in range(K)]
        terms = [f"{a[1]}·{b[1]}" for a, b in pairs]
        text = f"{head}: {' + '.join(terms)}."
        if level == 2:
            return Hint(text, 2, levels, boxes)
        if K == 1:
            return Hint(f"{text} Multiply the two numbers.", 3, levels, boxes)

        def zero(a, b) -> bool:
            return (a[0] is not None and a[0] == 0) or (b[0] is not None and b[0] == 0)

        nonzero = [t for t, (a, b) in enumerate(pairs) if not zero(a, b)]
        left_out = nonzero[-1] if nonzero else K - 1  # the learner adds this term
        rest = [t for t in range(K) if t != left_out]
        known = [t for t in rest if pairs[t][0][0] is not None and pairs[t][1][0] is not None]
        partial = sum((pairs[t][0][0] * pairs[t][1][0] for t in known), 0 * step.left.values[0, 0])
        partial = partial if step.exact else float(partial)
        open_terms = [terms[t] for t in rest if t not in known]
        total = " + ".join([fmt(partial, decimals)] + open_terms)
        return Hint(f"{text} The other terms give {' + '.join(terms[t] for t in rest)} = {total}; "
                    f"add {terms[left_out]}.", 3, levels, boxes)
    x_name = step.product_name or "the product"
    src = (i, j) if step.product.shape == step.result.shape else (i, 0)
    rows = range(step.product.shape[0]) if step.op.whole_column else [src[0]]
    boxes = [("product", r, src[1]) for r in rows] + [("result", i, j)]
    if level == 1:
        what = (f"column {src[1] + 1} of {x_name}" if step.op.whole_column
                else f"{x_name}, row {src[0] + 1}, column {src[1] + 1}")
        return Hint(f"{step.op.label} of {what}: find {'it' if not step.op.whole_column else 'that column'} "
                    "in the drawing.", 1, levels, boxes)
    v, x = shown(("product", *src), step.product[src])
    x = x.strip("()") if v is not None else "your answer"
    text = step.op.hint(x_name, src[0], src[1], x, decimals)
    if level == 2:
        return Hint(text, 2, levels, boxes)
    column = [shown(("product", r, src[1]), step.product[r, src[1]])[1] for r in rows]
    return Hint(f"{text} Column {src[1] + 1} of {x_name} holds {', '.join(column)}.", 3, levels, boxes)


# Exercises with symbols: the blocks whose every matrix may be symbols (a conv's maps are 3-D, its
# batch norms' variances numbers), and what may be symbols.
SYMBOL_BLOCKS = ("residual", "encoder", "attention", "jacobian")
SYMBOLS = {"": "Numbers", "input": "The input", "all": "Every matrix"}
_SIZES_RE = re.compile(r"\d+(x\d+)*")
_RANGE_RE = re.compile(r"(-?\d+)\.\.(-?\d+)")


@dataclass(frozen=True)
class ExerciseSpec:
    """What makes an exercise: block type, seed, sizes, value range and blank mode.

    ``code`` is its short printable name (``residual/42``, with sizes, range, blank mode and symbols
    when they are not the defaults), and ``ExerciseSpec.parse(code)`` reads it back.

    ``symbols``: ``""`` (numbers), ``"input"`` (the block's data input as symbols in its own letter,
    ``x11 …``: each answer is an expression in them) or ``"all"`` (every matrix: the general rule).
    The seeded numbers stay behind the symbols, so an exercise's sheet and its answers are fixed.

    >>> ExerciseSpec("residual", 42, {"features": 4}, low=0, high=5, blank="last").code
    'residual/42/4x3x3/0..5/last'
    >>> ExerciseSpec.parse('residual/42/4x3x3/0..5/last').sizes["features"]
    4
    >>> ExerciseSpec.parse('residual/7/1x1x1/sym:all').walkthrough().inputs["W1"].tolist()
    [[w1]]
    """

    block: str
    seed: int
    sizes: dict = field(default_factory=dict)
    low: int = -2
    high: int = 2
    blank: str = "all"
    symbols: str = ""

    def __post_init__(self):
        bt = block_type(self.block)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or not (
                0 <= self.seed <= MAX_SEED):
            raise ByHandError(f"the seed must be a whole number from 0 to {MAX_SEED}, not {self.seed!r}.",
                              "seed")
        full = bt.check_sizes(self.sizes)
        lo_hi = (self.low, self.high)
        if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in lo_hi) or not (
                -MAX_VALUE <= self.low <= self.high <= MAX_VALUE):
            raise ByHandError(f"the value range {self.low!r}..{self.high!r} must be whole numbers within "
                              f"-{MAX_VALUE}..{MAX_VALUE}, lowest first.", "value range")
        object.__setattr__(self, "sizes", {k: int(v) for k, v in full.items()})
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "blank", parse_blank(self.blank))
        if self.symbols:
            self._check_symbols()

    def _check_symbols(self) -> None:
        """ByHandError unless this block and these sizes can be worked with symbols (the formula's limits)."""
        from .formula import MAX_CELLS, MAX_SYMBOLS

        if self.symbols not in SYMBOLS:
            raise ByHandError("the symbols part of a code is sym:input or sym:all, not "
                              f"{quote('sym:' + self.symbols)}.", "symbols")
        if self.block not in SYMBOL_BLOCKS:
            raise ByHandError(f"exercises with symbols are for the {', '.join(SYMBOL_BLOCKS)} blocks; "
                              f"{self.block} works with numbers.", "symbols")
        ex = self._inputs()
        cells = {k: np.shape(v)[0] * np.shape(v)[1] for k, v in ex.items()}
        chosen = sum(cells.values()) if self.symbols == "all" else cells[next(iter(ex))]
        if sum(cells.values()) > MAX_CELLS or chosen > MAX_SYMBOLS:
            raise ByHandError(f"with symbols an exercise has at most {MAX_SYMBOLS} symbols and {MAX_CELLS} "
                              f"cells in all; these sizes give {chosen} symbols and {sum(cells.values())} "
                              "cells. Make the sizes smaller.", "sizes")

    def _inputs(self) -> dict:
        bt = BLOCKS[self.block]
        return bt.random(self.seed, low=self.low, high=self.high, **self.sizes)

    @property
    def code(self) -> str:
        bt = BLOCKS[self.block]
        parts = [self.block, str(self.seed)]
        if self.sizes != bt.default_sizes():
            parts.append("x".join(str(v) for v in self.sizes.values()))
        if (self.low, self.high) != (-2, 2):
            parts.append(f"{self.low}..{self.high}")
        if self.blank != "all":
            parts.append(self.blank)
        if self.symbols:
            parts.append(f"sym:{self.symbols}")
        return "/".join(parts)

    def with_seed(self, seed: int) -> ExerciseSpec:
        return ExerciseSpec(self.block, seed, dict(self.sizes), self.low, self.high, self.blank, self.symbols)

    def walkthrough(self) -> Walkthrough:
        if not self.symbols:
            return build_example(self.block, self.seed, self.low, self.high, **self.sizes)
        from .symbols import symbolize

        ex = self._inputs()
        sym, _ = symbolize(ex, None if self.symbols == "all" else [next(iter(ex))])
        return BLOCKS[self.block].build(**sym)

    def exercise(self) -> Exercise:
        """Build the example and leave its cells blank (the share is drawn with the same seed)."""
        return make_exercise(self.walkthrough(), self.blank, self.seed, self.code)

    @classmethod
    def parse(cls, code: str) -> ExerciseSpec:
        """Read a code such as ``residual/42``, ``encoder/7/2x3x3/-5..5/last``."""
        bits = [b for b in str(code).strip().split("/") if b]
        if len(bits) < 2:
            raise ByHandError(f"{code!r} is not a worksheet code: it reads block/seed, e.g. residual/42.",
                              "code")
        block, seed = bits[0], bits[1]
        bt = block_type(block)
        if not seed.isdigit():
            raise ByHandError(f"the seed in {code!r} must be a whole number, not {seed!r}.", "seed")
        kw: dict = {}
        for b in bits[2:]:
            if _SIZES_RE.fullmatch(b):
                vals = [int(v) for v in b.split("x")]
                if len(vals) != len(bt.sizes):
                    names = "x".join(bt.names_of_sizes)
                    raise ByHandError(f"{bt.label} takes {len(bt.sizes)} sizes ({names}), not {b!r}.",
                                      "sizes")
                kw["sizes"] = dict(zip(bt.names_of_sizes, vals))
            elif (m := _RANGE_RE.fullmatch(b)):
                kw["low"], kw["high"] = int(m.group(1)), int(m.group(2))
            elif b.startswith("sym:"):
                kw["symbols"] = b[4:]
            else:
                kw["blank"] = b
        return cls(block, int(seed), **kw)

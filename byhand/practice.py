"""Practice by hand: an exercise is a walkthrough with some computed cells left blank.

Which cells are blank: every computed cell (``"all"``), only the last step's (``"last"``) or
a seeded random share (``"share:0.5"``). Answers are typed as text (``2``, ``-1/3``, ``0.25``),
checked exactly where the walkthrough is exact, and a wrong cell gets a hint: the row and
column that produce it, with the dot product written out and one term left for the learner.
Pure Python: pages, worksheets and the command line all use it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .blocks import BLOCKS, block_type, build_example
from .checks import MAX_VALUE
from .numbers import ByHandError, fmt, parse_number
from .walkthrough import Walkthrough, dot_product_text

__all__ = ["Cell", "Exercise", "ExerciseSpec", "Verdict", "Score", "make_exercise", "answer_cells",
           "parse_blank", "check_answer", "check_answers", "hint", "tolerance", "MAX_SEED"]

MAX_SEED = 2**32 - 1
EXACT_TOL = 1e-6


@dataclass(frozen=True)
class Cell:
    """A computed cell: the box of ``steps[step]``'s ``region`` (product or result) at (row, col), 0-based."""

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
            regions.append(("product", s.product_name or s.name, s.product))
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

    def hidden(self) -> dict[int, set[tuple[str, int, int]]]:
        """For each step, the layout boxes (region, row, col) to leave empty: the blank cells and
        every operand cell that copies one of them (so a later step does not give it away)."""
        out: dict[int, set] = {}
        for c in self.cells:
            out.setdefault(c.step, set()).add((c.region, c.row, c.col))
        to_fill = {(self._matrix_at(c), c.row, c.col) for c in self.cells}
        for k, s in enumerate(self.walkthrough.steps):
            for region, st in (("left", s.left), ("right", s.right)):
                if st is None:
                    continue
                for p, a, _ in st.spans():
                    for (i, j), _v in np.ndenumerate(p.values):
                        if p.source_cell(i, j) in to_fill:
                            r, c = (a + i, j) if st.axis == 0 else (i, a + j)
                            out.setdefault(k, set()).add((region, r, c))
            if s.kind == "elementwise":  # an op's input copies an earlier matrix
                for (i, j), _v in np.ndenumerate(s.product):
                    if (s.product_name, i, j) in to_fill:
                        out.setdefault(k, set()).add(("product", i, j))
        return out

    def _matrix_at(self, c: Cell) -> str:
        s = self.walkthrough.steps[c.step]
        return s.name if c.region == s.answer_region else f"{s.name}:{c.region}"


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
    try:
        value = parse_number(s)
    except ValueError as e:
        return Verdict("invalid", f"{s} is {e}; type a number such as 2, -1 or 1/3.")
    exact = isinstance(answer, (int, Fraction, np.integer))
    if exact and value == answer:
        return Verdict("correct")
    if abs(float(value) - float(answer)) < tolerance(answer, decimals):
        return Verdict("correct")
    if exact and isinstance(value, Fraction) and "." in s and abs(float(value) - float(answer)) < 0.01:
        return Verdict("wrong", "close, but not exact: write it as a fraction, e.g. 1/3.")
    return Verdict("wrong", "not right.")


@dataclass(frozen=True)
class Score:
    """Every blank cell's verdict, by cell key, and the count of correct ones."""

    verdicts: dict = field(default_factory=dict)

    @property
    def correct(self) -> int:
        return sum(v.ok for v in self.verdicts.values())

    @property
    def total(self) -> int:
        return len(self.verdicts)

    def count(self, status: str) -> int:
        return sum(v.status == status for v in self.verdicts.values())


def check_answers(ex: Exercise, answers: dict, decimals: int = 3) -> Score:
    """Check the typed answers (cell key → text; missing keys are empty) of an exercise."""
    return Score({c.key: check_answer(answers.get(c.key), c.answer, decimals) for c in ex.cells})


def hint(ex: Exercise, cell: Cell, decimals: int = 3) -> str:
    """How to work out a cell: the row and column that meet in it, the dot product written out
    with the last term left for the learner, or the op to apply.

    >>> from byhand.blocks.residual import residual_block
    >>> ex = make_exercise(residual_block([[1, 2]], [[3]], [1], [[1]], [[0]]))
    >>> hint(ex, ex.cells[0]).split(": ")[1]
    '3·1 + 1·1. The other terms give 3·1 = 3; add 1·1.'
    """
    step = ex.walkthrough.steps[cell.step]
    i, j = cell.row, cell.col
    if cell.region == "product" and step.kind == "multiply":
        terms = dot_product_text(step, i, j, decimals).rsplit(" = ", 1)[0].split(" + ")
        head = (f"Row {i + 1} of {step.left.name} meets column {j + 1} of {step.right.name}: "
                f"{' + '.join(terms)}.")
        if len(terms) == 1:
            return f"{head} Multiply the two numbers."
        row, col = step.left.values[i, :], step.right.values[:, j]
        nonzero = [t for t in range(len(terms)) if row[t] * col[t] != 0]
        left_out = nonzero[-1] if nonzero else len(terms) - 1  # the learner adds this term
        rest = [t for t in range(len(terms)) if t != left_out]
        partial = sum((row[t] * col[t] for t in rest), 0 * row[0])
        partial = partial if step.exact else float(partial)
        return (f"{head} The other terms give {' + '.join(terms[t] for t in rest)} = "
                f"{fmt(partial, decimals)}; add {terms[left_out]}.")
    x_name = step.product_name or "the product"
    x_hidden = ("product", i, j) in ex.hidden().get(cell.step, set())
    x = "your answer" if x_hidden else fmt(step.product[i, j], decimals)
    return step.op.hint(x_name, i, j, x, decimals)


_SIZES_RE = re.compile(r"\d+(x\d+)*")
_RANGE_RE = re.compile(r"(-?\d+)\.\.(-?\d+)")


@dataclass(frozen=True)
class ExerciseSpec:
    """What makes an exercise: block type, seed, sizes, value range and blank mode.

    ``code`` is its short printable name (``residual/42``, with sizes, range and blank mode
    when they are not the defaults), and ``ExerciseSpec.parse(code)`` reads it back.

    >>> ExerciseSpec("residual", 42, {"features": 4}, low=0, high=5, blank="last").code
    'residual/42/4x3x3/0..5/last'
    >>> ExerciseSpec.parse('residual/42/4x3x3/0..5/last').sizes["features"]
    4
    """

    block: str
    seed: int
    sizes: dict = field(default_factory=dict)
    low: int = -2
    high: int = 2
    blank: str = "all"

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
        return "/".join(parts)

    def with_seed(self, seed: int) -> ExerciseSpec:
        return ExerciseSpec(self.block, seed, dict(self.sizes), self.low, self.high, self.blank)

    def walkthrough(self) -> Walkthrough:
        return build_example(self.block, self.seed, self.low, self.high, **self.sizes)

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
            else:
                kw["blank"] = b
        return cls(block, int(seed), **kw)

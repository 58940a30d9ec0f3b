"""The one data model every renderer consumes: a Walkthrough of Steps."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .numbers import fmt, is_symbolic
from .ops import NONE, Identity, Op
from .stacked import Part, Stacked, multiply

__all__ = ["Step", "Walkthrough", "STEP_KINDS", "given_step", "arrange_step", "multiply_step", "op_step",
           "dot_product_text"]

STEP_KINDS = ("given", "arrange", "multiply", "elementwise")


@dataclass(frozen=True, eq=False)
class Step:
    """One step by hand: ``left · right = product``, then ``op`` gives ``result`` (named ``name``).

    ``kind`` says which of four steps it is, and which fields it has:

    - ``given``: a matrix the block starts from (only ``result``);
    - ``arrange``: the stacked operands laid out, their product still to come (no product);
    - ``multiply``: ``left · right = product``, then ``op`` gives ``result``;
    - ``elementwise``: ``op`` applied alone to ``product`` (its input, named ``product_name``).

    Build steps with ``given_step``, ``arrange_step``, ``multiply_step`` and ``op_step``.
    ``data_side`` says which operand holds the data being mixed: ``"right"`` for a linear
    layer (it combines features, across rows), ``"left"`` for attention ``X·A`` (it combines
    positions, across columns).

    ``copies`` says where the cells of a derived matrix come from — a given step's result made from
    an earlier matrix (a padded map) or an element-wise step's input (``diag(z)``): a ``Part`` whose
    ``source`` names that matrix and whose ``cells`` map each cell to the (i, j) it copies, or to
    (−1, −1) for a constant (a padding zero). ``quotes`` names the matrices whose values the ``note``
    states (``"Row 3 of z is exactly 0"``): a practice sheet leaves such a note out while any of them
    has a blank. ``symbolic_note`` is the part of ``note`` that only a symbolic step says (``max(0, e)``
    left standing): ``Walkthrough.substitute`` drops it. ``data_symbols`` names the symbols of the block's
    data input (``byhand.formula.collect_walkthrough`` sets them): a long cell cut in the drawing shows
    its term that is one of them, the skip's ``x₁₁`` of ``x₁₁ + Σ w·h + b``.
    """

    title: str
    caption: str
    name: str
    left: Stacked | None = None
    right: Stacked | None = None
    product: np.ndarray | None = None
    product_name: str = ""
    op: Op = NONE
    result: np.ndarray | None = None
    data_side: str | None = None
    note: str = ""
    kind: str = ""
    copies: Part | None = None
    quotes: tuple[str, ...] = ()
    symbolic_note: str = ""
    data_symbols: tuple[str, ...] = ()

    def __post_init__(self):
        has = (self.left is not None and self.right is not None, self.product is not None,
               self.result is not None)
        want = {"given": (False, False, True), "arrange": (True, False, False),
                "multiply": (True, True, True), "elementwise": (False, True, True)}
        if want.get(self.kind) != has:
            raise ValueError(f"step {self.title!r}: kind {self.kind!r} does not fit its fields")

    @property
    def is_multiply(self) -> bool:
        return self.kind == "multiply"

    @property
    def answer_region(self) -> str | None:
        """Which box of the drawing holds what the step works out: ``"product"`` (a multiply with
        no op), ``"result"`` (an op's output), or None (given and arrange steps work nothing out)."""
        if self.kind == "multiply":
            # by type, not identity: a step that went through a cache (pickled) has its own Identity()
            return "product" if isinstance(self.op, Identity) else "result"
        return "result" if self.kind == "elementwise" else None

    @property
    def exact(self) -> bool:
        m = self.result if self.result is not None else self.product
        return m is not None and m.dtype == object


def _op_note(op: Op, x: np.ndarray, result: np.ndarray, note: str) -> tuple[str, str]:
    """The step's note (and its symbolic part): whether ``op`` left the fractions, what it left standing."""
    if x.dtype == object and result.dtype != object:
        note = f"{op.label} leaves the fractions: decimals from here on. {note}".strip()
    said = op.symbolic_note(result) if result.dtype == object and is_symbolic(result) else ""
    return (f"{said} {note}".strip(), said)


def multiply_step(title: str, caption: str, name: str, left: Stacked, right: Stacked,
                  product_name: str, op: Op = NONE, data_side: str = "right", note: str = "") -> Step:
    """A step ``op(left · right)``; its ``note`` also says when the op leaves the exact numbers."""
    product = multiply(left, right)
    result = op.apply(product)
    note, said = _op_note(op, product, result, note)
    return Step(title, caption, name, left, right, product, product_name, op, result,
                data_side, note, "multiply", symbolic_note=said)


def op_step(title: str, caption: str, name: str, x: np.ndarray, x_name: str, op: Op,
            copies: Part | None = None, note: str = "", quotes: tuple[str, ...] = ()) -> Step:
    """A step that applies ``op`` alone to the matrix ``x_name`` (``copies``: where x's cells come from
    when x is not itself a walkthrough matrix, e.g. ``diag(z)``)."""
    result = op.apply(x)
    note, said = _op_note(op, x, result, note)
    return Step(title, caption, name, product=x, product_name=x_name, op=op, result=result,
                note=note, kind="elementwise", copies=copies, quotes=quotes, symbolic_note=said)


def given_step(title: str, caption: str, name: str, m: np.ndarray, note: str = "",
               copies: Part | None = None, quotes: tuple[str, ...] = ()) -> Step:
    """A step that shows the matrix ``name`` the block starts from, or one derived from an earlier
    matrix without arithmetic (``copies``: which cells it copies, e.g. a map padded with zeros)."""
    return Step(title, caption, name, result=m, note=note, kind="given", copies=copies, quotes=quotes)


def arrange_step(title: str, caption: str, name: str, left: Stacked, right: Stacked) -> Step:
    """A step that lays out the stacked operands of the next multiply (their product comes next)."""
    return Step(title, caption, name, left, right, kind="arrange")


@dataclass(frozen=True, eq=False)
class Walkthrough:
    """A block worked by hand: its given matrices, its steps in order and its output."""

    block: str
    title: str
    inputs: dict[str, np.ndarray]
    steps: tuple[Step, ...]
    output: np.ndarray
    exact: bool
    params: dict = field(default_factory=dict)

    def step(self, name: str) -> Step:
        """The step that works out the matrix ``name`` (``wt.step("H")``)."""
        return next(s for s in self.steps if s.name == name)

    @property
    def matrices(self) -> dict[str, np.ndarray]:
        """Every named matrix: the inputs and each step's result, by name."""
        out = dict(self.inputs)
        for s in self.steps:
            if s.result is not None:
                out.setdefault(s.name, s.result)
        return out

    @property
    def symbols(self) -> list[str]:
        """The names of the symbols in the inputs, sorted (``[]`` for a walkthrough of numbers)."""
        mats = [m for m in self.inputs.values() if is_symbolic(m)]
        if not mats:
            return []
        from .symbols import names_in

        return names_in(*mats)

    def substitute(self, values: dict) -> Walkthrough:
        """The walkthrough with numbers put in for its symbols: ``wt.substitute({"w11": 2, "x1": 1/3})``.

        Every matrix of every step (inputs, operands, products, results) gets the values; a cell that
        becomes a number is an int or a Fraction where it is rational, and with every symbol given the
        walkthrough equals the one built from those numbers directly (as floats, once an input value or
        an op such as softmax leaves the fractions). Symbols not given stay. Notes that only a symbolic
        step says are dropped; a note that quotes a value (a kink of ReLU′) is not worked out again.
        Raises ByHandError for a name that is not a name, a value that is not a number, or a value that
        divides by zero.
        """
        from .numbers import ByHandError
        from .symbols import substitute, value_table

        table = value_table(values)
        done: dict[int, np.ndarray] = {}
        rational = all(v.is_Rational for v in table.values())

        def sub(m: np.ndarray | None) -> np.ndarray | None:
            if m is None or m.dtype != object:
                return m
            if id(m) not in done:
                out = substitute(m, table)
                if any(isinstance(v, float) for v in out.flat) and not is_symbolic(out):
                    out = np.asarray(out, dtype=float)
                done[id(m)] = out
            return done[id(m)]

        floats = not rational  # a float value: the whole walkthrough is floats, as the direct build's
        try:
            inputs = {k: sub(v) for k, v in self.inputs.items()}
            steps = tuple(self._substituted(s, sub) for s in self.steps)
        except (ZeroDivisionError, TypeError, ValueError) as e:
            raise ByHandError(f"these values cannot be put in: {e}.", "values") from None
        if floats and not any(is_symbolic(m) for m in inputs.values()):
            inputs = {k: np.asarray(v, dtype=float) for k, v in inputs.items()}
            steps = tuple(self._substituted(s, lambda m: None if m is None else np.asarray(m, dtype=float))
                          for s in steps)
        output = steps[-1].result if steps and steps[-1].result is not None else sub(self.output)
        exact = all(m.dtype == object for m in inputs.values())
        return Walkthrough(self.block, self.title, inputs, steps, output, exact, dict(self.params))

    @staticmethod
    def _substituted(s: Step, sub) -> Step:
        """One step with ``sub`` applied to each of its matrices (operands part by part)."""
        from dataclasses import replace

        def stacked(st: Stacked | None) -> Stacked | None:
            if st is None:
                return None
            return Stacked(tuple(replace(p, values=sub(p.values)) for p in st.parts), st.axis)

        product, result = sub(s.product), sub(s.result)
        note = s.note.replace(s.symbolic_note, "").strip() if s.symbolic_note else s.note
        if s.product is not None and s.result is not None and s.result.dtype == object:
            note, _ = _op_note(s.op, product, result, note)  # softmax of numbers leaves the fractions
        copies = None if s.copies is None else replace(s.copies, values=sub(s.copies.values))
        return replace(s, left=stacked(s.left), right=stacked(s.right), product=product, result=result,
                       note=note, copies=copies, symbolic_note="")


def dot_product_text(step: Step, i: int, j: int, decimals: int = 3) -> str:
    """Cell (i, j) of a multiply written out: ``1·2 + 0·4 + (−1)·1 = 1``.

    >>> from byhand.stacked import hstack, vstack, part
    >>> L = hstack(part('W', np.array([[1, 0, -1]], dtype=object)))
    >>> R = vstack(part('X', np.array([[2], [4], [1]], dtype=object)))
    >>> dot_product_text(multiply_step('t', 'c', 'P', L, R, 'W·X'), 0, 0)
    '1·2 + 0·4 + (−1)·1 = 1'
    """
    if not step.is_multiply:
        raise ValueError(f"step {step.title!r} is not a multiply")
    row, col = step.left.values[i, :], step.right.values[:, j]

    def term(v) -> str:
        s = fmt(v, decimals)
        return f"({s})" if s.startswith("\u2212") or "/" in s or " " in s else s

    terms = " + ".join(f"{term(a)}·{term(b)}" for a, b in zip(row, col))
    return f"{terms} = {fmt(step.product[i, j], decimals)}"

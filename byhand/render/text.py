"""A Step in plain text, laid out by hand for a monospace view: one sentence, the sizes, then the matrices.

A multiply ``L · R = P`` is drawn as ``render/layout.py`` draws it: ``R`` above ``P``, ``L`` left
of ``P`` (row i of L on the line of row i of P), then ``op →`` and the result on the same lines
(or ``op ↓`` and the result under ``P``, in ``P``'s columns, where the layout puts it there).
Each column is as wide as its widest entry (``?`` for a hidden cell, ``·`` for a product still
to come, ``−`` counted), numbers are right-aligned, and ``R``'s columns are ``P``'s columns. Side
by side parts are kept apart by ``|``, parts one above the other by a rule ``───``; the names sit
under the matrices (the parts of ``R`` stacked one above the other are named left of ``R``):

>>> from byhand import residual_block
>>> print(step_text(residual_block([[1, -2]], [[-1]], [1], [[2]], [[-1]]).steps[3]))
[I | W2 | b2] times [X; H; 1] gives X + F(X); ReLU of it gives Out.
Sizes: [I | W2 | b2] 1×3, [X; H; 1] 3×2, X + F(X) 1×2, Out 1×2.
<BLANKLINE>
         X   1 −2
             ────
         H   0  3
             ────
         1   1  1
<BLANKLINE>
1 | 2 | −1   0  3   ReLU →   0 3
I   W2  b2   X + F(X)        Out

Every line of a band of matrix rows (the rows of ``R``; the rows of ``L``, ``P`` and the result)
has the same length and its ``|`` at the same places.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from ..numbers import fmt
from ..stacked import Stacked
from ..walkthrough import Step
from .layout import hidden_in, layout_step

__all__ = ["step_text", "summary"]

GAP = "   "  # between the left operand (or the names of R's parts) and the product
RULE = "\u2500"  # the rule between parts stacked one above the other
TO_COME = "\u00b7"  # a product cell of an arrange step, still to come


def _width(s: str) -> int:
    """Columns ``s`` takes in a monospace font: a combining mark (the hat of ``X̂``) takes none."""
    return sum(not unicodedata.combining(ch) for ch in s)


def _pad(s: str, width: int, right: bool = True) -> str:
    """``s`` padded with spaces to ``width`` columns, on the left (``right``-aligned) or on the right."""
    fill = " " * max(0, width - _width(s))
    return fill + s if right else s + fill


def _cells(m: np.ndarray | None, shape: tuple[int, int], decimals: int, hidden: set) -> list[list[str]]:
    """The matrix as text, cell by cell: ``?`` where hidden, ``·`` everywhere when not computed yet."""
    if m is None:
        return [[TO_COME] * shape[1] for _ in range(shape[0])]
    return [["?" if (r, c) in hidden else _cell(m[r, c], decimals) for c in range(shape[1])]
            for r in range(shape[0])]


def _cell(v, decimals: int) -> str:
    """One cell as text; an expression without its spaces (``b₁+2·w₁``), as cells are split by spaces."""
    s = fmt(v, decimals)
    return s.replace(" ", "") if hasattr(v, "free_symbols") else s


def _widths(*tables: list[list[str]]) -> list[int]:
    """Each column's width: its widest entry in any of ``tables`` (the same columns, stacked)."""
    return [max(len(row[c]) for t in tables for row in t) for c in range(len(tables[0][0]))]


def _line(cells: list[str], widths: list[int], cuts: list[int], sep: str = "|") -> str:
    """One row, right-aligned in ``widths``; ``sep`` before each column in ``cuts`` (a new part)."""
    out = []
    for c, (s, w) in enumerate(zip(cells, widths)):
        if c in cuts:
            out.append(sep)
        out.append(s.rjust(w))
    return " ".join(out)


def _starts(widths: list[int], cuts: list[int]) -> list[int]:
    """Where each column starts in a ``_line``."""
    out, x = [], 0
    for c, w in enumerate(widths):
        x += 2 if c in cuts else 0
        out.append(x)
        x += w + 1
    return out


def _cuts(st: Stacked, axis: int) -> list[int]:
    """The first row (axis 0) or column (axis 1) of every part but the first, if stacked along ``axis``."""
    return [a for _, a, _ in st.spans()[1:]] if st.axis == axis else []


def _middles(st: Stacked, axis: int) -> dict[int, str]:
    """The middle row (axis 0) or first column (axis 1) of each part, with its name."""
    if st.axis != axis:
        return {}
    return {(a + b - 1) // 2 if axis == 0 else a: p.name for p, a, b in st.spans()}


def _names_line(labels: list[tuple[int, str]]) -> str:
    """Names placed at their columns, each moved right as far as needed to stay clear of the one before."""
    out = ""
    for x, text in labels:
        x = max(x, _width(out) + 2) if out else x
        out = _pad(out, x, right=False) + text
    return out


def _band(rows: list[str], rules: list[int], rule: str) -> list[str]:
    """The lines ``rows`` with the line ``rule`` before each row in ``rules`` (a new part)."""
    out = []
    for r, line in enumerate(rows):
        if r in rules:
            out.append(rule)
        out.append(line)
    return out


def _then(label: str, y: list[list[str]], room: int = 0) -> tuple[list[str], int]:
    """``label →`` on the middle row, then the op's output ``y``: the lines that go right of the op's
    input, and how far right of the input the output starts (at least ``room``: the input's name fits)."""
    arrow = f"{GAP}{label} →{GAP}"
    at, mid, yw = max(_width(arrow), room), (len(y) - 1) // 2, _widths(y)
    lines = [_pad(arrow if r == mid else "", at, right=False) + _line(row, yw, []) for r, row in enumerate(y)]
    return lines, at


def _matrix_lines(m: np.ndarray, name: str, decimals: int, hidden: set) -> list[str]:
    cells = _cells(m, m.shape, decimals, hidden)
    w = _widths(cells)
    return [_line(row, w, []) for row in cells] + [name]


def _elementwise_lines(step: Step, decimals: int, hidden: set | None) -> list[str]:
    """The op's input, ``op →`` on its middle row, the output beside it; the names under them."""
    shape = step.product.shape
    x = _cells(step.product, shape, decimals, hidden_in(hidden, "product"))
    y = _cells(step.result, shape, decimals, hidden_in(hidden, "result"))
    xw = _widths(x)
    x_lines = [_line(row, xw, []) for row in x]
    tail, at = _then(step.op.label, y, _width(step.product_name) + 2 - len(x_lines[0]))
    return [a + b for a, b in zip(x_lines, tail)] + [
        _names_line([(0, step.product_name), (len(x_lines[0]) + at, step.name)])]


def _multiply_lines(step: Step, decimals: int, hidden: set | None) -> list[str]:
    """``R`` above ``P``, ``L`` left of ``P``, then ``op →`` and the result; the names under them."""
    left, right = step.left, step.right
    m, n = left.shape[0], right.shape[1]
    L = _cells(left.values, left.shape, decimals, hidden_in(hidden, "left"))
    R = _cells(right.values, right.shape, decimals, hidden_in(hidden, "right"))
    P = _cells(step.product, (m, n), decimals, hidden_in(hidden, "product"))
    has_result = step.answer_region == "result"
    Y = _cells(step.result, step.result.shape, decimals, hidden_in(hidden, "result")) if has_result else []
    below = has_result and _result_below(step)  # a wide, flat product: its result under it
    lw, pw = _widths(L), _widths(R, P, *([Y] if below else []))  # R's columns are P's (and the result's)
    lcuts, rcuts = _cuts(left, 1), _cuts(right, 1)
    l_lines = [_line(row, lw, lcuts) for row in L]
    p_lines = [_line(row, pw, rcuts, " ") for row in P]
    r_lines = [_line(row, pw, rcuts) for row in R]
    wl, wp = len(l_lines[0]), len(p_lines[0])

    # the left zone: L (with its parts' names left of it when they are one above the other);
    # above it, the names of R's parts when those are one above the other
    l_names, r_names = _middles(left, 0), _middles(right, 0)
    gutter = max((_width(s) + 1 for s in l_names.values()), default=0)
    zone = max([gutter + wl] + [_width(s) for s in r_names.values()])
    indent = zone - gutter - wl

    pname = step.product_name or "the product"
    if step.kind == "multiply" and not has_result and step.name and step.name != pname:
        pname = f"{step.name} = {pname}"  # e.g. Z = X·A: the product is the step's result
    tail, at = _then(step.op.label, Y, _width(pname) + 2 - wp) if has_result and not below else ([""] * m, 0)
    lx = indent + gutter  # where L starts
    l_labels = []
    if left.axis == 1:  # L's parts side by side: named under it
        starts = _starts(lw, lcuts)
        l_labels = [(lx + starts[c], s) for c, s in _middles(left, 1).items()]
    gap = " " * max(len(GAP), _width(_names_line(l_labels)) + 2 - zone)  # L's names end before P's
    px = zone + len(gap)  # where P (and R above it) starts

    lines = []
    if right.axis == 1:  # R's parts side by side: named above it
        starts = _starts(pw, rcuts)
        lines.append(_names_line([(px + starts[c], s) for c, s in _middles(right, 1).items()]))
    lines += _band([_pad(r_names.get(r, ""), zone) + gap + r_lines[r] for r in range(len(R))],
                   _cuts(right, 0), " " * px + RULE * wp)
    lines.append("")
    rows = [" " * indent + _pad(l_names.get(r, ""), gutter, right=False) + l_lines[r] + gap + p_lines[r]
            + tail[r] for r in range(m)]
    lines += _band(rows, _cuts(left, 0), " " * lx + RULE * wl + " " * (len(gap) + wp + _width(tail[0])))

    labels = [*l_labels, (px, pname)]
    if has_result and not below:
        labels.append((px + wp + at, step.name))
    lines.append(_names_line(labels))
    if below:
        lines += [" " * px + f"{step.op.label} ↓", *(" " * px + _line(row, pw, rcuts, " ") for row in Y),
                  " " * px + step.name]
    return lines


def _result_below(step: Step) -> bool:
    """Whether the by-hand layout puts the op's result under the product rather than beside it."""
    lay = layout_step(step)
    return lay.where("result", 0, 0).y > lay.where("product", 0, 0).y


def _sizes(step: Step) -> str:
    """``Sizes: [W1 | b1] 3×4, [X; 1] 4×3, W1·X + b1 3×3, H 3×3.``"""
    def size(name: str, shape: tuple[int, int]) -> str:
        return f"{name} {shape[0]}×{shape[1]}"

    if step.kind == "elementwise":
        parts = [size(step.product_name, step.product.shape)]
    else:
        parts = [size(step.left.name, step.left.shape), size(step.right.name, step.right.shape)]
        if step.kind == "multiply":
            parts.append(size(step.product_name or "the product", step.product.shape))
    if step.answer_region == "result":
        parts.append(size(step.name, step.result.shape))
    return f"Sizes: {', '.join(parts)}."


def summary(step: Step) -> str:
    """The step in one sentence, e.g. ``[W1 | b1] times [X; 1] gives W1·X + b1; ReLU of it gives H.``

    >>> from byhand import residual_block
    >>> summary(residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]]).steps[0])
    'X: the given 1×2 matrix.'
    """
    if step.kind == "given":
        return f"{step.name}: the given {step.result.shape[0]}×{step.result.shape[1]} matrix."
    if step.kind == "elementwise":
        return f"{step.op.label} of {step.product_name} gives {step.name}."
    if step.kind == "arrange":
        m, n = step.left.shape[0], step.right.shape[1]
        return f"Arrange {step.left.name} and {step.right.name}; their product ({m}×{n}) comes next."
    pname = step.product_name or "the product"
    return (f"{step.left.name} times {step.right.name} gives {pname}"
            + (f"; {step.op.label} of it gives {step.name}." if step.answer_region == "result"
               else (f" = {step.name}." if step.name != pname else ".")))


def step_text(step: Step, decimals: int = 3, hidden: set[tuple[str, int, int]] | None = None) -> str:
    """The step in plain text: a sentence, the sizes, then its matrices laid out by hand (``hidden``
    boxes as ``?``), for a monospace view.

    >>> from byhand import residual_block
    >>> print(step_text(residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]]).steps[0]))
    X: the given 1×2 matrix.
    <BLANKLINE>
    1 −1
    X
    """
    if step.kind == "given":
        lines = _matrix_lines(step.result, step.name, decimals, hidden_in(hidden, "given"))
        return "\n".join([summary(step), "", *lines])
    body = _elementwise_lines(step, decimals, hidden) if step.kind == "elementwise" else (
        _multiply_lines(step, decimals, hidden))
    return "\n".join([summary(step), _sizes(step), "", *body])

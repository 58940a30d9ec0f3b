"""A Step in plain text, for screen readers and the text view: one sentence, then each matrix row by row.

Stacked parts stay visible: ``|`` between side-by-side parts, one named block of rows per part
stacked one above the other; hidden cells print as ``?``.
"""

from __future__ import annotations

import numpy as np

from ..numbers import fmt
from ..stacked import Stacked
from ..walkthrough import Step
from .layout import hidden_in

__all__ = ["step_text", "summary"]


def _text_row(values, r: int, decimals: int, hidden: set, cuts: list[int]) -> str:
    cells = []
    for c in range(values.shape[1]):
        if c in cuts:
            cells.append("|")
        cells.append("?" if (r, c) in hidden else fmt(values[r, c], decimals))
    return " ".join(cells)


def _text_stacked(st: Stacked, decimals: int, hidden: set) -> list[str]:
    rows, cols = st.shape
    lines = [f"{st.name} ({rows}×{cols}):"]
    if st.axis == 1:
        cuts = [a for _, a, _ in st.spans()[1:]]
        if len(st.parts) > 1:
            lines[0] = f"{st.name} ({rows}×{cols}), parts {' | '.join(p.name for p in st.parts)}:"
        lines += [f"  row {r + 1}: {_text_row(st.values, r, decimals, hidden, cuts)}" for r in range(rows)]
    else:
        for p, a, b in st.spans():
            lines += [f"  {p.name} row {r - a + 1}: {_text_row(st.values, r, decimals, hidden, [])}"
                      for r in range(a, b)]
    return lines


def _text_matrix(m: np.ndarray | None, shape: tuple[int, int], name: str, decimals: int,
                 hidden: set) -> list[str]:
    if m is None:
        return [f"{name} ({shape[0]}×{shape[1]}): not computed yet."]
    return [f"{name} ({shape[0]}×{shape[1]}):"] + [
        f"  row {r + 1}: {_text_row(m, r, decimals, hidden, [])}" for r in range(shape[0])]


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
    """The step in plain text: a sentence, then each matrix row by row (``hidden`` boxes as ``?``).

    >>> from byhand import residual_block
    >>> print(step_text(residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]]).steps[0]))
    X (1×2):
      row 1: 1 −1
    """
    if step.kind == "given":
        return "\n".join(_text_matrix(step.result, step.result.shape, step.name, decimals,
                                      hidden_in(hidden, "given")))
    lines = [summary(step)]
    if step.kind == "elementwise":
        lines += _text_matrix(step.product, step.product.shape, step.product_name, decimals,
                              hidden_in(hidden, "product"))
    else:  # arrange or multiply
        shape = (step.left.shape[0], step.right.shape[1])
        pname = step.product_name or "the product"
        lines += _text_stacked(step.left, decimals, hidden_in(hidden, "left"))
        lines += _text_stacked(step.right, decimals, hidden_in(hidden, "right"))
        lines += _text_matrix(step.product, shape, pname, decimals, hidden_in(hidden, "product"))
    if step.answer_region == "result":
        lines += _text_matrix(step.result, step.result.shape, step.name, decimals,
                              hidden_in(hidden, "result"))
    return "\n".join(lines)

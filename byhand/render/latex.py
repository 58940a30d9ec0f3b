r"""A Step as one LaTeX string (KaTeX, for ``st.latex``): ``left · right = product → result``.

Stacked parts are split by ``|`` columns or ``\hline`` rows, fractions are ``\tfrac``, names
are set as maths (``W2`` → ``W_{2}``, ``K₁ᵀ`` → ``K_{1}^{\top}``) and hidden cells are ``\square``.
A symbolic cell is written by ``sympy.latex`` (``byhand.symbols.latex``): ``b_{1} + w_{11} \cdot x_{1}``.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np

from ..numbers import fmt
from ..stacked import Stacked
from ..walkthrough import Step
from .layout import hidden_in

__all__ = ["step_latex", "tex_name"]

_SUBSCRIPT = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def _tex_word(match: re.Match) -> str:
    word = match.group(0)
    short = re.fullmatch(r"([A-Za-z])(\d+|[a-z])", word)
    if short:
        return f"{short.group(1)}_{{{short.group(2)}}}"
    return rf"\mathrm{{{word}}}" if len(word) > 1 else word


def tex_name(name: str) -> str:
    r"""A matrix name in TeX: ``W2`` → ``W_{2}``, ``K₁ᵀ`` → ``K_{1}^{\top}``, ``X̂`` → ``\hat{X}``.

    >>> tex_name("W2"), tex_name("K₁ᵀ")
    ('W_{2}', 'K_{1}^{\\top}')
    """
    s = re.sub(r"(?<![A-Za-z0-9\\])[A-Za-z][A-Za-z0-9]*", _tex_word, name)
    s = re.sub(r"([A-Z])\u0302", r"\\hat{\1}", s).replace("Ŷ", r"\hat{Y}")
    s = re.sub(r"[₀-₉]+", lambda m: "_{" + m.group(0).translate(_SUBSCRIPT) + "}", s)
    s = re.sub(r"_(\\mathrm\{[^}]*\})", r"_{\1}", s)  # x_pad: x_{\mathrm{pad}}
    return (s.replace("ᵀ", r"^{\top}").replace("·", r" \cdot ").replace("|", r"\,|\,")
            .replace("√", r"\surd ").replace("×", r"\times ").replace("′", "'"))


def _tex_num(v, decimals: int) -> str:
    if v is None:
        return r"\square"
    if hasattr(v, "free_symbols"):  # a sympy cell (w₁₁·x₁ + b₁, √2/2): sympy writes its LaTeX
        from ..symbols import latex

        return latex(v)
    if isinstance(v, Fraction) and v.denominator != 1:
        sign = "-" if v < 0 else ""
        return f"{sign}\\tfrac{{{abs(v.numerator)}}}{{{v.denominator}}}"
    return fmt(v, decimals, minus="-")


def _tex_rows(values: np.ndarray, decimals: int, hidden: set, sep_rows: set[int]) -> str:
    rows = []
    for r in range(values.shape[0]):
        cells = " & ".join(_tex_num(None if (r, c) in hidden else values[r, c], decimals)
                           for c in range(values.shape[1]))
        rows.append((r"\hline " if r in sep_rows else "") + cells)
    return r" \\ ".join(rows)


def _tex_stacked(st: Stacked, decimals: int, hidden: set) -> str:
    spans = st.spans()
    if st.axis == 1:
        spec = "|".join("c" * p.shape[1] for p, _, _ in spans)
        sep = set()
    else:
        spec = "c" * st.shape[1]
        sep = {a for _, a, _ in spans[1:]}
    body = _tex_rows(st.values, decimals, hidden, sep)
    return (rf"\underset{{{tex_name(st.name)}}}{{\left[\begin{{array}}{{{spec}}}{body}"
            rf"\end{{array}}\right]}}")


def _tex_matrix(m: np.ndarray | None, shape: tuple[int, int], name: str, decimals: int, hidden: set) -> str:
    if m is None:
        m = np.full(shape, None, dtype=object)
        hidden = {(r, c) for r in range(shape[0]) for c in range(shape[1])}
    body = _tex_rows(m, decimals, hidden, set())
    return rf"\underset{{{tex_name(name)}}}{{\begin{{bmatrix}}{body}\end{{bmatrix}}}}"


def step_latex(step: Step, decimals: int = 3, hidden: set[tuple[str, int, int]] | None = None) -> str:
    r"""The step as one LaTeX string: ``left · right = product``, then ``→ op → result``.

    ``hidden`` holds the (region, row, col) boxes to write as ``\square``.

    >>> from byhand import residual_block
    >>> print(step_latex(residual_block([[1, -1]], [[2]], [0], [[1]], [['1/2']]).steps[0]))
    X = \begin{bmatrix}1 & -1\end{bmatrix}
    """
    if step.kind == "given":
        body = _tex_rows(step.result, decimals, hidden_in(hidden, "given"), set())
        return rf"{tex_name(step.name)} = \begin{{bmatrix}}{body}\end{{bmatrix}}"
    if step.kind == "elementwise":
        out = [_tex_matrix(step.product, step.product.shape, step.product_name, decimals,
                           hidden_in(hidden, "product"))]
    else:  # arrange (the product still to come) or multiply
        shape = (step.left.shape[0], step.right.shape[1])
        pname = step.product_name or "?"
        if step.kind == "multiply" and step.answer_region == "product" and step.name != pname:
            pname = f"{step.name} = {pname}"
        out = [_tex_stacked(step.left, decimals, hidden_in(hidden, "left")), r"\cdot",
               _tex_stacked(step.right, decimals, hidden_in(hidden, "right")), "=",
               _tex_matrix(step.product, shape, pname, decimals, hidden_in(hidden, "product"))]
    if step.answer_region == "result":
        out += [rf"\xrightarrow{{{step.op.latex}}}",
                _tex_matrix(step.result, step.result.shape, step.name, decimals, hidden_in(hidden, "result"))]
    return " ".join(out)

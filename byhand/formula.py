"""Show the formula: an example's matrices as symbols in their own letter, the general rule, and back.

A page turns chosen matrices of its example (rows of text) into their symbols (``to_symbols``: W2 →
``w2_11 … w2_33``, the names of ``byhand.symbols.symbol_names``) and keeps the numbers they had
(``values``); ``to_numbers`` puts them back. A symbolic walkthrough is shown with each worked-out cell
expanded and collected by the symbols of the block's data input (``collected``), abbreviated in the
drawing (``brief``) and written in full, with its value where every symbol has one, for a picked
cell (``cell_formula``). Nothing here imports streamlit; every text is read by the safe parser.

>>> rows, values = to_symbols({'X': [['1', '2']], 'W': [['3']]}, ['X'])
>>> rows, values
({'X': [['x11', 'x12']], 'W': [['3']]}, {'x11': 1, 'x12': 2})
>>> to_numbers({'X': [['x11', '5']], 'W': [['3']]}, values)
{'X': [['1', '5']], 'W': [['3']]}
"""

from __future__ import annotations

from dataclasses import replace
from itertools import islice

import numpy as np

from .numbers import ByHandError, as_matrix, fmt, is_symbolic, quote
from .walkthrough import Step, Walkthrough

__all__ = ["MAX_SYMBOLS", "MAX_CELLS", "BRIEF", "to_symbols", "to_symbols_checked", "to_numbers", "read_rows",
           "collected", "brief", "written", "cell_formula", "value_of", "collect_walkthrough", "LINK_ALL",
           "link_text", "read_link_text"]

Rows = list[list[str]]
BRIEF = 9  # longest cell text in the drawing; a longer expression is cut to its first terms
_COLLECT_OPS = 400  # expand and collect only cells this small (sympy's count_ops); larger ones stay as built
_PRINTED = 300  # a cell of more nodes is cut without printing it whole (a layer's output cell: seconds)
_WRITTEN = 2_000  # a picked cell of more nodes is not written out (a layer's output: 300,000 characters)
_NODES = 4 * _COLLECT_OPS  # a cell of more nodes has more operations (the blocks' cells: at most 2.5 a node)


MAX_SYMBOLS = 64  # the most cells turned into symbols at once: byhand.symbols.MAX_NAMES (sympy loads lazily)
MAX_CELLS = 100  # the most cells of a whole example worked out with symbols (attention's: about 1 s)


def to_symbols(rows: dict[str, Rows], which=None) -> tuple[dict[str, Rows], dict[str, object]]:
    """The example with the matrices ``which`` (default: all) as their symbols, and the values they had.

    A cell of a chosen matrix that already holds an expression (``2*a + 1``, typed while the formula was
    shown) stays as typed. Raises ByHandError with the limit when the example has more than ``MAX_CELLS``
    cells or the chosen matrices more than ``MAX_SYMBOLS``, or naming a chosen cell that does not read.

    >>> to_symbols({'W': [['2*a + 1', '4']]})
    ({'W': [['2*a + 1', 'w12']]}, {'w12': 4})
    """
    from .symbols import symbol_names

    chosen = list(rows if which is None else which)
    _check_size(rows)
    cells = sum(len(rows[n]) * len(rows[n][0]) for n in chosen)
    if cells > MAX_SYMBOLS:
        what = " and ".join(chosen) if len(chosen) < 3 else "These matrices"
        raise ByHandError(f"{what} would need {cells} symbols at these sizes; the formula is shown with at "
                          f"most {MAX_SYMBOLS}. Choose one matrix, or make the sizes smaller.", chosen[0])
    out, values = dict(rows), {}
    for n in chosen:
        m = as_matrix(n, rows[n], max_dim=None, symbols=True)
        names = symbol_names(n, *m.shape)
        number = {(i, j): v for (i, j), v in np.ndenumerate(m) if not is_symbolic(m[i:i + 1, j:j + 1])}
        values.update({names[i][j]: v for (i, j), v in number.items()})
        out[n] = [[names[i][j] if (i, j) in number else text for j, text in enumerate(row)]
                  for i, row in enumerate(rows[n])]
    return out, values


def to_symbols_checked(rows: dict[str, Rows], which, check) -> tuple[dict[str, Rows], dict, str]:
    """``to_symbols`` whose result the block can work out (``check(rows)`` builds it, ByHandError if not).

    For every matrix (``which`` None) a matrix the block refuses as symbols (a batch norm's σ² must stay
    a number) stays numbers: the third value says which, and why; otherwise it is "".
    """
    out = to_symbols(rows, which)
    try:
        check(out[0])
        return (*out, "")
    except ByHandError as e:
        if which is not None:
            raise
        refused = e

    def works(name: str) -> bool:
        try:
            check(to_symbols(rows, [name])[0])
        except ByHandError:
            return False
        return True

    kept = [n for n in rows if works(n)]
    if not kept:
        raise refused
    out = to_symbols(rows, kept)
    check(out[0])
    left = [n for n in rows if n not in kept]
    return (*out, f"{', '.join(left)} stay{'s' if len(left) == 1 else ''} numbers: {refused}")


def _check_size(rows: dict[str, Rows]) -> None:
    """ByHandError with the limit when an example is too large to be worked out with symbols."""
    cells = sum(len(r) * len(r[0]) for r in rows.values())
    if cells > MAX_CELLS:
        raise ByHandError(f"The formula is worked out for examples of at most {MAX_CELLS} cells in all; this "
                          f"one has {cells} ({', '.join(rows)}). Make the sizes smaller.", next(iter(rows)))


def to_numbers(rows: dict[str, Rows], values: dict) -> dict[str, Rows]:
    """The example with each cell that is exactly a symbol of ``values`` given its number back."""
    def cell(text: str) -> str:
        key = text.strip()
        return fmt(values[key], 12, minus="-") if key in values else text

    return {n: [[cell(t) for t in row] for row in r] for n, r in rows.items()}


LINK_ALL = "all"  # a link's formula= value for every matrix
_MAX_LINK_TEXT = 200  # a longer formula= value lists no example's matrices (at most 32 of 16 characters)


def link_text(which) -> str:
    """The link's ``formula=`` value of the matrices shown as symbols (None: all of them).

    >>> link_text(None), link_text(['W2', 'X'])
    ('all', 'W2,X')
    """
    return LINK_ALL if which is None else ",".join(which)


def read_link_text(raw, names) -> list[str] | None:
    """The matrices a link's ``formula=`` value shows as symbols: None for ``all``, else the matrices of
    ``names`` it lists. Anything else (an unknown name, a repeated one, markup, long text) raises a
    ByHandError that quotes it cut; nothing of it is parsed.

    >>> read_link_text('all', ('X', 'W2')), read_link_text('W2,X', ('X', 'W2'))
    (None, ['W2', 'X'])
    >>> try:
    ...     read_link_text('w2', ('X', 'W2'))
    ... except ByHandError as e:
    ...     print(e)
    formula = 'w2' in the link is not all or matrices of this example (X, W2); showing the numbers.
    """
    text = str(raw)
    if text == LINK_ALL:
        return None
    chosen = text.split(",") if len(text) <= _MAX_LINK_TEXT else []
    if not chosen or any(n not in names for n in chosen) or len(set(chosen)) < len(chosen):
        raise ByHandError(f"formula = {quote(raw)} in the link is not {LINK_ALL} or matrices of this example "
                          f"({', '.join(names)}); showing the numbers.", "formula")
    return chosen


def read_rows(rows: dict[str, Rows]) -> dict[str, np.ndarray]:
    """An example's rows of text read with symbols allowed (``2*w11 + b1``) by the safe parser; at most
    ``MAX_SYMBOLS`` distinct names, and with a symbol at most ``MAX_CELLS`` cells. A bad cell gives the
    ByHandError naming its matrix and cell."""
    from .symbols import check_names

    mats = {n: as_matrix(n, r, max_dim=None, symbols=True) for n, r in rows.items()}
    check_names(mats)
    if any(is_symbolic(m) for m in mats.values()):
        _check_size(rows)
    return mats


def collected(v, by):
    """A symbolic cell expanded (not inside max, exp or √) and collected by the symbols ``by``:
    ``w11·x1 + x1 + b1`` → ``b1 + x1·(w11 + 1)``. A number, or a cell too large, is returned as it is.

    >>> from byhand.symbols import parse_expression, show
    >>> show(collected(parse_expression('(w11 + 1)*x1 + w12*x2 + x1*b'), parse_expression('x1 + x2').args))
    'w₁₂·x₂ + x₁·(b + w₁₁ + 1)'
    """
    import sympy

    if not isinstance(v, sympy.Basic) or not v.free_symbols or not _small(v) \
            or sympy.count_ops(v) > _COLLECT_OPS:
        return v
    e = v.expand(deep=False, power_exp=False, power_base=False, log=False, multinomial=False)
    xs = sorted(set(by) & e.free_symbols, key=lambda s: s.name)
    return sympy.collect(e, xs) if xs else e


def _nodes(v, cap: int) -> int:
    """``v``'s count of nodes, counted up to ``cap + 1`` at most."""
    import sympy

    return sum(1 for _ in islice(sympy.preorder_traversal(v), cap + 1))


def _small(v, nodes: int = _NODES) -> bool:
    """Whether ``v`` has at most ``nodes`` nodes, counted until there are more: ``count_ops`` of a
    TransformerEncoderLayer's output cell (17,000 operations) takes seconds; such a cell stays as built."""
    return _nodes(v, nodes) <= nodes


def brief(v, limit: int = BRIEF, prefer=()) -> str:
    """A cell's text for the drawing: in full when it has at most ``limit`` characters, else one term and
    the count of all its terms (``x₁+…⁴``: four terms in all), ``max(0,…)`` for a ReLU left standing,
    a long single term cut with ``…`` (and the count, within ``limit``). The term shown is a symbol
    named in ``prefer`` where the sum has one (the data input's: the skip's ``x₁₁``), else the shortest.

    >>> from byhand.symbols import parse_expression, relu
    >>> e = parse_expression('w11*x11 + w12*x21 + w13*x31 + b1')
    >>> brief(parse_expression('x1 + w1')), brief(e), brief(relu(e)), brief(e * e, 8)
    ('w₁ + x₁', 'b₁+…⁴', 'max(0,…)', '(b₁ + w…')
    >>> brief(parse_expression('x11 + w2_11*h11 + w2_12*h21 + b2_1'), prefer={'x11', 'x21'})
    'x₁₁+…⁴'
    """
    large = hasattr(v, "free_symbols") and not _small(v, _PRINTED)  # never printed whole: seconds
    text = "" if large else fmt(v)
    if not large and len(text) <= limit:
        return text
    import sympy

    from .symbols import show

    terms = sympy.Add.make_args(v)
    if len(terms) == 1 and isinstance(v, sympy.Max) and 0 in v.args and len(v.args) == 2:
        return "max(0,…)"
    skip = [t for t in terms if isinstance(t, sympy.Symbol) and t.name in prefer]
    if large:  # the term of fewest nodes stands for the shortest, and is the only one printed
        small = min(terms, key=lambda t: _nodes(t, _PRINTED))
        text = show(small) if _small(small, _PRINTED) else "(…)"
    first = show(skip[0]) if skip else text if large else min((show(t) for t in terms), key=len)
    if len(terms) > 1 and len(first) <= limit - 3:
        return f"{first}+…{_sup(len(terms))}"
    count = _sup(len(terms)) if len(terms) > 1 else ""
    return text[:max(limit - 1 - len(count), 1)].rstrip() + "…" + count


def written(v, decimals: int = 3, most: int = _WRITTEN, note: bool = True) -> str:
    """A cell written out in full (``fmt``), unless it is an expression of more than ``most`` nodes: then
    its first term (``brief``) and, with ``note``, what it is (a TransformerEncoderLayer's output cell
    prints as 300,000 characters, in seconds).

    >>> from byhand.symbols import parse_expression
    >>> e = parse_expression('w1*x1 + w2*x2 + w3*x3 + w4*x4 + w5*x5 + w6*x6 + b')  # 20 nodes
    >>> written(e)
    'b + w₁·x₁ + w₂·x₂ + w₃·x₃ + w₄·x₄ + w₅·x₅ + w₆·x₆'
    >>> written(e, most=10)
    'b+…⁷ (an expression of more than 10 terms and operations: too long to write out)'
    """
    if hasattr(v, "free_symbols") and not _small(v, most):
        if not note:
            return brief(v, 40)
        return f"{brief(v, 40)} (an expression of more than {most:,} terms and operations: too long to " \
            "write out)"
    return fmt(v, decimals)


def _sup(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def value_of(v, values: dict):
    """The number a symbolic cell has when every symbol in it has a value, else None."""
    from .symbols import substitute, value_table

    if not is_symbolic(np.array([[v]], dtype=object)):
        return None
    names = {s.name for s in v.free_symbols}
    if not names <= set(values):
        return None
    try:
        out = substitute(np.array([[v]], dtype=object), value_table({n: values[n] for n in names}))[0, 0]
    except (ValueError, ByHandError):
        return None
    return None if is_symbolic(np.array([[out]], dtype=object)) else out


def cell_formula(step: Step, i: int, j: int, values: dict, decimals: int = 3) -> str:
    """A picked symbolic cell in full: the product's expression and, after the op, the result's; each
    followed by its value where every symbol has one (``= 7``)."""
    name = step.product_name or step.name

    def line(label: str, v) -> str:
        known = value_of(v, values)
        value = "" if known is None else f"\n    = {fmt(known, decimals)}"
        return f"{label} = {written(v, decimals)}{value}"

    text = line(f"{name} [{i + 1}, {j + 1}]", step.product[i, j])
    if step.answer_region == "result":
        text += f"\n{step.op.label} gives\n" + line(f"{step.name} [{i + 1}, {j + 1}]", step.result[i, j])
    return text


def collect_walkthrough(wt: Walkthrough) -> Walkthrough:
    """The walkthrough with every symbolic product and result cell ``collected`` by the symbols of its
    first input (the data: X or x), and the operands that copy them too; each step names those symbols
    (``Step.data_symbols``: a cut cell shows the skip's term first)."""
    if not wt.symbols:
        return wt
    first = next(iter(wt.inputs.values()))
    by = [v for v in first.flat if hasattr(v, "free_symbols") for v in v.free_symbols]
    done: dict[int, np.ndarray] = {}

    def tidy(m):
        if m is None or m.dtype != object or not is_symbolic(m):
            return m
        if id(m) not in done:
            out = np.empty(m.shape, dtype=object)
            for idx, v in np.ndenumerate(m):
                out[idx] = collected(v, by)
            done[id(m)] = out
        return done[id(m)]

    def stacked(s):
        if s is None:
            return None
        return replace(s, parts=tuple(replace(p, values=tidy(p.values)) for p in s.parts))

    names = tuple(sorted({s.name for s in by}))
    steps = tuple(replace(s, left=stacked(s.left), right=stacked(s.right), product=tidy(s.product),
                          result=tidy(s.result), data_symbols=names) for s in wt.steps)
    return replace(wt, steps=steps, output=tidy(wt.output))

"""The by-hand layout of a Step as boxes on a grid: every drawing (Vega-Lite, PDF, GIF, XLSX) uses it.

Coordinates are in cell units, x to the right and y downwards. For a multiply
``L · R = P`` the right operand R sits above P and the left operand L to the left of P, so
``P[i, j]`` is where row i of L and column j of R cross; the op's result sits right of P.
Stacked parts are kept apart by a thin gap and labelled; skip-connection links join column c of L
and row c of R wherever one of them is an identity: an identity on the left (``[I | W2 | b2]``,
d × d, features) picks row c of R, one stacked on the right (``[I; I]``, n × n, positions) picks
column c of L.

A renderer may draw each region's columns as wide as its own texts need (``widen``): the left operand's
short ``w₁₁`` narrower than a product of long sums, the right operand and the product sharing their
columns since they are stacked in them.

A multiply too wide for its page wraps (``layout_step``'s ``pieces`` and ``bands``): its contraction
cut into pieces, each drawn as its own multiply whose partial product is summed under them
(``[A | B]·[C; D] = A·C + B·D``), or its product's columns cut into bands, one under the other like
lines of text, the left operand drawn again beside each band.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from ..numbers import fmt
from ..stacked import Stacked
from ..walkthrough import Step

__all__ = ["Box", "Label", "Link", "Layout", "layout_step", "layout_matrix", "created_regions", "hidden_in",
           "split_pieces", "split_bands", "widen", "column_map", "cell_text"]

def cell_text(v, decimals: int = 3, prefer=()) -> str:
    """A box's text in a drawing (the page's and the GIF's): its number, or a symbolic cell abbreviated
    (``byhand.formula.brief``, showing a term ``prefer`` names first: the whole expression is in the
    page's tooltip and picked cell's panel, and in the PDF)."""
    if hasattr(v, "free_symbols"):
        return _brief(v, tuple(prefer))
    return fmt(v, decimals)


@lru_cache(maxsize=4096)
def _brief(v, prefer: tuple) -> str:
    """``brief`` of a symbolic cell, kept: printing a large expression takes milliseconds, and a step is
    drawn several times while its drawing is fitted to its page."""
    from ..formula import brief

    return brief(v, prefer=prefer)


GAP = 1.0  # empty cells between operands
PART_GAP = 0.25  # gap between stacked parts


@dataclass(frozen=True)
class Box:
    """One cell: where it is, its value (None: hidden) and what it belongs to.

    ``region`` is the box it is in: left, right, product, result, given or partial (a wrapped
    multiply's partial product, see ``layout_step``); ``part``/``role`` the
    stacked part it is in (product and result boxes: the step's names, role "computed");
    ``row``/``col`` its index in the whole region's matrix; ``w`` its width in cells (1 unless ``widen``).
    """

    x: float
    y: float
    value: object
    region: str
    part: str
    role: str
    row: int
    col: int
    struck: bool = False  # a result cell the op set to 0 (ReLU of a negative): struck out by hand
    w: float = 1.0


@dataclass(frozen=True)
class Label:
    """A text placed at (x, y); ``align`` is left, center or right; ``kind`` part, name or op;
    ``role`` the role of the part a ``part`` label names."""

    x: float
    y: float
    text: str
    align: str = "center"
    kind: str = "part"
    role: str = ""


@dataclass(frozen=True)
class Link:
    """A skip-connection link between the top of column c of L (x1, y1) and the left edge of row c
    of R (x2, y2). Drawn as an elbow (see ``points``), the links never cross.

    ``side`` says which operand holds the identity: ``"left"`` (its column ``index`` copies a row of
    R into product row ``index``) or ``"right"`` (its row copies a column of L into product column
    ``index``).
    """

    x1: float
    y1: float
    x2: float
    y2: float
    side: str = "left"
    index: int = 0

    @property
    def points(self) -> tuple[tuple[float, float], ...]:
        """Up the column, then across to the row: (x1, y1) → (x1, y2) → (x2, y2)."""
        return (self.x1, self.y1), (self.x1, self.y2), (self.x2, self.y2)


@dataclass
class Layout:
    """Boxes, labels and links of one step, and the drawing's size in cells."""

    boxes: list[Box] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    @property
    def width(self) -> float:
        xs = [b.x + b.w for b in self.boxes] + [lb.x for lb in self.labels]
        return max(xs, default=0.0) - min([b.x for b in self.boxes] + [0.0])

    @property
    def height(self) -> float:
        return max([b.y + 1 for b in self.boxes] + [lb.y for lb in self.labels], default=0.0)

    def extent(self, side: float, centre: float, height: float) -> tuple[float, float, float, float]:
        """The boxes' and labels' bounding box in cell units: (min x, min y, max x, max y).

        A label reaches ``side`` cells from its anchor towards the side it extends to (``centre``
        each way when centred) and ``height`` cells above and below it.
        """
        reach = {"left": (0.0, side), "center": (centre, centre), "right": (side, 0.0)}
        xs = [b.x for b in self.boxes] + [lb.x - reach[lb.align][0] for lb in self.labels]
        xe = [b.x + b.w for b in self.boxes] + [lb.x + reach[lb.align][1] for lb in self.labels]
        ys = [b.y for b in self.boxes] + [lb.y - height for lb in self.labels]
        ye = [b.y + 1 for b in self.boxes] + [lb.y + height for lb in self.labels]
        return min(xs, default=0), min(ys, default=0), max(xe, default=1), max(ye, default=1)

    def where(self, region: str, row: int, col: int) -> Box:
        """The box of ``region`` at (row, col)."""
        for b in self.boxes:
            if b.region == region and b.row == row and b.col == col:
                return b
        raise KeyError((region, row, col))


def _offsets(stacked: Stacked, shown: range) -> dict[int, float]:
    """Position of each shown row (axis 0) or column (axis 1) along the stacking axis, parts kept apart."""
    out: dict[int, float] = {}
    gaps, last = 0, None
    for k, i in enumerate(shown):
        p = stacked.part_at(i)[0]
        gaps += last is not None and p is not last
        out[i], last = k + gaps * PART_GAP, p
    return out


def _stacked_boxes(lay: Layout, stacked: Stacked, region: str, x0: float, y0: float,
                   rows: range | None = None, cols: range | None = None) -> tuple[dict, dict]:
    """Add the boxes and part labels of a stacked operand with its top-left at (x0, y0): its ``rows``
    and ``cols`` (default all; a wrapped multiply shows a piece). Returns the x of each shown column
    and the y of each shown row, by index in the whole operand.

    Part labels stay clear of the skip-connection links, which run up from the top of the left
    operand and into the left edge of the right operand: the left operand's parts are named
    below it (side by side) or left of it (one above the other), the right operand's right of
    it (one above the other) or above it (side by side). A part shown in part is named with the
    rows or columns shown (``W2′ (1–9)``).
    """
    rows = range(stacked.shape[0]) if rows is None else rows
    cols = range(stacked.shape[1]) if cols is None else cols
    along = rows if stacked.axis == 0 else cols
    pos = _offsets(stacked, along)
    ys = {r: y0 + (pos[r] if stacked.axis == 0 else k) for k, r in enumerate(rows)}
    xs = {c: x0 + (pos[c] if stacked.axis == 1 else k) for k, c in enumerate(cols)}
    for p, a, b in stacked.spans():
        lo, hi = max(a, along.start), min(b, along.stop)
        if lo >= hi:
            continue
        for r in (range(lo, hi) if stacked.axis == 0 else rows):
            for c in (cols if stacked.axis == 0 else range(lo, hi)):
                i, j = (r - a, c) if stacked.axis == 0 else (r, c - a)
                lay.boxes.append(Box(xs[c], ys[r], p.values[i, j], region, p.name, p.role, r, c))
        name = p.name if (lo, hi) == (a, b) else f"{p.name} ({lo - a + 1}–{hi - a})"
        if stacked.axis == 1:  # parts side by side: name each under (left) or over (right) it
            mid = (xs[lo] + xs[hi - 1] + 1) / 2
            lay.labels.append(Label(mid, ys[rows[-1]] + 1.6, name, role=p.role) if region == "left"
                              else Label(mid, ys[rows[0]] - 0.35, name, role=p.role))
        else:  # parts one above the other: name each left (left) or right (right) of it
            mid = (ys[lo] + ys[hi - 1] + 1) / 2
            lay.labels.append(Label(xs[cols[0]] - 0.2, mid, name, "right", role=p.role) if region == "left"
                              else Label(xs[cols[-1]] + 1.2, mid, name, "left", role=p.role))
    return xs, ys


def _op_gap(label: str) -> float:
    """Room for the op's label between the product and the result (long labels take 3 cells)."""
    return GAP * 2 if len(label) <= 8 else GAP * 3


def _matrix_boxes(lay: Layout, m: np.ndarray | None, shape: tuple[int, int], region: str,
                  name: str, x0: float, y0: float, struck: np.ndarray | None = None,
                  cols: range | None = None) -> None:
    """A named matrix with its top-left at (x0, y0); ``cols``: only these columns (a band)."""
    cols = range(shape[1]) if cols is None else cols
    for i in range(shape[0]):
        for k, j in enumerate(cols):
            value = None if m is None else m[i, j]
            lay.boxes.append(Box(x0 + k, y0 + i, value, region, name, "computed", i, j,
                                 struck is not None and bool(struck[i, j])))
    lay.labels.append(Label(x0 + len(cols) / 2, y0 + shape[0] + 0.6, name, kind="name"))


def layout_matrix(name: str, m: np.ndarray, role: str = "input") -> Layout:
    """A single labelled matrix (the given step, an output)."""
    lay = Layout()
    for (i, j), v in np.ndenumerate(m):
        lay.boxes.append(Box(float(j), float(i), v, "given", name, role, i, j))
    lay.labels.append(Label(m.shape[1] / 2, m.shape[0] + 0.6, name, kind="name"))
    return lay


def layout_step(step: Step, hidden: set[tuple[str, int, int]] | None = None,
                result_below: bool | None = None, pieces: list[tuple[int, int]] | None = None,
                bands: list[tuple[int, int]] | None = None) -> Layout:
    """Lay ``step`` out by hand; boxes whose (region, row, col) are in ``hidden`` get no value.

    A multiply's op result goes right of the product, or under it (``result_below``; None: under a
    wide, flat product only, see ``_result_below``), for a drawing too wide for its page. A multiply
    still too wide wraps: ``pieces`` (ranges of the left operand's columns, ``split_pieces``) draws
    each piece as its own multiply, one under the other, whose partial products ("partial" boxes)
    are summed into the product; ``bands`` (ranges of the product's columns, ``split_bands``) draws
    each band of columns as its own multiply, one under the other, the left operand beside each.
    """
    if step.kind in ("arrange", "multiply"):
        if pieces and len(pieces) > 1:
            lay = _layout_pieces(step, pieces, result_below)
        elif bands and len(bands) > 1:
            lay = _layout_bands(step, bands)
        else:
            lay = _layout_multiply(step, result_below)
    elif step.kind == "elementwise":  # input → op → result
        lay = _layout_elementwise(step)
    else:  # given
        lay = layout_matrix(step.name, step.result, "input")
    return _hide(lay, hidden)


def split_pieces(stacked: Stacked, most: int) -> list[tuple[int, int]]:
    """The left operand's columns in pieces of at most ``most``, cut where its parts meet if it can:
    a part wider than ``most`` is cut in equal pieces, and neighbouring pieces share a piece when
    they fit in it together.

    >>> from byhand.stacked import hstack, part, identity
    >>> import numpy as np
    >>> L = hstack(part("W", np.zeros((2, 18))), part("V", np.zeros((2, 1))), part("t", np.zeros((2, 1))))
    >>> split_pieces(L, 11), split_pieces(L, 9), split_pieces(L, 20)
    ([(0, 9), (9, 20)], [(0, 9), (9, 18), (18, 20)], [(0, 20)])
    """
    most = max(1, most)
    cuts = []
    for _, a, b in (stacked.spans() if stacked.axis == 1 else [(None, 0, stacked.shape[1])]):
        k = -(-(b - a) // most)  # ceil: that many equal pieces
        cuts += [(a + (b - a) * i // k, a + (b - a) * (i + 1) // k) for i in range(k)]
    out = [cuts[0]]
    for a, b in cuts[1:]:
        if b - out[-1][0] <= most:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def split_bands(n: int, count: int) -> list[tuple[int, int]]:
    """``n`` product columns in ``count`` bands (at most ``n``) as equal as they can be, wider first.

    >>> split_bands(16, 3), split_bands(2, 5)
    ([(0, 6), (6, 11), (11, 16)], [(0, 1), (1, 2)])
    """
    count = max(1, min(count, n))
    sizes = [n // count + (i < n % count) for i in range(count)]
    return [(sum(sizes[:i]), sum(sizes[:i + 1])) for i in range(count)]


def _layout_elementwise(step: Step) -> Layout:
    lay = Layout()
    _matrix_boxes(lay, step.product, step.product.shape, "product", step.product_name, 0, 0)
    gap = _op_gap(step.op.label)
    x = step.product.shape[1] + gap
    lay.labels.append(Label(x - gap / 2, step.product.shape[0] / 2, f"{step.op.label} →", kind="op"))
    _matrix_boxes(lay, step.result, step.result.shape, "result", step.name, x, 0,
                  step.op.zeroed(step.product))
    return lay


def _layout_multiply(step: Step, result_below: bool | None = None) -> Layout:
    """A multiply, or an arrange step (its product boxes empty, still to come)."""
    lay = Layout()
    left, right = step.left, step.right
    k_rows = right.shape[0] + PART_GAP * (len(right.parts) - 1 if right.axis == 0 else 0)
    k_cols = left.shape[1] + PART_GAP * (len(left.parts) - 1 if left.axis == 1 else 0)
    top = _top(step)
    px, py = k_cols + GAP, top + k_rows + GAP  # product's top-left
    rxs, rys = _stacked_boxes(lay, right, "right", px, top)
    lxs, _ = _stacked_boxes(lay, left, "left", 0.0, py)
    m, n = left.shape[0], right.shape[1]
    _matrix_boxes(lay, step.product, (m, n), "product", _product_name(step), px, py)
    if result_below is None:
        result_below = _result_below(m, n)  # a wide, flat product (im2col): the result under it
    _result_boxes(lay, step, px, py, result_below)
    _links(lay, step, range(left.shape[1]), lxs, rys, px, py)
    return lay


def _top(step: Step) -> float:
    """Room above the right operand for its part labels (parts side by side are named above it)."""
    return 0.8 if step.right.axis == 1 else 0.2


def _product_name(step: Step) -> str:
    pname = step.product_name or "?"
    if step.kind == "multiply" and step.answer_region != "result" and step.name and step.name != pname:
        pname = f"{step.name} = {pname}"  # e.g. Z = X·A: the product is the step's result
    return pname


def _result_boxes(lay: Layout, step: Step, px: float, py: float, below: bool,
                  cols: range | None = None) -> None:
    """The op's result of the product at (px, py) (its columns ``cols``): under it or right of it."""
    if step.answer_region != "result":
        return
    m = step.product.shape[0]
    n = len(cols) if cols is not None else step.product.shape[1]
    zeroed = step.op.zeroed(step.product)
    if below:
        ry = py + m + 2.2  # under the product's name
        lay.labels.append(Label(px + n + 0.3, ry - 0.6, f"↓ {step.op.label}", align="left", kind="op"))
        _matrix_boxes(lay, step.result, step.result.shape, "result", step.name, px, ry, zeroed, cols)
    else:
        gap = _op_gap(step.op.label)
        rx = px + n + gap
        lay.labels.append(Label(rx - gap / 2, py + m / 2, f"{step.op.label} →", kind="op"))
        _matrix_boxes(lay, step.result, step.result.shape, "result", step.name, rx, py, zeroed, cols)


def _links(lay: Layout, step: Step, shown: range, lxs: dict, rys: dict, px: float, py: float,
           linked: set | None = None) -> None:
    """Skip connections: column c of L meets row c of R; an identity on either side makes it a copy.
    ``shown``: the columns of L (rows of R) drawn here; ``linked`` the indices linked already (an index
    with identities on both sides, ``[I | I]·[I; JF]``, gets one link)."""
    linked = set() if linked is None else linked
    for side, stacked, along in (("left", step.left, 1), ("right", step.right, 0)):
        for p, a, b in (stacked.spans() if stacked.axis == along else []):
            if p.role != "identity":
                continue
            for c in [c for c in range(a, b) if c not in linked and c in shown]:
                linked.add(c)
                lay.links.append(Link(lxs[c] + 0.5, py, px, rys[c] + 0.5, side, int(np.flatnonzero(
                    p.values[c - a, :] if side == "right" else p.values[:, c - a])[0])))


def _width(stacked: Stacked, shown: range) -> float:
    """Cells taken by ``shown`` indices along the stacking axis, part gaps included."""
    pos = _offsets(stacked, shown)
    return pos[shown[-1]] + 1 if shown else 0.0


def _layout_pieces(step: Step, pieces: list[tuple[int, int]], result_below: bool | None) -> Layout:
    """A multiply wrapped by its contraction: piece p is ``L[:, a:b] · R[a:b, :]``, drawn by hand with its
    partial product ("partial p"); the pieces one under the other, their partial products in the same
    columns, and under the last their sum: the product (then the op's result)."""
    lay = Layout()
    left, right = step.left, step.right
    m, n = step.product.shape
    shown = [range(a, b) for a, b in pieces]
    widths = [_width(left, s) if left.axis == 1 else float(len(s)) for s in shown]
    px = max(widths) + GAP  # every piece's product in the same columns
    y, linked = _top(step), set()
    partial = _partials(step, pieces)
    for k, (rows, w) in enumerate(zip(shown, widths)):
        rxs, rys = _stacked_boxes(lay, right, "right", px, y, rows=rows)
        height = _width(right, rows) if right.axis == 0 else float(len(rows))
        py = y + height + GAP
        lxs, _ = _stacked_boxes(lay, left, "left", px - GAP - w, py, cols=rows)
        _matrix_boxes(lay, partial[k], (m, n), "partial", f"partial {k + 1}", px, py)
        _links(lay, step, rows, lxs, rys, px, py, linked)
        y = py + m + 2.3 + (_top(step) - 0.2)
    words = " + ".join(str(k + 1) for k in range(len(pieces)))
    lay.labels.append(Label(px - 0.3, y + m / 2, f"partial {words} =", align="right", kind="op"))
    _matrix_boxes(lay, step.product, (m, n), "product", _product_name(step), px, y)
    _result_boxes(lay, step, px, y, _result_below(m, n) if result_below is None else result_below)
    return lay


def _partials(step: Step, pieces: list[tuple[int, int]]) -> list[np.ndarray | None]:
    """Each piece's partial product ``L[:, a:b] · R[a:b, :]`` (None for an arrange step: still to come)."""
    if step.product is None or step.kind == "arrange":
        return [None] * len(pieces)
    from ..numbers import tidy

    lv, rv = step.left.values, step.right.values
    return [tidy(lv[:, a:b] @ rv[a:b, :]) for a, b in pieces]


def _layout_bands(step: Step, bands: list[tuple[int, int]]) -> Layout:
    """A multiply wrapped by its product's columns: band b is ``L · R[:, j0:j1]``, drawn by hand with
    the left operand beside it and the op's result under it; the bands one under the other."""
    lay = Layout()
    left, right = step.left, step.right
    m, n = step.product.shape
    k_rows = right.shape[0] + PART_GAP * (len(right.parts) - 1 if right.axis == 0 else 0)
    k_cols = left.shape[1] + PART_GAP * (len(left.parts) - 1 if left.axis == 1 else 0)
    px, y = k_cols + GAP, _top(step)
    for j0, j1 in bands:
        cols = range(j0, j1)
        lay.labels.append(Label(0.0, y + 0.3, f"columns {j0 + 1}–{j1} of {n}", align="left", kind="name"))
        rxs, rys = _stacked_boxes(lay, right, "right", px, y, cols=cols)
        py = y + k_rows + GAP
        lxs, _ = _stacked_boxes(lay, left, "left", 0.0, py)
        _matrix_boxes(lay, step.product, (m, n), "product", _product_name(step), px, py, cols=cols)
        _result_boxes(lay, step, px, py, True, cols)
        _links(lay, step, range(left.shape[1]), lxs, rys, px, py)
        bottom = py + m + (m + 2.2 + 0.6 if step.answer_region == "result" else 0.6)
        y = bottom + 1.4 + (_top(step) - 0.2)
    return lay


def _result_below(m: int, n: int) -> bool:
    """Whether a product of m rows and n columns is so wide and flat that its op's result goes under it
    (a convolution's im2col product: one row per channel, one column per pixel), keeping the page narrow.

    >>> _result_below(1, 16), _result_below(3, 16), _result_below(3, 3)
    (True, True, False)
    """
    return n >= 10 and 3 * m <= n


def created_regions(step: Step) -> tuple[str, ...]:
    """The regions whose cells the step creates (drawn with a dark border): a multiply's product and
    result (an arrange step's product still to come) and a wrapped one's partial products, an
    element-wise step's result (its product box is its input)."""
    return {"given": (), "elementwise": ("result",)}.get(step.kind, ("partial", "product", "result"))


def hidden_in(hidden: set[tuple[str, int, int]] | None, region: str) -> set[tuple[int, int]]:
    """The (row, col) of the hidden boxes of one region.

    >>> sorted(hidden_in({("product", 0, 1), ("result", 1, 1)}, "product"))
    [(0, 1)]
    """
    return {(r, c) for g, r, c in (hidden or ()) if g == region}


def _hide(lay: Layout, hidden: set | None) -> Layout:
    """Empty the hidden boxes (a hidden product cell's partial products too: they would give it away)."""
    if hidden:
        lay.boxes = [replace(b, value=None, struck=False)
                     if (b.region, b.row, b.col) in hidden
                     or (b.region == "partial" and ("product", b.row, b.col) in hidden) else b
                     for b in lay.boxes]
    return lay


def column_map(columns: Iterable[tuple[float, float]]) -> Callable[[np.ndarray], np.ndarray]:
    """The x of a layout (cells) → its x with columns ``(x, width)`` that wide: each column keeps its place
    in the order, a gap between two columns keeps its length times the narrower one's width (the part gaps
    of a narrowed operand narrow with it), and left of the first or right of the last column x moves with
    that column's width. A column listed twice (boxes of two regions in it) takes the wider width.

    >>> f = column_map([(0, 0.5), (1, 0.5), (3, 2.0)])   # two columns half wide, one gap, one column 2 wide
    >>> f(np.array([0.0, 1.0, 1.5, 2.0, 3.0, 3.5, 4.0, 5.0, -1.0])).tolist()
    [0.0, 0.5, 0.75, 1.0, 1.5, 2.5, 3.5, 5.5, -0.5]
    """
    width: dict[float, float] = {}
    for x, w in columns:
        width[float(x)] = max(width.get(float(x), 0.0), float(w))
    old: list[float] = []
    new: list[float] = []
    last = None  # the previous column's end (old) and width
    for x in sorted(width):
        w = width[x]
        if last is None:
            old.append(x), new.append(x * w)
        elif x > last[0]:  # a gap after the previous column
            old.append(x), new.append(new[-1] + (x - last[0]) * min(last[1], w))
        elif x == last[0]:  # right after it
            pass
        else:  # a column overlapping the previous one (no layout has one): it only reaches further
            if x + 1 > last[0]:
                old.append(x + 1), new.append(new[-1] + (x + 1 - last[0]) * w)
                last = (x + 1, w)
            continue
        old.append(x + 1), new.append(new[-1] + w)
        last = (x + 1, w)
    if not old:
        return lambda xs: np.asarray(xs, dtype=float)
    xp, fp = np.array(old), np.array(new)
    w0, w1 = width[min(width)], last[1]

    def f(xs) -> np.ndarray:
        xs = np.asarray(xs, dtype=float)
        out = np.interp(xs, xp, fp)
        out = np.where(xs < xp[0], fp[0] + (xs - xp[0]) * w0, out)
        return np.where(xs > xp[-1], fp[-1] + (xs - xp[-1]) * w1, out)

    return f


def widen(lay: Layout, widths: dict) -> Layout:
    """``lay`` with each region's columns ``widths[region]`` cells wide, a part's ``widths[(region, part)]``
    if given (1 when neither is); labels and links move with the columns they are at (``column_map``).
    Regions stacked in the same columns (the right operand, the product, a result under it) should be given
    the same width.

    >>> from byhand import residual_block, default_residual
    >>> lay = widen(layout_step(residual_block(**default_residual()).steps[3]), {"left": 0.5})
    >>> [(b.x, b.w) for b in lay.boxes if b.region == "left" and b.row == 0][:3]
    [(0.0, 0.5), (0.5, 0.5), (1.0, 0.5)]
    """
    ws = [widths.get((b.region, b.part), widths.get(b.region, 1.0)) for b in lay.boxes]
    f = column_map(zip((b.x for b in lay.boxes), ws))
    bx = f([b.x for b in lay.boxes]).tolist()
    lx = f([lb.x for lb in lay.labels]).tolist()
    ends = f([v for link in lay.links for v in (link.x1, link.x2)]).tolist()
    return Layout([replace(b, x=x, w=w) for b, x, w in zip(lay.boxes, bx, ws)],
                  [replace(lb, x=x) for lb, x in zip(lay.labels, lx)],
                  [replace(link, x1=ends[2 * k], x2=ends[2 * k + 1]) for k, link in enumerate(lay.links)])

"""The by-hand layout of a Step as boxes on a grid: every drawing (Vega-Lite, PDF, GIF, XLSX) uses it.

Coordinates are in cell units, x to the right and y downwards. For a multiply
``L · R = P`` the right operand R sits above P and the left operand L to the left of P, so
``P[i, j]`` is where row i of L and column j of R cross; the op's result sits right of P.
Stacked parts are kept apart by a thin gap and labelled; skip-connection links join column c of L
and row c of R wherever one of them is an identity: an identity on the left (``[I | W2 | b2]``,
d × d, features) picks row c of R, one stacked on the right (``[I; I]``, n × n, positions) picks
column c of L.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..stacked import Stacked
from ..walkthrough import Step

__all__ = ["Box", "Label", "Link", "Layout", "layout_step", "layout_matrix", "created_regions", "hidden_in"]

GAP = 1.0  # empty cells between operands
PART_GAP = 0.25  # gap between stacked parts


@dataclass(frozen=True)
class Box:
    """One cell: where it is, its value (None: hidden) and what it belongs to.

    ``region`` is the box it is in: left, right, product, result or given; ``part``/``role`` the
    stacked part it is in (product and result boxes: the step's names, role "computed");
    ``row``/``col`` its index in the whole region's matrix.
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
        xs = [b.x + 1 for b in self.boxes] + [lb.x for lb in self.labels]
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
        xe = [b.x + 1 for b in self.boxes] + [lb.x + reach[lb.align][1] for lb in self.labels]
        ys = [b.y for b in self.boxes] + [lb.y - height for lb in self.labels]
        ye = [b.y + 1 for b in self.boxes] + [lb.y + height for lb in self.labels]
        return min(xs, default=0), min(ys, default=0), max(xe, default=1), max(ye, default=1)

    def where(self, region: str, row: int, col: int) -> Box:
        """The box of ``region`` at (row, col)."""
        for b in self.boxes:
            if b.region == region and b.row == row and b.col == col:
                return b
        raise KeyError((region, row, col))


def _offsets(stacked: Stacked) -> list[float]:
    """Position of each row (axis 0) or column (axis 1) along the stacking axis, parts kept apart."""
    out = []
    for k, (_, a, b) in enumerate(stacked.spans()):
        out += [i + k * PART_GAP for i in range(a, b)]
    return out


def _stacked_boxes(lay: Layout, stacked: Stacked, region: str, x0: float,
                   y0: float) -> tuple[list[float], list[float]]:
    """Add the boxes and part labels of a stacked operand with its top-left at (x0, y0).

    Part labels stay clear of the skip-connection links, which run up from the top of the left
    operand and into the left edge of the right operand: the left operand's parts are named
    below it (side by side) or left of it (one above the other), the right operand's right of
    it (one above the other) or above it (side by side).
    """
    rows, cols = stacked.shape
    along = _offsets(stacked)
    ys = [y0 + a for a in along] if stacked.axis == 0 else [y0 + i for i in range(rows)]
    xs = [x0 + a for a in along] if stacked.axis == 1 else [x0 + j for j in range(cols)]
    for p, a, b in stacked.spans():
        for i in range(p.shape[0]):
            for j in range(p.shape[1]):
                r, c = (a + i, j) if stacked.axis == 0 else (i, a + j)
                lay.boxes.append(Box(xs[c], ys[r], p.values[i, j], region, p.name, p.role, r, c))
        if stacked.axis == 1:  # parts side by side: name each under (left) or over (right) it
            mid = (xs[a] + xs[b - 1] + 1) / 2
            lay.labels.append(Label(mid, ys[-1] + 1.6, p.name, role=p.role) if region == "left"
                              else Label(mid, ys[0] - 0.35, p.name, role=p.role))
        else:  # parts one above the other: name each left (left) or right (right) of it
            mid = (ys[a] + ys[b - 1] + 1) / 2
            lay.labels.append(Label(xs[0] - 0.2, mid, p.name, "right", role=p.role) if region == "left"
                              else Label(xs[-1] + 1.2, mid, p.name, "left", role=p.role))
    return xs, ys


def _op_gap(label: str) -> float:
    """Room for the op's label between the product and the result (long labels take 3 cells)."""
    return GAP * 2 if len(label) <= 8 else GAP * 3


def _matrix_boxes(lay: Layout, m: np.ndarray | None, shape: tuple[int, int], region: str,
                  name: str, x0: float, y0: float, struck: np.ndarray | None = None) -> None:
    for i in range(shape[0]):
        for j in range(shape[1]):
            value = None if m is None else m[i, j]
            lay.boxes.append(Box(x0 + j, y0 + i, value, region, name, "computed", i, j,
                                 struck is not None and bool(struck[i, j])))
    lay.labels.append(Label(x0 + shape[1] / 2, y0 + shape[0] + 0.6, name, kind="name"))


def layout_matrix(name: str, m: np.ndarray, role: str = "input") -> Layout:
    """A single labelled matrix (the given step, an output)."""
    lay = Layout()
    for (i, j), v in np.ndenumerate(m):
        lay.boxes.append(Box(float(j), float(i), v, "given", name, role, i, j))
    lay.labels.append(Label(m.shape[1] / 2, m.shape[0] + 0.6, name, kind="name"))
    return lay


def layout_step(step: Step, hidden: set[tuple[str, int, int]] | None = None,
                result_below: bool | None = None) -> Layout:
    """Lay ``step`` out by hand; boxes whose (region, row, col) are in ``hidden`` get no value.

    A multiply's op result goes right of the product, or under it (``result_below``; None: under a
    wide, flat product only, see ``_result_below``), for a drawing too wide for its page.
    """
    if step.kind in ("arrange", "multiply"):
        lay = _layout_multiply(step, result_below)
    elif step.kind == "elementwise":  # input → op → result
        lay = _layout_elementwise(step)
    else:  # given
        lay = layout_matrix(step.name, step.result, "input")
    return _hide(lay, hidden)


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
    top = 0.8 if right.axis == 1 else 0.2  # room for the right operand's part labels above it
    px, py = k_cols + GAP, top + k_rows + GAP  # product's top-left
    rxs, rys = _stacked_boxes(lay, right, "right", px, top)
    lxs, lys = _stacked_boxes(lay, left, "left", 0.0, py)
    m, n = left.shape[0], right.shape[1]
    pname = step.product_name or "?"
    has_result = step.answer_region == "result"
    if step.kind == "multiply" and not has_result and step.name and step.name != pname:
        pname = f"{step.name} = {pname}"  # e.g. Z = X·A: the product is the step's result
    _matrix_boxes(lay, step.product, (m, n), "product", pname, px, py)
    if result_below is None:
        result_below = _result_below(m, n)  # a wide, flat product (im2col): the result under it
    if has_result and result_below:
        ry = py + m + 2.2  # under the product's name
        lay.labels.append(Label(px + n + 0.3, ry - 0.6, f"↓ {step.op.label}", align="left", kind="op"))
        _matrix_boxes(lay, step.result, step.result.shape, "result", step.name, px, ry,
                      step.op.zeroed(step.product))
    elif has_result:
        gap = _op_gap(step.op.label)
        rx = px + n + gap
        lay.labels.append(Label(rx - gap / 2, py + m / 2, f"{step.op.label} →", kind="op"))
        _matrix_boxes(lay, step.result, step.result.shape, "result", step.name, rx, py,
                      step.op.zeroed(step.product))
    # skip connections: column c of L meets row c of R; an identity on either side makes it a copy
    linked = set()  # an index with identities on both sides ([I | I]·[I; JF]) gets one link
    for side, stacked, along in (("left", left, 1), ("right", right, 0)):
        for p, a, b in (stacked.spans() if stacked.axis == along else []):
            if p.role != "identity":
                continue
            for c in [c for c in range(a, b) if c not in linked]:
                linked.add(c)
                lay.links.append(Link(lxs[c] + 0.5, py, px, rys[c] + 0.5, side, int(np.flatnonzero(
                    p.values[c - a, :] if side == "right" else p.values[:, c - a])[0])))
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
    result (an arrange step's product still to come), an element-wise step's result (its product
    box is its input)."""
    return {"given": (), "elementwise": ("result",)}.get(step.kind, ("product", "result"))


def hidden_in(hidden: set[tuple[str, int, int]] | None, region: str) -> set[tuple[int, int]]:
    """The (row, col) of the hidden boxes of one region.

    >>> sorted(hidden_in({("product", 0, 1), ("result", 1, 1)}, "product"))
    [(0, 1)]
    """
    return {(r, c) for g, r, c in (hidden or ()) if g == region}


def _hide(lay: Layout, hidden: set | None) -> Layout:
    if hidden:
        lay.boxes = [Box(b.x, b.y, None, b.region, b.part, b.role, b.row, b.col)
                     if (b.region, b.row, b.col) in hidden else b for b in lay.boxes]
    return lay

"""The by-hand drawing of a Step as a Vega-Lite spec (an altair chart), written directly.

The chart renders ``byhand.render.layout.layout_step``: the right operand above the product, the
left operand to its left, the op's result to the right. Stacked parts keep their names and role
colours (``byhand.render.palette``, the same on paper and in the GIF), skip connections are dashed
elbows from the identity's columns to the rows they pick out, and the cells a step creates have a
dark border. Colours are never the only cue: every part is labelled.

Picking a product cell: the product and result boxes carry a point selection named ``"cell"``
over the fields ``region``, ``row`` and ``col`` (a given step's matrix boxes, region ``"given"``).
Read the pick from the widget's state *before* drawing, so the same run lights it up::

    pick = selected_cell(st.session_state.get("res.pick.3"))   # None until a cell is clicked
    st.altair_chart(step_chart(step, selected=pick), on_select="rerun",
                    selection_mode="cell", key="res.pick.3")

A click reruns the page with ``{"selection": {"cell": [{"region": "product", "row": 1, "col": 2}]}}``
in that key (a result cell gives its own row and column); a double click clears it
(``{"cell": {}}``). The chart keeps its natural size (rows as high as the widest columns are wide);
pass ``width=`` to shrink it to a column. Each block of columns is as wide as its own texts need: each
part of the left operand its own, the right operand and the product (stacked in the same columns) and
the result one block, so a left operand of short ``w₁₁`` stays narrow beside a product of long sums.
``step_chart`` and ``matrix_chart`` return a ``ByHandChart``: an altair chart
whose spec is written directly (about 1 ms a step); show it as it is, do not combine it with
other altair charts. Nothing here imports streamlit: ``selected_cell`` only parses the event.
"""

from __future__ import annotations

import functools
import math

import altair as alt
import numpy as np

from ..numbers import fmt
from ..walkthrough import Step
from . import palette as pal
from .layout import Layout, cell_text, column_map, created_regions, layout_matrix, layout_step, widen
from .text import summary

__all__ = ["ByHandChart", "step_chart", "matrix_chart", "selected_cell", "cell_center", "BOX_FIELDS",
           "MIN_FONT", "MIN_ROW"]

VALUE_FONT = 15  # px: readable when projected (never below 13)
LABEL_FONT = 15
MARK_FONT = 13
MIN_FONT = 13
CELL = 40  # px per cell at the natural size
MIN_CELL, MAX_CELL = 24, 72
MIN_ROW = 24  # px: the lowest row, for a 13 px number with room above and below
PAD = 4  # px around the drawing
# Character widths in em of Source Sans (Streamlit's chart font) in chromium, measured and rounded up: a
# subscript or superscript digit is 0.37 em, "…" 0.95 em (wider than a digit), "w" 0.72 em and "m" 0.83 em.
# Bold (part and op labels) is up to a tenth wider.
_EM = {**dict.fromkeys("0123456789\u2212-+=×_<>^#aeg", 0.52), **dict.fromkeys(".,:;·′'", 0.26), " ": 0.22,
       **dict.fromkeys("ijlI|", 0.27), **dict.fromkeys("f!()[]{}", 0.32), **dict.fromkeys("tr/", 0.36),
       **dict.fromkeys("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹", 0.39), **dict.fromkeys("sz*?", 0.44),
       **dict.fromkeys("xεcvy", 0.49), **dict.fromkeys("JYγ–kFL", 0.51), **dict.fromkeys("VX", 0.53),
       **dict.fromkeys("ES", 0.55), **dict.fromkeys("houATZΣ", 0.56), **dict.fromkeys("bdnpqσ√μβ", 0.58),
       **dict.fromkeys("CPRK", 0.6), **dict.fromkeys("BDG→↓", 0.64), **dict.fromkeys("UHNOQ", 0.68),
       "w": 0.74, "M": 0.75, "W": 0.81, **dict.fromkeys("m%", 0.85), "…": 0.97}
_EM_OTHER = 0.62  # any other letter or sign
_BOLD = 1.1

# The columns of one box's record in the chart's data (the tests read them too).
BOX_FIELDS = ("x", "y", "x2", "y2", "tx", "ty", "region", "part", "role", "row", "col", "text", "hidden",
              "lit", "struck", "fill", "stroke", "sw", "ink", "detail")


def _em(text: str, bold: bool = False) -> float:
    """Estimated width of a (possibly multi-line) text, in em.

    >>> _em("−13/4"), _em("x1₂₂+…¹¹"), _em("w2_1₁₂")   # measured 2.35, 3.86 and 2.95
    (2.44, 4.06, 3.08)
    """
    em = max(sum(_EM.get(ch, _EM_OTHER) for ch in line) for line in text.split("\n"))
    return round(em * (_BOLD if bold else 1.0), 4)


def _text_width(text: str, font: float, cell: float, bold: bool = False) -> float:
    """Estimated width of a text, in cells."""
    return _em(text, bold) * font / cell


def _natural(longest: float) -> float:
    """A column's natural width (px) for its widest text (em): 40 px, or that text at 15 px."""
    return min(MAX_CELL, max(CELL, math.ceil(max(longest, 0.5) * VALUE_FONT + 12)))


def _readable(longest: float) -> float:
    """The narrowest a column may be (px) for its widest text (em): that text at 13 px."""
    return max(MIN_CELL, math.ceil(max(longest, 0.5) * MIN_FONT + 6))


def _font(cell: float, longest: float) -> float:
    """The value font (px) in cells ``cell`` px wide for the widest text (em): 13 to 15 px."""
    return max(MIN_FONT, min(VALUE_FONT, (cell - 6) / max(longest, 0.5)))


def _block_widths(longest: dict[str, float], cell: float) -> dict[str, float]:
    """Each block's column width, in cells of ``cell`` px (the widest block's columns, ``longest`` em of
    text): at the natural size or larger, each block in proportion to its natural width; shrunk, each
    block as far between its natural and its readable width as the widest one is (all at their readable
    width when the widest is), never narrower than its texts at the value font.

    >>> _block_widths({"left": 1.04, "main": 2.44}, 49.0)   # "−1" and "−13/4" at 15 px: 40 and 49 px
    {'left': 0.816..., 'main': 1.0}
    >>> _block_widths({"left": 1.04, "main": 2.44}, 38.0)   # shrunk to 13 px: 24 and 38 px
    {'left': 0.631..., 'main': 1.0}
    """
    top = max(longest.values())
    font, natural, readable = _font(cell, top), _natural(top), _readable(top)
    if cell >= natural or natural <= readable:
        px = {b: cell * _natural(em) / natural for b, em in longest.items()}
    else:
        t = (cell - readable) / (natural - readable)
        px = {b: _readable(em) + t * (_natural(em) - _readable(em)) for b, em in longest.items()}
    return {b: min(1.0, max(px[b], em * font + 6) / cell) for b, em in longest.items()}


class _Columns:
    """The drawing's columns by block (``_block``), to size its cells: one layout of unit columns, each
    block's columns narrowed to what its texts need (``layout.column_map``)."""

    def __init__(self, boxes: _Boxes, longest: dict[str, float]):
        self.longest = longest
        self.blocks = _blocks(boxes)
        self.columns = sorted({(x, b) for x, b in zip(boxes.x0.tolist(), self.blocks)})

    def widths(self, cell: float) -> dict[str, float]:
        return _block_widths(self.longest, cell)

    def place(self, boxes: _Boxes, labels: list[dict], cell: float) -> tuple[np.ndarray, np.ndarray, list]:
        """The boxes' x and width (cells) and the labels' x with the blocks' widths at ``cell`` px."""
        widths = self.widths(cell)
        if len(widths) == 1 and all(w == 1.0 for w in widths.values()):
            return boxes.x0, np.ones(len(boxes)), [lb["x"] for lb in labels]
        f = column_map((x, widths[b]) for x, b in self.columns)
        return (f(boxes.x0), np.array([widths[b] for b in self.blocks], dtype=float),
                f([lb["x"] for lb in labels]).tolist())

    def span(self, boxes: _Boxes, labels: list[dict], cell: float) -> float:
        """The drawing's width (px) at ``cell`` px."""
        x, w, lx = self.place(boxes, labels, cell)
        x0, x1, _, _ = _bounds(x, x + w, boxes.y, [{**lb, "x": v} for lb, v in zip(labels, lx)], cell)
        return (x1 - x0) * cell

    def fit(self, boxes: _Boxes, labels: list[dict], width: float | None, cell_size: float | None) -> float:
        """The widest block's cell size (px): its natural size, or with a ``width`` the largest that fits it,
        but never below what the widest texts need at 13 px (the chart is then wider than asked)."""
        top = max(self.longest.values())
        cell = cell_size or _natural(top)
        if not width or cell_size or self.span(boxes, labels, cell) <= width:
            return cell
        lo, hi = _readable(top), cell
        if lo >= hi or self.span(boxes, labels, lo) >= width:
            return lo
        for _ in range(14):  # the width grows with the cells: halve the interval down to ~0.01 px
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self.span(boxes, labels, mid) <= width else (lo, mid)
        return lo


def _block(region: str, part: str) -> str:
    """The block of columns a box is in: each part of the left operand its own (``[W2′ | I | t2]``: the
    identity's 0 and 1 narrower than ``w2_1₁₂``), the rest the drawing's main one (the right operand and
    the product stacked in the same columns, the result beside or under them)."""
    return f"left {part}" if region == "left" else "main"


def _blocks(boxes: _Boxes) -> list[str]:
    return [_block(r, p) for r, p in zip(boxes.region.tolist(), boxes.part)]


def _longest(boxes: _Boxes) -> dict[str, float]:
    """The widest text (em) of each block of a drawing, at least 0.5."""
    out: dict[str, float] = {}
    for b, t in set(zip(_blocks(boxes), boxes.text)):
        out[b] = max(out.get(b, 0.5), _em(t))
    return out or {"main": 0.5}


TIP_NODES = 300  # a tooltip writes out an expression of at most this many nodes (a picked cell's: more)


def _fmt(v, decimals: int, note: bool = True) -> str:
    """``fmt``, kept for a symbolic cell (printing a large expression takes milliseconds, and a step is
    drawn several times while its drawing is fitted to its page); an expression of more than
    ``TIP_NODES`` nodes cut (``formula.written``), with the ``note`` saying so."""
    return _fmt_symbolic(v, decimals, note) if hasattr(v, "free_symbols") else fmt(v, decimals)


@functools.lru_cache(maxsize=4096)
def _fmt_symbolic(v, decimals: int, note: bool) -> str:
    from ..formula import written

    return written(v, decimals, most=TIP_NODES, note=note)


def _label_font(cell: float) -> float:
    """Labels shrink with small cells (the gaps they sit in are counted in cells), never below 13 px."""
    return round(max(MIN_FONT, min(LABEL_FONT, 0.4 * cell)), 1)


class _Boxes:
    """The layout's boxes as columns (numpy arrays), built in one pass."""

    def __init__(self, lay: Layout, decimals: int, prefer=()):
        boxes = lay.boxes
        self.x0 = np.array([b.x for b in boxes], dtype=float)  # as laid out, in unit columns
        self.x, self.w = self.x0, np.ones(len(boxes))  # as drawn (``place``)
        self.y = np.array([b.y for b in boxes], dtype=float)
        self.region = np.array([b.region for b in boxes], dtype=str)
        self.part = [b.part for b in boxes]
        self.role = [b.role for b in boxes]
        self.row = np.array([b.row for b in boxes], dtype=int)
        self.col = np.array([b.col for b in boxes], dtype=int)
        self.hidden = np.array([b.value is None for b in boxes], dtype=bool)
        self.struck = np.array([b.struck and b.value is not None for b in boxes], dtype=bool)
        self.text = ["" if b.value is None else cell_text(b.value, decimals, prefer) for b in boxes]
        self.ty = self.y + 0.5
        self.detail = [""] * len(boxes)
        self.mark: list[str] | None = None
        self.my = self.y + 0.74

    def __len__(self) -> int:
        return len(self.x)

    def place(self, x: np.ndarray, w: np.ndarray) -> None:
        """Draw the boxes at ``x``, ``w`` cells wide (``_Columns.place``)."""
        self.x, self.w = x, w

    def isin(self, regions) -> np.ndarray:
        return np.isin(self.region, np.array(list(regions), dtype=str))

    def records(self, lit: np.ndarray, created: np.ndarray, select: np.ndarray) -> list[dict]:
        """One dict per selected box, created boxes then lit ones last (drawn on top)."""
        looks = [pal.box_look(r, hidden=h, created=c, lit=li, faint=pal.is_faint(r, t))
                 for r, h, c, li, t in zip(self.role, self.hidden.tolist(), created.tolist(), lit.tolist(),
                                           self.text)]
        fill, stroke, sw, ink = (list(v) for v in zip(*looks)) if looks else ([], [], [], [])
        order = np.argsort(created * 1 + lit * 2, kind="stable")
        cols = {"x": self.x, "y": self.y, "x2": self.x + self.w, "y2": self.y + 1, "tx": self.x + self.w / 2,
                "ty": self.ty, "region": self.region, "part": self.part, "role": self.role,
                "row": self.row, "col": self.col, "text": self.text, "hidden": self.hidden, "lit": lit,
                "struck": self.struck,
                "fill": fill, "stroke": stroke, "sw": sw, "ink": ink, "detail": self.detail}
        if self.mark is not None:
            cols.update(mark=self.mark, my=self.my)
        keys = list(cols)
        lists = [np.asarray(v, dtype=object)[order].tolist() if not isinstance(v, np.ndarray)
                 else v[order].tolist() for v in cols.values()]
        keep = select[order].tolist()
        return [dict(zip(keys, vals)) for vals, k in zip(zip(*lists), keep) if k]


def _label_records(lay: Layout) -> list[dict]:
    out = []
    for lb in lay.labels:
        text = lb.text
        if lb.kind == "op" and len(text) > 8:  # "softmax (each column) →" on three short lines
            text = text.replace(" (", "\n(").replace(" →", "\n→")
        ink = pal.label_ink(lb.kind, lb.role)
        out.append({"x": lb.x, "y": lb.y, "text": text, "align": lb.align, "kind": lb.kind, "ink": ink})
    return out


def _bounds(x: np.ndarray, x2: np.ndarray, y: np.ndarray, labels: list[dict], cell: float,
            row: float | None = None) -> tuple[float, float, float, float]:
    """The drawing's extent in cells: every box (from ``x`` to ``x2``, ``y`` to ``y + 1``) and every label's
    estimated text (rows ``row`` px high)."""
    row = row or cell
    x0, x1, y0, y1 = x.min(), x2.max(), y.min(), y.max() + 1
    for lb in labels:
        font = _label_font(min(cell, row))
        w = _text_width(lb["text"], font, cell, lb["kind"] != "name")
        h = (lb["text"].count("\n") + 1) * 1.25 * font / row
        left = {"left": lb["x"], "right": lb["x"] - w}.get(lb["align"], lb["x"] - w / 2)
        x0, x1 = min(x0, left), max(x1, left + w)
        y0, y1 = min(y0, lb["y"] - h / 2), max(y1, lb["y"] + h / 2)
    pad = 0.15
    return float(x0 - pad), float(x1 + pad), float(y0 - pad), float(y1 + pad)


def _cell_param(selected: tuple[int, int] | None, region: str, views: list[str]) -> dict:
    """The point selection "cell" over (region, row, col), starting at ``selected`` if given."""
    param = {"name": "cell", "select": {"type": "point", "fields": ["region", "row", "col"],
                                        "on": "click", "clear": "dblclick", "toggle": False},
             "views": views}
    if selected:
        param["value"] = [{"region": region, "row": int(selected[0]), "col": int(selected[1])}]
    return param


class ByHandChart(alt.HConcatChart):
    """An altair chart whose Vega-Lite spec is written directly, so it builds in about a millisecond.

    Building the drawing from altair's objects validates every piece against the Vega-Lite
    schema (tens of ms per step, and again in ``to_dict``); this spec is fixed in shape and
    checked against the schema by the tests instead. ``to_dict()`` returns the spec with its
    data inline (no Arrow round trip in Streamlit). The chart is final: show it as it is.
    ``data`` holds each dataset's records by name; ``geometry`` the drawing's origin (cells) and
    cell size (px).
    """

    def __init__(self, spec: dict, data: dict[str, list[dict]], geometry: dict):
        super().__init__(hconcat=[])
        self.__dict__.update(_byhand_spec=spec, data=data, geometry=geometry)

    def to_dict(self, validate: bool = True, *, format: str = "vega-lite", ignore=None,  # noqa: A002
                context=None) -> dict:
        spec = self.__dict__["_byhand_spec"]
        inner = {**spec["hconcat"][0]}
        inner["layer"] = [{**lay, "data": {"values": [dict(r) for r in self.data[lay["data"]["name"]]]}}
                          for lay in inner["layer"]]
        out = {**spec, "hconcat": [inner]}
        if "params" in spec:
            out["params"] = [{**p, "select": dict(p["select"])} for p in spec["params"]]
        return out

    def copy(self, deep=True, ignore=None) -> ByHandChart:
        return ByHandChart(self.__dict__["_byhand_spec"], self.data, dict(self.geometry))


def _field(name: str, kind: str = "quantitative", **extra) -> dict:
    return {"field": name, "type": kind, **extra}


def _chart(boxes: _Boxes, records: dict[str, list[dict]], labels: list[dict], segments: list[dict], *,
           cell: float, font: float, selectable: bool, pick_region: str = "product",
           selected: tuple[int, int] | None = None, description: str = "",
           row: float | None = None) -> ByHandChart:
    """Layer boxes, numbers, links and labels on cells ``cell`` px wide and ``row`` px high (square
    unless given), with no axes.

    ``records`` holds the boxes that cannot be picked ("bh_boxes") and those that can ("bh_picks").
    """
    row = row or cell
    x0, x1, y0, y1 = _bounds(boxes.x, boxes.x + boxes.w, boxes.y, labels, cell, row)
    xs = {"domain": [x0, x1], "nice": False, "zero": False}
    ys = {"domain": [y0, y1], "nice": False, "zero": False, "reverse": True}

    def pos(x: str, y: str) -> dict:
        return {"x": _field(x, scale=xs, axis=None), "y": _field(y, scale=ys, axis=None)}

    def colour(field: str) -> dict:
        return _field(field, "nominal", scale=None)

    tip = _field("detail", "nominal", title="cell")
    data: dict[str, list[dict]] = {}
    layers: list[dict] = []

    def add_boxes(name: str, click: bool) -> None:
        """A nested layer sharing one dataset: the boxes, their numbers, their marks."""
        if not records.get(name):
            return
        data[name] = records[name]
        cursor = {"cursor": "pointer"} if click else {}
        under = {} if click else {"tooltip": tip}  # the see-through rect on top shows the picks' tips
        units = [{"mark": {"type": "rect", **cursor},
                  "encoding": {**pos("x", "y"), "x2": {"field": "x2"}, "y2": {"field": "y2"},
                               "fill": colour("fill"), "stroke": colour("stroke"),
                               "strokeWidth": _field("sw", scale=None), **under}},
                 {"mark": {"type": "text", "fontSize": round(font, 1), "baseline": "middle",
                           "align": "center", **cursor},
                  "encoding": {**pos("tx", "ty"), "text": _field("text", "nominal"),
                               "color": colour("ink"), **under}}]
        if any(r["struck"] for r in records[name]):  # ReLU set it to 0: struck out, as by hand
            units.append({"mark": {"type": "rule", "color": pal.STRIKE, "strokeWidth": pal.STRIKE_WIDTH},
                          "transform": [{"filter": "datum.struck"}],
                          "encoding": {**pos("x", "y2"), "x2": {"field": "x2"}, "y2": {"field": "y"}}})
        if boxes.mark is not None:
            units.append({"mark": {"type": "text", "fontSize": MARK_FONT, "baseline": "middle",
                                   "align": "center", "fontWeight": "bold", "color": pal.MARK_INK},
                          "encoding": {**pos("tx", "my"), "text": _field("mark", "nominal")}})
        if click:  # a see-through rect on top takes the clicks (a selection may name only one view)
            units.append({"name": f"{name}_hit",
                          "mark": {"type": "rect", "fill": pal.WHITE, "fillOpacity": 0.001,
                                   "strokeWidth": 0, **cursor},
                          "encoding": {**pos("x", "y"), "x2": {"field": "x2"}, "y2": {"field": "y2"},
                                       "tooltip": tip}})
        layers.append({"data": {"name": name}, "layer": units})

    add_boxes("bh_boxes", False)
    if segments:
        data["bh_links"] = segments
        layers.append({"data": {"name": "bh_links"},
                       "mark": {"type": "rule", "strokeDash": list(pal.LINK_DASH)},
                       "encoding": {**pos("x", "y"), "x2": {"field": "x2"}, "y2": {"field": "y2"},
                                    "color": colour("colour"), "strokeWidth": _field("sw", scale=None)}})
    add_boxes("bh_picks", True)
    groups: dict[tuple[str, str], list[dict]] = {}
    for lb in labels:
        groups.setdefault((lb["align"], lb["kind"]), []).append(lb)
    for (align, kind), group in sorted(groups.items()):
        name = f"bh_labels_{align}_{kind}"
        data[name] = group
        layers.append({"data": {"name": name},
                       "mark": {"type": "text", "align": align, "baseline": "middle", "lineBreak": "\n",
                                "fontSize": _label_font(min(cell, row)),
                                "fontWeight": "normal" if kind == "name" else "bold"},
                       "encoding": {**pos("x", "y"), "text": _field("text", "nominal"),
                                    "color": colour("ink")}})
    width, height = round((x1 - x0) * cell), round((y1 - y0) * row)
    geometry = {"x0": x0, "y0": y0, "cell": float(cell), "row": float(row)}
    # One drawing wrapped in a one-chart hconcat, so that st.altair_chart keeps its natural size
    # ("content") by default rather than stretching it to the page's width: the cells stay square.
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "hconcat": [{"layer": layers, "width": width, "height": height, "view": {"stroke": None}}],
            "spacing": 0, "background": "white",
            "padding": {"left": PAD, "right": PAD, "top": PAD, "bottom": PAD},
            "usermeta": {"byhand": geometry}, "description": description,
            # No ARIA label per box, number and label (Vega writes one for every mark it draws, a third of
            # its drawing time): the chart's description names the whole step for screen readers.
            "config": {"aria": False}}
    if selectable and "bh_picks" in data:
        spec["params"] = [_cell_param(selected, pick_region, ["bh_picks_hit"])]
    return ByHandChart(spec, data, geometry)


def _lit(boxes: _Boxes, step: Step, selected: tuple[int, int] | None) -> np.ndarray:
    """Which boxes light up for the picked product cell (i, j)."""
    lit = np.zeros(len(boxes), dtype=bool)
    if selected is None or step.kind not in ("multiply", "elementwise"):
        return lit
    i, j = selected
    m, n = step.product.shape
    if not (0 <= i < m and 0 <= j < n):
        return lit  # a stale pick (the sizes changed): nothing lights up
    region, row, col = boxes.region, boxes.row, boxes.col
    here = (row == i) & (col == j)
    lit |= ((region == "result") | (region == "partial")) & here
    if step.kind == "multiply":
        lit |= ((region == "left") & (row == i)) | ((region == "right") & (col == j)) | (
            (region == "product") & here)
    elif step.op.whole_column:  # each result cell depends on its whole column
        lit |= (region == "product") & (col == j)
    else:
        lit |= (region == "product") & here
    return lit


def _dot_texts(step: Step, decimals: int) -> np.ndarray:
    """Every product cell written out as ``dot_product_text`` does, formatting each operand cell once."""

    def term(v) -> str:
        t = _fmt(v, decimals, note=False)
        return f"({t})" if t.startswith("\u2212") or "/" in t else t

    lt = [[term(v) for v in row] for row in step.left.values.tolist()]
    rt = [[term(v) for v in col] for col in step.right.values.T.tolist()]
    m, n = step.product.shape
    out = np.empty((m, n), dtype=object)
    for i in range(m):
        for j in range(n):
            terms = " + ".join(f"{a}·{b}" for a, b in zip(lt[i], rt[j]))
            out[i, j] = f"{terms} = {_fmt(step.product[i, j], decimals)}"
    return out


def _details(boxes: _Boxes, step: Step, decimals: int) -> list[str]:
    """The tooltip of each box: the dot product for a product cell, the op for a result cell."""
    out = [f"{p} [{r + 1}, {c + 1}] = {t}" if t else ""
           for p, r, c, t in zip(boxes.part, boxes.row.tolist(), boxes.col.tolist(), boxes.text)]
    dots = _dot_texts(step, decimals) if step.kind == "multiply" else None
    for k in np.flatnonzero(boxes.isin(("product", "result")) & ~boxes.hidden).tolist():
        r, c = int(boxes.row[k]), int(boxes.col[k])
        if boxes.region[k] == "product" and dots is not None:
            out[k] = dots[r, c]
        elif boxes.region[k] == "result":
            out[k] = step.op.detail(_fmt(step.product[r, c], decimals), boxes.text[k])
    return out


def _link_segments(lay: Layout, step: Step, selected: tuple[int, int] | None) -> list[dict]:
    """Each link as two rules (up the column, across to the row); the links of the picked cell bold
    (its row for an identity on the left, its column for one stacked on the right)."""
    if not lay.links:
        return []
    quiet, active = [], []
    for link in lay.links:
        on = selected is not None and step.kind == "multiply" and (
            selected[0] if link.side == "left" else selected[1]) == link.index
        style = ({"colour": pal.HIGHLIGHT, "sw": 3.0} if on
                 else {"colour": pal.LINK_COLOUR, "sw": pal.LINK_WIDTH})
        (ax, ay), (bx, by), (cx, cy) = link.points
        (active if on else quiet).extend([{"x": ax, "y": ay, "x2": bx, "y2": by, **style},
                                          {"x": bx, "y": by, "x2": cx, "y2": cy, **style}])
    return quiet + active


def step_chart(step: Step, *, decimals: int = 3, selected: tuple[int, int] | None = None,
               hidden: set[tuple[str, int, int]] | None = None, width: float | None = None,
               cell_size: float | None = None, tooltips: bool = True,
               result_below: bool | None = None, row_height: float | None = None,
               shown: dict[tuple[str, int, int], str] | None = None,
               light: set[tuple[str, int, int]] | None = None, pieces: list[tuple[int, int]] | None = None,
               bands: list[tuple[int, int]] | None = None) -> ByHandChart:
    """The by-hand drawing of ``step`` as one altair chart (layers wrapped in a one-chart hconcat).

    ``selected=(i, j)`` (a product cell) lights up row i of the left operand, column j of the
    right one, the cell itself, its result and the skip link that carries row i (element-wise
    softmax/LayerNorm: the product's whole column j); a pick outside the product is ignored.
    ``hidden`` holds (region, row, col) boxes drawn white with a faint "?" (practice). ``width``
    (px) shrinks the cells to fit (never below what the widest number needs at 13 px);
    ``cell_size`` (px) fixes them. ``result_below``: see ``layout_step`` (a narrower drawing).
    ``row_height`` (px, at least ``MIN_ROW``): rows lower than the cells are wide, for a drawing
    too tall for its screen (the numbers need the width, not the height). ``pieces`` / ``bands``: a
    multiply wrapped by its contraction or by its product's columns (see ``layout_step``); a pick
    lights its cell in every partial product and in every copy of the left operand.
    Practice: ``shown`` maps hidden boxes to the text they show instead of "?" (the learner's own
    earlier answer); ``light`` holds more boxes (region, row, col) to light up (a hint's cells).
    The product and result boxes carry the point selection ``"cell"`` (a given step's matrix
    boxes, region ``"given"``), so ``on_select`` works on every step: see ``selected_cell``.

    >>> from byhand import residual_block, default_residual
    >>> chart = step_chart(residual_block(**default_residual()).steps[3], selected=(0, 1))
    >>> [p["name"] for p in chart.to_dict()["params"]]
    ['cell']
    """
    lay = layout_step(step, hidden, result_below, pieces, bands)
    boxes = _Boxes(lay, decimals, step.data_symbols)
    lit = _lit(boxes, step, selected)
    for k, box in enumerate(zip(boxes.region.tolist(), boxes.row.tolist(), boxes.col.tolist())):
        if box in (light or ()):
            lit[k] = True
    if tooltips and not hidden:  # a practice drawing has none: a tooltip would give a blank away
        boxes.detail = _details(boxes, step, decimals)
    for k in np.flatnonzero(boxes.hidden).tolist():  # a hidden box shows a faint "?" to work out
        if (str(boxes.region[k]), int(boxes.row[k]), int(boxes.col[k])) in (hidden or ()):
            box = (str(boxes.region[k]), int(boxes.row[k]), int(boxes.col[k]))
            boxes.text[k] = (shown or {}).get(box, "?")
    created = boxes.isin(created_regions(step))
    given = step.kind == "given"  # its matrix's boxes take the picks
    pick = boxes.isin(("given",) if given else ("product", "result"))
    longest = _longest(boxes)
    columns = _Columns(boxes, longest)
    cell = columns.fit(boxes, _label_records(lay), width, cell_size)
    font = _font(cell, max(longest.values()))
    if len(longest) > 1:  # each block's columns as wide as its own texts need
        widths = columns.widths(cell)
        keys = zip(boxes.region.tolist(), boxes.part, columns.blocks)
        lay = widen(lay, {(r, p): widths[b] for r, p, b in keys})
        boxes.place(np.array([b.x for b in lay.boxes], dtype=float), np.array([b.w for b in lay.boxes]))
    records = {"bh_boxes": boxes.records(lit, created, ~pick), "bh_picks": boxes.records(lit, created, pick)}
    labels = _label_records(lay)
    row = max(MIN_ROW, min(row_height, cell)) if row_height else None
    if row is not None:
        font = min(font, row - 8)
    return _chart(boxes, records, labels, _link_segments(lay, step, selected), cell=cell, font=font,
                  selectable=True, pick_region="given" if given else "product",
                  selected=selected if lit.any() else None, description=summary(step), row=row)


def matrix_chart(name: str, m, *, decimals: int = 3, role: str = "input",
                 highlight: set[tuple[int, int]] | None = None,
                 marks: dict[tuple[int, int], str] | None = None, width: float | None = None,
                 cell_size: float | None = None, selectable: bool = True) -> ByHandChart:
    """One labelled matrix: given inputs, an output, a side of the compare view.

    ``highlight`` holds (i, j) cells to emphasise; ``marks`` maps (i, j) to a short text drawn
    under the value (e.g. the difference ``+2``). ``selectable`` (default) adds the point
    selection ``"cell"`` (region ``"given"``) so that ``on_select`` works on it too.

    >>> import numpy as np
    >>> spec = matrix_chart("X", np.array([[1, 2]], dtype=object), marks={(0, 1): "+2"}).to_dict()
    >>> spec["hconcat"][0]["width"] > 0
    True
    """
    m = np.asarray(m) if not isinstance(m, np.ndarray) else m
    if m.ndim == 1:
        m = m.reshape(-1, 1)
    if role not in pal.ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(pal.ROLES)}")
    lay = layout_matrix(name, m, role)
    boxes = _Boxes(lay, decimals)
    hl = highlight or set()
    lit = np.array([(r, c) in hl for r, c in zip(boxes.row.tolist(), boxes.col.tolist())], dtype=bool)
    boxes.detail = [f"{name} [{r + 1}, {c + 1}] = {t}" for r, c, t in zip(boxes.row, boxes.col, boxes.text)]
    longest = max(map(_em, set(boxes.text)), default=0.5)
    if marks:  # the value moves up to make room for its mark
        boxes.mark = [marks.get((r, c), "") for r, c in zip(boxes.row.tolist(), boxes.col.tolist())]
        boxes.ty = boxes.y + 0.36
        longest = max(longest, max(_em(t) for t in boxes.mark) * MARK_FONT / VALUE_FONT)
    everything = np.ones(len(boxes), dtype=bool)
    created = np.zeros(len(boxes), dtype=bool)
    key = "bh_picks" if selectable else "bh_boxes"
    records = {key: boxes.records(lit, created, everything)}
    labels = _label_records(lay)
    cell = _Columns(boxes, {"main": longest}).fit(boxes, labels, width, cell_size)
    font = _font(cell, longest)
    if marks and not cell_size:
        cell = max(cell, 44)
    return _chart(boxes, records, labels, [], cell=cell, font=font, selectable=selectable,
                  pick_region="given", description=f"The {m.shape[0]}×{m.shape[1]} matrix {name}.")


def cell_center(chart: ByHandChart, region: str, row: int, col: int) -> tuple[float, float]:
    """Where box (region, row, col) of a drawing is, in px from the chart's top-left corner.

    For browser tests: click the chart element at this offset to pick the cell.

    >>> from byhand import residual_block, default_residual
    >>> chart = step_chart(residual_block(**default_residual()).steps[0], cell_size=40)
    >>> cell_center(chart, "given", 0, 0)
    (30.0, 30.0)
    """
    geo = chart.geometry
    for records in chart.data.values():
        for r in records:
            if r.get("region") == region and r.get("row") == row and r.get("col") == col:
                return (PAD + (r["tx"] - geo["x0"]) * geo["cell"],
                        PAD + (r["y"] + 0.5 - geo["y0"]) * geo["row"])
    raise KeyError((region, row, col))


def selected_cell(event, *, with_region: bool = False):
    """The picked cell ``(row, col)`` from the value ``st.altair_chart(..., on_select="rerun")``
    returns, or None when nothing is picked. ``with_region=True`` gives ``(region, row, col)``.

    Streamlit reports a point selection as ``event.selection["cell"]``: a list of dicts of
    the selection's fields (``region``, ``row``, ``col``); an empty dict or list when nothing
    is picked.

    >>> selected_cell({"selection": {"cell": [{"region": "product", "row": 1, "col": 2}]}})
    (1, 2)
    >>> selected_cell({"selection": {"cell": {}}}) is None
    True
    """
    if event is None:
        return None
    try:
        selection = event["selection"] if hasattr(event, "keys") else event.selection
        picks = selection["cell"] if "cell" in selection else None
    except (KeyError, TypeError, AttributeError):
        return None
    if isinstance(picks, dict):  # tolerate {"row": [1], "col": [2]} too
        picks = [{k: (v[0] if isinstance(v, list) and v else v) for k, v in picks.items()}] if picks else []
    if not picks:
        return None
    pick = picks[-1]
    try:
        row, col = int(pick["row"]), int(pick["col"])
    except (KeyError, TypeError, ValueError):
        return None
    return (pick.get("region"), row, col) if with_region else (row, col)

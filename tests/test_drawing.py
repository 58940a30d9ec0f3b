"""The by-hand drawing (byhand/render/vega.py): the Vega-Lite spec, the picks; LaTeX and text views."""

import re
from fractions import Fraction
from types import SimpleNamespace

import altair as alt
import numpy as np
import pytest

from byhand import (
    default_encoder,
    default_residual,
    encoder_block,
    random_transformer_params,
    residual_block,
    transformer_layer,
)
from byhand.ops import Scale, Softmax
from byhand.render.latex import step_latex
from byhand.render.layout import layout_step
from byhand.render.palette import COLOURS, FILLS, HIGHLIGHT, HIGHLIGHT_FILL, INKS
from byhand.render.text import step_text
from byhand.render.vega import BOX_FIELDS, MIN_FONT, cell_center, matrix_chart, selected_cell, step_chart

MINUS = "\u2212"


def _transformer():
    X = np.arange(12).reshape(4, 3) / 4 - 1
    return transformer_layer(X, random_transformer_params(0, d=4, f=6), nhead=2)


def _walkthroughs():
    yield "residual", residual_block(**default_residual())
    yield "plain", residual_block(**default_residual(), residual=False)
    yield "encoder", encoder_block(**default_encoder())
    yield "transformer", _transformer()
    from byhand.blocks.conv import conv_block, default_conv
    yield "conv", conv_block(**default_conv("projection"))


STEPS = [pytest.param(s, id=f"{name}-{k}") for name, wt in _walkthroughs() for k, s in enumerate(wt.steps)]


def _records(chart) -> list[dict]:
    """Every box record of a drawing, whichever dataset it is in."""
    return [r for name in ("bh_boxes", "bh_picks") for r in chart.data.get(name, [])]


def _box(chart, region, row, col) -> dict:
    (hit,) = [r for r in _records(chart) if (r["region"], r["row"], r["col"]) == (region, row, col)]
    return hit


def _units(spec):
    """Every unit (mark) spec inside the drawing, however deeply layered."""
    stack = list(spec["hconcat"][0]["layer"])
    while stack:
        u = stack.pop()
        if "layer" in u:
            stack.extend(u["layer"])
        else:
            yield u


@pytest.fixture(scope="module")
def residual():
    return residual_block(**default_residual())


@pytest.fixture(scope="module")
def encoder():
    return encoder_block(**default_encoder())


# ---------------------------------------------------------------- the spec


@pytest.mark.parametrize("step", STEPS)
def test_spec_is_valid_vega_lite_with_the_cell_selection(step):
    chart = step_chart(step, selected=(0, 0))
    spec = chart.to_dict()
    alt.HConcatChart.from_dict(spec, validate=True)  # raises on any schema error
    (param,) = spec["params"]
    assert param["name"] == "cell" and param["select"]["fields"] == ["region", "row", "col"]
    names = {u.get("name") for u in _units(spec)}
    assert set(param["views"]) <= names and len(param["views"]) == 1  # Vega: one view per selection
    assert spec["background"] == "white"


@pytest.mark.parametrize("step", STEPS)
def test_one_record_per_box_and_the_right_regions_pickable(step):
    chart = step_chart(step)
    lay = layout_step(step)
    recs = _records(chart)
    assert len(recs) == len(lay.boxes)
    assert sorted((r["region"], r["row"], r["col"]) for r in recs) == sorted(
        (b.region, b.row, b.col) for b in lay.boxes)
    picks = {r["region"] for r in chart.data["bh_picks"]}
    assert picks == ({"given"} if step.left is None and step.product is None
                     else {"product", "result"} & {b.region for b in lay.boxes})


def test_records_carry_the_documented_fields(residual):
    for rec in _records(step_chart(residual.steps[3])):
        assert tuple(rec) == BOX_FIELDS
    recs = _records(matrix_chart("X", np.eye(2, dtype=int), marks={(0, 0): "+1"}))
    assert tuple(recs[0]) == (*BOX_FIELDS, "mark", "my")


@pytest.mark.parametrize("step", STEPS)
def test_readable_square_cells_no_axes(step):
    spec = step_chart(step).to_dict()
    view = spec["hconcat"][0]
    units = list(_units(spec))
    for u in units:
        for ch in ("x", "y"):
            if "field" in u["encoding"].get(ch, {}):
                assert u["encoding"][ch]["axis"] is None
        if u["mark"]["type"] == "text":
            assert u["mark"].get("fontSize", 99) >= MIN_FONT
    xs = units[0]["encoding"]["x"]["scale"]["domain"]
    ys = units[0]["encoding"]["y"]["scale"]["domain"]
    assert ys[0] < ys[1] and units[0]["encoding"]["y"]["scale"]["reverse"] is True  # y grows downwards
    # one cell is as wide as it is high
    assert view["width"] / (xs[1] - xs[0]) == pytest.approx(view["height"] / (ys[1] - ys[0]), rel=0.02)
    assert 30 <= spec["usermeta"]["byhand"]["cell"] <= 72


@pytest.mark.parametrize("step", STEPS)
def test_chart_keeps_the_layout_crossing(step):
    """Product cell (i, j): x of right column j, y of left row i, in the drawn data."""
    if step.left is None:
        return
    chart = step_chart(step)
    boxes = {(r["region"], r["row"], r["col"]): r for r in _records(chart)}
    m, k = step.left.shape
    n = step.right.shape[1]
    for i in range(m):
        for j in range(n):
            p = boxes["product", i, j]
            assert p["x"] == boxes["right", k - 1, j]["x"] and p["y"] == boxes["left", i, 0]["y"]


# ---------------------------------------------------------------- colours, numbers


@pytest.mark.parametrize("step", STEPS)
def test_identity_has_one_colour_everywhere(step):
    chart = step_chart(step)
    for r in _records(chart):
        if r["role"] == "identity":
            assert (r["fill"], r["stroke"]) == (FILLS["identity"], COLOURS["identity"])
    for seg in chart.data.get("bh_links", []):
        assert seg["colour"] == COLOURS["identity"]
    for lb in chart.data.get("bh_labels_center_part", []):
        if lb["text"] == "I":
            assert lb["ink"] == INKS["identity"]


def test_palette_roles_and_okabe_ito():
    roles = ("input", "weight", "bias", "identity", "ones", "zeros", "computed", "attention")
    assert set(COLOURS) == set(FILLS) == set(INKS) == set(roles)
    assert COLOURS["identity"] == "#009E73" and COLOURS["weight"] == "#E69F00"
    assert (HIGHLIGHT, HIGHLIGHT_FILL) == ("#D55E00", "#F7F1A0")
    assert len({COLOURS[r] for r in ("input", "weight", "bias", "identity", "computed", "attention")}) == 6


def test_fractions_print_as_fractions(encoder):
    """Z = X·A with X = [[2, 0, 1], [1, 3, 0]], A's last column 1/3 each: Z[1, 2] = (1 + 3)/3."""
    chart = step_chart(encoder.steps[1])
    assert _box(chart, "product", 1, 2)["text"] == "4/3"
    assert _box(chart, "right", 0, 0)["text"] == "1/2" and _box(chart, "right", 0, 2)["text"] == "1/3"
    assert _box(chart, "product", 0, 0)["text"] == "1"  # 2·1/2 + 0·1/2 + 1·0


def test_minus_signs_and_values_by_hand(residual):
    """Out = ReLU(X + W2·H + b2): row 2 of the product is [−1, 3, 2] (worked by hand), ReLU [0, 3, 2]."""
    chart = step_chart(residual.steps[3])
    assert [_box(chart, "product", 1, j)["text"] for j in range(3)] == [MINUS + "1", "3", "2"]
    assert [_box(chart, "result", 1, j)["text"] for j in range(3)] == ["0", "3", "2"]
    assert _box(chart, "left", 0, 4)["text"] == MINUS + "1"  # W2[0, 1]


def test_tooltips_write_out_the_dot_product(residual):
    chart = step_chart(residual.steps[3])
    # X[0, 0] + W2 row 1 · H column 1 + b2[0] = 1 + 1·3 + (−1)·0 + 0·0 + 0·1
    assert _box(chart, "product", 0, 0)["detail"] == "1·1 + 0·0 + 0·2 + 1·3 + (−1)·0 + 0·0 + 0·1 = 4"
    assert _box(chart, "result", 1, 0)["detail"] == f"ReLU of {MINUS}1 = 0"
    assert _box(chart, "left", 0, 0)["detail"] == "I [1, 1] = 1"
    assert all(r["detail"] == "" for r in _records(step_chart(residual.steps[3], tooltips=False)))


# ---------------------------------------------------------------- picking


def test_selected_cell_lights_its_row_and_column(residual):
    chart = step_chart(residual.steps[3], selected=(1, 2))
    lit = {(r["region"], r["row"], r["col"]) for r in _records(chart) if r["lit"]}
    want = ({("left", 1, c) for c in range(7)} | {("right", r, 2) for r in range(7)}
            | {("product", 1, 2), ("result", 1, 2)})
    assert lit == want
    for r in _records(chart):
        if r["lit"]:
            assert (r["fill"], r["stroke"]) == (HIGHLIGHT_FILL, HIGHLIGHT)
    # the link of identity column 1 carries X's row 2 into the picked cell: it is the bold one
    links = chart.data["bh_links"]
    bold = [s for s in links if s["colour"] == HIGHLIGHT]
    assert len(bold) == 2 and {s["y2"] for s in bold} >= {_box(chart, "right", 1, 0)["ty"]}
    assert chart.to_dict()["params"][0]["value"] == [{"region": "product", "row": 1, "col": 2}]


def test_mixing_view_attention_and_feed_forward(encoder):
    """Attention Z = X·A: Z[0, 1] reads row 1 of X (across positions) and column 2 of A."""
    att = step_chart(encoder.steps[1], selected=(0, 1))
    lit = {(r["region"], r["row"], r["col"]) for r in _records(att) if r["lit"]}
    assert {b for b in lit if b[0] == "left"} == {("left", 0, c) for c in range(3)}
    assert {b for b in lit if b[0] == "right"} == {("right", r, 1) for r in range(3)}
    ff = step_chart(encoder.steps[4], selected=(2, 0))  # [W1 | b1]·[Y; 1]: column 1 of Y, all features
    lit = {(r["region"], r["row"], r["col"]) for r in _records(ff) if r["lit"]}
    assert {b for b in lit if b[0] == "right"} == {("right", r, 0) for r in range(3)}
    assert {b for b in lit if b[0] == "left"} == {("left", 2, c) for c in range(3)}


def test_softmax_pick_lights_the_whole_input_column():
    step = next(s for s in _transformer().steps if isinstance(s.op, Softmax))
    lit = {(r["region"], r["row"], r["col"]) for r in _records(step_chart(step, selected=(1, 2))) if r["lit"]}
    assert lit == {("product", r, 2) for r in range(step.product.shape[0])} | {("result", 1, 2)}


def test_stale_pick_is_ignored(residual):
    chart = step_chart(residual.steps[3], selected=(5, 0))
    assert not any(r["lit"] for r in _records(chart))
    assert "value" not in chart.to_dict()["params"][0]
    assert not any(r["lit"] for r in _records(step_chart(residual.steps[2], selected=(0, 0))))


def test_selected_cell_reads_streamlit_events():
    ev = {"selection": {"cell": [{"region": "product", "row": 1, "col": 2}]}}
    assert selected_cell(ev) == (1, 2)
    assert selected_cell(ev, with_region=True) == ("product", 1, 2)
    attr = SimpleNamespace(selection={"cell": [{"region": "result", "row": 0, "col": 3}]})
    assert selected_cell(attr) == (0, 3)
    assert selected_cell({"selection": {"cell": {"region": ["product"], "row": [2], "col": [0]}}}) == (2, 0)
    for empty in (None, {}, {"selection": {}}, {"selection": {"cell": {}}}, {"selection": {"cell": []}},
                  {"selection": {"cell": [{"region": "product"}]}},
                  {"selection": {"cell": [{"row": "x", "col": 1}]}}):
        assert selected_cell(empty) is None


def test_cell_center_matches_the_geometry(residual):
    chart = step_chart(residual.steps[3], cell_size=40)
    spec = chart.to_dict()
    x, y = cell_center(chart, "product", 1, 2)
    box = _box(chart, "product", 1, 2)
    geo = spec["usermeta"]["byhand"]
    assert (x, y) == pytest.approx((4 + (box["x"] + 0.5 - geo["x0"]) * 40,
                                    4 + (box["y"] + 0.5 - geo["y0"]) * 40))
    assert 0 < x < spec["hconcat"][0]["width"] and 0 < y < spec["hconcat"][0]["height"]
    with pytest.raises(KeyError):
        cell_center(chart, "product", 9, 9)


def test_width_shrinks_cells_but_not_fonts():
    step = _transformer().steps[-1]
    wide = step_chart(step)
    fits = step_chart(step, width=1000)
    assert fits.geometry["cell"] < wide.geometry["cell"]
    assert fits.to_dict()["hconcat"][0]["width"] <= 1000 + 1
    # too narrow for "−0.442" at 13 px: the cells stop shrinking where the numbers still fit
    narrow = step_chart(step, width=500)
    assert narrow.geometry["cell"] >= 13 * 2.9 and narrow.to_dict()["hconcat"][0]["width"] > 500
    for chart in (fits, narrow):
        assert all(u["mark"].get("fontSize", 99) >= MIN_FONT for u in _units(chart.to_dict()))
    assert step_chart(step, cell_size=36).geometry["cell"] == 36
    # small integers shrink further: the residual multiply fits 560 px
    assert step_chart(residual_block(**default_residual()).steps[3], width=560).to_dict()[
        "hconcat"][0]["width"] <= 561


def test_hidden_cells_are_empty_everywhere(residual):
    step = residual.steps[3]
    hidden = {("product", 0, 0), ("result", 1, 1)}
    chart = step_chart(step, hidden=hidden)
    assert _box(chart, "product", 0, 0)["text"] == "?" and _box(chart, "product", 0, 1)["text"] == "0"
    assert _box(chart, "product", 0, 0)["fill"] == "#FFFFFF" and _box(chart, "product", 0, 0)["detail"] == ""
    # an arrange step's product is not a cell to fill: its boxes stay empty
    assert {r["text"] for r in _records(step_chart(residual.steps[2])) if r["region"] == "product"} == {""}
    assert step_latex(step, hidden=hidden).count(r"\square") == 2
    assert f"1 0 0 | 1 {MINUS}1  0 |  0    ?  0 0            4 0 0" in step_text(step, hidden=hidden)


def test_matrix_chart_highlight_and_marks():
    m = np.array([[1, 2, 0], [3, -1, 4]], dtype=object)
    chart = matrix_chart("Out", m, role="computed", highlight={(0, 1)}, marks={(0, 1): "+2"})
    spec = chart.to_dict()
    alt.HConcatChart.from_dict(spec, validate=True)
    recs = _records(chart)
    assert len(recs) == 6 and {r["region"] for r in recs} == {"given"}
    assert [r["lit"] for r in recs if (r["row"], r["col"]) == (0, 1)] == [True]
    assert {r["mark"] for r in recs} == {"", "+2"}
    assert any(u["encoding"].get("text", {}).get("field") == "mark" for u in _units(spec))
    assert {r["fill"] for r in recs if not r["lit"]} == {FILLS["computed"]}
    assert "params" not in matrix_chart("X", m, selectable=False).to_dict()
    with pytest.raises(ValueError, match="role"):
        matrix_chart("X", m, role="colourful")
    assert len(_records(matrix_chart("b", [1, 2]))) == 2  # 1-D becomes a column


# ---------------------------------------------------------------- LaTeX and text


def _balanced(tex: str) -> bool:
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0 and tex.count(r"\begin{") == tex.count(r"\end{")


@pytest.mark.parametrize("step", STEPS)
def test_latex_and_text_for_every_step(step):
    tex = step_latex(step)
    assert _balanced(tex) and "\n" not in tex
    text = step_text(step)
    assert text.strip() and "None" not in text and "nan" not in text


def test_latex_of_the_residual_multiply(residual):
    tex = step_latex(residual.steps[3])
    assert r"\begin{array}{ccc|ccc|c}" in tex  # [I | W2 | b2]
    assert tex.count(r"\hline") == 2  # [X; H; 1]
    assert r"\xrightarrow{\mathrm{ReLU}}" in tex and r"\underset{\mathrm{Out}}" in tex
    assert r"\underset{[I \,|\, W_{2} \,|\, b_{2}]}" in tex
    assert "1 & 0 & 0 & 1 & -1 & 0 & 0" in tex  # row 1 of [I | W2 | b2], minus as TeX minus


def test_latex_fractions_names_and_ops(encoder):
    tex = step_latex(encoder.steps[1])
    assert r"\tfrac{1}{2}" in tex and r"\tfrac{4}{3}" in tex and r"\underset{Z = X \cdot A}" in tex
    steps = _transformer().steps
    scores = next(s for s in steps if isinstance(s.op, Scale))
    tex = step_latex(scores)
    assert r"K_{1}^{\top}" in tex and r"\xrightarrow{\times \tfrac{1}{\sqrt{2}}}" in tex
    soft = next(s for s in steps if isinstance(s.op, Softmax))
    assert r"\xrightarrow{\text{softmax (each column)}}" in step_latex(soft)
    assert step_latex(residual_block([[1, -1]], [[2]], [0], [[1]], [["-1/2"]]).steps[3]).count(
        r"-\tfrac{1}{2}") == 1


def test_text_view_row_by_row(residual):
    """The text view lays the step out by hand (tests/test_text_view.py checks it in full)."""
    text = step_text(residual.steps[3]).splitlines()
    assert text[0] == "[I | W2 | b2] times [X; H; 1] gives X + F(X); ReLU of it gives Out."
    # row 2 of [I | W2 | b2], of the product X + F(X) and of Out, on one line
    assert f"0 1 0 | 0  1  1 | {MINUS}1   {MINUS}1  3 2   ReLU →   0 3 2" in text
    # [X; H; 1] above the product, in its columns, its parts named on their middle rows
    for line in ("X    0  1 1", "H    0  3 1", "1    1  1 1"):
        assert " " * 19 + line in text
    assert text[-1] == "I       W2        b2   X + F(X)           Out"
    assert "their product (3×3) comes next" in step_text(residual.steps[2])


def test_struck_cells_get_a_stroke_in_the_spec_and_in_the_gif():
    """The cells ReLU set to 0 carry a diagonal stroke (a mark, not a colour) on screen and in the GIF."""
    from byhand import default_residual, residual_block
    from byhand.render import palette
    from byhand.render.gif import step_images

    wt = residual_block(**default_residual())
    spec = step_chart(wt.steps[1]).to_dict()
    rules = [u for layer in spec["hconcat"][0]["layer"] for u in layer.get("layer", [])
             if u["mark"].get("type") == "rule" and u["mark"].get("color") == palette.STRIKE]
    assert len(rules) == 1 and rules[0]["transform"] == [{"filter": "datum.struck"}]
    frame = np.asarray(step_images(wt)[1].convert("RGB"))
    assert (frame == palette.rgb(palette.STRIKE)).all(axis=-1).sum() > 20  # three strokes drawn
    first = np.asarray(step_images(wt)[0].convert("RGB"))  # the given X has none
    assert (first == palette.rgb(palette.STRIKE)).all(axis=-1).sum() == 0


def test_low_rows_keep_the_cells_width_and_the_picks_centre():
    """Rows 30 px high under 50 px wide cells: the drawing is 50 px per column and 30 px per row."""
    from byhand.render.vega import MIN_ROW, cell_center

    step = residual_block(**default_residual()).steps[0]  # X alone: 3 × 3 boxes
    square = step_chart(step, cell_size=50)
    low = step_chart(step, cell_size=50, row_height=30)
    sq, lo = square.to_dict()["hconcat"][0], low.to_dict()["hconcat"][0]
    assert lo["width"] == sq["width"] and lo["height"] < sq["height"]
    assert low.geometry["cell"] == 50 and low.geometry["row"] == 30
    x_sq, y_sq = cell_center(square, "given", 2, 1)
    x_lo, y_lo = cell_center(low, "given", 2, 1)
    assert x_lo == x_sq and y_lo - cell_center(low, "given", 1, 1)[1] == 30  # one row lower: 30 px
    assert step_chart(step, cell_size=50, row_height=5).geometry["row"] == MIN_ROW  # never below


def test_fitted_drawings_of_every_step_fit_the_presentation_box():
    """Every step of every block's default example and of a 2-head TransformerEncoderLayer fits the
    presentation box of a 1280 × 800 projector (low rows and the result under the product allowed)."""
    from byhand import random_transformer_params, transformer_layer
    from byhand.blocks import BLOCKS
    from byhand.blocks.transformer import default_transformer_x
    from byhand.ui.controls import PRESENT_BOX, fitted_chart

    X = default_transformer_x()["X"]
    walks = [bt.build(**bt.default()) for name, bt in BLOCKS.items()]
    walks.append(transformer_layer(X, random_transformer_params(0, len(X), 6), 2, False, "relu"))
    for wt in walks:
        for step in wt.steps:
            view = fitted_chart(step, box=PRESENT_BOX).to_dict()["hconcat"][0]
            size = (view["width"], view["height"])
            assert size[0] <= PRESENT_BOX[0] and size[1] <= PRESENT_BOX[1], (wt.block, step.title, size)


def test_a_practice_drawing_gives_no_blank_away():
    """With blanks, no box carries a tooltip (a visible ReLU cell's would name its hidden input), a
    blank shows "?", a reused box shows the learner's own text, and hint boxes light up."""
    from byhand.practice import make_exercise

    # X = [[1]], W1 = [[2]], b1 = [0], W2 = [[1]], b2 = [[-1]]: H = ReLU(2) = 2, Out = ReLU(1 + 2 - 1) = 2
    ex = make_exercise(residual_block([[1]], [[2]], [0], [[1]], [[-1]]))
    step = ex.walkthrough.steps[3]  # [I | W2 | b2]·[X; H; 1]: H is reused from step 2
    hidden = ex.hidden()[3]
    chart = step_chart(step, hidden=hidden, shown={("right", 1, 0): "5"}, light={("left", 0, 1)})
    records = [r for name in ("bh_boxes", "bh_picks") for r in chart.data.get(name, [])]
    assert all(not r.get("detail") for r in records)
    text = {(r["region"], r["row"], r["col"]): r["text"] for r in records}
    assert text[("right", 1, 0)] == "5" and text[("product", 0, 0)] == "?" and text[("result", 0, 0)] == "?"
    lit = {(r["region"], r["row"], r["col"]) for r in records if r["lit"]}
    assert lit == {("left", 0, 1)}


def test_option_b_at_stride_2_wraps_to_fit_a_projector_page():
    """Option B's last step (a 2×20 left operand with halves) is wider than the page even at its smallest
    readable cells: fitted to the 1280 × 800 page it is drawn in pieces whose partial products add up, and
    a picked cell lights its partial products too. In presentation mode (wider) it stays one multiply."""
    from byhand.blocks.conv import conv_block, default_conv
    from byhand.ui.controls import PAGE_BOX, PRESENT_BOX, fitted_chart

    step = conv_block(**default_conv("projection")).steps[-1]
    chart = fitted_chart(step, box=PAGE_BOX, selected=(1, 2))
    assert chart.to_dict()["hconcat"][0]["width"] <= PAGE_BOX[0]
    records = [r for rs in chart.data.values() for r in rs if "region" in r]
    assert {r["part"] for r in records if r["region"] == "partial"} == {"partial 1", "partial 2"}
    lit = {(r["region"], r["row"], r["col"]) for r in records if r["lit"]}
    assert {("partial", 1, 2), ("product", 1, 2), ("result", 1, 2), ("left", 1, 19), ("right", 0, 2)} <= lit
    assert chart.geometry["cell"] >= 31  # −3/2 still at 13 px
    wide = fitted_chart(step, box=PRESENT_BOX)
    assert not any(r["region"] == "partial" for rs in wide.data.values() for r in rs if "region" in r)


def test_each_block_of_columns_is_as_wide_as_its_own_texts():
    """W1·X + b1 with x11 = −13/4: the right operand and the product hold −13/4 (2.44 em: 49 px at 15 px,
    their shared columns), the left operand [W1 | b1] only 0, 1 and −1 (40 px): its columns stay 40 px
    wide, its part gap (a quarter) 10 px and the gap to the product 40 px, so the product starts
    3·40 + 10 + 40 + 40 = 210 px right of it; the result (3 columns of 49 px) two gaps of 49 px after it."""
    ex = default_residual()
    ex["X"] = np.array(ex["X"], dtype=object)
    ex["X"][0, 0] = Fraction(-13, 4)
    step = residual_block(**ex).steps[1]
    chart = step_chart(step)
    cell = chart.geometry["cell"]
    assert cell == 49
    px = {(r["region"], r["row"], r["col"]): (round(r["x"] * cell, 6), round((r["x2"] - r["x"]) * cell, 6),
                                              r["tx"] == pytest.approx((r["x"] + r["x2"]) / 2))
          for r in _records(chart)}
    origin = px["left", 0, 0][0]
    assert [(px["left", 1, c][0] - origin, px["left", 1, c][1]) for c in range(4)] == [
        (0, 40), (40, 40), (80, 40), (130, 40)]
    assert [(px["product", 2, j][0] - origin, px["product", 2, j][1]) for j in range(3)] == [
        (210, 49), (259, 49), (308, 49)]
    assert [px["right", 3, j][0] - origin for j in range(3)] == [210, 259, 308]  # stacked on the product
    assert [px["result", 0, j][0] - origin for j in range(3)] == [455, 504, 553]
    assert all(centred for _, _, centred in px.values())
    assert origin == 0
    x0 = chart.geometry["x0"]
    assert cell_center(chart, "product", 0, 1)[0] == pytest.approx(4 + 259 + 24.5 - x0 * cell)


def _conv_formula(kind: str):
    """The conv page's default example of ``kind`` with every matrix it can take as symbols (the batch
    norms stay numbers), as the page builds it with "Show the formula" on for all matrices."""
    from byhand import example
    from byhand.formula import collect_walkthrough, read_rows, to_symbols_checked

    spec = example.conv_spec(kind, "identity", 1)
    block = "conv" if kind == "basic" else "bottleneck"

    def build(rows):
        return example.example_walkthrough(block, read_rows(rows), {"shortcut": "identity"})

    rows, _, _ = to_symbols_checked(spec.make(None, spec.default_sizes()), None, build)
    return collect_walkthrough(build(rows))


@pytest.mark.parametrize("kind, k", [("basic", 3), ("basic", 9), ("bottleneck", 6)])
def test_formula_conv_steps_fit_a_projector_page(kind, k):
    """With the formula shown, the im2col convolutions (W 1×9 or [W2′ | I | t2] 1×11 · 9 or 11 × 16) were
    about 1,900 px wide for an 860 px page: every cell took the product's ``w1_1₂₂·…⁴`` width. With the left
    operand's columns as narrow as its own ``w1_1₁₁`` (the identity's and the shift's narrower still) they
    fit in bands of product columns, every text within its box at 13 px or more."""
    from byhand.render.vega import _em
    from byhand.ui.controls import PAGE_BOX, fitted_chart

    step = _conv_formula(kind).steps[k - 1]
    assert step.kind == "multiply" and step.right.shape[1] == 16
    chart = fitted_chart(step, box=PAGE_BOX, selected=(0, 5))
    spec = chart.to_dict()
    assert spec["hconcat"][0]["width"] <= PAGE_BOX[0]
    font = next(u["mark"]["fontSize"] for u in _units(spec) if u["mark"]["type"] == "text")
    assert font >= MIN_FONT
    records = _records(chart)
    cell = chart.geometry["cell"]
    for r in records:
        assert _em(r["text"]) * font + 4 <= (r["x2"] - r["x"]) * cell, r  # every text inside its box
    left = {(r["x2"] - r["x"]) * cell for r in records if r["region"] == "left" and r["part"][0] == "W"}
    assert max(left) < 0.8 * cell  # the weights' columns narrower than the product's
    assert "columns 1–4 of 16" in {lb["text"] for lb in chart.data["bh_labels_left_name"]}
    lit = {(r["region"], r["row"], r["col"]) for r in records if r["lit"]}
    assert {("product", 0, 5), ("right", 0, 5), ("left", 0, 0)} <= lit

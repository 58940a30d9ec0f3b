"""The by-hand layout: where every box, label and skip link of a step goes (byhand/render/layout.py)."""

from fractions import Fraction

import numpy as np
import pytest

from byhand import (
    default_encoder,
    default_residual,
    encoder_block,
    random_encoder,
    random_residual,
    random_transformer_params,
    residual_block,
    transformer_layer,
)
from byhand.render.layout import GAP, PART_GAP, Link, column_map, layout_matrix, layout_step, widen


def _walkthroughs():
    yield "residual", residual_block(**default_residual())
    yield "plain", residual_block(**default_residual(), residual=False)
    yield "encoder", encoder_block(**default_encoder())
    yield "encoder-plain", encoder_block(**default_encoder(), residual=False)
    yield "residual-4x2x5", residual_block(**random_residual(3, features=4, samples=2, hidden=5))
    yield "encoder-3x4x2", encoder_block(**random_encoder(5, features=3, positions=4, hidden=2))
    X = np.arange(12).reshape(4, 3) / 4 - 1
    yield "transformer-2h", transformer_layer(X, random_transformer_params(0, d=4, f=6), nhead=2)
    yield "transformer-nf", transformer_layer(X, random_transformer_params(1, d=4, f=3), nhead=1,
                                              norm_first=True, activation="gelu")
    from byhand.blocks.conv import conv_block, default_conv
    yield "conv", conv_block(**default_conv())
    yield "conv-projection", conv_block(**default_conv("projection"))


STEPS = [pytest.param(s, id=f"{name}-{k}") for name, wt in _walkthroughs() for k, s in enumerate(wt.steps)]


def _boxes(lay, region):
    return {(b.row, b.col): b for b in lay.boxes if b.region == region}


@pytest.mark.parametrize("step", STEPS)
def test_product_cell_sits_where_its_row_and_column_cross(step):
    lay = layout_step(step)
    if step.left is None:
        return
    left, right, prod = _boxes(lay, "left"), _boxes(lay, "right"), _boxes(lay, "product")
    m, k = step.left.shape
    n = step.right.shape[1]
    assert len(left) == m * k and len(right) == k * n and len(prod) == m * n
    for (i, j), p in prod.items():
        assert all(right[r, j].x == p.x for r in range(k)), (i, j)
        assert all(left[i, c].y == p.y for c in range(k)), (i, j)
        assert all(left[i, c].x < p.x for c in range(k))  # the left operand is left of the product
        assert all(right[r, j].y < p.y for r in range(k))  # the right operand is above it
    # the row of L and the column of R hold the operands' values, cell by cell
    for (r, c), b in left.items():
        assert b.value == step.left.values[r, c]
    for (r, c), b in right.items():
        assert b.value == step.right.values[r, c]


@pytest.mark.parametrize("step", STEPS)
def test_result_sits_right_of_the_product_or_under_a_wide_flat_one(step):
    lay = layout_step(step)
    prod, res = _boxes(lay, "product"), _boxes(lay, "result")
    if not res:
        return
    m, n = step.product.shape
    dx = {res[i, j].x - prod[i, j].x for (i, j) in res}
    dy = {res[i, j].y - prod[i, j].y for (i, j) in res}
    if n >= 10 and 3 * m <= n:  # an im2col product, one row per channel: the result under it, same columns
        assert dx == {0} and len(dy) == 1 and dy.pop() >= m + GAP
    else:
        assert len(dx) == 1 and dx.pop() >= 2 * GAP + step.result.shape[1]
        assert dy == {0}
    for (i, j), b in res.items():
        assert b.value == step.result[i, j]


def test_a_wide_flat_result_goes_under_its_product():
    """A 1-channel 4×4 convolution's last step: 16 product columns, 1 row; its ReLU result under it."""
    from byhand.blocks import block_type

    bt = block_type("conv")
    step = bt.build(**bt.default()).steps[-1]
    assert step.product.shape == (1, 16)
    lay = layout_step(step)
    prod, res = _boxes(lay, "product"), _boxes(lay, "result")
    assert [res[0, j].x for j in range(16)] == [prod[0, j].x for j in range(16)]
    assert res[0, 0].y > prod[0, 0].y + 1
    assert any(lb.text == "↓ ReLU" for lb in lay.labels)


@pytest.mark.parametrize("step", STEPS)
def test_boxes_never_overlap_and_labels_sit_outside_them(step):
    lay = layout_step(step)
    xy = np.array([(b.x, b.y) for b in lay.boxes])
    d = np.abs(xy[:, None, :] - xy[None, :, :])
    apart = (d[..., 0] >= 1 - 1e-9) | (d[..., 1] >= 1 - 1e-9)
    np.fill_diagonal(apart, True)
    assert apart.all()
    for lb in lay.labels:
        inside = [(b.region, b.row, b.col) for b in lay.boxes
                  if b.x < lb.x < b.x + 1 and b.y < lb.y < b.y + 1]
        assert not inside, (lb, inside)


@pytest.mark.parametrize("step", STEPS)
def test_every_part_is_labelled_once_per_operand(step):
    lay = layout_step(step)
    parts = [lb.text for lb in lay.labels if lb.kind == "part"]
    want = [p.name for st in (step.right, step.left) if st is not None for p in st.parts]
    assert sorted(parts) == sorted(want)


@pytest.mark.parametrize("step", STEPS)
def test_links_run_from_identity_columns_to_the_rows_they_pick(step):
    """Column c of L meets row c of R: a link wherever either is an identity (on the left as in
    [I | W2 | b2], or stacked on the right as in [X | Z]·[I; I])."""
    lay = layout_step(step)
    if step.left is None:
        assert lay.links == []
        return
    left, right = _boxes(lay, "left"), _boxes(lay, "right")
    on_left = {c for p, a, b in step.left.spans() if step.left.axis == 1 and p.role == "identity"
               for c in range(a, b)}
    on_right = {c for p, a, b in step.right.spans() if step.right.axis == 0 and p.role == "identity"
                for c in range(a, b)}
    cols = sorted(on_left | on_right)
    assert len(lay.links) == len(cols)
    top = min(b.y for b in left.values())
    right_edge = min(b.x for b in right.values())
    for link, c in zip(sorted(lay.links, key=lambda lk: lk.x1), cols):
        assert link.x1 == left[0, c].x + 0.5 and link.y1 == top  # from the top of column c of L
        assert link.x2 == right_edge and link.y2 == right[c, 0].y + 0.5  # into row c of R
        # the identity holds its 1 where the link carries the input across
        if c in on_left:
            p, off = step.left.part_at(c)
            assert link.side == "left" and p.values[off, off] == 1 and link.index == off
        else:
            p, off = step.right.part_at(c)
            assert link.side == "right" and p.values[off, off] == 1 and link.index == off
    # links never cross: a later column turns at a lower row
    xs = [lk.x1 for lk in sorted(lay.links, key=lambda lk: lk.x1)]
    ys = [lk.y2 for lk in sorted(lay.links, key=lambda lk: lk.x1)]
    assert xs == sorted(xs) and ys == sorted(ys)


@pytest.mark.parametrize("step", STEPS)
def test_part_labels_stay_clear_of_the_links(step):
    lay = layout_step(step)
    for lk in lay.links:
        (ax, ay), (bx, by), (cx, cy) = lk.points
        for lb in lay.labels:
            on_vertical = abs(lb.x - ax) < 0.3 and min(ay, by) - 0.3 < lb.y < max(ay, by) + 0.3
            on_across = abs(lb.y - by) < 0.3 and min(bx, cx) - 0.3 < lb.x < max(bx, cx) + 0.3
            assert not (on_vertical or on_across), (lb, lk)


def test_residual_multiply_positions_by_hand():
    """[I | W2 | b2]·[X; H; 1] with d = h = n = 3: hand-placed coordinates."""
    step = residual_block(**default_residual()).steps[3]
    lay = layout_step(step)
    # left: I at x 0,1,2; W2 at 3.25..5.25; b2 at 6.5 (two part gaps of 0.25)
    assert [lay.where("left", 0, c).x for c in range(7)] == [0, 1, 2, 3.25, 4.25, 5.25, 6.5]
    # right: X rows at y 0.2..2.2, H at 3.45..5.45, the ones at 6.7
    assert [lay.where("right", r, 0).y for r in range(7)] == pytest.approx(
        [0.2, 1.2, 2.2, 3.45, 4.45, 5.45, 6.7])
    # product: right of k_cols = 7 + 2·0.25 = 7.5 plus a gap; below 0.2 + 7.5 plus a gap
    p = lay.where("product", 0, 0)
    assert (p.x, p.y) == pytest.approx((7.5 + GAP, 0.2 + 7.5 + GAP))
    assert lay.where("result", 0, 0).x == pytest.approx(p.x + 3 + 2 * GAP)
    assert PART_GAP == 0.25
    names = {lb.text: lb for lb in lay.labels}
    assert names["ReLU →"].kind == "op" and names["Out"].kind == "name" and names["X + F(X)"].kind == "name"
    assert names["X"].align == "left" and names["I"].y > p.y + 2  # X right of R, I under L


def test_multiply_with_no_op_names_its_result():
    wt = encoder_block(**default_encoder())
    labels = {lb.text for lb in layout_step(wt.steps[1]).labels}
    assert "Z = X·A" in labels
    assert "Y = X + Z" in {lb.text for lb in layout_step(wt.steps[3]).labels}


def test_arrange_step_has_empty_product_boxes():
    step = residual_block(**default_residual()).steps[2]
    lay = layout_step(step)
    prod = _boxes(lay, "product")
    assert len(prod) == 9 and all(b.value is None for b in prod.values())
    assert not _boxes(lay, "result")
    assert "?" in {lb.text for lb in lay.labels}


def test_element_wise_step_input_op_result():
    X = np.arange(12).reshape(4, 3) / 4 - 1
    wt = transformer_layer(X, random_transformer_params(0, d=4, f=6), nhead=2)
    step = next(s for s in wt.steps if s.op.name == "softmax")
    lay = layout_step(step)
    prod, res = _boxes(lay, "product"), _boxes(lay, "result")
    assert lay.where("product", 0, 0).x == 0 and lay.where("product", 0, 0).y == 0
    n = step.product.shape[1]
    assert lay.where("result", 0, 0).x == n + 3 * GAP  # a long op label gets a 3-cell gap
    op = [lb for lb in lay.labels if lb.kind == "op"]
    assert len(op) == 1 and n < op[0].x < n + 3 * GAP
    assert len(prod) == len(res) == step.product.size


def test_given_step_is_the_matrix_alone():
    step = residual_block(**default_residual()).steps[0]
    lay = layout_step(step)
    assert {b.region for b in lay.boxes} == {"given"} and len(lay.boxes) == 9
    assert [lb.text for lb in lay.labels] == ["X"] and lay.links == []
    assert {b.role for b in lay.boxes} == {"input"}


def test_hidden_cells_lose_their_values_only():
    step = residual_block(**default_residual()).steps[3]
    hidden = {("product", 0, 0), ("result", 2, 1), ("left", 1, 4)}
    lay = layout_step(step, hidden)
    for b in lay.boxes:
        assert (b.value is None) == ((b.region, b.row, b.col) in hidden)


def test_layout_matrix_and_link_points():
    m = np.array([[1, Fraction(1, 2)], [0, -3]], dtype=object)
    lay = layout_matrix("B", m, role="weight")
    assert [(b.x, b.y, b.value) for b in lay.boxes] == [(0, 0, 1), (1, 0, Fraction(1, 2)),
                                                         (0, 1, 0), (1, 1, -3)]
    assert lay.width == 2 and lay.height == pytest.approx(2.6)
    assert Link(0.5, 9, 8, 1.5).points == ((0.5, 9), (0.5, 1.5), (8, 1.5))
    with pytest.raises(KeyError):
        lay.where("given", 5, 5)


def test_cells_relu_sets_to_zero_are_struck_out():
    """W1·X + b1 = [[3, 1, 1], [−1, 3, 1], [−1, −1, 1]] on the default example (tests/test_residual.py):
    ReLU sets its three negative cells to 0, and only those result cells are struck out."""
    step = residual_block(**default_residual()).steps[1]
    lay = layout_step(step)
    assert sorted((b.row, b.col) for b in lay.boxes if b.struck) == [(1, 0), (2, 0), (2, 1)]
    assert all(b.region == "result" for b in lay.boxes if b.struck)
    hidden = layout_step(step, hidden={("result", 1, 0)})  # a blank gives nothing away
    assert sorted((b.row, b.col) for b in hidden.boxes if b.struck) == [(2, 0), (2, 1)]
    assert not any(b.struck for b in layout_step(residual_block(**default_residual()).steps[3]).boxes
                   if b.value != 0)


def _conv_steps():
    from byhand.blocks.conv import conv_block, default_conv

    return conv_block(**default_conv()).steps, conv_block(**default_conv("projection")).steps


def test_a_multiply_wrapped_in_pieces_sums_its_partial_products_by_hand():
    """Option B's last step [W2′ | Ws′ | t]·[im2col(H); x; 1] (2×20 · 20×9) in two pieces, columns 1–9 and
    10–20 of the left operand: each piece a multiply by hand, its partial product in the product's columns,
    and their sum, the product, under the last one (positions worked out by hand below)."""
    step = _conv_steps()[1][-1]
    lay = layout_step(step, pieces=[(0, 9), (9, 20)], result_below=True)
    left, right, prod = _boxes(lay, "left"), _boxes(lay, "right"), _boxes(lay, "product")
    partial = {(b.part, b.row, b.col): b for b in lay.boxes if b.region == "partial"}
    # piece 2 is W2′ columns 10–18, Ws′ and t: 9 + 0.25 + 1 + 0.25 + 1 = 11.5 cells; the products at 11.5 + 1
    assert (left[0, 9].x, left[0, 17].x, left[0, 18].x, left[0, 19].x) == (0.0, 8.0, 9.25, 10.5)
    assert left[0, 0].x == 12.5 - 1 - 9  # piece 1 (9 columns) ends one gap left of its partial product
    # piece 1: im2col(H) rows 1–9 from y 0.2, its partial product a gap under them (0.2 + 9 + 1)
    assert (right[0, 0].x, right[0, 0].y, right[8, 0].y) == (12.5, 0.2, 8.2)
    assert partial["partial 1", 0, 0].y == left[0, 0].y == 10.2 and partial["partial 1", 1, 8].x == 20.5
    # piece 2 starts under piece 1's names (10.2 + 2 rows + 2.3): rows 10–18, x and 1 with part gaps
    assert (right[9, 0].y, right[17, 0].y, right[18, 0].y, right[19, 0].y) == (14.5, 22.5, 23.75, 25.0)
    assert partial["partial 2", 0, 0].y == left[0, 9].y == 27.0
    assert (prod[0, 0].x, prod[0, 0].y) == (12.5, 31.3)  # the sum under the last partial product
    assert _boxes(lay, "result")[0, 0].y == 31.3 + 2 + 2.2
    # the partial products add up to the product, cell by cell
    lv, rv = step.left.values, step.right.values
    for (i, j), b in prod.items():
        p1, p2 = partial["partial 1", i, j].value, partial["partial 2", i, j].value
        assert p1 == sum(lv[i, :9] * rv[:9, j]) and p2 == sum(lv[i, 9:] * rv[9:, j])
        assert p1 + p2 == b.value == step.product[i, j]
    texts = {lb.text for lb in lay.labels}
    assert {"W2′ (1–9)", "W2′ (10–18)", "im2col(H) (1–9)", "im2col(H) (10–18)", "Ws′", "partial 1",
            "partial 2", "partial 1 + 2 ="} <= texts and "W2′" not in texts
    assert not _overlap(lay)


def test_a_multiply_wrapped_in_bands_draws_the_left_operand_beside_each_band():
    """Convolution 1 of the 4×4 image (W1 1×9 · im2col(x) 9×16) in two bands of 8 product columns: each band
    under the one before, with its own copy of W1 and a label naming its columns."""
    step = _conv_steps()[0][2]
    lay = layout_step(step, bands=[(0, 8), (8, 16)])
    right, prod = _boxes(lay, "right"), _boxes(lay, "product")
    lefts = sorted((b.y, b.x) for b in lay.boxes if b.region == "left" and b.col == 0)
    assert lefts == [(10.2, 0.0), (23.2, 0.0)]  # W1 twice, beside each band's product row
    assert (right[0, 0].x, right[0, 0].y, right[0, 7].x) == (10.0, 0.2, 17.0)
    assert (prod[0, 7].x, prod[0, 7].y) == (17.0, 10.2)
    # band 2: under band 1's names (10.2 + 1 row + 0.6 + 1.4), its columns from the same x
    assert (right[0, 8].x, right[0, 8].y, prod[0, 8].x, prod[0, 8].y) == (10.0, 13.2, 10.0, 23.2)
    assert [lb.text for lb in lay.labels if lb.text.startswith("columns")] == ["columns 1–8 of 16",
                                                                              "columns 9–16 of 16"]
    assert len(prod) == 16 and all(b.value == step.product[i, j] for (i, j), b in prod.items())


def test_a_wrapped_multiply_hides_the_partials_of_a_hidden_product_cell():
    step = _conv_steps()[1][-1]
    lay = layout_step(step, hidden={("product", 0, 1)}, pieces=[(0, 9), (9, 20)])
    hidden = {(b.region, b.row, b.col) for b in lay.boxes if b.value is None}
    assert hidden == {("product", 0, 1), ("partial", 0, 1)}


def _overlap(lay) -> bool:
    seen = set()
    for b in lay.boxes:
        key = (round(b.x, 3), round(b.y, 3))
        if key in seen:
            return True
        seen.add(key)
    return False


def test_widened_columns_by_hand():
    """[I | W2 | b2]·[X; H; 1] (test_residual_multiply_positions_by_hand) with the left operand's columns half
    a cell wide (its texts short, the product's long): its part gaps and the gap to the product halve too,
    the right operand, the product and the result keep their columns, one cell each."""
    step = residual_block(**default_residual()).steps[3]
    lay = widen(layout_step(step), {"left": 0.5})
    # I at 0, 0.5, 1; a part gap of 0.25 · 0.5; W2 at 1.625 …; b2 after one more: 3.25, ending at 3.75
    assert [lay.where("left", 0, c).x for c in range(7)] == [0, 0.5, 1, 1.625, 2.125, 2.625, 3.25]
    assert {b.w for b in lay.boxes if b.region == "left"} == {0.5}
    assert {b.w for b in lay.boxes if b.region != "left"} == {1.0}
    # the product one narrowed gap (0.5) after the left operand: 3.75 + 0.5; its rows where they were
    p = lay.where("product", 0, 0)
    assert (p.x, p.y) == pytest.approx((4.25, 0.2 + 7.5 + GAP))
    assert [lay.where("right", 0, j).x for j in range(3)] == [4.25, 5.25, 6.25]
    assert [lay.where("product", 2, j).x for j in range(3)] == [4.25, 5.25, 6.25]
    assert lay.where("result", 0, 0).x == pytest.approx(4.25 + 3 + 2 * GAP)  # the op's gap is the product's
    names = {lb.text: lb for lb in lay.labels}
    assert names["I"].x == 0.75 and names["W2"].x == pytest.approx(2.375) and names["b2"].x == 3.5
    assert names["ReLU →"].x == pytest.approx(7.25 + GAP)  # midway between product and result
    # the links rise from the middle of the identity's (narrow) columns into the right operand's left edge
    assert [(lk.x1, lk.x2) for lk in lay.links] == [(0.25, 4.25), (0.75, 4.25), (1.25, 4.25)]
    assert lay.width == pytest.approx(4.25 + 3 + 2 + 3) and not _overlap(lay)


def test_widened_part_and_region_widths_by_hand():
    """A part's own width wins over its region's: [I | W2 | b2] with I and b2 0.5 wide and W2 0.8, the
    product 1.2 wide; a gap between two columns takes the narrower one's width."""
    step = residual_block(**default_residual()).steps[3]
    lay = widen(layout_step(step), {"left": 0.5, ("left", "W2"): 0.8, "right": 1.2, "product": 1.2,
                                    "result": 1.2})
    assert [lay.where("left", 0, c).x for c in range(7)] == pytest.approx(
        [0, 0.5, 1, 1.625, 2.425, 3.225, 4.15])  # W2 after 1.5 + 0.25·0.5, b2 after 4.025 + 0.25·0.5
    assert [lay.where("left", 0, c).w for c in range(7)] == [0.5, 0.5, 0.5, 0.8, 0.8, 0.8, 0.5]
    p = lay.where("product", 0, 0)
    assert p.x == pytest.approx(4.65 + 0.5) and p.w == 1.2  # one gap of the narrower (b2's 0.5)
    assert lay.where("right", 6, 2).x == pytest.approx(5.15 + 2 * 1.2)
    assert lay.where("result", 0, 0).x == pytest.approx(5.15 + 3 * 1.2 + 2 * 1.2)


def test_column_map_keeps_order_and_unit_widths():
    f = column_map([(0, 1.0), (1, 1.0), (3, 1.0)])
    xs = np.linspace(-2, 6, 33)
    np.testing.assert_allclose(f(xs), xs)  # unit columns: nothing moves
    g = column_map([(0, 0.4), (1.25, 0.4), (3.5, 1.5), (4.5, 1.5)])
    assert g(np.array([0.0, 1.0, 1.25, 2.25, 3.5, 4.5, 5.5])).tolist() == pytest.approx(
        [0, 0.4, 0.5, 0.9, 1.4, 2.9, 4.4])
    assert np.all(np.diff(g(xs)) > 0)  # still in order

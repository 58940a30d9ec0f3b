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
from byhand.render.layout import GAP, PART_GAP, Link, layout_matrix, layout_step


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

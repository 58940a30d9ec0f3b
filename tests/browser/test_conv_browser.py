"""The convolutional ResNet block page in a real headless Chromium: it loads, steps, a bad cell gives a
message naming the matrix and cell, and an edit shows up in the PyTorch check downstream.

Default example: bn2 is γ 2, β 1, μ 0, σ² 4, ε 0, so BN2(y) = y + 1. Every cell of BN2(conv2(H)) + x is
a small integer (|value| < 50 for these 4×4 inputs), so with β = 101 every output cell is that value
plus 100 > 50 and the ReLU keeps them all.
"""

from __future__ import annotations

from .conftest import BROWSER, edit_cell, goto, no_exception, shot, wait_idle

pytestmark = BROWSER


def _ours(page) -> list[float]:
    """The numbers of the first "Ours, by hand" table (channel 1) of the PyTorch check panel."""
    table = page.locator("[data-testid='stTable']").first
    table.wait_for(state="visible")
    cells = table.locator("tbody td").all_inner_texts()
    return [float(c.replace("\u2212", "-")) for c in cells]


def test_conv_page_steps_edits_and_checks(page):
    goto(page, "conv_block")
    no_exception(page)
    page.get_by_role("heading", name="Convolutional ResNet block, by hand").wait_for()
    page.get_by_text("Step 1 of 9: Given the image").wait_for()
    for _ in range(2):
        page.get_by_role("button", name="Next").click()
        wait_idle(page)
    page.get_by_text("Step 3 of 9: Convolution 1: 3×3, stride 1").wait_for()

    page.get_by_text("Check with PyTorch").click()
    wait_idle(page)
    page.get_by_text("PyTorch agrees").wait_for()
    before = _ours(page)
    assert len(before) == 16 and max(before) < 50

    _open_editors(page)
    edit_cell(page, page.locator("[data-testid='stDataFrame']").nth(4), 0, 1, "101")  # β of bn2: 1 → 101
    no_exception(page)
    for _ in range(75):  # the rerun may land a moment after the app looked idle
        if all(v > 50 for v in _ours(page)):
            break
        page.wait_for_timeout(200)
    assert all(v > 50 for v in _ours(page))
    page.get_by_text("PyTorch agrees").wait_for()
    shot(page, "conv_block")

    goto(page, "conv_block")  # a new session: the default example again
    page.get_by_text("Check with PyTorch").click()
    wait_idle(page)
    _open_editors(page)
    edit_cell(page, page.locator("[data-testid='stDataFrame']").nth(0), 0, 0, "abc")
    page.get_by_text("x1, row 1, column 1: 'abc' is not a number").wait_for()
    no_exception(page)
    assert _ours(page) == before  # the last valid example stays drawn
    shot(page, "conv_block_bad_cell")


def _open_editors(page) -> None:
    page.get_by_text("Edit the image, the kernels and the batch-norm statistics").click()
    wait_idle(page)
    page.locator("[data-testid='stDataFrame']").nth(4).wait_for()
    assert page.locator("[data-testid='stDataFrame']").count() == 5  # x1, w1_1, bn1, w2_1, bn2

"""The "Why residuals work" page in a real headless Chromium.

Numbers worked out by hand in tests/test_page_why.py: by default δ·(I + ∂F/∂x) = (4, −3, 7); with
x = (2, −5, −1) it is (4, −1, 5).
"""

from __future__ import annotations

from apptest_helpers import matrix_in_text_view

from .conftest import BROWSER, edit_cell, goto, no_exception, shot, wait_idle

pytestmark = BROWSER


def _text_view(page) -> str:
    """Open the step's text view (if closed) and return its text."""
    expander = page.get_by_text("Text / LaTeX view of this step").first
    code = page.locator("[data-testid='stCode']").first
    if not code.is_visible():
        expander.click()
        code.wait_for(state="visible")
    return code.inner_text()


def test_why_page_jacobian_edit_bad_cell_and_depth(page):
    goto(page, "why_residual?step=9")
    no_exception(page)
    page.get_by_role("heading", name="Why residual connections work").wait_for()
    page.get_by_text("Step 9 of 9: Backprop with the skip").wait_for()
    assert matrix_in_text_view(_text_view(page), "δ·(I + ∂F/∂x)") == [["4", "-3", "7"]]
    shot(page, "why_residual-step9")

    page.get_by_text("Edit the example: x, W1, b1, W2, b2, δ and the sizes").click()
    editors = page.locator("[data-testid='stDataFrame']")
    editors.first.wait_for(state="visible")
    edit_cell(page, editors.nth(0), 1, 0, "-5")  # x, row 2
    no_exception(page)
    assert matrix_in_text_view(_text_view(page), "δ·(I + ∂F/∂x)") == [["4", "-1", "5"]]

    shot(page, "why_residual-edited")

    goto(page, "why_residual?step=9")  # a new session: the default example again
    page.get_by_text("Edit the example: x, W1, b1, W2, b2, δ and the sizes").click()
    editors = page.locator("[data-testid='stDataFrame']")
    editors.first.wait_for(state="visible")
    edit_cell(page, editors.nth(1), 0, 0, "abc")  # W1, row 1, column 1
    error = page.locator("[data-testid='stAlert']").filter(has_text="W1, row 1, column 1")
    error.wait_for()
    assert "not a number" in error.inner_text()
    # the last valid example stays drawn
    assert matrix_in_text_view(_text_view(page), "δ·(I + ∂F/∂x)") == [["4", "-3", "7"]]
    no_exception(page)

    page.get_by_role("tab", name="Gradients at depth").click()
    chart = page.locator("[data-testid='stVegaLiteChart']:visible").filter(has=page.locator("canvas, svg"))
    chart.first.wait_for(state="visible")
    depth = page.get_by_role("spinbutton", name="Depth (blocks)")
    depth.fill("0")
    depth.press("Enter")
    wait_idle(page)
    page.locator("[data-testid='stAlert']").filter(has_text="depth must be from 1 to 10,000").wait_for()
    no_exception(page)
    shot(page, "why_residual-gradients-bad-depth")

    page.get_by_role("tab", name="Plain vs residual training").click()
    page.get_by_text("Plain", exact=True).first.wait_for()
    page.get_by_text("ln 2 ≈ 0.693 is the loss of guessing 50/50", exact=False).wait_for()
    no_exception(page)
    shot(page, "why_residual-training")

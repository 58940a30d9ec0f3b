"""Show the formula on the residual page in Chromium at 1280 × 800 with the sidebar open: every step's
drawing of the fully symbolic block stays inside the content column, and a picked cell shows its whole
expression with its value (issue 12 §4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .conftest import BROWSER, goto, no_exception, screen_page, shot, wait_idle
from .test_projector_fit import every_step_fits

pytestmark = [pytest.mark.timeout(600), BROWSER]


def test_residual_formula_fits_a_projector(browser, app_url, warm_app):
    with screen_page(browser, app_url, 1280, 800) as page:
        goto(page, "residual_block")
        assert page.locator("[data-testid='stSidebar']").first.is_visible()
        shown = page.get_by_text("Each cell shows its expression").first  # the caption while it is on
        for attempt in range(3):  # a click a busy page took before it was ready is lost: click again
            page.get_by_role("button", name=re.compile("Show the formula")).click()  # all matrices
            wait_idle(page)
            try:
                shown.wait_for(timeout=15_000)
                break
            except PlaywrightTimeout:
                assert attempt < 2, "the formula never showed"
        assert all(box["sidebar"] > 0 for box in every_step_fits(page, "formula"))
        # the last step's cell (1, 1), picked with the keyboard's selectboxes: the whole expression
        for label in ("Row", "Column"):
            box = page.locator("[data-testid='stSelectbox']").filter(has_text=label).first
            box.click()
            page.keyboard.type("1")
            page.keyboard.press("Enter")
            wait_idle(page)
        code = page.locator("[data-testid='stCode']").filter(has_text="X + F(X) [1, 1]").first
        text = code.inner_text()
        # x₁₁ + w2₁₁·h₁₁ + w2₁₂·h₂₁ + w2₁₃·h₃₁ + b2₁ with h₁₁ = max(0, b1₁ + w1₁₁·x₁₁ + w1₁₂·x₂₁ + w1₁₃·x₃₁);
        # with the default numbers 1 + 1·3 + (−1)·0 + 0·0 + 0 = 4
        assert "x₁₁" in text and "w2₁₁·max(0, b1₁ + w1₁₁·x₁₁ + w1₁₂·x₂₁ + w1₁₃·x₃₁)" in text, text
        assert "    = 4" in text, text
        shot(page, "formula-residual-1280x800", full=False)
        no_exception(page)

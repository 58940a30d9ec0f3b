"""Every step of every walkthrough page and variant fits a 1280 × 800 projector (sidebar open) and a
1920 × 1080 screen: no step drawing is wider than the page's content column. In presentation mode
(``present=1``) the sidebar is gone, the whole drawing shows without scrolling, and the arrow keys
and Page Up / Page Down step.
"""

from __future__ import annotations

import re

import pytest

from .conftest import goto, no_exception, shot, wait_idle

pytestmark = pytest.mark.timeout(900)

# every walkthrough page and variant, at its default example
PAGES = ["residual_block", "encoder_block", "encoder_block?v=torch", "self_attention", "conv_block",
         "conv_block?block=bottleneck", "conv_block?sc=projection&s=2", "why_residual"]
SCREENS = [(1280, 800), (1920, 1080)]

# The step drawing (the first chart after the step's title), the content column's right edge, the
# sidebar's width (0 when hidden).
MEASURE = """() => {
  const main = document.querySelector("[data-testid='stMainBlockContainer']");
  const right = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
  const chart = document.querySelector("[data-testid='stVegaLiteChart'] canvas, "
                                       + "[data-testid='stVegaLiteChart'] svg");
  const r = chart.getBoundingClientRect();
  const side = document.querySelector("[data-testid='stSidebar']");
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, content: right,
          sidebar: side ? side.getBoundingClientRect().width : 0};
}"""


def _title(page) -> str:
    return page.locator("h3").filter(has_text=re.compile(r"^Step \d+ of \d+")).first.inner_text()


def _wait_step(page, k: int, n: int) -> None:
    page.locator("h3").filter(has_text=re.compile(rf"^Step {k} of {n}\b")).first.wait_for(timeout=30_000)
    wait_idle(page)
    page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first \
        .wait_for(timeout=30_000)
    page.wait_for_timeout(250)  # the chart is drawn into its box


def _count_steps(page) -> int:
    return int(re.match(r"Step 1 of (\d+)", _title(page)).group(1))


def _steps_link(path: str, k: int, present: bool = False) -> str:
    return f"{path}{'&' if '?' in path else '?'}step={k}" + ("&present=1" if present else "")


# Known and open: option B's last step at stride 2 stacks [W2′ | Wp | t] with 20-odd columns of
# kernels, wider than the page at 1280 px even at its smallest readable cells (it scrolls sideways).
TOO_WIDE = pytest.mark.xfail(strict=True, reason="conv option B, stride 2: the left operand alone is wider "
                             "than 1280 px allows; wrapping its parts is still to do")
CASES = [pytest.param(path, w, h, marks=TOO_WIDE) if (path, w) == ("conv_block?sc=projection&s=2", 1280)
         else (path, w, h) for path in PAGES for w, h in SCREENS]


@pytest.mark.parametrize("path, width, height", CASES)
def test_every_step_drawing_fits_the_page_width(browser, app_url, warm_app, path, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.app_url = app_url
    try:
        goto(page, _steps_link(path, 1))
        assert page.locator("[data-testid='stSidebar']").first.is_visible()  # the sidebar open
        n = _count_steps(page)
        for k in range(1, n + 1):
            if k > 1:
                page.get_by_role("button", name=re.compile("^Next")).first.click()
            _wait_step(page, k, n)
            box = page.evaluate(MEASURE)
            assert box["right"] <= box["content"] + 1, (path, k, _title(page), box)
        no_exception(page)
    finally:
        context.close()


# Option B at stride 2 is too wide for the page (see TOO_WIDE): left out here too.
PRESENT_PAGES = [p for p in PAGES if "projection" not in p]


@pytest.mark.parametrize("path", PRESENT_PAGES)
def test_presentation_mode_shows_every_whole_step_on_a_projector(browser, app_url, warm_app, path):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.app_url = app_url
    try:
        goto(page, _steps_link(path, 1, present=True))
        assert not page.get_by_text("Edit the example").count()  # no settings
        assert not page.locator("h1").count()  # no page title: the step is the page
        n = _count_steps(page)
        for k in range(1, n + 1):
            if k > 1:
                page.keyboard.press("ArrowRight" if k % 2 else "PageDown")
            _wait_step(page, k, n)
            box = page.evaluate(MEASURE)
            assert box["sidebar"] == 0, box
            assert box["right"] <= box["content"] + 1 and box["bottom"] <= 800, (path, k, _title(page), box)
            if k in (1, n):
                shot(page, f"present-{re.sub(r'[^a-z0-9]+', '-', path)}-step{k}", full=False)
        page.keyboard.press("ArrowLeft")
        _wait_step(page, n - 1, n)
        assert "present=1" in page.url and f"step={n - 1}" in page.url  # the link keeps the mode
        no_exception(page)
    finally:
        context.close()


def test_present_toggle_hides_the_settings_and_comes_back(page):
    goto(page, "residual_block?step=2")
    assert page.get_by_text("Edit the example").count()
    page.get_by_text("Present", exact=True).click()
    page.get_by_text("Edit the example").first.wait_for(state="detached", timeout=30_000)
    wait_idle(page)
    assert page.locator("[data-testid='stSidebar']").count() == 0 or \
        not page.locator("[data-testid='stSidebar']").first.is_visible()
    assert _title(page).startswith("Step 2 of 4")
    page.get_by_text("Present", exact=True).click()
    page.get_by_text("Edit the example").first.wait_for(timeout=30_000)
    wait_idle(page)
    assert _title(page).startswith("Step 2 of 4")
    no_exception(page)


def test_the_encoder_mixing_view_and_the_two_identities_fit_beside_the_sidebar(browser, app_url, warm_app):
    """On the last step, the two identities side by side and the mixing view's two drawings (every
    column of H) stay inside the page at 1280 × 800 with the sidebar open."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.app_url = app_url
    try:
        goto(page, "encoder_block?step=7")
        page.get_by_text("Mixing view").click()
        page.get_by_text("Attention combines positions (across columns); the feed-forward").first.wait_for()
        wait_idle(page)
        page.wait_for_timeout(500)
        boxes = page.evaluate("""() => {
          const main = document.querySelector("[data-testid='stMainBlockContainer']");
          const right = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
          return [...document.querySelectorAll("[data-testid='stVegaLiteChart'] canvas, "
                                               + "[data-testid='stVegaLiteChart'] svg")].map(
            el => [el.getBoundingClientRect().right, right]);
        }""")
        assert len(boxes) == 5  # the step, the two identities, the mixing view's two
        assert all(r <= content + 1 for r, content in boxes), boxes
        no_exception(page)
    finally:
        context.close()

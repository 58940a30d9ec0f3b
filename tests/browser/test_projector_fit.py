"""Every step of every walkthrough page and variant fits a 1280 × 800 projector (sidebar open) and a
1920 × 1080 screen: no step drawing is wider than the page's content column. In presentation mode
(``present=1``) the sidebar is gone, the whole drawing shows without scrolling, and the arrow keys
and Page Up / Page Down step.
"""

from __future__ import annotations

import re

import pytest

from .conftest import BROWSER, goto, no_exception, screen_page, shot, wait_idle

pytestmark = [pytest.mark.timeout(900), BROWSER]

# every walkthrough page and variant, at its default example
PAGES = ["residual_block", "encoder_block", "encoder_block?v=torch", "self_attention", "conv_block",
         "conv_block?block=bottleneck", "conv_block?sc=projection&s=2", "why_residual",
         "your_model?t=mlp", "your_model?t=basic", "your_model?t=encoder", "your_model?t=stack"]
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


CASES = [(path, w, h) for path in PAGES for w, h in SCREENS
         if not (path.startswith("your_model") and w > 1280)]  # its steps fit 1280: wider is no harder


def every_step_fits(page, what) -> list[dict]:
    """Walk every step from step 1 with Next: no step drawing is wider than the content column. The
    measured boxes, one a step."""
    n = _count_steps(page)
    boxes = []
    for k in range(1, n + 1):
        if k > 1:
            page.get_by_role("button", name=re.compile("^Next")).first.click()
        _wait_step(page, k, n)
        box = page.evaluate(MEASURE)
        assert box["right"] <= box["content"] + 1, (what, k, _title(page), box)
        boxes.append(box)
    return boxes


@pytest.mark.parametrize("path, width, height", CASES)
def test_every_step_drawing_fits_the_page_width(browser, app_url, warm_app, path, width, height):
    with screen_page(browser, app_url, width, height) as page:
        goto(page, _steps_link(path, 1))
        assert page.locator("[data-testid='stSidebar']").first.is_visible()  # the sidebar open
        every_step_fits(page, path)
        no_exception(page)


# Option B at stride 2: its last step fits the width of presentation mode as one multiply, but its 20-row
# right operand at the lowest readable rows is taller than 800 px (on the page it wraps in pieces).
PRESENT_PAGES = [p for p in PAGES if "projection" not in p and not p.startswith("your_model")]
# (Your model's presentation mode: tests/test_page_your_model.py, AppTest.)


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

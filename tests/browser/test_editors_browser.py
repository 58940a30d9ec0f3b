"""The matrix editors in headless Chromium: every column in view, a pasted matrix, typing across editors.

At a 1280 × 800 projector with the sidebar open, the residual block's editors with a 4×6 X
(``?n=6&d=4``: n samples, d features) show all their columns, with no horizontal scroll inside
an editor. A matrix pasted through its "Paste" popover reaches the drawing; values typed into X
and W1 one after the other all reach the example (its link) when each rerun is waited for (typed
faster, some are lost: the note above the test).
The default example's X is [[1, 2, 0], [0, 1, 1], [2, -1, 1]], W1 [[1, 0, 1], [0, 1, -1], [-1, 1, 0]].
"""

from __future__ import annotations

import re
import urllib.parse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .conftest import ARTIFACTS, BROWSER, goto, no_exception, shot, wait_idle
from .test_walkthrough_pages import open_editors, text_view, wait_for_text

pytestmark = [pytest.mark.timeout(300), BROWSER]

INDEX_WIDTH, CELL_WIDTH, HEADER_HEIGHT, ROW_HEIGHT = 51, 56, 35, 35  # px of a data editor (TextColumn 56)


@pytest.fixture(params=[(1280, 800), (1920, 1080)], ids=["1280x800", "1920x1080"])
def sized_page(request, browser, app_url, warm_app):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.app_url = app_url
    pg.size_name = f"{width}x{height}"
    try:
        yield pg
    finally:
        context.close()


def link_matrix(page, name: str) -> str | None:
    """Matrix ``name`` as the page's link holds it (``m.X=1,2;3,4``), None if the link has none."""
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    return query.get(f"m.{name}", [None])[0]


def wait_for_link(page, name: str, value: str, timeout_ms: int = 20_000) -> None:
    waited = 0
    while link_matrix(page, name) != value:
        if waited > timeout_ms:
            raise AssertionError(f"m.{name} is {link_matrix(page, name)!r}, not {value!r}")
        page.wait_for_timeout(200)
        waited += 200


def test_every_column_of_every_editor_is_in_view(sized_page):
    page = sized_page
    goto(page, "residual_block?n=6&d=4&seed=1")
    sidebar = page.locator("[data-testid='stSidebar']").bounding_box()
    assert sidebar and sidebar["width"] >= 200  # the sidebar is open
    box = open_editors(page)
    page.wait_for_timeout(1000)
    outer = box.bounding_box()
    editors = box.locator("[data-testid='stDataFrame']")
    shapes = re.findall(r"(\w+) · (\d+)×(\d+)", box.inner_text())
    assert [s[0] for s in shapes] == ["X", "W1", "b1", "W2", "b2"]
    assert [s[1:] for s in shapes][:2] == [("4", "6"), ("3", "4")]
    assert editors.count() == 5
    viewport = page.viewport_size["width"]
    for k, (name, _, cols) in enumerate(shapes):
        editor = editors.nth(k)
        headers = editor.locator("th").all_inner_texts()  # the grid's column headers (index first)
        assert headers[1:] == [str(j + 1) for j in range(int(cols))], (name, headers)
        seen = editor.evaluate("e => { const s = e.querySelector('.dvn-scroller'); "
                               "const r = s.getBoundingClientRect(); return {left: r.left, right: r.right, "
                               "client: s.clientWidth, scroll: s.scrollWidth}; }")
        assert seen["scroll"] <= seen["client"] + 1, (name, seen)  # nothing hidden to scroll to
        last_header_right = seen["left"] + INDEX_WIDTH + CELL_WIDTH * int(cols)
        assert last_header_right <= seen["right"] + 1, (name, seen)
        assert seen["right"] <= outer["x"] + outer["width"] and seen["right"] <= viewport, (name, seen, outer)
    no_exception(page)
    box.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    box.screenshot(path=str(ARTIFACTS / f"editors-4x6-{page.size_name}.png"))


def test_a_pasted_matrix_reaches_the_drawing(page):
    goto(page, "residual_block?step=1")
    box = open_editors(page)
    popover = box.locator("[data-testid='stPopover']").first  # X's
    popover.locator("button").first.click()
    body = page.locator("[data-testid='stPopoverBody']").filter(has=page.locator("textarea")).first
    body.locator("textarea").fill("array([[ 7. ,  0.5,  0. ],\n       [ 0. ,  1. ,  1. ],\n"
                                  "       [ 2. , -1. ,  1. ]])")
    body.get_by_role("button", name="Use this matrix").click()
    wait_idle(page)
    wait_for_text(page, text_view, r"7\s+1/2\s+0")  # step 1 shows the given X
    wait_for_link(page, "X", "7,1/2,0;0,1,1;2,-1,1")
    no_exception(page)
    shot(page, "editors-pasted")


def test_a_wrong_shape_paste_shows_its_message(page):
    goto(page, "residual_block")
    box = open_editors(page)
    box.locator("[data-testid='stPopover']").first.locator("button").first.click()
    body = page.locator("[data-testid='stPopoverBody']").filter(has=page.locator("textarea")).first
    body.locator("textarea").fill("1 2\n3 4")
    body.get_by_role("button", name="Use this matrix").click()
    wait_idle(page)
    alert = page.locator("[data-testid='stAlert']").filter(has_text="X is 3×3 here; the pasted matrix is 2×2")
    alert.first.wait_for()
    assert link_matrix(page, "X") is None  # the example stays the default
    no_exception(page)


def _type_into(page, editor, row: int, col: int, text: str) -> None:
    """Click cell (row, col) (0-based) of a data editor as a hand does, open its editor, type ``text`` and
    Enter, then wait for the rerun. A click may land before the grid is laid out, or only focus it: the
    editor that opens must sit on that cell (else Escape, and click again)."""
    canvas = editor.locator("[data-testid='data-grid-canvas']").first
    box = page.locator("textarea").first
    canvas.scroll_into_view_if_needed()
    for _ in range(5):
        b = canvas.bounding_box()
        x, y = b["x"] + INDEX_WIDTH + CELL_WIDTH * col, b["y"] + HEADER_HEIGHT + ROW_HEIGHT * row
        page.mouse.move(x + CELL_WIDTH / 2, y + ROW_HEIGHT / 2, steps=5)
        page.mouse.click(x + CELL_WIDTH / 2, y + ROW_HEIGHT / 2)
        page.wait_for_timeout(300)
        if not box.is_visible():
            page.keyboard.press("Enter")  # the cell selected: open its editor
        try:
            box.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeout:
            continue
        t = box.bounding_box()
        if t and abs(t["y"] + t["height"] / 2 - (y + ROW_HEIGHT / 2)) < ROW_HEIGHT / 2 \
                and abs(t["x"] + t["width"] / 2 - (x + CELL_WIDTH / 2)) < CELL_WIDTH / 2:
            break
        page.keyboard.press("Escape")  # another cell's editor: close it unchanged
        box.wait_for(state="hidden", timeout=5_000)
    else:
        raise AssertionError(f"the editor of cell {row}, {col} did not open")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text, delay=30)
    page.wait_for_timeout(150)  # a fast Enter can drop the edit in the grid itself (glide-data-grid PR #1201)
    page.keyboard.press("Enter")
    box.wait_for(state="hidden", timeout=5_000)
    wait_idle(page)


# Typed faster (0.3 s between cells), values are lost: Streamlit re-renders every data editor of the
# fragment when the rerun of another editor's edit finishes, so a cell editor open at that moment is reset
# (its text selected, then overwritten), and a click into another editor then may only focus its grid, so
# the typing lands in the cell selected before (streamlit issue #7831). None is lost when each rerun is
# waited for, which is what this test holds the page to.
def test_typing_in_two_editors_one_after_the_other_keeps_every_value(page):
    goto(page, "residual_block")
    box = open_editors(page)
    editors = box.locator("[data-testid='stDataFrame']")
    typed = {"X": [["1", "2", "0"], ["0", "1", "1"], ["2", "-1", "1"]],
             "W1": [["1", "0", "1"], ["0", "1", "-1"], ["-1", "1", "0"]]}
    for i in range(3):  # the diagonals: X[i, i] = 11 + i, W1[i, i] = 21 + i, each right after the other
        for k, name, value in ((0, "X", 11 + i), (1, "W1", 21 + i)):
            _type_into(page, editors.nth(k), i, i, str(value))
            typed[name][i][i] = str(value)
            # its rerun waited for: the link holds it (a busy machine reruns late)
            wait_for_link(page, name, ";".join(",".join(r) for r in typed[name]), 30_000)
    wait_for_link(page, "X", "11,2,0;0,12,1;2,-1,13", 30_000)
    wait_for_link(page, "W1", "21,0,1;0,22,-1;-1,1,23", 30_000)
    no_exception(page)

"""The app in headless Chromium: every page loads, edits show up downstream, stepping and play work.

Expected numbers are the hand-worked ones of tests/test_app_pages.py: on the residual block's
default example Out = [[4, 0, 0], [0, 3, 2], [6, 1, 2]], and with X[1, 1] = 5 its first row is
12 0 0. Screenshots go to test-artifacts/ (also at a 1280 × 800 "projector" size).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from apptest_helpers import matrix_in_text_view

from .conftest import BROWSER, edit_cell, goto, no_exception, shot, wait_idle

pytestmark = [pytest.mark.timeout(300), BROWSER]


def text_view(page) -> str:
    """The current step's text view (it is in the DOM while its expander is closed)."""
    box = page.locator("[data-testid='stExpander']").filter(has_text="Text / LaTeX view")
    return box.locator("code").first.text_content() or ""


def step_title(page) -> str:
    return page.locator("h3").filter(has_text=re.compile(r"^Step \d+ of \d+")).first.inner_text()


def wait_for_text(page, fn, pattern: str, timeout_ms: int = 15_000) -> str:
    """Poll ``fn(page)`` until it matches ``pattern``; return the last value."""
    waited, value = 0, ""
    while waited <= timeout_ms:
        value = fn(page)
        if re.search(pattern, value):
            return value
        page.wait_for_timeout(200)
        waited += 200
    raise AssertionError(f"{pattern!r} did not appear; last value: {value!r}")


def open_editors(page):
    """Open the "Edit the example" expander and return it."""
    box = page.locator("[data-testid='stExpander']").filter(has_text="Edit the example")
    box.locator("summary").first.click()
    box.locator("[data-testid='stDataFrame']").first.wait_for(state="visible")
    return box


def test_every_page_in_the_navigation_loads(page):
    goto(page)
    links = page.locator("[data-testid='stSidebarNav'] a")
    names = [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(names) >= 3, names
    for name, href in zip(names, hrefs):
        page.goto(href)
        wait_idle(page)
        page.locator("h1").first.wait_for()
        no_exception(page)
        shot(page, "page-" + re.sub(r"\W+", "-", name.lower()).strip("-"))


def test_navigating_between_pages(page):
    goto(page)
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for()  # the page is laid out: cards stay put
    page.locator("[data-testid='stPageLink'] a[href$='residual_block']").click()
    wait_idle(page)
    page.locator("h1").filter(has_text="Residual block").wait_for(timeout=15_000)
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text="Transformer encoder block").click()
    wait_idle(page)
    page.locator("h1").filter(has_text="Transformer encoder block").wait_for(timeout=15_000)
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text="Home").click()
    wait_idle(page)
    page.locator("h1").filter(has_text="ByHand").wait_for(timeout=15_000)
    no_exception(page)


def test_editing_a_cell_updates_the_output(page):
    goto(page, "residual_block?step=4")
    assert matrix_in_text_view(text_view(page), "Out")[0] == ["4", "0", "0"]
    editors = open_editors(page)
    edit_cell(page, editors.locator("[data-testid='stDataFrame']").first, 0, 0, "5")
    wait_for_text(page, text_view, r" 12 0 0\n")  # Out's first row ends the first line of L, P, Out
    assert matrix_in_text_view(text_view(page), "Out")[0] == ["12", "0", "0"]
    assert "m.X=" in page.url  # the edited example is in the link
    no_exception(page)
    shot(page, "residual-edited")


def test_a_bad_cell_shows_a_message_and_keeps_the_drawing(page):
    goto(page, "residual_block?step=4")
    editors = open_editors(page)
    edit_cell(page, editors.locator("[data-testid='stDataFrame']").first, 1, 2, "abc")
    alert = page.locator("[data-testid='stAlert']").filter(has_text="X, row 2, column 3").first
    alert.wait_for()
    assert "not a number" in alert.inner_text()
    assert matrix_in_text_view(text_view(page), "Out")[0] == ["4", "0", "0"]  # the last valid example
    no_exception(page)
    shot(page, "residual-bad-cell")


def test_next_and_play_advance_the_step(page):
    goto(page, "residual_block")
    assert step_title(page).startswith("Step 1 of 4")
    page.get_by_role("button", name="Next").click()
    wait_for_text(page, step_title, r"^Step 2 of 4")  # a busy machine may start the rerun late
    page.keyboard.press("PageDown")  # a presentation clicker's "next"
    wait_for_text(page, step_title, r"^Step 3 of 4")
    page.keyboard.press("PageUp")
    wait_for_text(page, step_title, r"^Step 2 of 4")
    page.get_by_text("Fast", exact=True).click()
    wait_idle(page)
    page.get_by_text("Play", exact=True).click()
    wait_for_text(page, step_title, r"^Step 3 of 4", 25_000)
    wait_for_text(page, step_title, r"^Step 4 of 4", 25_000)
    no_exception(page)
    shot(page, "residual-played")


def test_picking_a_cell_with_the_keyboard_selectboxes(page):
    goto(page, "residual_block?step=4")
    for label, value in (("Row", "1"), ("Column", "1")):
        box = page.locator("[data-testid='stSelectbox']").filter(has_text=label).first
        box.click()
        page.keyboard.type(value)
        page.keyboard.press("Enter")
        wait_idle(page)
    code = page.locator("[data-testid='stCode']").filter(has_text="X + F(X) [1, 1]").first
    assert "1·1 + 0·0 + 0·2 + 1·3 + (−1)·0 + 0·0 + 0·1 = 4" in code.inner_text()
    shot(page, "residual-picked")


def _domains(spec) -> tuple[list, list]:
    """The x and y scale domains of a by-hand chart's spec (every layer shares them)."""
    if isinstance(spec, dict):
        enc = spec.get("encoding", {})
        if "domain" in enc.get("x", {}).get("scale", {}) and "domain" in enc.get("y", {}).get("scale", {}):
            return enc["x"]["scale"]["domain"], enc["y"]["scale"]["domain"]
        items = spec.values()
    elif isinstance(spec, list):
        items = spec
    else:
        return None
    for v in items:
        found = _domains(v)
        if found:
            return found
    return None


def _boxes(spec):
    """Every data row of the spec (the boxes with their x, y, x2, y2, region, row, col)."""
    if isinstance(spec, dict):
        for v in spec.get("data", {}).get("values", []) if isinstance(spec.get("data"), dict) else []:
            yield v
        for v in spec.values():
            if isinstance(v, (dict, list)):
                yield from _boxes(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from _boxes(v)


def cell_centre(step, region: str, row: int, col: int, chart_box: dict) -> tuple[float, float]:
    """Where box (region, row, col) of ``step``'s chart is on screen, from the chart's own spec."""
    from byhand.ui.controls import fitted_chart

    spec = fitted_chart(step).to_dict()
    (x0, x1), (y0, y1) = _domains(spec)
    box = next(b for b in _boxes(spec) if b.get("region") == region and b.get("row") == row
               and b.get("col") == col)
    pad = spec.get("padding", {"left": 4, "top": 4})
    inner_w = chart_box["width"] - pad["left"] - pad.get("right", pad["left"])
    inner_h = chart_box["height"] - pad["top"] - pad.get("bottom", pad["top"])
    cx, cy = (box["x"] + box["x2"]) / 2, (box["y"] + box["y2"]) / 2
    return (chart_box["x"] + pad["left"] + (cx - x0) / (x1 - x0) * inner_w,
            chart_box["y"] + pad["top"] + (cy - y0) / (y1 - y0) * inner_h)


def test_clicking_a_product_cell_writes_its_dot_product(page):
    from byhand import default_residual, residual_block

    goto(page, "residual_block?step=2")
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.wait_for()
    page.wait_for_timeout(500)
    step = residual_block(**default_residual()).steps[1]
    # H = ReLU([W1 | b1]·[X; 1]); cell (2, 1): 0·1 + 1·0 + (−1)·2 + 1·1 = −1
    x, y = cell_centre(step, "product", 1, 0, chart.bounding_box())
    page.mouse.click(x, y)
    wait_idle(page)
    code = page.locator("[data-testid='stCode']").filter(has_text="W1·X + b1 [2, 1]").first
    code.wait_for()
    assert "0·1 + 1·0 + (−1)·2 + 1·1 = −1" in code.inner_text()
    shot(page, "residual-clicked-cell")


def test_encoder_edit_and_torch_variant(page):
    goto(page, "encoder_block?step=7")
    assert matrix_in_text_view(text_view(page), "Out") == [["0", "0", "0"], ["11", "17", "5"]]
    editors = open_editors(page)
    b2 = editors.locator("[data-testid='stDataFrame']").nth(5)
    edit_cell(page, b2, 0, 0, "10")
    wait_for_text(page, text_view, r"ReLU → +6 +3 25/3\n")  # Out's first row, after the op's arrow
    assert matrix_in_text_view(text_view(page), "Out") == [["6", "3", "25/3"], ["11", "17", "5"]]
    page.get_by_text("PyTorch TransformerEncoderLayer", exact=True).click()
    wait_idle(page)
    assert step_title(page).startswith("Step ")
    no_exception(page)
    shot(page, "encoder-torch")


@pytest.mark.parametrize("path, name", [
    ("", "home"), ("residual_block?step=2", "residual-step2"), ("residual_block?step=4", "residual-step4"),
    ("encoder_block?step=2", "encoder-step2"), ("encoder_block?step=7", "encoder-step7"),
    ("encoder_block?v=torch&step=5", "encoder-torch-step5")])
def test_projector_screenshots(browser, app_url, warm_app, path, name):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.app_url = app_url
    try:
        goto(pg, path)
        pg.wait_for_timeout(500)
        no_exception(pg)
        shot(pg, f"projector-{name}", full=False)
    finally:
        context.close()


def _print_this_example(page, button: str, path):
    """Open "Print this example" and download one of its files to ``path``; its bytes."""
    page.get_by_role("button", name=re.compile("Print this example")).click()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=re.compile(button)).click()
    info.value.save_as(path)
    return path.read_bytes()


def test_gif_for_slides_downloads_a_gif(page, tmp_path):
    goto(page, "residual_block")
    data = _print_this_example(page, "GIF for slides", tmp_path / "slides.gif")
    assert data[:6] == b"GIF89a" and len(data) > 1000
    no_exception(page)


def test_the_worksheet_prints_the_edited_example_on_screen(page, tmp_path):
    """Edit X[1, 1] to 5 (Out's first row becomes 12 0 0, worked by hand in tests/test_app_pages.py):
    the worksheet's answer key, the spreadsheet and the example file all hold the edited example."""
    import io
    import json

    import openpyxl
    from pypdf import PdfReader

    goto(page, "residual_block?step=4")
    editors = open_editors(page)
    edit_cell(page, editors.locator("[data-testid='stDataFrame']").first, 0, 0, "5")
    wait_for_text(page, text_view, r" 12 0 0\n")  # Out's first row ends the first line of L, P, Out
    pdf = _print_this_example(page, "Worksheet with answer key", tmp_path / "w.pdf")
    page.keyboard.press("Escape")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Answer key" in text and "12" in text
    example = json.loads(_print_this_example(page, "Example \\(JSON\\)", tmp_path / "e.json"))
    assert example["block"] == "residual" and example["matrices"]["X"][0][0] == "5"
    page.keyboard.press("Escape")
    xlsx = _print_this_example(page, "Spreadsheet", tmp_path / "w.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    values = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert 5 in values  # the edited X[1, 1] is a given cell of the sheet
    assert 12 not in values and "12" not in values  # the student's file holds no answer
    page.keyboard.press("Escape")
    key = _print_this_example(page, "Answer key \\(XLSX\\)", tmp_path / "k.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(key))
    answers = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert 12 in answers or "12" in answers  # the teacher's key holds the edited example's answer
    page.keyboard.press("Escape")
    notebook = json.loads(_print_this_example(page, "Notebook", tmp_path / "n.ipynb"))
    code = "\n\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    (tmp_path / "notebook.py").write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, "notebook.py"], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-1500:]
    assert "M['X'] = T([[5.0, 2.0, 0.0]," in code  # the edited X, worked again in PyTorch
    assert "✓ Out (3×3) agrees" in done.stdout and "[[12.0, 0.0, 0.0]," in code  # Out's row 1 by hand
    no_exception(page)

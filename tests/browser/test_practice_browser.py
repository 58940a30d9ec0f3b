"""The practice page in headless Chromium: open a shared exercise, type answers, check, hint, download."""

from urllib.parse import unquote

from byhand.numbers import fmt
from byhand.practice import ExerciseSpec

from .conftest import BROWSER, edit_cell, goto, no_exception, shot, wait_idle

pytestmark = BROWSER


def test_practice_round_in_the_browser(page, tmp_path):
    goto(page, "practice?ex=residual/5")
    no_exception(page)
    assert "ex=residual/5" in unquote(page.url)
    ex = ExerciseSpec.parse("residual/5").exercise()
    first, second = ex.cells[0], ex.cells[1]  # row 1, columns 1 and 2 of W1·X + b1
    editor = page.locator("[data-testid='stDataFrame']").first
    edit_cell(page, editor, first.row, first.col, fmt(first.answer, minus="-"))
    edit_cell(page, editor, second.row, second.col, str(int(second.answer) + 1))
    page.get_by_role("button", name="Check this step").first.click()
    wait_idle(page)
    page.get_by_text(f"1 of {len(ex.cells_of(1))} right").first.wait_for(timeout=30_000)
    # the hint picker starts at the first cell that is not right: the wrong one, level 1 first
    page.get_by_role("button", name="Hint 1 of 3").first.click()
    wait_idle(page)
    page.get_by_text(f"Row {second.row + 1} of [W1 | b1] meets column {second.col + 1}").first.wait_for(
        timeout=30_000)
    page.get_by_role("button", name="Check the whole sheet").click()
    wait_idle(page)
    no_exception(page)
    metric = page.locator("[data-testid='stMetricValue']")
    metric.first.wait_for(timeout=30_000)
    assert metric.nth(0).inner_text().strip() == f"1 / {len(ex.cells)}"
    assert metric.nth(1).inner_text().strip() == "1"  # one hint level used
    shot(page, "practice-checked")
    with page.expect_download() as info:
        page.get_by_role("button", name="Worksheet (PDF)").click()
    path = tmp_path / "sheet.pdf"
    info.value.save_as(path)
    assert path.read_bytes()[:5] == b"%PDF-"


def test_a_tampered_link_shows_a_message(page):
    goto(page, "practice?ex=residual/not-a-seed")
    no_exception(page)
    assert page.get_by_text("cannot be read").count() >= 1
    assert "ex=residual/1" in unquote(page.url)  # the default, written back

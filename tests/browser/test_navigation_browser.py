"""The app's navigation in Chromium: built from the block registry, and a deep link opened first
after the server starts still goes through app.py (sidebar sections, wide layout).

The self-attention block has no page file: its page is the standard walkthrough page, reached
from the sidebar, from its home card and from a link.
"""

from __future__ import annotations

import pytest

from byhand.ui.site import pages

from .conftest import BROWSER, IDLE, goto, no_exception, shot, streamlit_server, wait_idle

pytestmark = [pytest.mark.timeout(300), BROWSER]


def sidebar_links(page) -> list[str]:
    nav = page.locator("[data-testid='stSidebarNav']")
    nav.wait_for(timeout=30_000)
    return [t.strip() for t in nav.locator("a").all_inner_texts()]


def test_a_first_deep_link_opens_through_the_apps_navigation(browser):
    with streamlit_server("streamlit-deep-link.log") as url:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        try:
            page.goto(f"{url}/encoder_block?step=2")  # the server's very first request
            page.wait_for_selector(IDLE, timeout=60_000)
            titles = [p.title for p, _ in pages()]
            links = sidebar_links(page)
            assert all(any(t in link for link in links) for t in titles), links
            assert page.locator("h1").first.inner_text().startswith("Transformer encoder block")
            no_exception(page)
        finally:
            context.close()


def test_every_registered_page_is_in_the_sidebar_in_its_section(page):
    goto(page)
    links = sidebar_links(page)
    assert [t for t in (p.title for p, _ in pages()) if not any(t in link for link in links)] == []
    sections = page.locator("[data-testid='stNavSectionHeader']").all_inner_texts()
    assert [s.strip() for s in sections] == ["Start", "Walkthroughs", "Why & practice", "Classroom"]


def test_the_home_card_of_a_page_without_a_file_opens_it(page):
    goto(page)
    cards = page.locator("[data-testid='stPageLink'] a")
    cards.first.wait_for()
    assert cards.count() == len(pages()) - 1  # every page but home has its card
    cards.filter(has_text="Open").and_(page.locator("a[href$='self_attention']")).click()
    wait_idle(page)
    page.locator("h1").filter(has_text="Self-attention, by hand").wait_for(timeout=15_000)
    assert "/self_attention" in page.url
    no_exception(page)


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_the_standard_page_steps_in_the_browser(page, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    goto(page, "self_attention?step=5")
    page.locator("h3").filter(has_text="Step 5 of 7").wait_for(timeout=15_000)
    page.get_by_role("button", name="Next").click()
    wait_idle(page)
    page.locator("h3").filter(has_text="Step 6 of 7").wait_for(timeout=15_000)  # waits for the rerun
    no_exception(page)
    shot(page, f"self-attention-{size[0]}x{size[1]}", full=False)

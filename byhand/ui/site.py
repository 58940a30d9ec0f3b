"""The app's pages, in the sidebar's order: the home page, one page per block with a page in the
registry (its own file, or the standard walkthrough page), then practice.

``app.py`` builds its navigation from here and the home page draws its cards from here, so a
block registered with a ``Page`` shows up in both with no other change.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import streamlit as st

from ..blocks import BLOCKS, Page
from .walkthrough_page import walkthrough_page

__all__ = ["ROOT", "HOME", "PRACTICE", "pages", "st_page", "navigation"]

ROOT = Path(__file__).resolve().parents[2]  # the project: page files are relative to it

HOME = Page("home", "Home", ":material/home:", "", file="app_pages/home.py", section="Start")
PRACTICE = Page("practice", "Practice", ":material/edit_note:",
                "Blank cells to fill in and check, and worksheets to print (PDF) or fill in (XLSX).",
                file="app_pages/practice.py", section="Why & practice")


def pages() -> list[tuple[Page, str | None]]:
    """Every page with the block it shows (None for home and practice), walkthroughs before "Why"."""
    blocks = [(bt.page, bt.name) for bt in BLOCKS.values() if bt.page is not None]
    blocks.sort(key=lambda pb: pb[0].section != "Walkthroughs")  # stable: registry order otherwise
    return [(HOME, None), *blocks, (PRACTICE, None)]


def st_page(page: Page, block: str | None) -> st.Page:
    """The ``st.Page`` of a page: its file, or the standard walkthrough page of ``block``."""
    if page.file is not None:
        return st.Page(ROOT / page.file, title=page.title, icon=page.icon, url_path=page.url,
                       default=page is HOME)
    return st.Page(partial(walkthrough_page, block), title=page.title, icon=page.icon, url_path=page.url)


def navigation() -> dict[str, list[st.Page]]:
    """The sidebar's sections with their pages."""
    sections: dict[str, list[st.Page]] = {}
    for page, block in pages():
        sections.setdefault(page.section, []).append(st_page(page, block))
    return sections

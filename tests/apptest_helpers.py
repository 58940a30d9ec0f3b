"""Shared AppTest helpers: open a page through app.py's navigation, type into a data editor, read errors."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str, query: dict | None = None, state: dict | None = None,
              timeout: float = 60) -> AppTest:
    """The app on ``page`` after its first run, with ``query`` in the URL and ``state`` preset."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception
    if query:
        at.query_params.update(query)
    for k, v in (state or {}).items():
        at.session_state[k] = v
    at.switch_page(page)
    at.run()
    return at


def edit(at: AppTest, key: str, row: int, col: int, value) -> AppTest:
    """Type ``value`` into cell (row, col) (0-based) of the data editor ``key`` and rerun."""
    at.session_state[key] = {"edited_rows": {row: {str(col + 1): value}}, "added_rows": [],
                             "deleted_rows": []}
    return at.run()


def errors(at: AppTest) -> str:
    """Every error message on the page, without the markdown escapes (``\\:``) messages may carry."""
    return " ".join(e.value for e in at.error).replace("\\", "")

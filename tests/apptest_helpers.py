"""Shared AppTest helpers: open a page through app.py's navigation, type into a data editor, read errors."""

from __future__ import annotations

import re
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


def matrix_in_text_view(text: str, name: str) -> list[list[str]] | None:
    """The rows of matrix ``name`` in a step's text view (``byhand.render.text``), ``−`` read as ``-``.

    The view names each matrix under it, at its first column: on the line under the matrices (the
    last line), or under a result drawn below its product (after ``op ↓``). The matrix is the lines
    above its name, from that column on (a product's result, right of it, is named on its own).
    None if ``name`` is not named there.
    """
    lines = text.splitlines()
    for k in range(len(lines) - 1, 0, -1):
        if k != len(lines) - 1 and "↓" not in lines[k + 1]:
            continue  # not a line of names
        # names are kept apart by two spaces or more; "Z = X·A" names both Z and X·A
        x = next((m.start() for m in re.finditer(r"\S+(?: \S+)*", lines[k])
                  if name == m.group() or name in m.group().split(" = ")), None)
        if x is None:
            continue
        rows = []
        for line in reversed(lines[:k]):
            if not line.strip() or "↓" in line:
                break
            if line[x:].split():  # a rule between L's parts ends before the product
                rows.append(line[x:].replace("\u2212", "-").split())
        return rows[::-1]
    return None

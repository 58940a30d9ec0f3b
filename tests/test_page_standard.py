"""The standard walkthrough page that a block with no page file of its own gets (AppTest).

Such a page is a callable in the app's navigation; AppTest runs the same callable as its script.
Every such block is covered: its page loads, steps, takes an edit, keeps the last valid example
on a bad cell, and opens from a link.
"""

from __future__ import annotations

import pytest
from apptest_helpers import edit, errors
from streamlit.testing.v1 import AppTest

from byhand.blocks import BLOCKS

STANDARD = [name for name, bt in BLOCKS.items() if bt.page is not None and bt.page.file is None]


def _page(name: str) -> None:
    import streamlit as st

    from byhand.ui.walkthrough_page import walkthrough_page

    st.set_page_config(layout="wide")
    walkthrough_page(name)


def open_standard(name: str, query: dict | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_function(_page, args=(name,), default_timeout=60)
    if query:
        at.query_params.update(query)
    for k, v in (state or {}).items():
        at.session_state[k] = v
    return at.run()


def step_title(at: AppTest) -> str:
    return at.subheader[0].value


def test_there_is_a_block_with_the_standard_page():
    assert "attention" in STANDARD


@pytest.mark.parametrize("name", STANDARD)
def test_page_loads_and_steps(name):
    at = open_standard(name)
    assert not at.exception and not at.error
    assert at.title[0].value.endswith(", by hand")
    n = len(BLOCKS[name].build(**BLOCKS[name].default()).steps)
    assert step_title(at).startswith(f"Step 1 of {n}:")
    next(b for b in at.button if b.key == f"{name}.next").click().run()
    assert step_title(at).startswith(f"Step 2 of {n}:")


@pytest.mark.parametrize("name", STANDARD)
def test_a_bad_cell_names_matrix_and_cell_and_the_example_stays(name):
    at = open_standard(name, state={f"{name}.step": 2})
    first = BLOCKS[name].names[0]
    edit(at, f"{name}.edit.{first}", 0, 0, "abc")
    assert not at.exception
    assert f"{first}, row 1, column 1" in errors(at)
    assert step_title(at).startswith("Step 2 of")


@pytest.mark.parametrize("name", STANDARD)
def test_a_link_opens_a_seeded_example_at_its_step(name):
    at = open_standard(name, query={"seed": "7", "step": "3"})
    assert not at.exception and not at.warning
    assert step_title(at).startswith("Step 3 of")
    assert at.session_state[f"{name}.seed"] == 7


@pytest.mark.parametrize("name", [n for n in STANDARD if BLOCKS[n].reference is not None])
def test_torch_check_agrees(name):
    pytest.importorskip("torch")
    at = open_standard(name, state={f"{name}.torch": True})
    assert not at.exception
    assert any(s.value.startswith("✓ PyTorch agrees") for s in at.success)

"""Links always reopen what is on screen (issue 15 §4), and crafted widget states are bad input.

After every action (an edit, a resize, an out-of-range size, a bad cell) the page's link, read back the
way a new session reads it (``byhand.example.read_example``), gives exactly the example drawn: the
last valid one. A data editor's state that no browser sends (a row or column out of range, a negative
index, rows added to a fixed editor, a value that is not text) gives a message, never a traceback.
"""

from __future__ import annotations

import pytest
from apptest_helpers import edit, open_page

from byhand.example import ExampleSpec, conv_spec, read_example
from byhand.practice import ExerciseSpec
from byhand.ui.editors import editor_key

CONV = conv_spec("basic", "identity", 1)
PAGES = {  # page → (spec, a matrix to edit, a size input)
    "app_pages/why_residual.py": ("why", "x", "features"),
    "app_pages/conv_block.py": (CONV.ns, "x1", "size"),
    "app_pages/residual_block.py": ("residual", "X", "features"),
    "app_pages/encoder_block.py": ("encoder", "X", "positions"),
}


def spec_of(ns: str) -> ExampleSpec:
    from byhand.blocks import block_type

    if ns == CONV.ns:
        return CONV
    return ExampleSpec.of(block_type("jacobian" if ns == "why" else ns), ns)


def link(at) -> dict[str, str]:
    return {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in at.query_params}


def assert_link_reopens(at, ns: str, what) -> None:
    assert not at.exception, (what, [e.value for e in at.exception])
    found, messages = read_example(link(at), spec_of(ns))
    assert not messages, (what, messages)
    assert found["base"] == at.session_state[f"{ns}.valid"], (what, link(at))


@pytest.mark.parametrize("page", list(PAGES))
def test_a_rejected_size_keeps_the_link_of_the_example_on_screen(page):
    ns, name, size = PAGES[page]
    at = open_page(page)
    key = f"{ns}.size.{size}"
    low, high = next((s.low, s.high) for s in spec_of(ns).sizes if s.name == size)
    steps = [("edit", "5"), ("size", high), ("edit", "7"), ("size", 0), ("size", -1), ("size", high + 1),
             ("size", 10**9), ("edit", "abc"), ("size", low), ("size", 10**9), ("edit", "1/3"),
             ("size", -5)]
    for action, value in steps:
        if action == "edit":
            edit(at, editor_key(ns, name), 0, 0, value)
        else:
            at.number_input(key=key).set_value(value).run()
            if not low <= value <= high:
                assert any("must be a whole number" in e.value for e in at.error), (action, value)
        assert_link_reopens(at, ns, (action, value))


CRAFTED = {
    "row past the end": {"edited_rows": {99: {"1": "5"}}, "added_rows": [], "deleted_rows": []},
    "negative row": {"edited_rows": {-1: {"1": "5"}}, "added_rows": [], "deleted_rows": []},
    "column past the end": {"edited_rows": {0: {"99": "5"}}, "added_rows": [], "deleted_rows": []},
    "column zero": {"edited_rows": {0: {"0": "5"}}, "added_rows": [], "deleted_rows": []},
    "column not a number": {"edited_rows": {0: {"x": "5"}}, "added_rows": [], "deleted_rows": []},
    "row not a number": {"edited_rows": {"x": {"1": "5"}}, "added_rows": [], "deleted_rows": []},
    "rows added": {"edited_rows": {}, "added_rows": [{"1": "5"}], "deleted_rows": []},
    "rows deleted": {"edited_rows": {}, "added_rows": [], "deleted_rows": [0, 1]},
    "deleted past the end": {"edited_rows": {}, "added_rows": [], "deleted_rows": [99]},
    "value a list": {"edited_rows": {0: {"1": [1, 2]}}, "added_rows": [], "deleted_rows": []},
    "value a dict": {"edited_rows": {0: {"1": {"a": 1}}}, "added_rows": [], "deleted_rows": []},
    "edited rows a list": {"edited_rows": [1, 2], "added_rows": [], "deleted_rows": []},
    "not a dict": "junk",
}


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("state", CRAFTED.values(), ids=CRAFTED.keys())
def test_a_crafted_editor_state_is_bad_input(page, state):
    ns, name, _ = PAGES[page]
    at = open_page(page)
    before = at.session_state[f"{ns}.valid"]
    at.session_state[editor_key(ns, name)] = state
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[f"{ns}.valid"] == before  # nothing of the crafted state is drawn
    assert any("do not fit" in e.value for e in at.error), [e.value for e in at.error]
    assert_link_reopens(at, ns, state)


@pytest.mark.parametrize("state", CRAFTED.values(), ids=CRAFTED.keys())
def test_a_crafted_answer_editor_state_on_practice_is_bad_input(state):
    at = open_page("app_pages/practice.py")
    code = at.session_state["practice.code"]
    cell = ExerciseSpec.parse(code).exercise().cells[0]
    at.session_state[f"practice.{code}.{cell.step}.{cell.region}"] = state
    at.button(key="practice.check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("do not fit" in e.value for e in at.error), [e.value for e in at.error]
    assert at.metric[0].value.startswith("0 / ")  # nothing of the crafted state was read as an answer

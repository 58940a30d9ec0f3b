"""The pages' state helpers without a running app: links (byhand/ui/share.py), editors' examples, autoplay."""

from __future__ import annotations

from fractions import Fraction

import pytest

from byhand import ByHandError, default_residual, random_residual
from byhand.blocks import Size
from byhand.example import (
    ExampleSpec,
    example_params,
    read_choice,
    read_example,
    read_int,
    rows_to_text,
    text_to_rows,
    to_rows,
)
from byhand.ui.controls import advance
from byhand.ui.editors import md_escape

SPEC = ExampleSpec(
    "t", ("X", "W1", "b1", "W2", "b2"),
    (Size("samples", "Samples", "n", 3), Size("features", "Features", "d", 3),
     Size("hidden", "Hidden", "h", 3)),
    default_residual, random_residual)
DEFAULT_X = [["1", "2", "0"], ["0", "1", "1"], ["2", "-1", "1"]]


def test_advance_moves_one_step_and_stops_at_the_last():
    assert advance(1, 4, True) == (2, True)
    assert advance(3, 4, True) == (4, False)
    assert advance(4, 4, True) == (4, False)
    assert advance(2, 4, False) == (2, False)


def test_md_escape_keeps_links_and_markup_out():
    # a word GFM could autolink is a code span (escaping alone still gives a link: issue 15 §3)
    assert md_escape("[a](http://x) *b* `c`") == r"`[a](http://x)` \*b\* \`c\`"
    assert md_escape("X, row 2, column 3: '1/3'") == "X, row 2, column 3\\: '1/3'"


def test_to_rows_prints_exact_values_as_typed():
    assert to_rows("b", [Fraction(-1, 2), 3]) == [["-1/2"], ["3"]]
    assert to_rows("W", [[1, 0.25]]) == [["1", "0.25"]]  # a float stays a float


def test_matrix_text_round_trip():
    rows = [["1", "-1/2"], ["0", "3"]]
    assert rows_to_text(rows) == "1,-1/2;0,3"
    assert text_to_rows("W", "1,-1/2;0,3") == rows
    assert text_to_rows("W", " 1 , 0.5 ") == [["1", "1/2"]]


@pytest.mark.parametrize("text, words", [
    ("1,x;0,3", "W, row 1, column 2"), ("1,2;3", "row 2 has 1 cells"), ("nan", "not finite"),
    ("1e308", "too large"), (";".join(["1"] * 9), "at most 8 rows"), ("1" * 2000, "too long"),
    ("1,,2", "W, row 1, column 2: the cell is empty")])
def test_bad_matrix_text_raises_naming_the_cell(text, words):
    with pytest.raises(ByHandError) as e:
        text_to_rows("W", text)
    assert words in str(e.value)


def test_read_int_clamps_and_reports():
    messages: list[str] = []
    assert read_int({}, "n", 1, 8, 3, messages) == 3
    assert read_int({"n": "5"}, "n", 1, 8, 3, messages) == 5
    assert messages == []
    assert read_int({"n": "99"}, "n", 1, 8, 3, messages, "Samples") == 8
    assert read_int({"n": "0"}, "n", 1, 8, 3, messages) == 1
    assert read_int({"n": "2.5"}, "n", 1, 8, 3, messages) == 3
    assert read_int({"n": "9" * 400}, "n", 1, 8, 3, messages) == 8
    assert len(messages) == 4 and "Samples = 99" in messages[0] and "outside 1…8" in messages[0]


def test_read_choice():
    messages: list[str] = []
    assert read_choice({"v": "torch"}, "v", ("hand", "torch"), "hand", messages) == "torch"
    assert read_choice({"v": "<script>"}, "v", ("hand", "torch"), "hand", messages) == "hand"
    assert len(messages) == 1


def test_read_example_without_a_link_is_the_default():
    found, messages = read_example({}, SPEC)
    assert messages == []
    assert found["seed"] is None and found["sizes"] == {"samples": 3, "features": 3, "hidden": 3}
    assert found["base"]["X"] == DEFAULT_X


def test_read_example_from_a_seed_and_sizes():
    found, messages = read_example({"seed": "11", "n": "5", "d": "2"}, SPEC)
    assert messages == []
    assert found["seed"] == 11
    assert found["base"] == {k: to_rows(k, v) for k, v in random_residual(11, features=2, samples=5).items()}


def test_read_example_sizes_without_a_seed_use_seed_0():
    found, _ = read_example({"n": "2"}, SPEC)
    assert found["seed"] == 0 and len(found["base"]["X"][0]) == 2


def test_read_example_clamps_sizes():
    found, messages = read_example({"n": "50", "seed": "3"}, SPEC)
    assert found["sizes"]["samples"] == 8
    assert any("Samples = 50" in m for m in messages)


def test_read_example_with_an_edited_matrix():
    found, messages = read_example({"m.b2": "1/3;0;-1"}, SPEC)
    assert messages == []
    assert found["base"]["b2"] == [["1/3"], ["0"], ["-1"]]
    assert found["base"]["X"] == DEFAULT_X


@pytest.mark.parametrize("params, words", [
    ({"m.X": "1,2;3,4"}, "X in the link is 2×2 but this example's X is 3×3"),
    ({"m.b1": "a;b;c"}, "b1, row 1, column 1"),
    ({"m.W2": "inf,0,0;0,1,1;1,0,-1"}, "W2, row 1, column 1"),
])
def test_read_example_falls_back_to_the_default_on_a_bad_matrix(params, words):
    found, messages = read_example({**params, "seed": "5", "n": "3"}, SPEC)
    assert found["seed"] is None and found["base"]["X"] == DEFAULT_X
    assert len(messages) == 1 and words in messages[0] and "default example" in messages[0]


def test_example_params_round_trip():
    sizes = {"samples": 4, "features": 2, "hidden": 3}
    base = {k: to_rows(k, v) for k, v in random_residual(9, features=2, samples=4).items()}
    assert example_params(SPEC, sizes, 9, base) == {"seed": "9", "n": "4", "d": "2", "h": "3"}
    edited = {**base, "b1": [["1/2"], ["0"], ["-3"]]}
    params = example_params(SPEC, sizes, 9, edited)
    assert params["m.b1"] == "1/2;0;-3" and "m.X" not in params
    found, messages = read_example(params, SPEC)
    assert messages == [] and found["base"] == edited and found["sizes"] == sizes


def test_example_params_of_the_default_is_empty():
    base = {k: to_rows(k, v) for k, v in default_residual().items()}
    assert example_params(SPEC, SPEC.default_sizes(), None, base) == {}


def test_a_link_that_falls_back_to_the_default_says_only_that():
    """A clamped size is not announced when the whole example is dropped for the default one."""
    found, messages = read_example({"n": "50", "m.X": "1,2"}, SPEC)
    assert found["sizes"] == {"samples": 3, "features": 3, "hidden": 3} and found["seed"] is None
    assert len(messages) == 1 and messages[0].endswith("showing the default example.")
    assert "using 8" not in messages[0]


def test_a_step_past_the_end_says_the_last_step_is_shown():
    from byhand.example import read_step as _read_step

    messages: list[str] = []
    assert _read_step({"step": "99"}, messages) == 40  # the player then shows the walkthrough's last step
    assert messages == ["step = 99 in the link is past the last step; showing the last step."]
    messages.clear()
    assert _read_step({"step": "3"}, messages) == 3 and messages == []

"""The "Why residuals work" page under ``streamlit.testing.v1.AppTest``.

Expected numbers are worked out by hand (see tests/test_gradients.py for the default):
the default block at x = (2, 1, −1) with δ = (1, −1, 2) gives I + ∂F/∂x = [[2, −1, 2], [0, 2, −1],
[1, 0, 2]], δ·∂F/∂x = (3, −2, 5) and δ·(I + ∂F/∂x) = (4, −3, 7).

With x = (2, −5, −1) instead: z = W1·x + b1 = (2 − 1, −5 + 1 + 1, −2 − 5) = (1, −3, −7), so only
unit 1 is on: D·W1 = [[1, 0, 1], [0, 0, 0], [0, 0, 0]], ∂F/∂x = W2's first column (1, 0, 1) times
(1, 0, 1) = [[1, 0, 1], [0, 0, 0], [1, 0, 1]], I + ∂F/∂x = [[2, 0, 1], [0, 1, 0], [1, 0, 2]] and
δ·(I + ∂F/∂x) = (2 + 0 + 2, −1, 1 + 0 + 4) = (4, −1, 5).
"""

from __future__ import annotations

import pytest
from apptest_helpers import edit, errors, matrix_in_text_view
from apptest_helpers import open_page as open_app_page
from streamlit.testing.v1 import AppTest

PAGE = "app_pages/why_residual.py"


def open_page(query: dict | None = None, state: dict | None = None) -> AppTest:
    return open_app_page(PAGE, query, state, timeout=120)


def matrix_in_text(at: AppTest, name: str) -> list[list[str]]:
    """The rows of the matrix called ``name`` in the step's text view."""
    for block in at.code:
        rows = matrix_in_text_view(block.value, name)
        if rows is not None:
            return rows
    raise AssertionError(f"no {name} in {[c.value for c in at.code]}")


def first_subheader(at: AppTest) -> str:
    return at.subheader[0].value


def test_page_loads_with_every_section():
    at = open_page()
    assert not at.exception and not at.error
    assert at.title[0].value == "Why residual connections work"
    assert first_subheader(at) == "Step 1 of 9: Given one sample"
    assert [t.label for t in at.tabs] == ["The Jacobian by hand", "Unrolled", "Residual image",
                                         "Gradients at depth", "Plain vs residual training"]
    assert len(at.get("image")) == 4  # high, low, blown up, residual
    assert at.get("image")[1].captions == ["Low resolution: 24×24"]
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) == {"Input gradient, plain (mean draw)", "Input gradient, residual (mean draw)",
                            "Residual activations at the top"}
    assert list(at.dataframe[-1].value["depth"]) == [2, 8, 32]  # the training table, after the editors


def test_default_jacobian_and_backprop_by_hand():
    at = open_page(state={"why.step": 7})
    assert first_subheader(at) == "Step 7 of 9: The block's Jacobian I + ∂F/∂x"
    assert matrix_in_text(at, "I + ∂F/∂x") == [["2", "-1", "2"], ["0", "2", "-1"], ["1", "0", "2"]]
    at.session_state["why.step"] = 8
    at.run()
    assert matrix_in_text(at, "δ·∂F/∂x") == [["3", "-2", "5"]]
    at.button(key="why.next").click().run()
    assert first_subheader(at) == "Step 9 of 9: Backprop with the skip"
    assert matrix_in_text(at, "δ·(I + ∂F/∂x)") == [["4", "-3", "7"]]
    assert at.query_params["step"] == "9"


def test_edit_x_changes_the_jacobian_downstream():
    at = open_page(state={"why.step": 9})
    edit(at, "why.edit.x", 1, 0, "-5")
    assert not at.error
    assert matrix_in_text(at, "δ·(I + ∂F/∂x)") == [["4", "-1", "5"]]
    at.session_state["why.step"] = 7
    at.run()
    assert matrix_in_text(at, "I + ∂F/∂x") == [["2", "0", "1"], ["0", "1", "0"], ["1", "0", "2"]]
    assert "m.x" in at.query_params


def test_fractions_stay_exact():
    # δ = (1/2, −1, 2): δ·(I + ∂F/∂x) = (1/2·2 + 0 + 2, −1/2 − 2 + 0, 1/2·2 + 1 + 4) = (3, −5/2, 6)
    at = open_page(state={"why.step": 9})
    edit(at, "why.edit.delta", 0, 0, "1/2")
    assert matrix_in_text(at, "δ·(I + ∂F/∂x)") == [["3", "-5/2", "6"]]


def test_bad_cell_names_matrix_and_cell_and_keeps_last_valid():
    at = open_page(state={"why.step": 9})
    edit(at, "why.edit.W1", 0, 0, "abc")
    assert not at.exception
    assert "W1, row 1, column 1" in errors(at) and "not a number" in errors(at)
    assert "last valid example" in errors(at)
    assert matrix_in_text(at, "δ·(I + ∂F/∂x)") == [["4", "-3", "7"]]


def test_without_the_skip_only_the_plain_rule_is_left():
    at = open_page(state={"why.step": 6})
    at.toggle(key="why.skip").set_value(False).run()
    assert first_subheader(at) == "Step 6 of 6: Backprop without the skip"
    assert matrix_in_text(at, "δ·∂F/∂x") == [["3", "-2", "5"]]


def test_link_opens_a_step():
    at = open_page(query={"step": "5"})
    assert first_subheader(at) == "Step 5 of 9: The branch's Jacobian JF = ∂F/∂x"


def test_unrolled_view_adds_up_to_the_last_block():
    # default_unrolled: x0 = (1, 2), F1 = (2, 0), F2 = (−1, 2), F3 = (1, 0): x3 = (3, 4)
    at = open_page(state={"why.unrolled.step": 11})
    assert at.subheader[1].value == "Step 11 of 11: Unrolled: the input reaches the output"
    assert matrix_in_text(at, "x0 + F1 + F2 + F3") == [["3"], ["4"]]


def test_residual_image_factor():
    at = open_page()
    at.session_state["why.sr.factor"] = 2
    at.run()
    assert not at.exception
    assert at.get("image")[1].captions == ["Low resolution: 48×48"]


@pytest.mark.parametrize("key, value, message", [
    ("why.g.depth", 0, "depth must be from 1 to 10,000, not 0"),
    ("why.g.depth", 10**7, "depth must be from 1 to 10,000, not 10,000,000"),
    ("why.g.width", 0, "width must be from 1 to 256, not 0"),
])
def test_bad_gradient_settings_get_a_message(key, value, message):
    at = open_page()
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert message in errors(at) and "last valid setting" in errors(at)
    assert len(at.metric) == 3  # the last valid chart stays


def test_nan_or_negative_gain():
    """Streamlit's number input refuses NaN (it keeps its value; the engine would also refuse it, see
    tests/test_depth.py); a gain of 0 or below reaches the engine and gets its message."""
    at = open_page()
    at.selectbox(key="why.g.init").set_value("gain").run()
    at.number_input(key="why.g.gain").set_value(float("nan")).run()
    assert not at.exception and not at.error
    assert at.number_input(key="why.g.gain").value == 1.0
    at.number_input(key="why.g.gain").set_value(-1.0).run()
    assert not at.exception
    assert "gain must be a finite number above 0 and at most 1000" in errors(at)


def test_zero_initialised_branch_keeps_the_gradient_at_one():
    at = open_page()
    at.selectbox(key="why.g.branch").set_value("zero").run()
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Input gradient, residual (mean draw)"] == "1"
    assert metrics["Residual activations at the top"] == "1"


def test_training_control_change_and_no_depth():
    at = open_page()
    at.multiselect(key="why.t.depths").set_value([1, 2])
    at.number_input(key="why.t.steps").set_value(20)
    at.button(key="FormSubmitter:why.t.form-Train").click().run()
    assert not at.exception and not at.error
    assert list(at.dataframe[-1].value["depth"]) == [1, 2]
    at.multiselect(key="why.t.depths").set_value([])
    at.button(key="FormSubmitter:why.t.form-Train").click().run()
    assert "Choose at least one depth" in errors(at)
    assert not at.exception


def test_use_the_residual_page_block():
    """Sample 1 of the residual page's default: x = (1, 0, 2), z = (1 + 2, −2 + 1, −1) = (3, −1, −1), only
    unit 1 on: ∂F/∂x = (1, 0, 1)ᵀ·(1, 0, 1), I + ∂F/∂x = [[2, 0, 1], [0, 1, 0], [1, 0, 2]]; with δ = (1, 1, 1)
    the gradient passed down is its column sums, (3, 1, 3)."""
    at = open_page(state={"why.step": 9})
    at.selectbox(key="why.sample").set_value(1)
    at.button(key="why.from_residual").click().run()
    assert not at.exception and not at.error
    assert at.session_state["why.base"]["x"] == [["1"], ["0"], ["2"]]
    assert first_subheader(at).startswith("Step 1 of 9")
    at.session_state["why.step"] = 9
    at.run()
    assert matrix_in_text(at, "δ·(I + ∂F/∂x)") == [["3", "1", "3"]]


def test_the_residual_page_edits_carry_over():
    at = open_page()
    at.switch_page("app_pages/residual_block.py")
    at.run()
    edit(at, "residual.edit.X", 0, 0, "5")
    at.switch_page(PAGE)
    at.run()
    at.selectbox(key="why.sample").set_value(1)
    at.button(key="why.from_residual").click().run()
    assert at.session_state["why.base"]["x"] == [["5"], ["0"], ["2"]]
    assert not at.exception


def test_activations_view():
    at = open_page()
    at.session_state["why.g.kind"] = "activations"
    at.run()
    assert not at.exception and not at.error
    assert len(at.metric) == 3

"""The app's pages under ``streamlit.testing.v1.AppTest``: home, residual block, encoder block.

Expected numbers are worked out by hand from the default examples (byhand/examples.py):
residual X = [[1, 2, 0], [0, 1, 1], [2, −1, 1]] gives Out = [[4, 0, 0], [0, 3, 2], [6, 1, 2]];
with X[1, 1] = 5 instead, H = [[7, 1, 1], [0, 3, 1], [0, 0, 1]] and Out = [[12, 0, 0], [0, 3, 2], [10, 1, 2]].
"""

from __future__ import annotations

import pytest
from apptest_helpers import edit, errors, matrix_in_text_view, open_page
from streamlit.testing.v1 import AppTest
from test_hostile_markup import markup_in

RES, ENC = "app_pages/residual_block.py", "app_pages/encoder_block.py"
OUT_DEFAULT = [["4", "0", "0"], ["0", "3", "2"], ["6", "1", "2"]]
OUT_X11_5 = [["12", "0", "0"], ["0", "3", "2"], ["10", "1", "2"]]


def text_views(at: AppTest) -> list[str]:
    return [c.value for c in at.code]


def matrix_in_text(at: AppTest, name: str) -> list[list[str]]:
    """The rows of matrix ``name`` in the step's text view (the lines above its name)."""
    for text in text_views(at):
        rows = matrix_in_text_view(text, name)
        if rows is not None:
            return rows
    raise AssertionError(f"no {name} in the text views: {text_views(at)}")


def subheader(at: AppTest) -> str:
    return at.subheader[0].value


def warnings(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


# ------------------------------------------------------------------ every page loads


@pytest.mark.parametrize("page", ["app_pages/home.py", RES, ENC])
def test_page_loads_without_exception(page):
    at = open_page(page)
    assert not at.exception
    assert not at.error
    assert at.title[0].value


def test_home_shows_the_idea_and_a_card_per_walkthrough():
    at = open_page("app_pages/home.py")
    assert "identity matrix stacked beside the weights" in " ".join(m.value for m in at.markdown)
    assert len(at.get("page_link")) >= 2
    at.session_state["home.pick"] = {"selection": {"cell": [{"block": "product", "row": 0, "col": 0}]}}
    at.run()
    assert "1·1 + 0·0 + 0·2 + 1·3 + (−1)·0 + 0·0 + 0·1 = 4" in " ".join(text_views(at))


# ------------------------------------------------------------------ residual block


def test_residual_steps_in_order_with_captions():
    at = open_page(RES)
    titles = []
    for k in range(1, 5):
        at.session_state["residual.step"] = k
        at.run()
        titles.append(subheader(at))
    assert titles == ["Step 1 of 4: Given the mini-batch", "Step 2 of 4: Linear layer and ReLU",
                      "Step 3 of 4: Concatenate I, W2, b2 and stack X, H, 1",
                      "Step 4 of 4: Multiply and ReLU"]
    assert "X + F(X)" in " ".join(m.value for m in at.markdown)


def test_next_previous_and_slider_move_the_step():
    at = open_page(RES)
    assert subheader(at).startswith("Step 1 of 4")
    at.button(key="residual.next").click().run()
    assert subheader(at).startswith("Step 2 of 4")
    at.button(key="residual.next").click().run()
    at.button(key="residual.prev").click().run()
    assert subheader(at).startswith("Step 2 of 4")
    at.select_slider(key="residual.step").set_value(4).run()
    assert subheader(at).startswith("Step 4 of 4")
    assert at.button(key="residual.next").disabled
    assert at.query_params["step"] == "4"


def test_play_advances_one_step_per_tick_and_stops_at_the_end():
    at = open_page(RES, state={"residual.step": 3})
    at.session_state["residual.play"] = True
    at.session_state["residual.tick"] = 0.0  # the last tick was long ago: this run is a tick
    at.run()
    assert subheader(at).startswith("Step 4 of 4")
    assert at.session_state["residual.play"] is False  # stopped at the last step
    assert not at.exception


def test_default_output_and_edit_changes_every_step():
    at = open_page(RES, state={"residual.step": 4})
    assert matrix_in_text(at, "Out") == OUT_DEFAULT
    edit(at, "residual.edit.X", 0, 0, "5")
    assert not at.error
    assert matrix_in_text(at, "Out") == OUT_X11_5
    at.session_state["residual.step"] = 2
    at.run()
    assert matrix_in_text(at, "H") == [["7", "1", "1"], ["0", "3", "1"], ["0", "0", "1"]]
    assert "m.X" in at.query_params  # the edited example is in the link


def test_fractions_stay_exact():
    at = open_page(RES, state={"residual.step": 4})
    edit(at, "residual.edit.b2", 0, 0, "1/3")  # Out row 1 = ReLU(4 + 1/3, 0 + 1/3, 0 + 1/3)
    assert matrix_in_text(at, "Out")[0] == ["13/3", "1/3", "1/3"]


@pytest.mark.parametrize("bad, problem", [
    ("", "empty"), ("abc", "not a number"), ("nan", "not finite"), ("inf", "not finite"),
    ("1e308", "too large"), ("1/0", "zero denominator")])
def test_bad_cell_names_matrix_and_cell_and_keeps_last_valid(bad, problem):
    at = open_page(RES, state={"residual.step": 4})
    edit(at, "residual.edit.X", 0, 0, "5")
    assert matrix_in_text(at, "Out") == OUT_X11_5
    at.session_state["residual.edit.X"] = {"edited_rows": {0: {"1": "5"}, 1: {"3": bad}}, "added_rows": [],
                                           "deleted_rows": []}
    at.run()
    assert not at.exception
    message = errors(at)
    assert "X, row 2, column 3" in message and problem in message
    assert "last valid example" in message
    assert matrix_in_text(at, "Out") == OUT_X11_5  # the last valid example stays drawn


def test_size_beyond_the_limit_names_the_size_and_keeps_the_example():
    at = open_page(RES, state={"residual.step": 4})
    at.number_input(key="residual.size.samples").set_value(20).run()
    assert not at.exception
    assert "Samples" in errors(at) and "from 1 to 8" in errors(at)
    assert matrix_in_text(at, "Out") == OUT_DEFAULT


def test_new_size_starts_a_seeded_example_with_the_seed_shown():
    at = open_page(RES)
    at.number_input(key="residual.size.samples").set_value(5).run()
    assert not at.error
    assert len(at.session_state["residual.base"]["X"][0]) == 5
    assert "seed" in " ".join(c.value for c in at.caption).lower()
    assert at.query_params["n"] == "5"


def test_new_random_example_and_back_to_default():
    at = open_page(RES, state={"residual.step": 4})
    at.button(key="residual.random").click().run()
    seed = at.session_state["residual.seed"]
    assert isinstance(seed, int)
    assert f"seed **{seed}**" in " ".join(c.value for c in at.caption)
    assert at.query_params["seed"] == str(seed)
    at.button(key="residual.default").click().run()
    assert at.session_state["residual.seed"] is None
    assert matrix_in_text(at, "Out") == OUT_DEFAULT
    assert "seed" not in at.query_params


def test_picking_a_cell_writes_the_dot_product():
    at = open_page(RES, state={"residual.step": 4})
    at.selectbox(key="residual.row.3").set_value(1).run()
    at.selectbox(key="residual.col.3").set_value(1).run()
    assert "X + F(X) [1, 1] = 1·1 + 0·0 + 0·2 + 1·3 + (−1)·0 + 0·0 + 0·1 = 4" in " ".join(text_views(at))
    assert at.session_state["residual.cell.3"] == (0, 0)


def test_clicking_a_chart_cell_sets_the_selectboxes():
    at = open_page(RES, state={"residual.step": 2})
    # H = ReLU([W1 | b1]·[X; 1]); cell (2, 1): 0·1 + 1·0 + (−1)·2 + 1·1 = −1, ReLU gives 0
    at.session_state["residual.pick.1"] = {"selection": {"cell": [{"block": "product", "row": 1, "col": 0}]}}
    at.session_state["residual.cell.1"] = (1, 0)
    at.run()
    assert at.selectbox(key="residual.row.1").value == 2
    assert "0·1 + 1·0 + (−1)·2 + 1·1 = −1" in " ".join(text_views(at))


def test_link_restores_seed_sizes_and_step():
    at = open_page(RES, query={"seed": "7", "n": "4", "d": "2", "h": "3", "step": "3"})
    assert not warnings(at)
    assert at.session_state["residual.seed"] == 7
    base = at.session_state["residual.base"]
    assert len(base["X"]) == 2 and len(base["X"][0]) == 4
    assert subheader(at).startswith("Step 3 of 4")


def test_link_restores_edited_matrices():
    at = open_page(RES, query={"m.X": "5,2,0;0,1,1;2,-1,1", "step": "4"})
    assert not warnings(at) and not errors(at)
    assert matrix_in_text(at, "Out") == OUT_X11_5


@pytest.mark.parametrize("query, words", [
    ({"m.X": "1,zz,0;0,1,1;2,-1,1"}, "X, row 1, column 2"),
    ({"m.X": "1,2;3,4"}, "X in the link is 2×2"),
    ({"m.W1": "nan,0,1;0,1,-1;-1,1,0"}, "W1, row 1, column 1"),
    ({"m.X": "[evil](http://example.com),0,0;0,1,1;2,-1,1"}, "X, row 1, column 1"),
    ({"m.X": "1" * 5000}, "too long"),
])
def test_tampered_link_falls_back_to_the_default_with_a_message(query, words):
    at = open_page(RES, query={**query, "step": "4"})
    assert not at.exception
    message = warnings(at)
    assert words in message.replace("\\", "") and "default example" in message
    assert not markup_in(message)  # a link in the URL is shown as text (a code span), never as a link
    assert matrix_in_text(at, "Out") == OUT_DEFAULT


@pytest.mark.parametrize("query, words", [
    ({"n": "99"}, "outside 1…8"), ({"step": "abc"}, "not a whole number"), ({"seed": "-4"}, "outside")])
def test_out_of_range_link_values_are_clamped_with_a_message(query, words):
    at = open_page(RES, query=query)
    assert not at.exception
    assert words in warnings(at)


def test_compare_shows_both_outputs_with_the_difference():
    at = open_page(RES, state={"residual.compare": True})
    assert not at.exception
    assert "cells differ" in " ".join(c.value for c in at.caption)
    # without the skip: ReLU(W2·H + b2) = ReLU([[3, −2, 0], [−1, 2, 1], [4, 2, 1]]) = [[3, 0, 0], [0, 2, 1],
    # [4, 2, 1]]; with it OUT_DEFAULT = [[4, 0, 0], [0, 3, 2], [6, 1, 2]]: six cells differ
    assert "6 of 9 cells differ" in " ".join(c.value for c in at.caption)


def test_torch_panel_agrees():
    pytest.importorskip("torch")
    at = open_page(RES, state={"residual.torch": True})
    assert not at.exception
    assert any(s.value.startswith("✓ PyTorch agrees") for s in at.success)


def test_torch_panel_without_torch_says_how_to_install(monkeypatch):
    from byhand.reference import INSTALL_HINT

    monkeypatch.setattr("byhand.reference.torch_available", lambda: False)
    at = open_page(RES, state={"residual.torch": True})
    assert not at.exception
    assert INSTALL_HINT in " ".join(i.value for i in at.info)


def test_edits_survive_a_visit_to_another_page():
    at = open_page(RES, state={"residual.step": 4})
    edit(at, "residual.edit.X", 0, 0, "5")
    at.switch_page("app_pages/home.py").run()
    at.switch_page(RES).run()
    assert not at.exception
    at.session_state["residual.step"] = 4
    at.run()
    assert matrix_in_text(at, "Out") == OUT_X11_5


# ------------------------------------------------------------------ encoder block


def test_encoder_steps_and_edit():
    at = open_page(ENC, state={"encoder.step": 7})
    assert subheader(at) == "Step 7 of 7: Second layer plus identity and ReLU"
    # default: Out = ReLU([[−4, −7, −5/3], [11, 17, 5]]) (worked in tests/test_encoder.py)
    assert matrix_in_text(at, "Out") == [["0", "0", "0"], ["11", "17", "5"]]
    # b2 row 1 from 0 to 10: row 1 becomes ReLU([6, 3, 25/3])
    edit(at, "encoder.edit.b2", 0, 0, "10")
    assert matrix_in_text(at, "Out") == [["6", "3", "25/3"], ["11", "17", "5"]]


def test_encoder_bad_attention_cell_keeps_last_valid():
    at = open_page(ENC, state={"encoder.step": 7})
    edit(at, "encoder.edit.A", 2, 1, "x")
    assert "A, row 3, column 2" in errors(at)
    assert matrix_in_text(at, "Out") == [["0", "0", "0"], ["11", "17", "5"]]


def test_encoder_mixing_view_sentence():
    at = open_page(ENC, state={"encoder.mixing": True})
    text = " ".join(m.value for m in at.markdown)
    assert "Attention combines positions (across columns)" in text
    assert "feed-forward layer combines features" in text and "(across rows)" in text
    at.selectbox(key="encoder.mix.ff.col").set_value(2).run()
    assert "column 2 of [Y; 1]" in " ".join(m.value for m in at.markdown)


def test_encoder_torch_variant_works_and_link_restores_it():
    at = open_page(ENC, query={"v": "torch", "heads": "1", "act": "gelu", "nf": "1", "dec": "2", "step": "2"})
    assert not at.exception and not warnings(at)
    assert at.session_state["encoder.variant"] == "torch"
    assert at.session_state["encoder.torch.act"] == "gelu"
    assert subheader(at).startswith("Step 2 of ")
    assert at.query_params["v"] == "torch" and at.query_params["nf"] == "1"


def test_encoder_torch_variant_agrees_with_torch():
    pytest.importorskip("torch")
    at = open_page(ENC, query={"v": "torch"}, state={"encoder.torch_check": True})
    assert any(s.value.startswith("✓ PyTorch agrees") for s in at.success)


def test_encoder_tampered_variant_falls_back():
    at = open_page(ENC, query={"v": "evil", "heads": "3"})
    assert not at.exception
    assert "variant" in warnings(at)
    assert at.session_state["encoder.variant"] == "hand"


def test_play_from_the_last_step_starts_again_at_the_first():
    at = open_page(RES, state={"residual.step": 4})
    at.toggle(key="residual.play").set_value(True).run()
    assert not at.exception
    assert subheader(at).startswith("Step 1 of 4")
    assert at.session_state["residual.play"] is True


def test_encoder_torch_heads_follow_d_model():
    at = open_page(ENC, query={"v": "torch"})
    assert at.session_state["encoder.torch.heads"] == 2
    at.number_input(key="encoder.torch.size.d_model").set_value(3).run()
    assert not at.exception and not at.error
    assert at.session_state["encoder.torch.heads"] == 1  # 2 does not divide 3
    assert len(at.session_state["encoder.torch.base"]["X"]) == 3


def test_encoder_variants_keep_their_own_examples():
    at = open_page(ENC, state={"encoder.step": 7})
    edit(at, "encoder.edit.b2", 0, 0, "10")
    at.segmented_control(key="encoder.variant").set_value("torch").run()
    assert not at.exception and subheader(at).startswith("Step 1 of 14")
    at.segmented_control(key="encoder.variant").set_value("hand").run()
    at.session_state["encoder.step"] = 7
    at.run()
    assert matrix_in_text(at, "Out") == [["6", "3", "25/3"], ["11", "17", "5"]]


def test_speed_and_view_cannot_be_unset():
    at = open_page(RES)
    at.session_state["residual.speed"] = None  # a deselected segmented control
    at.session_state["residual.play"] = True
    at.run()
    assert not at.exception


def test_new_random_example_never_exceeds_the_size_limit():
    at = open_page(RES)
    at.number_input(key="residual.size.samples").set_value(20).run()
    at.button(key="residual.random").click().run()
    assert not at.exception and not at.error
    assert len(at.session_state["residual.base"]["X"][0]) == 8


def test_encoder_torch_check_follows_dim_feedforward():
    pytest.importorskip("torch")
    at = open_page(ENC, query={"v": "torch", "seed": "4", "n": "3", "d": "4", "f": "6"},
                   state={"encoder.torch_check": True})
    assert any(s.value.startswith("✓ PyTorch agrees") for s in at.success)
    before = at.table[1].value.to_numpy().tolist()
    at.number_input(key="encoder.torch.size.dim_feedforward").set_value(5).run()
    assert not at.exception
    assert any(s.value.startswith("✓ PyTorch agrees") for s in at.success)
    ours, torch_out = (t.value.to_numpy().tolist() for t in at.table[:2])
    assert ours == torch_out and torch_out != before  # a new layer, checked again

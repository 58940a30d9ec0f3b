"""The practice page with AppTest: links, new exercises, typed answers, checking, hints, downloads."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from byhand.numbers import fmt
from byhand.practice import ExerciseSpec

PAGE = str(Path(__file__).resolve().parents[1] / "app_pages" / "practice.py")
NS = "practice"


def app(link: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    if link is not None:
        at.query_params["ex"] = link
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def code_of(at: AppTest) -> str:
    return at.session_state[f"{NS}.code"]


def type_answers(at: AppTest, ex, answers: dict) -> None:
    """Preset each blank matrix's data editor with typed text, as a learner's edits."""
    code = ex.code
    edits: dict = {}
    for c in ex.cells:
        if c.key in answers:
            key = f"{NS}.{code}.{c.step}.{c.region}"
            edits.setdefault(key, {}).setdefault(c.row, {})[str(c.col + 1)] = answers[c.key]
    for key, rows in edits.items():
        at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [w.value for w in at.warning] + [e.value for e in at.error]
    parts += [i.value for i in at.info] + [s.value for s in at.success]
    return "\n".join(parts).replace("\\", "")  # markdown escapes removed


def test_the_link_opens_the_exercise():
    at = app("encoder/7/last")
    assert code_of(at) == "encoder/7/last"
    assert "encoder/7/last" in str(at.query_params["ex"])
    assert at.session_state[f"{NS}.block"] == "encoder"
    assert at.session_state[f"{NS}.blank"] == "last"


def test_no_link_gives_the_default_exercise_and_writes_the_link():
    at = app()
    assert code_of(at) == "residual/1"
    assert "residual/1" in str(at.query_params["ex"])


@pytest.mark.parametrize("link", ["residual/abc", "nope/3", "residual/1/99x1x1", "x" * 500,
                                  "residual/1/5..1", "residual/1/share:7"])
def test_a_tampered_link_gives_a_message_and_the_default(link):
    at = app(link)
    assert code_of(at) == "residual/1"
    assert any("cannot be read" in w.value for w in at.warning)


def test_full_round_type_check_hint_download():
    at = app("residual/5")
    ex = ExerciseSpec.parse("residual/5").exercise()
    right = {c.key: fmt(c.answer, minus="-") for c in ex.cells}
    wrong_cell, zero_cell, empty_cell = ex.cells[0], ex.cells[1], ex.cells[2]
    answers = dict(right)
    answers[wrong_cell.key] = str(int(wrong_cell.answer) + 1)
    answers[zero_cell.key] = "1/0"
    del answers[empty_cell.key]
    type_answers(at, ex, answers)
    at.run()
    assert not at.exception
    at.button(key=f"{NS}.check").click().run()
    assert not at.exception
    n = len(ex.cells)
    assert at.metric[0].value == f"{n - 3} / {n}"
    page = texts(at)
    assert f"{zero_cell.where}: 1/0 is a fraction with a zero denominator" in page
    assert "1 cell is not filled in yet" in page
    assert "1 cell is wrong" in page
    # the wrong cell's step: its own check, then hints one level at a time, counted in the score
    k = wrong_cell.step
    at.button(key=f"{NS}.check.{k}").click().run()
    assert f"{wrong_cell.where}" in [o for o in at.selectbox(key=f"{NS}.hint_cell.{k}").options][0]
    hint_button = at.button(key=f"{NS}.hint.{k}")
    assert hint_button.label == "Hint 1 of 3"
    hint_button.click().run()
    page = texts(at)
    assert f"**{wrong_cell.where}**, hint 1: Row {wrong_cell.row + 1} of" in page  # level 1: where to look
    assert "·" not in page.split(", hint 1:")[1].split("\n")[0]  # no terms yet
    at.button(key=f"{NS}.hint.{k}").click().run()
    assert ", hint 2: Row" in texts(at) and at.button(key=f"{NS}.hint.{k}").label == "Hint 3 of 3"
    assert at.metric[1].value == "2"  # hints used
    # the typed answers are kept: fixing the three cells gives full marks
    type_answers(at, ex, right)
    at.run()
    assert at.metric[0].value == f"{n} / {n}"
    assert "Every cell is right" in texts(at)
    labels = [b.proto.label for b in at.get("download_button")]
    for want in ("Worksheet (PDF)", "Spreadsheet (XLSX)", "Answer key (PDF)", "Answer key (XLSX)",
                 "GIF for slides"):
        assert want in labels


def test_new_exercise_changes_the_seed_and_the_link():
    at = app("residual/5")
    at.selectbox(key=f"{NS}.block").set_value("encoder")
    at.run()
    at.button(key=f"{NS}.new").click().run()
    assert not at.exception
    code = code_of(at)
    assert code.startswith("encoder/") and code != "encoder/5"
    assert code in str(at.query_params["ex"])
    assert at.session_state[f"{NS}.checked"] is False


def test_new_exercise_with_last_step_blank():
    at = app("residual/5")
    at.session_state[f"{NS}.blank"] = "last"
    at.run()
    at.button(key=f"{NS}.new").click().run()
    assert code_of(at).endswith("/last")


@pytest.mark.parametrize("key, value, words", [
    ("size.residual.features", 99, "features must be a whole number from 1 to 8"),
    ("high", 500, "largest value must be a whole number from 1 to 9"),
])
def test_absurd_sizes_give_a_message_and_keep_the_exercise(key, value, words):
    at = app("residual/5")
    at.number_input(key=f"{NS}.{key}").set_value(value)
    at.run()
    at.button(key=f"{NS}.new").click().run()
    assert not at.exception
    assert code_of(at) == "residual/5"
    assert any(words in e.value for e in at.error)


def test_absurd_variant_counts_give_a_message():
    at = app("residual/5")
    at.number_input(key=f"{NS}.variants").set_value(5000)
    at.run()
    assert not at.exception
    assert any("variants must be a whole number from 1 to 200" in e.value for e in at.error)
    at.number_input(key=f"{NS}.variants").set_value(3)
    at.run()
    assert "Class pack of 3 (PDF)" in [b.proto.label for b in at.get("download_button")]


def test_a_spreadsheet_class_pack_offers_its_keys_as_a_file_of_their_own():
    at = app("residual/5")
    at.number_input(key=f"{NS}.variants").set_value(3)
    at.selectbox(key=f"{NS}.pack_format").set_value("xlsx")
    at.run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Class pack of 3 (XLSX)" in labels and "Answer keys of the 3 (XLSX)" in labels
    at.checkbox(key=f"{NS}.pack_answers").uncheck().run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Class pack of 3 (XLSX)" in labels and "Answer keys of the 3 (XLSX)" not in labels


def test_a_code_typed_from_a_printed_sheet_opens_that_exercise():
    at = app("residual/5")
    at.text_input(key=f"{NS}.typed_code").input("encoder/12/last").run()
    at.button(key=f"{NS}.open").click().run()
    assert not at.exception
    assert code_of(at) == "encoder/12/last"
    at.text_input(key=f"{NS}.typed_code").input("encoder/x").run()
    at.button(key=f"{NS}.open").click().run()
    assert code_of(at) == "encoder/12/last"  # a bad code keeps the exercise, with a message
    assert any("cannot be read" in e.value for e in at.error)


def test_step_check_carries_the_learners_own_h_forward_and_the_drawing_shows_it():
    """H typed one too high everywhere; the product of step 4 typed from that H (worked out here with
    the sheet's given X, W2, b2: X + W2·H' + b2) is "consistent with your H", and step 4's drawing
    shows the typed H, not "?"."""
    import numpy as np

    at = app("residual/5")
    ex = ExerciseSpec.parse("residual/5").exercise()
    wt = ex.walkthrough
    X, W2, b2 = (np.array(wt.inputs[n], dtype=object) for n in ("X", "W2", "b2"))
    H_wrong = np.array(wt.step("H").result, dtype=object) + 1
    P_learner = X + W2.dot(H_wrong) + b2.reshape(-1, 1)
    answers = {c.key: fmt(c.answer, minus="-") for c in ex.cells if c.step == 1 and c.region == "product"}
    answers |= {c.key: fmt(H_wrong[c.row, c.col], minus="-") for c in ex.cells if c.matrix == "H"}
    answers |= {c.key: fmt(P_learner[c.row, c.col], minus="-") for c in ex.cells
                if c.step == 3 and c.region == "product"}
    type_answers(at, ex, answers)
    at.run()
    at.button(key=f"{NS}.check.3").click().run()
    assert not at.exception
    page = texts(at)
    assert "consistent with your earlier numbers" in page
    assert any("consistent with your H" in c.value for c in at.caption)
    import json

    charts = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
    assert len(charts) == 4
    boxes = [r for layer in charts[3]["hconcat"][0]["layer"] for r in layer["data"].get("values", [])
             if r.get("part") == "H"]
    d = X.shape[0]  # [X; H; 1]: H's rows follow X's
    assert {(r["row"] - d, r["col"]): r["text"] for r in boxes} == {
        (i, j): fmt(H_wrong[i, j]) for i in range(H_wrong.shape[0]) for j in range(H_wrong.shape[1])}


@pytest.mark.parametrize("code", ["conv/3", "bottleneck/2", "jacobian/4", "attention/5",
                                  "encoder/6/share:0.5", "encoder/2/1x1x1/sym:all",
                                  "jacobian/1/1x1/sym:input"])
def test_every_block_steps_check_and_hint_without_an_error(code):
    """Each step's Check and first hint on every block type (empty answers: all "not filled in")."""
    at = app(code)
    ex = ExerciseSpec.parse(code).exercise()
    steps = sorted({c.step for c in ex.cells})
    for k in steps:
        at.button(key=f"{NS}.check.{k}").click().run()
        at.button(key=f"{NS}.hint.{k}").click().run()
        assert not at.exception, (k, [e.value for e in at.exception])
    page = texts(at)
    assert f"{len(ex.cells_of(steps[-1]))} not filled in" in page
    assert at.session_state[f"{NS}.{ex.code}.hints"] and all(
        v == 1 for v in at.session_state[f"{NS}.{ex.code}.hints"].values())


def test_a_wrong_answer_is_named_as_the_mistake_that_explains_it():
    """Out typed as ReLU(F(X)), the skip left out: that step's check names the mistake. The values
    are worked out here from the sheet's given matrices: ReLU(W2·H + b2), with H as the sheet has it."""
    import numpy as np

    at = app("residual/5")
    ex = ExerciseSpec.parse("residual/5").exercise()
    wt = ex.walkthrough
    H, W2, b2 = (np.array(m, dtype=object) for m in (wt.step("H").result, wt.inputs["W2"], wt.inputs["b2"]))
    no_skip = W2.dot(H) + b2.reshape(-1, 1)
    answers = {c.key: fmt(c.answer, minus="-") for c in ex.cells if c.step < 3}
    answers |= {c.key: fmt(no_skip[c.row, c.col], minus="-") for c in ex.cells
                if c.step == 3 and c.region == "product"}
    type_answers(at, ex, answers)
    at.run()
    at.button(key=f"{NS}.check.3").click().run()
    assert not at.exception
    named = [w.value for w in at.warning if "matches a common mistake" in w.value]
    assert named and all("skip connection is left out" in w for w in named)


# ---------------------------------------------------------------- practice with symbols (issue 12 §6)

def test_an_exercise_with_symbols_takes_expressions_and_names_a_mistake():
    """residual/7/1x1x1/sym:all: every matrix a symbol (x, w1, b1, w2, b2). Answered as expressions
    written differently from the engine's, all four cells are right; an Out without the skip x is wrong
    and named as the forgotten skip."""
    at = app("residual/7/1x1x1/sym:all")
    assert code_of(at) == "residual/7/1x1x1/sym:all" and at.session_state[f"{NS}.symbols"] == "all"
    ex = ExerciseSpec.parse("residual/7/1x1x1/sym:all").exercise()
    keys = {(c.step, c.region): c.key for c in ex.cells}
    right = {keys[(1, "product")]: "b1 + x*w1", keys[(1, "result")]: "max(0, w1*x + b1)",
             keys[(3, "product")]: "b2 + x + w2*max(0, b1 + w1*x)",
             keys[(3, "result")]: "relu(x + w2*relu(w1*x + b1) + b2)"}
    type_answers(at, ex, right)
    at.button(key=f"{NS}.check").click().run()
    assert not at.exception
    assert at.metric[0].value == "4 / 4"
    type_answers(at, ex, {**right, keys[(3, "product")]: "w2*max(0, w1*x + b1) + b2"})
    at.button(key=f"{NS}.check.3").click().run()
    assert at.metric[0].value == "3 / 4"
    assert "The skip adds X back" in texts(at)


@pytest.mark.parametrize("block, symbols, words", [
    ("residual", "input", None),
    ("conv", "", None),  # no symbols for a conv: the choice is off
    ("residual", "all", "at most 64 symbols"),  # at 8 × 8 × 8
])
def test_new_exercise_with_symbols(block, symbols, words):
    at = app()
    at.selectbox(key=f"{NS}.block").set_value(block).run()
    if block == "conv":
        assert at.selectbox(key=f"{NS}.symbols").disabled
    else:
        at.selectbox(key=f"{NS}.symbols").set_value(symbols).run()
    if words:
        for s in ("features", "hidden", "samples"):
            at.number_input(key=f"{NS}.size.residual.{s}").set_value(8)
    at.button(key=f"{NS}.new").click().run()
    assert not at.exception
    if words:
        assert words in texts(at) and code_of(at) == "residual/1"  # the exercise stays
    else:
        assert code_of(at).endswith("/sym:input") == (symbols == "input")
        assert code_of(at).startswith(f"{block}/")

"""The "Your model" page (AppTest, through app.py's navigation): templates, sizes, rounding, the PyTorch
check, links, limits and messages."""

from __future__ import annotations

import pytest
from apptest_helpers import errors, open_page

pytest.importorskip("torch")

from byhand.torchwalk import from_torch  # noqa: E402
from byhand.torchwalk.templates import TEMPLATES, build  # noqa: E402

PAGE = "app_pages/your_model.py"


def steps_of(name: str, seed: int = 0, **sizes) -> int:
    return len(from_torch(*build(name, seed, **sizes)).steps)


def step_title(at) -> str:
    return at.subheader[0].value


def test_page_loads_steps_and_states_its_limits():
    at = open_page(PAGE)
    assert not at.exception and not at.error
    assert at.title[0].value == "Your model, by hand"
    n = steps_of("mlp")
    assert step_title(at) == f"Step 1 of {n}: Given the input"
    next(b for b in at.button if b.key == "yours.next").click().run()
    assert step_title(at).startswith(f"Step 2 of {n}: Linear layer blocks.0.0")
    limits = " ".join(c.value for c in at.caption)
    assert "at most 20,000 weights, 4,096 numbers in x, 16,384 numbers in any one matrix, 120 steps" in limits
    assert "nn.Conv2d" in limits and "nn.TransformerEncoderLayer" in limits


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_template_walks(name):
    at = open_page(PAGE)
    at.selectbox(key="yours.template").set_value(name).run()
    assert not at.exception and not at.error
    assert step_title(at).startswith(f"Step 1 of {steps_of(name)}: Given the")
    labels = [n.label for n in at.number_input]
    assert all(label in labels for label, *_ in TEMPLATES[name].sizes.values())


def test_sizes_and_seed_change_the_model():
    at = open_page(PAGE)
    at.number_input(key="yours.mlp.blocks").set_value(3).run()
    at.number_input(key="yours.seed").set_value(7).run()
    assert not at.exception
    assert step_title(at).startswith(f"Step 1 of {steps_of('mlp', 7, blocks=3)}:")


def test_rounding_shows_how_the_output_changes():
    at = open_page(PAGE)
    assert not any("weights rounded" in m.value for m in at.markdown)
    at.segmented_control(key="yours.round").set_value("0").run()
    assert not at.exception
    shown = [m.value for m in at.markdown]
    assert "**Output, weights rounded (whole numbers)**" in shown
    assert "**Output, weights as they are**" in shown
    assert any("Largest change:" in c.value for c in at.caption)


def test_check_with_pytorch_agrees():
    at = open_page(PAGE)
    for name in ("basic", "stack"):
        at.selectbox(key="yours.template").set_value(name).run()
        at.toggle(key="yours.torch").set_value(True).run()
        assert not at.exception
        assert at.success[0].value.startswith("✓ PyTorch agrees")


def test_a_link_opens_its_template_sizes_rounding_and_step():
    at = open_page(PAGE, query={"t": "basic", "channels": "2", "out_channels": "3", "stride": "2",
                                "size": "5", "seed": "3", "round": "1", "dec": "1", "step": "3"})
    assert not at.exception and not at.warning
    n = steps_of("basic", 3, channels=2, out_channels=3, stride=2, size=5)
    assert step_title(at).startswith(f"Step 3 of {n}:")
    assert at.selectbox(key="yours.template").value == "basic"
    assert at.number_input(key="yours.basic.out_channels").value == 3
    assert at.number_input(key="yours.dec").value == 1
    assert at.segmented_control(key="yours.round").value == "1"


def test_a_bad_link_says_what_it_did_not_use():
    at = open_page(PAGE, query={"t": "resnet152", "features": "99"})
    assert not at.exception
    warned = " ".join(w.value for w in at.warning)
    assert ("template = 'resnet152' in the link is not one of mlp, basic, encoder, stack"
            in warned.replace("\\", ""))
    assert step_title(at).startswith("Step 1 of")


@pytest.mark.parametrize("key, value, words", [
    ("features", "²", "not a whole number"), ("seed", "9" * 5000, "outside 0…999999; using 999999"),
    ("dec", "99", "outside 0…6; using 6"),
    ("round", "[x](https://evil.example)", "not one of none, 0, 1, 2")],
    ids=["superscript", "5000 digits", "decimals", "markup"])
def test_a_hostile_link_number_is_a_message(key, value, words):
    at = open_page(PAGE, query={key: value})
    assert not at.exception
    warned = " ".join(w.value for w in at.warning).replace("\\", "")
    assert words in warned and len(warned) < 300
    assert step_title(at).startswith("Step 1 of")


def test_a_model_that_cannot_be_built_is_a_message_not_a_traceback():
    at = open_page(PAGE)
    at.selectbox(key="yours.template").set_value("encoder").run()
    at.number_input(key="yours.encoder.d_model").set_value(5).run()
    assert not at.exception
    assert "nhead (2) must divide d_model (5)" in errors(at)
    assert "the last model that worked" in errors(at)
    assert step_title(at).startswith(f"Step 1 of {steps_of('encoder')}: Given the positions")


def test_without_torch_the_page_says_how_to_install_it(monkeypatch):
    from byhand import reference

    monkeypatch.setattr(reference, "torch_available", lambda: False)
    at = open_page(PAGE)
    assert not at.exception
    assert "pip install torch==2.13.0" in at.info[0].value


def test_presentation_mode_shows_the_step_only_and_keeps_the_settings():
    at = open_page(PAGE, query={"t": "basic", "channels": "2"}, state={"present": True})
    assert not at.exception and not at.title
    n = steps_of("basic", channels=2)
    assert step_title(at) == f"Step 1 of {n}: Given the input"
    next(b for b in at.button if b.key == "yours.next").click().run()
    at.session_state["present"] = False
    at.run()
    assert not at.exception and at.title[0].value == "Your model, by hand"
    assert step_title(at).startswith(f"Step 2 of {n}: Convolution downsample.0")  # channels 2 → 1
    assert at.selectbox(key="yours.template").value == "basic"
    assert at.number_input(key="yours.basic.channels").value == 2


# ---- Show the formula: x becomes symbols (x11 … in the by-hand layout), the weights stay numbers

def click(at, key: str):
    next(b for b in at.button if b.key == key).click()
    return at.run()


def panel(at) -> str:
    """The picked cell's words (the code block under the drawing)."""
    return "\n".join(c.value for c in at.code)


def warnings(at) -> str:
    return " ".join(w.value for w in at.warning).replace("\\", "")


def link(at) -> dict[str, str]:
    return {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in at.query_params}


def torch_check(at):
    return next(t for t in at.toggle if t.key == "yours.torch")


SYMBOLS_3X3 = [["x11", "x12", "x13"], ["x21", "x22", "x23"], ["x31", "x32", "x33"]]
# the default MLP (seed 0): blocks.0.0's first row of weights is (0.09, −0.09, 0.45), its bias −1.63, and
# x's first sample (column 1 by hand) is (1, −1, 2): 0.09 + 0.09 + 0.90 − 1.63 = −0.55, whose ReLU is 0
CELL_11 = "W1·x + b1 [1, 1] = 0.09·x₁₁ − 0.09·x₂₁ + 0.45·x₃₁ − 1.63\n    = −0.55"
RELU_11 = "blocks.0.1 [1, 1] = max(0, 0.09·x₁₁ − 0.09·x₂₁ + 0.45·x₃₁ − 1.63)\n    = 0"


def test_the_seeded_weights_and_x_of_the_hand_worked_cell():
    model, x = build("mlp", 0)
    assert model.blocks[0][0].weight[0].tolist() == [0.09, -0.09, 0.45]
    assert model.blocks[0][0].bias[0].item() == -1.63
    assert x[0].tolist() == [1.0, -1.0, 2.0]


def test_show_the_formula_of_x_and_back_to_numbers():
    at = open_page(PAGE, {"step": "2"}, state={"yours.cell.1": (0, 0)})
    assert not at.exception and not at.error
    assert "Only x becomes symbols" in at.button(key="yours.formula.show").help
    at.selectbox(key="yours.formula.which").select("x")
    click(at, "yours.formula.show")
    assert not at.exception and not at.error and not at.warning, warnings(at)
    assert at.session_state["yours.base"] == {"x": SYMBOLS_3X3}
    assert step_title(at) == "Step 2 of 3: Linear layer blocks.0.0 and ReLU"
    text = panel(at)
    assert CELL_11 in text and RELU_11 in text, text
    assert torch_check(at).disabled
    assert link(at)["formula"] == "x" and link(at)["t"] == "mlp" and "m.x" not in link(at)
    click(at, "yours.formula.back")
    assert not at.exception and not at.error
    assert not torch_check(at).disabled and "formula" not in link(at)
    text = panel(at)
    assert "₁" not in text and "= −0.55" in text, text


def test_a_link_with_formula_x_reopens_it():
    at = open_page(PAGE, {"formula": "X", "step": "2"}, state={"yours.cell.1": (0, 0)})
    assert not at.exception and not at.error and not at.warning, warnings(at)
    assert at.session_state["yours.base"] == {"x": SYMBOLS_3X3}
    assert CELL_11 in panel(at)
    assert link(at)["formula"] == "x"


def test_a_new_seed_keeps_the_formula_with_its_numbers():
    at = open_page(PAGE, {"formula": "x", "step": "2"}, state={"yours.cell.1": (0, 0)})
    at.number_input(key="yours.seed").set_value(5).run()
    assert not at.exception and not at.error and not at.warning, warnings(at)
    _, x = build("mlp", 5)
    values = at.session_state["yours.formula.values"]
    assert [values["x11"], values["x21"], values["x31"]] == x[0].tolist()  # sample 1 is column 1 by hand
    assert "x₁₁" in panel(at)


def test_a_model_too_large_for_symbols_says_the_limit_and_keeps_the_numbers():
    at = open_page(PAGE, {"formula": "x"})
    at.number_input(key="yours.mlp.blocks").set_value(3).run()
    assert not at.exception and not at.error
    said = warnings(at)
    assert "The formula is not shown for this model" in said and "more than 1,500 terms" in said, said
    assert step_title(at) == f"Step 1 of {steps_of('mlp', blocks=3)}: Given the input"
    assert "formula" not in link(at) and not torch_check(at).disabled


def test_attention_is_refused_with_symbols_and_keeps_the_numbers():
    at = open_page(PAGE, {"t": "encoder"})
    click(at, "yours.formula.show")
    assert not at.exception and not at.error
    assert "nn.TransformerEncoderLayer is worked out with numbers only" in warnings(at)
    assert "formula" not in link(at)
    at = open_page(PAGE, {"t": "mlp", "features": "6", "samples": "6", "formula": "all"})
    assert not at.exception and not at.error
    assert ("The link's formula could not be shown: x has 36 cells: with symbols, x of at most 12 cells"
            in warnings(at))
    assert step_title(at).startswith("Step 1 of")


@pytest.mark.parametrize("value", ["[x](https://evil.example)", "x,x", "9" * 5000, "__import__('os')", "W1"],
                         ids=["markup", "repeated", "5000 digits", "code", "a weight"])
def test_a_hostile_formula_in_the_link_is_a_message_and_keeps_the_numbers(value):
    at = open_page(PAGE, {"formula": value})
    assert not at.exception and not at.error
    said = warnings(at)
    assert "in the link is not all or matrices of this example (x); showing the numbers" in said, said
    assert len(said) < 300 and "formula" not in link(at)
    _, x = build("mlp", 0)
    assert at.session_state["yours.valid"]["x"] == [[str(int(v)) for v in row] for row in x.T.tolist()]


def test_the_resnet_basic_block_shows_the_formula_of_its_image():
    at = open_page(PAGE, {"t": "basic", "formula": "x", "step": "3"}, state={"yours.cell.2": (0, 4)})
    assert not at.exception and not at.error and not at.warning, warnings(at)
    # one channel of 3×3 pixels: by hand the row x11 … x19; the centre pixel's 3×3 patch holds all nine
    assert at.session_state["yours.base"] == {"x": [[f"x1{k}" for k in range(1, 10)]]}
    assert step_title(at).startswith("Step 3 of")
    first = panel(at).split("\n")[0]
    assert "[1, 5] = " in first and all(f"x₁{d}" in first for d in "₁₂₃₄₅₆₇₈₉"), first

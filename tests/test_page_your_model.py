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

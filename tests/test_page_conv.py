"""The convolutional ResNet block page under ``streamlit.testing.v1.AppTest``.

The worked example (tests/test_conv.py) is one 3×3 channel x = [[1, 2, 0], [0, 1, 3], [2, 0, 1]],
w1 the sum of the 4 neighbours, bn1 (γ 1, β 0, μ 3, σ² 4), w2 = 2·pixel + right neighbour,
bn2 (γ 2, β −1, μ 1, σ² 1/4), ε = 0. By hand: BN2(conv2(H)) + x = [−4, 1, 3, 3, 4, −2, −1, −1, −4], so
out = [0, 1, 3, 3, 4, 0, 0, 0, 0]. With bn2's β = 0 instead of −1 every cell grows by 1 before the ReLU:
out = [0, 2, 4, 4, 5, 0, 0, 0, 0].
"""

from __future__ import annotations

import pytest
from apptest_helpers import edit, errors, matrix_in_text_view
from apptest_helpers import open_page as open_app_page
from streamlit.testing.v1 import AppTest

from byhand.blocks.conv import BLOCK

PAGE = "app_pages/conv_block.py"
NS = "conv.basic.identity.1"  # the basic block, identity shortcut, one input channel
WORKED = {
    "x1": [["1", "2", "0"], ["0", "1", "3"], ["2", "0", "1"]],
    "w1_1": [["0", "1", "0"], ["1", "0", "1"], ["0", "1", "0"]],
    "bn1": [["1", "0", "3", "4"]],
    "w2_1": [["0", "0", "0"], ["0", "2", "1"], ["0", "0", "0"]],
    "bn2": [["2", "-1", "1", "1/4"]],
}
OUT_WORKED = ["0", "1", "3", "3", "4", "0", "0", "0", "0"]
OUT_BETA_0 = ["0", "2", "4", "4", "5", "0", "0", "0", "0"]


def open_page(state: dict | None = None) -> AppTest:
    """The app on the conv page after its first run, with ``state`` preset."""
    at = open_app_page(PAGE, state=state)
    assert not at.exception, [e.value for e in at.exception]
    return at


def worked_state(step: int = 9) -> dict:
    """Session state that makes the worked example the basic block's example, shown at ``step``."""
    return {f"{NS}.base": WORKED, f"{NS}.valid": WORKED, f"{NS}.seed": None, f"{NS}.sizes": {"size": 3},
            f"{NS}.size.size": 3, f"{NS}.step": step}


def out_row(at: AppTest) -> list[str]:
    """The single row of ``out`` (1 × 9) in the last step's text view."""
    for code in at.code:
        rows = matrix_in_text_view(code.value, "out")
        if rows is not None and len(rows) == 1 and len(rows[0]) == 9:
            return rows[0]
    raise AssertionError(f"no out in the text views: {[c.value for c in at.code]}")


# ---------------------------------------------------------------- loads, every variant

@pytest.mark.parametrize("kind", ["basic", "bottleneck"])
@pytest.mark.parametrize("shortcut, stride", [("identity", 1), ("zero_pad", 2), ("projection", 2),
                                              ("projection", 1)])
@pytest.mark.parametrize("channels", [1, 2])
def test_every_variant_loads(kind, shortcut, stride, channels):
    at = open_page({"conv.kind": kind, "conv.shortcut": shortcut, "conv.stride": stride,
                    "conv.channels": channels})
    assert at.title[0].value == "Convolutional ResNet block, by hand"
    assert at.subheader[0].value.startswith("Step 1 of ")
    assert not at.error
    shapes = " ".join(m.value for m in at.markdown if "shapes:" in m.value)
    c_out = channels if shortcut == "identity" else 2 * channels
    assert f"x {channels}×" in shapes and f"out {c_out}×" in shapes


def test_default_page_shows_the_image_and_steps_forward():
    at = open_page()
    assert at.subheader[0].value == "Step 1 of 9: Given the image"
    assert "x 1×4×4 → Y1 1×4×4 → H 1×4×4 → out 1×4×4" in " ".join(m.value for m in at.markdown)
    at.button(key=f"{NS}.next").click().run()
    assert at.subheader[0].value == "Step 2 of 9: Pad x with zeros"
    at.button(key=f"{NS}.next").click().run()
    assert at.subheader[0].value == "Step 3 of 9: Convolution 1: 3×3, stride 1"
    assert any("Shapes: 1×4×4 → 1×4×4" in m.value for m in at.markdown)


def test_worked_example_output():
    at = open_page(worked_state())
    assert at.subheader[0].value.startswith("Step 9 of 9: Convolution 2 plus the shortcut")
    assert out_row(at) == OUT_WORKED


def test_editing_a_batch_norm_statistic_updates_the_output():
    at = open_page(worked_state())
    edit(at, f"{NS}.edit.bn2", 0, 1, "0")  # β of bn2: −1 → 0
    assert not at.error
    assert out_row(at) == OUT_BETA_0


def test_switching_the_shortcut_gives_the_downsampling_block():
    at = open_page()
    at.session_state["conv.shortcut"] = "zero_pad"
    at.session_state["conv.stride"] = 2
    at.run()
    assert "x 1×6×6 → Y1 2×3×3 → H 2×3×3 → out 2×3×3" in " ".join(m.value for m in at.markdown)


# ---------------------------------------------------------------- bad input

def test_bad_cell_names_the_matrix_and_cell_and_keeps_the_last_valid_example():
    at = open_page(worked_state())
    edit(at, f"{NS}.edit.x1", 1, 1, "abc")
    assert not at.exception
    assert "x1, row 2, column 2: 'abc' is not a number" in errors(at)
    assert "last valid example" in errors(at)
    assert out_row(at) == OUT_WORKED


def test_negative_variance_is_refused_by_the_engine():
    at = open_page(worked_state())
    edit(at, f"{NS}.edit.bn1", 0, 3, "-4")
    assert "bn1 running_var, channel 1: −4 is negative" in errors(at)
    assert out_row(at) == OUT_WORKED


@pytest.mark.parametrize("text, problem", [("abc", "not a number"), ("-1", "negative"), ("", "empty")])
def test_bad_eps(text, problem):
    at = open_page(worked_state())
    at.text_input(key="conv.eps").input(text).run()
    assert not at.exception
    assert f"ε: '{text}' is {problem}" in errors(at)
    assert out_row(at) == OUT_WORKED


def test_eps_that_leaves_the_fractions_says_so():
    at = open_page(worked_state(step=4))
    at.text_input(key="conv.eps").input("1e-5").run()
    assert not at.error
    assert any("decimals from here on" in c.value for c in at.caption)


# ---------------------------------------------------------------- panels

def test_receptive_field_of_a_corner_pixel():
    at = open_page()
    at.toggle(key="conv.rf").set_value(True).run()
    # two 3×3 convolutions: output pixel (1, 1) sees rows 1–3 and columns 1–3 of the 4×4 image
    assert any("depends on **9 of the 16**" in m.value for m in at.markdown)
    at.selectbox(key="conv.rf.row").set_value(2).run()
    at.selectbox(key="conv.rf.col").set_value(2).run()
    assert any("depends on **16 of the 16**" in m.value for m in at.markdown)


def test_shapes_table():
    at = open_page()
    at.toggle(key="conv.shapes").set_value(True).run()
    df = at.dataframe[0].value
    assert list(df["result"]) == ["x", "x_pad", "Y1", "BN1", "H", "BN2", "W2′", "H_pad", "out"]
    assert df.loc[3, "multiply"] == "1×9 · 9×16" and df.loc[9, "as maps"] == "1×4×4"


def test_option_a_vs_b_parameters():
    at = open_page({"conv.shortcut": "projection", "conv.stride": 2})
    at.toggle(key="conv.compare").set_value(True).run()
    text = " ".join(m.value for m in at.markdown)
    # option B: ws is 2×1×1×1 (2 weights) and its batch norm has γ and β for 2 channels
    assert "parameters added **0**" in text and "parameters added **6**" in text


def test_torch_check_agrees():
    pytest.importorskip("torch")
    at = open_page(worked_state())
    at.toggle(key="conv.torch").set_value(True).run()
    assert not at.exception
    assert "PyTorch agrees" in at.success[0].value
    # ours and torch's channel 1, both [[0, 1, 3], [3, 4, 0], [0, 0, 0]]
    ours, theirs = at.table[0].value, at.table[1].value
    assert ours.to_numpy().tolist() == [["0", "1", "3"], ["3", "4", "0"], ["0", "0", "0"]]
    assert theirs.to_numpy().tolist() == [["0", "1", "3"], ["3", "4", "0"], ["0", "0", "0"]]


def test_torch_missing_gives_the_install_command(monkeypatch):
    monkeypatch.setattr("byhand.reference.torch_available", lambda: False)
    at = open_page()
    at.toggle(key="conv.torch").set_value(True).run()
    assert any("pip install torch==2.13.0" in i.value for i in at.info)


# ---------------------------------------------------------------- links

def open_link(query: dict) -> AppTest:
    at = open_app_page(PAGE, query)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_link_restores_the_variant():
    at = open_link({"block": "bottleneck", "sc": "projection", "s": "2", "c": "2", "eps": "1/4"})
    shapes = " ".join(m.value for m in at.markdown if "shapes:" in m.value)
    assert "x 2×4×4" in shapes and "out 4×2×2" in shapes
    assert at.text_input(key="conv.eps").value == "1/4"
    assert not at.warning


def test_tampered_link_gives_messages_and_the_default():
    at = open_link({"block": "<script>", "sc": "evil", "s": "99", "c": "x", "eps": "-1"})
    text = " ".join(w.value for w in at.warning)
    for what in ("block", "shortcut", "stride", "channels", "eps"):
        assert what in text
    assert "\\<script\\>" in text  # what the link carried is shown escaped, never as markup
    shapes = " ".join(m.value for m in at.markdown if "shapes:" in m.value)
    assert "x 1×4×4 → Y1 1×4×4 → H 1×4×4 → out 1×4×4" in shapes


def test_picking_a_product_cell_shows_its_receptive_field():
    at = open_page({f"{NS}.step": 3})  # convolution 1 on the default 4×4 image
    at.selectbox(key=f"{NS}.row.2").set_value(1).run()
    at.selectbox(key=f"{NS}.col.2").set_value(6).run()  # column 6 is pixel (2, 2): a full 3×3 patch
    assert any("Pixel (2, 2) of Y1 (column 6) depends on these **9** pixels" in m.value for m in at.markdown)
    at.selectbox(key=f"{NS}.col.2").set_value(1).run()  # pixel (1, 1): the patch is cut by the padding
    assert any("Pixel (1, 1) of Y1 (column 1) depends on these **4** pixels" in m.value for m in at.markdown)


# ---------------------------------------------------------------- sizes: the registry's limits

def test_image_size_limits_come_from_the_registry():
    size = BLOCK.size("size")  # 2 to 6
    at = open_page()
    assert at.number_input(key=f"{NS}.size.size").help.startswith(f"From {size.low} to {size.high}.")
    at.number_input(key=f"{NS}.size.size").set_value(size.high + 1).run()
    words = f"Image size (H = W) must be a whole number from {size.low} to {size.high}, not {size.high + 1}"
    assert words in errors(at)
    at.number_input(key=f"{NS}.size.size").set_value(size.high).run()
    assert not at.error
    assert "x 1×6×6 → Y1 1×6×6" in " ".join(m.value for m in at.markdown if "shapes:" in m.value)


def test_link_with_the_largest_image_size():
    size = BLOCK.size("size")
    at = open_link({size.url: str(size.high), "seed": "3"})  # ?n=6&seed=3
    assert not at.warning
    assert "x 1×6×6" in " ".join(m.value for m in at.markdown if "shapes:" in m.value)

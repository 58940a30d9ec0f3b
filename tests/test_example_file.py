"""Example files (JSON) and shared links read without streamlit: exactly the example a page shows.

The residual example below is worked out by hand:
    W1·X + b1 = [[1, -1/2], [-1, 3/2]]        H = ReLU(…) = [[1, 0], [0, 3/2]]
    X + W2·H + b2 = [[4, -1], [-1, 3/4]]       Out = ReLU(…) = [[4, 0], [0, 3/4]]
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from byhand import ByHandError
from byhand.example import (
    MAX_EXAMPLE_LEN,
    MAX_LINK_LEN,
    example_json,
    example_walkthrough,
    read_example_json,
    read_link,
)

F = Fraction
ROWS = {"X": [["1", "-1/2"], ["2", "3"]], "W1": [["1", "0"], ["-1", "1"]], "b1": [["0"], ["-2"]],
        "W2": [["2", "-1"], ["0", "1/2"]], "b2": [["1"], ["-3"]]}
H = [[1, 0], [0, F(3, 2)]]
OUT = [[4, 0], [0, F(3, 4)]]
LINK = ("http://localhost:8501/residual_block?d=2&n=2&h=2&m.X=1,-1/2;2,3&m.W1=1,0;-1,1&m.b1=0;-2"
        "&m.W2=2,-1;0,1/2&m.b2=1;-3&step=3")
# the conv page, option A at stride 2 on one 2×2 channel (two output channels), worked out by hand:
# conv1 (centre tap of x, bottom-right tap) at the one output pixel: [5, 3]; BN1 the identity, ReLU: [5, 3];
# conv2 (centre taps only, on 1×1 maps): [5 − 3, 2·3] = [2, 6]; BN2: [2/1, 6/2 − 10] = [2, −7];
# + x[::2, ::2] with a zero channel appended [5, 0]: [7, −7]; ReLU: [7, 0].
CONV_LINK = ("https://byhand.example.org/conv_block?block=basic&sc=zero_pad&s=2&c=1&n=2&seed=9"
             "&m.x1=5,1;2,3&m.w1_1=0,0,0;0,1,0;0,0,0&m.w1_2=0,0,0;0,0,0;0,0,1&m.bn1=1,0,0,1;1,0,0,1"
             "&m.w2_1=0,0,0;0,1,0;0,0,0;0,0,0;0,-1,0;0,0,0&m.w2_2=0,0,0;0,0,0;0,0,0;0,0,0;0,2,0;0,0,0"
             "&m.bn2=1,0,0,1;1,-10,0,4")


def residual_file(**changes) -> str:
    data = {"byhand": 1, "block": "residual", "matrices": dict(ROWS)}
    for key, value in changes.items():
        if key in ROWS or key == "Q":
            if value is None:
                del data["matrices"][key]
            else:
                data["matrices"][key] = value
        else:
            data[key] = value
    return json.dumps(data)


def test_example_json_round_trip():
    text = example_json("residual", ROWS)
    assert json.loads(text) == {"byhand": 1, "block": "residual", "matrices": ROWS}  # no options: none given
    assert read_example_json(text) == ("residual", ROWS, {})
    plain = example_json("residual", ROWS, {"residual": False})
    assert json.loads(plain)["options"] == {"residual": False}
    assert read_example_json(plain) == ("residual", ROWS, {"residual": False})


def test_example_json_round_trip_of_the_conv_page():
    block, rows, options, _ = read_link(CONV_LINK)
    assert read_example_json(example_json(block, rows, options)) == (block, rows, options)


def test_a_hand_worked_example_file():
    block, rows, options = read_example_json(residual_file())
    wt = example_walkthrough(block, rows, options)
    np.testing.assert_array_equal(wt.steps[1].result, np.array(H, dtype=object))
    np.testing.assert_array_equal(wt.output, np.array(OUT, dtype=object))
    plain = example_walkthrough(*read_example_json(residual_file(options={"residual": False})))
    # without the skip: ReLU(W2·H + b2) = ReLU([[3, -1/2], [-3, -9/4]])
    np.testing.assert_array_equal(plain.output, np.array([[3, 0], [0, 0]], dtype=object))


def test_numbers_and_typographic_minus_in_a_file():
    block, rows, _ = read_example_json(residual_file(X=[[1, -0.5], ["2", "\u22123"]]))
    assert rows["X"] == [["1", "-0.5"], ["2", "-3"]]  # a JSON float stays a decimal, as an editor shows it


@pytest.mark.parametrize("link", [LINK, LINK.replace(";", "%3B").replace(",", "%2C").replace("/", "%2F")
                                  .replace("http:%2F%2Flocalhost:8501%2F", "http://localhost:8501/"),
                                  LINK.removeprefix("http://")])
def test_a_link_gives_its_example(link):
    block, rows, options, messages = read_link(link)
    assert (block, rows, options, messages) == ("residual", ROWS, {}, [])
    np.testing.assert_array_equal(example_walkthrough(block, rows).output, np.array(OUT, dtype=object))


def test_a_link_with_the_formula_shown_prints_it():
    """``formula=W2``: W2's cells are symbols; Out[1, 1] = ReLU(x₁₁ + w2₁₁·h₁₁ + w2₁₂·h₂₁ + b2₁) with
    x₁₁ = 1, H's column 1 = (1, 0), b2₁ = 1: 2 + w2₁₁ (ReLU of unknown sign stays max(0, …))."""
    block, rows, options, messages = read_link(LINK + "&formula=W2")
    assert (block, rows, options, messages) == ("residual", ROWS, {"formula": ["W2"]}, [])
    wt = example_walkthrough(block, rows, options)
    assert {str(s) for s in wt.symbols} == {"w2_11", "w2_12", "w2_21", "w2_22"}
    assert str(wt.steps[-1].product[0, 0]) == "w2_11 + 2"
    values = {"w2_11": 2, "w2_12": -1, "w2_21": 0, "w2_22": F(1, 2)}  # ROWS' W2: the numbers come back
    np.testing.assert_array_equal(wt.substitute(values).output, np.array(OUT, dtype=object))


def test_a_link_with_every_matrix_as_symbols_and_an_expression_cell():
    link = LINK.replace("m.b2=1;-3", "m.b2=2*a,-3".replace(",", ";")) + "&formula=all"
    block, rows, options, _ = read_link(link)
    assert rows["b2"] == [["2*a"], ["-3"]] and options == {"formula": "all"}
    names = {str(s) for s in example_walkthrough(block, rows, options).symbols}
    assert {"x11", "w1_22", "b1_2", "w2_21", "a", "b2_2"} <= names and "b2_1" not in names  # kept as typed


def test_a_bad_formula_in_a_link_prints_the_numbers_and_says_so():
    block, rows, options, messages = read_link(LINK + "&formula=Q9")
    assert options == {} and rows == ROWS
    assert messages == ["formula = 'Q9' in the link is not all or matrices of this example "
                        "(X, W1, b1, W2, b2); showing the numbers."]
    with pytest.raises(ByHandError, match=r"W2, row 1, column 1: '2\*a' is not a number"):
        read_link(LINK.replace("m.W2=2", "m.W2=2*a"))  # an expression reads only with formula=


def test_a_link_under_a_base_path_with_a_fragment():
    block, rows, *_ = read_link(LINK.replace("8501/", "8501/apps/byhand/") + "#top")
    assert block == "residual" and rows == ROWS


def test_a_link_says_what_the_page_would_change():
    _, _, _, messages = read_link("http://localhost:8501/residual_block?seed=abc&n=50")
    assert any("seed" in m and "not a whole number" in m for m in messages)
    assert any("outside" in m for m in messages)


def test_a_link_of_the_seeded_example_without_edits():
    block, rows, _, _ = read_link("http://localhost:8501/self_attention?seed=4")
    assert block == "attention" and set(rows) == {"X", "Wq", "bq", "Wk", "bk", "Wv", "bv"}


def test_a_conv_link_with_stride_and_shortcut():
    block, rows, options, messages = read_link(CONV_LINK)
    assert block == "conv" and messages == []
    assert options == {"shortcut": "zero_pad", "stride": 2, "eps": "0"}
    assert rows["x1"] == [["5", "1"], ["2", "3"]] and len(rows["w2_1"]) == 6
    wt = example_walkthrough(block, rows, options)
    assert wt.params["out_shape"] == (2, 1, 1) and wt.params["stride"] == 2
    np.testing.assert_array_equal(wt.output, np.array([[[7]], [[0]]], dtype=object))  # (C, H, W)


def test_a_bottleneck_link_with_the_projection():
    block, rows, options, _ = read_link("http://localhost:8501/conv_block?block=bottleneck&sc=projection"
                                        "&s=2&c=2&n=4&seed=3&eps=1e-5")
    assert block == "bottleneck" and options == {"shortcut": "projection", "stride": 2, "eps": "1e-5"}
    assert "ws" in rows and "bns" in rows
    wt = example_walkthrough(block, rows, options)
    assert wt.params["shortcut"] == "projection" and wt.params["out_shape"] == (4, 2, 2)


def test_the_identity_shortcut_link_uses_stride_1_as_the_page():
    _, _, options, _ = read_link("http://localhost:8501/conv_block?block=basic&sc=identity&s=2")
    assert options["stride"] == 1


@pytest.mark.parametrize("text, words", [
    ('{"byhand": 1,', "not a JSON file"),
    ("[" * 60000, "nested too deeply"),
    ("1" * 5000, "too many digits"),
    ("[1, 2]", "not a ByHand example file"),
    (residual_file(byhand=2), '"byhand": 1'),
    (residual_file(block="resnet"), "unknown block type 'resnet'"),
    (residual_file(block=3), '"block" must name a block type'),
    (residual_file(extra=1), "unknown key 'extra'"),
    (residual_file(matrices=[1, 2]), '"matrices" must map'),
    (residual_file(b2=None), "b2 is missing"),
    (residual_file(Q=[["1"]]), "'Q' is not an input of residual"),
    (residual_file(X="1,2;3,4"), "X must be a list of rows"),
    (residual_file(X=[["1", "x"], ["2", "3"]]), "X, row 1, column 2: 'x' is not a number"),
    (residual_file(X=[["1", "1e-10000000"], ["2", "3"]]), "X, row 1, column 2: '1e-10000000' is too long"),
    (residual_file(X=[["1", 1e400], ["2", "3"]]), "X, row 1, column 2"),
    (residual_file(X=[["1", True], ["2", "3"]]), "X, row 1, column 2: the cell is a JSON bool"),
    (residual_file(X=[["1", "2"], ["3"]]), "X, row 2"),
    (residual_file(X=[["1", "1/" + "3" * 70], ["2", "3"]]), "characters long"),
    (residual_file(W1=[["1", "0", "2"], ["-1", "1", "0"]]), "W1"),
    (residual_file(X=[["1"] * 9] * 2), "at most 8"),
    (residual_file(options={"stride": 2}), "residual has no option 'stride'"),
    (residual_file(options={"residual": "no"}), "option residual must be true or false"),
    (residual_file(options=[1]), '"options" must be an object'),
    ("{" + " " * MAX_EXAMPLE_LEN + "}", "at most 65,536"),
])
def test_a_bad_example_file_says_what_is_wrong(text, words):
    with pytest.raises(ByHandError) as e:
        read_example_json(text)
    assert words in str(e.value)


def test_a_block_without_options_takes_none():
    _, rows, _, _ = read_link("http://localhost:8501/self_attention?seed=4")
    assert read_example_json(example_json("attention", rows))[0] == "attention"
    with pytest.raises(ByHandError, match="attention has no option 'residual': it takes no options"):
        read_example_json(example_json("attention", rows, {"residual": False}))


@pytest.mark.parametrize("options, words", [
    ({"shortcut": "zero_pad", "stride": 3}, "option stride must be a whole number from 1 to 2"),
    ({"shortcut": "sideways"}, "option shortcut must be one of"),
    ({"shortcut": "zero_pad", "stride": 2, "eps": "-1"}, "ε"),
    ({"shortcut": "zero_pad", "stride": 2, "eps": "1e-10000000"}, "exponent"),
    ({"shortcut": "identity", "stride": 2}, "identity shortcut"),  # the block's own check of the shapes
    ({"residual": False}, "conv has no option 'residual'"),
])
def test_bad_conv_options(options, words):
    _, rows, _, _ = read_link(CONV_LINK)
    with pytest.raises(ByHandError) as e:
        read_example_json(json.dumps({"byhand": 1, "block": "conv", "matrices": rows, "options": options}))
    assert words in str(e.value)


def test_a_conv_file_with_an_unknown_matrix():
    _, rows, options, _ = read_link(CONV_LINK)
    with pytest.raises(ByHandError, match="x9 is not a matrix of the basic block"):
        read_example_json(example_json("conv", {**rows, "x9": [["1"]]}, options))


@pytest.mark.parametrize("link, words", [
    ("http://localhost:8501/encoder_block?v=torch&seed=2", "PyTorch TransformerEncoderLayer"),
    ("http://localhost:8501/practice?ex=residual/42", "Practice link holds an exercise code"),
    ("http://localhost:8501/why_residual?seed=1", "Why page"),
    ("http://localhost:8501/", "home page"),
    ("http://localhost:8501/nowhere?seed=1", "'nowhere' is not a page of ByHand"),
    ("ftp://localhost/residual_block", "not a page's link"),
    ("http://[::1/residual_block", "not a page's link"),
    ("http://localhost:8501/residual_block?" + "&".join(f"k{i}=1" for i in range(300)), "not a page's link"),
    ("http://localhost:8501/residual_block?m.X=" + "1," * MAX_LINK_LEN, "characters long"),
    ("http://localhost:8501/residual_block?m.X=1,1e-10000000;2,3;4,5", "exponents within ±12"),
    ("http://localhost:8501/residual_block?m.X=1,x;2,3;4,5", "X, row 1, column 2: 'x' is not a number"),
    ("http://localhost:8501/residual_block?m.X=1,2;3,4", "X in the link is 2×2 but this example's X is 3×3"),
    ("http://localhost:8501/residual_block?d=2&n=2&h=2&m.X=1,2;3,4&m.W1=1,2,3;4,5,6", "W1"),
    ("http://localhost:8501/conv_block?block=basic&sc=zero_pad&s=2&n=2&m.x1=1,2;3", "x1, row 2"),
])
def test_a_link_that_cannot_be_printed_says_why(link, words):
    with pytest.raises(ByHandError) as e:
        read_link(link)
    assert words in str(e.value)


def test_a_tampered_page_setting_in_a_link_is_said_and_the_page_default_used():
    _, _, options, messages = read_link("http://localhost:8501/conv_block?block=huge&sc=zero_pad&s=9&eps=x")
    assert options == {"shortcut": "zero_pad", "stride": 2, "eps": "0"}
    assert len(messages) == 3 and "block = 'huge'" in messages[0]

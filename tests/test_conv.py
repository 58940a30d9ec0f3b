"""The convolutional ResNet block worked by hand: exact values derived by hand, the steps and their
parts, where every im2col cell comes from, the receptive field, and bad input."""

from fractions import Fraction

import numpy as np
import pytest

from byhand.blocks import build_example
from byhand.blocks.conv import (
    BLOCK,
    BOTTLENECK,
    KINDS,
    SHORTCUTS,
    bottleneck_block,
    conv_block,
    conv_inputs,
    conv_layers,
    conv_matrices,
    default_bottleneck,
    default_conv,
    default_stride,
    fixed_projection,
    parameter_count,
    random_bottleneck,
    random_conv,
    read_eps,
    receptive_field,
    shortcut_options,
    variant_block,
    variant_example,
    variant_size,
)
from byhand.numbers import ByHandError, fmt

H2 = Fraction(1, 2)
ID_BN = ([1], [0], [0], [1], 0)  # γ = 1, β = 0, μ = 0, σ² = 1, ε = 0: BN is the identity


def worked_basic() -> dict:
    """The basic block on one 3×3 channel, derived by hand below."""
    return {
        "x": [[[1, 2, 0], [0, 1, 3], [2, 0, 1]]],
        "w1": [[[[0, 1, 0], [1, 0, 1], [0, 1, 0]]]],  # sum of the 4 neighbours (0 outside)
        "bn1": ([1], [0], [3], [4], 0),  # s1 = 1/√4 = 1/2, t1 = 0 − 3·1/2 = −3/2
        "w2": [[[[0, 0, 0], [0, 2, 1], [0, 0, 0]]]],  # 2·pixel + its right neighbour
        "bn2": ([2], [-1], [1], [H2 / 2], 0),  # σ² = 1/4: s2 = 2/(1/2) = 4, t2 = −1 − 1·4 = −5
    }


# ---------------------------------------------------------------- worked examples

def test_basic_block_worked_by_hand(conv_ok):
    wt = conv_block(**worked_basic())
    conv_ok(wt)
    assert wt.exact
    assert [s.name for s in wt.steps] == ["x", "x_pad", "Y1", "BN1", "H", "BN2", "W2′", "H_pad", "out"]
    m = wt.matrices
    # Y1[i, j] = up + down + left + right of x = [[1, 2, 0], [0, 1, 3], [2, 0, 1]]:
    # (0,0): 0+0+0+2 = 2   (0,1): 0+1+1+0 = 2   (0,2): 0+3+2+0 = 5
    # (1,0): 1+2+0+1 = 4   (1,1): 2+0+0+3 = 5   (1,2): 0+1+1+0 = 2
    # (2,0): 0+0+0+0 = 0   (2,1): 1+0+2+1 = 4   (2,2): 3+0+0+0 = 3
    np.testing.assert_array_equal(m["Y1"], [[2, 2, 5, 4, 5, 2, 0, 4, 3]])
    np.testing.assert_array_equal(m["BN1"], [[H2, -3 * H2]])  # [diag(s1) | t1]
    # H = relu((Y1 − 3)/2) = relu([−1/2, −1/2, 1, 1/2, 1, −1/2, −3/2, 1/2, 0])
    np.testing.assert_array_equal(m["H"], [[0, 0, 1, H2, 1, 0, 0, H2, 0]])
    np.testing.assert_array_equal(m["BN2"], [[4, -5]])
    np.testing.assert_array_equal(m["W2′"], [[0, 0, 0, 0, 8, 4, 0, 0, 0]])  # 4·w2
    # Y2[i, j] = 2·H[i, j] + H[i, j+1] = [[0, 1, 2], [2, 2, 0], [1/2, 1, 0]];
    # BN2 = 4·Y2 − 5 = [[−5, −1, 3], [3, 3, −5], [−3, −1, −5]]; + x = [[−4, 1, 3], [3, 4, −2], [−1, −1, −4]]
    last = wt.steps[-1]
    np.testing.assert_array_equal(last.product, [[-4, 1, 3, 3, 4, -2, -1, -1, -4]])
    np.testing.assert_array_equal(wt.output, [[[0, 1, 3], [3, 4, 0], [0, 0, 0]]])
    assert all(type(v) is int for v in wt.output.flat)
    assert [p.name for p in last.left.parts] == ["W2′", "I", "t2"]
    assert [p.name for p in last.right.parts] == ["im2col(H)", "x", "1"]
    assert last.left.parts[1].role == "identity"


def test_im2col_columns_are_patches_and_cells_point_into_the_padded_image():
    wt = conv_block(**worked_basic())
    conv1 = wt.steps[2]
    cols = conv1.right.parts[0]
    assert cols.name == "im2col(x)" and cols.role == "input" and cols.source == "x_pad"
    assert cols.shape == (9, 9)  # 1 channel · 3·3 taps × 3·3 output pixels
    # output pixel (1, 1) is column 4: its patch is the whole image, read row by row
    np.testing.assert_array_equal(cols.values[:, 4], [1, 2, 0, 0, 1, 3, 2, 0, 1])
    # output pixel (0, 0): the top row and left column of the patch are padding
    np.testing.assert_array_equal(cols.values[:, 0], [0, 0, 0, 0, 1, 2, 0, 0, 1])
    # the centre tap (row 4) of column 0 copies x_pad pixel (1, 1) = column 1·5 + 1 = 6
    assert cols.source_cell(4, 0) == ("x_pad", 0, 6)
    np.testing.assert_array_equal(wt.matrices["x_pad"].reshape(5, 5)[1:4, 1:4], worked_basic()["x"][0])
    assert wt.params["maps"]["x_pad"] == (1, 5, 5)
    np.testing.assert_array_equal(conv1.left.values, [[0, 1, 0, 1, 0, 1, 0, 1, 0]])
    assert "1×3×3 → 1×3×3" in conv1.caption


def downsample(shortcut: str) -> dict:
    """1×4×4 → 2×2×2 with stride 2, derived by hand in the tests below."""
    kw = {
        "x": [[[1, 2, 0, 1], [3, 0, 1, 2], [0, 1, 1, 0], [2, 2, 0, 1]]],
        # kernel 1 copies the centre, kernel 2 the right neighbour
        "w1": [[[[0, 0, 0], [0, 1, 0], [0, 0, 0]]], [[[0, 0, 0], [0, 0, 1], [0, 0, 0]]]],
        "bn1": ([1, 1], [0, 0], [0, 0], [1, 1], 0),
        # output 1 = centre of channel 1 − centre of channel 2; output 2 = centre of channel 2
        "w2": [[[[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[0, 0, 0], [0, -1, 0], [0, 0, 0]]],
               [[[0, 0, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 1, 0], [0, 0, 0]]]],
        "bn2": ([1, 1], [0, 0], [0, 0], [1, 1], 0),
        "stride": 2, "shortcut": shortcut,
    }
    if shortcut == "projection":
        kw["ws"] = [[[[1]]], [[[2]]]]
        kw["bns"] = ([1, 1], [0, -1], [0, 0], [1, 1], 0)
    return kw


def test_downsampling_block_with_zero_padding_shortcut(conv_ok):
    # stride 2 centres: x(0,0) = 1, x(0,2) = 0, x(2,0) = 0, x(2,2) = 1 → Y1 channel 1 = [1, 0, 0, 1];
    # right neighbours x(0,1) = 2, x(0,3) = 1, x(2,1) = 1, x(2,3) = 0 → channel 2 = [2, 1, 1, 0]
    wt = conv_block(**downsample("zero_pad"))
    conv_ok(wt)
    np.testing.assert_array_equal(wt.matrices["Y1"], [[1, 0, 0, 1], [2, 1, 1, 0]])
    np.testing.assert_array_equal(wt.matrices["H"], [[1, 0, 0, 1], [2, 1, 1, 0]])
    # branch: [1 − 2, 0 − 1, 0 − 1, 1 − 0] = [−1, −1, −1, 1] and [2, 1, 1, 0];
    # shortcut: x[::2, ::2] = [1, 0, 0, 1] and a zero channel → sums [0, −1, −1, 2] and [2, 1, 1, 0]
    last = wt.steps[-1]
    np.testing.assert_array_equal(last.product, [[0, -1, -1, 2], [2, 1, 1, 0]])
    np.testing.assert_array_equal(wt.output, [[[0, 0], [0, 2]], [[2, 1], [1, 0]]])
    S, xs = last.left.parts[1], last.right.parts[1]
    assert S.name == "[I; 0]" and S.role == "identity"
    np.testing.assert_array_equal(S.values, [[1], [0]])
    assert xs.name == "x[::2, ::2]" and xs.source == "x"
    np.testing.assert_array_equal(xs.values, [[1, 0, 0, 1]])
    assert [xs.source_cell(0, j) for j in range(4)] == [("x", 0, 0), ("x", 0, 2), ("x", 0, 8), ("x", 0, 10)]
    assert "1×4×4 → 2×2×2" in last.caption and "matching" not in last.caption
    assert parameter_count(wt)["shortcut"] == 0


def test_downsampling_block_with_projection_shortcut(conv_ok):
    # shortcut channel 1: 1·x_s = [1, 0, 0, 1]; channel 2: BN(2·x_s) = 2·x_s − 1 = [1, −1, −1, 1]
    # totals: [−1+1, −1+0, −1+0, 1+1] = [0, −1, −1, 2] and [2+1, 1−1, 1−1, 0+1] = [3, 0, 0, 1]
    wt = conv_block(**downsample("projection"))
    conv_ok(wt)
    assert [s.name for s in wt.steps][-6:] == ["BN2", "W2′", "BNs", "Ws′", "H_pad", "out"]
    np.testing.assert_array_equal(wt.matrices["Ws′"], [[1], [2]])
    np.testing.assert_array_equal(wt.matrices["BNs"], [[1, 0, 0, 0], [0, 1, -1, -1]])  # [diag | ts | t2 + ts]
    last = wt.steps[-1]
    assert [p.name for p in last.left.parts] == ["W2′", "Ws′", "t2 + ts"]
    np.testing.assert_array_equal(last.product, [[0, -1, -1, 2], [3, 0, 0, 1]])
    np.testing.assert_array_equal(wt.output, [[[0, 0], [0, 2]], [[3, 0], [0, 1]]])
    # 1×1 conv: 2·1·1·1 = 2 weights, and γ, β for 2 channels
    assert parameter_count(wt) == {"W1": 18, "BN1": 4, "W2": 36, "BN2": 4, "Ws": 2, "BNs": 4, "shortcut": 6}


def test_bottleneck_worked_by_hand(conv_ok):
    kw = {"x": [[[1, -2], [3, 0]]],
          "w1": [[[[2]]]], "bn1": ([1], [0], [2], [4], 0),  # (2x − 2)/2 = [0, −3, 2, −1] → H1 = [0, 0, 2, 0]
          "w2": [[[[0, 0, 0], [1, 1, 0], [0, 0, 0]]]], "bn2": ID_BN,  # pixel + left: [0, 0, 2, 2]
          "w3": [[[[-1]]]], "bn3": ([1], [1], [0], [1], 0)}  # 1 − H2 = [1, 1, −1, −1]; + x = [2, −1, 2, −1]
    wt = bottleneck_block(**kw)
    conv_ok(wt)
    assert [s.name for s in wt.steps] == ["x", "Y1", "BN1", "H1", "H1_pad", "Y2", "BN2", "H2", "BN3", "W3′",
                                          "out"]
    np.testing.assert_array_equal(wt.matrices["H1"], [[0, 0, 2, 0]])
    np.testing.assert_array_equal(wt.matrices["H2"], [[0, 0, 2, 2]])
    np.testing.assert_array_equal(wt.output, [[[2, 0], [2, 0]]])
    # the 1×1 convolutions need no im2col: the last multiply uses H2 itself
    assert [p.name for p in wt.steps[-1].right.parts] == ["H2", "x", "1"]


def test_batch_norm_with_irrational_root_switches_to_floats_and_says_so(conv_ok):
    kw = worked_basic()
    kw["bn1"] = ([1], [0], [3], [2], 0)  # √2
    wt = conv_block(**kw)
    conv_ok(wt)
    assert wt.steps[2].exact and not wt.exact
    bn1 = wt.steps[3]
    assert "√2" in bn1.note and "decimals" in bn1.note
    np.testing.assert_allclose(np.asarray(bn1.result, dtype=float), [[2 ** -0.5, -3 * 2 ** -0.5]])
    assert wt.output.dtype == float


def test_exact_batch_norm_note_and_eps_as_a_fraction():
    kw = worked_basic()
    kw["bn1"] = ([1], [0], [3], [Fraction(99, 100)], Fraction(1, 100))  # σ² + ε = 1
    wt = conv_block(**kw)
    assert wt.exact
    assert "Exact" in wt.steps[3].note
    np.testing.assert_array_equal(wt.matrices["BN1"], [[1, -3]])


def test_eps_as_a_float():
    kw = worked_basic()
    kw["bn1"] = ([1], [0], [3], [4], 0.0)  # torch's float 0.0 keeps BN exact
    assert conv_block(**kw).exact
    kw["bn1"] = ([1], [0], [3], [4], 1e-5)
    wt = conv_block(**kw)
    assert not wt.exact and "ε = 1e-05 is a decimal" in wt.steps[3].note
    np.testing.assert_allclose(np.asarray(wt.matrices["BN1"], dtype=float),
                               [[1 / np.sqrt(4 + 1e-5), -3 / np.sqrt(4 + 1e-5)]])


def test_float_inputs_say_decimals():
    kw = worked_basic()
    kw["x"] = np.asarray(kw["x"], dtype=float) + 0.5
    wt = conv_block(**kw)
    assert not wt.exact and "Decimals" in wt.steps[3].note


# ---------------------------------------------------------------- receptive field

def test_receptive_field_of_basic_block():
    wt = conv_block(**random_conv(0, 1, 6))
    # two 3×3 convolutions: the centre pixel sees a 5×5 square, the corner a 3×3 one
    want = np.zeros((6, 6), dtype=bool)
    want[0:5, 0:5] = True
    np.testing.assert_array_equal(receptive_field(wt, 2, 2), want)
    want = np.zeros((6, 6), dtype=bool)
    want[0:3, 0:3] = True
    np.testing.assert_array_equal(receptive_field(wt, 0, 0), want)
    # H pixel (5, 5) sees only the 2×2 corner
    assert receptive_field(wt, 5, 5, "H").sum() == 4


def test_receptive_field_with_stride_2():
    wt = conv_block(**random_conv(1, 1, 6, 2, "zero_pad"))
    # out (0, 0) uses H rows/cols 0..1, each H pixel i sees x rows 2i − 1 .. 2i + 1 → x rows 0..3
    want = np.zeros((6, 6), dtype=bool)
    want[0:4, 0:4] = True
    np.testing.assert_array_equal(receptive_field(wt, 0, 0), want)
    assert receptive_field(wt, 1, 1).all()
    with pytest.raises(ByHandError, match="outside out"):
        receptive_field(wt, 3, 0)


# ---------------------------------------------------------------- examples

@pytest.mark.parametrize("shortcut", ["identity", "zero_pad", "projection"])
def test_default_examples_are_exact_and_small(shortcut, conv_ok):
    wt = conv_block(**default_conv(shortcut))
    conv_ok(wt)
    assert wt.exact
    c, h, w = wt.params["in_shape"]
    assert c <= 2 and h in (4, 6)


def test_default_bottleneck(conv_ok):
    wt = bottleneck_block(**default_bottleneck())
    conv_ok(wt)
    assert wt.exact and wt.params["out_shape"] == (2, 4, 4)


def test_registry_examples(conv_ok):
    wt = build_example("conv", 3, channels=2, size=5, stride=2)
    conv_ok(wt)
    assert wt.params["shortcut"] == "zero_pad" and wt.params["out_shape"] == (4, 3, 3) and wt.exact
    wt = build_example("bottleneck", 3, stride=2)
    conv_ok(wt)
    assert wt.params["shortcut"] == "projection" and wt.params["out_shape"] == (4, 2, 2)


def test_random_examples_are_seeded_and_in_range():
    a, b = random_conv(5, 2, 6, 2, "projection"), random_conv(5, 2, 6, 2, "projection")
    assert a == b and a != random_conv(6, 2, 6, 2, "projection")
    assert np.asarray(a["x"]).shape == (2, 6, 6) and np.asarray(a["w1"]).shape == (4, 2, 3, 3)
    assert np.asarray(a["ws"]).shape == (4, 2, 1, 1)
    assert np.abs(np.asarray(a["x"])).max() <= 2
    assert conv_block(**a).exact
    k = random_bottleneck(2, 2, 4, 2, "projection", width=3)
    assert np.asarray(k["w3"]).shape == (4, 3, 1, 1)
    with pytest.raises(ByHandError, match="identity shortcut needs stride 1"):
        random_conv(0, stride=2)
    with pytest.raises(ByHandError, match="size must be a whole number"):
        random_conv(0, size=0)


# ---------------------------------------------------------------- bad input

def _bad(**change):
    kw = worked_basic()
    kw.update(change)
    return kw


@pytest.mark.parametrize("change, match", [
    ({"x": [[1, 2], [3, 4]]}, r"x must be 3-D \(channel, row, column\), not 2-D"),
    ({"x": [[[1, 2], [3]]]}, "different lengths"),
    ({"x": [[[1, 2, 0], [0, "abc", 3], [2, 0, 1]]]}, "x, channel 1, row 2, column 2: 'abc' is not a number"),
    ({"x": [[[1, 2, 0], [0, None, 3], [2, 0, 1]]]}, "x, channel 1, row 2, column 2: the cell is empty"),
    ({"x": np.array([[[1.0, 2, 0], [0, 1, np.nan], [2, 0, 1]]])}, "x, channel 1, row 2, column 3"),
    ({"x": [[[1, 2, 0], [0, 1, 3], [2, 0, 1e7]]]}, "row 3, column 3: 1e\\+07 is too large"),
    ({"x": [[[True, 2, 0], [0, 1, 3], [2, 0, 1]]]}, "row 1, column 1: True is not a number"),
    ({"x": np.zeros((1, 65, 65))}, "at most 64×64"),
    ({"x": np.zeros((65, 2, 2))}, "65 channels: at most 64"),
    ({"x": np.zeros((0, 2, 2))}, "x is empty"),
    ({"w1": [[[[1, 2, 3]]]]}, "w1 has 1×3 kernels: only square kernels"),
    ({"w1": [[[[1, 2], [3, 4]]]]}, "w1 has 2×2 kernels: the size must be odd"),
    ({"w1": [[[[0] * 3] * 3] * 2]}, "w1 has 2 input channels .* but its input has 1"),
    ({"w1": [[[0] * 3] * 3]}, r"w1 must be 4-D"),
    ({"w2": [[[[0] * 3] * 3] * 2]}, "w2 has 2 input channels .* but its input has 1"),
    ({"w2": [[[[1, 0, "x"], [0, 1, 0], [0, 0, 0]]]]}, "w2, out channel 1, in channel 1, row 1, column 3"),
    ({"bn1": ([1], [0], [0], [-1], 0)}, "bn1 running_var, channel 1: −1 is negative"),
    ({"bn1": ([1], [0], [0], [0], 0)}, "bn1 running_var, channel 1: σ² \\+ ε is 0"),
    ({"bn1": ([1, 2], [0], [0], [1], 0)}, "bn1 gamma has 2 values but must have 1"),
    ({"bn1": ([1], [0], ["?"], [1], 0)}, "bn1 running_mean, channel 1: '\\?' is not a number"),
    ({"bn1": ([1], [0], [0], [1])}, r"bn1 must be a tuple \(gamma, beta, running_mean, running_var, eps\)"),
    ({"bn2": ([1], [0], [0], [1], -1)}, "bn2 eps is −1: it must be ≥ 0"),
    ({"bn2": ([1], [0], [0], [1], "e")}, "bn2 eps"),
    ({"stride": 0}, "stride must be a whole number from 1 to 4"),
    ({"stride": 2}, "identity shortcut adds x .1×3×3. to the block's output .1×2×2.*matching shapes"),
    ({"shortcut": "pad"}, "shortcut must be one of"),
    ({"shortcut": "projection"}, "projection shortcut needs ws"),
    ({"ws": [[[[1]]]]}, "ws and bns belong to the projection shortcut"),
    ({"padding": 0}, "w2: a 3×3 kernel with padding 0 and stride 1 does not fit H .1×1 pixels."),
    ({"x": np.ones((1, 5, 5), dtype=int), "padding": 0},
     "identity shortcut adds x .1×5×5. to the block's output .1×1×1.*matching shapes"),
])
def test_bad_input_names_the_tensor_and_the_problem(change, match):
    with pytest.raises(ByHandError, match=match):
        conv_block(**_bad(**change))


def test_channel_count_that_does_not_fit_identity():
    kw = random_conv(0, 1, 4, 1, "zero_pad")  # 1 → 2 channels
    kw["shortcut"] = "identity"
    with pytest.raises(ByHandError, match="identity shortcut adds x .1×4×4. to the block's output .2×4×4."):
        conv_block(**kw)


def test_zero_pad_needs_at_least_as_many_channels():
    kw = random_conv(0, 2, 4, 1, "identity")
    kw["w1"] = np.asarray(kw["w1"])[:1]
    kw["bn1"] = tuple(np.asarray(v)[:1] for v in kw["bn1"][:4]) + (0,)
    kw["w2"] = np.asarray(kw["w2"])[:1, :1]
    kw["bn2"] = kw["bn1"]
    kw["shortcut"] = "zero_pad"
    with pytest.raises(ByHandError, match="at least 2 output channels, not 1"):
        conv_block(**kw)


def test_empty_output_from_padding():
    kw = _bad(x=[[[1, 2], [3, 4]]], padding=0)
    with pytest.raises(ByHandError, match="does not fit x .2×2 pixels.: the output would be empty") as e:
        conv_block(**kw)
    assert e.value.matrix == "w1"


def test_projection_weights_that_do_not_fit():
    kw = downsample("projection")
    kw["ws"] = [[[[1]]]]
    with pytest.raises(ByHandError, match="ws has 1 output channels but w2 has 2: the shortcut"):
        conv_block(**kw)
    kw["ws"] = [[[[0, 1, 0], [0, 1, 0], [0, 1, 0]]], [[[1] * 3] * 3]]
    with pytest.raises(ByHandError, match="ws has 3×3 kernels but this layer is a 1×1 convolution"):
        conv_block(**kw)


def test_error_points_at_the_cell():
    with pytest.raises(ByHandError) as e:
        conv_block(**_bad(bn1=([1], [0], [0], [-4], 0)))
    assert (e.value.matrix, e.value.row, e.value.col) == ("bn1 running_var", 1, 1)
    with pytest.raises(ByHandError) as e:
        conv_block(**_bad(x=[[[1, 2, 0], [0, "", 3], [2, 0, 1]]]))
    assert (e.value.matrix, e.value.row, e.value.col) == ("x, channel 1", 2, 2)


# ---------------------------------------------------------------- the number type, decided up front

def test_steps_before_the_switch_to_decimals_keep_the_given_weights_exact():
    kw = worked_basic()
    kw["w1"] = [[[[0, Fraction(1, 3), 0], [1, 0, 1], [0, 1, 0]]]]  # a third: no float holds it exactly
    kw["bn1"] = ([1], [0], [3], [2], 0)  # √2: decimals from BN1 on
    wt = conv_block(**kw)
    conv1 = wt.step("Y1")
    assert conv1.exact and not wt.step("BN1").exact
    # W1 is used by convolution 1, before the switch: the given W1 and the step's W1 are both exactly 1/3
    assert wt.inputs["W1"][0, 1] == Fraction(1, 3) and type(wt.inputs["W1"][0, 1]) is Fraction
    np.testing.assert_array_equal(conv1.left.parts[0].values, wt.inputs["W1"])
    # W2 is first used when BN2 is folded into it, after the switch: decimals there and in the inputs
    assert wt.inputs["W2"].dtype == float
    np.testing.assert_array_equal(wt.step("W2′").right.parts[0].values, wt.inputs["W2"])
    assert wt.step("BN2").note == "Decimals, as from batch norm 1 on (see its note)."


def test_kind_means_basic_or_bottleneck_and_the_block_is_the_registrys_name():
    assert KINDS == ("basic", "bottleneck") and SHORTCUTS == ("identity", "zero_pad", "projection")
    wt = conv_block(**default_conv())
    assert (wt.block, wt.params["kind"]) == ("conv", "basic") and variant_block("basic") is BLOCK
    wt = bottleneck_block(**default_bottleneck())
    assert (wt.block, wt.params["kind"]) == ("bottleneck", "bottleneck")
    assert variant_block("bottleneck") is BOTTLENECK
    with pytest.raises(ByHandError, match="kind must be one of 'basic', 'bottleneck', not 'conv'"):
        variant_block("conv")


# ---------------------------------------------------------------- a variant as the page's matrices

def to_rows(m) -> list[list[str]]:
    """A matrix as rows of text, as typed in the page's editors (``-1/2``, ``1/4``)."""
    return [[fmt(v, 12, minus="-") for v in row] for row in m]


def test_layers_and_default_stride():
    assert conv_layers("basic", "identity") == ("1", "2")
    assert conv_layers("bottleneck", "projection") == ("1", "2", "3", "s")
    assert [default_stride(s) for s in SHORTCUTS] == [1, 2, 2]
    with pytest.raises(ByHandError, match="shortcut must be one of"):
        conv_layers("basic", "pad")


def test_variant_size_is_the_registrys_size_with_the_default_examples_size():
    for kind, bt in (("basic", BLOCK), ("bottleneck", BOTTLENECK)):
        for shortcut in SHORTCUTS:
            size, registry = variant_size(kind, shortcut), bt.size("size")
            assert (size.name, size.label, size.url, size.low, size.high) == (
                registry.name, registry.label, registry.url, registry.low, registry.high)
            assert (size.low, size.high, size.url) == (2, 6, "n")
    # the downsampling default example is 6×6 (stride 2 gives 3×3); every other default is 4×4
    assert [variant_size("basic", s).default for s in SHORTCUTS] == [6 if s != "identity" else 4
                                                                     for s in SHORTCUTS]
    assert {variant_size("bottleneck", s).default for s in SHORTCUTS} == {4}


def test_variant_examples():
    assert variant_example("basic", "identity") == default_conv()
    assert variant_example("basic", "zero_pad") == default_conv("zero_pad")
    assert variant_example("bottleneck", "identity", channels=2) == default_bottleneck()
    # not the default: seed 0 at the default size, stride 2 for options A and B
    assert variant_example("basic", "identity", channels=2) == random_conv(0, 2, 4, 1, "identity")
    assert variant_example("bottleneck", "zero_pad", 2) == random_bottleneck(0, 2, 4, 2, "zero_pad")
    assert variant_example("basic", "projection", 1, seed=7, size=5) == random_conv(7, 1, 5, 2, "projection")
    assert np.shape(variant_example("basic", "identity", 2, seed=1, size=6)["x"]) == (2, 6, 6)
    for size in (1, 7, 2.5):
        with pytest.raises(ByHandError, match=r"Image size \(H = W\) must be a whole number from 2 to 6"):
            variant_example("basic", "identity", size=size)


def test_matrices_of_the_downsampling_example_with_projection():
    m = conv_matrices(default_conv("projection"))
    assert list(m) == ["x1", "w1_1", "w1_2", "bn1", "w2_1", "w2_2", "bn2", "ws", "bns"]
    assert m["x1"].shape == (6, 6)
    np.testing.assert_array_equal(m["x1"][0], [1, 0, 2, 1, 0, 1])
    np.testing.assert_array_equal(m["w1_2"], [[1, 0, -1], [0, 1, 0], [-1, 0, 1]])
    np.testing.assert_array_equal(m["bn1"], [[1, 0, 3, 1], [1, 1, 0, 4]])  # rows: channels; γ, β, μ, σ²
    # kernel 1 of convolution 2 has 2 input channels, stacked: rows 1–3 channel 1, rows 4–6 channel 2
    np.testing.assert_array_equal(m["w2_1"], [[0, 0, 0], [0, 1, 0], [0, 0, 0],
                                              [0, 1, 0], [0, 0, 0], [0, -1, 0]])
    np.testing.assert_array_equal(m["ws"], [[1], [-1]])  # 1×1 kernels: output × input channels
    np.testing.assert_array_equal(m["bns"], [[1, 0, 0, 1], [H2, 1, 1, H2 / 2]])


def test_matrices_of_the_bottleneck():
    m = conv_matrices(default_bottleneck())
    assert list(m) == ["x1", "x2", "w1", "bn1", "w2_1", "bn2", "w3", "bn3"]
    np.testing.assert_array_equal(m["w1"], [[1, 1]])  # 1 output channel × 2 input channels
    np.testing.assert_array_equal(m["w3"], [[1], [-1]])
    np.testing.assert_array_equal(m["x2"][1], [1, 0, 2, 0])


def test_inputs_read_the_page_matrices_back():
    kw = conv_inputs({"x1": [["1", "-2"], ["1/2", "0"]], "x2": [["0", "1"], ["1", "0"]],
                      "w1_1": [["0", "0", "0"], ["0", "1", "0"], ["0", "0", "0"],
                               ["0", "0", "0"], ["0", "2", "0"], ["0", "0", "0"]],
                      "bn1": [["1", "0", "0", "1"]],
                      "w2_1": [["0", "0", "0"], ["0", "3", "0"], ["0", "0", "0"]],
                      "w2_2": [["0", "0", "0"], ["0", "-1", "0"], ["0", "0", "0"]],
                      "bn2": [["1", "0", "0", "1"], ["2", "1", "0", "4"]],
                      "ws": [["1", "0"], ["0", "1"]], "bns": [["1", "0", "0", "1"], ["1", "0", "0", "1"]]},
                     "basic", "projection", 1, Fraction(1, 4))
    assert np.shape(kw["x"]) == (2, 2, 2) and kw["x"][0, 1, 0] == H2
    assert np.shape(kw["w1"]) == (1, 2, 3, 3) and (kw["w1"][0, 0, 1, 1], kw["w1"][0, 1, 1, 1]) == (1, 2)
    assert np.shape(kw["w2"]) == (2, 1, 3, 3) and (kw["w2"][0, 0, 1, 1], kw["w2"][1, 0, 1, 1]) == (3, -1)
    assert np.shape(kw["ws"]) == (2, 2, 1, 1)
    assert [list(v) for v in kw["bn2"][:4]] == [[1, 2], [0, 1], [0, 0], [1, 4]]
    assert kw["bn2"][4] == Fraction(1, 4)
    assert (kw["stride"], kw["shortcut"]) == (1, "projection")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shortcut", SHORTCUTS)
@pytest.mark.parametrize("channels, seed", [(1, None), (2, None), (2, 3)])
def test_round_trip_matrices_inputs_matrices(kind, shortcut, channels, seed):
    kw = variant_example(kind, shortcut, channels, seed)
    mats = conv_matrices(kw)
    rows = {name: to_rows(m) for name, m in mats.items()}  # as the page's editors hold them
    back = conv_inputs(rows, kind, shortcut, kw["stride"], 0)
    again = conv_matrices(back)
    assert list(again) == list(mats)
    for name in mats:
        np.testing.assert_array_equal(again[name], mats[name])
    for name in ("x", "w1", "w2"):
        np.testing.assert_array_equal(back[name], np.array(kw[name], dtype=object))
    build = variant_block(kind).build
    np.testing.assert_array_equal(build(**back).output, build(**kw).output)


def _worked_rows() -> dict:
    """The worked example as the page's editors hold it: rows of text."""
    return {name: to_rows(m) for name, m in conv_matrices(worked_basic()).items()}


@pytest.mark.parametrize("change, match, where", [
    ({"x1": [["1", "2", "0"], ["0", "abc", "3"], ["2", "0", "1"]]},
     "x1, row 2, column 2: 'abc' is not a number", "x1"),
    ({"bn2": None}, "bn2 is missing: batch norm 2 needs one row per channel", "bn2"),
    ({"x1": None}, "x1 is missing: the image needs its first channel", "x1"),
    ({"w2_1": None}, "w2_1 is missing: give w2_1, w2_2 …", "w2_1"),
    ({"x2": [["1", "2"], ["3", "4"]]},
     "x2 is 2×2 but x1 is 3×3: every channel of the image has the same size", "x2"),
    ({"w1_1": [["0", "1", "0"], ["1", "0", "1"]]}, "w1_1 is 2×3: it stacks one 3×3 kernel per input channel, "
     "so its number of rows must be a multiple of 3", "w1_1"),
    ({"w1_2": [["1"]]}, "w1_2 is 1×1 but w1_1 is 3×3: every kernel of convolution 1 has the same shape",
     "w1_2"),
    ({"bn1": [["1", "0", "3"]]}, r"bn1 must have 4 columns \(γ, β, μ, σ²\), not 3", "bn1"),
    ({"ws": [["1"]]}, "ws is not a matrix of the basic block with the identity shortcut", "ws"),
])
def test_inputs_name_the_bad_matrix(change, match, where):
    rows = _worked_rows()
    for name, value in change.items():
        if value is None:
            del rows[name]
        else:
            rows[name] = value
    with pytest.raises(ByHandError, match=match) as e:
        conv_inputs(rows, "basic", "identity", 1, 0)
    assert e.value.matrix == where


def test_inputs_with_an_unknown_kind_or_shortcut():
    with pytest.raises(ByHandError, match="kind must be one of"):
        conv_inputs(_worked_rows(), "wide", "identity")
    with pytest.raises(ByHandError, match="shortcut must be one of"):
        conv_inputs(_worked_rows(), "basic", "option C")


def test_read_eps():
    assert read_eps("0") == 0 and read_eps("1/4") == H2 / 2 and read_eps("1e-5") == Fraction(1, 100000)
    for text, problem in (("abc", "not a number"), ("-1", "negative: ε must be 0 or more"), ("", "empty"),
                          ("inf", "not finite")):
        with pytest.raises(ByHandError) as e:
            read_eps(text)
        assert str(e.value) == f"ε: {text!r} is {problem}; type a number such as 0 or 1e-5."
        assert e.value.matrix == "eps"


# ---------------------------------------------------------------- option A vs option B

def test_fixed_projection():
    ws, bns = fixed_projection(1, 2)
    assert ws == [[[[1]]], [[[1]]]] and bns == ([1, 1], [0, 0], [0, 0], [1, 1], 0)
    ws, _ = fixed_projection(2, 4)
    np.testing.assert_array_equal(np.array(ws)[:, :, 0, 0], [[1, -1], [-1, 1], [1, -1], [-1, 1]])


def test_shortcut_options_on_the_example_without_a_projection():
    kw = default_conv("zero_pad")
    o = shortcut_options(kw, "basic")
    assert not o.own_projection and (o.c_in, o.c_out, o.zero_channels) == (1, 2, 1)
    # option B: 2·1·1·1 weights (both +1) and γ, β of 2 channels
    assert (o.projection_weights, o.projection_bn, o.parameters) == (2, 4, 6)
    np.testing.assert_array_equal(o.a.output, conv_block(**kw).output)
    ws, bns = fixed_projection(1, 2)
    b = conv_block(**{**kw, "shortcut": "projection", "ws": ws, "bns": bns})
    np.testing.assert_array_equal(o.b.output, b.output)


def test_shortcut_options_on_the_example_with_its_projection():
    kw = default_conv("projection")
    o = shortcut_options(kw, "basic")
    assert o.own_projection and o.parameters == 6
    np.testing.assert_array_equal(o.b.output, conv_block(**kw).output)
    o = shortcut_options(default_bottleneck(), "bottleneck")
    assert (o.c_in, o.c_out, o.zero_channels, o.parameters) == (2, 2, 0, 8)  # 2·2 weights + γ, β of 2


def test_shortcut_options_need_as_many_output_channels():
    kw = random_conv(0, 2, 4, 1, "identity")
    kw["w1"] = np.asarray(kw["w1"])[:1]
    kw["bn1"] = tuple(np.asarray(v)[:1] for v in kw["bn1"][:4]) + (0,)
    kw["w2"] = np.asarray(kw["w2"])[:1, :1]
    kw["bn2"] = kw["bn1"]
    with pytest.raises(ByHandError, match="option A needs at least as many output channels as input "
                                          "channels: x has 2, w2 gives 1"):
        shortcut_options(kw, "basic")

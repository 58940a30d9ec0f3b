"""The convolutional ResNet block worked by hand: exact values derived by hand, the steps and their
parts, where every im2col cell comes from, the receptive field, and bad input."""

from fractions import Fraction

import numpy as np
import pytest

from byhand.blocks import build_example
from byhand.blocks.conv import (
    bottleneck_block,
    conv_block,
    default_bottleneck,
    default_conv,
    parameter_count,
    random_bottleneck,
    random_conv,
    receptive_field,
)
from byhand.numbers import ByHandError

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

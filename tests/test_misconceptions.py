"""Named misconceptions: each mistake's wrong walkthrough is recognised, on hand-worked examples and
on many seeds; right answers and random wrong numbers name none."""

import math
from fractions import Fraction

import numpy as np
import pytest

from byhand.blocks import build_example
from byhand.blocks.attention import self_attention
from byhand.blocks.conv import conv_block
from byhand.blocks.encoder import encoder_block
from byhand.blocks.residual import residual_block
from byhand.blocks.transformer import PARAM_SHAPES, random_transformer_params, transformer_layer
from byhand.misconceptions import MISCONCEPTIONS, diagnose, explain, wrong_walkthroughs
from byhand.numbers import ByHandError
from byhand.practice import check_answer, make_exercise

IDS = ["forgot_bias", "forgot_skip", "forgot_relu", "relu_too_early", "wrong_order", "softmax_axis",
       "layernorm_axis", "conv_offset"]
SEEDS = range(30)


def typed(v) -> str:
    """A value as a learner types it: exact as a fraction, a decimal to 3 places."""
    if isinstance(v, (int, Fraction, np.integer)):
        return str(v)
    return f"{float(v):.3f}"


def transformer(seed: int, norm_first: bool = False):
    X = np.random.default_rng(seed).integers(-2, 3, size=(4, 3))
    return transformer_layer(X, random_transformer_params(seed, d=4, f=6), nhead=2, norm_first=norm_first)


# (block, how to build its walkthrough for a seed) for every block a mistake is tested on
WALKS = {
    "residual": lambda s: build_example("residual", s),
    "encoder": lambda s: build_example("encoder", s),
    "encoder 3x3": lambda s: build_example("encoder", s, features=3, positions=3),
    "attention": lambda s: build_example("attention", s),
    "jacobian": lambda s: build_example("jacobian", s),
    "transformer": lambda s: transformer(s),
    "transformer norm_first": lambda s: transformer(s, norm_first=True),
    "conv": lambda s: build_example("conv", s),
    "conv stride 2": lambda s: build_example("conv", s, stride=2),
    "bottleneck": lambda s: build_example("bottleneck", s),
    "bottleneck stride 2": lambda s: build_example("bottleneck", s, stride=2),
}
CASES = [
    ("forgot_bias", ["residual", "encoder", "attention", "jacobian", "transformer"]),
    ("forgot_skip", ["residual", "encoder"]),
    ("forgot_relu", ["residual", "encoder"]),
    ("relu_too_early", ["residual", "encoder"]),
    ("wrong_order", ["residual", "encoder", "encoder 3x3", "attention"]),
    ("softmax_axis", ["attention", "transformer", "transformer norm_first"]),
    ("layernorm_axis", ["transformer", "transformer norm_first"]),
    ("conv_offset", ["conv", "conv stride 2", "bottleneck", "bottleneck stride 2"]),
]


def wrong_value(wt, wrong, cell):
    """The wrong walkthrough's value at the exercise cell's matrix cell: the step of the same name, the
    same region; a feature map's cell by channel and pixel (row, column). None where it has none."""
    name = wt.steps[cell.step].name
    step = next((s for s in wrong.steps if s.name == name and s.product is not None), None)
    if step is None:
        return None
    m = step.product if cell.region == "product" else step.result
    i, j = cell.row, cell.col
    maps, wmaps = wt.params.get("maps", {}), wrong.params.get("maps", {})
    if name in maps:
        c, h, w = maps[name]
        _, h2, w2 = wmaps[name]
        r, col = divmod(j, w)
        if r >= h2 or col >= w2:
            return None
        j = r * w2 + col
    return m[i, j] if i < m.shape[0] and j < m.shape[1] else None


@pytest.mark.parametrize("mistake, block", [(m, b) for m, blocks in CASES for b in blocks])
def test_each_mistake_is_named_on_many_seeds(mistake, block):
    named = 0
    for seed in SEEDS:
        wt = WALKS[block](seed)
        ex = make_exercise(wt)
        for wrong in wrong_walkthroughs(wt).get(mistake, []):
            answers = {}
            for c in ex.cells:
                v = wrong_value(wt, wrong, c)
                if v is not None and not check_answer(typed(v), c.answer).ok:  # equal to the right one: skip
                    answers[c.key] = typed(v)
            found = diagnose(ex, answers)
            assert set(found) == set(answers), (block, seed)  # every wrong cell is explained
            for key in answers:
                assert mistake in found[key], (block, seed, key)
            named += len(answers)
    assert named > 0  # the mistake applies and changes some cells on these seeds


def test_every_id_is_registered_with_a_sentence():
    assert list(MISCONCEPTIONS) == IDS
    for mid in IDS:
        m = MISCONCEPTIONS[mid]
        assert m.id == mid and m.name and m.blocks
        assert explain(mid) == m.right_idea and explain(mid).endswith(".")
    assert explain("forgot_skip").startswith("The skip adds X back: Out = ReLU(X + F(X)), not ReLU(F(X)).")
    with pytest.raises(ByHandError, match="unknown misconception 'nope'"):
        explain("nope")


# ---------------------------------------------------------------- worked by hand


def tiny_residual():
    """X = [2, −2, 1], W1 = 1, b1 = 1, W2 = 3, b2 = −2, worked by hand:
    W1·X + b1 = [3, −1, 2], H = [3, 0, 2]; F = 3H − 2 = [7, −2, 4]; X + F = [9, −4, 5]; Out = [9, 0, 5].
    Steps: X (0), H (1), stack (2), Out (3)."""
    return make_exercise(residual_block([[2, -2, 1]], [[1]], [[1]], [[3]], [[-2]]))


@pytest.mark.parametrize("key, text, ids", [
    # no biases: W1·X = [2, −2, 1]
    ((1, "product", 0, 0), "2", ["forgot_bias"]),
    # b2 left out: F = 3H = [9, 0, 6], X + F = [11, −2, 7], Out = [11, 0, 7]
    ((3, "result", 0, 2), "7", ["forgot_bias"]),
    # no skip: Out = ReLU(F) = [7, 0, 4]
    ((3, "result", 0, 0), "7", ["forgot_skip"]),
    # −2 in X + F's column 2 fits three mistakes: no biases (X + 3·[2, 0, 1] = [8, −2, 4]), no skip
    # (F = [7, −2, 4]) and ReLU too early (X + ReLU(F) = [9, −2, 5])
    ((3, "product", 0, 1), "-2", ["forgot_bias", "forgot_skip", "relu_too_early"]),
    # no ReLU in the hidden layer: H = [3, −1, 2]
    ((1, "result", 0, 1), "-1", ["forgot_relu"]),
    # no ReLU at all: F = 3·[3, −1, 2] − 2 = [7, −5, 4], Out = X + F = [9, −7, 5]
    ((3, "result", 0, 1), "-7", ["forgot_relu"]),
    # the last ReLU left out: Out = X + F = [9, −4, 5]
    ((3, "result", 0, 1), "-4", ["forgot_relu"]),
    # ReLU before the skip: Out = X + ReLU(F) = [9, −2, 5]
    ((3, "result", 0, 1), "-2", ["relu_too_early"]),
])
def test_residual_mistakes_by_hand(key, text, ids):
    assert diagnose(tiny_residual(), {key: text}) == {key: ids}


def tiny_attention():
    """X = [1, 2], Wq = Wk = Wv = 1, bq = 1 (d_k = 1, scale 1), worked by hand:
    Q = [2, 3], K = [1, 2], V = [1, 2]; S = Kᵀ·Q = [[2, 3], [4, 6]] (cell (i, j) = K_i·Q_j).
    Steps: X (0), Q (1), K (2), V (3), S (4), A (5), Z (6)."""
    return make_exercise(self_attention([[1, 2]], [[1]], [[1]], [[1]], bq=[[1]]))


def test_attention_by_hand_right_values():
    ex = tiny_attention()
    wt = ex.walkthrough
    np.testing.assert_array_equal(wt.steps[4].result.astype(int), [[2, 3], [4, 6]])
    e = math.e  # softmax of a column [a, b]: [1/(1 + e^(b−a)), e^(b−a)/(1 + e^(b−a))]
    A = [[1 / (1 + e ** 2), 1 / (1 + e ** 3)], [e ** 2 / (1 + e ** 2), e ** 3 / (1 + e ** 3)]]
    np.testing.assert_allclose(wt.steps[5].result, A)


def test_softmax_axis_by_hand():
    """Softmax along the rows of S: row 1 [2, 3] → [1/(1 + e), e/(1 + e)] = [0.269, 0.731]; the right
    A[1, 2] is 1/(1 + e³) = 0.047."""
    key = (5, "result", 0, 1)
    assert diagnose(tiny_attention(), {key: "0.731"}) == {key: ["softmax_axis"]}


def test_wrong_order_by_hand():
    """Qᵀ·K = Sᵀ = [[2, 4], [3, 6]]: 4 for S[1, 2] (right: 3). V·Aᵀ: Z[1] = 1·A[1,1] + 2·A[1,2]
    = 1/(1 + e²) + 2/(1 + e³) = 0.119 + 0.095 = 0.214 (right: V·A gives 1.881)."""
    ex = tiny_attention()
    for key, text in (((4, "product", 0, 1), "4"), ((4, "result", 0, 1), "4"),
                      ((6, "product", 0, 0), "0.214")):
        assert diagnose(ex, {key: text}) == {key: ["wrong_order"]}
    # softmax down the columns of Qᵀ·K: column 2 [4, 6] → A[1, 2] = 1/(1 + e²) = 0.119; without bq,
    # Q = [1, 2] and S = [[1, 2], [2, 4]], whose column 2 gives the same 0.119
    key = (5, "result", 0, 1)
    assert diagnose(ex, {key: "0.119"}) == {key: ["forgot_bias", "wrong_order"]}


def test_wrong_order_a_times_x_by_hand():
    """Encoder with X = [[1, 2], [3, 4]], A = [[1, 0], [1, 0]] (position 1 takes both, position 2 none):
    X·A = [[3, 0], [7, 0]]; A·X (mixing features) = [[1, 2], [1, 2]]; X·Aᵀ = [[1, 1], [3, 3]]."""
    wt = encoder_block([[1, 2], [3, 4]], [[1, 0], [1, 0]], [[1, 0]], [[0]], [[1], [0]], [[0], [0]])
    ex = make_exercise(wt)
    np.testing.assert_array_equal(wt.steps[1].product.astype(int), [[3, 0], [7, 0]])
    assert diagnose(ex, {(1, "product", 0, 1): "2"}) == {(1, "product", 0, 1): ["wrong_order"]}  # A·X
    assert diagnose(ex, {(1, "product", 1, 1): "3"}) == {(1, "product", 1, 1): ["wrong_order"]}  # X·Aᵀ


def test_layernorm_axis_by_hand():
    """A TransformerEncoderLayer (d = 2, n = 3, one head) whose attention weights are all 0, so that
    Y = LayerNorm(X + 0) with γ = 1, β = 0. X = [[1, 4, 1], [3, 0, 1]]. Each column (right):
    [1, 3] → [−1, 1]. Each row (wrong): row 1 [1, 4, 1] has mean 2 and variance 2, so it gives
    [−1, 2, −1]/√2 = [−0.707, 1.414, −0.707]; row 2 [3, 0, 1] has mean 4/3 and variance 14/9, so
    its first cell is (5/3)/(√14/3) = 5/√14 = 1.336."""
    dims = {"d": 2, "f": 2}
    p = {k: np.zeros((dims.get(r, r), dims.get(c, c))) for k, (r, c) in PARAM_SHAPES.items()}
    p["g1"][:] = 1
    p["g2"][:] = 1
    wt = transformer_layer([[1, 4, 1], [3, 0, 1]], p, nhead=1)
    y = [s.name for s in wt.steps].index("Y")
    np.testing.assert_allclose(wt.steps[y].result, [[-1, 1, 0], [1, -1, 0]], atol=1e-5)
    answers = {(y, "result", 0, 0): "-0.707", (y, "result", 0, 1): "1.414", (y, "result", 1, 0): "1.336"}
    assert diagnose(make_exercise(wt), answers) == {k: ["layernorm_axis"] for k in answers}


def test_conv_offset_by_hand():
    """x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], stride 2, padding 1, option A. Kernel 1 copies the pixel
    under its centre, kernel 2 the pixel right of it. Right: output pixel (i, j) sits on x[2i, 2j]:
    Y1 = [[1, 3, 7, 9], [2, 0, 8, 0]] (channel 2 reads x[0, 1] = 2, x[0, 3] (a padding zero), x[2, 1] = 8,
    0). With stride 1 it sits on x[i, j]: channel 1 is x itself, channel 2 is x[i, j + 1] =
    [[2, 3, 0], [5, 6, 0], [8, 9, 0]]: pixel (1, 2) is 2 (not 3), pixel (2, 1) is 4 (not 7), and channel 2's
    pixel (2, 2) is 6 (not 0). Steps: x (0), x_pad (1), Y1 (2)."""
    centre = [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    right = [[0, 0, 0], [0, 0, 1], [0, 0, 0]]
    zero = [[0, 0, 0]] * 3
    bn = ([1, 1], [0, 0], [0, 0], [1, 1], 0)
    x = [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
    wt = conv_block(x, [[centre], [right]], bn, [[centre, zero], [zero, centre]], bn, stride=2,
                    shortcut="zero_pad")
    assert wt.steps[2].name == "Y1"
    np.testing.assert_array_equal(wt.steps[2].product.astype(int), [[1, 3, 7, 9], [2, 0, 8, 0]])
    answers = {(2, "product", 0, 1): "2", (2, "product", 0, 2): "4", (2, "product", 1, 3): "6"}
    assert diagnose(make_exercise(wt), answers) == {k: ["conv_offset"] for k in answers}


# ---------------------------------------------------------------- nothing to name


@pytest.mark.parametrize("block", list(WALKS))
def test_right_answers_and_random_numbers_name_nothing(block):
    for seed in range(5):
        ex = make_exercise(WALKS[block](seed))
        assert diagnose(ex, {c.key: typed(c.answer) for c in ex.cells}) == {}
        assert diagnose(ex, {c.key: "12345.678" for c in ex.cells}) == {}
        assert diagnose(ex, {}) == {}  # nothing typed
        assert diagnose(ex, {c.key: "x" for c in ex.cells}) == {}  # not a number


def test_a_wrong_number_no_mistake_explains():
    ex = tiny_residual()
    assert diagnose(ex, {(1, "product", 0, 0): "5", (3, "result", 0, 0): "1/3"}) == {}


def test_mistakes_that_cannot_apply():
    plain = build_example("residual", 1)
    plain = residual_block(**plain.inputs, residual=False)
    assert not {"forgot_skip", "relu_too_early"} & set(wrong_walkthroughs(plain))
    # W1·Xᵀ needs as many samples as features; A·X as many positions as features
    assert "wrong_order" not in wrong_walkthroughs(build_example("residual", 1, samples=2))
    assert len(wrong_walkthroughs(build_example("encoder", 1))["wrong_order"]) == 1  # X·Aᵀ only: X is 2×3
    assert len(wrong_walkthroughs(build_example("encoder", 1, features=3))["wrong_order"]) == 2
    # without biases there is no bias to forget; the jacobian and conv blocks have no skip option here
    no_bias = self_attention([[1, 0]], [[2]], [[1]], [[3]])
    assert "forgot_bias" not in wrong_walkthroughs(no_bias)
    assert set(wrong_walkthroughs(build_example("conv", 1))) == {"conv_offset"}


def test_wrong_walkthroughs_are_built_once_per_walkthrough():
    wt = build_example("encoder", 4)
    first = wrong_walkthroughs(wt)
    again = wrong_walkthroughs(wt)
    assert all(a is b for k in first for a, b in zip(first[k], again[k]))

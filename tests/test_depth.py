"""Gradients through deep plain and residual stacks, and the training demo: behaviour from the math.

Notation: a plain block is ReLU(W2·ReLU(W1·x)) (two weight layers), a residual block is
x + α·W2·ReLU(W1·x); weights are N(0, σ²) with σ² = 2/w (He) or 1/w (Xavier, square layers).
The margins below are derived in each test's docstring; where the math is only approximate
(independence between layers is assumed) the docstring says so and the margin is wide.
"""

import math

import numpy as np
import pytest

import byhand.depth as depth_mod
from byhand import ByHandError
from byhand.depth import (
    MAX_DEPTH,
    branch_scale,
    gradient_norms,
    init_std,
    stack_log_norms,
    toy_data,
    train_stacks,
)

LOG10_HALF = math.log10(0.5)


@pytest.mark.parametrize("kwargs, message", [
    ({"depth": 0}, "depth must be from 1 to 10,000, not 0"),
    ({"depth": 10**7}, "depth must be from 1 to 10,000, not 10,000,000"),
    ({"depth": 2.5}, "depth must be a whole number"),
    ({"depth": True}, "depth must be a whole number"),
    ({"width": 0}, "width must be from 1 to 256, not 0"),
    ({"draws": 0}, "draws must be from 1 to 50"),
    ({"init": "gain", "gain": float("nan")}, "gain must be a finite number above 0"),
    ({"init": "gain", "gain": -1.0}, "gain must be a finite number above 0"),
    ({"init": "gain", "gain": "abc"}, "gain must be a number"),
    ({"init": "lecun"}, "initialisation must be one of he, xavier, gain"),
    ({"branch": "2"}, "branch scale must be one of 1, 1/sqrt"),
    ({"width": 256, "depth": 10_000, "draws": 5}, "width² × depth × draws is 3,276,800,000"),
])
def test_bad_settings_get_a_message(kwargs, message):
    with pytest.raises(ByHandError, match=message):
        gradient_norms(**kwargs)


def test_init_and_branch_scales():
    assert init_std("he", 50) == pytest.approx(math.sqrt(2 / 50))
    assert init_std("xavier", 50) == pytest.approx(math.sqrt(1 / 50))
    assert init_std("gain", 16, 2.0) == pytest.approx(0.5)
    assert branch_scale("1", 400) == 1.0 and branch_scale("zero", 400) == 0.0
    assert branch_scale("1/sqrt(depth)", 400) == pytest.approx(0.05)


def test_stack_by_hand():
    """Width 2, one residual block, W1 = I, W2 = [[0, 1], [1, 0]] (a swap), α = 1/2.

    x0 = (3, 4): ReLU(W1·x0) = (3, 4), W2·(3, 4) = (4, 3), x1 = (3, 4) + (2, 3/2) = (5, 5.5),
    ‖x1‖ = √(25 + 30.25) = √55.25. Jacobian I + ½·W2·D·W1 with D = I: [[1, ½], [½, 1]];
    δ = (1, 0): δ·J = (1, ½), norm √1.25. The plain block: x1 = ReLU(W2·(3, 4)) = (4, 3),
    norm 5; δ·D2·W2·D1·W1 = (1, 0)·W2 = (0, 1), norm 1.
    """
    W1 = np.eye(2)[None]
    W2 = np.array([[[0.0, 1.0], [1.0, 0.0]]])
    act, grad = stack_log_norms(np.array([3.0, 4.0]), np.array([1.0, 0.0]), W1, W2, 0.5, True)
    np.testing.assert_allclose(10 ** act, [5.0, math.sqrt(55.25)], rtol=1e-12)
    np.testing.assert_allclose(10 ** grad, [math.sqrt(1.25), 1.0], rtol=1e-12)
    act, grad = stack_log_norms(np.array([3.0, 4.0]), np.array([1.0, 0.0]), W1, W2, 1.0, False)
    np.testing.assert_allclose(10 ** act, [5.0, 5.0], rtol=1e-12)
    np.testing.assert_allclose(10 ** grad, [1.0, 1.0], rtol=1e-12)


def test_nothing_overflows_at_depth_10000():
    """Each block doubles the residual stack's vector (W1 = W2 = I, α = 1, x > 0): 2^10000 ≈ 10^3010
    is far beyond float64 (10^308), yet the log norms are exact: 10000·log10 2 at the top."""
    L = MAX_DEPTH
    W = np.broadcast_to(np.eye(2), (L, 2, 2))
    act, grad = stack_log_norms(np.array([3.0, 4.0]), np.array([0.6, 0.8]), W, W, 1.0, True)
    np.testing.assert_allclose(act, math.log10(5) + np.arange(L + 1) * math.log10(2), rtol=1e-9)
    np.testing.assert_allclose(grad, (L - np.arange(L + 1)) * math.log10(2), rtol=1e-9, atol=1e-9)


def test_zero_initialised_branch_is_the_identity():
    """With W2 = 0 every residual Jacobian is exactly I: the gradient's norm is 1 at every block,
    at depth 10,000, in every draw."""
    g = gradient_norms(width=8, depth=MAX_DEPTH, branch="zero", draws=3)
    np.testing.assert_allclose(g.residual, 0.0, atol=1e-9)
    np.testing.assert_allclose(g.residual_act, 0.0, atol=1e-9)
    assert g.residual.shape == (3, MAX_DEPTH + 1)


def test_plain_xavier_halves_the_squared_gradient_per_layer():
    """Variance 1/fan_in: one ReLU layer maps a row δ to (δ ⊙ ReLU′)·W. Given the mask, each of the
    w entries of (δ ⊙ ReLU′)·W has variance ‖δ ⊙ ReLU′‖²/w, so E‖·‖² = ‖δ ⊙ ReLU′‖², and half the
    units are on: E‖δ·J‖² = ½‖δ‖². A block has two layers: the norm halves per block, so the
    mean log10 norm falls by log10 2 ≈ 0.301 per block, 20·0.301 = 6.02 over 20 blocks.

    Width 256 makes each factor concentrate: its log has sd ≈ √(3/w) ≈ 0.11 (natural) per layer,
    so over 40 layers one draw's total has sd ≈ 0.7 natural ≈ 0.3 decades; the mean of 8 draws
    ≈ 0.1. Jensen's gap (E log < log E) costs ≈ 3/(2w) per layer, 0.1 decade in all. Margins:
    0.5 decade on the total, 10% on the per-block slope.
    """
    g = gradient_norms(width=256, depth=20, init="xavier", draws=8)
    s = g.summary("plain")
    assert s["mean"][0] == pytest.approx(20 * LOG10_HALF, abs=0.5)
    slope = np.polyfit(np.arange(21), s["mean"], 1)[0]  # per block, from the input up
    assert slope == pytest.approx(-LOG10_HALF, rel=0.1)


def test_plain_he_keeps_the_mean_square_but_spreads():
    """He (variance 2/fan_in) doubles the ½ above: E‖δ·J‖² = ‖δ‖² per layer, so the root mean
    square over draws stays at 1 (log10 0). But that mean is carried by rare large draws: the
    relative variance of ‖δ_0‖² grows like exp(5·layers/width) (Hanin 2018), ≈ 3.8 for 20 layers
    of width 64; with 50 draws the rms is known to ≈ √(3.8/50) ≈ 28%, 0.12 decade. Margin: 0.5.

    The typical draw does worse: mean log10 ≤ log10 rms always (Jensen), and the spread of log
    norms grows like √depth if the blocks' log factors were independent: √(200/12) ≈ 4.1; the
    blocks near the top contribute less, so we only assert that it grows more than twofold.
    """
    g = gradient_norms(width=64, depth=10, init="he", draws=50)
    s = g.summary("plain")
    assert abs(s["rms"][0]) < 0.5
    assert np.all(s["mean"] <= s["rms"] + 1e-12)
    sd_12 = gradient_norms(width=64, depth=12, init="he", draws=50).summary("plain")["sd"][0]
    sd_200 = gradient_norms(width=64, depth=200, init="he", draws=50).summary("plain")["sd"][0]
    assert 2.0 < sd_200 / sd_12 < 8.0


def test_residual_scaled_branch_stays_within_a_constant_factor():
    """Branch scale α = 1/√L: per block ‖δ·J‖² = ‖δ‖²·(1 + 2αa + α²b) with a = δ̂·M·δ̂ᵀ, b = ‖δ̂·M‖²,
    M = W2·D·W1. With He weights E b = 2 (W2 doubles, D halves, W1 doubles) and a has mean 0 and
    variance 2/w. Over L blocks log‖δ_0‖² is a sum of L terms each O(1/L) in mean and O(1/√L) in
    sd, so it tends to a fixed distribution as L grows: assuming independent blocks, mean
    2 − 4/w = 1.5 and sd √(8/w) = 1 (natural log of the squared norm), i.e. log10 ‖δ_0‖ ≈ 0.33 ±
    0.22. (Blocks are not independent: the masks above depend on this block's output.)

    So at depth 10,000 every draw lies within a constant factor of 1: we allow ±2 decades, some
    7 sd. And depth 1,000 and depth 10,000 give the same distribution: their means over 20 draws
    (standard error ≈ 0.05 each) agree within 0.25 decade.
    """
    deep = gradient_norms(width=8, depth=10_000, init="he", branch="1/sqrt(depth)", draws=20)
    assert np.all(np.abs(deep.residual[:, 0]) < 2.0)
    shallower = gradient_norms(width=8, depth=1_000, init="he", branch="1/sqrt(depth)", draws=20, seed=1)
    assert abs(deep.summary("residual")["mean"][0] - shallower.summary("residual")["mean"][0]) < 0.25


def test_unscaled_residual_stack_explodes():
    """α = 1 with He weights: E‖δ·J‖² = (1 + E b)‖δ‖² = 3‖δ‖² per block, a rate of log10 3 / 2 ≈ 0.24
    decade per block for the rms. The typical (mean log) rate is lower by Jensen's gap, which is
    O(1) per block here, so we only assert more than 0.1 decade per block: over 1,000 blocks the
    input gradient is more than 10^100 times the top's, and so are the activations."""
    g = gradient_norms(width=8, depth=1_000, init="he", branch="1", draws=3)
    assert np.all(g.residual[:, 0] > 100)
    assert np.all(g.residual_act[:, -1] > 100)


def test_narrow_plain_stack_dies():
    """Width 1: each ReLU passes its single unit with probability ½; a plain stack of 50 blocks
    (100 ReLUs) stays alive with probability 2⁻¹⁰⁰. Once every unit is off, the output and the
    gradient below are exactly 0: log norm −inf, reported as dead, and no NaN anywhere."""
    g = gradient_norms(width=1, depth=50, init="he", draws=10)
    s = g.summary("plain")
    assert s["dead"][0] == 1.0 and s["dead"][-1] == 0.0
    assert np.all(np.isneginf(g.plain[:, 0]))
    assert not np.isnan(g.plain).any() and not np.isnan(g.plain_act).any()
    rows = g.chart_rows(points=11)
    assert rows[0] == {"layer": 0, "stack": "plain", "mean": None, "low": None, "high": None,
                       "rms": None, "dead": 1.0}
    assert [r["layer"] for r in rows[:11]] == list(range(0, 51, 5))


def test_regenerating_weights_gives_the_same_numbers(monkeypatch):
    """Large settings regenerate each chunk of weights for the backward pass instead of keeping it."""
    kept = gradient_norms(width=16, depth=3_000, draws=2, seed=4)
    monkeypatch.setattr(depth_mod, "_KEEP", 0)
    again = gradient_norms(width=16, depth=3_000, draws=2, seed=4)
    np.testing.assert_array_equal(kept.plain, again.plain)
    np.testing.assert_array_equal(kept.residual, again.residual)


def test_summary_statistics():
    g = gradient_norms(width=8, depth=30, draws=4)
    for stack in ("plain", "residual"):
        s = g.summary(stack)
        data = getattr(g, stack)
        alive = np.isfinite(data[:, 0]).all()
        if alive:
            np.testing.assert_allclose(s["mean"], data.mean(axis=0))
            np.testing.assert_allclose(s["rms"], np.log10(np.sqrt(np.mean((10.0 ** data) ** 2, axis=0))))
        assert s["high"][-1] == 0.0 == s["low"][-1]  # the top gradient has norm 1 in every draw


def test_toy_data():
    P, y = toy_data("spirals", 100, seed=1)
    assert P.shape == (2, 100) and y.sum() == 50
    assert np.abs(P).max() < 1.5
    P, y = toy_data("circles", 100, noise=0.0, seed=1)
    r = np.hypot(*P)
    assert r[y == 1].max() <= 0.5 and r[y == 0].min() >= 0.7  # disc inside a ring
    with pytest.raises(ByHandError, match="task must be one of spirals, circles"):
        toy_data("moons")


@pytest.mark.parametrize("kwargs, message", [
    ({"depths": (0, 2)}, "depth must be from 1 to 64, not 0"),
    ({"depths": (2, 10**7)}, "depth must be from 1 to 64"),
    ({"depths": ()}, "from 1 to 6 depths"),
    ({"depths": "abc"}, "depth must be a whole number"),
    ({"width": 0}, "width must be from 1 to 32"),
    ({"lr": float("nan")}, "learning rate must be a finite number above 0"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of adam, sgd"),
    ({"steps": 5000, "depths": (64,), "width": 32, "points": 4096}, "too much work"),
])
def test_training_bad_settings(kwargs, message):
    with pytest.raises(ByHandError, match=message):
        train_stacks(**kwargs)


def test_training_progress_and_shapes():
    seen = []
    run = train_stacks(depths=(1, 3), width=4, steps=50, points=32, progress=lambda f, t: seen.append(f))
    assert run.depths == (1, 3) and set(run.plain) == {1, 3} and len(run.residual[3]) == 51
    assert seen == sorted(seen) and seen[-1] == 1.0
    rows = run.chart_rows(every=10)
    assert len(rows) == 2 * 2 * 6 and {r["stack"] for r in rows} == {"plain", "residual"}


def test_training_starts_near_chance():
    """Before training a net guesses: the loss is near ln 2 ≈ 0.693, the cross-entropy of 50/50."""
    run = train_stacks(depths=(2,), width=16, steps=1, points=128)
    assert run.plain[2][0] == pytest.approx(math.log(2), abs=0.3)


@pytest.mark.parametrize("seed", [0, 1])
def test_training_degradation_demo(seed):
    """The demo's story at its default setting (a regression check of the page, not a theorem):
    the 32-block plain net (64 ReLU layers of width 16) does not leave ln 2 ≈ 0.693: its signal
    dies out on the way up (units switch off and the log norm drifts down, as above), so it
    predicts 50/50 and its gradients vanish; the residual net of the same depth, with the same
    data, optimizer and learning rate, fits the 256 points (loss below 0.1)."""
    run = train_stacks(seed=seed)
    assert run.depths == (2, 8, 32)
    assert run.plain[32][-1] > 0.6
    assert run.residual[32][-1] < 0.1
    assert run.accuracy[("residual", 32)] > 0.95

"""The convolutional blocks agree with real PyTorch layers: nn.Conv2d (no bias), nn.BatchNorm2d in
eval mode with the given running statistics, F.relu, and the zero-padding shortcut from slicing
and F.pad. Exact inputs (integers, batch norms with square σ² + ε) must match float64 torch
exactly: every value is a small dyadic fraction, which float64 holds without rounding.
"""

from fractions import Fraction

import numpy as np
import pytest

from byhand.blocks.conv import bottleneck_block, conv_block, random_bottleneck, random_conv

torch = pytest.importorskip("torch")


F = torch.nn.functional
nn = torch.nn


def _t(a):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64)


def _conv(w, stride: int, padding: int):
    w = _t(w)
    layer = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], stride=stride, padding=padding, bias=False,
                      dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(w)
    return layer


def _bn(bn):
    g, b, mu, var, eps = bn
    layer = nn.BatchNorm2d(len(g), eps=float(eps), dtype=torch.float64).eval()
    with torch.no_grad():
        layer.weight.copy_(_t(g).reshape(-1))
        layer.bias.copy_(_t(b).reshape(-1))
        layer.running_mean.copy_(_t(mu).reshape(-1))
        layer.running_var.copy_(_t(var).reshape(-1))
    return layer


def _shortcut(x, kw, stride: int, c_out: int):
    if kw["shortcut"] == "identity":
        return x
    if kw["shortcut"] == "zero_pad":  # option A: subsample, then append zero channels
        xs = x[:, :, ::stride, ::stride]
        return F.pad(xs, (0, 0, 0, 0, 0, c_out - x.shape[1]))
    return _bn(kw["bns"])(_conv(kw["ws"], stride, 0)(x))


def torch_basic(kw) -> np.ndarray:
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)) with torch layers, (C, H, W)."""
    x = _t(kw["x"]).unsqueeze(0)
    s = kw.get("stride", 1)
    k = np.asarray(kw["w1"]).shape[-1]
    with torch.no_grad():
        h = F.relu(_bn(kw["bn1"])(_conv(kw["w1"], s, k // 2)(x)))
        f = _bn(kw["bn2"])(_conv(kw["w2"], 1, k // 2)(h))
        return F.relu(f + _shortcut(x, kw, s, f.shape[1]))[0].numpy()


def torch_bottleneck(kw) -> np.ndarray:
    """1×1 → 3×3 (stride) → 1×1 with BN after each, plus the shortcut, then relu."""
    x = _t(kw["x"]).unsqueeze(0)
    s = kw.get("stride", 1)
    with torch.no_grad():
        h = F.relu(_bn(kw["bn1"])(_conv(kw["w1"], 1, 0)(x)))
        h = F.relu(_bn(kw["bn2"])(_conv(kw["w2"], s, 1)(h)))
        f = _bn(kw["bn3"])(_conv(kw["w3"], 1, 0)(h))
        return F.relu(f + _shortcut(x, kw, s, f.shape[1]))[0].numpy()


def _float_bn(rng, c):
    return (rng.uniform(0.5, 2, c), rng.normal(0, 1, c), rng.normal(0, 1, c), rng.uniform(0.1, 3, c),
            float(rng.choice([1e-5, 1e-3, 0.1])))


def _float_kwargs(rng, c, n, stride, shortcut, cout, k=3):
    kw = {"x": rng.normal(0, 1, (c, n, n)), "w1": rng.normal(0, 0.5, (cout, c, k, k)),
          "bn1": _float_bn(rng, cout), "w2": rng.normal(0, 0.5, (cout, cout, k, k)),
          "bn2": _float_bn(rng, cout), "stride": stride, "shortcut": shortcut}
    if shortcut == "projection":
        kw["ws"], kw["bns"] = rng.normal(0, 1, (cout, c, 1, 1)), _float_bn(rng, cout)
    return kw


def _cases_exact():
    """120 exact basic blocks over seeds, channels, sizes, strides and all three shortcuts."""
    out = []
    for seed in range(120):
        rng = np.random.default_rng(1000 + seed)
        shortcut = ("identity", "zero_pad", "projection")[seed % 3]
        stride = 1 if shortcut == "identity" else int(rng.integers(1, 4))
        out.append((seed, int(rng.integers(1, 4)), int(rng.integers(1, 8)), stride, shortcut))
    return out


@pytest.mark.parametrize("seed, channels, size, stride, shortcut", _cases_exact())
def test_basic_block_exactly_equals_torch(seed, channels, size, stride, shortcut, conv_ok):
    kw = random_conv(seed, channels, size, stride, shortcut, low=-3, high=3)
    wt = conv_block(**kw)
    assert wt.exact
    assert all(isinstance(v, (int, Fraction)) for v in wt.output.flat)
    theirs = torch_basic(kw)
    assert wt.output.shape == theirs.shape
    np.testing.assert_array_equal(np.asarray(wt.output, dtype=float), theirs)
    conv_ok(wt)


@pytest.mark.parametrize("seed", range(60))
def test_basic_block_floats_agree_with_torch(seed, conv_ok):
    rng = np.random.default_rng(seed)
    shortcut = ("identity", "zero_pad", "projection")[seed % 3]
    stride = 1 if shortcut == "identity" else int(rng.integers(1, 4))
    c = int(rng.integers(1, 5))
    cout = c if shortcut == "identity" else c + int(rng.integers(0, 3))
    k = 5 if seed % 10 == 9 else 3
    kw = _float_kwargs(rng, c, int(rng.integers(2, 10)), stride, shortcut, cout, k)
    wt = conv_block(**kw)
    assert not wt.exact
    np.testing.assert_allclose(wt.output, torch_basic(kw), rtol=1e-10, atol=1e-10)
    conv_ok(wt)


@pytest.mark.parametrize("seed", range(45))
def test_bottleneck_exactly_equals_torch(seed, conv_ok):
    rng = np.random.default_rng(500 + seed)
    shortcut = ("identity", "projection", "zero_pad")[seed % 3]
    stride = 1 if shortcut == "identity" else int(rng.integers(1, 3))
    kw = random_bottleneck(seed, int(rng.integers(1, 4)), int(rng.integers(1, 7)), stride, shortcut,
                           width=int(rng.integers(1, 3)))
    wt = bottleneck_block(**kw)
    assert wt.exact
    np.testing.assert_array_equal(np.asarray(wt.output, dtype=float), torch_bottleneck(kw))
    conv_ok(wt)


def test_16_channel_block_agrees_with_torch():
    rng = np.random.default_rng(16)
    kw = _float_kwargs(rng, 16, 16, 2, "projection", 32)
    np.testing.assert_allclose(conv_block(**kw).output, torch_basic(kw), rtol=1e-10, atol=1e-10)


def test_exact_inputs_with_torch_default_eps_switch_to_floats_and_agree():
    kw = random_conv(4, 2, 5, 2, "projection")
    kw["bn2"] = kw["bn2"][:4] + (1e-5,)
    wt = conv_block(**kw)
    assert not wt.exact and "ε = 1e-05 is a decimal" in next(s.note for s in wt.steps if s.name == "BN2")
    assert wt.steps[1].exact  # the steps before BN2 stay exact
    np.testing.assert_allclose(np.asarray(wt.output, dtype=float), torch_basic(kw), rtol=1e-12, atol=1e-12)

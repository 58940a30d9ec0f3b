"""Gradients computed twice, by the engine and by torch autograd (float64), and compared.

- ``block_jacobian`` against ``torch.autograd.functional.jacobian`` on hundreds of random integer
  blocks: equal exactly (small integers are exact in float64, and both take ReLU′(0) = 0);
- the backprop rule against ``x.grad`` after ``(δ·y).sum().backward()``;
- per-block log gradient norms through real stacks of ``nn.Linear`` layers, depths up to 50;
- the NumPy training step's gradients and a few Adam steps against torch;
- the image's downsampling and bilinear upsampling against ``avg_pool2d`` and ``interpolate``.
"""

import math

import numpy as np
import pytest

from byhand.blocks.jacobian import backprop_block, block_jacobian, jacobian_walkthrough
from byhand.depth import (
    bce_loss,
    init_net,
    net_backward,
    net_forward,
    stack_log_norms,
    toy_data,
    train_stacks,
)
from byhand.superres import downsample, pattern_image, upsample

torch = pytest.importorskip("torch")
nn = torch.nn
T = torch.float64


def _random_block(rng, d, h, low=-3, high=3):
    ints = lambda *shape: rng.integers(low, high + 1, size=shape)  # noqa: E731
    return {"x": ints(d, 1), "W1": ints(h, d), "b1": ints(h, 1), "W2": ints(d, h), "b2": ints(d, 1)}


def _torch_block(blk, residual=True):
    W1, b1, W2, b2 = (torch.tensor(np.asarray(blk[k], dtype=float), dtype=T)
                      for k in ("W1", "b1", "W2", "b2"))

    def f(x):  # x: (d,)
        F = W2 @ torch.relu(W1 @ x + b1[:, 0]) + b2[:, 0]
        return x + F if residual else F

    return f


@pytest.mark.parametrize("seed", range(200))
def test_block_jacobian_matches_autograd_exactly(seed):
    rng = np.random.default_rng(seed)
    d, h = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    blk = _random_block(rng, d, h)
    x = torch.tensor(blk["x"][:, 0].astype(float), dtype=T)
    for residual in (True, False):
        want = torch.autograd.functional.jacobian(_torch_block(blk, residual), x).numpy()
        got = block_jacobian(**blk, residual=residual)
        assert got.dtype == object
        np.testing.assert_array_equal(np.asarray(got, dtype=float), want)


def test_kinks_were_tested():
    """Among the seeds above, pre-activations exactly 0 occur: ReLU′(0) = 0 agrees with torch there too."""
    kinks = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        d, h = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        blk = _random_block(rng, d, h)
        kinks += int(np.any(blk["W1"] @ blk["x"] + blk["b1"] == 0))
    assert kinks >= 20


@pytest.mark.parametrize("seed", range(50))
def test_backprop_rule_matches_autograd(seed):
    rng = np.random.default_rng(1000 + seed)
    d, h = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    blk = _random_block(rng, d, h)
    delta = rng.integers(-3, 4, size=d)
    for residual in (True, False):
        x = torch.tensor(blk["x"][:, 0].astype(float), dtype=T, requires_grad=True)
        y = _torch_block(blk, residual)(x)
        (torch.tensor(delta.astype(float), dtype=T) * y).sum().backward()
        want = x.grad.numpy()[None, :]
        got = backprop_block(delta, **blk, residual=residual)
        np.testing.assert_array_equal(np.asarray(got, dtype=float), want)
        wt = jacobian_walkthrough(**blk, delta=delta, residual=residual)
        np.testing.assert_array_equal(np.asarray(wt.output, dtype=float), want)


@pytest.mark.parametrize("seed", range(20))
def test_fraction_and_float_blocks_match_autograd(seed):
    rng = np.random.default_rng(2000 + seed)
    d, h = 3, 4
    blk = {k: (rng.integers(-6, 7, size=v.shape) / 4).tolist()
           for k, v in _random_block(rng, d, h).items()}
    frac = {k: [[f"{int(round(4 * c))}/4" for c in row] for row in v] for k, v in blk.items()}
    x = torch.tensor(np.asarray(blk["x"])[:, 0], dtype=T)
    want = torch.autograd.functional.jacobian(_torch_block(blk), x).numpy()
    np.testing.assert_array_equal(block_jacobian(**blk), want)  # quarters are exact in float64 too
    np.testing.assert_array_equal(np.asarray(block_jacobian(**frac), dtype=float), want)


class PlainBlock(nn.Module):
    """ReLU(W2·ReLU(W1·x)) as two nn.Linear layers without bias."""

    def __init__(self, w):
        super().__init__()
        self.l1, self.l2 = nn.Linear(w, w, bias=False, dtype=T), nn.Linear(w, w, bias=False, dtype=T)

    def forward(self, x):
        return torch.relu(self.l2(torch.relu(self.l1(x))))


class ResidualBlock(PlainBlock):
    """x + α·W2·ReLU(W1·x)."""

    def __init__(self, w, alpha):
        super().__init__(w)
        self.alpha = alpha

    def forward(self, x):
        return x + self.alpha * self.l2(torch.relu(self.l1(x)))


def _torch_log_norms(x0, delta, W1, W2, residual, alpha):
    depth, w = W1.shape[0], W1.shape[-1]
    blocks = [ResidualBlock(w, alpha) if residual else PlainBlock(w) for _ in range(depth)]
    with torch.no_grad():
        for b, A, B in zip(blocks, W1, W2):
            b.l1.weight.copy_(torch.tensor(A))
            b.l2.weight.copy_(torch.tensor(B))
    xs = [torch.tensor(x0, dtype=T, requires_grad=True)]
    for b in blocks:
        xs.append(b(xs[-1]))
        xs[-1].retain_grad()
    (torch.tensor(delta, dtype=T) * xs[-1]).sum().backward()
    log10 = lambda t: math.log10(t.norm().item()) if t.norm().item() > 0 else -math.inf  # noqa: E731
    return np.array([log10(v) for v in xs]), np.array([log10(v.grad) for v in xs])


@pytest.mark.parametrize("depth, width, std, residual, alpha", [
    (1, 3, 0.8, True, 1.0), (1, 3, 0.8, False, 1.0), (7, 5, 0.7, True, 0.5), (7, 5, 0.9, False, 1.0),
    (16, 8, 0.5, True, 0.25), (16, 8, 0.5, False, 1.0), (50, 16, math.sqrt(2 / 16), True, 50 ** -0.5),
    (50, 32, math.sqrt(2 / 32), False, 1.0), (50, 4, 0.6, True, 1.0), (40, 64, math.sqrt(1 / 64), False, 1.0),
])
def test_stack_log_norms_match_autograd(depth, width, std, residual, alpha):
    for seed in range(3):
        rng = np.random.default_rng(seed)
        W1 = rng.standard_normal((depth, width, width)) * std
        W2 = rng.standard_normal((depth, width, width)) * std
        x0, delta = rng.standard_normal(width), rng.standard_normal(width)
        act, grad = stack_log_norms(x0, delta, W1, W2, alpha, residual)
        want_act, want_grad = _torch_log_norms(x0, delta, W1, W2, residual, alpha)
        np.testing.assert_allclose(act, want_act, rtol=0, atol=1e-9)
        np.testing.assert_allclose(grad, want_grad, rtol=0, atol=1e-9)


def test_stack_log_norms_batch_of_draws_matches_autograd():
    """A batch (2 stacks × 3 draws) at once gives each draw's own torch result."""
    rng = np.random.default_rng(5)
    depth, w, draws = 12, 6, 3
    W1 = rng.standard_normal((depth, draws, w, w)) * 0.6
    W2 = rng.standard_normal((depth, draws, w, w)) * 0.6
    x0, delta = rng.standard_normal((draws, w)), rng.standard_normal((draws, w))
    res = np.array([False, True])[:, None]
    act, grad = stack_log_norms(x0, delta, W1, W2, np.array([1.0, 0.3])[:, None], res)
    assert act.shape == grad.shape == (depth + 1, 2, draws)
    for s, (residual, alpha) in enumerate([(False, 1.0), (True, 0.3)]):
        for k in range(draws):
            wa, wg = _torch_log_norms(x0[k], delta[k], W1[:, k], W2[:, k], residual, alpha)
            np.testing.assert_allclose(act[:, s, k], wa, atol=1e-9)
            np.testing.assert_allclose(grad[:, s, k], wg, atol=1e-9)


def _torch_net(params, residual, alpha):
    p = {k: torch.tensor(v, dtype=T, requires_grad=True) for k, v in params.items()}

    def forward(P):
        x = p["W_in"] @ P + p["b_in"]
        for l in range(p["W1"].shape[0]):
            F = p["W2"][l] @ torch.relu(p["W1"][l] @ x + p["b1"][l]) + p["b2"][l]
            x = x + alpha * F if residual else torch.relu(F)
        return p["W_out"] @ x + p["b_out"]

    return p, forward


@pytest.mark.parametrize("depth, residual, alpha, branch", [
    (1, False, 1.0, "1"), (1, True, 1.0, "1"), (3, False, 1.0, "1"), (3, True, 3 ** -0.5, "1/sqrt(depth)"),
    (6, True, 1.0, "zero"), (6, False, 1.0, "1"),
])
def test_training_gradients_match_autograd(depth, residual, alpha, branch):
    P, y = toy_data("spirals", 40, seed=depth)
    params = init_net(depth, width=7, residual=residual, branch=branch, seed=depth)
    params = {k: v + 0.01 * np.random.default_rng(9).standard_normal(v.shape) for k, v in params.items()}
    logits, cache = net_forward(params, P, residual, alpha)
    loss, dlogits = bce_loss(logits, y)
    grads = net_backward(params, P, cache, dlogits, residual, alpha)

    p, forward = _torch_net(params, residual, alpha)
    out = forward(torch.tensor(P, dtype=T))
    want_loss = nn.functional.binary_cross_entropy_with_logits(out[0], torch.tensor(y, dtype=T))
    want_loss.backward()
    np.testing.assert_allclose(logits, out.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert loss == pytest.approx(want_loss.item(), rel=1e-12)
    assert set(grads) == set(p)
    for k in p:
        np.testing.assert_allclose(grads[k], p[k].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("optimizer, lr", [("adam", 0.01), ("sgd", 0.1)])
def test_training_losses_match_torch_optimizer(optimizer, lr):
    """Five full-batch steps of torch.optim.Adam / SGD from the same weights give the same losses."""
    steps, depth, width = 5, 4, 6
    run = train_stacks(depths=(depth,), width=width, steps=steps, lr=lr, optimizer=optimizer, points=32,
                       branch="1/sqrt(depth)", seed=3)
    P, y = toy_data("spirals", 32, seed=3)
    for residual, curve in ((False, run.plain[depth]), (True, run.residual[depth])):
        params = init_net(depth, width, residual, "1/sqrt(depth)", seed=3)
        p, forward = _torch_net(params, residual, depth ** -0.5 if residual else 1.0)
        opt = (torch.optim.Adam(p.values(), lr=lr, betas=(0.9, 0.999), eps=1e-8) if optimizer == "adam"
               else torch.optim.SGD(p.values(), lr=lr))
        losses = []
        for _ in range(steps + 1):
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(
                forward(torch.tensor(P, dtype=T))[0], torch.tensor(y, dtype=T))
            losses.append(loss.item())
            loss.backward()
            opt.step()
        np.testing.assert_allclose(curve, losses, rtol=1e-9)


@pytest.mark.parametrize("size, factor", [(32, 2), (48, 4), (30, 3), (64, 8)])
def test_image_resampling_matches_torch(size, factor):
    img = pattern_image(size)
    t = torch.tensor(img, dtype=T).permute(2, 0, 1)[None]
    low = downsample(img, factor)
    want_low = nn.functional.avg_pool2d(t, factor)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(low, want_low, rtol=1e-12, atol=1e-12)
    tl = torch.tensor(low, dtype=T).permute(2, 0, 1)[None]
    for method, mode in (("bilinear", "bilinear"), ("nearest", "nearest")):
        kw = {"align_corners": False} if mode == "bilinear" else {}
        want = nn.functional.interpolate(tl, scale_factor=factor, mode=mode, **kw)[0].permute(1, 2, 0).numpy()
        np.testing.assert_allclose(upsample(low, factor, method), want, rtol=1e-12, atol=1e-12)

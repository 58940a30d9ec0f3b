"""Every block written twice, ours and PyTorch's, and compared over many seeds and sizes.

Integer inputs are compared exactly (small integers are exact in float64); fractions and floats
with ``assert_allclose``. torch is imported here only: ``import byhand`` never imports it.
"""

import numpy as np
import pytest

from byhand import encoder_block, from_torch, random_encoder, random_residual, residual_block

torch = pytest.importorskip("torch")
nn = torch.nn

RESIDUAL_SEEDS = range(60)  # × residual on/off = 120 cases
ENCODER_SEEDS = range(50)  # × residual on/off = 100 cases (even seeds integer A, odd seeds fraction A)
LAYER_SEEDS = range(8)  # × nhead 1, 2, 4 × norm_first × relu/gelu = 96 float32 cases
DOUBLE_SEEDS = range(2)  # × the same 12 settings = 24 float64 cases


def _linear(W, b) -> "nn.Linear":
    """An nn.Linear in float64 holding the weight W (out × in) and the bias b (out × 1)."""
    W = torch.tensor(np.asarray(W, dtype=float))
    layer = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(W)
        layer.bias.copy_(torch.tensor(np.asarray(b, dtype=float)).reshape(-1))
    return layer


def _sizes(seed: int, largest: int = 8) -> tuple[int, int, int]:
    if seed % 10 == 9:
        return 16, 16, 16  # at least 16 per dimension must work
    rng = np.random.default_rng(1000 + seed)
    return tuple(int(v) for v in rng.integers(1, largest + 1, size=3))


# ---------------------------------------------------------------- residual block


@pytest.mark.parametrize("residual", [True, False], ids=["skip", "plain"])
@pytest.mark.parametrize("seed", RESIDUAL_SEEDS)
def test_residual_block_matches_torch(seed, residual):
    d, n, h = _sizes(seed)
    ex = random_residual(seed, d, n, h, -5, 5)
    wt = residual_block(**ex, residual=residual)

    lin1, lin2 = _linear(ex["W1"], ex["b1"]), _linear(ex["W2"], ex["b2"])
    x = torch.tensor(np.array(ex["X"], dtype=float).T)  # torch: samples as rows, n × d
    with torch.no_grad():
        f = lin2(torch.relu(lin1(x)))
        ref = torch.relu(x + f) if residual else torch.relu(f)

    assert wt.exact and wt.output.dtype == object
    np.testing.assert_array_equal(np.asarray(wt.output, dtype=float), ref.numpy().T)


@pytest.mark.parametrize("seed", range(10))
def test_residual_block_floats_match_torch(seed):
    rng = np.random.default_rng(seed)
    d, n, h = _sizes(seed)
    ex = {"X": rng.normal(size=(d, n)), "W1": rng.normal(size=(h, d)), "b1": rng.normal(size=(h, 1)),
          "W2": rng.normal(size=(d, h)), "b2": rng.normal(size=(d, 1))}
    wt = residual_block(**ex)
    lin1, lin2 = _linear(ex["W1"], ex["b1"]), _linear(ex["W2"], ex["b2"])
    x = torch.tensor(ex["X"].T)
    with torch.no_grad():
        ref = torch.relu(x + lin2(torch.relu(lin1(x))))
    assert not wt.exact and wt.output.dtype == np.float64
    np.testing.assert_allclose(wt.output, ref.numpy().T, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- simplified encoder block


@pytest.mark.parametrize("residual", [True, False], ids=["skip", "plain"])
@pytest.mark.parametrize("seed", ENCODER_SEEDS)
def test_encoder_block_matches_torch(seed, residual):
    d, n, h = _sizes(seed)
    ex = random_encoder(seed, d, n, h, -4, 4)
    integer_A = seed % 2 == 0
    if integer_A:
        ex["A"] = np.random.default_rng(seed).integers(-2, 3, size=(n, n)).tolist()
    wt = encoder_block(**ex, residual=residual)

    lin1, lin2 = _linear(ex["W1"], ex["b1"]), _linear(ex["W2"], ex["b2"])
    x = torch.tensor(np.array(ex["X"], dtype=float).T)  # positions as rows, n × d
    A = torch.tensor(np.array(ex["A"], dtype=float))  # A[i, j]: how much position j takes from position i
    with torch.no_grad():
        z = A.T @ x  # z_j = Σ_i A[i, j] x_i
        y = x + z if residual else z
        f = lin2(torch.relu(lin1(y)))
        ref = torch.relu(y + f) if residual else torch.relu(f)

    assert wt.exact and wt.output.dtype == object
    got = np.asarray(wt.output, dtype=float)
    if integer_A:
        np.testing.assert_array_equal(got, ref.numpy().T)
    else:
        np.testing.assert_allclose(got, ref.numpy().T, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- from_torch vs nn.TransformerEncoderLayer

SETTINGS = [(nhead, norm_first, act) for nhead in (1, 2, 4) for norm_first in (False, True)
            for act in ("relu", "gelu")]


def _layer(seed: int, nhead: int, norm_first: bool, activation: str, batch_first: bool):
    """A random TransformerEncoderLayer in eval mode, its LayerNorms moved off γ = 1, β = 0."""
    rng = np.random.default_rng(seed * 31 + nhead)
    d = nhead * int(rng.integers(1, 5))
    n, f = int(rng.integers(1, 9)), int(rng.integers(1, 25))
    torch.manual_seed(seed * 7 + nhead + 100 * norm_first)
    layer = nn.TransformerEncoderLayer(d, nhead, dim_feedforward=f, dropout=0.1, activation=activation,
                                       batch_first=batch_first, norm_first=norm_first,
                                       bias=seed % 4 != 3).eval()
    with torch.no_grad():
        for norm in (layer.norm1, layer.norm2):
            norm.weight.normal_(1.0, 0.3)
            if norm.bias is not None:
                norm.bias.normal_(0.0, 0.3)
    return layer, n, d


def _check_layer(seed, nhead, norm_first, activation, dtype, rtol, atol):
    batch_first = seed % 2 == 0
    layer, n, d = _layer(seed, nhead, norm_first, activation, batch_first)
    layer = layer.to(dtype)
    x = torch.randn(n, d, dtype=dtype)
    batched = x.unsqueeze(0 if batch_first else 1)  # (1, n, d) or (n, 1, d)
    with torch.no_grad():
        ref = layer(batched).squeeze(0 if batch_first else 1).numpy()
    wt = from_torch(layer, batched if seed % 4 < 2 else x)
    assert wt.output.shape == (d, n) and wt.output.dtype == np.float64
    assert wt.params["nhead"] == nhead and wt.params["norm_first"] == norm_first
    assert wt.params["activation"] == activation
    np.testing.assert_allclose(wt.output, ref.T, rtol=rtol, atol=atol)
    return layer, x, wt


@pytest.mark.parametrize("nhead, norm_first, activation", SETTINGS)
@pytest.mark.parametrize("seed", LAYER_SEEDS)
def test_from_torch_matches_transformer_encoder_layer(seed, nhead, norm_first, activation):
    _check_layer(seed, nhead, norm_first, activation, torch.float32, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("nhead, norm_first, activation", SETTINGS)
@pytest.mark.parametrize("seed", DOUBLE_SEEDS)
def test_from_torch_float64_and_attention_weights(seed, nhead, norm_first, activation):
    layer, x, wt = _check_layer(seed, nhead, norm_first, activation, torch.float64, rtol=1e-10, atol=1e-10)
    with torch.no_grad():
        q = layer.norm1(x) if norm_first else x
        _, weights = layer.self_attn(q, q, q, need_weights=True, average_attn_weights=False)
    # torch: weights[h, query, key]; by hand: A_h[key, query], each column summing to 1
    names = ["A"] if nhead == 1 else [f"A{chr(0x2081 + h)}" for h in range(nhead)]
    for h, name in enumerate(names):
        np.testing.assert_allclose(wt.matrices[name], weights[h].numpy().T, rtol=1e-10, atol=1e-12)

"""The same blocks built from real PyTorch layers, to check the by-hand engine against.

torch is imported only inside these functions (``import byhand`` never imports it), so the
app runs without torch and says how to install it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from .walkthrough import Walkthrough

__all__ = ["torch_available", "INSTALL_HINT", "Check", "check_against_torch", "torch_residual",
           "torch_encoder", "torch_transformer_layer", "torch_conv"]

INSTALL_HINT = "pip install torch==2.13.0"


def torch_available() -> bool:
    """Whether PyTorch can be imported."""
    return importlib.util.find_spec("torch") is not None


def _t(m):
    import torch

    return torch.tensor(np.asarray(m, dtype=float), dtype=torch.float64)


def _linear(W, b):
    """An ``nn.Linear`` (float64) holding weight ``W`` (out × in) and bias ``b``."""
    import torch
    from torch import nn

    Wt = _t(W)
    lin = nn.Linear(Wt.shape[1], Wt.shape[0], dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(Wt)
        lin.bias.copy_(_t(b).reshape(-1))
    return lin


def torch_residual(X, W1, b1, W2, b2, residual: bool = True) -> np.ndarray:
    """``relu(X + W2·relu(W1·X + b1) + b2)`` with two ``nn.Linear`` layers (float64), as d × n."""
    import torch

    x = _t(X).T  # torch wants samples as rows: (n, d)
    with torch.no_grad():
        f = _linear(W2, b2)(torch.relu(_linear(W1, b1)(x)))
        return torch.relu(x + f if residual else f).T.numpy()


def torch_encoder(X, A, W1, b1, W2, b2, residual: bool = True) -> np.ndarray:
    """The simplified encoder block from torch ops (float64): ``Z = X·A``, skip, two ``nn.Linear``."""
    import torch

    x = _t(X)
    with torch.no_grad():
        z = x @ _t(A)
        y = x + z if residual else z
        out = _linear(W2, b2)(torch.relu(_linear(W1, b1)(y.T))).T  # positions as rows for nn.Linear
        return torch.relu(y + out if residual else out).numpy()


def torch_transformer_layer(params: dict, nhead: int, norm_first: bool = False,
                            activation: str = "relu", eps: float = 1e-5):
    """An ``nn.TransformerEncoderLayer`` (eval mode, float64) holding ``params`` (see transformer.py)."""
    import torch
    from torch import nn

    d = np.asarray(params["Wq"]).shape[0]
    f = np.asarray(params["W1"]).shape[0]
    layer = nn.TransformerEncoderLayer(d, nhead, f, dropout=0.0, activation=activation,
                                       layer_norm_eps=eps, norm_first=norm_first,
                                       batch_first=True, dtype=torch.float64).eval()
    a = layer.self_attn
    with torch.no_grad():
        a.in_proj_weight.copy_(torch.cat([_t(params[k]) for k in ("Wq", "Wk", "Wv")]))
        a.in_proj_bias.copy_(torch.cat([_t(params[k]).reshape(-1) for k in ("bq", "bk", "bv")]))
        a.out_proj.weight.copy_(_t(params["Wo"]))
        a.out_proj.bias.copy_(_t(params["bo"]).reshape(-1))
        for lin, w, b in ((layer.linear1, "W1", "b1"), (layer.linear2, "W2", "b2")):
            lin.weight.copy_(_t(params[w]))
            lin.bias.copy_(_t(params[b]).reshape(-1))
        for norm, g, b in ((layer.norm1, "g1", "beta1"), (layer.norm2, "g2", "beta2")):
            norm.weight.copy_(_t(params[g]).reshape(-1))
            norm.bias.copy_(_t(params[b]).reshape(-1))
    return layer


def torch_conv(wt: Walkthrough) -> np.ndarray:
    """The same block in torch layers (nn.Conv2d without bias, nn.BatchNorm2d eval, F.relu), float64."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    p = wt.params

    def conv(i, stride, padding):
        w = _t(wt.inputs[f"W{i}"]).reshape(p["kernels"][f"W{i}"])
        layer = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], stride, padding, bias=False,
                          dtype=torch.float64)
        with torch.no_grad():
            layer.weight.copy_(w)
        return layer

    def bn(i):
        s = _t(wt.inputs[f"bn{i} stats"])
        layer = nn.BatchNorm2d(s.shape[0], eps=float(p["eps"][f"bn{i}"]), dtype=torch.float64).eval()
        with torch.no_grad():
            for k, buf in enumerate((layer.weight, layer.bias, layer.running_mean, layer.running_var)):
                buf.copy_(s[:, k])
        return layer

    x = _t(wt.inputs["x"]).reshape(p["in_shape"]).unsqueeze(0)
    s = p["stride"]
    with torch.no_grad():
        if p["kind"] == "conv":
            k = p["kernels"]["W1"][-1]
            pad = k // 2 if p["padding"] is None else p["padding"]
            f = bn(2)(conv(2, 1, pad)(F.relu(bn(1)(conv(1, s, pad)(x)))))
        else:
            h = F.relu(bn(2)(conv(2, s, 1)(F.relu(bn(1)(conv(1, 1, 0)(x))))))
            f = bn(3)(conv(3, 1, 0)(h))
        if p["shortcut"] == "identity":
            short = x
        elif p["shortcut"] == "zero_pad":
            short = F.pad(x[:, :, ::s, ::s], (0, 0, 0, 0, 0, f.shape[1] - x.shape[1]))
        else:
            short = bn("s")(conv("s", s, 0)(x))
        return F.relu(f + short)[0].numpy()


def _transformer_output(wt: Walkthrough) -> np.ndarray:
    import torch

    p = wt.params
    params = {k: v for k, v in wt.inputs.items() if k != "X"}
    layer = torch_transformer_layer(params, p["nhead"], p["norm_first"], p["activation"], p["eps"])
    with torch.no_grad():
        return layer(_t(wt.inputs["X"]).T.unsqueeze(0)).squeeze(0).T.numpy()


@dataclass(frozen=True)
class Check:
    """Our output beside torch's, the largest |difference| and whether they agree."""

    ours: np.ndarray
    torch: np.ndarray
    max_diff: float
    ok: bool
    what: str  # the torch layers used, in words


def check_against_torch(wt: Walkthrough, tol: float = 1e-9) -> Check:
    """Run the same weights through PyTorch layers and compare with ``wt.output``.

    Raises ImportError when torch is missing (see ``INSTALL_HINT``), KeyError for a block type
    with no reference.
    """
    residual = wt.params.get("residual", True)
    if wt.block == "residual":
        theirs = torch_residual(**wt.inputs, residual=residual)
        what = "two nn.Linear layers, torch.relu" + (" and the skip x + F(x)" if residual else "")
    elif wt.block == "encoder":
        theirs = torch_encoder(**wt.inputs, residual=residual)
        what = "torch matmul X·A, two nn.Linear layers, torch.relu" + (
            " and both skips" if residual else "")
    elif wt.block == "transformer":
        theirs = _transformer_output(wt)
        what = "nn.TransformerEncoderLayer (eval mode, float64)"
    elif wt.block in ("conv", "bottleneck"):
        theirs = torch_conv(wt)
        how = {"identity": " and x + F(x)", "zero_pad": ", slicing x[:, :, ::s, ::s] and F.pad",
               "projection": " and a 1×1 nn.Conv2d + nn.BatchNorm2d"}[wt.params["shortcut"]]
        what = ("nn.Conv2d (bias=False), nn.BatchNorm2d in eval mode with these running statistics, "
                f"F.relu{how}, in float64")
    else:
        raise KeyError(f"no PyTorch reference for block {wt.block!r}")
    ours = np.asarray(wt.output, dtype=float)
    diff = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    return Check(ours, theirs, diff, diff <= tol * max(1.0, float(np.max(np.abs(theirs)))), what)

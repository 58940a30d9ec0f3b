"""A real transformer encoder layer (as ``torch.nn.TransformerEncoderLayer`` in eval mode) by hand.

Features are rows and positions are columns, so X is d × n and every weight is used as
``torch`` stores it (out × in). ``from_torch`` reads a torch layer's weights; torch itself is
never imported here.
"""

from __future__ import annotations

import math

import numpy as np

from ..numbers import ByHandError, as_matrix, is_symbolic
from ..ops import GELU_OP, NONE, RELU, LayerNorm, Op, Scale, Softmax
from ..reference import tensor
from ..stacked import hstack, identity, ones, part, vstack
from ..walkthrough import Walkthrough, given_step, multiply_step, op_step

__all__ = ["transformer_layer", "from_torch", "random_transformer_params", "default_transformer_x",
           "random_transformer_x", "transformer_reference", "PARAM_SHAPES"]

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

SYMBOLIC_SIZE = 2  # largest d_model, positions and dim_feedforward worked out with symbols

# name -> (rows, cols) in terms of d (d_model) and f (dim_feedforward)
PARAM_SHAPES = {
    "Wq": ("d", "d"), "bq": ("d", 1), "Wk": ("d", "d"), "bk": ("d", 1),
    "Wv": ("d", "d"), "bv": ("d", 1), "Wo": ("d", "d"), "bo": ("d", 1),
    "W1": ("f", "d"), "b1": ("f", 1), "W2": ("d", "f"), "b2": ("d", 1),
    "g1": ("d", 1), "beta1": ("d", 1), "g2": ("d", 1), "beta2": ("d", 1),
}


def _floats(m: np.ndarray) -> np.ndarray:
    """``m`` as floats, or as it is when a cell holds a symbol (its numbers then stay exact)."""
    return m if is_symbolic(m) else np.asarray(m, dtype=float)


def _float_params(params: dict, d: int) -> tuple[dict, int]:
    """Check every weight's presence and shape; return them as float matrices and dim_feedforward."""
    missing = [k for k in PARAM_SHAPES if k not in params]
    if missing:
        raise ByHandError(f"missing weights: {', '.join(missing)}.")
    p = {k: _floats(as_matrix(k, params[k], max_dim=None)) for k in PARAM_SHAPES}
    f = p["W1"].shape[0]
    for k, (r, c) in PARAM_SHAPES.items():
        want = tuple({"d": d, "f": f}.get(x, x) for x in (r, c))
        if p[k].shape != want:
            raise ByHandError(f"{k} is {p[k].shape[0]}×{p[k].shape[1]} but must be "
                              f"{want[0]}×{want[1]} for d_model {d} and dim_feedforward {f}.", k)
    return p, f


def _head_part(name: str, M: np.ndarray, h: int, dh: int, nhead: int, transpose: bool):
    """Rows h·dh … (h+1)·dh of matrix ``name`` (transposed if asked), remembering their cells."""
    rows = np.arange(h * dh, (h + 1) * dh)
    block = M[rows, :]
    cells = np.stack(np.meshgrid(rows, np.arange(M.shape[1]), indexing="ij"), axis=-1)
    label = name + (str(h + 1).translate(_SUB) if nhead > 1 else "")
    if transpose:
        return part(label + "ᵀ", block.T, "computed", name, cells.transpose(1, 0, 2))
    return part(label, block, "computed", name, cells)


def transformer_layer(X, params: dict, nhead: int, norm_first: bool = False,
                      activation: str = "relu", eps: float = 1e-5, softmax: Op | None = None,
                      norm=LayerNorm) -> Walkthrough:
    """Walk through one encoder layer (eval mode) on X (d × n), with weights as torch stores them.

    ``params`` holds Wq, bq, Wk, bk, Wv, bv (the in-projection split in three), Wo, bo, W1, b1,
    W2, b2 and the LayerNorms' g1, beta1, g2, beta2. Everything is float. Two options build the
    layer the wrong way, for ``byhand.misconceptions``: ``softmax``, the op of every head's softmax
    step, and ``norm``, the LayerNorm op's class (called with γ, β and ε).

    >>> p = random_transformer_params(0, d=4, f=6)
    >>> transformer_layer(np.eye(4)[:, :3], p, nhead=2).output.shape
    (4, 3)
    """
    X = _floats(as_matrix("X", X, max_dim=None))
    d, n = X.shape
    if isinstance(nhead, bool) or not isinstance(nhead, int) or nhead < 1 or d % nhead:
        raise ByHandError(f"nhead must be a whole number ≥ 1 that divides d_model ({d}), "
                          f"not {nhead!r}.", "nhead")
    if activation not in ("relu", "gelu"):
        raise ByHandError(f"activation must be 'relu' or 'gelu', not {activation!r}.", "activation")
    p, f = _float_params(params, d)
    if any(is_symbolic(m) for m in (X, *p.values())) and (d > SYMBOLIC_SIZE or n > SYMBOLIC_SIZE
                                                          or f > SYMBOLIC_SIZE):
        raise ByHandError(f"with symbols the layer is worked out at d_model, positions and dim_feedforward "
                          f"of at most {SYMBOLIC_SIZE} (its expressions grow with each LayerNorm), not "
                          f"{d}, {n} and {f}.", "X")
    dh = d // nhead
    act = RELU if activation == "relu" else GELU_OP
    one = ones(n, exact=False)
    steps = [given_step("Given the positions",
                  f"X holds {n} positions as columns, each a vector of d_model = {d} features.",
                  "X", X)]
    src = "X"
    if norm_first:
        steps.append(op_step("LayerNorm before attention",
                             "norm_first: each position's features are normalised before attention.",
                             "X̂", X, "X", norm(p["g1"], p["beta1"], eps)))
        src = "X̂"
    Xin = part(src, steps[-1].result, "input" if src == "X" else "computed")
    qkv = {}
    for name, what in (("Q", "queries"), ("K", "keys"), ("V", "values")):
        w, b = "W" + name.lower(), "b" + name.lower()
        steps.append(multiply_step(
            f"{what.capitalize()}: {name} = W{name.lower()}·{src} + b{name.lower()}",
            f"[{w} | {b}]·[{src}; 1] projects every position to its {what}.", name,
            hstack(part(w, p[w], "weight"), part(b, p[b], "bias")), vstack(Xin, one),
            f"{w}·{src} + {b}"))
        qkv[name] = steps[-1].result
    heads = []
    for h in range(nhead):
        tag = f"Head {h + 1}: " if nhead > 1 else ""
        sub = str(h + 1).translate(_SUB) if nhead > 1 else ""
        K, Q, V = (_head_part(k, qkv[k], h, dh, nhead, k == "K") for k in "KQV")
        steps.append(multiply_step(
            tag + "scores and scaling",
            f"{K.name}·{Q.name}: cell (i, j) is how well key i matches query j. Each score is "
            f"divided by √{dh} (the head size) to keep softmax from saturating.",
            "S" + sub, hstack(K), vstack(Q), f"{K.name}·{Q.name}",
            Scale(1 / math.sqrt(dh), f"× 1/√{dh}")))
        steps.append(op_step(
            tag + "softmax", "Softmax down each column turns the scores for one query into "
            "weights that are positive and sum to 1.", "A" + sub, steps[-1].result,
            "S" + sub, softmax or Softmax()))
        A = part("A" + sub, steps[-1].result, "attention")
        steps.append(multiply_step(
            tag + "weighted values",
            f"{V.name}·{A.name}: each column is a weighted mix of the value columns. "
            "Attention combines positions (across columns).",
            "Z" + sub, hstack(V), vstack(A), f"{V.name}·{A.name}", data_side="left"))
        heads.append(part("Z" + sub, steps[-1].result))
    steps.append(multiply_step(
        "Concatenate heads and project" if nhead > 1 else "Output projection",
        "[Wo | bo] times the stacked head outputs and a row of ones: Wo mixes the heads' "
        "features back into d_model features.", "Att",
        hstack(part("Wo", p["Wo"], "weight"), part("bo", p["bo"], "bias")),
        vstack(*heads, one), "Wo·Z + bo"))
    Xp, Att = part("X", X, "input"), part("Att", steps[-1].result)
    ln1 = NONE if norm_first else norm(p["g1"], p["beta1"], eps)
    steps.append(multiply_step(
        "Residual add" + ("" if norm_first else " and LayerNorm"),
        f"[X | Att]·[I; I] = X + Att: the skip connection around attention, with two {n}×{n} "
        "identities (positions) on the right, as attention mixes columns." +
        ("" if norm_first else " Then LayerNorm normalises each position's features."),
        "Y", hstack(Xp, Att), vstack(identity(n, False), identity(n, False)), "X + Att", ln1,
        data_side="left"))
    Y = part("Y", steps[-1].result)
    ff_in = Y
    if norm_first:
        steps.append(op_step("LayerNorm before the feed-forward layers",
                             "norm_first: each position's features are normalised again.",
                             "Ŷ", Y.values, "Y", norm(p["g2"], p["beta2"], eps)))
        ff_in = part("Ŷ", steps[-1].result)
    steps.append(multiply_step(
        "Feed-forward first layer",
        f"[W1 | b1]·[{ff_in.name}; 1], then {act.label}: the feed-forward layer combines "
        "features (across rows), each position on its own.", "H",
        hstack(part("W1", p["W1"], "weight"), part("b1", p["b1"], "bias")),
        vstack(ff_in, one), f"W1·{ff_in.name} + b1", act))
    ln2 = NONE if norm_first else norm(p["g2"], p["beta2"], eps)
    steps.append(multiply_step(
        "Second layer plus identity" + ("" if norm_first else " and LayerNorm"),
        "[I | W2 | b2]·[Y; H; 1] = Y + W2·H + b2: the identity carries Y around the "
        "feed-forward layers." + ("" if norm_first else " LayerNorm gives the output."), "Out",
        hstack(identity(d, False), part("W2", p["W2"], "weight"), part("b2", p["b2"], "bias")),
        vstack(Y, part("H", steps[-1].result), one), "Y + W2·H + b2", ln2))
    return Walkthrough("transformer", "PyTorch TransformerEncoderLayer", {"X": X, **p},
                       tuple(steps), steps[-1].result, False,
                       {"nhead": nhead, "norm_first": norm_first, "activation": activation,
                        "eps": eps, "dim_feedforward": f})


def random_transformer_params(seed: int, d: int, f: int, scale: float = 0.5) -> dict:
    """Seeded float weights for ``transformer_layer`` (LayerNorms start near γ = 1, β = 0)."""
    rng = np.random.default_rng(seed)
    dims = {"d": d, "f": f}
    p = {k: rng.normal(0, scale, size=(dims.get(r, r), dims.get(c, c)))
         for k, (r, c) in PARAM_SHAPES.items()}
    p["g1"] += 1
    p["g2"] += 1
    return p


def _numpy(t) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def from_torch(layer, x) -> Walkthrough:
    """The walkthrough of a ``torch.nn.TransformerEncoderLayer`` on x of shape (n, d) or (1, n, d).

    With ``batch_first=False`` a 3-D input is (n, 1, d), as torch reads it. The output is the
    layer's output (in eval mode) transposed to features × positions.
    """
    attn = layer.self_attn
    d = attn.embed_dim
    xs = _numpy(x) if hasattr(x, "detach") else np.asarray(x, dtype=float)
    if xs.ndim == 3:
        batch_axis = 0 if layer.self_attn.batch_first else 1
        if xs.shape[batch_axis] != 1:
            want = "(1, n, d)" if batch_axis == 0 else "(n, 1, d)"
            raise ByHandError(f"x has shape {xs.shape}: one sequence is worked by hand, so a "
                              f"3-D input must be {want} for this layer.", "x")
        xs = xs.squeeze(batch_axis)
    if xs.ndim != 2 or xs.shape[1] != d:
        raise ByHandError(f"x has shape {tuple(xs.shape)} but must be (n, {d}) or a batch of one.", "x")
    if not attn._qkv_same_embed_dim:
        raise ByHandError("layers whose keys and values have their own sizes (kdim, vdim) "
                          "are not supported.", "layer")
    W = _numpy(attn.in_proj_weight)
    b = _numpy(attn.in_proj_bias) if attn.in_proj_bias is not None else np.zeros(3 * d)

    def bias(t, size):
        return _numpy(t).reshape(-1, 1) if t is not None else np.zeros((size, 1))

    f = layer.linear1.out_features
    params = {
        "Wq": W[:d], "Wk": W[d:2 * d], "Wv": W[2 * d:],
        "bq": b[:d].reshape(-1, 1), "bk": b[d:2 * d].reshape(-1, 1), "bv": b[2 * d:].reshape(-1, 1),
        "Wo": _numpy(attn.out_proj.weight), "bo": bias(attn.out_proj.bias, d),
        "W1": _numpy(layer.linear1.weight), "b1": bias(layer.linear1.bias, f),
        "W2": _numpy(layer.linear2.weight), "b2": bias(layer.linear2.bias, d),
        "g1": bias(layer.norm1.weight, d) if layer.norm1.weight is not None else np.ones((d, 1)),
        "beta1": bias(layer.norm1.bias, d),
        "g2": bias(layer.norm2.weight, d) if layer.norm2.weight is not None else np.ones((d, 1)),
        "beta2": bias(layer.norm2.bias, d),
    }
    act = layer.activation
    name = getattr(act, "__name__", type(act).__name__).lower()
    if name not in ("relu", "gelu"):
        raise ByHandError(f"activation {name!r} is not supported (relu or gelu).", "activation")
    if getattr(act, "approximate", "none") != "none":
        raise ByHandError(f"GELU(approximate={act.approximate!r}) is not supported: only the exact "
                          "GELU (approximate='none').", "activation")
    if layer.norm1.eps != layer.norm2.eps:
        raise ByHandError("the two LayerNorms must share one eps.", "layer")
    return transformer_layer(xs.T, params, attn.num_heads, layer.norm_first, name,
                             layer.norm1.eps)


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
        a.in_proj_weight.copy_(torch.cat([tensor(params[k]) for k in ("Wq", "Wk", "Wv")]))
        a.in_proj_bias.copy_(torch.cat([tensor(params[k]).reshape(-1) for k in ("bq", "bk", "bv")]))
        a.out_proj.weight.copy_(tensor(params["Wo"]))
        a.out_proj.bias.copy_(tensor(params["bo"]).reshape(-1))
        for lin, w, b in ((layer.linear1, "W1", "b1"), (layer.linear2, "W2", "b2")):
            lin.weight.copy_(tensor(params[w]))
            lin.bias.copy_(tensor(params[b]).reshape(-1))
        for norm, g, b in ((layer.norm1, "g1", "beta1"), (layer.norm2, "g2", "beta2")):
            norm.weight.copy_(tensor(params[g]).reshape(-1))
            norm.bias.copy_(tensor(params[b]).reshape(-1))
    return layer


def transformer_reference(wt: Walkthrough) -> tuple[np.ndarray, str]:
    """The walkthrough's weights in an ``nn.TransformerEncoderLayer``, run on its X (features × positions)."""
    import torch

    p = wt.params
    params = {k: v for k, v in wt.inputs.items() if k != "X"}
    layer = torch_transformer_layer(params, p["nhead"], p["norm_first"], p["activation"], p["eps"])
    with torch.no_grad():
        out = layer(tensor(wt.inputs["X"]).T.unsqueeze(0)).squeeze(0).T.numpy()
    return out, "nn.TransformerEncoderLayer (eval mode, float64)"


def default_transformer_x() -> dict:
    """4 features (d_model) at 3 positions, small integers: the input of the layer's default example."""
    return {"X": [[1, 0, 2], [0, 1, -1], [2, 1, 0], [-1, 0, 1]]}


def random_transformer_x(seed: int, positions: int = 3, d_model: int = 4, dim_feedforward: int = 6,
                         **_range) -> dict:
    """Seeded small-integer positions (d_model × positions); the weights come from the same seed
    (``random_transformer_params``), so dim_feedforward is not used here."""
    return {"X": np.random.default_rng(seed).integers(-2, 3, size=(d_model, positions)).tolist()}

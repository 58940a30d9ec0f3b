"""One function per supported layer: it reads the layer's weights and adds its steps, drawn as byhand's
blocks draw them (``[W | b]·[X; 1]``, im2col, ``[diag(s) | t]``, the stacked identity of a skip)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from ..blocks.conv import _im2col_cells, _pad_cells, _pad_map
from ..numbers import ByHandError, fmt
from ..ops import NONE, LayerNorm, Op
from ..stacked import Part, hstack, identity, ones, part, vstack
from ..walkthrough import Step, Walkthrough, given_step, op_step
from .layout import _Val, torch_layout
from .work import _col, _numpy, _op_words, _path_words, _role, _Walk, skip_words

_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _linear(walk: _Walk, node, mod, path: str) -> None:
    v = walk.val(node.args[0])
    d = v.t.shape[-1] if v.t.ndim else 1
    if d != mod.in_features:
        raise ByHandError(f"{path}: nn.Linear({mod.in_features}, {mod.out_features}) gets a tensor of shape "
                          f"{tuple(v.t.shape)} whose last axis has {d} features.", path)
    src, X = walk.view(v, "rows", False, path, "nn.Linear combines the features of the last axis.")
    out_shape = v.t.shape[:-1] + (mod.out_features,)
    skip_node, skip, around = walk.next_skip(node, out_shape)
    act_node, op = walk.next_act(skip_node if skip_node is not None else node)
    k = walk.next_number("W")
    W = walk.weight(f"W{k}", _numpy(mod.weight), path, "weight")
    left, right = [part(W, walk.inputs[W], "weight")], [part(src, X, _role(v))]
    formula = f"{W}·{src}"
    if mod.bias is not None:
        b = walk.weight(f"b{k}", _col(mod.bias), path, "bias")
        left.append(part(b, walk.inputs[b], "bias"))
        right.append(ones(X.shape[1], walk.symbolic))
        formula += f" + {b}"
    title = f"Linear layer {path}" + ("" if op is NONE else f" and {op.label}")
    bias = mod.bias is not None
    caption = (f"{path} (nn.Linear {mod.in_features} → {mod.out_features}): [{W}"
               + (f" | b{k}" if bias else "") + f"]·[{src}" + ("; 1" if bias else "")
               + f"] = {formula}: each of the {X.shape[1]} columns is mixed across its {d} features (rows)")
    if skip is not None:
        sname, S = walk.view(skip, "rows", False, path, "the skip adds features to features.")
        left.insert(0, identity(mod.out_features, walk.symbolic))
        right.insert(0, part(sname, S, _role(skip)))
        formula = f"{sname} + {formula}"
        plus, words = skip_words(around, sname, "the layer")
        title = f"Linear layer {path} {plus}" + ("" if op is NONE else f", and {op.label}")
        caption += f". {words}. One multiply gives {formula}"
    step = walk.add(walk.multiply(title, caption + _op_words(op) + ".",
                                  walk.name_of(act_node or skip_node or node),
                                  hstack(*left), vstack(*right), formula, op), path)
    walk.finish(node, step, _Val(torch_layout(step.result, out_shape, "rows"), "rows", False, step.name),
                (skip_node, act_node))


def _conv(walk: _Walk, node, mod, path: str) -> None:
    v = walk.val(node.args[0])
    if v.t.ndim not in (3, 4) or (v.t.ndim == 4 and v.t.shape[0] != 1):
        raise ByHandError(f"{path}: nn.Conv2d gets a tensor of shape {tuple(v.t.shape)}; one image (C, H, "
                          "W) or "
                          "(1, C, H, W) is worked by hand.", path)
    kh, kw = mod.kernel_size
    why = []
    if kh != kw:
        why.append(f"a {kh}×{kw} kernel (only square kernels)")
    if mod.groups != 1:
        why.append(f"groups={mod.groups}")
    if tuple(mod.dilation) != (1, 1):
        why.append(f"dilation={mod.dilation}")
    if mod.padding_mode != "zeros":
        why.append(f"padding_mode={mod.padding_mode!r}")
    if len(set(mod.stride)) != 1:
        why.append(f"stride={mod.stride}")
    pad = mod.padding
    if isinstance(pad, str):
        pad = (0, 0) if pad == "valid" else tuple(k // 2 for k in mod.kernel_size)
        if mod.padding == "same" and kh % 2 == 0:
            why.append("padding='same' with an even kernel")
    if len(set(pad)) != 1:
        why.append(f"padding={pad}")
    if why:
        raise ByHandError(f"{path}: nn.Conv2d with {', '.join(why)} is not supported; supported: square "
                          "kernels, one stride and one padding for both axes, groups=1, dilation=1, zero "
                          "padding.", path)
    k, s, p = kh, mod.stride[0], pad[0]
    batch = v.t.ndim == 4
    src, X = walk.view(v, "maps", batch, path, "nn.Conv2d reads channels × pixels.")
    c, h, w = (v.t[0] if batch else v.t).shape
    if c != mod.in_channels:
        raise ByHandError(f"{path}: nn.Conv2d({mod.in_channels}, {mod.out_channels}, …) gets {c} channels "
                          f"(shape {tuple(v.t.shape)}).", path)
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    if ho < 1 or wo < 1:
        raise ByHandError(f"{path}: a {k}×{k} kernel with padding {p} does not fit a {h}×{w} image.", path)
    out_shape = ((1,) if batch else ()) + (mod.out_channels, ho, wo)
    skip_node, skip, around = walk.next_skip(node, out_shape)
    act_node, op = walk.next_act(skip_node if skip_node is not None else node)
    if p:
        m = _pad_map(X, c, h, w, p)
        pname = f"{src}_pad"
        if pname not in walk.paths:
            walk.add(given_step(f"Pad {src} with zeros for {path}",
                                f"{path}: a border of {p} zero{'s' if p > 1 else ''} around each channel of "
                                f"{src}: {c}×{h}×{w} → {c}×{h + 2 * p}×{w + 2 * p}. Channels are rows, "
                                "pixels "
                                "columns (row by row).", pname, m,
                                copies=Part(pname, m, "computed", src, _pad_cells(c, h, w, p))), path)
            walk.maps[pname] = (c, h + 2 * p, w + 2 * p)  # drawn as maps: one row of pixels is too wide
        src, X, h, w = pname, m, h + 2 * p, w + 2 * p
    cells = _im2col_cells(c, h, w, k, s, ho, wo)
    cols = X[cells[..., 0], cells[..., 1]]
    base = src.removesuffix("_pad")
    label = base if (k == 1 and s == 1) else (f"{base}[::{s}, ::{s}]" if k == 1 else f"im2col({base})")
    right = [part(label, cols, "computed", src, None if (k == 1 and s == 1) else cells)]
    n = walk.next_number("W")
    W = walk.weight(f"W{n}", _numpy(mod.weight).reshape(mod.out_channels, -1), path, "weight")
    left = [part(W, walk.inputs[W], "weight")]
    formula = f"{W}·{label}"
    if mod.bias is not None:
        b = walk.weight(f"b{n}", _col(mod.bias), path, "bias")
        formula += f" + {b}"
    caption = (f"{path} (nn.Conv2d {c} → {mod.out_channels}, {k}×{k}, stride {s}, padding {p}): each kernel "
               "is "
               f"a row of {W} ({mod.out_channels}×{c * k * k}); each column of {label} is the patch under "
               "one "
               f"output pixel, so one multiply is the convolution: {c}×{h - 2 * p}×{w - 2 * p} → "
               f"{mod.out_channels}×{ho}×{wo}")
    title = f"Convolution {path}"
    if skip is not None:
        sname, S = walk.view(skip, "maps", batch, path, "the skip adds channels to channels.")
        left.append(identity(mod.out_channels, walk.symbolic))
        right.append(part(sname, S, _role(skip)))
        formula += f" + {sname}"
        plus, words = skip_words(around, sname, "the convolution")
        caption += f". {words}"
        title += f" {plus}"
    if mod.bias is not None:
        left.append(part(b, walk.inputs[b], "bias"))
        right.append(ones(ho * wo, walk.symbolic))
    if op is not NONE:
        title += f", and {op.label}"
    step = walk.add(walk.multiply(title, caption + _op_words(op) + ".",
                                  walk.name_of(act_node or skip_node or node),
                                  hstack(*left), vstack(*right), formula, op), path)
    walk.finish(node, step, _Val(torch_layout(step.result, out_shape, "maps"), "maps", batch, step.name),
                (skip_node, act_node))


def _batchnorm(walk: _Walk, node, mod, path: str) -> None:
    from torch import nn

    v = walk.val(node.args[0])
    kind_name = type(mod).__name__
    if mod.training or mod.running_mean is None:
        raise ByHandError(f"{path}: {kind_name} is worked in eval mode with its running statistics; call "
                          "model.eval() first (and keep track_running_stats=True).", path)
    two_d = isinstance(mod, nn.BatchNorm2d)
    if two_d and (v.t.ndim != 4 or v.t.shape[0] != 1):
        raise ByHandError(f"{path}: BatchNorm2d gets shape {tuple(v.t.shape)}; one image (1, C, H, W) is "
                          "worked "
                          "by hand.", path)
    if not two_d and v.t.ndim not in (2, 3) or (not two_d and v.t.ndim == 3 and v.t.shape[0] != 1):
        raise ByHandError(f"{path}: BatchNorm1d gets shape {tuple(v.t.shape)}; (N, C) or (1, C, L) is worked "
                          "by hand.", path)
    kind, batch = ("rows", False) if v.t.ndim == 2 else ("maps", True)
    src, Y = walk.view(v, kind, batch, path, f"{kind_name} normalises each channel (a row).")
    c = Y.shape[0]
    g = _numpy(mod.weight) if mod.weight is not None else np.ones(c)
    beta = _numpy(mod.bias) if mod.bias is not None else np.zeros(c)
    mu, var, eps = _numpy(mod.running_mean), _numpy(mod.running_var), float(mod.eps)
    s = g / np.sqrt(var + eps)
    t = beta - mu * s
    skip_node, skip, around = walk.next_skip(node, v.t.shape)
    if skip is not None and skip.kind != kind:
        skip_node, skip = None, None
    act_node, op = walk.next_act(skip_node if skip_node is not None else node)
    k = walk.next_number("BN")
    M = np.concatenate([np.diag(s), t.reshape(-1, 1)], axis=1)
    name_m = walk.weight(f"BN{k}", M, path, "batch norm")
    t_cells = np.stack([np.arange(c), np.full(c, c)], axis=-1).reshape(c, 1, 2)
    left = [part(f"diag(s{k})", M[:, :c], "weight", name_m), part(f"t{k}", M[:, c:], "bias", name_m, t_cells)]
    right = [part(src, Y, "computed"), ones(Y.shape[1], walk.symbolic)]
    formula = f"s{k}·{src} + t{k}"
    title = f"Batch norm {path}"
    caption = (f"{path} ({kind_name}, eval mode): γ·(y − μ)/√(σ² + ε) + β = s{k}·y + t{k} for each channel "
               "(row), "
               f"with s{k} = γ/√(σ² + ε) and t{k} = β − μ·s{k} from the running statistics (ε = "
               f"{fmt(eps, 6)}). "
               f"{name_m} = [diag(s{k}) | t{k}] times [{src}; 1]")
    if skip is not None:
        sname, S = walk.view(skip, kind, batch, path, "the skip adds channels to channels.")
        left.insert(0, identity(c, walk.symbolic))
        right.insert(0, part(sname, S, _role(skip)))
        formula = f"{sname} + {formula}"
        plus, words = skip_words(around, sname, "the batch norm")
        caption += f". {words}"
        title += f" {plus}"
    if op is not NONE:
        title += f", and {op.label}"
    step = walk.add(walk.multiply(title, caption + _op_words(op) + ".",
                                  walk.name_of(act_node or skip_node or node),
                                  hstack(*left), vstack(*right), formula, op), path)
    walk.finish(node, step, _Val(torch_layout(step.result, v.t.shape, kind) if kind == "rows"
                                 else step.result.reshape(v.t.shape), kind, batch, step.name),
                (skip_node, act_node))


def _layernorm(walk: _Walk, node, mod, path: str) -> None:
    v = walk.val(node.args[0])
    if len(mod.normalized_shape) != 1 or v.t.shape[-1] != mod.normalized_shape[0]:
        raise ByHandError(f"{path}: nn.LayerNorm{tuple(mod.normalized_shape)} on shape {tuple(v.t.shape)}: "
                          "only "
                          "a LayerNorm over the last axis (the features) is supported.", path)
    src, X = walk.view(v, "rows", False, path, "LayerNorm normalises the features of each position.")
    d = X.shape[0]
    g = _numpy(mod.weight) if mod.weight is not None else np.ones(d)
    b = _numpy(mod.bias) if getattr(mod, "bias", None) is not None else np.zeros(d)
    n = walk.next_number("LN")
    walk.weight(f"γ{n}", g.reshape(-1, 1), path, "weight")
    walk.weight(f"β{n}", b.reshape(-1, 1), path, "bias")
    step = walk.add(op_step(
        f"LayerNorm {path}", f"{path} (nn.LayerNorm({d})): each column (one position) of {src} is "
                             "normalised to "
        f"mean 0 and variance 1 over its {d} features, then multiplied by γ{n} and shifted by β{n} row by "
        "row "
        f"(ε = {fmt(mod.eps, 6)}).", walk.name_of(node), X, src, LayerNorm(g, b, mod.eps)), path)
    walk.finish(node, step, _Val(torch_layout(step.result, v.t.shape, "rows"), "rows", False, step.name), ())


def _elementwise(walk: _Walk, node, op: Op, path: str) -> None:
    v = walk.val(node.args[0])
    who = path if node.op == "call_module" else f"{_path_words(path)} ({node.name})"
    step = walk.add(op_step(f"{op.label} {path}".strip(), f"{who}: {op.label} of every cell of {v.name}.",
                            walk.name_of(node), v.matrix, v.name, op), path)
    walk.finish(node, step, _Val(torch_layout(step.result, v.t.shape, v.kind) if v.kind == "rows"
                                 else step.result.reshape(v.t.shape), v.kind, v.batch, step.name), ())


def _add(walk: _Walk, node, path: str) -> None:
    a, b = (walk.val(x) for x in node.args[:2])
    if a.t.shape != b.t.shape:
        raise ByHandError(f"{node.name}: adds shapes {tuple(a.t.shape)} and {tuple(b.t.shape)}; a skip adds "
                          "tensors of one shape (no broadcasting).", node.name)
    act_node, op = walk.next_act(node)
    bname, B = walk.view(b, a.kind, a.batch, path, "the add needs both in one layout.")
    A = a.matrix
    d, n = A.shape
    pa, pb = (part(nm, m, "input" if nm == "x" else "computed") for nm, m in ((a.name, A), (bname, B)))
    exact = walk.symbolic  # with symbols, I holds whole numbers: x, not 1.0·x
    if a.positions or b.positions:
        left, right, side = hstack(pa, pb), vstack(identity(n, exact), identity(n, exact)), "left"
        how = (f"[{a.name} | {bname}]·[I; I] = {a.name} + {bname}: two {n}×{n} identities (positions) on the "
               "right, as around attention, which mixes columns")
    else:
        left, right, side = hstack(identity(d, exact), identity(d, exact)), vstack(pa, pb), "right"
        how = (f"[I | I]·[{a.name}; {bname}] = {a.name} + {bname}: two {d}×{d} identities (features) on the "
               "left; the identities are the skip connection")
    step = walk.add(walk.multiply(f"Add (the skip){'' if op is NONE else ', and ' + op.label}",
                                  f"{_path_words(path)} ({node.name}): {how}{_op_words(op)}.",
                                  walk.name_of(act_node or node), left, right,
                                  f"{a.name} + {bname}", op, data_side=side), path)
    t = torch_layout(step.result, a.t.shape, "rows") if a.kind == "rows" else step.result.reshape(a.t.shape)
    walk.finish(node, step, _Val(t, a.kind, a.batch, step.name), (act_node,))


def _shape_arg(walk: _Walk, a):
    """An argument of a reshape: an int, or a value worked out from ``x.size()`` / ``x.shape``."""
    if hasattr(a, "op"):
        a = walk.env[a]
    if isinstance(a, (tuple, list)):
        return tuple(_shape_arg(walk, x) for x in a)
    return int(a)


def _reshape(walk: _Walk, node, path: str, flat: tuple | None) -> None:
    v = walk.val(node.args[0])
    if flat is not None:
        start, end = flat
        nd = v.t.ndim
        start, end = start % nd if nd else 0, end % nd if nd else 0
        shape = v.t.shape[:start] + (int(np.prod(v.t.shape[start:end + 1])),) + v.t.shape[end + 1:]
    else:
        args = ([_shape_arg(walk, a) for a in node.args[1:]]
                or [_shape_arg(walk, node.kwargs.get("shape", ()))])
        shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else tuple(args)
        try:
            shape = np.empty(v.t.shape).reshape(shape).shape
        except ValueError:
            raise ByHandError(f"{node.name}: cannot reshape {tuple(v.t.shape)} to {shape}.",
                              node.name) from None
    walk.env[node] = walk.reshaped(v, tuple(shape), "rows", False, path or node.name,
                                   f"{node.name} reshapes {tuple(v.t.shape)} to {tuple(shape)}, read row by "
                                   "row "
                                   "as torch does; the last axis holds the features.")


def _attention_steps(walk: _Walk, wt: Walkthrough, src: str, path: str, what: str, stop: str | None) -> Step:
    """The steps of a transformer walkthrough, renamed into this one (X is ``src``, the rest marked ⁽k⁾)."""
    k = walk.next_number("attention")
    tag = f"⁽{str(k).translate(_SUP)}⁾"
    names = [s.name for s in wt.steps[1:]] + [n for n in wt.inputs if n != "X"]
    if stop is not None:
        names = names[:names.index(stop) + 1] + [n for n in wt.inputs if n != "X"]
    new = {n: n + tag for n in names}
    new["X"] = src
    rx = re.compile(r"(?<![\w\u0302])(" + "|".join(map(re.escape, sorted(new, key=len, reverse=True)))
                    + r")([\u2080-\u2089]*ᵀ?)(?![\w\u0302⁽])")

    def text(s: str) -> str:
        return rx.sub(lambda m: (new[m[1]] + m[2]) if m[1] == "X" else m[1] + m[2] + tag, s)

    def stacked(st):
        return None if st is None else type(st)(tuple(
            replace(p, name=text(p.name), source=None if p.source is None else new.get(p.source, p.source))
            for p in st.parts), st.axis)

    for name, m in wt.inputs.items():
        if name != "X" and name in new:
            walk.inputs[new[name]] = m
            walk.weights[new[name]] = (path, name)
    last = None
    for s in wt.steps[1:]:
        copies = None if s.copies is None else replace(s.copies, name=text(s.copies.name),
                                                       source=new.get(s.copies.source, s.copies.source))
        last = walk.add(replace(s, title=f"{path}: {text(s.title)}", caption=f"{path} ({what}): "
                                                                             f"{text(s.caption)}",
                                name=new[s.name], product_name=text(s.product_name), left=stacked(s.left),
                                right=stacked(s.right), note=text(s.note), copies=copies,
                                quotes=tuple(new.get(q, q) for q in s.quotes)), path)
        if s.name == stop:
            break
    return last


def _sequence(v: _Val, path: str, batch_first: bool, what: str) -> None:
    if v.t.ndim == 3 and v.t.shape[0 if batch_first else 1] != 1 or v.t.ndim not in (2, 3):
        want = "(1, n, d)" if batch_first else "(n, 1, d)"
        raise ByHandError(f"{path}: {what} gets shape {tuple(v.t.shape)}; one sequence, (n, d) or {want}, is "
                          "worked by hand.", path)


def _encoder_layer(walk: _Walk, node, mod, path: str) -> None:
    from ..blocks.transformer import from_torch as layer_walk

    walk.numbers_only(path, "nn.TransformerEncoderLayer")
    if len(node.args) != 1 or any(v is not None and v is not False for v in node.kwargs.values()):
        raise ByHandError(f"{path}: nn.TransformerEncoderLayer is worked on its input alone (no masks).",
                          path)
    if mod.training and (mod.dropout.p > 0):
        raise ByHandError(f"{path}: nn.TransformerEncoderLayer is in training mode with dropout; call "
                          "model.eval() first.", path)
    v = walk.val(node.args[0])
    _sequence(v, path, mod.self_attn.batch_first, "nn.TransformerEncoderLayer")
    src, X = walk.view(v, "rows", False, path, "the layer reads features × positions.")
    last = _attention_steps(walk, layer_walk(mod, X.T), src, path, "nn.TransformerEncoderLayer", None)
    walk.env[node] = _Val(torch_layout(last.result, v.t.shape, "rows"), "rows", False, last.name)


def _multihead(walk: _Walk, node, mod, path: str) -> None:
    from ..blocks.transformer import transformer_layer

    walk.numbers_only(path, "nn.MultiheadAttention")
    q, k, v_ = (node.args + tuple(node.kwargs.get(n) for n in ("query", "key", "value")))[:3]
    masks = [n for n in ("key_padding_mask", "attn_mask") if node.kwargs.get(n) is not None] + (
        ["a mask"] if len(node.args) > 3 else [])
    if not (q is k is v_) or masks or node.kwargs.get("is_causal"):
        raise ByHandError(f"{path}: nn.MultiheadAttention is worked as self-attention, attn(x, x, x), with "
                          "no "
                          "mask.", path)
    if not mod._qkv_same_embed_dim or mod.bias_k is not None or mod.add_zero_attn:
        raise ByHandError(f"{path}: nn.MultiheadAttention with kdim/vdim, add_bias_kv or add_zero_attn is "
                          "not "
                          "supported.", path)
    if mod.training and mod.dropout > 0:
        raise ByHandError(f"{path}: nn.MultiheadAttention is in training mode with dropout; call "
                          "model.eval() "
                          "first.", path)
    v = walk.val(q)
    _sequence(v, path, mod.batch_first, "nn.MultiheadAttention")
    src, X = walk.view(v, "rows", False, path, "attention reads features × positions.")
    d = mod.embed_dim
    W = _numpy(mod.in_proj_weight)
    b = _numpy(mod.in_proj_bias) if mod.in_proj_bias is not None else np.zeros(3 * d)
    bo = _col(mod.out_proj.bias) if mod.out_proj.bias is not None else np.zeros((d, 1))
    params = {"Wq": W[:d], "Wk": W[d:2 * d], "Wv": W[2 * d:], "bq": b[:d, None], "bk": b[d:2 * d, None],
              "bv": b[2 * d:, None], "Wo": _numpy(mod.out_proj.weight), "bo": bo,
              # the layer's feed-forward half is not walked: its weights are placeholders
              "W1": np.zeros((1, d)), "b1": np.zeros((1, 1)), "W2": np.zeros((d, 1)), "b2": np.zeros((d, 1)),
              "g1": np.ones((d, 1)), "beta1": np.zeros((d, 1)), "g2": np.ones((d, 1)),
              "beta2": np.zeros((d, 1))}
    wt = transformer_layer(X, params, mod.num_heads)
    keep = {"Wq", "Wk", "Wv", "bq", "bk", "bv", "Wo", "bo"}
    wt = replace(wt, inputs={n: m for n, m in wt.inputs.items() if n in keep or n == "X"})
    last = _attention_steps(walk, wt, src, path, "nn.MultiheadAttention", "Att")
    out = _Val(torch_layout(last.result, v.t.shape, "rows"), "rows", False, last.name, True)
    walk.env[node] = (out, None)  # (output, attention weights): the weights are not walked

"""Convolutional ResNet block walkthrough: every convolution one multiply (im2col), eval-mode batch norm,
and the shortcut added in the same multiply: ``ReLU([W2′ | I | t2]·[im2col(H); x; 1])``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from byhand import example
from byhand.blocks.conv import (
    BLOCK,
    KINDS,
    SHORTCUTS,
    conv_inputs,
    default_stride,
    read_eps,
    receptive_field,
    shortcut_options,
    variant_block,
)
from byhand.example import as_key, from_key
from byhand.formula import collect_walkthrough, read_rows
from byhand.numbers import ByHandError, quote
from byhand.ui import controls, share
from byhand.ui.editors import (
    example_controls,
    matrix_editors,
    md_escape,
    show_error,
    valid_or_last,
)
from byhand.ui.formula import formula_control, formula_on, link_params, read_formula_link
from byhand.ui.maps import feature_maps, map_step
from byhand.ui.torch_panel import check_table, run_check
from byhand.ui.walkthrough_page import show_link_messages

NS = "conv"
SETTINGS = ("kind", "shortcut", "stride", "channels", "eps")  # kept in session state as f"{NS}.{name}"
KIND_LABELS = {"basic": "Basic: 3×3, 3×3", "bottleneck": "Bottleneck: 1×1, 3×3, 1×1"}
SHORTCUT_LABELS = {"identity": "Identity", "zero_pad": "A: zero-pad", "projection": "B: projection"}
STRIDE, CHANNELS = BLOCK.size("stride"), BLOCK.size("channels")  # the page's limits, from the registry


# ---------------------------------------------------------------- the example as editable matrices

@st.cache_data(max_entries=64, show_spinner=False)
def build(kind: str, shortcut: str, stride: int, eps: str, key: tuple, symbols: bool = False):
    """The walkthrough of an example (cached by its text cells and choices); ``symbols``: cells may hold
    expressions, shown collected (the formula is on)."""
    rows = from_key(key)
    kw = conv_inputs(read_rows(rows) if symbols else rows, kind, shortcut, stride, read_eps(eps))
    wt = variant_block(kind).build(**kw)
    return collect_walkthrough(wt) if symbols else wt


# ---------------------------------------------------------------- drawings

def shape_words(wt) -> str:
    """The shapes the block goes through, e.g. ``x 1×6×6 → Y1 2×3×3 → H 2×3×3 → out 2×3×3``."""
    maps = wt.params["maps"]
    names = [s.name for s in wt.steps if s.name in maps and not s.name.endswith("_pad")]
    return " → ".join(f"{n} {'×'.join(map(str, maps[n]))}" for n in names)


def shapes_table(wt) -> pd.DataFrame:
    """Every step's matrices: the 2-D shape worked by hand and the (C, H, W) map it stands for."""
    maps, out = wt.params["maps"], []
    for k, s in enumerate(wt.steps):
        m = s.result if s.result is not None else s.product
        lhs = (f"{s.left.shape[0]}×{s.left.shape[1]} · {s.right.shape[0]}×{s.right.shape[1]}"
               if s.is_multiply else "")
        out.append({"step": k + 1, "title": s.title, "multiply": lhs, "result": s.name,
                    "by hand": f"{m.shape[0]}×{m.shape[1]}",
                    "as maps": "×".join(map(str, maps[s.name])) if s.name in maps else ""})
    return pd.DataFrame(out).set_index("step")


def render_step(ns: str, wt, step, k: int) -> None:
    """A step: feature-map grids for a map given alone, the by-hand drawing otherwise, plus its maps."""
    maps, n = wt.params["maps"], len(wt.steps)
    if step.kind == "given" and step.name in maps:
        map_step(NS, step, k, n, maps[step.name])
    else:
        controls.step_view(ns, step, k, n)
        if step.name in maps:
            c, h, w = maps[step.name]
            cell = controls.picked_cell(ns, k, step)
            pixel = None
            if cell is not None:
                pixel = np.zeros((h, w), dtype=bool)
                pixel[divmod(cell[1], w)] = True
            st.markdown(f"**{step.name}** reshaped back to feature maps ({c}×{h}×{w}):")
            feature_maps(step.name, step.result, maps[step.name], f"{NS}.step{k}.maps", highlight=pixel)
            if cell is not None:
                i, j = divmod(cell[1], w)
                mask = receptive_field(wt, i, j, step.name)
                st.markdown(f"Pixel ({i + 1}, {j + 1}) of {step.name} (column {cell[1] + 1}) depends on "
                            f"these **{int(mask.sum())}** pixels of x, its receptive field:")
                feature_maps("x", wt.inputs["x"], wt.params["in_shape"], f"{NS}.step{k}.rf", highlight=mask,
                             role="input")
    m = step.result if step.result is not None else step.product
    st.caption(f"Shapes: {shape_words(wt)}. This step's {step.name} is {m.shape[0]}×{m.shape[1]} by hand"
               + (f", the maps {'×'.join(map(str, maps[step.name]))}." if step.name in maps else "."))


def receptive_view(wt) -> None:
    """Pick an output pixel; its receptive field lights up on the input image."""
    c, h, w = wt.params["out_shape"]
    ss = st.session_state
    for key, size in ((f"{NS}.rf.row", h), (f"{NS}.rf.col", w)):
        if ss.get(key) not in range(1, size + 1):
            ss[key] = 1
    a, b, _ = st.columns([1, 1, 4])
    i = a.selectbox("Output row", list(range(1, h + 1)), key=f"{NS}.rf.row")
    j = b.selectbox("Output column", list(range(1, w + 1)), key=f"{NS}.rf.col")
    mask = receptive_field(wt, i - 1, j - 1)
    _, hx, wx = wt.params["in_shape"]
    st.markdown(f"Output pixel ({i}, {j}) of every channel depends on **{int(mask.sum())} of the {hx * wx}** "
                "pixels of x, highlighted (through the two 3×3 convolutions and the shortcut):")
    feature_maps("x", wt.inputs["x"], wt.params["in_shape"], f"{NS}.rf.x", highlight=mask, role="input")
    cell = np.zeros((h, w), dtype=bool)
    cell[i - 1, j - 1] = True
    feature_maps("out", wt.steps[-1].result, wt.params["out_shape"], f"{NS}.rf.out", highlight=cell)


# ---------------------------------------------------------------- PyTorch and option A vs B

def torch_view(wt, key: str) -> None:
    """Ours beside nn.Conv2d / nn.BatchNorm2d (eval) with the same weights: max |difference| and ✓ or ✗."""
    check = run_check(wt, key)
    if check is None:
        return
    ours, theirs, diff = check.ours, check.torch, check.max_diff
    st.caption(f"PyTorch computes the same block with {check.what}.")
    for ch in range(ours.shape[0]):
        a, b = st.columns(2)
        a.markdown(f"**Ours, by hand** · channel {ch + 1}")
        a.table(check_table(ours[ch], 4))
        b.markdown(f"**PyTorch** · channel {ch + 1}")
        b.table(check_table(theirs[ch], 4))
    if check.ok:
        st.success(f"✓ PyTorch agrees: the largest |difference| is {diff:.3g}.")
    else:
        st.error(f"✗ PyTorch differs: the largest |difference| is {diff:.3g}.")
    st.metric("max |ours − PyTorch|", f"{diff:.2e}", border=False)


def compare_options(kw: dict, kind: str, key: str) -> None:
    """Option A (zero padding, no parameters) beside option B (1×1 projection + BN) on the same weights."""
    try:
        o = shortcut_options(kw, kind)
    except ByHandError as e:
        st.info(md_escape(e))
        return
    stride = o.a.params["stride"]
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Option A — zero padding**: parameters added **0**. Keep every {stride}"
                    f"{'nd' if stride == 2 else 'st'} pixel, append {o.zero_channels} zero channel"
                    f"{'s' if o.zero_channels != 1 else ''}.")
        feature_maps("out (A)", o.a.steps[-1].result, o.a.params["out_shape"], f"{key}.A")
    with right:
        where = "this example's" if o.own_projection else "a small fixed"
        st.markdown(f"**Option B — 1×1 projection** ({where} ws): parameters added **{o.parameters}** = "
                    f"{o.c_out}·{o.c_in}·1·1 weights + {o.projection_bn} for its batch norm's γ and β.")
        feature_maps("out (B)", o.b.steps[-1].result, o.b.params["out_shape"], f"{key}.B")
    st.caption("Option A adds nothing to learn: the shortcut stays an identity on the channels it has. "
               "Option B learns how to mix the input channels into the new ones, at the price of the 1×1 "
               "convolution.")


def _stride_for_shortcut() -> None:
    """Options A and B start as the downsampling block (stride 2); the identity needs stride 1."""
    ss = st.session_state
    ss[f"{NS}.stride"] = default_stride(ss.get(f"{NS}.shortcut") or "identity")


def read_link(params: dict) -> list[str]:
    """The link's block, shortcut, stride, channels and ε into session state (checked); messages.

    A setting the link leaves out keeps its value (or gets its default).
    """
    ss, messages = st.session_state, []
    read = {
        "kind": lambda: example.read_choice(params, "block", KINDS, "basic", messages, "block"),
        "shortcut": lambda: example.read_choice(params, "sc", SHORTCUTS, "identity", messages, "shortcut"),
        "stride": lambda: example.read_int(params, STRIDE.url, STRIDE.low, STRIDE.high, STRIDE.default,
                                         messages, "stride"),
        "channels": lambda: example.read_int(params, CHANNELS.url, CHANNELS.low, CHANNELS.high,
                                           CHANNELS.default, messages, "channels"),
        "eps": lambda: _read_eps(params["eps"], messages),
    }
    link_keys = {"kind": "block", "shortcut": "sc", "stride": STRIDE.url, "channels": CHANNELS.url,
                 "eps": "eps"}
    defaults = {"kind": "basic", "shortcut": "identity", "stride": STRIDE.default,
                "channels": CHANNELS.default, "eps": "0"}
    for name, fn in read.items():
        if link_keys[name] in params:
            ss[f"{NS}.{name}"] = fn()
        else:
            ss.setdefault(f"{NS}.{name}", defaults[name])
    return messages


def _read_eps(text, messages: list[str]) -> str:
    eps = str(text).strip()
    try:
        if len(eps) > 40:  # a longer ε is not a number a page would write
            raise ByHandError("too long", "eps")
        read_eps(eps)
        return eps
    except ByHandError:
        messages.append(f"eps = {quote(text)} in the link is not a number ≥ 0; using 0.")
        return "0"


def settings() -> tuple[str, str, int, int]:
    """Block, shortcut, stride and input channels, in a collapsed panel (the drawing shows first)."""
    with st.expander("Settings: block, shortcut, stride, input channels", icon=":material/tune:"):
        c1, c2 = st.columns([1, 1.2])
        kind = c1.segmented_control("Block", list(KINDS), format_func=KIND_LABELS.get,
                                    key=f"{NS}.kind") or "basic"
        shortcut = c2.segmented_control("Shortcut", list(SHORTCUTS), format_func=SHORTCUT_LABELS.get,
                                        key=f"{NS}.shortcut", on_change=_stride_for_shortcut) or "identity"
        c3, c4, _ = st.columns([1, 1, 2.2])
        stride = c3.segmented_control("Stride", list(range(STRIDE.low, STRIDE.high + 1)), key=f"{NS}.stride",
                                      disabled=shortcut == "identity",
                                      help="The identity shortcut needs stride 1: x and the output must have "
                                           "the same shape.") or STRIDE.default
        channels = c4.segmented_control("Input channels", list(range(CHANNELS.low, CHANNELS.high + 1)),
                                        key=f"{NS}.channels") or CHANNELS.default
        st.caption("Why the shortcut needs matching shapes: the block adds x to its output cell by cell, so "
                   "both must be C×H×W alike. Stride 2 halves H and W and the block may add channels, so x "
                   "must be subsampled and given the extra channels: with zeros (option A) or a 1×1 "
                   "convolution (option B).")
    return kind, shortcut, stride, channels


# ---------------------------------------------------------------- the page

ss = st.session_state
present = controls.presenting()
if not present:
    st.title("Convolutional ResNet block, by hand")
    st.markdown("A convolution is **one matrix multiply**: unroll the image's patches into columns "
                "(im2col), put the kernels in rows. Batch norm (eval mode) is a per-channel scale and shift, "
                "and the shortcut is added in the same multiply: "
                "`[W2′ | I | t2]·[im2col(H); x; 1] = BN2(conv2(H)) + x`.")
if f"{NS}.link" not in ss:  # the page's first run in this session: read the link once
    ss[f"{NS}.link"] = read_link({k: st.query_params.get(k) for k in st.query_params})
if not present:
    show_link_messages(ss[f"{NS}.link"])
if ss[f"{NS}.shortcut"] == "identity":
    ss[f"{NS}.stride"] = default_stride("identity")
if present:  # the settings are not drawn: they stay as chosen
    for name in SETTINGS:
        ss[f"{NS}.{name}"] = ss[f"{NS}.{name}"]
    kind, shortcut, stride, channels = (ss[f"{NS}.{name}"] for name in SETTINGS[:4])
else:
    kind, shortcut, stride, channels = settings()

spec = example.conv_spec(kind, shortcut, channels)
link_messages = share.restore_once(spec, read_formula_link(spec, lambda r: build(
    kind, shortcut, stride, ss.get(f"{NS}.eps_ok", ss[f"{NS}.eps"]), as_key(r), True)))
if not present:
    show_link_messages(link_messages)
stage = st.container()
if present:
    size_error, eps_text, edited = None, ss[f"{NS}.eps"], ss[f"{spec.ns}.valid"]
else:
    with st.expander("Edit the image, the kernels and the batch-norm statistics", icon=":material/edit:"):
        size_error = example_controls(spec)
        eps_text = st.text_input("ε of every batch norm (0 keeps √(σ² + ε) exact when σ² is a square such "
                                 "as 4 or 1/4; PyTorch's default is 1e-5)", key=f"{NS}.eps")
        st.caption("x1, x2: the image's channels. w1_1, w1_2 …: kernel 1, 2 … of convolution 1, its input "
                   "channels stacked (rows 1–3 channel 1, rows 4–6 channel 2); w1 alone (1×1 convolutions): "
                   "output channels × input channels. bn1 …: one row per channel, columns γ, β, μ, σ².")
        edited = matrix_editors(spec, per_row=3)
try:
    read_eps(eps_text)
    eps, eps_error = eps_text, None
    ss[f"{NS}.eps_ok"] = eps
except ByHandError as e:
    eps, eps_error = ss.get(f"{NS}.eps_ok", "0"), e
symbols = formula_on(spec.ns)
rows, error = valid_or_last(spec, edited, lambda r: build(kind, shortcut, stride, eps, as_key(r), symbols))
try:
    wt = build(kind, shortcut, stride, eps, as_key(rows), symbols)
except ByHandError as e:  # the last valid cells do not fit the chosen stride: the variant's default example
    error = error or e
    rows = spec.make(None, spec.default_sizes())
    wt = build(kind, shortcut, default_stride(shortcut), "0", as_key(rows))
error = size_error or eps_error or error
key = repr((kind, shortcut, stride, eps, as_key(rows)))
url = link_params(spec, rows)

with stage:
    show_error(error)
    st.markdown(f"**{wt.title}** · shapes: {shape_words(wt)}" + (" · exact fractions" if wt.exact else
                                                                   " · decimals (see the notes)"))

    share.linked_player(spec.ns, wt, {**url, "block": kind, "sc": shortcut, STRIDE.url: str(stride),
                                      CHANNELS.url: str(channels), **({"eps": eps} if eps != "0" else {})},
                        render=lambda step, k: render_step(spec.ns, wt, step, k))
    if not present:
        formula_control(spec, lambda r: build(kind, shortcut, stride, eps, as_key(r), True))
        if symbols:
            st.caption("With symbols the im2col steps are wider than the page (a column per pixel): scroll "
                       "sideways, or pick a cell to read its whole expression.")
        t1, t2, t3, t4, t5 = st.columns(5)
        rf = t1.toggle("Receptive field", key=f"{NS}.rf", help="The input pixels one output pixel sees.")
        shapes = t2.toggle("Shapes at every step", key=f"{NS}.shapes")
        compare = t3.toggle("Option A vs B side by side", key=f"{NS}.compare", disabled=symbols,
                            help="With numbers only: go back to numbers first." if symbols else None)
        check = t4.toggle("Check with PyTorch", key=f"{NS}.torch", disabled=symbols,
                          help="PyTorch works with numbers: go back to numbers first." if symbols else None)
        with t5:
            options = {"shortcut": shortcut, "stride": wt.params["stride"], "eps": eps}
            saved = example.example_json(variant_block(kind).name, rows, options)
            controls.print_menu(wt, spec.ns, example=saved)
        if rf:
            receptive_view(wt)
        if shapes:
            st.dataframe(shapes_table(wt), width="stretch")
        if compare and not symbols:
            compare_options(conv_inputs(dict(rows), kind, shortcut, wt.params["stride"], read_eps(eps)), kind,
                            f"{NS}.cmp")
        if check and not symbols:
            torch_view(wt, key)

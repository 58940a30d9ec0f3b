"""Transformer encoder block walkthrough: by hand (simplified, exact) or PyTorch's TransformerEncoderLayer."""

import streamlit as st

from byhand import example, fmt, random_transformer_params, transformer_layer
from byhand.blocks import Size, block_type
from byhand.blocks.transformer import default_transformer_x, random_transformer_x
from byhand.example import ExampleSpec, as_key, from_key
from byhand.formula import collect_walkthrough, read_rows
from byhand.ui import controls, share
from byhand.ui.editors import (
    example_controls,
    matrix_editors,
    show_error,
    valid_or_last,
)
from byhand.ui.formula import formula_control, formula_on, link_params, read_formula_link
from byhand.ui.torch_panel import torch_panel
from byhand.ui.walkthrough_page import build, compare_view, show_link_messages

TORCH_SETTINGS = ("heads", "act", "norm_first", "dec")
VARIANTS = {"hand": "By hand (simplified)", "torch": "PyTorch TransformerEncoderLayer"}
ACTIVATIONS = ("relu", "gelu")
BLOCK = block_type("encoder")
HAND = ExampleSpec.of(BLOCK)
TORCH = ExampleSpec(
    "encoder.torch", ("X",),
    (Size("positions", "Positions (columns of X)", "n", 3), Size("d_model", "d_model (rows of X)", "d", 4),
     Size("dim_feedforward", "dim_feedforward", "f", 6)),
    default_transformer_x, random_transformer_x)
CAPTIONS = {i.name: i.caption for i in BLOCK.inputs}


TORCH_FORMULA = ("Only X becomes symbols: the weights are PyTorch's seeded floats, not part of the "
                 "example. With symbols the layer is worked out at d_model, positions and dim_feedforward "
                 "of at most 2.")


def build_torch(key: tuple, seed: int, f: int, nhead: int, norm_first: bool, activation: str,
                symbols: bool = False):
    """TransformerEncoderLayer's walkthrough on X (from ``key``) with weights seeded by ``seed``, cached;
    ``symbols``: X may hold expressions, and the symbolic cells are shown collected (the formula is on)."""
    return (_torch_symbols if symbols else _torch_numbers)(key, seed, f, nhead, norm_first, activation)


@st.cache_data(max_entries=64, show_spinner=False)
def _torch_numbers(key: tuple, seed: int, f: int, nhead: int, norm_first: bool, activation: str):
    X = from_key(key)["X"]
    return transformer_layer(X, random_transformer_params(seed, len(X), f), nhead, norm_first, activation)


@st.cache_resource(max_entries=16, show_spinner=False)
def _torch_symbols(key: tuple, seed: int, f: int, nhead: int, norm_first: bool, activation: str):
    """Kept as built (cache_resource), not pickled: unpickling the layer's expressions rebuilds each one
    (20 s for a 2×2×2 layer's, where building them takes 2 s). A walkthrough is never changed in place."""
    X = read_rows(from_key(key))["X"]
    wt = transformer_layer(X, random_transformer_params(seed, len(X), f), nhead, norm_first, activation)
    return collect_walkthrough(wt)


def fit_heads() -> list[int]:
    """The head counts that divide d_model; the chosen one made one of them (at most 2) if it is not."""
    d = ss[f"{TORCH.ns}.sizes"]["d_model"]
    divisors = [h for h in range(1, d + 1) if d % h == 0]
    if ss.get("encoder.torch.heads") not in divisors:
        ss["encoder.torch.heads"] = max(h for h in divisors if h <= 2)
    return divisors


def torch_args() -> tuple:
    """``build_torch``'s settings after the key: the seed, dim_feedforward, heads, norm_first, activation."""
    seed = ss[f"{TORCH.ns}.seed"]
    return (0 if seed is None else seed, ss[f"{TORCH.ns}.sizes"]["dim_feedforward"],
            ss["encoder.torch.heads"], ss["encoder.torch.norm_first"], ss["encoder.torch.act"])


def check_torch(rows: dict):
    """The torch variant's walkthrough of an example read with symbols (for "Show the formula")."""
    return build_torch(as_key(rows), *torch_args(), symbols=True)


def check_hand(rows: dict):
    """The by-hand variant's walkthrough of an example read with symbols (for "Show the formula")."""
    return build(BLOCK.name, as_key(rows), symbols=True)


def read_torch_extra(params: dict, messages: list) -> None:
    """The torch variant's own link keys: heads, norm_first, activation, decimals; then formula= (X)."""
    ss = st.session_state
    ss["encoder.torch.heads"] = example.read_int(params, "heads", 1, 8, 2, messages, "heads")
    ss["encoder.torch.norm_first"] = bool(example.read_int(params, "nf", 0, 1, 0, messages, "norm_first"))
    ss["encoder.torch.act"] = example.read_choice(params, "act", ACTIVATIONS, "relu", messages, "activation")
    ss["encoder.torch.dec"] = example.read_int(params, "dec", 0, 8, 3, messages, "decimals")
    fit_heads()
    read_formula_link(TORCH, check_torch)(params, messages)  # after the settings its walkthrough needs


def two_identities(wt) -> None:
    """The seed's closing point, drawn: both skips' stacked operands side by side, their identities
    different in size and place (positions on the right of attention, features on the left of the
    feed-forward layer)."""
    att, ff = (s for s in wt.steps if s.kind == "arrange")
    n, d = wt.inputs["X"].shape[1], wt.inputs["X"].shape[0]
    st.markdown("**The two identities, side by side.** Their sizes and places differ: attention combines "
                "positions (across columns), the feed-forward layer combines features (across rows).")
    c_att, c_ff = st.columns(2)
    for col, step, words in (
            (c_att, att, f"Around attention: two {n}×{n} identities, one row per **position**, on the right "
                         "of [X | Z]."),
            (c_ff, ff, f"Around the feed-forward layer: one {d}×{d} identity, one column per **feature**, "
                       "on the left of [Y; H; 1].")):
        with col:
            st.altair_chart(controls.fitted_chart(step, box=(controls.drawing_box()[0] // 2 - 10, 320)),
                            width="content")
            st.caption(words)


def mixing_view(wt, decimals: int) -> None:
    """Pick an output cell of attention and of the first feed-forward layer; see what each depends on."""
    att = next(s for s in wt.steps if s.data_side == "left")
    ff = wt.step("H")  # the feed-forward layer's hidden units
    st.markdown("**Attention combines positions (across columns); the feed-forward layer combines features "
                "(across rows).** Pick an output cell of each: the cells it depends on light up.")
    wide = any(len(fmt(v, decimals)) > 4 for v in ff.result.flat)  # decimals: one under the other
    cols = (st.container(), st.container()) if wide else st.columns(2)
    for col, step, tag in ((cols[0], att, "att"), (cols[1], ff, "ff")):
        m, n = step.product.shape
        k = wt.steps.index(step) + 1
        with col:
            st.markdown(f"**Step {k}: {step.title}** ({step.name} = {step.product_name}"
                        + (f", then {step.op.label})" if step.answer_region == "result" else ")"))
            r_col, c_col = st.columns(2)
            i = r_col.selectbox(f"Row of {step.name}", range(1, m + 1), key=f"encoder.mix.{tag}.row") - 1
            j = c_col.selectbox(f"Column of {step.name}", range(1, n + 1), key=f"encoder.mix.{tag}.col") - 1
            width = controls.drawing_box()[0] // (1 if wide else 2) - 10
            st.altair_chart(controls.fitted_chart(step, decimals=decimals, selected=(i, j), box=(width, 360)),
                            width="content")
            data = step.left if step.data_side == "left" else step.right
            if tag == "att":
                st.markdown(f"{step.name} [{i + 1}, {j + 1}] mixes **row {i + 1} of {data.name}**: feature "
                            f"{i + 1} at every position (across columns), weighted by column {j + 1} of "
                            f"{step.right.name}.")
            else:
                st.markdown(f"{step.name} [{i + 1}, {j + 1}] mixes **column {j + 1} of {data.name}**: every "
                            f"feature of position {j + 1} (across rows), weighted by row {i + 1} of "
                            f"{step.left.name}. Other positions play no part.")


ss = st.session_state
present = controls.presenting()
if not present:
    st.title("Transformer encoder block, by hand")
    c_variant, c_intro = st.columns([5, 4], vertical_alignment="center")
    c_intro.caption("Attention mixes **positions** (across columns), the feed-forward layers mix "
                    "**features** (across rows), and two identities carry the input around both.")

first_run = "encoder.v" not in ss
if first_run:
    messages: list[str] = []
    ss["encoder.v"] = example.read_choice({k: st.query_params.get(k) for k in st.query_params}, "v",
                                        tuple(VARIANTS), "hand", messages, "variant")
    ss["encoder.link_messages_v"] = messages
ss.setdefault("encoder.variant", ss["encoder.v"])
if present:  # the variant stays as chosen; its control is not drawn
    variant = ss["encoder.variant"]
else:
    variant = c_variant.segmented_control("Variant", list(VARIANTS), format_func=VARIANTS.get,
                                         key="encoder.variant", required=True, label_visibility="collapsed")
link_used = ss.setdefault("encoder.link_variant", ss["encoder.v"])
ss["encoder.v"] = variant
spec = HAND if variant == "hand" else TORCH
read_link = read_torch_extra if variant == "torch" else read_formula_link(HAND, check_hand)  # and formula=
messages = share.restore_once(spec, read_link, use_link=variant == link_used)
if not present:
    show_link_messages(ss.get("encoder.link_messages_v", []) + messages)


def settings(spec: ExampleSpec, variant: str):
    """The example's editors and sizes (and the torch variant's settings), in a collapsed panel."""
    with st.expander("Edit the example: " + ", ".join(spec.names) + " and the sizes", icon=":material/edit:"):
        near_editors = st.container()  # the message also shows where the bad cell was typed
        size_error = example_controls(spec)
        if variant == "torch":
            for name, value in zip(TORCH_SETTINGS, (2, "relu", False, 3)):
                ss.setdefault(f"encoder.torch.{name}", value)  # dropped while another page was shown
            divisors = fit_heads()
            c1, c2, c3, c4 = st.columns(4)
            c1.selectbox("Heads (nhead)", divisors, key="encoder.torch.heads", help="Must divide d_model.")
            c2.selectbox("Activation", ACTIVATIONS, key="encoder.torch.act")
            c3.toggle("norm_first (LayerNorm before each sub-layer)", key="encoder.torch.norm_first")
            c4.slider("Decimals shown", 0, 8, key="encoder.torch.dec")
            st.caption("The weights (Wq, Wk, Wv, Wo, W1, W2, their biases and the LayerNorms) are seeded "
                       "floats from the example's seed; X is yours to edit.")
        edited = matrix_editors(spec, captions=CAPTIONS)
    return near_editors, size_error, edited


@st.fragment
def walkthrough(spec: ExampleSpec, variant: str) -> None:
    """Editors and the step: an edit reruns only this part of the page."""
    stage = st.container()
    extra = {}
    if controls.presenting():  # no settings drawn: the example and the torch settings stay as they are
        for name in TORCH_SETTINGS:
            if f"encoder.torch.{name}" in ss:
                ss[f"encoder.torch.{name}"] = ss[f"encoder.torch.{name}"]
        near_editors, size_error, edited = st.empty(), None, ss[f"{spec.ns}.valid"]
    else:
        near_editors, size_error, edited = settings(spec, variant)

    symbols = formula_on(spec.ns)
    if variant == "hand":
        decimals, args = 3, ()
        rows, error = valid_or_last(spec, edited, lambda r: build(BLOCK.name, as_key(r), symbols=symbols))
        key = as_key(rows)
        wt = build(BLOCK.name, key, symbols=symbols)
    else:
        decimals = ss["encoder.torch.dec"]
        args = torch_args()
        rows, error = valid_or_last(spec, edited, lambda r: build_torch(as_key(r), *args, symbols=symbols))
        key = as_key(rows)
        wt = build_torch(key, *args, symbols=symbols)
        extra = {"heads": str(args[2]), "nf": str(int(args[3])), "act": args[4], "dec": str(decimals)}
    error = size_error or error
    url = {"v": variant, **link_params(spec, rows), **extra}  # the numbers, and formula= while it is shown

    with stage:
        show_error(error, near_editors)

        def show(step, k: int) -> None:
            controls.step_view(spec.ns, step, k, len(wt.steps), decimals=decimals)
            if variant == "hand" and k == len(wt.steps) - 1:
                two_identities(wt)

        share.linked_player(spec.ns, wt, url, decimals=decimals, render=show)
        if controls.presenting():
            return
        if variant == "hand":
            formula_control(spec, check_hand)
        else:
            formula_control(spec, check_torch, note=TORCH_FORMULA)
        c1, c2, c3, c4 = st.columns(4)
        mixing = c1.toggle("Mixing view", key="encoder.mixing",
                           help="Pick an output cell of attention and of the feed-forward layer: see which "
                                "input cells each one combines.")
        compare = c2.toggle("Compare skips on / off", key="encoder.compare", disabled=variant != "hand",
                            help="Both outputs side by side, with and without the two skip connections."
                            if variant == "hand" else "Only for the by-hand variant.")
        check = c3.toggle("Check with PyTorch", key="encoder.torch_check", disabled=symbols,
                          help="PyTorch works with numbers: go back to numbers first." if symbols else None)
        with c4:
            controls.print_menu(wt, spec.ns, decimals, example.example_json(BLOCK.name, rows)
                                if variant == "hand" else None)
        if mixing:
            mixing_view(wt, decimals)
        if compare and variant == "hand":
            compare_view(BLOCK, key, wt, symbols)
        if check and not symbols:
            torch_panel(wt, repr((key, variant, args)), decimals=max(decimals, 4))


walkthrough(spec, variant)

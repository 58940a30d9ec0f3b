"""Your model, by hand: a template and its sizes (or your weights as .safetensors), walked step by step."""

from dataclasses import replace

import streamlit as st

from byhand import formula, reference
from byhand.example import ExampleSpec, as_key, from_key, read_choice, read_int, read_step, to_rows
from byhand.numbers import ByHandError
from byhand.ui import controls, share
from byhand.ui.editors import md_escape
from byhand.ui.formula import formula_control, formula_on, formula_values, link_params, read_formula_link
from byhand.ui.maps import map_step

NS = "yours"
ROUNDING = {"none": "As they are", "0": "Whole numbers", "1": "1 decimal", "2": "2 decimals"}
ss = st.session_state
present = controls.presenting()
if not present:
    st.title("Your model, by hand")
    st.caption("A small PyTorch model, traced with torch.fx and worked out step by step: every linear layer "
               "and convolution is one multiply, every skip an identity stacked beside the weights.")
if not reference.torch_available():
    st.info(f"This page runs your model in PyTorch, which is not installed. Install the CPU build with "
            f"`{reference.INSTALL_HINT}` and reload the page.")
    st.stop()

from byhand.reference import Check  # noqa: E402
from byhand.torchwalk import (  # noqa: E402
    MAX_CELLS,
    MAX_INPUT,
    MAX_PARAMETERS,
    MAX_STEPS,
    SUPPORTED,
    from_torch,
    torch_layout,
)
from byhand.torchwalk.templates import (  # noqa: E402
    MAX_UPLOAD,
    TEMPLATES,
    build,
    load_safetensors,
    model_code,
    rounded,
    save_safetensors,
)
from byhand.torchwalk.work import SYMBOLIC_INPUT, SYMBOLIC_NODES  # noqa: E402
from byhand.ui.compare import compare_outputs  # noqa: E402
from byhand.ui.torch_panel import check_table, verdict  # noqa: E402

# "Show the formula": only x becomes symbols, x11 … in the by-hand layout (features × samples). Its editor
# state is the formula's own (``{NS}.valid`` holds x as rows of text: the numbers, or the symbols shown).
X_SPEC = ExampleSpec(NS, ("x",), (), lambda: {"x": ss[f"{NS}.x.numbers"]},
                     lambda seed, **sizes: {"x": ss[f"{NS}.x.numbers"]})
X_FORMULA = ("Only x becomes symbols: the weights are the model's numbers (rounded when you round them), "
             f"not part of the example. With symbols, x has at most {SYMBOLIC_INPUT} cells and a worked-out "
             f"cell at most {SYMBOLIC_NODES:,} terms and operations; attention and encoder layers are worked "
             "with numbers only.")


def read_link() -> list[str]:
    """On the first run: the template, sizes, seed and rounding a link carries, each checked; then its
    ``formula=`` (x shown as symbols)."""
    messages, q = [], {k: st.query_params.get(k) for k in st.query_params}
    name = read_choice(q, "t", tuple(TEMPLATES), "mlp", messages, "template")
    ss[f"{NS}.template"] = name
    for key, (label, default, low, high) in TEMPLATES[name].sizes.items():
        ss[f"{NS}.{name}.{key}"] = read_int(q, key, low, high, default, messages, label)
    ss[f"{NS}.seed"] = read_int(q, "seed", 0, 10 ** 6 - 1, 0, messages, "seed")
    ss[f"{NS}.round"] = read_choice(q, "round", tuple(ROUNDING), "none", messages, "rounding")
    ss[f"{NS}.dec"] = read_int(q, "dec", 0, 6, 2, messages, "decimals")
    ss[controls.step_key(NS)] = read_step(q, messages)
    if "formula" in q:
        args = (name, tuple((k, ss[f"{NS}.{name}.{k}"]) for k in TEMPLATES[name].sizes), ss[f"{NS}.seed"],
                ss[f"{NS}.round"], None, "")
        try:
            keep_x(walk(*args)[0])
        except ByHandError as e:
            messages.append(f"The link's formula could not be shown: {e}")
            return messages
        q["formula"] = "x" if q["formula"] == "X" else q["formula"]  # the by-hand name is x
        read_formula_link(X_SPEC, checker(args))(q, messages)
    return messages


def keep_x(given) -> dict:
    """x as rows of text (its by-hand matrix), kept for the formula: the example it turns into symbols."""
    numbers = {"x": to_rows("x", given.inputs.get("x", given.inputs.get("X")))}  # X: an encoder layer alone
    ss[f"{NS}.x.numbers"], ss[f"{NS}.sizes"] = numbers["x"], {}
    if not formula_on(NS):
        ss[f"{NS}.valid"] = numbers
    return numbers


def model_used(name: str, sizes: tuple, seed: int, decimals: str, weights: bytes | None, filename: str):
    """The template's model (with the uploaded weights), that model rounded as chosen, and its x."""
    model, x = build(name, seed, **dict(sizes))
    if weights is not None:
        model = load_safetensors(model, weights, filename)
    return model, (model if decimals == "none" else rounded(model, int(decimals))), x


@st.cache_data(max_entries=32, show_spinner="Tracing the model and working it out…")
def walk(name: str, sizes: tuple, seed: int, decimals: str, weights: bytes | None, filename: str):
    """The walkthroughs of the model as given and as rounded, PyTorch's check, and the notebook's code."""
    model, used, x = model_used(name, sizes, seed, decimals, weights, filename)
    given = from_torch(model, x)
    wt = given if used is model else from_torch(used, x)
    import torch

    with torch.no_grad():
        out = used(x).numpy()
    kind = wt.params.get("output_kind", ("rows", False))[0]
    theirs = out.reshape(-1, out.shape[-1]).T if kind == "rows" else out.reshape(wt.output.shape)
    diff = float(abs(theirs - wt.output).max())
    check = Check(wt.output, theirs, diff, diff <= 1e-9 * max(1.0, float(abs(theirs).max())),
                  f"the model itself, {type(used).__name__}(…), run on the same x")
    return given, wt, check, model_code(name, used, x, **dict(sizes)), save_safetensors(used)


@st.cache_resource(max_entries=16, show_spinner="Working out the formula…")
def walk_symbols(args: tuple, key: tuple):
    """The walkthrough of the model used (rounded as chosen) on x read with symbols (``key``), each cell
    collected by x's symbols. Kept as built (cache_resource): unpickling expressions rebuilds each one."""
    _, used, x = model_used(*args)
    kind = walk(*args)[1].params.get("input_kind", ("rows", False))[0]
    X = formula.read_rows(from_key(key))["x"]
    return formula.collect_walkthrough(from_torch(used, torch_layout(X, tuple(x.shape), kind)))


def checker(args: tuple):
    """``formula_control``'s check: the model's walkthrough of x read with symbols (ByHandError if not)."""
    return lambda rows: walk_symbols(args, as_key(rows))


def settings() -> tuple[str, dict, int, str, bytes | None, str]:
    """The template and the rounding in a row; its sizes, the seed and uploaded weights in a panel."""
    c1, c2, c3 = st.columns([4, 6, 2], vertical_alignment="bottom")
    name = c1.selectbox("Template", list(TEMPLATES), key=f"{NS}.template",
                        format_func=lambda t: TEMPLATES[t].label)
    t = TEMPLATES[name]
    c2.segmented_control("Weights for working by hand", list(ROUNDING), format_func=ROUNDING.get,
                         key=f"{NS}.round", required=True,
                         help="Round every weight (and batch-norm statistic) to whole numbers or to k "
                              "decimals; the output's change is shown under the step.")
    c3.number_input("Decimals shown", 0, 6, key=f"{NS}.dec",
                    help="Decimals of the numbers drawn; fewer keep a wide step on the screen.")
    with st.expander(f"Sizes, seed and your own weights ({t.label})", icon=":material/tune:"):
        cols = st.columns(len(t.sizes) + 1)
        for col, (key, (label, default, low, high)) in zip(cols, t.sizes.items()):
            ss.setdefault(f"{NS}.{name}.{key}", default)
            col.number_input(label, low, high, key=f"{NS}.{name}.{key}")
        cols[-1].number_input("Seed (weights and x)", 0, 10 ** 6 - 1, key=f"{NS}.seed")
        st.caption(f"{t.note} Larger sizes and more decimals make wider steps: on a projector they may "
                   "scroll sideways.")
        up = st.file_uploader("Your weights for this template (.safetensors)", key=f"{NS}.upload",
                              help="safetensors.torch.save_file(model.state_dict(), 'weights.safetensors'). "
                                   "A .pt or pickle file is refused: loading a pickle runs code.")
        st.caption(f"Limits, so that a walkthrough stays workable by hand and builds at once: at most "
                   f"{MAX_PARAMETERS:,} weights, {MAX_INPUT:,} numbers in x, {MAX_CELLS:,} numbers in any "
                   f"one matrix, {MAX_STEPS} steps, a weights file of {MAX_UPLOAD // 1024:,} kB. Sizes "
                   "beyond the fields' limits are refused. Supported layers: " + "; ".join(SUPPORTED) + ".")
    sizes = {key: ss[f"{NS}.{name}.{key}"] for key in t.sizes}
    ss[f"{NS}.file"] = (up.getvalue(), up.name) if up else (None, "")  # kept for presentation mode
    return (name, sizes, ss[f"{NS}.seed"], ss[f"{NS}.round"], *ss[f"{NS}.file"])


if f"{NS}.template" not in ss:
    link_messages = read_link()
    if not present:
        for m in link_messages:
            st.warning(md_escape(m), icon=":material/link_off:")
if present:  # settings are not drawn: keep their values
    name = ss[f"{NS}.template"]
    for k in ("template", "seed", "round", "dec", *(f"{name}.{key}" for key in TEMPLATES[name].sizes)):
        if f"{NS}.{k}" in ss:
            ss[f"{NS}.{k}"] = ss[f"{NS}.{k}"]
    seed, rounding = ss[f"{NS}.seed"], ss[f"{NS}.round"]
    sizes = {key: ss.get(f"{NS}.{name}.{key}", v[1]) for key, v in TEMPLATES[name].sizes.items()}
    weights, filename = ss.get(f"{NS}.file", (None, ""))
else:
    name, sizes, seed, rounding, weights, filename = settings()

args = (name, tuple(sizes.items()), seed, rounding, weights, filename)
try:
    given, wt, check, code, safetensors_bytes = walk(*args)
    ss[f"{NS}.last"] = args
except ByHandError as e:
    if f"{NS}.last" not in ss:
        st.error(md_escape(e), icon=":material/error:")
        st.stop()
    st.error(f"{md_escape(e)}  \nThe drawing shows the last model that worked until this is fixed.",
             icon=":material/error:")
    args = ss[f"{NS}.last"]
    name, sizes, seed, rounding, weights = args[0], dict(args[1]), args[2], args[3], args[4]
    given, wt, check, code, safetensors_bytes = walk(*args)

decimals = ss.get(f"{NS}.dec", 2)
numbers = keep_x(given)
shown, refused = wt, ""
if formula_on(NS):
    values = formula_values(NS)
    try:
        if formula.to_numbers(ss[f"{NS}.valid"], values) != numbers:  # a new x (seed, sizes): its symbols
            rows, values = formula.to_symbols(numbers, ["x"])
            ss[f"{NS}.valid"] = ss[f"{NS}.base"] = rows
            ss[f"{NS}.formula.values"] = values
        shown = walk_symbols(args, as_key(ss[f"{NS}.valid"]))
    except ByHandError as e:  # this model or size is refused with symbols: the numbers, and why
        refused = str(e)
        for k in ("formula", "formula.values", "formula.shown"):
            ss.pop(f"{NS}.{k}", None)
        ss[f"{NS}.valid"] = ss[f"{NS}.base"] = numbers
shows = link_params(X_SPEC, ss[f"{NS}.valid"]).get("formula")  # x's numbers are the seed's: only formula=
url = {"t": name, **{k: str(v) for k, v in sizes.items()}, "seed": str(seed), "round": rounding,
       "dec": str(decimals), **({"formula": shows} if shows else {})}


def render(step, k: int) -> None:
    """A padded map as maps (its one row of pixels is as wide as the page), any other step by hand."""
    shape = shown.params.get("maps", {}).get(step.name)
    if step.kind == "given" and shape is not None:
        map_step(NS, step, k, len(shown.steps), shape)
    else:
        controls.step_view(NS, step, k, len(shown.steps), decimals=decimals)


share.linked_player(NS, shown, url, decimals=decimals, render=render)
if not present:
    if refused:
        st.warning(f"The formula is not shown for this model: {md_escape(refused)}",
                   icon=":material/function:")
    formula_control(X_SPEC, checker(args), note=X_FORMULA)
    symbols = formula_on(NS)
    if weights is not None:
        st.caption("The weights are yours (uploaded); a link carries the template and sizes, not the file.")
    if rounding != "none":
        a, b = given.steps[-1], wt.steps[-1]
        compare_outputs(replace(wt, output=b.result), replace(given, output=a.result),
                        with_label=f"**Output, weights rounded ({ROUNDING[rounding].lower()})**",
                        without_label="**Output, weights as they are**", without_name="Out (as they are)",
                        note=f"Largest change: {abs(b.result - a.result).max():.4g}.")
    c1, c2, c3 = st.columns(3)
    if c1.toggle("Check with PyTorch", key=f"{NS}.torch", disabled=symbols,
                 help="PyTorch works with numbers: go back to numbers first." if symbols else None) \
            and not symbols:
        st.caption(f"PyTorch runs {check.what}.")
        left, right = st.columns(2)
        left.markdown("**Ours, by hand**")
        left.table(check_table(check.ours.reshape(wt.steps[-1].result.shape), max(decimals, 4)))
        right.markdown("**PyTorch**")
        right.table(check_table(check.torch.reshape(wt.steps[-1].result.shape), max(decimals, 4)))
        (st.success if check.ok else st.error)(verdict(check))
    with c2:
        controls.print_menu(shown, NS, decimals, model_code=code)  # with symbols: no notebook
    with c3:
        st.download_button("Weights (.safetensors)", icon=":material/download:", key=f"{NS}.weights",
                           data=safetensors_bytes, file_name=f"byhand-{name}.safetensors",
                           mime="application/octet-stream", on_click="ignore",
                           help="The weights used here, to edit and upload again.")

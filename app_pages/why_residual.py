"""Why residual connections work: the Jacobian I + ∂F/∂x by hand, gradients at depth, plain vs residual."""

import math

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from byhand import ByHandError, default_residual
from byhand.blocks import block_type
from byhand.blocks.jacobian import default_unrolled, unrolled_walkthrough
from byhand.depth import BRANCHES, INITS, TASKS, Training, gradient_norms
from byhand.example import ExampleSpec, as_key, to_rows
from byhand.render import palette
from byhand.superres import residual_image, to_uint8, upsample
from byhand.ui import controls, share
from byhand.ui.editors import (
    example_controls,
    matrix_editors,
    md_escape,
    set_example,
    show_error,
    valid_or_last,
)
from byhand.ui.formula import formula_control, formula_on, link_params, read_formula_link
from byhand.ui.walkthrough_page import build, show_link_messages

NS = "why"
BLOCK = block_type("jacobian")
SPEC = ExampleSpec.of(BLOCK, NS)
CAPTIONS = {i.name: i.caption for i in BLOCK.inputs}
STACK_COLOURS = alt.Scale(domain=["plain", "residual"],  # the residual stack in the skip's colour
                          range=[palette.HIGHLIGHT, palette.COLOURS["identity"]])
DEPTH_CHOICES = (1, 2, 4, 8, 16, 32, 64)
TRAIN_DEFAULT = {"depths": (2, 8, 32), "width": 16, "steps": 300, "lr": 0.01, "optimizer": "adam",
                 "task": "spirals", "branch": "1/sqrt(depth)"}


@st.cache_data(max_entries=8, show_spinner=False)
def build_unrolled(blocks: int, residual: bool):
    """The default unrolled example with its first ``blocks`` blocks."""
    u = default_unrolled()
    return unrolled_walkthrough(u["x0"], u["blocks"][:blocks], residual=residual)


@st.cache_resource(show_spinner=False)
def finished_sweeps() -> dict:
    """Finished gradient sweeps by their settings, shared by every session; at most ``KEEP_RUNS``."""
    return {}


def norms(width, depth, init, branch, draws, gain, bar=None):
    """Gradient norms per block (kept per setting): computed with ``bar`` showing the progress, where a
    click on Stop (or anything else) ends the script run."""
    done = finished_sweeps()
    key = (width, depth, init, branch, draws, gain)
    if key not in done:
        show = None if bar is None else (lambda f: bar.progress(f, text="Sending gradients through the "
                                                                     f"stacks… {f:.0%}"))
        done[key] = gradient_norms(width=width, depth=depth, init=init, branch=branch, draws=draws, gain=gain,
                                   progress=show)
        while len(done) > KEEP_RUNS:
            done.pop(next(iter(done)))
    return done[key]


def stop_sweep() -> None:
    """The sweep's Stop button: the setting it was computing is not started again by itself."""
    st.session_state[f"{NS}.g.stopped"] = st.session_state.get(f"{NS}.g.running")


@st.cache_resource(show_spinner=False)
def finished_runs() -> dict:
    """Finished training runs by their settings, shared by every session (the default one is trained
    once per server); at most ``KEEP_RUNS``, the oldest dropped first."""
    return {}


KEEP_RUNS = 32


def run_key(chosen: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in chosen.items()))


@st.cache_data(max_entries=16, show_spinner=False)
def sr_images(factor: int, method: str):
    return residual_image(96, factor, method)


def from_residual_page(sample: int) -> None:
    """Start the editors from the residual page's current block (its last valid example, or its
    default) at one sample (a column of its X), with the upstream gradient δ = all ones."""
    ss = st.session_state
    res = ss.get("residual.valid") or {k: to_rows(k, v) for k, v in default_residual().items()}
    X = res["X"]
    j = min(sample, len(X[0])) - 1
    d, h = len(X), len(res["W1"])
    rows = {"x": [[row[j]] for row in X], "W1": res["W1"], "b1": res["b1"], "W2": res["W2"], "b2": res["b2"],
            "delta": [["1"] * d]}
    set_example(SPEC, None, {"features": d, "hidden": h}, base=rows)
    ss[controls.step_key(NS)] = 1


def power(v: float | None) -> str:
    """10^v as text: ``10^−3,012`` for huge exponents, a plain number when it is moderate."""
    if v is None or not math.isfinite(v):
        return "0 (every unit off)"
    if -3 <= v <= 4:
        return f"{10 ** v:.3g}"
    return f"10^{round(v):,}".replace("-", "−")


# ------------------------------------------------------------------ the page

def stop_training() -> None:
    """The Stop button's callback: the run stops where it is (it ran in the script run this click ends)."""
    st.session_state[f"{NS}.t.stopped"] = True


def take_training_settings() -> None:
    """The Train button's callback: keep the form's settings (a callback survives any rerun); a stopped
    run with the same settings goes on from where it stopped."""
    ss = st.session_state
    ss[f"{NS}.t.stopped"] = False
    ss[f"{NS}.t.settings"] = {"depths": tuple(ss[f"{NS}.t.depths"]), "width": ss[f"{NS}.t.width"],
                              "steps": ss[f"{NS}.t.steps"], "lr": ss[f"{NS}.t.lr"],
                              "optimizer": ss[f"{NS}.t.opt"], "task": ss[f"{NS}.t.task"],
                              "branch": ss[f"{NS}.t.branch"]}


present = controls.presenting()  # presentation mode: the Jacobian's steps, no settings
if not present:
    st.title("Why residual connections work")
    st.markdown(
        "Backpropagation multiplies the gradient by **one Jacobian per layer**. A product of many "
        "matrices shrinks to nothing or blows up unless each factor stays close to the identity. A residual "
        "block `y = x + F(x)` has Jacobian **`I + ∂F/∂x`**: when `∂F/∂x` is small it *is* close to `I`, so "
        "the error signal gets through, and the input reaches the output directly.")

tab_hand, tab_unrolled, tab_image, tab_depth, tab_train = st.tabs(
    ["The Jacobian by hand", "Unrolled", "Residual image", "Gradients at depth",
     "Plain vs residual training"])

# ------------------------------------------------------------------ 1. the Jacobian by hand
with tab_hand:
    link_messages = share.restore_once(SPEC, read_formula_link(SPEC, lambda r: build(
        BLOCK.name, as_key(r), st.session_state.get(f"{NS}.skip", True), True)))
    if present:
        stage, size_error, edited = st.container(), None, st.session_state[f"{NS}.valid"]
        if f"{NS}.sample" in st.session_state:  # not drawn: keep it as chosen
            st.session_state[f"{NS}.sample"] = st.session_state[f"{NS}.sample"]
    else:
        show_link_messages(link_messages)
        st.markdown(
            "The residual walkthrough's block before its final ReLU, for **one sample** x: "
            "`F(x) = W2·ReLU(W1·x + b1) + b2`. The chain rule gives `∂F/∂x = W2·diag(ReLU′(W1·x + b1))·W1`, "
            "and the skip adds `I`. Then the backprop rule `δ⁽ˡ⁾ = δ⁽ˡ⁺¹⁾·(I + ∂F/∂x)` for an upstream "
            "gradient δ, beside the plain block's `δ·∂F/∂x`. The default is the residual page's block at "
            "its second sample.")
        stage = st.container()
        with st.expander("Edit the example: x, W1, b1, W2, b2, δ and the sizes", icon=":material/edit:"):
            c1, c2, _ = st.columns([1, 2, 2], vertical_alignment="bottom")
            sample = c1.selectbox("Sample (column of X)", range(1, 9), key=f"{NS}.sample")
            c2.button("Use the residual page's block", icon=":material/add_circle:",
                      key=f"{NS}.from_residual", on_click=from_residual_page, args=(sample,),
                      help="Its W1, b1, W2, b2 and one column of its X (as edited there), with δ = all ones.")
            size_error = example_controls(SPEC)
            edited = matrix_editors(SPEC, captions=CAPTIONS)
    skip = st.session_state.get(f"{NS}.skip", True)
    symbols = formula_on(NS)
    rows, error = valid_or_last(SPEC, edited, lambda r: build(BLOCK.name, as_key(r), skip, symbols))
    error = size_error or error
    key = as_key(rows)
    wt = build(BLOCK.name, key, skip, symbols)
    url = link_params(SPEC, rows)
    with stage:
        show_error(error)
        st.toggle("With the skip connection (I + ∂F/∂x)", value=True, key=f"{NS}.skip",
                  help="Off: the plain block, whose Jacobian is ∂F/∂x alone.")

        share.linked_player(NS, wt, url)
        if not present:
            formula_control(SPEC, lambda r: build(BLOCK.name, as_key(r), skip, True))
        if wt.params["kinks"]:
            st.info(f"A pre-activation is exactly 0 (row {', '.join(map(str, wt.params['kinks']))} of z): "
                    "ReLU has no slope there; this page, like PyTorch, takes ReLU′(0) = 0.",
                    icon=":material/info:")

# ------------------------------------------------------------------ 2. unrolled
with tab_unrolled:
    st.markdown(
        "Stack residual blocks and write out what they add: `x_L = x_0 + F_1(x_0) + F_2(x_1) + … + "
        "F_L(x_{L−1})`. Every block adds its F to a running sum that starts at the input, so `x_0` reaches "
        "the output through identities alone, and `∂x_L/∂x_0 = I + (terms from the F's)`: there is always "
        "an `I` for the gradient to flow through.")
    c1, c2 = st.columns(2)
    n_blocks = c1.segmented_control("Blocks", [1, 2, 3], default=3, key=f"{NS}.unrolled.blocks")
    unrolled_skip = c2.toggle("With skip connections", value=True, key=f"{NS}.unrolled.skip")
    uw = build_unrolled(n_blocks or 3, unrolled_skip)
    controls.step_player(f"{NS}.unrolled", uw, lambda step, k: controls.step_view(
        f"{NS}.unrolled", step, k, len(uw.steps)), shortcuts=False)

# ------------------------------------------------------------------ 3. the residual image
with tab_image:
    st.markdown(
        "Residual learning with an image: shrink a picture, blow it up again, and the result is already "
        "close to the original. A super-resolution network with a skip connection only has to learn the "
        "**difference**, the residual image: small values, largest at the edges and the fine detail.")
    c1, c2 = st.columns(2)
    factor = c1.segmented_control("Shrink by", [2, 4, 8], default=4, key=f"{NS}.sr.factor",
                                  format_func=lambda f: f"{f}×")
    method = c2.segmented_control("Blow up with", ["bilinear", "nearest"], default="bilinear",
                                  key=f"{NS}.sr.method")
    sr = sr_images(factor or 4, method or "bilinear")
    zoom = 3

    def big(img):
        return np.repeat(np.repeat(to_uint8(img), zoom, axis=0), zoom, axis=1)

    cols = st.columns(4)
    f = sr["factor"]
    cols[0].image(big(sr["high"]), caption="High resolution: the target (96×96)")
    cols[1].image(big(upsample(sr["low"], f, "nearest")), caption=f"Low resolution: {96 // f}×{96 // f}")
    cols[2].image(big(sr["upsampled"]), caption=f"Blown up again ({sr['method']}): the skip connection")
    cols[3].image(big(sr["residual_view"]),
                  caption="Residual = high − blown up: what the network learns (grey is 0)")
    s = sr["stats"]
    barely = ("most of its pixels barely change" if s["small"] >= 0.5
              else "yet most of its pixels do change a little")
    st.caption(f"The residual holds {s['energy']:.1%} of the image's energy (sum of squares), {barely}: "
               f"{s['small']:.0%} change by less than 0.05 (of 1). Output = blown-up input + residual: the "
               "network's skip connection carries the blown-up image, its layers add the detail.")

# ------------------------------------------------------------------ 4. gradients at depth
with tab_depth:
    st.markdown(
        "The gradient's size at every block of a **plain** stack `x ← ReLU(W2·ReLU(W1·x))` and a "
        "**residual** stack `x ← x + α·W2·ReLU(W1·x)` with the *same* random weights, starting from a "
        "gradient of size 1 at the top. Computed in log space (renormalised after every block), so depth "
        "10,000 does not overflow. Lines: the mean over the draws of log10 ‖∂L/∂x‖; bands: the lowest to "
        "the highest draw.")
    c = st.columns(3, vertical_alignment="bottom")
    width = c[0].number_input("Width", value=32, step=1, key=f"{NS}.g.width", help="From 1 to 256")
    depth = c[1].number_input("Depth (blocks)", value=1000, step=100, key=f"{NS}.g.depth",
                              help="From 1 to 10,000")
    draws = c[2].slider("Random draws", 1, 20, 5, key=f"{NS}.g.draws")
    c = st.columns(3, vertical_alignment="bottom")
    init = c[0].selectbox("Initialisation", list(INITS), format_func=INITS.get, key=f"{NS}.g.init")
    gain = c[1].number_input("Gain (for gain/√fan_in)", value=1.0, step=0.1, key=f"{NS}.g.gain",
                             disabled=init != "gain", help="A number above 0, at most 1000")
    branch = c[2].selectbox("Residual branch scale α", list(BRANCHES), index=1, format_func=BRANCHES.get,
                            key=f"{NS}.g.branch")
    settings = (width, depth, init, branch, draws, gain if init == "gain" else 1.0)
    g_error, ss = None, st.session_state
    last = ss.get(f"{NS}.g.valid", (32, 1000, "he", "1/sqrt(depth)", 5, 1.0))
    if ss.get(f"{NS}.g.stopped") == settings and settings != last:
        c_info, c_go = st.columns([5, 1], vertical_alignment="center")
        c_info.info("Stopped: the chart shows the last setting sent through. Change a setting, or go on.",
                    icon=":material/stop_circle:")
        c_go.button("Go on", key=f"{NS}.g.go", icon=":material/play_arrow:",
                    on_click=lambda: ss.pop(f"{NS}.g.stopped", None))
        g = norms(*last)
    else:
        try:
            c_bar, c_stop = (c.empty() for c in st.columns([5, 1], vertical_alignment="center"))
            ss[f"{NS}.g.running"] = settings
            if settings not in finished_sweeps():
                c_stop.button("Stop", key=f"{NS}.g.stop", icon=":material/stop:", on_click=stop_sweep)
            g = norms(*settings, bar=c_bar.progress(0.0, text="Sending gradients through the stacks…"))
            c_bar.empty()  # placeholders: the bar and the button go once the sweep is done
            c_stop.empty()
            ss[f"{NS}.g.valid"] = settings
        except ByHandError as e:
            c_bar.empty()
            c_stop.empty()
            g_error = e
            g = norms(*last)
    if g_error is not None:
        st.error(f"{md_escape(g_error)}  \nThe chart shows the last valid setting until this is fixed.",
                 icon=":material/error:")
    kind = st.segmented_control("Show", ["gradients", "activations"], default="gradients", key=f"{NS}.g.kind",
                                help="Activations: ‖x_l‖ at every block, with ‖x_0‖ = 1.") or "gradients"
    data = pd.DataFrame(g.chart_rows(points=500, kind="grad" if kind == "gradients" else "act"))
    band = alt.Chart(data).mark_area(opacity=0.2).encode(
        x=alt.X("layer:Q", title="block (0 = the input, right = the top)"),
        y=alt.Y("low:Q", title=("gradient norm ‖∂L/∂x‖" if kind == "gradients" else "activation norm ‖x‖")
                + " (log scale)",
                axis=alt.Axis(labelExpr="'1e' + format(datum.value, 'd')")),
        y2="high:Q", color=alt.Color("stack:N", scale=STACK_COLOURS, title="stack"))
    line = alt.Chart(data).mark_line(strokeWidth=2.5).encode(
        x="layer:Q", y="mean:Q", color=alt.Color("stack:N", scale=STACK_COLOURS),
        tooltip=["stack", "layer", alt.Tooltip("mean:Q", format=".2f", title="mean log10 norm"),
                 alt.Tooltip("low:Q", format=".2f"), alt.Tooltip("high:Q", format=".2f"),
                 alt.Tooltip("dead:Q", format=".0%", title="draws with every unit off")])
    st.altair_chart((band + line).properties(height=380), width="stretch")
    plain, res = g.summary("plain"), g.summary("residual")
    m1, m2, m3 = st.columns(3)
    m1.metric("Input gradient, plain (mean draw)", power(plain["mean"][0] if plain["dead"][0] < 1 else None))
    m2.metric("Input gradient, residual (mean draw)", power(res["mean"][0]))
    m3.metric("Residual activations at the top", power(g.summary("residual", "act")["mean"][-1]),
              help="‖x_top‖ with ‖x_0‖ = 1: an unscaled residual stack's activations grow with depth.")
    dead = plain["dead"][0]
    if dead > 0:
        st.warning(f"In {dead:.0%} of the draws the plain stack **died**: at some block every ReLU was "
                   "off, so its output and every gradient below are exactly 0 (the line is drawn over the "
                   "live draws only). Narrow plain stacks die: each unit is off half the time.",
                   icon=":material/warning:")
    st.markdown(
        "**Reading it.** With He initialisation a plain stack keeps the gradient's *mean square* (the "
        "variance-preserving idea), but the typical draw still drifts down and the band widens with depth: "
        "each factor is random, and the spread of a product of random factors grows like √depth. With "
        "α = 1 the residual stack explodes instead: each block multiplies the mean square by about "
        "1 + 2 = 3. With α = 1/√depth each Jacobian is I plus a small term and the gradient stays within a "
        "constant factor however deep the stack; a zero-initialised last layer (as ResNets do with their "
        "last batch norm) makes every Jacobian exactly I at the start.")

# ------------------------------------------------------------------ 5. training
with tab_train:
    st.markdown(
        "Plain and residual networks of several depths trained on the same toy task (2-D points, two "
        "classes) with the same data, initial weights, optimizer and learning rate: only the skip connection "
        "differs. A forward and a backward pass in NumPy, full batch. Deeper *plain* networks train worse: "
        "that is the degradation problem residual connections solved.")
    ss = st.session_state
    ss.setdefault(f"{NS}.t.settings", dict(TRAIN_DEFAULT))
    with st.form(f"{NS}.t.form"):
        c = st.columns([2, 1, 1, 1])
        c[0].multiselect("Depths (blocks of 2 layers)", DEPTH_CHOICES,
                                  default=list(TRAIN_DEFAULT["depths"]), key=f"{NS}.t.depths")
        c[1].selectbox("Width", [4, 8, 16, 32], index=2, key=f"{NS}.t.width")
        c[2].number_input("Steps", value=300, step=50, key=f"{NS}.t.steps", help="From 1 to 5,000")
        c[3].number_input("Learning rate", value=0.01, step=0.001, format="%.4f", key=f"{NS}.t.lr")
        c = st.columns(4, vertical_alignment="bottom")
        c[0].selectbox("Optimizer", ["adam", "sgd"], key=f"{NS}.t.opt",
                                   format_func={"adam": "Adam", "sgd": "SGD"}.get)
        c[1].selectbox("Task", list(TASKS), format_func=TASKS.get, key=f"{NS}.t.task")
        c[2].selectbox("Residual branch scale", list(BRANCHES), index=1, format_func=BRANCHES.get,
                                  key=f"{NS}.t.branch")
        c[3].form_submit_button("Train", type="primary", icon=":material/model_training:",
                                on_click=take_training_settings)
    chosen = ss[f"{NS}.t.settings"]
    t_error, run = None, None
    key = run_key(chosen)
    done = finished_runs()
    if not chosen["depths"]:
        t_error, job = ByHandError("Choose at least one depth to train.", "depths"), None
    elif key in done:
        run = done[key]
    else:
        kept = ss.get(f"{NS}.t.job")
        job = kept[1] if kept is not None and kept[0] == key else None
        try:
            if job is None:
                job = Training(depths=chosen["depths"], width=chosen["width"], steps=chosen["steps"],
                               lr=chosen["lr"], optimizer=chosen["optimizer"], task=chosen["task"],
                               branch=chosen["branch"])
                ss[f"{NS}.t.job"] = (key, job)
        except ByHandError as e:
            t_error = e
        if job is not None and not ss.get(f"{NS}.t.stopped"):
            # In chunks of about 0.2 s: between them the bar moves, and a click on Stop (or on anything
            # else) ends this script run at the next bar update; the job, kept in the session, goes on
            # from there on the next run unless Stop was pressed.
            c_bar, c_stop = (c.empty() for c in st.columns([5, 1], vertical_alignment="center"))
            c_stop.button("Stop", key=f"{NS}.t.stop", icon=":material/stop:", on_click=stop_training)
            bar = c_bar.progress(job.fraction, text=f"Training: {job.where}…")
            while not job.done:
                job.advance()
                bar.progress(job.fraction, text=f"Training: {job.where}…")
            c_bar.empty()
            c_stop.empty()
            run = job.result()
            done[key] = run
            while len(done) > KEEP_RUNS:
                done.pop(next(iter(done)))
            ss.pop(f"{NS}.t.job", None)
        elif job is not None:
            run = job.result()
            st.info(f"Stopped at {job.where} ({job.fraction:.0%} of the run). "
                    + ("The depths trained so far are shown. " if run.depths else "")
                    + "Press Train to go on.", icon=":material/stop_circle:")
    if t_error is not None:
        st.error(f"{md_escape(t_error)}  \nChange the setting and press Train again.",
                 icon=":material/error:")
    runs = [run] if run is not None and run.depths else []
    if runs:
        every = max(1, chosen["steps"] // 200)
        losses = pd.DataFrame([r for run in runs for r in run.chart_rows(every=every)])
        losses["loss"] = losses["loss"].clip(lower=1e-5)
        low, high = float(losses["loss"].min()), float(losses["loss"].max())
        cols = st.columns(2)
        for col, stack in zip(cols, ("plain", "residual")):
            chart = alt.Chart(losses[losses["stack"] == stack]).mark_line(strokeWidth=2).encode(
                x=alt.X("step:Q", title="training step"),
                y=alt.Y("loss:Q", title="training loss (log scale)",
                        scale=alt.Scale(type="log", domain=[low, max(high, 1.0)])),
                color=alt.Color("depth:O", title="depth (blocks)", scale=alt.Scale(scheme="viridis"),
                                legend=alt.Legend(orient="right")),
                tooltip=["stack", "depth", "step", alt.Tooltip("loss:Q", format=".4f")],
            ).properties(height=320)
            col.markdown("**Plain**" if stack == "plain" else "**Residual**")
            col.altair_chart(chart, width="stretch")
        table = pd.DataFrame([{"depth": d, "plain: final loss": run.plain[d][-1],
                               "residual: final loss": run.residual[d][-1],
                               "plain: accuracy": run.accuracy[("plain", d)],
                               "residual: accuracy": run.accuracy[("residual", d)]}
                              for run in runs for d in run.depths])
        st.dataframe(table, hide_index=True, column_config={
            "plain: accuracy": st.column_config.NumberColumn(format="percent"),
            "residual: accuracy": st.column_config.NumberColumn(format="percent"),
            "plain: final loss": st.column_config.NumberColumn(format="%.4f"),
            "residual: final loss": st.column_config.NumberColumn(format="%.4f")})
        st.caption("ln 2 ≈ 0.693 is the loss of guessing 50/50. A deep plain net that stays there has a dead "
                   "or vanished signal: its gradients cannot move it. Losses below 1e−5 are drawn at 1e−5.")

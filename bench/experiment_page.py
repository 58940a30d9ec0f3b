"""Scratch copy of the residual page for bench/experiments.py: parts left out to see what a step costs.

``BYHAND_EXPERIMENT`` (comma-separated) leaves out: ``chart`` (the drawing), ``picks`` (the row and
column selectboxes and the dot-product line under it), ``text`` (the "Text / LaTeX view" expander),
``editors`` (the "Edit the example" expander), ``controls`` (the compare / PyTorch / GIF row), or
sets ``nospec`` (the drawing as the smallest spec: one rect layer, no text). Not part of the app.
"""

import os

import streamlit as st

from byhand.blocks import block_type
from byhand.example import ExampleSpec, as_key
from byhand.render.vega import ByHandChart
from byhand.ui import controls, share
from byhand.ui.controls import _cell_words, _on_choose, _on_pick, _pickable, fitted_chart, picked_cell
from byhand.ui.editors import example_controls, matrix_editors, valid_or_last
from byhand.ui.walkthrough_page import build

OFF = set(filter(None, os.environ.get("BYHAND_EXPERIMENT", "").split(",")))
ss = st.session_state
st.html("<style>[data-testid='stMainBlockContainer'] {padding-top: 2.5rem;}</style>")


def step_view(ns, step, k, n_steps):
    """controls.step_view with the parts in OFF left out."""
    st.subheader(f"Step {k + 1} of {n_steps}: {step.title}", anchor=False)
    st.markdown(step.caption)
    pickable = _pickable(step)
    cell = picked_cell(ns, k, step)
    if "chart" not in OFF:
        chart = fitted_chart(step, selected=cell)
        if "nospec" in OFF:
            spec = chart.to_dict()
            inner = spec["hconcat"][0]
            first = inner["layer"][0]["layer"][0]
            inner["layer"] = [{"data": inner["layer"][0]["data"], **first}]
            spec.pop("params", None)
            chart = ByHandChart({**spec, "hconcat": [{**inner, "layer": [{**inner["layer"][0],
                                                                           "data": {"name": "d"}}]}]},
                                {"d": inner["layer"][0]["data"]["values"]}, chart.geometry)
            st.altair_chart(chart, width="content")
        elif pickable:
            st.altair_chart(chart, on_select=lambda: _on_pick(ns, k), selection_mode="cell",
                            key=f"{ns}.pick.{k}", width="content")
        else:
            st.altair_chart(chart, width="content")
    if pickable and "picks" not in OFF:
        m, n = step.product.shape
        for key in (f"{ns}.row.{k}", f"{ns}.col.{k}"):
            ss.setdefault(key, "—")
        c_text, c_row, c_col = st.columns([6, 1, 1], vertical_alignment="bottom")
        c_row.selectbox("Row", ["—", *range(1, m + 1)], key=f"{ns}.row.{k}", on_change=_on_choose,
                        args=(ns, k))
        c_col.selectbox("Column", ["—", *range(1, n + 1)], key=f"{ns}.col.{k}", on_change=_on_choose,
                        args=(ns, k))
        with c_text:
            if cell is None:
                st.caption("Click a cell of the product to see how it is made.")
            else:
                st.code(_cell_words(step, *cell, 3), language=None, wrap_lines=True)
    if "text" not in OFF:
        with st.expander("Text / LaTeX view of this step"):
            view = st.segmented_control("View", ["Text", "LaTeX"], key=f"{ns}.view", default="Text",
                                        required=True, label_visibility="collapsed")
            from byhand.render.latex import step_latex
            from byhand.render.text import step_text
            if view == "LaTeX":
                st.latex(step_latex(step, 3))
            else:
                st.code(step_text(step, 3), language=None)


@st.fragment
def walkthrough(bt, spec: ExampleSpec) -> None:
    ns = spec.ns
    stage = st.container()
    if "editors" in OFF:
        edited = ss.get(f"{ns}.valid") or ss[f"{ns}.base"]
    else:
        with st.expander(f"Edit the example: {', '.join(spec.names)} and the sizes", icon=":material/edit:"):
            example_controls(spec)
            edited = matrix_editors(spec)
    rows, _ = valid_or_last(spec, edited, lambda r: build(bt.name, as_key(r)))
    wt = build(bt.name, as_key(rows))
    with stage:
        share.linked_player(ns, wt, {}, render=lambda step, k: step_view(ns, step, k, len(wt.steps)))
        if "controls" not in OFF:
            c1, c2, c3 = st.columns(3)
            c1.toggle("Compare: skip connection on / off", key=f"{ns}.compare")
            c2.toggle("Check with PyTorch", key=f"{ns}.torch")
            with c3:
                controls.gif_button(wt, ns)


bt = block_type("residual")
spec = ExampleSpec.of(bt)
st.title("Residual block, by hand")
share.restore_once(spec)
walkthrough(bt, spec)

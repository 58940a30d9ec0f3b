"""Residual block walkthrough: ReLU([I | W2 | b2]·[X; H; 1]) with H = ReLU([W1 | b1]·[X; 1])."""

import streamlit as st

from byhand import default_residual, random_residual, residual_block
from byhand.ui import controls, share
from byhand.ui.compare import compare_outputs
from byhand.ui.editors import (
    ExampleSpec,
    Size,
    example_controls,
    matrix_editors,
    md_escape,
    show_error,
    valid_or_last,
)
from byhand.ui.torch_panel import torch_panel

NS = "residual"
SPEC = ExampleSpec(
    NS, ("X", "W1", "b1", "W2", "b2"),
    (Size("samples", "Samples (columns of X)", "n", 3), Size("features", "Features (rows of X)", "d", 3),
     Size("hidden", "Hidden size (rows of H)", "h", 3)),
    default_residual, random_residual)
CAPTIONS = {"X": "samples as columns", "W1": "first layer", "b1": "its bias", "W2": "second layer",
            "b2": "its bias"}


@st.cache_data(max_entries=64, show_spinner=False)
def build(key: tuple, residual: bool = True):
    """The walkthrough of the example ``key`` (name → rows of text, as a tuple), cached."""
    return residual_block(**{name: [list(r) for r in rows] for name, rows in key}, residual=residual)


def as_key(rows: dict) -> tuple:
    return tuple((name, tuple(tuple(r) for r in m)) for name, m in rows.items())


def compare_view(key: tuple, wt) -> None:
    """Both outputs side by side, the cells that differ highlighted and marked with the difference."""
    compare_outputs(wt, build(key, residual=False), with_label="**With the skip connection**: ReLU(X + F(X))",
                    without_label="**Without it**: ReLU(F(X))", without_name="Out (no skip)",
                    note="Without the identity, X itself never reaches the output.")


share.use_app_navigation()
st.title("Residual block, by hand")
st.caption("A skip connection is an **identity matrix stacked beside the weights**: one multiply "
           "`[I | W2 | b2]·[X; H; 1]` gives `X + F(X)`.")

for message in share.restore_once(SPEC):
    st.warning(md_escape(message), icon=":material/link_off:")
@st.fragment
def walkthrough() -> None:
    """Editors and the step: an edit reruns only this part of the page."""
    stage = st.container()
    with st.expander("Edit the example: X, W1, b1, W2, b2 and the sizes", icon=":material/edit:"):
        near_editors = st.container()  # the message also shows where the bad cell was typed
        size_error = example_controls(SPEC)
        edited = matrix_editors(SPEC, captions=CAPTIONS)
    rows, error = valid_or_last(SPEC, edited, lambda r: build(as_key(r)))
    error = size_error or error
    key = as_key(rows)
    wt = build(key)
    url = share.example_params(SPEC, st.session_state[f"{NS}.sizes"], st.session_state[f"{NS}.seed"], rows)

    if error is not None:
        with near_editors:
            show_error(error)
    with stage:
        if error is not None:
            show_error(error)

        share.linked_player(NS, wt, url)
        c1, c2, c3 = st.columns(3)
        compare = c1.toggle("Compare: skip connection on / off", key=f"{NS}.compare")
        check = c2.toggle("Check with PyTorch", key=f"{NS}.torch")
        with c3:
            controls.gif_button(wt, NS)
        if compare:
            compare_view(key, wt)
        if check:
            torch_panel(wt, repr(key))


walkthrough()

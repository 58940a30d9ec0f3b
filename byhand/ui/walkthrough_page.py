"""The standard walkthrough page of a registered block: everything a page needs, read from its BlockType.

Title and intro, the link's example restored, the step player (the step kept in the link), the
editors of every input and the sizes, compare with the skip connections off (when the block has
that option), the PyTorch check (when it has a reference) and a GIF for slides. A block whose
``Page.file`` is None gets exactly this page; a page file adds its own views around the same parts.
"""

from __future__ import annotations

import streamlit as st

from .. import example
from ..blocks import BlockType, block_type
from ..example import ExampleSpec, as_key, from_key
from ..formula import collect_walkthrough, read_rows
from ..walkthrough import Walkthrough
from . import controls, share
from .compare import compare_outputs
from .editors import (
    example_controls,
    matrix_editors,
    md_escape,
    show_error,
    valid_or_last,
)
from .formula import formula_control, formula_on, link_params, read_formula_link
from .torch_panel import torch_panel

__all__ = ["build", "walkthrough_page", "show_link_messages"]


@st.cache_data(max_entries=128, show_spinner=False)
def build(block: str, key: tuple, residual: bool = True, symbols: bool = False) -> Walkthrough:
    """The walkthrough of block ``block`` on the example ``key`` (see ``byhand.example.as_key``), cached.

    ``symbols``: cells may hold expressions (``byhand.formula.read_rows``), and the symbolic cells are
    shown collected by the input's symbols (the page shows the formula)."""
    bt = block_type(block)
    options = {} if residual else {"residual": False}
    if not symbols:
        return bt.build(**from_key(key), **options)
    return collect_walkthrough(bt.build(**read_rows(from_key(key)), **options))


def show_link_messages(messages: list[str]) -> None:
    """What a link held that could not be used, each as a warning (never as markdown)."""
    for message in messages:
        st.warning(md_escape(message), icon=":material/link_off:")


def compare_view(bt: BlockType, key: tuple, wt: Walkthrough, symbols: bool = False) -> None:
    """The output with and without the skip connections, side by side, differences marked."""
    compare_outputs(wt, build(bt.name, key, residual=False, symbols=symbols),
                    with_label="**With the skip connections**", without_label="**Without them**",
                    without_name="Out (no skip)",
                    note="Without the identities, the input reaches the output only through the layers.")


def walkthrough_page(name: str) -> None:
    """The whole page of block ``name``: an edit reruns only the editors and the step (a fragment).

    In presentation mode only the step player and the drawing show (see ``controls.presenting``).
    """
    bt = block_type(name)
    spec = ExampleSpec.of(bt)
    shown = read_formula_link(spec, lambda r: build(name, as_key(r), symbols=True))  # the link's formula=
    messages = share.restore_once(spec, shown)
    if not controls.presenting():
        st.title(f"{bt.page.title if bt.page else bt.label}, by hand")
        if bt.page and bt.page.intro:
            st.caption(bt.page.intro)
        show_link_messages(messages)
    _walkthrough(bt, spec)


@st.fragment
def _walkthrough(bt: BlockType, spec: ExampleSpec) -> None:
    ns, ss = spec.ns, st.session_state
    present = controls.presenting()
    symbols = formula_on(ns)
    stage = st.container()
    if present:  # the editors are not drawn: the last valid example stays
        rows, error = ss[f"{ns}.valid"], None
    else:
        with st.expander(f"Edit the example: {', '.join(spec.names)} and the sizes", icon=":material/edit:"):
            near_editors = st.container()  # the message also shows where the bad cell was typed
            size_error = example_controls(spec)
            edited = matrix_editors(spec, captions={i.name: i.caption for i in bt.inputs})
        rows, error = valid_or_last(spec, edited, lambda r: build(bt.name, as_key(r), symbols=symbols))
        error = size_error or error
    key = as_key(rows)
    wt = build(bt.name, key, symbols=symbols)
    url = link_params(spec, rows)

    with stage:
        if error is not None:
            show_error(error, near_editors)
        share.linked_player(ns, wt, url)
        if present:
            return
        formula_control(spec, lambda r: build(bt.name, as_key(r), symbols=True))
        cols = iter(st.columns(3))  # only the controls this block has, from the left
        compare = bt.skip_option and next(cols).toggle("Compare: skip connection on / off",
                                                       key=f"{ns}.compare")
        check = bt.reference is not None and next(cols).toggle(
            "Check with PyTorch", key=f"{ns}.torch", disabled=symbols,
            help="PyTorch works with numbers: go back to numbers first." if symbols else None)
        with next(cols):
            controls.print_menu(wt, ns, example=example.example_json(bt.name, rows))
        if compare:
            compare_view(bt, key, wt, symbols)
        if check and not symbols:
            torch_panel(wt, repr((bt.name, key)))

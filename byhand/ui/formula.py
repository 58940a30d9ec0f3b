"""Show the formula: one click turns a chosen matrix (or all of them) into symbols, one click back.

The example's cells become their symbols in the matrix's own letter (``byhand.formula.to_symbols``),
typed into the editors like any edit, and the numbers they had are kept to be shown beside each
expression and put back by "Back to numbers". Session-state keys, namespaced by the page's ``ns``:

- ``{ns}.formula``: True while the formula is on (the editors then read symbols, ``2*w11 + b1``);
- ``{ns}.formula.values``: name → the number the symbol stood for;
- ``{ns}.formula.which``: the matrix to turn into symbols (``ALL``: every one);
- ``{ns}.formula.shown``: the matrices shown as symbols (None: all), kept in the link as ``formula=``;
- ``{ns}.formula.message``: why the last click could not be done (shown once).

A link made while the formula is shown holds the numbers and ``formula=W2`` (or ``all``): the page's
first run reads it (``read_formula_link``, a ``share.restore_once`` hook) and shows the same symbols.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from .. import example, formula
from ..example import ExampleSpec
from ..numbers import ByHandError, as_matrix
from .editors import set_example
from .plain import md_escape

__all__ = ["ALL", "formula_on", "formula_values", "formula_control", "link_rows", "link_params",
           "read_formula_link"]

ALL = "All matrices"


def formula_on(ns: str) -> bool:
    """Whether the page shows the formula (its example is read with symbols)."""
    return bool(st.session_state.get(f"{ns}.formula", False))


def formula_values(ns: str) -> dict:
    """The numbers the symbols stood for (empty when the formula is off)."""
    return st.session_state.get(f"{ns}.formula.values", {}) if formula_on(ns) else {}


def link_rows(ns: str, rows: dict) -> dict:
    """The example a link carries: its numbers, the symbols shown put back (a link holds numbers)."""
    values = formula_values(ns)
    return formula.to_numbers(rows, values) if values else rows


def link_params(spec: ExampleSpec, rows: dict) -> dict:
    """The link's keys of the example shown (``byhand.example.example_params``): its numbers (``link_rows``)
    and, while the formula is shown, ``formula``: the matrices shown as symbols, or ``all``."""
    ss, ns = st.session_state, spec.ns
    params = example.example_params(spec, ss[f"{ns}.sizes"], ss[f"{ns}.seed"], link_rows(ns, rows))
    if formula_on(ns):
        params["formula"] = formula.link_text(ss.get(f"{ns}.formula.shown"))
    return params


def read_formula_link(spec: ExampleSpec, check: Callable[[dict], object]) -> Callable[[dict, list], None]:
    """A ``share.restore_once`` hook: the link's ``formula=`` shows its matrices as symbols, as the click
    would (``check`` as for ``formula_control``). A value that is not ``all`` or matrices of ``spec``, or
    that the block refuses, adds a message to the link's; the numbers stay."""
    def read(params: dict, messages: list) -> None:
        if "formula" not in params:
            return
        try:
            which = formula.read_link_text(params["formula"], spec.names)
        except ByHandError as e:
            messages.append(str(e))
            return
        refused = _show(spec, which, check)
        if refused:
            messages.append(f"The link's formula could not be shown: {refused}")
        else:
            one = which is not None and len(which) == 1
            st.session_state[f"{spec.ns}.formula.which"] = which[0] if one else ALL
    return read


def _restart(spec: ExampleSpec, rows: dict) -> None:
    """The editors start again from ``rows`` (the seed and the sizes stay)."""
    ss = st.session_state
    set_example(spec, ss.get(f"{spec.ns}.seed"), ss[f"{spec.ns}.sizes"], base=rows)


def _show(spec: ExampleSpec, which: list[str] | None, check: Callable[[dict], object]) -> str:
    """The matrices ``which`` (None: all) of the example shown as symbols; why not, or "" when done."""
    ss, ns = st.session_state, spec.ns
    try:
        rows, values, note = formula.to_symbols_checked(ss[f"{ns}.valid"], which, check)
    except ByHandError as e:
        return str(e)
    if note:
        ss[f"{ns}.formula.message"] = note
    shown = ss.get(f"{ns}.formula.shown", []) if formula_on(ns) else []
    ss[f"{ns}.formula.shown"] = None if which is None or shown is None else \
        [n for n in spec.names if n in (*shown, *which)]
    ss[f"{ns}.formula"] = True
    ss[f"{ns}.formula.values"] = {**formula_values(ns), **values}
    _restart(spec, rows)
    return ""


def _to_symbols(spec: ExampleSpec, check: Callable[[dict], object]) -> None:
    ss, ns = st.session_state, spec.ns
    which = ss.get(f"{ns}.formula.which", ALL)
    refused = _show(spec, None if which == ALL else [which], check)
    if refused:
        ss[f"{ns}.formula.message"] = refused


def _to_numbers(spec: ExampleSpec) -> None:
    ss, ns = st.session_state, spec.ns
    rows = formula.to_numbers(ss[f"{ns}.valid"], formula_values(ns))
    try:
        for name, r in rows.items():
            as_matrix(name, r, max_dim=None)
    except ByHandError as e:
        ss[f"{ns}.formula.message"] = (f"Back to numbers needs a number in every cell; {e} Type a number "
                                       "there, then click again.")
        return
    ss[f"{ns}.formula"] = False
    ss.pop(f"{ns}.formula.values", None)
    ss.pop(f"{ns}.formula.shown", None)
    _restart(spec, rows)


def formula_control(spec: ExampleSpec, check: Callable[[dict], object], note: str = "") -> None:
    """"Show the formula" for a chosen matrix or all of them, "Back to numbers", and what the cells show.

    ``check(rows)`` builds the page's walkthrough of an example read with symbols (ByHandError when the
    block cannot work those symbols out): a choice it refuses leaves the numbers, with its message.
    ``note``: what the page adds to the button's help (which matrices may be symbols, and at which sizes)."""
    ss, ns = st.session_state, spec.ns
    if ss.get(f"{ns}.formula.which") not in (ALL, *spec.names):
        ss[f"{ns}.formula.which"] = ALL
    on = formula_on(ns)
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.selectbox("Symbols for", [ALL, *spec.names], key=f"{ns}.formula.which", width=170,
                     label_visibility="collapsed", help="The matrix whose cells become symbols in its own "
                     "letter (W2 → w2₁₁ … ), or every matrix of the example.")
        st.button("Show the formula", key=f"{ns}.formula.show", icon=":material/function:",
                  on_click=_to_symbols, args=(spec, check),
                  help="The chosen matrix's cells become symbols: every step shows the general rule."
                  + (f" {note}" if note else ""))
        st.button("Back to numbers", key=f"{ns}.formula.back", icon=":material/pin:", disabled=not on,
                  on_click=_to_numbers, args=(spec,), help="Every symbol gets back the number it stood for.")
    message = ss.pop(f"{ns}.formula.message", None)
    if message:
        st.warning(md_escape(message), icon=":material/function:")
    elif on:
        st.caption("Each cell shows its expression, collected by the input's symbols; a long one is cut "
                   "(b₁+…⁴: b₁ and 3 more terms). Click a cell for the whole expression and its value with "
                   "the numbers the matrices had. Any cell may hold an expression such as 2*w11 + b1.")

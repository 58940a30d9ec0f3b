"""Matrix editors: every input matrix in a keyed ``st.data_editor`` of text cells (``1/3`` can be typed).

One page's example lives in ``st.session_state`` under keys that start with the page's
namespace ``ns`` (``"residual"``, ``"encoder"``):

- ``{ns}.base``: the example the editors start from (name → rows of text), set by the
  default example, a seed, new sizes or a link;
- ``{ns}.seed``: the seed of a random example (None: the default example);
- ``{ns}.sizes``: the example's sizes (name → int); ``{ns}.size.<name>``: the size inputs
  (e.g. ``residual.size.samples``);
- ``{ns}.edit.<name>``: each matrix's data editor (its edits relative to the base);
- ``{ns}.valid``: the last example that read without error (name → rows of text); while a
  cell is bad, this one stays drawn. Widget state is dropped when another page is shown, so
  coming back starts the editors from the last valid example.

Cells are read by ``byhand.numbers.as_matrix``; a bad cell gives ``st.error`` naming the
matrix and the cell (1-based, as the editors' row and column labels are).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pandas as pd
import streamlit as st

from ..checks import whole_number
from ..example import ExampleSpec, Rows
from ..numbers import ByHandError

__all__ = ["editor_key", "set_example", "example_controls", "matrix_editors", "valid_or_last", "show_error",
           "md_escape"]


def editor_key(ns: str, name: str) -> str:
    """The session-state key of matrix ``name``'s data editor."""
    return f"{ns}.edit.{name}"


def _frame(rows: Rows) -> pd.DataFrame:
    """Rows of text as a DataFrame labelled 1, 2, … (rows and columns), as error messages count."""
    return pd.DataFrame(rows, index=[str(i + 1) for i in range(len(rows))],
                        columns=[str(j + 1) for j in range(len(rows[0]))], dtype=object)


def set_example(spec: ExampleSpec, seed: int | None, sizes: dict[str, int],
                base: dict[str, Rows] | None = None) -> None:
    """Start the editors over from an example (call before the widgets are drawn, or in a callback)."""
    ss = st.session_state
    ss[f"{spec.ns}.seed"] = seed
    ss[f"{spec.ns}.base"] = base if base is not None else spec.make(seed, sizes)
    ss[f"{spec.ns}.valid"] = ss[f"{spec.ns}.base"]
    ss[f"{spec.ns}.sizes"] = dict(sizes)
    for s in spec.sizes:
        ss[f"{spec.ns}.size.{s.name}"] = sizes[s.name]
    for name in spec.names:
        ss.pop(editor_key(spec.ns, name), None)


def _sizes(spec: ExampleSpec) -> dict[str, int]:
    """The size inputs' values (the example's sizes where an input is not drawn)."""
    ss = st.session_state
    known = ss.get(f"{spec.ns}.sizes") or spec.default_sizes()
    return {s.name: ss.get(f"{spec.ns}.size.{s.name}", known[s.name]) for s in spec.sizes}


def _new_random(spec: ExampleSpec) -> None:
    sizes = {s.name: min(max(v, s.low), s.high) if isinstance(v, int) else s.default
             for s, v in zip(spec.sizes, _sizes(spec).values())}  # a size out of range is not used
    set_example(spec, secrets.randbelow(10_000), sizes)


def _back_to_default(spec: ExampleSpec) -> None:
    set_example(spec, None, spec.default_sizes())


def _resize(spec: ExampleSpec) -> None:
    sizes = _sizes(spec)
    try:
        for s in spec.sizes:
            whole_number(s.label, sizes[s.name], s.low, s.high)
    except ByHandError:
        return  # the page shows the message; the example stays
    seed = st.session_state.get(f"{spec.ns}.seed")
    set_example(spec, 1 if seed is None and sizes != spec.default_sizes() else seed, sizes)


def example_controls(spec: ExampleSpec) -> ByHandError | None:
    """Size inputs, "New random example" (with the seed shown) and "Back to the default example".

    Returns the error of a size outside its limits (the example stays as it was).
    """
    ns, ss = spec.ns, st.session_state
    for s in spec.sizes:  # size inputs dropped while another page was shown come back as they were
        ss.setdefault(f"{ns}.size.{s.name}", ss[f"{ns}.sizes"][s.name])
    cols = st.columns(max(len(spec.sizes), 3), vertical_alignment="bottom")
    for col, s in zip(cols, spec.sizes):
        # no min/max on the widget: a size out of range gets a message naming it, as a bad cell does
        col.number_input(s.label, step=1, format="%d", key=f"{ns}.size.{s.name}",
                         on_change=_resize, args=(spec,),
                         help=f"From {s.low} to {s.high}. A new size starts a seeded random example.")
    with st.container(horizontal=True):  # on a row of their own: the labels are never cut off
        st.button("New random example", icon=":material/casino:", key=f"{ns}.random",
                  on_click=_new_random, args=(spec,))
        st.button("Back to the default example", icon=":material/restart_alt:", key=f"{ns}.default",
                  on_click=_back_to_default, args=(spec,))
    seed = st.session_state.get(f"{ns}.seed")
    st.caption("The default example." if seed is None else f"Random example, seed **{seed}** "
               "(small integers; the same seed gives the same example on every page and worksheet).")
    for s in spec.sizes:
        try:
            whole_number(s.label, st.session_state.get(f"{ns}.size.{s.name}", s.default), s.low, s.high)
        except ByHandError as e:
            return e
    return None


def matrix_editors(spec: ExampleSpec, names: tuple[str, ...] | None = None, per_row: int = 3,
                   captions: dict[str, str] | None = None) -> dict[str, Rows]:
    """A data editor per matrix (fixed rows, text cells); returns name → rows of text as edited."""
    ns, ss = spec.ns, st.session_state
    base = ss[f"{ns}.base"]
    for name in spec.names:  # an editor dropped while another page was shown restarts from the last valid
        if editor_key(ns, name) not in ss and base[name] != ss[f"{ns}.valid"][name]:
            base = ss[f"{ns}.base"] = {**base, name: ss[f"{ns}.valid"][name]}
    names = names or spec.names
    out: dict[str, Rows] = {}
    for start in range(0, len(names), per_row):
        cols = st.columns(per_row)
        for col, name in zip(cols, names[start:start + per_row]):
            rows = base[name]
            with col:
                shape = f"{len(rows)}×{len(rows[0])}"
                st.markdown(f"**{name}** · {shape}" + (f" — {captions[name]}" if captions and name in captions
                                                       else ""))
                config = {str(j + 1): st.column_config.TextColumn(str(j + 1), width=56)
                          for j in range(len(rows[0]))}
                edited = st.data_editor(_frame(rows), key=editor_key(ns, name), num_rows="fixed",
                                        column_config=config, width="content")
                out[name] = [["" if v is None else str(v) for v in row] for row in edited.to_numpy().tolist()]
    return out


def valid_or_last(spec: ExampleSpec, rows: dict[str, Rows],
                  check: Callable[[dict[str, Rows]], object]) -> tuple[dict[str, Rows], ByHandError | None]:
    """``rows`` when ``check(rows)`` passes (they become the last valid example), else the last valid one.

    ``check`` raises ByHandError for a bad cell or shape; the error is returned for the page to show.
    """
    try:
        check(rows)
    except ByHandError as e:
        return st.session_state[f"{spec.ns}.valid"], e
    st.session_state[f"{spec.ns}.valid"] = rows
    return rows, None


def md_escape(text: str) -> str:
    r"""Text shown literally in Markdown: what a user typed (or a link held) never becomes a link or markup.

    >>> print(md_escape("'[x](y)' is *not* a number"))
    '\[x\]\(y\)' is \*not\* a number
    """
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~$:-])", r"\\\1", str(text))


def show_error(e: ByHandError | None, *places) -> None:
    """The message of a bad input, and that the last valid example stays drawn (nothing for None).

    ``places`` are containers to show it in as well (beside the editors where the cell was typed).
    """
    if e is None:
        return
    for place in (*places, st.container()):
        place.error(f"{md_escape(e)}  \nThe drawing shows the last valid example until this is fixed.",
                    icon=":material/error:")

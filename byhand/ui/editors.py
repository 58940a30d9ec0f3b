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

import secrets
from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from ..checks import whole_number
from ..example import ExampleSpec, Rows
from ..numbers import ByHandError, read_matrix_text
from .plain import md_escape

__all__ = ["editor_key", "set_example", "example_controls", "matrix_editors", "valid_or_last", "show_error",
           "md_escape", "drop_crafted_edits"]


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


def matrix_editors(spec: ExampleSpec, names: tuple[str, ...] | None = None, per_row: int = 8,
                   captions: dict[str, str] | None = None) -> dict[str, Rows]:
    """A data editor per matrix (fixed rows, text cells); returns name → rows of text as edited.

    Each editor is as wide as its columns (and its title) need, so that an 8-column matrix shows
    every column; editors stand side by side (at most ``per_row``) while they fit the page's width,
    and wrap onto the next line when they do not. Each has a "Paste" control that reads a whole
    matrix from text (``byhand.numbers.read_matrix_text``).
    """
    ns, ss = spec.ns, st.session_state
    base = ss[f"{ns}.base"]
    pasted = ss.pop(f"{ns}.pasted", set())  # a paste restarted these editors: they start from the paste
    for name in spec.names:  # an editor dropped while another page was shown restarts from the last valid
        if (editor_key(ns, name) not in ss and name not in pasted
                and base[name] != ss[f"{ns}.valid"][name]):
            base = ss[f"{ns}.base"] = {**base, name: ss[f"{ns}.valid"][name]}
    names = names or spec.names
    out: dict[str, Rows] = {}
    for start in range(0, len(names), per_row):
        with st.container(horizontal=True, gap="small"):  # side by side while they fit, else wrapped
            for name in names[start:start + per_row]:
                with st.container(width=_editor_width(len(base[name][0])), gap="xsmall"):
                    out[name] = _editor(spec, name, base[name], captions.get(name) if captions else None)
    return out


def _editor(spec: ExampleSpec, name: str, rows: Rows, caption: str | None) -> Rows:
    """Matrix ``name``'s title, its Paste control and its data editor; returns its rows of text as edited."""
    ns, shape = spec.ns, f"{len(rows)}×{len(rows[0])}"
    message = st.session_state.pop(_paste_error_key(ns, name), None)  # a refused paste: shown once
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.markdown(f"**{name}** · {shape}", width="content")
        _paste_control(spec, name, shape, message)
    if caption:
        st.caption(caption)
    if message:
        st.error(md_escape(message), icon=":material/content_paste_off:")
    if drop_crafted_edits(editor_key(ns, name), len(rows), [str(j + 1) for j in range(len(rows[0]))]):
        st.error(md_escape(f"The edits of {name} this browser sent do not fit a {shape} matrix, so they are "
                           f"left out: {name} starts again from the example shown."), icon=":material/error:")
    config = {str(j + 1): st.column_config.TextColumn(str(j + 1), width=_CELL_WIDTH)
              for j in range(len(rows[0]))}
    edited = st.data_editor(_frame(rows), key=editor_key(ns, name), num_rows="fixed", column_config=config,
                            width="content")
    return [["" if v is None else str(v) for v in row] for row in edited.to_numpy().tolist()]


def _well_formed(state, rows: int, columns: set[str]) -> bool:
    """Whether a data editor's state is one a browser sends for a fixed editor of text cells: edits of
    cells inside it (rows 0…rows−1, known columns) to text, numbers or None; no rows added or deleted."""
    if not isinstance(state, Mapping):
        return False
    edited = state.get("edited_rows", {})
    if state.get("added_rows") or state.get("deleted_rows") or not isinstance(edited, Mapping):
        return False
    def cell_ok(c, v) -> bool:
        return c in columns and (v is None or isinstance(v, (str, int, float)))

    return all(type(r) is int and 0 <= r < rows and isinstance(cells, Mapping)
               and all(cell_ok(c, v) for c, v in cells.items()) for r, cells in edited.items())


def drop_crafted_edits(key: str, rows: int, columns: list[str]) -> bool:
    """Drop data editor ``key``'s state if no browser would send it for this editor (call before drawing it).

    A tampering client can send any JSON as a widget's state: a row or column outside the matrix, a
    negative row (pandas would edit the last one), added rows. Streamlit would raise an IndexError or
    a KeyError drawing the editor; instead the state is treated as bad input: dropped, and True is
    returned for the page to say so.
    """
    ss = st.session_state
    if key not in ss:
        return False
    try:
        ok = _well_formed(ss[key], rows, set(columns))
    except (ValueError, TypeError, AttributeError, KeyError):  # a state Streamlit cannot even read
        ok = False
    if not ok:
        del ss[key]
    return not ok


_CELL_WIDTH = 56  # px of a text column; the index column and the borders take about 56 more
_MIN_WIDTH = 180  # px: the matrix's name and shape beside its Paste control (a caption wraps below)


def _editor_width(cols: int) -> int:
    """The width in px that an editor needs to show all its ``cols`` columns (and its title).

    >>> _editor_width(6), _editor_width(8), _editor_width(1)
    (400, 512, 180)
    """
    return max(_CELL_WIDTH * (cols + 1) + 8, _MIN_WIDTH)


def _paste_key(ns: str, name: str) -> str:
    return f"{ns}.paste.{name}"


def _paste_error_key(ns: str, name: str) -> str:
    return f"{ns}.paste_error.{name}"


def _paste_control(spec: ExampleSpec, name: str, shape: str, message: str | None) -> None:
    """A "Paste" popover: a text area for a whole matrix and a button that makes it the editor's start.

    ``message``: why the last paste was refused (shown under the button too, as the popover stays open).
    """
    with st.popover("Paste", icon=":material/content_paste:", type="tertiary",
                    key=f"{spec.ns}.paste_open.{name}", help=f"Type or paste all of {name} ({shape})."):
        st.text_area(f"{name} as text ({shape})", key=_paste_key(spec.ns, name), on_change="ignore",
                     placeholder="1 2 3\n4 5 6", height=140,
                     help="Rows on lines (or separated by ;), numbers separated by spaces, commas or tabs. "
                          "Reads what a spreadsheet copies, numpy, PyTorch and Python lists, MATLAB and "
                          "LaTeX matrices (bmatrix, pmatrix, \\frac{1}{2}). Numbers such as 2, -1/2, 0.25.")
        st.button("Use this matrix", key=f"{spec.ns}.paste_use.{name}", icon=":material/check:",
                  on_click=_use_pasted, args=(spec, name))
        if message:
            st.error(md_escape(message), icon=":material/content_paste_off:")


def _use_pasted(spec: ExampleSpec, name: str) -> None:
    """Callback: the pasted text becomes matrix ``name``'s base and its editor restarts from it.

    The matrix keeps the example's shape; a vector pasted as a row fills a column. A text that
    cannot be read leaves the example as it was, and its message is shown beside the editor.
    """
    ns, ss = spec.ns, st.session_state
    now = ss[f"{ns}.base"][name]
    shape = (len(now), len(now[0]))
    try:
        rows = read_matrix_text(name, ss.get(_paste_key(ns, name)) or "", max_dim=max(8, *shape))
        if shape[1] == 1 and len(rows) == 1 and len(rows[0]) == shape[0]:
            rows = [[v] for v in rows[0]]  # a bias typed as a row (as PyTorch prints a 1-D tensor)
        if (len(rows), len(rows[0])) != shape:
            raise ByHandError(f"{name} is {shape[0]}×{shape[1]} here; the pasted matrix is "
                              f"{len(rows)}×{len(rows[0])}. To paste a matrix of another shape, change "
                              "the sizes above first.", name)
    except ByHandError as e:
        ss[_paste_error_key(ns, name)] = str(e)
        return
    ss[f"{ns}.base"] = {**ss[f"{ns}.base"], name: rows}
    ss[f"{ns}.pasted"] = {*ss.get(f"{ns}.pasted", set()), name}
    ss[_paste_key(ns, name)] = ""
    ss.pop(editor_key(ns, name), None)


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


def show_error(e: ByHandError | None, *places) -> None:
    """The message of a bad input, and that the last valid example stays drawn (nothing for None).

    ``places`` are containers to show it in as well (beside the editors where the cell was typed).
    """
    if e is None:
        return
    for place in (*places, st.container()):
        place.error(f"{md_escape(e)}  \nThe drawing shows the last valid example until this is fixed.",
                    icon=":material/error:")

"""Step controls and the one-step view: previous / next, a step slider, play / pause at a chosen speed.

Autoplay is a fragment that reruns itself every few seconds (``st.fragment(run_every=…)``),
never a sleep loop; the controls and the drawn step live in that fragment, so stepping and
picking a cell redraw only the step. Session-state keys, namespaced by the page's ``ns``:

- ``{ns}.step``: the step shown, 1-based (the step slider's value);
- ``{ns}.play`` (bool), ``{ns}.speed`` (a key of ``SPEEDS``), ``{ns}.tick`` (time of the last advance);
- ``{ns}.cell.<k>``: the picked product cell (i, j) of step k (0-based indices) or None;
  ``{ns}.pick.<k>``, ``{ns}.row.<k>``, ``{ns}.col.<k>``: the chart and the row / column
  selectboxes that pick it (the keyboard alternative to clicking);
- ``{ns}.view``: "Text" or "LaTeX" in the text view.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from ..numbers import fmt
from ..render.latex import step_latex
from ..render.layout import layout_step
from ..render.text import step_text
from ..render.vega import selected_cell, step_chart
from ..walkthrough import Step, Walkthrough, dot_product_text

__all__ = ["SPEEDS", "fit_cell", "fitted_chart", "step_key", "advance", "clamp_step", "step_player",
           "step_view", "picked_cell", "gif_button"]

SPEEDS = {"Slow": 4.0, "Normal": 2.5, "Fast": 1.2}  # seconds per step
FIT_HEIGHT = 380  # px: a step's drawing shrinks to fit a 1280 × 800 projector (beside the sidebar)
FIT_WIDTH = 960  # px: and to fit the page's width


def fit_cell(step: Step, decimals: int = 3, height: float = FIT_HEIGHT) -> float | None:
    """A cell size (px) that fits the drawing into ``height``, or None when it fits as it is.

    Never smaller than 26 px, nor than the longest number needs at a 13 px font.
    """
    lay = layout_step(step)
    cells = lay.height
    if cells * 40 <= height:
        return None
    longest = max((len(fmt(b.value, decimals)) for b in lay.boxes if b.value is not None), default=1)
    return max(26.0, longest * 0.6 * 13 + 8, height / cells)


def fitted_chart(step: Step, *, decimals: int = 3, selected=None, width: float | None = None):
    """``step_chart`` sized for the page: to ``width`` if given, else to the projector's height and
    the page's width (the drawing then shrinks its cells as far as its numbers allow)."""
    if width is None:
        cell = fit_cell(step, decimals)
        if (cell or 40) * layout_step(step).width > FIT_WIDTH:
            width = FIT_WIDTH
        else:
            return step_chart(step, decimals=decimals, selected=selected, cell_size=cell)
    return step_chart(step, decimals=decimals, selected=selected, width=width)


def step_key(ns: str) -> str:
    """The session-state key of the step shown (1-based)."""
    return f"{ns}.step"


def advance(step: int, n: int, playing: bool) -> tuple[int, bool]:
    """One tick of autoplay: the next step, and whether to keep playing (it stops at the last step).

    >>> advance(2, 4, True), advance(3, 4, True), advance(4, 4, True), advance(2, 4, False)
    ((3, True), (4, False), (4, False), (2, False))
    """
    if not playing:
        return step, False
    step = min(step + 1, n)
    return step, step < n


def clamp_step(ns: str, n: int) -> int:
    """Keep the step within 1…n (call before the slider is drawn); returns it."""
    ss, key = st.session_state, step_key(ns)
    value = ss.get(key, 1)
    if not isinstance(value, int) or not 1 <= value <= n:
        value = min(max(value, 1), n) if isinstance(value, int) else 1
    ss[key] = value
    return value


def _go(ns: str, delta: int, n: int) -> None:
    ss = st.session_state
    ss[step_key(ns)] = min(max(ss.get(step_key(ns), 1) + delta, 1), n)


def _start(ns: str, n: int) -> None:
    ss = st.session_state
    ss[f"{ns}.tick"] = time.monotonic()
    if ss.get(f"{ns}.play") and ss.get(step_key(ns), 1) >= n:
        ss[step_key(ns)] = 1  # play from the start again


def step_player(ns: str, wt: Walkthrough, render: Callable[[Step, int], None], *,
                shortcuts: bool = True) -> None:
    """The step controls and ``render(step, k)`` of the current step (0-based k), in a fragment.

    While playing, the fragment reruns every ``SPEEDS[speed]`` seconds and shows the next step.
    ``shortcuts``: Page Up / Page Down press Previous / Next (give it to one player per page).
    """
    ss = st.session_state
    n = len(wt.steps)
    clamp_step(ns, n)
    playing = bool(ss.get(f"{ns}.play", False))
    every = SPEEDS.get(ss.get(f"{ns}.speed"), SPEEDS["Normal"]) if playing else None
    st.fragment(_player, run_every=every)(ns, wt, render, every, shortcuts)


def _player(ns: str, wt: Walkthrough, render: Callable[[Step, int], None], every: float | None,
            shortcuts: bool) -> None:
    ss = st.session_state
    n = len(wt.steps)
    playing = bool(ss.get(f"{ns}.play", False))
    want = SPEEDS.get(ss.get(f"{ns}.speed"), SPEEDS["Normal"]) if playing else None
    if want != every:  # play / pause or a new speed: draw the fragment again with its new timer
        st.rerun()
    if playing and time.monotonic() - ss.get(f"{ns}.tick", 0.0) >= 0.8 * want:
        ss[step_key(ns)], still = advance(ss[step_key(ns)], n, True)
        ss[f"{ns}.tick"] = time.monotonic()
        if not still:
            ss[f"{ns}.play"] = False
    k = clamp_step(ns, n)
    titles = [s.title for s in wt.steps]
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    # Page Up / Page Down: what a presentation clicker sends
    row.button("Previous", key=f"{ns}.prev", icon=":material/chevron_left:", on_click=_go, args=(ns, -1, n),
               disabled=k <= 1, help="Previous step (Page Up)" if shortcuts else "Previous step",
               shortcut="PageUp" if shortcuts else None)
    row.button("Next", key=f"{ns}.next", icon=":material/chevron_right:", icon_position="right",
               on_click=_go, args=(ns, 1, n), disabled=k >= n, type="primary",
               help="Next step (Page Down)" if shortcuts else "Next step",
               shortcut="PageDown" if shortcuts else None)
    row.toggle("Play", key=f"{ns}.play", on_change=_start, args=(ns, n),
               help="Show the steps one after another; it stops at the last step.")
    row.segmented_control("Speed", list(SPEEDS), key=f"{ns}.speed", default="Normal", required=True,
                          label_visibility="collapsed", help="Seconds per step: slow 4, normal 2.5, fast 1.2")
    st.select_slider("Step", options=list(range(1, n + 1)), key=step_key(ns),
                     format_func=lambda i: f"{i}/{n} · {titles[i - 1]}", label_visibility="collapsed")
    render(wt.steps[k - 1], k - 1)


def picked_cell(ns: str, k: int, step: Step) -> tuple[int, int] | None:
    """The picked product cell of step k, if it is still inside the product."""
    cell = st.session_state.get(f"{ns}.cell.{k}")
    if cell is None or not _pickable(step):
        return None
    i, j = cell
    m, n = step.product.shape
    return (i, j) if 0 <= i < m and 0 <= j < n else None


def _pickable(step: Step) -> bool:
    """Whether the step has a product cell to pick (a multiply, or an element-wise op's input)."""
    return step.kind in ("multiply", "elementwise")


def _on_pick(ns: str, k: int) -> None:
    ss = st.session_state
    cell = selected_cell(ss.get(f"{ns}.pick.{k}"))
    ss[f"{ns}.cell.{k}"] = cell
    ss[f"{ns}.row.{k}"] = "—" if cell is None else cell[0] + 1
    ss[f"{ns}.col.{k}"] = "—" if cell is None else cell[1] + 1


def _on_choose(ns: str, k: int) -> None:
    ss = st.session_state
    r, c = ss.get(f"{ns}.row.{k}"), ss.get(f"{ns}.col.{k}")
    ss[f"{ns}.cell.{k}"] = None if "—" in (r, c) else (r - 1, c - 1)


def _cell_words(step: Step, i: int, j: int, decimals: int) -> str:
    """The picked cell in words: the dot product, then the op."""
    name = step.product_name or step.name
    if step.kind == "multiply":
        text = f"{name} [{i + 1}, {j + 1}] = {dot_product_text(step, i, j, decimals)}"
    else:
        text = f"{name} [{i + 1}, {j + 1}] = {fmt(step.product[i, j], decimals)}"
    if step.answer_region == "result":
        text += f"; {step.op.label} gives {step.name} [{i + 1}, {j + 1}] = {fmt(step.result[i, j], decimals)}"
    return text


def step_view(ns: str, step: Step, k: int, n_steps: int, *, decimals: int = 3,
              width: float | None = None) -> None:
    """One step: title, caption, the by-hand drawing with cell picking, the dot product, a text view."""
    ss = st.session_state
    st.subheader(f"Step {k + 1} of {n_steps}: {step.title}", anchor=False)
    st.markdown(step.caption)
    if step.note:
        st.caption(f":material/info: {step.note}")
    pickable = _pickable(step)
    cell = picked_cell(ns, k, step)
    if pickable:  # the selectboxes must agree with the pick before they are drawn
        m, n = step.product.shape
        for key, size, v in ((f"{ns}.row.{k}", m, None if cell is None else cell[0] + 1),
                             (f"{ns}.col.{k}", n, None if cell is None else cell[1] + 1)):
            if ss.get(key) not in ["—", *range(1, size + 1)] or (v is not None and ss.get(key) != v):
                ss[key] = "—" if v is None else v
    chart = fitted_chart(step, decimals=decimals, selected=cell, width=width)
    if pickable:
        st.altair_chart(chart, on_select=lambda: _on_pick(ns, k), selection_mode="cell",
                        key=f"{ns}.pick.{k}", width="content")
    else:
        st.altair_chart(chart, width="content")  # the chart's description names it for screen readers
    if pickable:
        c_text, c_row, c_col = st.columns([6, 1, 1], vertical_alignment="bottom")
        c_row.selectbox("Row", ["—", *range(1, m + 1)], key=f"{ns}.row.{k}", on_change=_on_choose,
                        args=(ns, k), help="Pick a cell of the product with the keyboard")
        c_col.selectbox("Column", ["—", *range(1, n + 1)], key=f"{ns}.col.{k}", on_change=_on_choose,
                        args=(ns, k))
        with c_text:
            if cell is None:
                st.caption(":material/touch_app: Click a cell of the product (or choose its row and column) "
                           "to see how it is made: its row of the left matrix meets its column of the one "
                           "above.")
            else:
                st.code(_cell_words(step, *cell, decimals), language=None, wrap_lines=True)
    with st.expander("Text / LaTeX view of this step"):
        view = st.segmented_control("View", ["Text", "LaTeX"], key=f"{ns}.view", default="Text",
                                    required=True, label_visibility="collapsed")
        if view == "LaTeX":
            st.latex(step_latex(step, decimals))
        else:
            st.code(step_text(step, decimals), language=None)


def gif_button(wt: Walkthrough, ns: str, decimals: int = 3) -> None:
    """A "GIF for slides" download: every step as one frame, made only when the button is pressed."""

    def make() -> bytes:
        from ..render.gif import walkthrough_gif  # Pillow work: only on demand

        return walkthrough_gif(wt, decimals)

    st.download_button("GIF for slides", icon=":material/animated_images:", data=make,
                       file_name=f"byhand-{wt.block}.gif", mime="image/gif",
                       key=f"{ns}.gif", on_click="ignore",
                       help="Every step of this example as one frame of an animated GIF, for slides.")

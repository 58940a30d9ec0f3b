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
from ..render.layout import split_bands, split_pieces
from ..render.text import step_text
from ..render.vega import selected_cell, step_chart
from ..walkthrough import Step, Walkthrough, dot_product_text

__all__ = ["SPEEDS", "PAGE_BOX", "PRESENT_BOX", "presenting", "drawing_box", "fitted_chart", "wrapping",
           "step_key", "advance", "clamp_step", "step_player", "step_caption", "step_view", "picked_cell",
           "print_menu"]

SPEEDS = {"Slow": 4.0, "Normal": 2.5, "Fast": 1.2}  # seconds per step
# The drawing's box (px) on a 1280 × 800 projector: beside the open sidebar, under the title and the
# step controls; in presentation mode the sidebar, title and settings are hidden and the box grows.
PAGE_BOX = (860, 440)
PRESENT_BOX = (1200, 520)
PRESENT = "present"  # session-state key: presentation mode (``present=1`` in a link)
# Constant CSS of presentation mode: no sidebar, no toolbar, less space above the step.
PRESENT_CSS = ("<style>[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'],"
               "[data-testid='stHeader'] {display: none;}"
               "[data-testid='stMainBlockContainer'] {padding: 1rem 1.5rem; max-width: 100%;}"
               ".st-key-present-keys {display: none;}</style>")


def presenting() -> bool:
    """Whether presentation mode is on (the pages then hide their settings and title)."""
    return bool(st.session_state.get(PRESENT, False))


def drawing_box() -> tuple[int, int]:
    """The width and height (px) a step's drawing may take on a 1280 × 800 screen."""
    return PRESENT_BOX if presenting() else PAGE_BOX


def _drawn_size(chart) -> tuple[float, float]:
    view = chart.to_dict()["hconcat"][0]
    return view["width"], view["height"]


def fitted_chart(step: Step, *, decimals: int = 3, selected=None, box: tuple[int, int] | None = None):
    """``step_chart`` sized to its box (``drawing_box()`` unless given): its natural size, its cells
    shrunk to fit the box's width and height, never below what its numbers need to stay readable;
    for a drawing still too wide, the op's result put under the product, then the multiply wrapped
    (``wrapping``); then its rows made lower than its cells are wide (down to ``vega.MIN_ROW``)."""
    width, height = box or drawing_box()

    def draw(tooltips: bool = True, **kw):
        return step_chart(step, decimals=decimals, selected=selected, tooltips=tooltips, **kw)

    chart = draw(width=width)
    w, h = _drawn_size(chart)
    fit: dict = {}
    if w > width and step.answer_region == "result" and step.kind == "multiply":
        fit["result_below"] = True  # too wide even at the smallest readable cells: the result under it
        chart = draw(width=width, **fit)
        w, h = _drawn_size(chart)
    if w > width and step.kind == "multiply":  # still too wide: wrapped, in as few pieces as it takes
        fit.update(wrapping(step, width, lambda **kw: _drawn_size(draw(False, width=width, **fit, **kw))))
        chart = draw(width=width, **fit)
        h = _drawn_size(chart)[1]
    if h > height:  # smaller square cells, as far as the numbers allow (step_chart's own limit)
        narrower = _drawn_size(chart)[0] * height / h
        chart = draw(width=narrower, **fit)
        h = _drawn_size(chart)[1]
    if h > height:  # then lower rows: a number needs its width, not its height
        row = chart.geometry["row"] * (height - 4) / h
        chart = draw(cell_size=chart.geometry["cell"], row_height=row, **fit)
    return chart


def wrapping(step: Step, width: float, size: Callable[..., tuple[float, float]], most: int = 4,
             band: int = 3) -> dict:
    """How to wrap a multiply too wide for ``width`` px: ``{"pieces": …}`` (its contraction cut, the
    partial products summed) or ``{"bands": …}`` (its product's columns cut, at least ``band`` to a
    band), in the fewest pieces or bands that fit (the lower drawing when both fit), at most ``most``;
    ``{}`` when none fits (more, thinner slices would no longer read as one multiply).
    ``size(**wrap)`` is the drawing's size in px."""
    k, n = step.left.shape[1], step.right.shape[1]
    options: dict[str, tuple[int, dict]] = {}
    for cut in range(k - 1, 0, -1):  # every way of cutting the contraction, fewest pieces first
        pieces = split_pieces(step.left, cut)
        options.setdefault(repr(pieces), (len(pieces), {"pieces": pieces}))
    for count in range(2, n // band + 1):
        options.setdefault(f"bands {count}", (count, {"bands": split_bands(n, count)}))
    for count in range(2, most + 1):
        fits = []
        for c, wrap in options.values():
            if c == count:
                w, h = size(**wrap)
                fits += [(h, w, wrap)] if w <= width else []
        if fits:
            return min(fits, key=lambda f: (f[0], f[1]))[2]
    return {}


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
    if shortcuts and presenting():
        st.html(PRESENT_CSS)
    st.fragment(_player, run_every=every)(ns, wt, render, every, shortcuts, presenting())


def _player(ns: str, wt: Walkthrough, render: Callable[[Step, int], None], every: float | None,
            shortcuts: bool, present: bool) -> None:
    ss = st.session_state
    n = len(wt.steps)
    playing = bool(ss.get(f"{ns}.play", False))
    want = SPEEDS.get(ss.get(f"{ns}.speed"), SPEEDS["Normal"]) if playing else None
    if want != every or presenting() != present:  # the whole page again: a new timer, or the page's
        st.rerun()                                 # settings hidden or shown for presentation mode
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
    if shortcuts:  # one player per page drives presentation mode
        row.toggle("Present", key=PRESENT, help="Presentation mode: no sidebar and no settings, the drawing "
                   "as large as the screen allows. Page Up / Page Down or the arrow keys step.")
        if present:  # the arrow keys too (hidden buttons: a button has one shortcut)
            with st.container(key="present-keys"):
                st.button("Previous step", key=f"{ns}.left", on_click=_go, args=(ns, -1, n), shortcut="Left")
                st.button("Next step", key=f"{ns}.right", on_click=_go, args=(ns, 1, n), shortcut="Right")
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


def _cell_words(step: Step, i: int, j: int, decimals: int, values: dict | None = None) -> str:
    """The picked cell in words: the dot product, then the op; a symbolic cell's whole expression and,
    where every symbol has one of ``values``, its number (``byhand.formula.cell_formula``)."""
    if hasattr(step.product[i, j], "free_symbols") or hasattr(step.result[i, j], "free_symbols"):
        from ..formula import cell_formula

        return cell_formula(step, i, j, values or {}, decimals)
    name = step.product_name or step.name
    if step.kind == "multiply":
        text = f"{name} [{i + 1}, {j + 1}] = {dot_product_text(step, i, j, decimals)}"
    else:
        text = f"{name} [{i + 1}, {j + 1}] = {fmt(step.product[i, j], decimals)}"
    if step.answer_region == "result":
        text += f"; {step.op.label} gives {step.name} [{i + 1}, {j + 1}] = {fmt(step.result[i, j], decimals)}"
    return text


def step_caption(step: Step) -> None:
    """What the step does, and its note: under the drawing, as a figure's caption."""
    st.markdown(step.caption)
    if step.note:
        st.caption(f":material/info: {step.note}")


def step_view(ns: str, step: Step, k: int, n_steps: int, *, decimals: int = 3,
              box: tuple[int, int] | None = None) -> None:
    """One step: title, the by-hand drawing with cell picking, its caption, the dot product, a text view."""
    from .formula import formula_values

    ss = st.session_state
    values = formula_values(ns)
    st.subheader(f"Step {k + 1} of {n_steps}: {step.title}", anchor=False)
    pickable = _pickable(step)
    cell = picked_cell(ns, k, step)
    if pickable:  # the selectboxes must agree with the pick before they are drawn
        m, n = step.product.shape
        for key, size, v in ((f"{ns}.row.{k}", m, None if cell is None else cell[0] + 1),
                             (f"{ns}.col.{k}", n, None if cell is None else cell[1] + 1)):
            if ss.get(key) not in ["—", *range(1, size + 1)] or (v is not None and ss.get(key) != v):
                ss[key] = "—" if v is None else v
    chart = fitted_chart(step, decimals=decimals, selected=cell, box=box)
    if pickable:
        st.altair_chart(chart, on_select=lambda: _on_pick(ns, k), selection_mode="cell",
                        key=f"{ns}.pick.{k}", width="content")
    else:
        st.altair_chart(chart, width="content")  # the chart's description names it for screen readers
    step_caption(step)
    if presenting():  # the picked cell's dot product still shows: the class sees how it is made
        if cell is not None:
            st.code(_cell_words(step, *cell, decimals, values), language=None, wrap_lines=True)
        return
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
                st.code(_cell_words(step, *cell, decimals, values), language=None, wrap_lines=True)
    with st.expander("Text / LaTeX view of this step"):
        view = st.segmented_control("View", ["Text", "LaTeX"], key=f"{ns}.view", default="Text",
                                    required=True, label_visibility="collapsed")
        if view == "LaTeX":
            st.latex(step_latex(step, decimals))
        else:
            st.code(step_text(step, decimals), language=None)


def print_menu(wt: Walkthrough, ns: str, decimals: int = 3, example: str | None = None,
               model_code: str | None = None) -> None:
    """"Print this example": exactly the example on screen as a worksheet (PDF with its answer key),
    a spreadsheet with live formulas and self-checks, a GIF for slides, a Jupyter notebook that works
    it again in PyTorch (with ``model_code``, the model itself too), and (``example``, its JSON text) a
    file the command line prints again. Each file is made only when its button is pressed."""
    from ..notebook import notebook_bytes
    from ..render.gif import walkthrough_gif  # Pillow, fpdf2, xlsxwriter: loaded on first use
    from ..render.pdf import worksheet_pdf
    from ..render.xlsx import answer_key_xlsx, worksheet_xlsx

    stem = f"byhand-{wt.block}"
    with st.popover("Print this example", icon=":material/print:",
                    help="The example on screen, as edited: a worksheet, a spreadsheet, a GIF for slides, "
                         "a notebook."):
        st.download_button("Worksheet with answer key (PDF)", icon=":material/picture_as_pdf:",
                           data=lambda: worksheet_pdf(wt, "practice", answers=True, decimals=decimals),
                           file_name=f"{stem}.pdf", mime="application/pdf", key=f"{ns}.pdf",
                           on_click="ignore",
                           help="Every computed cell blank, to work out by hand; the answers at the end.")
        st.download_button("Spreadsheet (XLSX)", icon=":material/table:",
                           data=lambda: worksheet_xlsx(wt, "practice", decimals=decimals),
                           file_name=f"{stem}.xlsx", key=f"{ns}.xlsx", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           help="For the student: type the answers; live formulas check them.")
        st.download_button("Answer key (XLSX)", icon=":material/key:",
                           data=lambda: answer_key_xlsx(wt, "practice", decimals=decimals),
                           file_name=f"{stem}-key.xlsx", key=f"{ns}.xlsx_key", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           help="For the teacher: the worked sheet and the list of answers.")
        st.download_button("GIF for slides", icon=":material/animated_images:",
                           data=lambda: walkthrough_gif(wt, decimals), file_name=f"{stem}.gif",
                           mime="image/gif", key=f"{ns}.gif", on_click="ignore",
                           help="Every step of this example as one frame of an animated GIF, for slides.")
        symbols = bool(wt.symbols)
        st.download_button("Notebook (.ipynb)", icon=":material/code:", key=f"{ns}.notebook",
                           data=b"" if symbols else lambda: notebook_bytes(wt, model_code),
                           file_name=f"{stem}.ipynb", mime="application/x-ipynb+json", on_click="ignore",
                           disabled=symbols,
                           help="Put numbers in for the symbols first: PyTorch works with numbers." if symbols
                           else "Works every step again in PyTorch with the same numbers and checks it "
                                "against the by-hand values; runs in Colab or Jupyter.")
        if example is not None:
            st.download_button("Example (JSON)", icon=":material/data_object:", data=example,
                               file_name=f"{stem}.json", mime="application/json", key=f"{ns}.json",
                               on_click="ignore", help="For the command line: python -m byhand worksheet "
                               f"--example {stem}.json -o {stem}.pdf")

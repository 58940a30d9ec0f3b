"""Working an exercise on screen, step by step: the pieces that Practice and a class's student page share.

Each step is its drawing (blanks hidden, the learner's earlier numbers carried in, the cells of the hints
shown lit), the data editors of its blank cells, and a row with its Check button and graded hints,
followed by what the check says (named misconceptions included). The pages keep what differs: where a
check and a hint come from (the engine, or the class database that counts them).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from byhand.misconceptions import MISCONCEPTIONS
from byhand.numbers import fmt
from byhand.practice import carried, diagnose, hint, hint_levels
from byhand.render import vega
from byhand.ui.editors import drop_crafted_edits, md_escape

__all__ = ["answer_frame", "step_drawing", "answer_editors", "check_and_hints"]


def answer_frame(values, cells, start: dict) -> pd.DataFrame:
    """The matrix as text: the given cells printed, each blank cell empty or as in ``start`` (cell key →
    text)."""
    m, n = values.shape
    blank = {(c.row, c.col): c for c in cells}
    return pd.DataFrame([[start.get(blank[i, j].key, "") if (i, j) in blank else
                          fmt(values[i, j], 3, minus="-") for j in range(n)] for i in range(m)],
                        columns=[str(j + 1) for j in range(n)], index=[str(i + 1) for i in range(m)])


def step_drawing(ex, k: int, typed: dict, hints: dict, *, tooltips: bool = True) -> None:
    """Step k's title, caption, note and drawing: its blanks hidden, the answers typed so far (``typed``)
    carried into it, the cells of the hints shown (``hints``: cell key → level) lit."""
    step = ex.walkthrough.steps[k]
    st.subheader(f"Step {k + 1}: {step.title}", anchor=False)
    st.markdown(step.caption)
    if ex.note(k):
        st.caption(f":material/info: {ex.note(k)}")
    light = set().union(*(hint(ex, c, hints[c.key]).cells for c in ex.cells_of(k) if hints.get(c.key)))
    st.altair_chart(vega.step_chart(step, hidden=ex.hidden().get(k), shown=carried(ex, typed).get(k),
                                    light=light, tooltips=tooltips), width="content")


def answer_editors(ex, k: int, key: str, start: dict | None = None) -> dict:
    """The data editors of step k's blank cells (widget keys ``{key}.product`` and ``{key}.result``), side
    by side as in the drawing, blanks empty or as in ``start``; a state that no browser would send is
    dropped, with a message. Returns cell key → typed text."""
    step = ex.walkthrough.steps[k]
    typed = {}
    parts = [(region, values, name, [c for c in ex.cells_of(k) if c.region == region])
             for region, values, name in (("product", step.product, step.product_name or step.name),
                                          ("result", step.result, step.name))]
    parts = [p for p in parts if p[3]]
    for col, (region, values, name, cells) in zip(st.columns(max(2, len(parts))), parts):
        frame = answer_frame(values, cells, start or {})
        given = "" if len({(c.row, c.col) for c in cells}) == values.size else " (the filled cells are given)"
        with col:
            st.markdown(f"**Your {md_escape(name)}**{given}")
            if drop_crafted_edits(f"{key}.{region}", values.shape[0], list(frame.columns)):
                st.error(f"The answers to {md_escape(name)} this browser sent do not fit the matrix, so they "
                         "are left out: type them again.", icon=":material/error:")
            edited = st.data_editor(frame, key=f"{key}.{region}", num_rows="fixed",
                                    column_config={c: st.column_config.TextColumn(c) for c in frame.columns})
        for c in cells:
            v = edited.iat[c.row, c.col] if c.row < len(edited) and c.col < edited.shape[1] else None
            typed[c.key] = None if v is None else str(v)
    return typed


def check_and_hints(ex, k: int, ns: str, flag: str, check, typed: dict, hints: dict,
                    on_hint: Callable[[tuple, int], None], hint_help: str) -> None:
    """Step k's row: Check this step (it sets ``st.session_state[flag]``), the hint picker (the cells the
    check did not find right) and the button of the next hint level (``on_hint(cell key, levels)``); then
    the hints shown (``hints``: cell key → level) and what ``check`` (a StepCheck, or None) says: right or
    not, why a cell is only consistent or not a number, and the named misconception a wrong cell matches."""
    ss = st.session_state
    c_check, c_cell, c_hint = st.columns([2, 3, 2], vertical_alignment="bottom")
    c_check.button("Check this step", key=f"{ns}.check.{k}", icon=":material/check:",
                   on_click=lambda: ss.__setitem__(flag, True))
    cells = ex.cells_of(k)
    open_cells = [c for c in cells if check is None or not check.verdicts[c.key].ok] or cells
    pick = c_cell.selectbox("Hint for", range(len(open_cells)), key=f"{ns}.hint_cell.{k}",
                            format_func=lambda i: open_cells[i].where)
    cell = open_cells[min(pick or 0, len(open_cells) - 1)]
    levels, shown = hint_levels(ex, cell), hints.get(cell.key, 0)
    c_hint.button(f"Hint {min(shown + 1, levels)} of {levels}", key=f"{ns}.hint.{k}",
                  icon=":material/lightbulb:", disabled=shown >= levels, on_click=on_hint,
                  args=(cell.key, levels), help=hint_help)
    for level in range(1, shown + 1):
        st.markdown(f":material/lightbulb: **{md_escape(cell.where)}**, hint {level}: "
                    f"{md_escape(hint(ex, cell, level, answers=typed))}")
    if check is None:
        return
    (st.success if check.ok else st.info)(md_escape(check.summary), icon=":material/fact_check:")
    named = diagnose(ex, typed)
    for c in cells:
        v = check.verdicts[c.key]
        if v.status in ("consistent", "invalid"):
            st.caption(md_escape(f"{c.where}: {v.message}"))
        elif v.status == "wrong" and named.get(c.key):
            mistakes = [MISCONCEPTIONS[i] for i in named[c.key]]
            words = "; or ".join(m.name[0].lower() + m.name[1:] for m in mistakes)
            ideas = " ".join(m.right_idea for m in mistakes)
            st.warning(md_escape(f"{c.where} matches a common mistake: {words}. {ideas}"),
                       icon=":material/psychology:")

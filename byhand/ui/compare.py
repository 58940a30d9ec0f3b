"""Compare: a block's output with and without its skip connections, side by side, differences marked."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ..numbers import fmt
from ..render import vega
from ..walkthrough import Walkthrough

__all__ = ["difference_marks", "compare_outputs"]


def difference_marks(with_skip: np.ndarray, without: np.ndarray) -> dict[tuple[int, int], str]:
    """The cells that differ, each with ``+d`` or ``−d`` = (with) − (without); ``≠`` where the difference
    is an expression in symbols (its sign is not known).

    >>> difference_marks(np.array([[3, 1]]), np.array([[1, 1]]))
    {(0, 0): '+2'}
    """
    marks = {}
    for (i, j), v in np.ndenumerate(with_skip):
        d = v - without[i, j]
        if hasattr(d, "free_symbols") and d.free_symbols:
            marks[(i, j)] = "\u2260"
        elif d != 0:
            marks[(i, j)] = ("+" if d > 0 else "\u2212") + fmt(abs(d))
    return marks


def compare_outputs(wt: Walkthrough, plain: Walkthrough, *, with_label: str, without_label: str,
                    without_name: str, note: str = "") -> None:
    """``wt.output`` beside ``plain.output``; the cells that differ highlighted and marked."""
    marks = difference_marks(wt.output, plain.output)
    left, right = st.columns(2)
    with left:
        st.markdown(with_label)
        st.altair_chart(vega.matrix_chart("Out", wt.output, role="computed", highlight=set(marks),
                                             marks=marks), width="content")
    with right:
        st.markdown(without_label)
        st.altair_chart(vega.matrix_chart(without_name, plain.output, role="computed",
                                             highlight=set(marks)), width="content")
    st.caption(f"{len(marks)} of {wt.output.size} cells differ; the small marks give "
               f"(with) − (without).{' ' + note if note else ''}")

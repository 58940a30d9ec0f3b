"""Feature maps drawn as maps: a (C × H·W) matrix as one small grid per channel, and a step that only
gives a map (the input, a padded map) drawn that way, since its one row of H·W pixels is as wide as the
page (a padded 5×5 map is 25 columns; with symbols, 25 cells of ``max(0,…)``)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ..numbers import is_symbolic
from ..render import vega
from ..walkthrough import Step
from . import controls

__all__ = ["feature_maps", "map_step"]


def feature_maps(name: str, m: np.ndarray, shape: tuple, key: str, highlight=None, role: str = "computed",
                 marks=None) -> None:
    """A map (C × H·W) as one small labelled grid per channel, side by side, on as many rows as the page's
    width needs (a grid of symbols is wider than a third of the page)."""
    c, h, w = shape
    with st.container(horizontal=True, gap="medium"):
        for ch in range(c):
            grid = np.asarray(m)[ch].reshape(h, w)
            hl = {(i, j) for i in range(h) for j in range(w) if highlight is not None and highlight[i, j]}
            st.altair_chart(vega.matrix_chart(f"{name} · channel {ch + 1}", grid, role=role, highlight=hl,
                                              marks=marks, selectable=False,
                                              cell_size=None if is_symbolic(grid) else 34),
                            width="content", key=f"{key}.{ch}")


def map_step(ns: str, step: Step, k: int, n_steps: int, shape: tuple) -> None:
    """A step that gives the map ``shape`` (C, H, W): its title, its grids and its caption."""
    st.subheader(f"Step {k + 1} of {n_steps}: {step.title}", anchor=False)
    feature_maps(step.name, step.result, shape, f"{ns}.step{k}.maps",
                 role="input" if step.name.startswith("x") else "computed")
    controls.step_caption(step)

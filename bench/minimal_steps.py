"""Baseline for stepping in bench/rows_browser.py: a minimal page with Previous / Next and a step title."""

import streamlit as st

TITLES = ["Given", "Arrange", "Multiply", "Apply ReLU"]
st.session_state.setdefault("k", 3)


def go(delta: int) -> None:
    st.session_state.k = min(max(st.session_state.k + delta, 1), len(TITLES))


st.button("Previous", on_click=go, args=(-1,))
st.button("Next", on_click=go, args=(1,), type="primary")
st.subheader(f"Step {st.session_state.k} of {len(TITLES)}: {TITLES[st.session_state.k - 1]}", anchor=False)

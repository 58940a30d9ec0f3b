"""Baseline for bench/rows_pages.py: a minimal one-widget page (a 3×3 data editor and its sum)."""

import pandas as pd
import streamlit as st

edited = st.data_editor(pd.DataFrame([["1", "2", "0"], ["0", "1", "1"], ["2", "-1", "1"]],
                                     columns=["1", "2", "3"]), key="minimal_editor", num_rows="fixed")
total = sum(float(v) for v in edited.to_numpy().ravel() if str(v).strip().lstrip("-").isdigit())
st.markdown(f"**Sum: {total:g}**")

"""The PyTorch check panel: the same weights in real torch layers, torch's output beside ours.

torch is imported only when the check runs (through ``byhand.reference``); without torch the
panel says how to install it. The check is cached by the walkthrough's inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from .. import reference
from ..numbers import fmt
from ..reference import INSTALL_HINT, Check, check_against_torch
from ..walkthrough import Walkthrough

__all__ = ["torch_panel", "run_check", "check_table", "verdict"]


def check_table(m: np.ndarray, decimals: int) -> pd.DataFrame:
    """A matrix as a table of printed values, rows and columns labelled 1, 2, …"""
    m = np.asarray(m)
    return pd.DataFrame([[fmt(v, decimals) for v in row] for row in m],
                        index=[str(i + 1) for i in range(m.shape[0])],
                        columns=[str(j + 1) for j in range(m.shape[1])])


def verdict(check: Check) -> str:
    """``✓ agree`` or ``✗ differ`` with the largest difference, in words."""
    if check.ok and check.max_diff == 0:
        return "✓ PyTorch agrees exactly: max |ours − PyTorch| = 0."
    if check.ok:
        return f"✓ PyTorch agrees: max |ours − PyTorch| = {check.max_diff:.2g} (float rounding only)."
    return f"✗ PyTorch differs: max |ours − PyTorch| = {check.max_diff:.3g}."


@st.cache_data(show_spinner="Running the same weights through PyTorch…", max_entries=32)
def _check(_wt: Walkthrough, key: str) -> Check:
    return check_against_torch(_wt)


def run_check(wt: Walkthrough, key: str) -> Check | None:
    """The cached PyTorch check of ``wt`` (``key`` identifies its inputs), or None after saying why not.

    Without torch: a note with the install command; a broken install: a warning.
    """
    if not reference.torch_available():  # looked up on the module, so one patch reaches every page
        st.info(f"PyTorch is not installed, so this check cannot run. Install the CPU build with "
                f"`{INSTALL_HINT}` and reload the page. Everything else works without it.")
        return None
    try:
        return _check(wt, key)
    except (ImportError, OSError) as e:  # a broken torch install
        st.warning(f"PyTorch could not be loaded ({type(e).__name__}). Install it with `{INSTALL_HINT}`.")
        return None


def torch_panel(wt: Walkthrough, key: str, *, decimals: int = 4) -> None:
    """Our output beside torch's, max |difference| and ✓ or ✗; ``key`` identifies ``wt``'s inputs."""
    check = run_check(wt, key)
    if check is None:
        return
    st.caption(f"PyTorch computes the same block with {check.what}"
               + ("." if "float64" in check.what else ", in float64."))
    ours, theirs = st.columns(2)
    with ours:
        st.markdown("**Ours, by hand**")
        st.table(check_table(wt.output, decimals))
    with theirs:
        st.markdown("**PyTorch**")
        st.table(check_table(check.torch, decimals))
    (st.success if check.ok else st.error)(verdict(check))

"""ByHand: deep-learning blocks worked out by hand. Run with ``streamlit run app.py``.

The pages come from the block registry (``byhand.ui.site``): home, a page per block, practice.
"""

import streamlit as st

from byhand.ui.site import navigation

# Constant CSS only: less empty space above the title, so that a whole step fits a 1280 × 800
# projector; a drawing wider than the page (a big im2col) scrolls sideways instead of being cut off.
COMPACT = ("<style>[data-testid='stMainBlockContainer'] {padding-top: 2.5rem;}"
           "[data-testid='stElementContainer']:has([data-testid='stVegaLiteChart']) {overflow-x: auto;}"
           "</style>")

st.set_page_config(page_title="ByHand", page_icon=":material/calculate:", layout="wide")
st.html(COMPACT)
st.navigation(navigation()).run()

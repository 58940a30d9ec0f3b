"""ByHand: deep-learning blocks worked out by hand. Run with ``streamlit run app.py``."""

from pathlib import Path

import streamlit as st

ROOT = Path(__file__).parent

# (section, page file, title, icon), in the sidebar's order.
PAGES = (
    ("Start", "app_pages/home.py", "Home", ":material/home:"),
    ("Walkthroughs", "app_pages/residual_block.py", "Residual block", ":material/add_circle:"),
    ("Walkthroughs", "app_pages/encoder_block.py", "Transformer encoder block", ":material/shuffle:"),
    ("Walkthroughs", "app_pages/conv_block.py", "Convolutional ResNet block", ":material/grid_on:"),
    ("Why & practice", "app_pages/why_residual.py", "Why residuals work", ":material/trending_down:"),
    ("Why & practice", "app_pages/practice.py", "Practice", ":material/edit_note:"),
)


def navigation() -> dict[str, list]:
    """The sidebar's sections with their pages."""
    sections: dict[str, list] = {}
    for section, path, title, icon in PAGES:
        sections.setdefault(section, []).append(
            st.Page(path, title=title, icon=icon, default=path == "app_pages/home.py"))
    return sections


# Constant CSS only: less empty space above the title, so that a whole step fits a 1280 × 800
# projector; a drawing wider than the page (a big im2col) scrolls sideways instead of being cut off.
COMPACT = ("<style>[data-testid='stMainBlockContainer'] {padding-top: 2.5rem;}"
           "[data-testid='stElementContainer']:has([data-testid='stVegaLiteChart']) {overflow-x: auto;}"
           "</style>")

st.set_page_config(page_title="ByHand", page_icon=":material/calculate:", layout="wide")
st.html(COMPACT)
st.navigation(navigation()).run()

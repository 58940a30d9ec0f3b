"""ByHand: deep-learning blocks worked out by hand. Run with ``streamlit run app.py``.

The pages come from the block registry (``byhand.ui.site``): home, a page per block, practice.
"""

from pathlib import Path

import streamlit as st

from byhand.ui.controls import PRESENT
from byhand.ui.site import navigation

# Constant CSS only: less empty space above the title and at the sides, so that a whole step fits a
# 1280 × 800 projector; a drawing wider than the page scrolls sideways instead of being cut off.
COMPACT = ("<style>[data-testid='stMainBlockContainer'] {padding: 2.5rem 3rem 4rem;}"
           "[data-testid='stElementContainer']:has([data-testid='stVegaLiteChart']) {overflow-x: auto;}"
           "</style>")

HERE = Path(__file__).resolve().parent
st.set_page_config(page_title="ByHand", page_icon=":material/calculate:", layout="wide")
st.html(COMPACT)
if PRESENT not in st.session_state:  # a link with present=1 opens in presentation mode
    st.session_state[PRESENT] = st.query_params.get("present") == "1"
sections = navigation()
sections["Classroom"] = [  # a class's assignments: the student's page and the teacher's
    st.Page(HERE / "app_pages/class_student.py", title="Join a class", icon=":material/school:",
            url_path="class"),
    st.Page(HERE / "app_pages/class_teacher.py", title="Teach a class", icon=":material/co_present:",
            url_path="teacher"),
]
sections["Walkthroughs"].append(  # your own PyTorch model (issue 13): no block of the registry
    st.Page(HERE / "app_pages/your_model.py", title="Your model", icon=":material/model_training:",
            url_path="your_model"))
st.navigation(sections).run()

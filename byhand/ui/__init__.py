"""The Streamlit side of ByHand: widgets, the step player and share links (the drawing itself is
``byhand.render.vega``); the one place in byhand/ that imports streamlit."""

"""The Streamlit side of ByHand: the by-hand drawing and shared widgets (may import streamlit)."""

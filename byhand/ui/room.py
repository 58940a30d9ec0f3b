"""The class pages' shared classroom (``byhand.classroom.shared``), opened the same way on both."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from ..classroom import Classroom, shared

__all__ = ["DB_DOWN", "open_room"]

DB_DOWN = "The class database cannot be reached just now: try again in a moment."


def open_room() -> Classroom:
    """The app's classroom; when its database is down or its URL wrong, a message (not a traceback) and
    the page stops."""
    try:
        return shared()
    except SQLAlchemyError:
        st.error(DB_DOWN, icon=":material/cloud_off:")
        st.stop()

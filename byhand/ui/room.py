"""The class pages' shared classroom (``byhand.classroom.shared``), opened the same way on both."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from ..classroom import Classroom, shared
from ..numbers import ByHandError

__all__ = ["DB_DOWN", "open_room", "ask_room"]

DB_DOWN = "The class database cannot be reached just now: try again in a moment."


def open_room() -> Classroom:
    """The app's classroom; when its database is down or its URL wrong, a message (not a traceback) and
    the page stops."""
    try:
        return shared()
    except SQLAlchemyError:
        st.error(DB_DOWN, icon=":material/cloud_off:")
        st.stop()


def ask_room(ns: str, call):
    """``(True, call())`` with the page's error (``{ns}.error``) cleared; ``(False, None)`` when the
    classroom refuses (its message kept as the error) or its database cannot be reached (``DB_DOWN``)."""
    ss = st.session_state
    try:
        out = call()
    except (ByHandError, SQLAlchemyError) as e:
        ss[f"{ns}.error"] = str(e) if isinstance(e, ByHandError) else DB_DOWN
        return False, None
    ss.pop(f"{ns}.error", None)
    return True, out

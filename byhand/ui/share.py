"""The shareable link of a page: restore the page's example from it once, keep the step shown in it.

Reading and writing a link's keys is pure and lives in ``byhand.example``; this module is the
streamlit side: ``st.query_params`` and session state.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ..example import ExampleSpec, read_example, read_step
from ..walkthrough import Step, Walkthrough
from . import controls
from .editors import set_example

__all__ = ["restore_once", "link_messages", "sync_url", "linked_player"]


def sync_url(params: dict[str, str]) -> None:
    """Make the page's query string exactly ``params`` (written only when it changed)."""
    current = {k: st.query_params.get(k) for k in st.query_params}
    if current != params:
        st.query_params.from_dict(params)


def restore_once(spec: ExampleSpec, read_extra=None, use_link: bool = True) -> list[str]:
    """On a page's first run in a session, set its example (and step) from the link, checked.

    ``read_extra(params, messages)`` reads the page's own keys (variant, …) into session state.
    ``use_link=False``: start from the default example (the link was made for another variant).
    Returns the messages about the link (also kept in ``{ns}.link_messages`` until the example
    changes); later runs return them without reading the link again.
    """
    ss, ns = st.session_state, spec.ns
    if f"{ns}.base" in ss:
        return link_messages(spec)
    params = {k: st.query_params.get(k) for k in st.query_params} if use_link else {}
    found, messages = read_example(params, spec)
    set_example(spec, found["seed"], found["sizes"], found["base"])
    if "step" in params or f"{ns}.step" not in ss:
        ss[f"{ns}.step"] = read_step(params, messages)
    if read_extra is not None:
        read_extra(params, messages)
    ss[f"{ns}.link_messages"] = (messages, ss[f"{ns}.base"])  # the link's symbols (formula=) may show
    return messages


def link_messages(spec: ExampleSpec) -> list[str]:
    """The link's messages while its example is still the one shown (dropped once it changes)."""
    kept = st.session_state.get(f"{spec.ns}.link_messages")
    if not kept or kept[1] is not st.session_state.get(f"{spec.ns}.base"):
        return []
    return kept[0]


def linked_player(ns: str, wt: Walkthrough, url: dict[str, str], *, decimals: int = 3,
                  render: Callable[[Step, int], None] | None = None) -> None:
    """The step player over ``wt``, the step shown kept in the link (``url`` plus ``step``).

    Each step is drawn by ``controls.step_view`` unless the page gives its own ``render(step, k)``.
    """
    def show(step: Step, k: int) -> None:
        if render is None:
            controls.step_view(ns, step, k, len(wt.steps), decimals=decimals)
        else:
            render(step, k)
        sync_url({**url, "step": str(k + 1), **({"present": "1"} if controls.presenting() else {})})

    controls.step_player(ns, wt, show)

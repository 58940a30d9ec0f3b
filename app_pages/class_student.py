"""Join a class: the join code and a display name, then the exercise worked as on Practice (step checks,
graded hints that the teacher sees counted, named misconceptions) and submitted; resubmit until due.

The student's token is in the link (``?student=…``), so a reload or a bookmark comes back to the same
work; a link from the teacher (``?join=CODE``) fills in the code. A name is only ever shown with
``st.text`` (plain text); messages are ours, escaped anyway.
"""

from functools import partial

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from byhand.numbers import ByHandError
from byhand.ui.editors import md_escape
from byhand.ui.exercise import answer_editors, check_and_hints, step_drawing
from byhand.ui.room import DB_DOWN, ask_room, open_room

NS = "class"
ss = st.session_state
room = open_room()


def client() -> str:
    """Who is asking, for the join rate limit (kept only as a salted hash, pruned after a minute): the
    address our proxy saw (the last X-Forwarded-For entry, which HAProxy appends) and the connection's."""
    try:
        forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[-1].strip()
        return f"{forwarded[:64]}|{st.context.ip_address or ''}"
    except Exception:  # noqa: BLE001 — no request outside a browser session (tests)
        return ""


def from_link() -> None:
    """Once per session: the token in the link (come back to your work) or the join code to fill in."""
    if f"{NS}.token" in ss or f"{NS}.linked" in ss:
        return
    ss[f"{NS}.linked"] = True
    token = st.query_params.get("student")
    if token:
        try:
            room.progress(token)
            ss[f"{NS}.token"] = token
        except ByHandError as e:
            ss[f"{NS}.error"] = str(e)
    code = st.query_params.get("join")
    if code:
        ss[f"{NS}.code"] = str(code)[:40]


def join() -> None:
    ok, token = ask_room(NS, lambda: room.join(ss.get(f"{NS}.code", ""), ss.get(f"{NS}.name", ""),
                                                client=client()))
    if ok:
        ss[f"{NS}.token"] = token


def leave() -> None:
    for k in [k for k in ss if str(k).startswith(f"{NS}.")]:
        del ss[k]
    ss[f"{NS}.linked"] = True
    st.query_params.clear()


def join_form() -> None:
    st.title("Join a class")
    st.markdown("Type the code your teacher gave you and the name your teacher will see. "
                "No account and no email: the name is all that is kept.")
    st.text_input("Join code", key=f"{NS}.code", max_chars=40, placeholder="ABCD-EFGH")
    st.text_input("Your name", key=f"{NS}.name", max_chars=40, placeholder="a first name is enough")
    st.button("Join", key=f"{NS}.join", type="primary", on_click=join, icon=":material/login:")
    if f"{NS}.error" in ss:
        st.error(md_escape(ss[f"{NS}.error"]), icon=":material/error:")


def ask_hint(token: str, key: tuple, levels: int) -> None:
    try:
        room.hint(token, key)  # recorded by the server: it counts in the score the teacher sees
    except ByHandError as e:
        ss[f"{NS}.error"] = str(e)
    except SQLAlchemyError:
        ss[f"{NS}.error"] = DB_DOWN


def step_panel(ex, k: int, token: str, typed: dict, hints: dict) -> None:
    """Step k's Check (the student's own numbers carried forward, checked by the class database, which
    records it for the live class) and its graded hints (counted there too)."""
    flag = f"{NS}.checked.{k}"
    typed_ok = {key: v for key, v in typed.items() if v}
    check = None
    try:
        check = room.check_step(token, typed_ok, k) if ss.get(flag) else None
    except ByHandError as e:  # an answer too long to check
        st.error(md_escape(e), icon=":material/error:")
    check_and_hints(ex, k, NS, flag, check, typed_ok, hints, partial(ask_hint, token),
                    "Each hint level counts in the score your teacher sees.")


def submitted(score) -> str:
    """What a submission's score says: right, wrong, not a number, empty, and the hints counted."""
    bits = [f"{score.correct} of {score.total} cells right"]
    for status, words in (("wrong", "wrong"), ("invalid", "not a number"), ("empty", "not filled in")):
        if score.count(status):
            bits.append(f"{score.count(status)} {words}")
    used = score.hints_used
    return (f"Submitted: {', '.join(bits)}; {used} hint level{'s' * (used != 1)} used. "
            "Your teacher sees this submission.")


def exercise_page(token: str) -> None:
    try:
        progress, ex = room.progress(token), room.exercise(token)
    except ByHandError as e:
        st.error(md_escape(e), icon=":material/error:")
        st.button("Join with a code", key=f"{NS}.leave", on_click=leave)
        return
    if st.query_params.get("student") != token:
        st.query_params.clear()
        st.query_params["student"] = token
    st.title("Your assignment")
    st.text(f"Name: {progress.name}")  # plain text, whatever the name holds
    until = f" until {progress.due:%Y-%m-%d %H:%M} UTC" if progress.due else ""
    st.caption(f"Exercise `{progress.code}` · {len(ex.cells)} cells to fill in. You may submit again{until}: "
               "your latest submission counts. Your teacher sees your submissions, and which cells each "
               "Check finds right (not what you typed). Keep this page's link to come back to your work.")
    # the editors' first values: the latest check's answers if newer than the latest submission
    start = ss.setdefault(f"{NS}.start.{ex.code}", dict(progress.draft or progress.answers))
    hints = room.hints(token)
    typed: dict = {}
    for k in range(len(ex.walkthrough.steps)):
        step_drawing(ex, k, typed, hints, tooltips=False)
        typed.update(answer_editors(ex, k, f"{NS}.{ex.code}.{k}", start))
        if ex.cells_of(k):
            step_panel(ex, k, token, typed, hints)
    st.divider()
    if st.button("Submit to my teacher", key=f"{NS}.submit", type="primary", icon=":material/send:"):
        try:
            score = room.submit(token, {key: v for key, v in typed.items() if v})
            ss[f"{NS}.result"] = ("ok", submitted(score))
        except ByHandError as e:
            ss[f"{NS}.result"] = ("error", str(e))
    kind, said = ss.get(f"{NS}.result", (None, ""))
    if kind == "error":
        st.error(md_escape(said), icon=":material/error:")
    elif kind == "ok":
        st.success(said, icon=":material/task_alt:")
    elif progress.submitted_at:
        st.info(f"Your latest submission ({progress.submitted_at:%H:%M} UTC): {progress.correct} of "
                f"{progress.total} right.", icon=":material/history:")
    st.button("Leave (join another class)", key=f"{NS}.leave", on_click=leave, icon=":material/logout:")


try:
    from_link()
    if f"{NS}.token" in ss:
        exercise_page(ss[f"{NS}.token"])
    else:
        join_form()
except SQLAlchemyError:
    st.error(DB_DOWN, icon=":material/cloud_off:")

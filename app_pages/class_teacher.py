"""Teach a class: create an assignment (block, sizes, blank cells, one variant per student or one shared
example, a due time), share its join code and link, and follow the class: the gradebook, a heatmap of
the cells the class got wrong on a chosen step, the most common named misconception, a CSV of the grades.

The private teacher link (``?teacher=…``) is the only way back to the dashboard: the secret is stored
as a hash only. Names are shown with ``st.dataframe`` (plain text), never as markdown.
"""

import secrets
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from byhand.blocks import BLOCKS
from byhand.numbers import ByHandError
from byhand.render import palette, vega
from byhand.ui.editors import md_escape
from byhand.ui.room import DB_DOWN, ask_room, open_room

NS = "teach"
BOOK = ["Name", "Score", "Hints used", "Submitted (UTC)", "Submissions", "Last check"]  # gradebook columns
MODES = {"all": "Every cell", "last": "Last step", "share:0.5": "Half the cells"}
ss = st.session_state
room = open_room()


def base_url() -> str:
    """The app's address (without the page), for the links to share; empty when unknown."""
    try:
        url = st.context.url or ""
    except Exception:  # noqa: BLE001 — no URL outside a browser session (tests)
        url = ""
    parts = urlsplit(url)
    if not parts.scheme:
        return ""
    return f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}"


def local_zone() -> ZoneInfo:
    try:
        return ZoneInfo(st.context.timezone or "UTC")
    except Exception:  # noqa: BLE001 — an unknown zone name, or none: UTC
        return ZoneInfo("UTC")


def open_secret(secret: str) -> None:
    """Show the dashboard of a secret, or say the link is not valid."""
    if ask_room(NS, lambda: room.assignment(secret))[0]:
        ss[f"{NS}.secret"] = secret


def from_link() -> None:
    if f"{NS}.linked" in ss:
        return
    ss[f"{NS}.linked"] = True
    secret = st.query_params.get("teacher")
    if secret:
        open_secret(secret)


def open_pasted() -> None:
    """The "Open" button: a pasted teacher link, or the secret alone."""
    text = str(ss.get(f"{NS}.pasted") or "").strip()[:300]
    found = parse_qs(urlsplit(text).query).get("teacher")
    open_secret(found[0] if found else text)


def create() -> None:
    block = ss[f"{NS}.block"]
    sizes = {s.name: ss[f"{NS}.size.{block}.{s.name}"] for s in BLOCKS[block].sizes}
    due = None
    if ss.get(f"{NS}.has_due"):
        local = datetime.combine(ss[f"{NS}.due_date"], ss[f"{NS}.due_time"], tzinfo=local_zone())
        due = local.astimezone(timezone.utc)
    ok, made = ask_room(NS, lambda: room.create_assignment(
        block, secrets.randbelow(1_000_000), sizes, blank=ss[f"{NS}.blank"] or "all",
        per_student=bool(ss[f"{NS}.per_student"]), due=due))
    if ok:
        ss[f"{NS}.new"], ss[f"{NS}.secret"] = made


def create_form() -> None:
    st.title("Teach a class")
    st.markdown("Create an assignment: your students join with a code and a name (no accounts), work it "
                "with step checks and hints, and submit. You follow their scores and mistakes here.")
    if f"{NS}.error" in ss:
        st.error(md_escape(ss[f"{NS}.error"]), icon=":material/error:")
    with st.container(border=True):
        c_block, c_mode = st.columns(2)
        block = c_block.selectbox("Block", list(BLOCKS), format_func=lambda b: BLOCKS[b].label,
                                  key=f"{NS}.block")
        ss.setdefault(f"{NS}.blank", "all")
        c_mode.segmented_control("Blank cells", list(MODES), format_func=MODES.get, key=f"{NS}.blank")
        sizes = BLOCKS[block].sizes
        for col, size in zip(st.columns(len(sizes)), sizes):
            key = f"{NS}.size.{block}.{size.name}"
            ss.setdefault(key, size.default)
            col.number_input(size.name.capitalize(), min_value=size.low, max_value=size.high, step=1, key=key,
                             help=size.label)
        ss.setdefault(f"{NS}.per_student", True)
        st.toggle("A different example for each student (seeded variants)", key=f"{NS}.per_student")
        c_due, c_date, c_time = st.columns([2, 2, 2], vertical_alignment="bottom")
        has_due = c_due.toggle("Due time", key=f"{NS}.has_due")
        now = datetime.now(local_zone())
        ss.setdefault(f"{NS}.due_date", now.date())
        ss.setdefault(f"{NS}.due_time", now.replace(minute=0, second=0, microsecond=0).time())
        c_date.date_input("Date", key=f"{NS}.due_date", disabled=not has_due)
        c_time.time_input("Time", key=f"{NS}.due_time", disabled=not has_due)
        st.button("Create the assignment", key=f"{NS}.create", type="primary", on_click=create,
                  icon=":material/add_task:")
    with st.expander("Back to a class: paste your teacher link", icon=":material/key:"):
        st.text_input("Teacher link", key=f"{NS}.pasted", type="password", max_chars=300)
        st.button("Open", key=f"{NS}.open", on_click=open_pasted)


def links(info, secret: str) -> None:
    base = base_url()
    st.markdown("**For your students** — the join code, or the link that fills it in:")
    c_code, c_link = st.columns([1, 3])
    c_code.code(f"{info.join_code[:4]}-{info.join_code[4:]}", language=None)
    c_link.code(f"{base}/class?join={info.join_code}", language=None)
    st.markdown("**For you only** — your private teacher link (keep it: it is the only way back here):")
    st.code(f"{base}/teacher?teacher={secret}", language=None)


def heat_frame(counts, submitted: int) -> pd.DataFrame:
    m, n = counts.shape
    return pd.DataFrame([[f"{counts[i, j]}/{submitted}" for j in range(n)] for i in range(m)],
                        columns=[str(j + 1) for j in range(n)], index=[str(i + 1) for i in range(m)])


def heat_colour(counts, submitted: int):
    """The styler of a heat table: the larger the share of the class that got a cell wrong, the redder."""

    def fill(share: float) -> str:
        return f"background-color: {palette.mix(palette.HIGHLIGHT, palette.WHITE, 1 - 0.7 * share)}"

    def colour(frame: pd.DataFrame) -> pd.DataFrame:
        share = counts / max(submitted, 1)
        return pd.DataFrame([[fill(s) if s > 0 else "" for s in row] for row in share], index=frame.index,
                            columns=frame.columns)

    return colour


def dashboard(secret: str, live: bool) -> None:
    """The class's numbers (a fragment: in live mode it reruns on its own, outside the page's try)."""
    try:
        class_numbers(secret, live)
    except SQLAlchemyError:
        st.error(DB_DOWN, icon=":material/cloud_off:")


def class_numbers(secret: str, live: bool) -> None:
    try:
        info = room.assignment(secret)
        rows = room.gradebook(secret)
    except ByHandError as e:
        st.error(md_escape(e), icon=":material/error:")
        return
    ex = room.answer_key(secret)
    c_students, c_submitted = st.columns(2)
    c_students.metric("Students joined", info.students)
    c_submitted.metric("Submitted", sum(r.submitted_at is not None for r in rows))
    st.subheader("Gradebook", anchor=False)
    frame = pd.DataFrame([{"Name": r.name, "Score": f"{r.correct} / {r.total}", "Hints used": r.hints_used,
                           "Submitted (UTC)": r.submitted_at.strftime("%H:%M:%S") if r.submitted_at else "—",
                           "Submissions": r.submissions,
                           "Last check": "—" if r.checked is None else
                           f"{r.checked} right at {r.checked_at:%H:%M:%S}"} for r in rows],
                         columns=BOOK)
    st.dataframe(frame, hide_index=True, key=f"{NS}.gradebook")  # names as plain text
    st.download_button("Grades (CSV)", data=room.grades_csv(secret), file_name=f"grades-{info.join_code}.csv",
                       mime="text/csv", key=f"{NS}.csv", on_click="ignore", icon=":material/download:")
    st.subheader("Where the class goes wrong", anchor=False)
    common = room.common_misconception(secret)
    if common is None:
        st.caption("No named misconception in the submissions yet.")
    else:
        st.warning(md_escape(f"Most common mistake: {common.name} ({common.students} student"
                             f"{'s' * (common.students != 1)}, {common.cells} cells). {common.right_idea}"),
                   icon=":material/psychology:")
    steps = [k for k in range(len(ex.walkthrough.steps)) if ex.cells_of(k)]
    k = st.selectbox("Step", steps, key=f"{NS}.step",
                     format_func=lambda k: f"Step {k + 1}: {ex.walkthrough.steps[k].title}")
    heat = room.heatmap(secret, k, live=live)
    light = {(region, i, j) for region, counts in heat.wrong.items() for i, j in zip(*counts.nonzero())}
    st.altair_chart(vega.step_chart(ex.walkthrough.steps[k], light=light, tooltips=False), width="content")
    counted = "students (their latest check or submission)" if live else "submissions"
    st.caption(f"Lit: the cells that at least one of the {heat.students} {counted} got wrong. "
               "The tables count them. A variant per student: the drawing shows the first variant's numbers.")
    for col, (region, counts) in zip(st.columns(max(2, len(heat.wrong))), heat.wrong.items()):
        step = ex.walkthrough.steps[k]
        col.markdown(f"**{md_escape(step.name if region == 'result' else step.product_name or step.name)}**")
        table = heat_frame(counts, heat.students).style.apply(heat_colour(counts, heat.students), axis=None)
        col.dataframe(table, key=f"{NS}.heat.{region}")


def delete(secret: str) -> None:
    try:
        room.delete(secret)
    except ByHandError as e:
        ss[f"{NS}.error"] = str(e)
    except SQLAlchemyError:  # nothing was deleted: keep the class (and its link) on screen
        ss[f"{NS}.error"] = DB_DOWN
        return
    for key in (f"{NS}.secret", f"{NS}.new"):
        ss.pop(key, None)
    st.query_params.clear()


def class_page(secret: str) -> None:
    if st.query_params.get("teacher") != secret:
        st.query_params.clear()
        st.query_params["teacher"] = secret
    try:
        info = room.assignment(secret)
    except ByHandError as e:
        st.error(md_escape(e), icon=":material/error:")
        return
    st.title("Your class")
    if f"{NS}.error" in ss:  # a delete that could not be done
        st.error(md_escape(ss.pop(f"{NS}.error")), icon=":material/error:")
    due = f" · due {info.due.astimezone(local_zone()):%Y-%m-%d %H:%M}" if info.due else ""
    variants = "a variant per student" if info.per_student else "one shared example"
    st.caption(f"Exercise `{info.code}` · {variants}{due}")
    links(info, secret)
    live = st.toggle("Live class: refresh every 5 seconds, and count each student's latest step check",
                     key=f"{NS}.live", help="Project a step: as students press Check this step on their "
                     "phones, the heatmap fills in.")
    st.fragment(dashboard, run_every=5 if live else None)(secret, live)
    with st.expander("Delete this assignment", icon=":material/delete:"):
        sure = st.checkbox("Delete every student's name, answers and score, for good", key=f"{NS}.sure")
        st.button("Delete", key=f"{NS}.delete", disabled=not sure, on_click=delete, args=(secret,))
    st.button("Create another assignment", key=f"{NS}.another", on_click=lambda: (
        ss.pop(f"{NS}.secret", None), st.query_params.clear()))


try:
    from_link()
    if f"{NS}.secret" in ss:
        class_page(ss[f"{NS}.secret"])
    else:
        create_form()
except SQLAlchemyError:
    st.error(DB_DOWN, icon=":material/cloud_off:")

"""Practice by hand: fill in the blank cells of a seeded exercise, check them, get hints, download sheets.

The exercise's code (block/seed/sizes/range/blank mode) is in the link (``?ex=residual/42``) and
on every printed sheet, so an exercise can be shared, reopened, or typed in from paper; a code
that cannot be read gives a message and the default exercise. Typed answers live in keyed data
editors, one per blank matrix. Each step has its own Check (the learner's numbers carried
forward) and graded hints, asked for one level at a time and counted in the score
(``{NS}.{code}.hints``: cell key → the highest level shown).
"""

import secrets
from functools import partial

import pandas as pd
import streamlit as st

from byhand.blocks import BLOCKS
from byhand.numbers import ByHandError, quote
from byhand.practice import SYMBOL_BLOCKS, SYMBOLS, ExerciseSpec, check_answers, check_step
from byhand.render import palette
from byhand.ui.editors import md_escape
from byhand.ui.exercise import answer_editors, check_and_hints, step_drawing

NS = "practice"
DEFAULT = ExerciseSpec("residual", 1)
MAX_LINK_LEN = 200
MODES = {"all": "Every cell", "last": "Last step", "share": "Random share"}  # short: they fit 1280 px
MARK = {"correct": "✓", "wrong": "✗", "consistent": "≈", "invalid": "?", "empty": "·"}
ss = st.session_state


@st.cache_resource(max_entries=64, show_spinner=False)
def exercise(code: str):
    """The exercise of a code (immutable, so one copy serves every session)."""
    return ExerciseSpec.parse(code).exercise()


def show_exercise_controls(spec: ExerciseSpec) -> None:
    """Point the difficulty controls at an exercise (before they are drawn, or in a callback)."""
    ss[f"{NS}.block"] = spec.block
    for name, v in spec.sizes.items():
        ss[f"{NS}.size.{spec.block}.{name}"] = v
    ss[f"{NS}.high"] = min(max(abs(spec.low), abs(spec.high), 1), 9)
    ss[f"{NS}.negatives"] = spec.low < 0
    ss[f"{NS}.symbols"] = spec.symbols
    mode = spec.blank.split(":")[0]
    ss[f"{NS}.blank"] = mode
    if mode == "share":
        ss[f"{NS}.share"] = min(max(round(float(spec.blank.split(":")[1]), 1), 0.1), 0.9)


def open_exercise(spec: ExerciseSpec) -> None:
    ss[f"{NS}.code"] = spec.code
    ss[f"{NS}.checked"] = False
    show_exercise_controls(spec)


def from_link() -> None:
    """Once per session: the exercise in the link, or the default one with a message."""
    if f"{NS}.code" in ss:
        if f"{NS}.block" not in ss:  # widget state is dropped while another page is shown
            show_exercise_controls(ExerciseSpec.parse(ss[f"{NS}.code"]))
        return
    raw = st.query_params.get("ex")
    spec = DEFAULT
    if raw is not None:
        try:
            if len(raw) > MAX_LINK_LEN:
                raise ByHandError(f"it is {len(raw)} characters long.")
            spec = ExerciseSpec.parse(raw)
        except ByHandError as e:
            ss[f"{NS}.link_error"] = (f"The exercise in the link ({quote(raw)}) cannot be read: {e} "
                                      f"Showing the exercise {DEFAULT.code} instead.")
    open_exercise(spec)


def open_typed_code() -> None:
    """The "Open" button: the exercise whose code the learner typed from a printed sheet."""
    text = str(ss.get(f"{NS}.typed_code") or "").strip()[:MAX_LINK_LEN + 1]
    try:
        if len(text) > MAX_LINK_LEN:
            raise ByHandError(f"it is longer than {MAX_LINK_LEN} characters.")
        spec = ExerciseSpec.parse(text)
    except ByHandError as e:
        ss[f"{NS}.error"] = f"The code {quote(text)} cannot be read: {e}"
        return
    ss.pop(f"{NS}.error", None)
    open_exercise(spec)


def new_exercise() -> None:
    """The "New exercise" button: the chosen block and difficulty with a fresh seed."""
    ss.pop(f"{NS}.error", None)
    block = ss[f"{NS}.block"]
    high = ss[f"{NS}.high"]
    mode = ss[f"{NS}.blank"] or "all"
    try:
        sizes = {s.name: ss.get(f"{NS}.size.{block}.{s.name}", s.default) for s in BLOCKS[block].sizes}
        if not isinstance(high, int) or not 1 <= high <= 9:
            raise ByHandError(f"the largest value must be a whole number from 1 to 9, not {quote(high)}.")
        spec = ExerciseSpec(block, secrets.randbelow(1_000_000), sizes, -high if ss[f"{NS}.negatives"] else 0,
                            high, mode if mode != "share" else f"share:{ss[f'{NS}.share']}",
                            ss.get(f"{NS}.symbols") or "")
    except ByHandError as e:
        ss[f"{NS}.error"] = str(e)
        return
    open_exercise(spec)


def difficulty_controls() -> None:
    c_block, c_mode, c_share = st.columns([2, 2, 1])
    block = c_block.selectbox("Block", list(BLOCKS), format_func=lambda b: BLOCKS[b].label,
                              key=f"{NS}.block")
    c_mode.segmented_control("Blank cells", list(MODES), format_func=MODES.get, key=f"{NS}.blank")
    ss.setdefault(f"{NS}.share", 0.5)
    c_share.slider("Share", 0.1, 0.9, step=0.1, key=f"{NS}.share", disabled=ss.get(f"{NS}.blank") != "share")
    sizes = BLOCKS[block].sizes
    cols = st.columns(len(sizes) + 2)
    for col, size in zip(cols, sizes):
        key = f"{NS}.size.{block}.{size.name}"
        if key not in ss:
            ss[key] = size.default
        col.number_input(size.name.capitalize(), min_value=1, step=1, key=key,
                         help=f"{size.label}: from {size.low} to {size.high}")
    cols[-2].number_input("Largest value", min_value=1, step=1, key=f"{NS}.high",
                          help="Random values lie within ± this (1 to 9)")
    cols[-1].checkbox("Negative values", key=f"{NS}.negatives")
    c_new, c_sym, c_code, c_open = st.columns([2, 2, 3, 1], vertical_alignment="bottom")
    c_new.button("New exercise", key=f"{NS}.new", on_click=new_exercise, type="primary",
                 icon=":material/casino:")
    symbolic = block in SYMBOL_BLOCKS
    if not symbolic:
        ss[f"{NS}.symbols"] = ""
    c_sym.selectbox("Symbols", list(SYMBOLS), format_func=SYMBOLS.get, key=f"{NS}.symbols",
                    disabled=not symbolic,
                    help="Answer with expressions such as 2*x11 + b1: the input, or every matrix, as symbols "
                    "in its own letter. Keep the sizes small (1 or 2)." if symbolic else
                    "This block works with numbers only.")
    c_code.text_input("Exercise code from a printed sheet", key=f"{NS}.typed_code", placeholder="residual/7",
                      help="Every worksheet shows its code: type it to check the answers worked on paper.")
    c_open.button("Open", key=f"{NS}.open", on_click=open_typed_code, icon=":material/input:")
    if f"{NS}.error" in ss:
        st.error(f"{md_escape(ss[f'{NS}.error'])}  \nThe current exercise stays.", icon=":material/error:")


def marks_frame(values, cells, verdicts: dict) -> pd.DataFrame:
    """✓ / ✗ / ≈ (consistent with the learner's own earlier numbers) / ? / · per blank cell."""
    m, n = values.shape
    grid = [[""] * n for _ in range(m)]
    for c in cells:
        grid[c.row][c.col] = MARK[verdicts[c.key].status]
    return pd.DataFrame(grid, columns=[str(j + 1) for j in range(n)], index=[str(i + 1) for i in range(m)])


def colour(v: str) -> str:
    fill = {"✓": palette.STATUS_FILLS["CORRECT"], "✗": palette.STATUS_FILLS["INCORRECT"],
            "≈": palette.HIGHLIGHT_FILL, "?": palette.HIGHLIGHT_FILL}.get(v)
    return f"background-color: {fill}" if fill else ""


def _more_hint(key: str, cell_key: tuple, levels: int) -> None:
    hints = ss[key]
    hints[cell_key] = min(hints.get(cell_key, 0) + 1, levels)


def step_check_panel(ex, k: int, code: str, typed: dict, hints: dict) -> None:
    """This step's Check (the learner's own earlier numbers carried forward), its graded hints, and the
    marks of the check beside each blank matrix."""
    flag = f"{NS}.{code}.checked.{k}"
    check = check_step(ex, typed, k) if ss.get(flag) or ss.get(f"{NS}.checked") else None
    check_and_hints(ex, k, NS, flag, check, typed, hints, partial(_more_hint, f"{NS}.{code}.hints"),
                    "Level 1: where to look. Level 2: the terms with their numbers. Level 3: all but the "
                    "last term added up. Each level counts in the score.")
    if check is not None:
        cells = ex.cells_of(k)
        blocks = {c.region for c in cells}
        step = ex.walkthrough.steps[k]
        cols = st.columns(max(2, len(blocks)))
        for col, (region, values) in zip(cols, [(r, v) for r, v in (("product", step.product),
                                                                    ("result", step.result)) if r in blocks]):
            marks = marks_frame(values, [c for c in cells if c.region == region], check.verdicts)
            col.dataframe(marks.style.map(colour))


def results(ex, typed: dict, hints: dict) -> None:
    score = check_answers(ex, typed, hints_used=hints)
    c_score, c_hints = st.columns(2)
    c_score.metric("Score", f"{score.correct} / {score.total}")
    c_hints.metric("Hints used", score.hints_used,
                   help=f"{score.correct_without_hints} cells right without a hint; a hint level counts one.")
    st.progress(score.correct / max(score.total, 1))
    if score.correct == score.total:
        st.success("Every cell is right. Well done!", icon=":material/celebration:")
        return
    problems = [(c, score.verdicts[c.key]) for c in ex.cells if score.verdicts[c.key].status != "correct"]
    invalid = [(c, v) for c, v in problems if v.status == "invalid"]
    for c, v in invalid:
        st.warning(md_escape(f"{c.where}: {v.message}"), icon=":material/warning:")
    empty = sum(v.status == "empty" for _, v in problems)
    if empty:
        st.info(f"{empty} cell{'s are' if empty > 1 else ' is'} not filled in yet.")
    wrong = sum(v.status == "wrong" for _, v in problems)
    if wrong:
        st.info(f"{wrong} cell{'s are' if wrong > 1 else ' is'} wrong: each step's Check says which, and its "
                "hints help one level at a time.", icon=":material/lightbulb:")


def downloads(ex, code: str) -> None:
    from byhand.render.gif import walkthrough_gif
    from byhand.render.pdf import answer_key_pdf, worksheet_pdf
    from byhand.render.xlsx import answer_key_xlsx, worksheet_xlsx

    stem = "byhand-" + code.replace("/", "-").replace(":", "")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    c1, c2, c3 = st.columns(3)
    c1.download_button("Worksheet (PDF)", data=lambda: worksheet_pdf(ex, "practice"), file_name=f"{stem}.pdf",
                       mime="application/pdf", key=f"{NS}.dl.pdf", on_click="ignore",
                       icon=":material/picture_as_pdf:")
    c2.download_button("Spreadsheet (XLSX)", data=lambda: worksheet_xlsx(ex, "practice"),
                       file_name=f"{stem}.xlsx", key=f"{NS}.dl.xlsx", on_click="ignore", mime=xlsx,
                       icon=":material/table:",
                       help="For the student: live formulas and a self-check cell for each blank; no answers")
    c3.download_button("GIF for slides", data=lambda: walkthrough_gif(ex.walkthrough),
                       file_name=f"{stem}.gif", mime="image/gif", key=f"{NS}.dl.gif", on_click="ignore",
                       icon=":material/animated_images:")
    c1.download_button("Answer key (PDF)", data=lambda: answer_key_pdf(ex, "practice"),
                       file_name=f"{stem}-key.pdf", mime="application/pdf", key=f"{NS}.dl.key",
                       on_click="ignore", icon=":material/key:")
    c2.download_button("Answer key (XLSX)", data=lambda: answer_key_xlsx(ex, "practice"),
                       file_name=f"{stem}-key.xlsx", key=f"{NS}.dl.key_xlsx", on_click="ignore", mime=xlsx,
                       icon=":material/key:", help="For the teacher: the worked sheet and its answers")


def class_pack_panel(code: str) -> None:
    from byhand.render.pack import MAX_VARIANTS, check_pack_work, class_pack, class_pack_key_xlsx

    with st.expander("Class pack: many variants with answer keys", icon=":material/groups:"):
        c1, c2, c3 = st.columns(3)
        n = c1.number_input("Variants", min_value=1, value=30, step=1, key=f"{NS}.variants",
                            help=f"1 to {MAX_VARIANTS}; seeds follow this exercise's seed")
        fmt_ = c2.selectbox("Format", ["pdf", "xlsx", "zip"], key=f"{NS}.pack_format")
        answers = c3.checkbox("Answer keys" if fmt_ == "xlsx" else "Answer keys at the end", value=True,
                              key=f"{NS}.pack_answers",
                              help="A spreadsheet pack's keys are a workbook of their own, never in the "
                                   "students' file" if fmt_ == "xlsx" else None)
        spec = ExerciseSpec.parse(code)
        try:
            check_pack_work(spec, int(n), fmt_)  # the count, and the work of building it at a click
        except ByHandError as e:
            st.error(md_escape(e), icon=":material/error:")
            return
        st.download_button(f"Class pack of {int(n)} ({fmt_.upper()})",
                           data=lambda: class_pack(spec, int(n), fmt_, answers=answers),
                           file_name=f"byhand-pack-{spec.block}-{spec.seed}.{fmt_}", key=f"{NS}.dl.pack",
                           on_click="ignore", icon=":material/download:")
        if fmt_ == "xlsx" and answers:
            st.download_button(f"Answer keys of the {int(n)} (XLSX)",
                               data=lambda: class_pack_key_xlsx(spec, int(n)),
                               file_name=f"byhand-pack-{spec.block}-{spec.seed}-keys.xlsx",
                               key=f"{NS}.dl.pack_keys", on_click="ignore", icon=":material/key:")


st.title("Practice by hand")
st.markdown("Fill in the empty cells, press **Check**, and use the hints. Type fractions as `1/3`; "
            "with symbols, expressions such as `2*x11 - x21 + 1`, and `max(0, e)` for a ReLU whose sign "
            "is not known.")
from_link()
if f"{NS}.link_error" in ss:
    st.warning(md_escape(ss.pop(f"{NS}.link_error")), icon=":material/link_off:")
with st.container(border=True):
    difficulty_controls()

code = ss[f"{NS}.code"]
try:
    ex = exercise(code)
except ByHandError as e:  # cannot happen for codes made here; keep the page alive regardless
    st.error(md_escape(e))
    open_exercise(DEFAULT)
    code, ex = DEFAULT.code, exercise(DEFAULT.code)
if st.query_params.get("ex") != code:
    st.query_params["ex"] = code

wt = ex.walkthrough
st.markdown(f"**{md_escape(wt.title)}** · exercise `{code}` · {len(ex.cells)} cells to fill in · "
            "share the link to share the exercise")
checked = ss.get(f"{NS}.checked", False)
hints: dict = ss.setdefault(f"{NS}.{code}.hints", {})  # cell key → the highest hint level shown
typed: dict = {}
for k in range(len(wt.steps)):
    step_drawing(ex, k, typed, hints)
    typed.update(answer_editors(ex, k, f"{NS}.{code}.{k}"))
    if ex.cells_of(k):
        step_check_panel(ex, k, code, typed, hints)

st.divider()
st.button("Check the whole sheet", key=f"{NS}.check", type="primary", icon=":material/task_alt:",
          on_click=lambda: ss.__setitem__(f"{NS}.checked", True))
if checked:
    results(ex, typed, hints)
st.subheader("Downloads", anchor=False)
downloads(ex, code)
class_pack_panel(code)

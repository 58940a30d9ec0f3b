"""AppTest of the classroom pages: a student joins with a code and a name, checks a step, asks a hint and
submits; the teacher creates an assignment and sees the gradebook, the heatmap and the most common
mistake; wrong links give a message; names stay plain text. Same exercise as tests/test_classroom.py:
residual/3 with X = [2, −2], W1 = −2, b1 = −1, W2 = −2, b2 = 2, so W1·X + b1 = [−5, 3]."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from apptest_helpers import open_page
from test_hostile_links import CRAFTED

from byhand.blocks import BLOCKS
from byhand.classroom import BAD_CODE, BAD_SECRET, BAD_TOKEN, Classroom
from byhand.numbers import ByHandError

STUDENT, TEACHER = "app_pages/class_student.py", "app_pages/class_teacher.py"
SIZES = {"features": 1, "samples": 2, "hidden": 1}
CODE = "residual/3/1x2x1"
NAME = "<b>Ada</b> **x** [y](http://e.vil)"


@pytest.fixture
def room(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'class.db'}"
    monkeypatch.setenv("BYHAND_DATABASE_URL", url)
    r = Classroom(url)
    yield r
    r.close()


def shown(at) -> str:
    """Every text the page renders as markdown (where a name must never be)."""
    kinds = ("markdown", "caption", "title", "subheader", "info", "success", "warning", "error")
    return " ".join(str(e.value) for kind in kinds for e in at.get(kind))


def plain(element) -> str:
    """An element's text without the markdown escapes of byhand.ui's md_escape."""
    return str(element.value).replace("\\", "")


def joined(room, code: str):
    at = open_page(STUDENT, query={"join": code})
    assert at.text_input(key="class.code").value == code
    at.text_input(key="class.name").input(NAME)
    return at.button(key="class.join").click().run()


def test_a_student_joins_checks_asks_a_hint_and_submits(room):
    code, secret = room.create_assignment("residual", 3, SIZES, per_student=False)
    at = joined(room, code)
    assert not at.exception and [t.value for t in at.title] == ["Your assignment"]
    assert [t.value for t in at.text] == [f"Name: {NAME}"]
    assert "<b>" not in shown(at) and "http" not in shown(at)
    token = at.query_params["student"]
    assert room.progress(token).name == NAME
    typed = {"edited_rows": {0: {"1": "-5", "2": "4"}}, "added_rows": [], "deleted_rows": []}
    at.session_state[f"class.{CODE}.1.product"] = typed
    at.run()
    at.button(key="class.check.1").click().run()
    assert [plain(m) for m in at.info] == ["1 of 4 right; 1 wrong; 2 not filled in."]
    at.button(key="class.hint.1").click().run()  # the hint is for the first cell not right: column 2
    assert any("column 2" in m.value and "hint 1" in m.value for m in at.markdown)
    at.button(key="class.submit").click().run()
    assert not at.exception
    assert [plain(m) for m in at.success] == [
        "Submitted: 1 of 8 cells right, 1 wrong, 6 not filled in; 1 hint level used. "
        "Your teacher sees this submission."]
    [row] = room.gradebook(secret)
    assert (row.name, row.correct, row.total, row.hints_used, row.submissions) == (NAME, 1, 8, 1, 1)
    assert not at.get("download_button")  # no answer key, no worksheet with answers


def test_the_student_link_comes_back_to_the_work(room):
    code, _ = room.create_assignment("residual", 3, SIZES, per_student=False)
    token = room.join(code, "Bo")
    room.submit(token, {(1, "product", 0, 0): "-5", (1, "product", 0, 1): "7"})
    at = open_page(STUDENT, query={"student": token})
    assert not at.exception and [t.value for t in at.text] == ["Name: Bo"]
    assert at.dataframe[0].value.values.tolist() == [["-5", "7"]]  # the editor of W1·X + b1
    assert at.dataframe[1].value.values.tolist() == [["", ""]]  # H: not answered
    assert any("1 of 8 right" in plain(m) for m in at.info)


def test_the_student_link_comes_back_to_a_checked_draft(room):
    code, _ = room.create_assignment("residual", 3, SIZES, per_student=False)
    token = room.join(code, "Bo")
    room.submit(token, {(1, "product", 0, 0): "-5"})
    room.check_step(token, {(1, "product", 0, 0): "-5", (1, "result", 0, 1): "3"}, 1)  # worked on since
    at = open_page(STUDENT, query={"student": token})
    assert at.dataframe[0].value.values.tolist() == [["-5", ""]]
    assert at.dataframe[1].value.values.tolist() == [["", "3"]]


@pytest.mark.parametrize("state", CRAFTED.values(), ids=CRAFTED.keys())
def test_a_crafted_answer_editor_state_is_bad_input(room, state):
    """An answer editor's state that no browser sends (byhand.ui.exercise, as on Practice): a message,
    no traceback, and nothing of it submitted."""
    code, secret = room.create_assignment("residual", 3, SIZES, per_student=False)
    at = joined(room, code)
    at.session_state[f"class.{CODE}.1.product"] = state
    at.button(key="class.submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("do not fit" in e.value for e in at.error), [e.value for e in at.error]
    [row] = room.gradebook(secret)
    assert (row.correct, row.submissions) == (0, 1)


@pytest.mark.parametrize("token", ["x" * 32, "<script>alert(1)</script>", "a" * 5000])
def test_a_wrong_student_link(room, token):
    at = open_page(STUDENT, query={"student": token})
    assert not at.exception
    assert [t.value for t in at.title] == ["Join a class"]
    assert [e.value.replace("\\", "") for e in at.error] == [BAD_TOKEN]


def test_a_wrong_join_code(room):
    code, _ = room.create_assignment("residual", 3, SIZES)
    at = joined(room, code[:-1] + ("A" if code[-1] != "A" else "B"))
    assert [e.value.replace("\\", "") for e in at.error] == [BAD_CODE]
    assert [t.value for t in at.title] == ["Join a class"]


def test_a_teacher_creates_an_assignment_and_follows_the_class(room):
    at = open_page(TEACHER)
    assert [t.value for t in at.title] == ["Teach a class"]
    at.selectbox(key="teach.block").set_value("residual").run()
    for name, v in SIZES.items():
        at.number_input(key=f"teach.size.residual.{name}").set_value(v)
    at.toggle(key="teach.per_student").set_value(False)
    at.button(key="teach.create").click().run()
    assert not at.exception and [t.value for t in at.title] == ["Your class"]
    secret = at.query_params["teacher"]
    info = room.assignment(secret)
    assert info.per_student is False and info.code.split("/")[2] == "1x2x1"
    shared_code = [c.value for c in at.code]
    assert shared_code[0] == f"{info.join_code[:4]}-{info.join_code[4:]}"
    assert shared_code[1].endswith(f"/class?join={info.join_code}")
    assert shared_code[2].endswith(f"/teacher?teacher={secret}")
    # two students: one leaves the skip out (Out's product, column 2: W2·H + b2 = −4 instead of −6)
    ex = room.answer_key(secret)
    right = {c.key: str(c.answer) for c in ex.cells}
    for name, changes in (("Ada", {}), (NAME, {(3, "product", 0, 1): str(ex.cells[5].answer + 2)})):
        room.submit(room.join(info.join_code, name), {**right, **changes})
    at.run()
    assert not at.exception
    book = at.dataframe[0].value
    assert book["Name"].tolist() == ["Ada", NAME] and book["Score"].tolist() == ["8 / 8", "7 / 8"]
    assert NAME not in shown(at)
    at.selectbox(key="teach.step").set_value(3).run()
    heat = [d.value.values.tolist() for d in at.dataframe[1:]]
    assert heat == [[["0/2", "1/2"]], [["0/2", "0/2"]]]  # product, result


def test_the_most_common_mistake_is_named(room):
    code, secret = room.create_assignment("residual", 3, SIZES, per_student=False)
    room.submit(room.join(code, "Ada"), {(3, "product", 0, 1): "-4"})  # the skip left out: W2·H + b2 = −4
    at = open_page(TEACHER, query={"teacher": secret})
    [named] = [w.value for w in at.warning]
    assert named.replace("\\", "").startswith("Most common mistake: The skip connection is left out")


def test_a_wrong_teacher_link(room):
    _code, secret = room.create_assignment("residual", 3, SIZES)
    at = open_page(TEACHER, query={"teacher": secret[:-1] + ("A" if secret[-1] != "A" else "B")})
    assert [t.value for t in at.title] == ["Teach a class"]
    assert [e.value.replace("\\", "") for e in at.error] == [BAD_SECRET]


def test_the_teacher_deletes_the_assignment(room):
    code, secret = room.create_assignment("residual", 3, SIZES)
    room.join(code, "Ada")
    at = open_page(TEACHER, query={"teacher": secret})
    at.checkbox(key="teach.sure").check().run()
    at.button(key="teach.delete").click().run()
    assert [t.value for t in at.title] == ["Teach a class"]
    with pytest.raises(ByHandError):
        room.gradebook(secret)


def test_the_live_class_counts_step_checks(room):
    code, secret = room.create_assignment("residual", 3, SIZES, per_student=False)
    room.check_step(room.join(code, "Ada"), {(1, "product", 0, 0): "-4"}, 1)  # checked, not submitted
    at = open_page(TEACHER, query={"teacher": secret})
    assert [d.value.values.tolist() for d in at.dataframe[1:]] == [[["0/0", "0/0"]], [["0/0", "0/0"]]]
    at.toggle(key="teach.live").set_value(True).run()
    assert not at.exception
    assert [d.value.values.tolist() for d in at.dataframe[1:]] == [[["1/1", "0/1"]], [["0/1", "0/1"]]]
    assert at.dataframe[0].value["Last check"].str.startswith("0 right at ").tolist() == [True]


@pytest.mark.parametrize("block", list(BLOCKS))
def test_every_block_makes_a_class(room, block):
    at = open_page(TEACHER)
    at.selectbox(key="teach.block").set_value(block).run()
    at.button(key="teach.create").click().run()
    assert not at.exception and [t.value for t in at.title] == ["Your class"]
    secret = at.query_params["teacher"]
    info = room.assignment(secret)
    assert info.code.startswith(f"{block}/") and info.per_student
    token = room.join(info.join_code, "Ada")
    ex = room.exercise(token)
    first = ex.cells[0]
    room.submit(token, {first.key: "1000"})  # one cell wrong, the rest empty
    at.run()
    assert not at.exception
    assert at.dataframe[0].value["Score"].tolist() == [f"0 / {len(ex.cells)}"]
    heat = [d.value.values.tolist() for d in at.dataframe[1:]]
    assert heat[0][first.row][first.col] == "1/1"  # the first step with blanks is on screen
    student = open_page(STUDENT, query={"student": token})
    assert not student.exception and [t.value for t in student.title] == ["Your assignment"]


def test_a_due_time_in_the_teachers_zone(room):
    at = open_page(TEACHER)
    at.toggle(key="teach.has_due").set_value(True).run()
    day = datetime.now(timezone.utc).date() + timedelta(days=30)
    at.date_input(key="teach.due_date").set_value(day)
    at.time_input(key="teach.due_time").set_value(time(10, 30))
    at.button(key="teach.create").click().run()
    assert not at.exception
    due = room.assignment(at.query_params["teacher"]).due  # AppTest has no browser zone: UTC
    assert due == datetime(day.year, day.month, day.day, 10, 30, tzinfo=timezone.utc)
    assert any(f"due {day:%Y-%m-%d} 10:30" in c.value for c in at.caption)


@pytest.mark.parametrize("page", [STUDENT, TEACHER])
def test_a_database_that_cannot_be_reached(monkeypatch, page):
    monkeypatch.setenv("BYHAND_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # nothing listens there
    at = open_page(page)
    assert not at.exception
    assert [plain(e) for e in at.error] == [
        "The class database cannot be reached just now: try again in a moment."]

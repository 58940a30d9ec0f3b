"""The classroom API on SQLite and on PostgreSQL: assignments, joining, hints, submissions, the
gradebook, heatmap, misconceptions and CSV; fifty submissions at once; a restart; the security cases.

The exercise is residual/3 with one feature, two samples and one hidden unit, worked by hand:
X = [2, −2], W1 = −2, b1 = −1, W2 = −2, b2 = 2.
  W1·X + b1 = [−5, 3], H = ReLU = [0, 3];
  X + W2·H + b2 = [2 + 0 + 2, −2 − 6 + 2] = [4, −6], Out = ReLU = [4, 0].
Wrong ways: without the skip, W2·H + b2 = [2, −4]; without the biases, W1·X = [−4, 4].
"""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
from datetime import datetime, timedelta, timezone

import pytest
from classroom_db import PgCluster
from sqlalchemy import create_engine, inspect, text

from byhand.classroom import BAD_CODE, BAD_SECRET, BAD_TOKEN, TOO_MANY, Classroom
from byhand.classroom.store import make_engine, resolve_url, upgrade
from byhand.numbers import ByHandError

SIZES = {"features": 1, "samples": 2, "hidden": 1}
H1, H2 = (1, "product", 0, 0), (1, "product", 0, 1)
RIGHT = {H1: "-5", H2: "3", (1, "result", 0, 0): "0", (1, "result", 0, 1): "3", (3, "product", 0, 0): "4",
         (3, "product", 0, 1): "-6", (3, "result", 0, 0): "4", (3, "result", 0, 1): "0"}
TABLES = ("classroom_assignments", "classroom_students", "classroom_submissions", "classroom_hints",
          "classroom_join_attempts")


def with_(changes: dict) -> dict:
    """The right answers with some cells typed otherwise."""
    return {**RIGHT, **changes}


@pytest.fixture(scope="module")
def pg():
    cluster = PgCluster()
    yield cluster
    cluster.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'class.db'}"
    return request.getfixturevalue("pg").new_database()


class Clock:
    """A clock the test moves by hand (naive UTC)."""

    def __init__(self):
        self.now = datetime(2030, 1, 1, 9, 0)

    def __call__(self):
        return self.now


@pytest.fixture
def room(url):
    r = Classroom(url)
    yield r
    r.close()


def shared(room, **kw):
    return room.create_assignment("residual", 3, SIZES, per_student=False, **kw)


# ---------------------------------------------------------------- the API


def test_round_trip(room):
    code, secret = shared(room)
    token = room.join(code, "Ada")
    ex = room.exercise(token)
    assert ex.code == "residual/3/1x2x1"
    assert {k: v.tolist() for k, v in ex.walkthrough.inputs.items()} == {
        "X": [[2, -2]], "W1": [[-2]], "b1": [[-1]], "W2": [[-2]], "b2": [[2]]}
    assert sorted(c.key for c in ex.cells) == sorted(RIGHT)
    score = room.submit(token, RIGHT)
    assert (score.correct, score.total, score.hints_used) == (8, 8, 0)
    [row] = room.gradebook(secret)
    assert (row.name, row.correct, row.total, row.hints_used, row.submissions) == ("Ada", 8, 8, 0, 1)
    assert row.submitted_at is not None and row.submitted_at.tzinfo is not None
    info = room.assignment(secret)
    assert (info.join_code, info.code, info.per_student, info.students) == (
        code, "residual/3/1x2x1", False, 1)


def test_join_code_as_typed(room):
    code, _ = shared(room)
    typed = f"  {code[:4].lower()}-{code[4:].lower()} "
    assert room.exercise(room.join(typed, "Bo")).code == "residual/3/1x2x1"


def test_resubmit_latest_counts(room):
    code, secret = shared(room)
    token = room.join(code, "Ada")
    room.submit(token, RIGHT)
    score = room.submit(token, with_({H1: "5", (3, "result", 0, 1): ""}))
    assert (score.correct, score.count("wrong"), score.count("empty")) == (6, 1, 1)
    [row] = room.gradebook(secret)
    assert (row.correct, row.submissions) == (6, 2)
    assert room.progress(token).answers[H1] == "5"


def test_hints_are_recorded_by_the_server(room):
    code, secret = shared(room)
    token = room.join(code, "Ada")
    first = room.hint(token, H1)
    assert first == ("Row 1 of [W1 | b1] meets column 1 of [X; 1]: multiply them term by term and add the "
                     "products.")
    assert first.level == 1
    assert room.hint(token, H1) == "Row 1 of [W1 | b1] meets column 1 of [X; 1]: (−2)·2 + (−1)·1."
    assert [room.hint(token, H1).level for _ in range(2)] == [3, 3]  # a dot product has three levels
    assert room.hint(token, (3, "result", 0, 1)).level == 1
    assert room.hints(token) == {H1: 3, (3, "result", 0, 1): 1}
    score = room.submit(token, RIGHT)
    assert (score.hints_used, score.correct_without_hints) == (4, 6)
    assert room.gradebook(secret)[0].hints_used == 4
    with pytest.raises(ByHandError, match="not a blank cell"):
        room.hint(token, (0, "result", 0, 0))


def test_check_step_carries_the_students_numbers(room):
    code, _ = shared(room)
    token = room.join(code, "Ada")
    # H typed as [0, 2] (wrong); then X + W2·H + b2 = [2 + 0 + 2, −2 − 4 + 2] = [4, −4] follows from it
    answers = with_({(1, "result", 0, 1): "2", H2: "2", (3, "product", 0, 1): "-4"})
    check = room.check_step(token, answers, 3)
    assert check.verdicts[(3, "product", 0, 1)].status == "consistent"
    assert check.verdicts[(3, "product", 0, 0)].status == "correct"


def test_per_student_variants_follow_the_seed(room):
    code, _ = room.create_assignment("residual", 3, SIZES, blank="last")
    codes = [room.exercise(room.join(code, f"S{i}")).code for i in range(3)]
    assert codes == ["residual/3/1x2x1/last", "residual/4/1x2x1/last", "residual/5/1x2x1/last"]


def test_heatmap_and_misconceptions(room):
    code, secret = shared(room)
    a, b, c, d = (room.join(code, n) for n in "ABCD")
    room.submit(a, RIGHT)
    room.submit(b, with_({(3, "product", 0, 1): "-4"}))  # the skip left out
    room.submit(c, with_({(3, "product", 0, 1): "-4", (3, "product", 0, 0): "x", (3, "result", 0, 1): ""}))
    room.submit(d, with_({H1: "-4"}))  # the bias left out
    heat = room.heatmap(secret, 3)
    assert (heat.step, heat.title, heat.students) == (3, "Multiply and ReLU", 4)
    assert heat.wrong["product"].tolist() == [[1, 2]]  # "x" is not a number: it counts as wrong
    assert heat.wrong["result"].tolist() == [[0, 0]]
    assert heat.empty["result"].tolist() == [[0, 1]]
    assert room.heatmap(secret, 1).wrong["product"].tolist() == [[1, 0]]
    assert room.heatmap(secret, 0).wrong == {}  # the given X has no blanks
    common = room.common_misconception(secret)
    assert (common.id, common.students, common.cells) == ("forgot_skip", 2, 2)
    found = [(m.id, m.students) for m in room.misconceptions(secret)]
    assert found == [("forgot_skip", 2), ("forgot_bias", 1)]
    for bad in (4, -1, True, "1", 1.0):
        with pytest.raises(ByHandError, match="step must be a whole number from 0 to 3"):
            room.heatmap(secret, bad)


def test_no_misconception_yet(room):
    _code, secret = shared(room)
    assert room.common_misconception(secret) is None
    assert room.heatmap(secret, 3).students == 0


def test_grades_csv(room):
    code, secret = shared(room)
    clock = Clock()
    room._clock = clock
    room.submit(room.join(code, "Ada, the first"), with_({H1: "1"}))
    room.join(code, "=HYPERLINK(\"http://x\")")
    assert room.grades_csv(secret) == (
        "name,correct,total,percent,hints_used,submitted_at_utc,submissions\n"
        '"Ada, the first",7,8,88,0,2030-01-01 09:00:00,1\n'
        '"\'=HYPERLINK(""http://x"")",0,8,0,0,,0\n')


def test_due_time(room):
    clock = Clock()
    room._clock = clock
    code, secret = shared(room, due=datetime(2030, 1, 1, 10, 0, tzinfo=timezone.utc))
    token = room.join(code, "Ada")
    room.submit(token, RIGHT)
    clock.now += timedelta(hours=1, seconds=1)
    with pytest.raises(ByHandError, match="due time .* has passed"):
        room.submit(token, with_({H1: "0"}))
    with pytest.raises(ByHandError, match="due time has passed"):
        room.join(code, "Late")
    assert room.gradebook(secret)[0].correct == 8
    assert room.assignment(secret).due == datetime(2030, 1, 1, 10, 0, tzinfo=timezone.utc)
    for due in (datetime(2029, 1, 1), datetime(2032, 1, 1), "tomorrow"):
        with pytest.raises(ByHandError):
            shared(room, due=due)


def test_bad_assignments(room):
    with pytest.raises(ByHandError, match="has no size"):
        room.create_assignment("residual", 3, {"rows": 2})
    with pytest.raises(ByHandError):
        room.create_assignment("nope", 3)
    with pytest.raises(ByHandError, match="seed"):
        room.create_assignment("residual", -1)
    with pytest.raises(ByHandError, match="blank"):
        room.create_assignment("residual", 1, blank="some")
    with pytest.raises(ByHandError, match="per_student"):
        room.create_assignment("residual", 1, per_student="yes")
    for bad in ("x" * 100_000, None, 5):
        with pytest.raises(ByHandError) as e:
            room.create_assignment(bad, 1)
        assert len(str(e.value)) < 200
    for sizes in ({"x" * 10_000: 1}, ["features"], {f"s{i}": 1 for i in range(9)}):
        with pytest.raises(ByHandError, match="sizes are a few names"):
            room.create_assignment("residual", 1, sizes)
    with pytest.raises(ByHandError, match="features must be a whole number from 1 to 8"):
        room.create_assignment("residual", 1, {"features": 10**9})
    with pytest.raises(ByHandError, match="seed must be a whole number from 0 to 4294967295"):
        room.create_assignment("residual", 2**40)
    assert room.engine.dialect.name in ("sqlite", "postgresql")


def test_concurrent_joins_get_their_own_numbers_and_variants(room):
    code, _secret = room.create_assignment("residual", 3, SIZES, blank="last")
    tokens, failures = [], []
    start = threading.Barrier(30)

    def join(i):
        try:
            start.wait()
            tokens.append(room.join(code, f"S{i}"))
        except Exception as e:  # noqa: BLE001 — any failure is a lost student
            failures.append(repr(e))

    threads = [threading.Thread(target=join, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failures == [] and len(set(tokens)) == 30
    seeds = sorted(int(room.exercise(t).code.split("/")[1]) for t in tokens)
    assert seeds == list(range(3, 33))  # join numbers 1..30, each once


def test_the_default_database(tmp_path, monkeypatch):
    monkeypatch.delenv("BYHAND_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with Classroom() as room:
        assert room.url == f"sqlite:///{tmp_path / 'data' / 'byhand' / 'classroom.sqlite3'}"
        shared(room)
    assert (tmp_path / "data" / "byhand" / "classroom.sqlite3").exists()
    monkeypatch.setenv("BYHAND_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    with Classroom() as room:
        assert room.url.endswith("other.db")
    monkeypatch.setenv("BYHAND_DATABASE_URL", "postgresql://u@127.0.0.1:1/x")
    assert resolve_url(None) == "postgresql+psycopg://u@127.0.0.1:1/x"


def test_migrations_and_reopening(url):
    with Classroom(url):
        pass
    with Classroom(url):  # a second start migrates nothing and keeps the tables
        pass
    engine = create_engine(url)
    try:
        assert set(TABLES) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM classroom_alembic_version")).scalar() == "0003"
            if url.startswith("sqlite"):
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


def test_an_old_database_is_migrated_with_its_data(url):
    engine = make_engine(url)
    try:
        upgrade(engine, "0001")  # the first schema, as a school's database may still have it
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO classroom_assignments (id, join_code, teacher_hash, spec, "
                              "per_student, created_at) "
                              "VALUES (1, 'ABCDEFGH', :h, 'residual/3/1x2x1', :f, :t)"),
                         {"h": hashlib.sha256(b"s" * 43).hexdigest(), "f": False, "t": datetime(2030, 1, 1)})
            conn.execute(text("INSERT INTO classroom_students (id, assignment_id, number, name, token_hash, "
                              "seed, joined_at) VALUES (1, 1, 1, 'Old', :h, 3, :t)"),
                         {"h": hashlib.sha256(b"t" * 32).hexdigest(), "t": datetime(2030, 1, 1)})
    finally:
        engine.dispose()
    with Classroom(url) as room:
        assert [r.name for r in room.gradebook("s" * 43)] == ["Old"]
        room.check_step("t" * 32, {H1: "1"}, 1)  # the new columns are there
        assert room.heatmap("s" * 43, 1, live=True).wrong["product"].tolist() == [[1, 0]]


def test_live_heatmap_fills_in_as_students_check(room):
    clock = Clock()
    room._clock = clock
    code, secret = shared(room)
    ada, bo = room.join(code, "Ada"), room.join(code, "Bo")
    room.submit(ada, RIGHT)
    clock.now += timedelta(seconds=5)
    check = room.check_step(ada, {H1: "-5", H2: "4"}, 1)  # after submitting: the live map shows this
    assert [v.status for v in check.verdicts.values()] == ["correct", "wrong", "empty", "empty"]
    room.check_step(bo, {H1: "-4"}, 1)
    live = room.heatmap(secret, 1, live=True)
    assert (live.students, live.wrong["product"].tolist()) == (2, [[1, 1]])
    assert live.empty["result"].tolist() == [[2, 2]]
    submitted = room.heatmap(secret, 1)  # only the submissions: Ada's all right
    assert (submitted.students, submitted.wrong["product"].tolist()) == (1, [[0, 0]])
    clock.now += timedelta(seconds=5)
    room.submit(ada, RIGHT)  # a newer submission counts again
    assert room.heatmap(secret, 1, live=True).wrong["product"].tolist() == [[1, 0]]
    book = room.gradebook(secret)
    assert [r.submissions for r in book] == [2, 0]  # a check is not a submission
    assert room.progress(ada).draft is None  # submitted since the check
    assert room.progress(bo).draft == {H1: "-4"}  # Bo's own work, for Bo to come back to
    assert [(r.checked, r.checked_at) for r in book] == [
        (1, datetime(2030, 1, 1, 9, 0, 5, tzinfo=timezone.utc)),  # Ada's check: W1·X + b1 column 1 right
        (0, datetime(2030, 1, 1, 9, 0, 5, tzinfo=timezone.utc))]


# ---------------------------------------------------------------- fifty at once, and a restart


def _wrong_count(i: int) -> dict:
    """Student i's answers: the first i % 9 cells wrong, so each row of the gradebook is telling."""
    return {k: ("99" if n < i % 9 else v) for n, (k, v) in enumerate(sorted(RIGHT.items()))}


def test_fifty_submissions_in_the_same_second(room):
    code, secret = shared(room)
    tokens = [room.join(code, f"Student {i:02d}") for i in range(50)]
    start = threading.Barrier(50)
    failures = []

    def submit(i):
        try:
            start.wait()
            room.submit(tokens[i], _wrong_count(i))
        except Exception as e:  # noqa: BLE001 — any failure is a lost submission
            failures.append(repr(e))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failures == []
    rows = room.gradebook(secret)
    assert [(r.name, r.correct, r.submissions) for r in rows] == [
        (f"Student {i:02d}", 8 - i % 9, 1) for i in range(50)]


def _process_submits(url: str, tokens: list[str], first: int, start) -> None:
    with Classroom(url) as room:
        start.wait()
        for k, token in enumerate(tokens):
            room.submit(token, _wrong_count(first + k))


def test_fifty_submissions_from_five_processes(room, url):
    code, secret = shared(room)
    tokens = [room.join(code, f"P{i:02d}") for i in range(50)]
    ctx = multiprocessing.get_context("forkserver")  # children of a fresh process: no threads of ours forked
    ctx.set_forkserver_preload(["byhand.classroom"])
    start = ctx.Barrier(5)
    procs = [ctx.Process(target=_process_submits, args=(url, tokens[10 * p:10 * p + 10], 10 * p, start))
             for p in range(5)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0] * 5
    assert [(r.correct, r.submissions) for r in room.gradebook(secret)] == [(8 - i % 9, 1) for i in range(50)]


def test_restart_keeps_everything(url):
    with Classroom(url) as room:
        code, secret = shared(room)
        token = room.join(code, "Ada")
        room.hint(token, H1)
        room.submit(token, with_({H2: "4"}))
    with Classroom(url) as room:
        [row] = room.gradebook(secret)
        assert (row.name, row.correct, row.hints_used) == ("Ada", 7, 1)
        assert room.progress(token).answers[H2] == "4"
        assert room.exercise(token).code == "residual/3/1x2x1"
        assert room.submit(room.join(code, "Bo"), RIGHT).correct == 8


def test_a_postgresql_restart_keeps_everything(pg):
    url = pg.new_database()
    with Classroom(url) as room:
        code, secret = shared(room)
        token = room.join(code, "Ada")
        room.submit(token, RIGHT)
    pg.stop()
    pg.start()
    with Classroom(url) as room:
        assert [(r.name, r.correct) for r in room.gradebook(secret)] == [("Ada", 8)]
        assert room.progress(token).correct == 8


# ---------------------------------------------------------------- security


def _tamper(s: str) -> str:
    return s[:-1] + ("A" if s[-1] != "A" else "B")


def test_wrong_keys_give_nothing_away(room):
    code, secret = shared(room)
    token = room.join(code, "Ada")
    for bad in (_tamper(code), "", None, 12345, "x" * 10_000, code + "A", secret, token):
        with pytest.raises(ByHandError) as e:
            room.join(bad, "Eve")
        assert str(e.value) == BAD_CODE
    for bad in (_tamper(token), token[:-1], "", None, ["x"], "x" * 10_000, secret, code, "../../etc/passwd"):
        for call in (room.exercise, room.progress, room.hints, lambda t: room.submit(t, {}),
                     lambda t: room.hint(t, H1), lambda t: room.check_step(t, {}, 1)):
            with pytest.raises(ByHandError) as e:
                call(bad)
            assert str(e.value) == BAD_TOKEN
    for bad in (_tamper(secret), secret[:-1], "", None, token, code, "x" * 10_000):
        for call in (room.gradebook, room.grades_csv, room.assignment, room.misconceptions, room.answer_key,
                     room.delete,
                     lambda s: room.heatmap(s, 1), room.common_misconception):
            with pytest.raises(ByHandError) as e:
                call(bad)
            assert str(e.value) == BAD_SECRET
    assert room.gradebook(secret)[0].name == "Ada"  # nothing was deleted by the wrong secrets


def test_a_student_sees_only_their_own(room):
    code, secret = shared(room)
    ada, bo = room.join(code, "Ada"), room.join(code, "Bo")
    room.hint(ada, H1)
    room.submit(ada, with_({H1: "7"}))
    mine = room.progress(bo)
    assert (mine.name, mine.answers, mine.hints, mine.correct) == ("Bo", {}, {}, None)
    assert mine.submitted_at is None
    assert room.progress(ada).answers[H1] == "7"
    with pytest.raises(ByHandError) as e:
        room.gradebook(ada)  # a student's token is not the teacher's secret
    assert str(e.value) == BAD_SECRET


def test_secrets_are_random_and_stored_as_hashes(room, url):
    made = [shared(room) for _ in range(5)]
    secrets_ = [s for _, s in made]
    assert len(set(secrets_)) == 5 and len({c for c, _ in made}) == 5
    assert all(len(s) >= 43 for s in secrets_)  # URL-safe base64: 6 bits a character, 256 bits in all
    code, secret = made[0]
    token = room.join(code, "Ada")
    room.submit(token, RIGHT)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            dump = " ".join(str(row) for t in TABLES for row in conn.execute(text(f"SELECT * FROM {t}")))
            stored = conn.execute(text("SELECT teacher_hash FROM classroom_assignments WHERE join_code = :c"),
                                  {"c": code}).scalar()
            token_hash = conn.execute(text("SELECT token_hash FROM classroom_students")).scalar()
    finally:
        engine.dispose()
    for s in secrets_:
        assert s not in dump
    assert token not in dump
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert token_hash == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.parametrize("typed, shown", [
    ("<script>alert('x')</script>", "<script>alert('x')</script>"),
    ("**Bo** [x](http://e.vil) `c` # h", "**Bo** [x](http://e.vil) `c` # h"),
    ("  Ada\x00\x1b[31m\n\tLovelace\u202e\u200b ", "Ada[31m Lovelace"),
    ("x" * 40, "x" * 40),
])
def test_names_are_plain_text(room, typed, shown):
    code, secret = shared(room)
    token = room.join(code, typed)
    assert room.progress(token).name == shown
    assert room.gradebook(secret)[0].name == shown


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01", "x" * 41, "y" * 100_000, None, 5])
def test_names_bounded(room, bad):
    code, secret = shared(room)
    with pytest.raises(ByHandError) as e:
        room.join(code, bad)
    assert e.value.matrix == "name"
    assert room.gradebook(secret) == []


def test_answers_bounded(room):
    code, secret = shared(room)
    token = room.join(code, "Ada")
    with pytest.raises(ByHandError, match=r"W1·X \+ b1, row 1, column 1: an answer has at most 100"):
        room.submit(token, {H1: "1" * 101})
    with pytest.raises(ByHandError, match="not a blank cell"):
        room.submit(token, {(0, "result", 0, 0): "2"})
    with pytest.raises(ByHandError, match="at most 8 cells"):
        room.submit(token, {i: "1" for i in range(9)})
    for bad in ([("x", 1)], "answers", None):
        with pytest.raises(ByHandError):
            room.submit(token, bad)
    with pytest.raises(ByHandError, match="typed text"):
        room.submit(token, {H1: ["1"]})
    assert room.gradebook(secret)[0].submissions == 0
    assert room.submit(token, {H1: " -5 ", H2: 3}).correct == 2  # a number typed as a number is fine


def test_join_attempts_are_rate_limited(url):
    clock = Clock()
    with Classroom(url, clock=clock, join_limit=3, join_limit_all=5) as room:
        code, secret = shared(room)
        for _ in range(3):
            with pytest.raises(ByHandError, match=BAD_CODE):
                room.join(_tamper(code), "Eve", client="10.0.0.9")
        with pytest.raises(ByHandError) as e:
            room.join(code, "Eve", client="10.0.0.9")  # the right code too, once over the limit
        assert str(e.value) == TOO_MANY
        assert room.join(code, "Ada", client="10.0.0.1")  # another client is not held up
        for _ in range(2):
            with pytest.raises(ByHandError, match=BAD_CODE):
                room.join("ZZZZZZZZ", "Mallory", client=f"10.0.1.{_}")
        with pytest.raises(ByHandError, match=TOO_MANY):  # five failures in all: everyone waits
            room.join(code, "Bo", client="10.0.0.2")
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                kept = set(conn.execute(text("SELECT client FROM classroom_join_attempts")).scalars())
        finally:
            engine.dispose()
        assert len(kept) == 3 and hashlib.sha256(b"10.0.0.9").hexdigest() not in kept  # salted hashes
        clock.now += timedelta(seconds=61)
        assert room.join(code, "Eve", client="10.0.0.9")
        assert [r.name for r in room.gradebook(secret)] == ["Ada", "Eve"]


def test_new_assignments_are_rate_limited(url):
    clock = Clock()
    with Classroom(url, clock=clock, create_limit=3) as room:
        made = [shared(room) for _ in range(3)]
        with pytest.raises(ByHandError, match="Too many new assignments"):
            shared(room)
        clock.now += timedelta(seconds=61)
        made.append(shared(room))
        assert [room.assignment(s).join_code for _, s in made] == [c for c, _ in made]


def test_successful_joins_are_not_limited(url):
    with Classroom(url, join_limit=2) as room:
        code, secret = shared(room)
        for i in range(6):  # a class behind one school address joins at once
            room.join(code, f"S{i}", client="school")
        assert len(room.gradebook(secret)) == 6


def test_delete_deletes_everything(room, url):
    keep_code, keep_secret = shared(room)
    room.submit(room.join(keep_code, "Keep"), RIGHT)
    code, secret = shared(room)
    tokens = [room.join(code, n) for n in ("Ada", "Bo")]
    room.hint(tokens[0], H1)
    room.submit(tokens[0], RIGHT)
    room.delete(secret)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in TABLES[:4]}
    finally:
        engine.dispose()
    assert counts == {"classroom_assignments": 1, "classroom_students": 1, "classroom_submissions": 1,
                      "classroom_hints": 0}
    for call, bad, message in ((room.gradebook, secret, BAD_SECRET), (room.exercise, tokens[1], BAD_TOKEN),
                               (lambda c: room.join(c, "Cy"), code, BAD_CODE)):
        with pytest.raises(ByHandError) as e:
            call(bad)
        assert str(e.value) == message
    assert [r.name for r in room.gradebook(keep_secret)] == ["Keep"]

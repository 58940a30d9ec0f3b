"""The classroom: assignments a class joins with a code, submissions checked by the practice engine,
and the teacher's gradebook, heatmap and misconceptions. No streamlit: the pages and tests call it.

Three kinds of key, each a capability: the join code (shared with the class: it lets a student
join), the student token (one student's own exercise, hints and submissions) and the teacher secret
(the gradebook, the heatmap, the CSV and deleting everything). A wrong one raises the same
ByHandError whatever was wrong with it, so a message tells nothing about what exists.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..misconceptions import MISCONCEPTIONS, diagnose
from ..numbers import ByHandError
from ..practice import (
    MAX_SEED,
    Exercise,
    ExerciseSpec,
    Hint,
    Score,
    StepCheck,
    check_answers,
    check_step,
    hint,
)
from ..practice import hint_levels as _hint_levels
from . import inputs
from .inputs import cell_key, cell_text, digest
from .models import SPEC_LEN, Assignment, HintUse, JoinAttempt, Student, Submission
from .store import make_engine, resolve_url, upgrade

__all__ = ["Classroom", "shared", "AssignmentInfo", "GradeRow", "Heatmap", "MistakeCount", "Progress",
           "BAD_CODE", "BAD_TOKEN", "BAD_SECRET", "TOO_MANY", "MAX_STUDENTS"]

BAD_CODE = "That join code is not valid: check it with your teacher."
BAD_TOKEN = "That student link is not valid: join again with your class's code."
BAD_SECRET = "That teacher link is not valid."
TOO_MANY = "Too many attempts to join: wait a minute, then try again."
MAX_STUDENTS = 300  # students in one assignment
MAX_SUBMISSIONS = 200  # submissions of one student (the latest counts)
MAX_DUE = timedelta(days=366)
WRONG = ("wrong", "invalid")  # what the heatmap counts as got wrong


@lru_cache(maxsize=512)
def _exercise(code: str) -> Exercise:
    """The exercise of a code (immutable and the same for every caller, so one copy serves all)."""
    return ExerciseSpec.parse(code).exercise()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class AssignmentInfo:
    """What the teacher sees of an assignment: its join code, exercise code, variants, due time."""

    join_code: str
    code: str
    per_student: bool
    due: datetime | None
    created_at: datetime
    students: int


@dataclass(frozen=True)
class GradeRow:
    """One student's line in the gradebook: the latest submission (zeros and None before any), and the
    progress of the latest step check."""

    name: str
    correct: int
    total: int
    hints_used: int
    submitted_at: datetime | None
    submissions: int
    checked: int | None = None  # cells right in the latest step check (live progress), None before any
    checked_at: datetime | None = None


@dataclass(frozen=True)
class Progress:
    """A student's own view: name, exercise code, due time, latest submitted answers and score, hints
    asked, and the answers of a step check made since (``draft``)."""

    name: str
    code: str
    due: datetime | None
    answers: dict
    hints: dict
    correct: int | None
    total: int
    submitted_at: datetime | None
    draft: dict | None = None  # the answers of the latest step check, when newer than the submission


@dataclass(frozen=True)
class Heatmap:
    """For one step: how many students' latest submissions got each blank cell wrong (or left it
    empty), by region (``product`` / ``result``), out of ``students`` who submitted (or, live, checked)."""

    step: int
    title: str
    wrong: dict = field(default_factory=dict)
    empty: dict = field(default_factory=dict)
    students: int = 0


@dataclass(frozen=True)
class MistakeCount:
    """A named misconception: how many students' latest submissions show it, over how many cells."""

    id: str
    name: str
    right_idea: str
    students: int
    cells: int


class Classroom:
    """Assignments, students and submissions in one database (SQLite by default, or PostgreSQL).

    ``url`` None means ``$BYHAND_DATABASE_URL``, else an SQLite file in the user's data folder. The
    schema is migrated on opening. ``clock`` (returning naive UTC) and the join limits are for tests.
    """

    def __init__(self, url: str | None = None, *, clock: Callable[[], datetime] | None = None,
                 join_limit: int = 20, join_limit_all: int = 300, join_window: float = 60.0,
                 create_limit: int = 60):
        self.url = resolve_url(url)
        self.engine = make_engine(self.url)
        upgrade(self.engine)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._clock = clock or _now
        self.join_limit, self.join_limit_all = join_limit, join_limit_all
        self.join_window = timedelta(seconds=join_window)
        self.create_limit = create_limit  # new assignments per window, over every replica
        # a client key (an address) is kept hashed with this process's own salt, so that the stored
        # hash cannot be turned back into the address by trying every one (and it is pruned anyway)
        self._salt = secrets.token_hex(16)

    def close(self) -> None:
        """Close every database connection (the data stays)."""
        self.engine.dispose()

    def __enter__(self) -> Classroom:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ plumbing

    def _write(self, work: Callable[[Session], object], tries: int = 5):
        """Run ``work`` in one transaction, again if the database was busy (a lock wait ran out)."""
        for attempt in range(tries):
            try:
                with self._session() as s, s.begin():
                    return work(s)
            except OperationalError as e:
                if attempt == tries - 1 or "locked" not in str(e).lower():
                    raise

    def _teacher(self, s: Session, secret) -> Assignment:
        a = None
        if inputs.token_shape_ok(secret):
            a = s.scalar(select(Assignment).where(Assignment.teacher_hash == digest(secret)))
        if a is None:
            raise ByHandError(BAD_SECRET, "teacher link")
        return a

    def _student(self, s: Session, token) -> tuple[Student, Assignment]:
        row = None
        if inputs.token_shape_ok(token):
            row = s.execute(select(Student, Assignment)
                            .join(Assignment, Student.assignment_id == Assignment.id)
                            .where(Student.token_hash == digest(token))).first()
        if row is None:
            raise ByHandError(BAD_TOKEN, "student link")
        return row[0], row[1]

    @staticmethod
    def _code_of(student: Student, a: Assignment) -> str:
        spec = ExerciseSpec.parse(a.spec)
        return spec.with_seed(int(student.seed)).code if a.per_student else spec.code

    def _latest(self, s: Session, student_ids) -> dict[int, Submission]:
        """The latest submission of each of these students."""
        last = (select(Submission.student_id, func.max(Submission.id).label("id"))
                .where(Submission.student_id.in_(student_ids)).group_by(Submission.student_id).subquery())
        rows = s.scalars(select(Submission).join(last, Submission.id == last.c.id))
        return {r.student_id: r for r in rows}

    # ------------------------------------------------------------ the teacher

    def create_assignment(self, block: str, seed: int, sizes: dict | None = None, blank: str = "all",
                          per_student: bool = True, due: datetime | None = None,
                          low: int = -2, high: int = 2) -> tuple[str, str]:
        """A new assignment; returns (join_code, teacher_secret). Keep the secret: it is stored only
        as a hash, and it is the only way to the gradebook.

        ``per_student``: each student gets their own seeded variant (seeds follow ``seed`` in join
        order, like a class pack's variants); otherwise everyone works the same example. ``due``: a
        time (aware, or naive UTC) after which submissions are refused.
        """
        if not isinstance(per_student, bool):
            raise ByHandError(f"per_student is True or False, not {str(per_student)[:40]!r}.", "per_student")
        if not isinstance(block, str) or len(block) > 40:
            raise ByHandError(f"the block is a block type's name, such as residual, not {str(block)[:40]!r}.",
                              "block")
        sizes = {} if sizes is None else sizes
        if not isinstance(sizes, dict) or len(sizes) > 8 or not all(
                isinstance(k, str) and len(k) <= 40 for k in sizes):
            raise ByHandError("sizes are a few names with whole numbers, such as {'features': 3}.", "sizes")
        if not isinstance(blank, str) or len(blank) > 40:
            raise ByHandError("blank is 'all', 'last' or 'share:P'.", "blank")
        spec = ExerciseSpec(block, seed, dict(sizes), low, high, blank)
        if len(spec.code) > SPEC_LEN:
            raise ByHandError("that exercise's code is too long to store.", "exercise")
        due_at = inputs.utc(due)
        now = self._clock()
        if due_at is not None and not now < due_at <= now + MAX_DUE:
            raise ByHandError("the due time must lie in the future, within a year.", "due")
        _exercise(spec.code)  # built once here: a spec that cannot be worked fails now, not for a student
        secret = inputs.new_secret()
        since = now - self.join_window

        def add(s: Session, code: str) -> bool:
            recent = s.scalar(select(func.count()).select_from(Assignment)
                              .where(Assignment.created_at > since))
            if recent >= self.create_limit:
                return False
            s.add(Assignment(join_code=code, teacher_hash=digest(secret), spec=spec.code,
                             per_student=per_student, due=due_at, created_at=now))
            return True

        for _ in range(10):
            code = inputs.new_join_code()
            try:
                if not self._write(lambda s, code=code: add(s, code)):
                    raise ByHandError("Too many new assignments at once: wait a minute, then try again.",
                                      "assignment")
                return code, secret
            except IntegrityError:  # the join code is taken: draw another
                continue
        raise ByHandError("no free join code could be drawn; try again.", "join code")

    def assignment(self, teacher_secret) -> AssignmentInfo:
        """The assignment of a teacher secret."""
        with self._session() as s:
            a = self._teacher(s, teacher_secret)
            n = s.scalar(select(func.count()).select_from(Student).where(Student.assignment_id == a.id))
            return AssignmentInfo(a.join_code, a.spec, a.per_student, _aware(a.due), _aware(a.created_at), n)

    def answer_key(self, teacher_secret) -> Exercise:
        """The assignment's exercise with its answers: the shared example, or the first student's variant
        (every variant has the same steps and shapes)."""
        with self._session() as s:
            a = self._teacher(s, teacher_secret)
        return _exercise(a.spec)

    def gradebook(self, teacher_secret) -> list[GradeRow]:
        """One row per student, in join order: the latest submission's score and hints used."""
        with self._session() as s:
            a = self._teacher(s, teacher_secret)
            students = list(s.scalars(select(Student).where(Student.assignment_id == a.id)
                                      .order_by(Student.number)))
            latest = self._latest(s, [st.id for st in students])
            counts = dict(s.execute(select(Submission.student_id, func.count())
                                    .where(Submission.student_id.in_([st.id for st in students]))
                                    .group_by(Submission.student_id)).all())
        total = len(_exercise(a.spec).cells)
        rows = []
        for st in students:
            sub = latest.get(st.id)
            checked = sum(v == "correct" for v in json.loads(st.work).values()) if st.work else None
            rows.append(GradeRow(st.name, sub.correct if sub else 0, sub.total if sub else total,
                                 sub.hints_used if sub else 0, _aware(sub.submitted_at) if sub else None,
                                 counts.get(st.id, 0), checked, _aware(st.worked_at)))
        return rows

    def grades_csv(self, teacher_secret) -> str:
        """The gradebook as CSV. A name that a spreadsheet would read as a formula gets a leading '."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["name", "correct", "total", "percent", "hints_used", "submitted_at_utc", "submissions"])
        for r in self.gradebook(teacher_secret):
            name = "'" + r.name if r.name[:1] in ("=", "+", "-", "@", "\t", "\r") else r.name
            w.writerow([name, r.correct, r.total, round(100 * r.correct / r.total) if r.total else 0,
                        r.hints_used, r.submitted_at.strftime("%Y-%m-%d %H:%M:%S") if r.submitted_at else "",
                        r.submissions])
        return out.getvalue()

    def _latest_of_class(self, teacher_secret) -> tuple[Assignment, list[Submission]]:
        with self._session() as s:
            a = self._teacher(s, teacher_secret)
            ids = list(s.scalars(select(Student.id).where(Student.assignment_id == a.id)))
            return a, list(self._latest(s, ids).values())

    def _verdicts_of_class(self, teacher_secret, live: bool) -> tuple[Assignment, list[dict]]:
        """Each student's cell statuses: from the latest submission, or (live) from whichever is newer,
        that or the latest step check."""
        with self._session() as s:
            a = self._teacher(s, teacher_secret)
            students = list(s.scalars(select(Student).where(Student.assignment_id == a.id)))
            latest = self._latest(s, [st.id for st in students])
        out = []
        for st in students:
            sub = latest.get(st.id)
            if live and st.work and (sub is None or st.worked_at >= sub.submitted_at):
                out.append(json.loads(st.work))
            elif sub is not None:
                out.append(json.loads(sub.verdicts))
        return a, out

    def heatmap(self, teacher_secret, step, live: bool = False) -> Heatmap:
        """For step ``step`` (0-based, as in the walkthrough), which blank cells the class got wrong:
        per region, a count per cell over the students' latest submissions. ``live``: a student's latest
        step check counts too, when it is newer than their latest submission (the live class mode:
        the heatmap fills in as students check the step on screen)."""
        a, class_verdicts = self._verdicts_of_class(teacher_secret, live)
        ex = _exercise(a.spec)  # every variant has the same shapes
        steps = ex.walkthrough.steps
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or not 0 <= step < len(steps):
            raise ByHandError(f"step must be a whole number from 0 to {len(steps) - 1}, not {step!r}.",
                              "step")
        st_ = steps[step]
        regions = sorted({c.region for c in ex.cells_of(int(step))})
        shapes = {r: (st_.product if r == "product" else st_.result).shape for r in regions}
        wrong = {r: np.zeros(shapes[r], dtype=int) for r in regions}
        empty = {r: np.zeros(shapes[r], dtype=int) for r in regions}
        for verdicts in class_verdicts:
            for text, status in verdicts.items():
                k, region, i, j = cell_key(text)
                if k == step and region in wrong:
                    if status in WRONG:
                        wrong[region][i, j] += 1
                    elif status == "empty":
                        empty[region][i, j] += 1
        return Heatmap(int(step), st_.title, wrong, empty, len(class_verdicts))

    def misconceptions(self, teacher_secret) -> list[MistakeCount]:
        """The named misconceptions in the class's latest submissions, most common first."""
        _a, subs = self._latest_of_class(teacher_secret)
        students: dict[str, int] = {}
        cells: dict[str, int] = {}
        for sub in subs:
            seen = set()
            for ids in json.loads(sub.mistakes).values():
                for mid in ids:
                    cells[mid] = cells.get(mid, 0) + 1
                    seen.add(mid)
            for mid in seen:
                students[mid] = students.get(mid, 0) + 1
        out = [MistakeCount(mid, MISCONCEPTIONS[mid].name, MISCONCEPTIONS[mid].right_idea, n, cells[mid])
               for mid, n in students.items() if mid in MISCONCEPTIONS]
        return sorted(out, key=lambda m: (-m.students, -m.cells, m.id))

    def common_misconception(self, teacher_secret) -> MistakeCount | None:
        """The most common named misconception of the class (None while there is none)."""
        found = self.misconceptions(teacher_secret)
        return found[0] if found else None

    def delete(self, teacher_secret) -> None:
        """Delete the assignment and everything of it: students, submissions, hints."""

        def work(s: Session):
            a = self._teacher(s, teacher_secret)
            ids = select(Student.id).where(Student.assignment_id == a.id)
            s.execute(delete(Submission).where(Submission.student_id.in_(ids)))
            s.execute(delete(HintUse).where(HintUse.student_id.in_(ids)))
            s.execute(delete(Student).where(Student.assignment_id == a.id))
            s.execute(delete(Assignment).where(Assignment.id == a.id))

        self._write(work)

    # ------------------------------------------------------------ the student

    def join(self, join_code, name, client: str = "") -> str:
        """Join an assignment with its code and a display name; returns the student's token.

        ``client`` names who is asking (the page passes the browser's address): at most
        ``join_limit`` failed attempts per client (counted by each app process: the key is salted per
        process) and ``join_limit_all`` in all (over every process), per window.
        """
        clean = inputs.clean_name(name)
        code = inputs.normal_join_code(join_code)
        client_hash = digest(self._salt + str(client)[:200])
        now = self._clock()
        since = now - self.join_window

        def work(s: Session):
            s.execute(delete(JoinAttempt).where(JoinAttempt.at < since))
            mine = s.scalar(select(func.count()).select_from(JoinAttempt)
                            .where(JoinAttempt.client == client_hash))
            every = s.scalar(select(func.count()).select_from(JoinAttempt))
            if mine >= self.join_limit or every >= self.join_limit_all:
                return TOO_MANY
            # FOR UPDATE (PostgreSQL): joins to one assignment take their numbers one at a time
            a = None if code is None else s.scalar(
                select(Assignment).where(Assignment.join_code == code).with_for_update())
            if a is None:
                s.add(JoinAttempt(client=client_hash, at=now))
                return BAD_CODE
            if a.due is not None and now > a.due:
                return "This assignment's due time has passed: it takes no new students."
            n = s.scalar(select(func.max(Student.number)).where(Student.assignment_id == a.id)) or 0
            if n >= MAX_STUDENTS:
                return f"This assignment is full ({MAX_STUDENTS} students)."
            token = inputs.new_token()
            seed = (ExerciseSpec.parse(a.spec).seed + n) % (MAX_SEED + 1)
            s.add(Student(assignment_id=a.id, number=n + 1, name=clean, token_hash=digest(token), seed=seed,
                          joined_at=now))
            return token, None

        for _ in range(20):
            try:
                out = self._write(work)
            except IntegrityError:  # two students took the same join number at once: try the next
                continue
            if isinstance(out, str):
                raise ByHandError(out, "join code")
            return out[0]
        raise ByHandError("the class is busy: try again in a moment.", "join code")

    def exercise(self, token) -> Exercise:
        """The student's exercise (their own variant, or the class's shared example)."""
        with self._session() as s:
            student, a = self._student(s, token)
        return _exercise(self._code_of(student, a))

    def _answers(self, ex: Exercise, answers) -> dict:
        """The typed answers, checked: cell keys of this exercise only, text of bounded length."""
        if not isinstance(answers, dict) or len(answers) > len(ex.cells):
            raise ByHandError(f"answers are at most {len(ex.cells)} cells, each cell key → typed text.",
                              "answers")
        keys = {c.key: c for c in ex.cells}
        out = {}
        for k, v in answers.items():
            k = tuple(k) if isinstance(k, (tuple, list)) else k
            if k not in keys:
                raise ByHandError(f"{str(k)[:60]} is not a blank cell of this exercise.", "answers")
            if v is None:
                continue
            if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                raise ByHandError(f"{keys[k].where}: an answer is typed text.", keys[k].matrix,
                                  keys[k].row + 1, keys[k].col + 1)
            text = str(v)
            if len(text) > inputs.MAX_ANSWER_TEXT:
                raise ByHandError(f"{keys[k].where}: an answer has at most {inputs.MAX_ANSWER_TEXT} "
                                  "characters.", keys[k].matrix, keys[k].row + 1, keys[k].col + 1)
            out[k] = text
        return out

    def _hints(self, s: Session, student_id: int) -> dict:
        rows = s.execute(select(HintUse.cell, HintUse.level).where(HintUse.student_id == student_id)).all()
        return {cell_key(c): lv for c, lv in rows}

    def hints(self, token) -> dict:
        """The hint levels this student has asked for, by cell key."""
        with self._session() as s:
            student, _a = self._student(s, token)
            return self._hints(s, student.id)

    def hint(self, token, key, answers: dict | None = None) -> Hint:
        """The next hint level for one blank cell (recorded: it counts in the score), written with the
        student's own typed numbers (``answers``) where the cell reuses them."""
        with self._session() as s:
            student, a = self._student(s, token)
        ex = _exercise(self._code_of(student, a))
        typed = self._answers(ex, answers or {})
        k = tuple(key) if isinstance(key, (tuple, list)) else key
        cell = next((c for c in ex.cells if c.key == k), None)
        if cell is None:
            raise ByHandError(f"{str(key)[:60]} is not a blank cell of this exercise.", "hint")
        top = _hint_levels(ex, cell)

        def work(s: Session) -> int:
            row = s.scalar(select(HintUse).where(HintUse.student_id == student.id,
                                                 HintUse.cell == cell_text(k)))
            if row is None:
                s.add(HintUse(student_id=student.id, cell=cell_text(k), level=1))
                return 1
            row.level = min(row.level + 1, top)
            return row.level

        try:
            level = self._write(work)
        except IntegrityError:  # the same student's other request added it first, or the class is gone
            try:
                level = self._write(work)
            except IntegrityError:
                raise ByHandError(BAD_TOKEN, "student link") from None
        return hint(ex, cell, level, answers=typed)

    def check_step(self, token, answers: dict, step: int) -> StepCheck:
        """Check one step's blanks with the student's own earlier numbers carried forward.

        Not a submission: each cell's status is kept for the teacher's live heatmap, and the answers as
        the student's draft (``progress(token).draft``), for them alone.
        """
        with self._session() as s:
            student, a = self._student(s, token)
        ex = _exercise(self._code_of(student, a))
        typed = self._answers(ex, answers)
        check = check_step(ex, typed, step)
        work = json.dumps({cell_text(k): v.status for k, v in check_answers(ex, typed).verdicts.items()})
        draft = json.dumps({cell_text(k): v for k, v in typed.items()})
        now = self._clock()

        def record(s: Session):
            row = s.get(Student, student.id)
            if row is not None:
                row.work, row.worked_at, row.draft = work, now, draft

        self._write(record)
        return check

    def submit(self, token, answers: dict) -> Score:
        """Check and store a submission (until the due time; the latest counts); returns its score,
        with the hints the student asked for through ``hint``."""
        with self._session() as s:
            student, a = self._student(s, token)
            hints = self._hints(s, student.id)
        if a.due is not None and self._clock() > a.due:
            raise ByHandError("The due time of this assignment has passed: submissions are closed.", "due")
        ex = _exercise(self._code_of(student, a))
        typed = self._answers(ex, answers)
        score = check_answers(ex, typed, hints_used=hints)
        mistakes = diagnose(ex, typed)
        row = Submission(student_id=student.id,
                         answers=json.dumps({cell_text(k): v for k, v in typed.items()}),
                         verdicts=json.dumps({cell_text(k): v.status for k, v in score.verdicts.items()}),
                         mistakes=json.dumps({cell_text(k): v for k, v in mistakes.items()}),
                         correct=score.correct, total=score.total, hints_used=score.hints_used,
                         submitted_at=self._clock())

        def work(s: Session):
            n = s.scalar(select(func.count()).select_from(Submission)
                         .where(Submission.student_id == student.id))
            if n >= MAX_SUBMISSIONS:
                raise ByHandError(f"at most {MAX_SUBMISSIONS} submissions: your latest one counts.", "submit")
            s.add(row)

        try:
            self._write(work)
        except IntegrityError:  # the assignment was deleted meanwhile
            raise ByHandError(BAD_TOKEN, "student link") from None
        return score

    def progress(self, token) -> Progress:
        """The student's own view: their latest answers and score, and their hints (never anyone else's)."""
        with self._session() as s:
            student, a = self._student(s, token)
            sub = self._latest(s, [student.id]).get(student.id)
            hints = self._hints(s, student.id)
        code = self._code_of(student, a)
        answers = {cell_key(k): v for k, v in json.loads(sub.answers).items()} if sub else {}
        draft = None
        if student.draft and (sub is None or student.worked_at >= sub.submitted_at):
            draft = {cell_key(k): v for k, v in json.loads(student.draft).items()}
        return Progress(student.name, code, _aware(a.due), answers, hints, sub.correct if sub else None,
                        len(_exercise(code).cells), _aware(sub.submitted_at) if sub else None, draft)


@lru_cache(maxsize=8)
def _open(url: str) -> Classroom:
    return Classroom(url)


def shared(url: str | None = None) -> Classroom:
    """One Classroom per database URL in this process (its engine pools the connections), for the pages."""
    return _open(resolve_url(url))

"""The classroom's tables: assignments, their students, each student's submissions and hints, and the
recent failed join attempts (for the rate limit). Times are naive UTC.

Nothing here is personal beyond a student's display name: secrets and tokens are stored as SHA-256
hashes, a join attempt's client key too, and attempts are deleted once out of the rate-limit window.
The schema changes only through a migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Assignment", "Student", "Submission", "HintUse", "JoinAttempt",
           "NAME_LEN", "CODE_LEN", "HASH_LEN", "SPEC_LEN", "CELL_LEN"]

NAME_LEN = 40  # a display name, after cleaning
CODE_LEN = 16  # a join code (8 letters and digits are used)
HASH_LEN = 64  # a SHA-256 hex digest
SPEC_LEN = 200  # an exercise code (ExerciseSpec.code)
CELL_LEN = 40  # a cell key as text: step:region:row:col


class Base(DeclarativeBase):
    pass


class Assignment(Base):
    """One exercise set for a class: the exercise code, per-student variants or one shared example."""

    __tablename__ = "classroom_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    join_code: Mapped[str] = mapped_column(String(CODE_LEN), unique=True)  # shared with the class
    teacher_hash: Mapped[str] = mapped_column(String(HASH_LEN), unique=True)
    spec: Mapped[str] = mapped_column(String(SPEC_LEN))
    per_student: Mapped[bool] = mapped_column(Boolean)
    due: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Student(Base):
    """A student who joined: display name, join order (``number``), the seed of their exercise, and for
    the live class mode the statuses of their latest step check and when; the answers of that check
    (``draft``) are shown to the student alone, to come back to the work."""

    __tablename__ = "classroom_students"
    __table_args__ = (UniqueConstraint("assignment_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("classroom_assignments.id", ondelete="CASCADE"),
                                               index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    token_hash: Mapped[str] = mapped_column(String(HASH_LEN), unique=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    joined_at: Mapped[datetime] = mapped_column(DateTime)
    work: Mapped[str | None] = mapped_column(Text, nullable=True)  # the latest step check: cell → status
    worked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    draft: Mapped[str | None] = mapped_column(Text, nullable=True)  # the answers of that check: theirs alone


class Submission(Base):
    """One submission: the typed answers, each cell's verdict and named mistakes (JSON), the score."""

    __tablename__ = "classroom_submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("classroom_students.id", ondelete="CASCADE"),
                                            index=True)
    answers: Mapped[str] = mapped_column(Text)
    verdicts: Mapped[str] = mapped_column(Text)
    mistakes: Mapped[str] = mapped_column(Text)
    correct: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    hints_used: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime)


class HintUse(Base):
    """The highest hint level a student asked for on one cell (recorded by the server, not claimed)."""

    __tablename__ = "classroom_hints"
    __table_args__ = (UniqueConstraint("student_id", "cell"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("classroom_students.id", ondelete="CASCADE"),
                                            index=True)
    cell: Mapped[str] = mapped_column(String(CELL_LEN))
    level: Mapped[int] = mapped_column(Integer)


class JoinAttempt(Base):
    """A failed join attempt: the client key hashed with a salt of the app process, and when (pruned
    after the rate-limit window)."""

    __tablename__ = "classroom_join_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(HASH_LEN), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)

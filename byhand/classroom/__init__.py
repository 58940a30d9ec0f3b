"""Classrooms: a teacher's assignment joined with a code, students' submissions checked by the practice
engine, and the teacher's gradebook, heatmap and misconceptions, in SQLite or PostgreSQL.

>>> from byhand.classroom import Classroom
>>> with Classroom("sqlite://") as room:      # an in-memory database, for the example
...     code, secret = room.create_assignment("residual", 7, blank="last", per_student=False)
...     token = room.join(code, "Ada")
...     room.submit(token, {}).total == room.gradebook(secret)[0].total
True
"""

from .api import (
    BAD_CODE,
    BAD_SECRET,
    BAD_TOKEN,
    TOO_MANY,
    AssignmentInfo,
    Classroom,
    GradeRow,
    Heatmap,
    MistakeCount,
    Progress,
    shared,
)

__all__ = ["Classroom", "shared", "AssignmentInfo", "GradeRow", "Heatmap", "MistakeCount", "Progress",
           "BAD_CODE", "BAD_TOKEN", "BAD_SECRET", "TOO_MANY"]

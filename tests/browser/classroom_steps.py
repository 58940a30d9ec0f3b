"""A class in the browser, step by step, for the classroom and replica tests: the teacher creates an
assignment, a student joins, answers a cell and submits, the teacher downloads the grades."""

from __future__ import annotations

from byhand.classroom import Classroom
from byhand.practice import Exercise, ExerciseSpec

from .conftest import edit_cell, no_exception, open_, texts, wait_idle


def create_assignment(teacher, app_url: str, db: str) -> tuple[str, str, Exercise]:
    """Create an assignment on ``app_url``/teacher: (the class link, the teacher secret, the exercise of the
    first student, who gets the assignment's seed). The links on the page are the app's address."""
    open_(teacher, f"{app_url}/teacher")
    teacher.get_by_role("button", name="Create the assignment").click()
    teacher.get_by_role("heading", name="Your class").wait_for()
    wait_idle(teacher)
    no_exception(teacher)
    join_code, class_link, teacher_link = texts(teacher, "[data-testid='stCode']", 3)
    assert class_link == f"{app_url}/class?join={join_code.replace('-', '')}"
    assert teacher_link.startswith(f"{app_url}/teacher?teacher=")
    secret = teacher_link.split("teacher=")[1]
    with Classroom(db) as room:
        spec = ExerciseSpec.parse(room.assignment(secret).code)
    return class_link, secret, spec.with_seed(spec.seed).exercise()


def join(student, class_link: str, name: str) -> None:
    open_(student, class_link)
    student.get_by_label("Your name").fill(name)
    student.get_by_role("button", name="Join").click()
    student.get_by_role("heading", name="Your assignment").wait_for()
    wait_idle(student)
    no_exception(student)


def answer_first_cell(student, ex: Exercise):
    """Type the right answer into the exercise's first blank cell: that cell."""
    first = ex.cells[0]
    edit_cell(student, student.locator("[data-testid='stDataFrame']").first, first.row, first.col,
              str(first.answer))
    return first


def submit(student, ex: Exercise) -> None:
    """Submit, with one cell right."""
    student.get_by_role("button", name="Submit to my teacher").click()
    wait_idle(student)
    student.get_by_text(f"Submitted: 1 of {len(ex.cells)} cells right").wait_for()


def download_grades(teacher, db: str, secret: str, path):
    """Download the dashboard's grades CSV to ``path`` and check it is the gradebook's: the download."""
    with teacher.expect_download() as info:
        teacher.get_by_role("button", name="Grades (CSV)").click()
    info.value.save_as(path)
    with Classroom(db) as room:
        assert path.read_text() == room.grades_csv(secret)
    return info.value

"""The classroom in headless Chromium: a teacher creates an assignment, a student joins by the class link
with a name full of markup, works a cell, checks the step and submits, and the teacher's dashboard counts
the submission; the name is plain text on both pages, and the CSV download is the gradebook's.

The app server here is one of its own, on an SQLite file of the test, so the test reads the same data.
"""

from __future__ import annotations

import os

import pytest

from .classroom_steps import answer_first_cell, create_assignment, download_grades, join, submit
from .conftest import (
    BROWSER,
    CHROMIUM,
    _no_browser,
    no_exception,
    shot,
    streamlit_server,
    texts,
    wait_idle,
)

pytestmark = BROWSER

NAME = "<b>Ada</b> **bold** [x](http://e.vil)"
MARKUP = "b:text-is('Ada'), strong:text-is('bold'), a[href*='e.vil']"  # the name, had it been rendered


@pytest.fixture(scope="module")
def class_app(tmp_path_factory):
    """An app server on a database of this module: (its URL, the database URL)."""
    if not os.path.exists(CHROMIUM):
        _no_browser(CHROMIUM)
    url = f"sqlite:///{tmp_path_factory.mktemp('classroom') / 'class.db'}"
    old = os.environ.get("BYHAND_DATABASE_URL")
    os.environ["BYHAND_DATABASE_URL"] = url  # the server inherits it
    try:
        with streamlit_server("classroom-server.log") as app_url:
            yield app_url, url
    finally:
        if old is None:
            os.environ.pop("BYHAND_DATABASE_URL", None)
        else:
            os.environ["BYHAND_DATABASE_URL"] = old


def test_a_class_in_one_link(browser, class_app, tmp_path):
    app_url, db = class_app
    teacher = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    student = browser.new_context(viewport={"width": 412, "height": 915}).new_page()  # a phone
    for p in (teacher, student):
        p.set_default_timeout(60_000)
    class_link, secret, ex = create_assignment(teacher, app_url, db)

    join(student, class_link, NAME)
    assert student.locator("[data-testid='stText']").first.inner_text() == f"Name: {NAME}"
    assert student.locator(MARKUP).count() == 0
    first = answer_first_cell(student, ex)
    student.get_by_role("button", name="Check this step").first.click()
    wait_idle(student)
    student.get_by_text(f"1 of {len(ex.cells_of(first.step))} right").first.wait_for()
    submit(student, ex)
    shot(student, "classroom-student")

    teacher.reload()
    wait_idle(teacher)
    no_exception(teacher)
    assert texts(teacher, "[data-testid='stMetricValue']", 2) == ["1", "1"]  # joined, submitted
    assert teacher.locator(MARKUP).count() == 0
    path = tmp_path / "grades.csv"
    download_grades(teacher, db, secret, path)
    assert f"\n{NAME},1,{len(ex.cells)}," in path.read_text()
    shot(teacher, "classroom-teacher")

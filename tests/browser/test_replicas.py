"""Two replicas behind HAProxy on one PostgreSQL (issue 14 §5), all on loopback from Debian's packages.

The test starts PostgreSQL (tests/classroom_db.py), two ``streamlit run app.py`` servers on it and HAProxy
with deploy/haproxy.cfg, its server template replaced by the two (deploy/loopback.py). HAProxy's
statistics give each replica's affinity cookie: the teacher's browser is pinned to replica 2 and the
student's to replica 1 by setting it. The student joins and submits on replica 1, and the teacher's
dashboard on replica 2 shows the name and the score. The grades CSV downloads through HAProxy from
replica 2, which made it, and replica 1 does not have it: that is why the sessions are sticky.
"""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.request
from contextlib import ExitStack

import pytest
from classroom_db import PgCluster

from deploy.loopback import CFG, haproxy

from .classroom_steps import answer_first_cell, create_assignment, download_grades, join, submit
from .conftest import (
    ARTIFACTS,
    BROWSER,
    CHROMIUM,
    _free_port,
    _no_browser,
    no_exception,
    shot,
    streamlit_server,
    texts,
    wait_idle,
)

pytestmark = BROWSER

NAME = "Ada Lovelace"
COOKIE = re.search(r"^\s*cookie (\S+)", CFG.read_text(), re.M).group(1)  # BYHAND_REPLICA


@pytest.fixture(scope="module")
def replicas():
    """PostgreSQL, two app servers on it and HAProxy in front of them: (the Proxy, the database URL)."""
    if not shutil.which(CHROMIUM):
        _no_browser(CHROMIUM)
    if not shutil.which("haproxy"):
        _no_browser("haproxy (apt-get install -y haproxy)")
    pg = PgCluster()  # skips without PostgreSQL, fails under CI
    try:
        db = pg.new_database()
        with ExitStack() as stack:
            env = {"BYHAND_DATABASE_URL": db}
            urls = [stack.enter_context(streamlit_server(f"replica{k}-server.log", env)) for k in (1, 2)]
            log = stack.enter_context(open(ARTIFACTS / "haproxy.log", "wb"))
            ports = [int(url.rsplit(":", 1)[1]) for url in urls]
            yield stack.enter_context(haproxy(ports, _free_port(), log=log)), db
    finally:
        pg.close()


def inserted_cookie(url: str) -> str:
    """The affinity cookie HAProxy gives a browser that has none."""
    with urllib.request.urlopen(url, timeout=30) as r:
        found = re.search(rf"{COOKIE}=(\w+)", r.headers.get("Set-Cookie", ""))
    assert found, f"no {COOKIE} cookie from HAProxy"
    return found.group(1)


def fetch(url: str, cookie: str) -> tuple[int, bytes]:
    """GET ``url`` with the affinity cookie ``cookie``: the status and the body."""
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


@pytest.fixture
def pinned(browser, replicas):
    """``pinned(cookie, viewport)``: a page of a new browser context that carries the affinity cookie
    ``cookie``; the contexts are closed after the test."""
    proxy, _ = replicas
    contexts = []

    def new_page(cookie: str, viewport: dict):
        contexts.append(browser.new_context(viewport=viewport))
        contexts[-1].add_cookies([{"name": COOKIE, "value": cookie, "url": proxy.url}])
        page = contexts[-1].new_page()
        page.set_default_timeout(60_000)
        return page

    try:
        yield new_page
    finally:
        for context in contexts:
            context.close()


def test_a_submission_on_one_replica_is_on_the_dashboard_of_the_other(replicas, pinned, tmp_path):
    proxy, db = replicas
    servers = proxy.servers()
    one, two = servers["app1"]["cookie"], servers["app2"]["cookie"]
    assert one != two
    assert {inserted_cookie(proxy.url) for _ in range(2)} == {one, two}  # round robin, then sticky
    teacher = pinned(two, {"width": 1280, "height": 800})
    student = pinned(one, {"width": 412, "height": 915})  # a phone

    class_link, secret, ex = create_assignment(teacher, proxy.url, db)  # links with the proxy's address
    join(student, class_link, NAME)
    answer_first_cell(student, ex)
    submit(student, ex)

    teacher.reload()
    wait_idle(teacher, 60_000)
    no_exception(teacher)
    assert texts(teacher, "[data-testid='stMetricValue']", 2) == ["1", "1"]  # joined, submitted
    gradebook = "[data-testid='stDataFrame'] [role='gridcell']"  # the first table; its cells' text
    assert texts(teacher, gradebook, 2) == [NAME, f"1 / {len(ex.cells)}"]  # name, score
    shot(teacher, "replicas-teacher-on-replica-2")

    path = tmp_path / "grades.csv"
    download = download_grades(teacher, db, secret, path)
    assert f"\n{NAME},1,{len(ex.cells)}," in path.read_text()
    assert fetch(download.url, two) == (200, path.read_bytes())
    assert fetch(download.url, one)[0] == 404  # replica 1 never made that file

    for page, cookie in ((teacher, two), (student, one)):  # HAProxy never moved either browser
        assert [c["value"] for c in page.context.cookies(proxy.url) if c["name"] == COOKIE] == [cookie]
    assert all(s["status"] == "UP" for s in proxy.servers().values())

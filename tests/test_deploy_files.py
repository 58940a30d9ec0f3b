"""The container image holds what the app needs: the files the Dockerfile copies are enough to open
every page (there is no Docker daemon here, so the copy is made the way its COPY lines say), and the
compose file's HAProxy config is valid for HAProxy itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PAGES_RUN = textwrap.dedent('''
    import sys
    from streamlit.testing.v1 import AppTest
    failed = []
    for page in sys.argv[1:]:
        at = AppTest.from_file("app.py", default_timeout=120)
        at.run()
        at.switch_page(page)
        at.run()
        if at.exception or not at.title:
            failed.append((page, [e.value for e in at.exception][:1]))
    print("FAILED", failed)
''')


def copied_paths() -> list[str]:
    """The sources of every COPY line of the Dockerfile."""
    out = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            *sources, _dest = line.split()[1:]
            out += sources
    return out


def test_the_image_copies_what_every_page_needs(tmp_path):
    paths = copied_paths()
    assert {"app.py", "app_pages", "byhand", ".streamlit", "requirements.txt"} <= set(paths)
    for p in paths:
        src = ROOT / p
        if src.is_dir():
            shutil.copytree(src, tmp_path / p, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / p)
    pages = sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["BYHAND_DATABASE_URL"] = f"sqlite:///{tmp_path / 'class.sqlite3'}"
    done = subprocess.run([sys.executable, "-c", PAGES_RUN, *pages], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "FAILED []" in done.stdout, done.stdout[-2000:]


def test_the_haproxy_config_is_valid():
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("HAProxy is needed under CI (apt-get install -y haproxy)")
        pytest.skip("no haproxy")
    env = {**os.environ, "BYHAND_LISTEN": ":8080", "BYHAND_REPLICAS": "3", "BYHAND_COOKIE_KEY": "k"}
    done = subprocess.run([haproxy, "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr

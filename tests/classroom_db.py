"""Databases for the classroom tests: an SQLite file, and a throwaway PostgreSQL cluster.

The cluster is Debian's PostgreSQL (``apt-get install postgresql``): ``initdb`` and ``pg_ctl`` on a
temporary folder and a free loopback port, run as the ``postgres`` user when we are root (PostgreSQL
refuses to run as root), stopped and deleted afterwards. Without PostgreSQL the tests that need it
are skipped, except under CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

__all__ = ["PgCluster", "pg_bin", "need_postgres"]


def pg_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL server programs, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def need_postgres(reason: str) -> None:
    """Skip, or fail under CI, when PostgreSQL cannot be used."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is needed under CI: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """A PostgreSQL cluster of our own on 127.0.0.1, user ``byhand`` with trust authentication."""

    def __init__(self):
        self.bin = pg_bin()
        if self.bin is None:
            need_postgres("no initdb (apt-get install -y -q postgresql)")
        self.root = Path(tempfile.mkdtemp(prefix="byhand-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_postgres = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "byhand", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()
        self._databases = 0

    def _run(self, program: str, *args: str) -> None:
        cmd = [*self.as_postgres, str(self.bin / program), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"{program} failed: {done.stdout}\n{done.stderr}\n{log[-2000:]}")

    def start(self) -> None:
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=300 -c shared_buffers=32MB")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"), "-w", "-t", "60",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://byhand@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        import psycopg

        self._databases += 1
        name = f"t{self._databases}_{int(time.time() * 1000) % 100000}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=byhand dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

"""Where the classroom keeps its data: the database URL, the engine, the schema's migrations.

By default an SQLite file in the user's data folder, so ``streamlit run app.py`` needs no setup;
``BYHAND_DATABASE_URL`` (or the URL passed in) points at PostgreSQL or another file. SQLite runs in
WAL mode, waits for a busy lock rather than failing, and starts every transaction with ``BEGIN
IMMEDIATE``: a write never has to upgrade a read lock, so fifty submissions in the same second queue
up instead of raising "database is locked". The schema is brought up to date by Alembic at start.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

__all__ = ["ENV_URL", "default_url", "resolve_url", "make_engine", "upgrade"]

ENV_URL = "BYHAND_DATABASE_URL"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_SECONDS = 60  # how long SQLite waits for another writer's lock
_LOCK_ID = 0x6279_6861_6E64  # PostgreSQL advisory lock: one replica migrates at a time


def default_url() -> str:
    """An SQLite file in the user's data folder (created if missing)."""
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("byhand", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'classroom.sqlite3'}"


def resolve_url(url: str | None) -> str:
    """The URL to use: ``url``, else ``$BYHAND_DATABASE_URL``, else the default SQLite file.

    A plain ``postgresql://`` URL gets the psycopg (3) driver, the one in requirements.txt.

    >>> resolve_url("postgresql://u@h/db")
    'postgresql+psycopg://u@h/db'
    """
    url = url or os.environ.get(ENV_URL) or default_url()
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url[len(plain):]
    return url


def make_engine(url: str) -> Engine:
    """The engine of ``url``; for SQLite: WAL, foreign keys, a busy timeout, ``BEGIN IMMEDIATE``."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40)
    args = {"timeout": BUSY_SECONDS, "check_same_thread": False}
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args=args, pool_size=10, max_overflow=40)
    else:  # in memory (examples): one connection, or each would see a database of its own
        engine = create_engine(url, connect_args=args, poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # pysqlite's own BEGIN off: the "begin" hook below says it
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        cur.execute("PRAGMA synchronous=FULL")  # a committed submission survives even a power cut
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to the newest migration, or to ``revision`` (no alembic.ini: the config is
    built here)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

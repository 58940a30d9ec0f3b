"""Alembic's environment for the classroom schema, run by ``byhand.classroom.store.upgrade``.

No alembic.ini: the caller passes an open connection in ``config.attributes["connection"]``. The
version table has a name of its own, so the classroom can share a database with other tables.
Importing this file outside a migration (as pytest's doctest collection does) does nothing.
"""

from alembic import context

from byhand.classroom.models import Base

VERSION_TABLE = "classroom_alembic_version"


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "config", None) is not None:
    run_migrations()

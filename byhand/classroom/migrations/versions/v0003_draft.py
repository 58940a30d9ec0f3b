"""A student's latest checked answers (their draft), for them alone: a reload or a phone that drops
the page comes back to the work, not only to the last submission.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classroom_students") as batch:
        batch.add_column(sa.Column("draft", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("classroom_students") as batch:
        batch.drop_column("draft")

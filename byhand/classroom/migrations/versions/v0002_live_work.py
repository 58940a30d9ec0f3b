"""Live class mode: each student's latest step check (each cell's status, no answers) and when.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classroom_students") as batch:
        batch.add_column(sa.Column("work", sa.Text, nullable=True))
        batch.add_column(sa.Column("worked_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("classroom_students") as batch:
        batch.drop_column("worked_at")
        batch.drop_column("work")

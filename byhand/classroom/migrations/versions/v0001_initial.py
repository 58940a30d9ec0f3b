"""The first classroom schema: assignments, students, submissions, hints, failed join attempts.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classroom_assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("join_code", sa.String(16), nullable=False, unique=True),
        sa.Column("teacher_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("spec", sa.String(200), nullable=False),
        sa.Column("per_student", sa.Boolean, nullable=False),
        sa.Column("due", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "classroom_students",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("assignment_id", sa.Integer,
                  sa.ForeignKey("classroom_assignments.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("joined_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("assignment_id", "number"),
    )
    op.create_table(
        "classroom_submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("student_id", sa.Integer,
                  sa.ForeignKey("classroom_students.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("verdicts", sa.Text, nullable=False),
        sa.Column("mistakes", sa.Text, nullable=False),
        sa.Column("correct", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("hints_used", sa.Integer, nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "classroom_hints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("student_id", sa.Integer,
                  sa.ForeignKey("classroom_students.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("cell", sa.String(40), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.UniqueConstraint("student_id", "cell"),
    )
    op.create_table(
        "classroom_join_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
    )


def downgrade() -> None:
    for table in ("classroom_join_attempts", "classroom_hints", "classroom_submissions", "classroom_students",
                  "classroom_assignments"):
        op.drop_table(table)

"""report limits: keyed hashes of identities with the times of their reports (and spam)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_limit_marks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_report_limit_marks_key_kind_at", "report_limit_marks", ["key_hash", "kind", "at"]
    )
    op.create_index("ix_report_limit_marks_at", "report_limit_marks", ["at"])
    op.create_table(
        "stored_secrets",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stored_secrets")
    op.drop_index("ix_report_limit_marks_at", table_name="report_limit_marks")
    op.drop_index("ix_report_limit_marks_key_kind_at", table_name="report_limit_marks")
    op.drop_table("report_limit_marks")

"""inbox: polled events kept until handled (Zalo hands each event out once)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_inbox_events_channel", "inbox_events", ["channel"])


def downgrade() -> None:
    op.drop_index("ix_inbox_events_channel", table_name="inbox_events")
    op.drop_table("inbox_events")

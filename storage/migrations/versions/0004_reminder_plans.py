"""reminder plans: when a point's reminders for a date were last recorded

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_plans",
        sa.Column("point_id", sa.String(64), primary_key=True),
        sa.Column("date", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_subscriptions_point_created", "subscriptions", ["point_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_subscriptions_point_created", table_name="subscriptions")
    op.drop_table("reminder_plans")

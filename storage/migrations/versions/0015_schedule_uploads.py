"""schedule uploads: files kept between the staff console's preview and their import

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule_uploads",
        sa.Column("actor", sa.String(90), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_schedule_uploads_created_at", "schedule_uploads", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_schedule_uploads_created_at", table_name="schedule_uploads")
    op.drop_table("schedule_uploads")

"""broadcasts: officials' announcements, the announcements setting, outbox rows per broadcast

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("announcements", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.create_index("ix_users_commune_code", "users", ["commune_code"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("in_doubt", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_outbox_broadcast", "outbox", ["broadcast_id", "status", "id"])
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("author", sa.String(90), nullable=False),
        sa.Column("author_language", sa.String(2), nullable=False),
        sa.Column("area_code", sa.String(5), nullable=True),
        sa.Column("subscribers_only", sa.Boolean(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("text", sa.String(4096), nullable=False),
        sa.Column("photo", sa.String(256), nullable=True),
        sa.Column("payloads", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(90), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(90), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
    )
    op.create_index("ix_broadcasts_status", "broadcasts", ["status", "not_before"])


def downgrade() -> None:
    op.drop_index("ix_broadcasts_status", table_name="broadcasts")
    op.drop_table("broadcasts")
    op.drop_index("ix_outbox_broadcast", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("in_doubt")
        batch.drop_column("broadcast_id")
    op.drop_index("ix_users_commune_code", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("announcements")

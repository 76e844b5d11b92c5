"""zalo: linked channels (users.person_id, link codes) and numbered choices remembered per user

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

A branch of its own (0005 and 0006 are other features' branches); `storage.db.upgrade`
applies every head. `users.person_id` has no foreign key on purpose: on SQLite a foreign key
can only be added by rebuilding the users table, and dropping the old table with
foreign_keys=ON would cascade into subscriptions and conversation states.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("person_id", sa.Integer(), nullable=True))
    op.create_index("ix_users_person_id", "users", ["person_id"])
    op.create_table(
        "link_codes",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_link_codes_user_id", "link_codes", ["user_id"])
    op.create_table(
        "chat_choices",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chat_choices")
    op.drop_index("ix_link_codes_user_id", table_name="link_codes")
    op.drop_table("link_codes")
    op.drop_index("ix_users_person_id", table_name="users")
    op.drop_column("users", "person_id")

"""zalo_oa: each OA identity's message window, and the phones given with consent for ZNS

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

``zalo_oa_contacts`` holds one row per OA identity: the time of its last event (the OA may
send customer-service messages for 7 days after it), the time a -230 answer closed the window
early, and whether the person follows the OA. ``zns_phones`` holds a phone number (84…) that a
person gave for one purpose with their consent; both go with the person. ``outbox.zns_at``
is written just before a row's ZNS request leaves: a sender killed mid-send leaves it set, and
the next sender records the row failed (in doubt) rather than pay for a second copy.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_oa_contacts",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("last_interaction_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("follower", sa.Boolean(), nullable=False, server_default=sa.text("true")),
    )
    op.create_table(
        "zns_phones",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "purpose"),
    )
    op.add_column("outbox", sa.Column("zns_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Not in batch mode: SQLite would rebuild the outbox without its expression indexes.
    op.drop_column("outbox", "zns_at")
    op.drop_table("zns_phones")
    op.drop_table("zalo_oa_contacts")

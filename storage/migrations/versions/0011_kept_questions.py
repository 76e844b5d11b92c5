"""kept questions: messages answered none or with low confidence, masked, kept 90 days

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kept_questions_user_id", "kept_questions", ["user_id"])
    op.create_index("ix_kept_questions_created_at", "kept_questions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_kept_questions_created_at", table_name="kept_questions")
    op.drop_index("ix_kept_questions_user_id", table_name="kept_questions")
    op.drop_table("kept_questions")

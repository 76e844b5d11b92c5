"""conversation states: an index on (flow, updated_at) for the job that forgets old stories

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_conversation_states_flow_updated", "conversation_states", ["flow", "updated_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_conversation_states_flow_updated", table_name="conversation_states")

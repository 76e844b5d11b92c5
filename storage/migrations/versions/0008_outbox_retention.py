"""outbox retention: a broadcast keeps the counts of its rows once they are pruned

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22

Handled outbox rows are deleted after a retention period (they hold the texts sent to each
person); a broadcast's counts by status move into ``broadcasts.pruned_counts`` first, so its
report stays whole.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("broadcasts", sa.Column("pruned_counts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("pruned_counts")

"""broadcasts: the console's list by area in date order (area_code, created_at, id)

The staff console lists the broadcasts of an official's areas newest first, a page at a time
after the last one shown (keyset). With the area first, a province's or a commune's broadcasts
are read from the index alone instead of scanning and sorting every broadcast of the country.

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-07
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_broadcasts_area_created", "broadcasts", ["area_code", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_broadcasts_area_created", table_name="broadcasts")

"""reports: the console's queue pages by area in date order (province or commune, created_at, id)

The single-column indexes on province_code and commune_code become the first columns of two
wider ones, so a moderator's queue (the reports of a province, or of a commune, oldest first,
a page after the last one shown) is read in index order instead of sorting the area's reports.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_reports_province_created", "reports", ["province_code", "created_at", "id"]
    )
    op.create_index("ix_reports_commune_created", "reports", ["commune_code", "created_at", "id"])
    op.drop_index("ix_reports_province_code", table_name="reports")
    op.drop_index("ix_reports_commune_code", table_name="reports")


def downgrade() -> None:
    op.create_index("ix_reports_commune_code", "reports", ["commune_code"])
    op.create_index("ix_reports_province_code", "reports", ["province_code"])
    op.drop_index("ix_reports_commune_created", table_name="reports")
    op.drop_index("ix_reports_province_created", table_name="reports")

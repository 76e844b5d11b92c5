"""audit log: the area each entry belongs to, and indexes for reading it by area, actor, action

The staff console's audit page shows an admin the entries of their area only, newest first,
filtered by who, what and when, a page at a time (storage/audit.py). Existing entries get
their area from what they are about: a report's commune (its province when escalated), a
broadcast's area, a transaction point's commune, the area of a role granted or revoked.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("area_code", sa.String(5), nullable=True))
    _fill_areas()
    op.create_index("ix_audit_log_area_at", "audit_log", ["area_code", "at", "id"])
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at", "id"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at", "id"])


def _fill_areas() -> None:
    """The rule of storage.audit.area_of, in SQL, for the entries written before it."""
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(
        "UPDATE audit_log SET area_code = CASE "
        "WHEN r.escalated OR r.commune_code IS NULL THEN r.province_code "
        "ELSE r.commune_code END "
        "FROM reports AS r "
        "WHERE audit_log.action LIKE 'report.%' "
        "AND audit_log.subject = 'report:' || CAST(r.id AS VARCHAR)"
    )
    op.execute(
        "UPDATE audit_log SET area_code = b.area_code FROM broadcasts AS b "
        "WHERE audit_log.action LIKE 'broadcast.%' "
        "AND audit_log.subject = 'broadcast:' || CAST(b.id AS VARCHAR)"
    )
    op.execute(
        "UPDATE audit_log SET area_code = p.commune_code FROM transaction_points AS p "
        "WHERE (audit_log.action LIKE 'schedule.%' OR audit_log.action LIKE 'point.%') "
        "AND audit_log.subject = p.id"
    )
    area = "detail ->> 'area'" if postgres else "json_extract(detail, '$.area')"
    op.execute(
        f"UPDATE audit_log SET area_code = {area} "
        f"WHERE action LIKE 'role.%' AND length({area}) IN (2, 5)"
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
    op.drop_index("ix_audit_log_actor_at", table_name="audit_log")
    op.drop_index("ix_audit_log_area_at", table_name="audit_log")
    op.drop_column("audit_log", "area_code")

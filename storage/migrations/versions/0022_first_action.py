"""reports: the time of a moderator's first action, kept on the report

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07

The dashboard's time to first action (storage/stats.py) found each report's first moderator
action by reading the audit log (``ix_audit_log_report_actions``, migration 0018): 100 ms and
more for a year of reports. ``reports.first_action_at`` now holds it, written once as a
moderator's move changes the report (handlers/reports/common.py, change_status), and
``ix_reports_first_action`` holds the acted-on reports by time with their area's columns, so a
period's times are one index range. Reports acted on before get the time of their first audit
entry whose actor is not the reporter, the meaning the dashboard gave it. The audit log's
partial index served only that figure and goes (after the backfill has used it).
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

FIRST_ACTED = "first_action_at IS NOT NULL"
REPORT_ACTIONS = "actor <> 'reporter' AND subject LIKE 'report:%'"
# One statement for both databases: each report's first entry among the moderators' actions
# on reports (the partial index's condition, repeated so that both databases may use it).
BACKFILL = """
UPDATE reports SET first_action_at = (
    SELECT min(a.at) FROM audit_log a
    WHERE a.subject = 'report:' || CAST(reports.id AS VARCHAR(20))
      AND a.actor <> 'reporter' AND a.subject LIKE 'report:%'
)
"""


def upgrade() -> None:
    op.add_column("reports", sa.Column("first_action_at", sa.DateTime(timezone=True)))
    op.execute(BACKFILL)
    op.create_index(
        "ix_reports_first_action",
        "reports",
        ["created_at", "first_action_at", "province_code", "commune_code", "escalated"],
        sqlite_where=sa.text(FIRST_ACTED),
        postgresql_where=sa.text(FIRST_ACTED),
    )
    op.drop_index("ix_audit_log_report_actions", table_name="audit_log")


def downgrade() -> None:
    op.create_index(
        "ix_audit_log_report_actions",
        "audit_log",
        ["subject", "at"],
        sqlite_where=sa.text(REPORT_ACTIONS),
        postgresql_where=sa.text(REPORT_ACTIONS),
    )
    op.drop_index("ix_reports_first_action", table_name="reports")
    op.drop_column("reports", "first_action_at")

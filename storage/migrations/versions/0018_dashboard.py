"""dashboard: an index of the reminders in the outbox by point, time and status, and the
reminders' counts kept when their rows are pruned

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

The dashboard counts reminders per month and status for the points of an area
(storage/stats.py). The outbox holds every message (a broadcast puts a million rows in it), so
the index is partial, over the reminders' rows only, and leads with the point id read from the
row's key (``rem:{point}:{date}:{kind}:{user}``): an area's reminders are a few index ranges,
the whole country's an index-only scan. The expression is written in each database's words,
exactly as the query writes it.

Handled outbox rows are deleted after 90 days (bot/scheduler.py); ``reminder_tallies`` keeps
the reminders' counts by local day, point and status as they go (storage/outbox.py, prune),
so that a year of reminders can still be counted. An hourly job (bot/scheduler.py) counts
each settled day there once, and ``reminder_tally_mark`` (one row) says through which day:
the dashboard reads the counts of those days and the outbox only for the days after them, by
the second partial index (time, status) for the whole country. ``reminder_months`` holds the
same counts by month and commune (and for the whole country), added to with every daily count,
so that a year is a few dozen rows to read. ``ix_audit_log_report_actions`` holds the
moderators' actions on reports by report and time: each report's first is read in its order.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

NAME = "ix_outbox_reminders"
TIME_NAME = "ix_outbox_reminders_time"
REPORT_ACTIONS = "actor <> 'reporter' AND subject LIKE 'report:%'"
WHERE = "kind IN ('reminder_eve', 'reminder_day')"
POINT = {
    "postgresql": "split_part(dedup_key, ':', 2)",
    "sqlite": "substr(substr(dedup_key, 5), 1, instr(substr(dedup_key, 5), ':') - 1)",
}


def upgrade() -> None:
    op.create_table(
        "reminder_tallies",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("point_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "point_id", "status"),
    )
    dialect = op.get_bind().dialect.name
    op.create_index(
        NAME,
        "outbox",
        [sa.text(POINT[dialect]), "created_at", "status"],
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )
    op.create_index(
        TIME_NAME,
        "outbox",
        ["created_at", "status"],
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )
    mark = op.create_table(
        "reminder_tally_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("through", sa.Date(), nullable=True),
        sa.Column("live_from", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(mark, [{"id": 1, "through": None, "live_from": None}])
    op.create_index(
        "ix_audit_log_report_actions",
        "audit_log",
        ["subject", "at"],
        sqlite_where=sa.text(REPORT_ACTIONS),
        postgresql_where=sa.text(REPORT_ACTIONS),
    )
    op.create_table(
        "reminder_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "commune_code", "status"),
    )


def downgrade() -> None:
    op.drop_table("reminder_months")
    op.drop_index("ix_audit_log_report_actions", table_name="audit_log")
    op.drop_table("reminder_tally_mark")
    op.drop_index(TIME_NAME, table_name="outbox")
    op.drop_index(NAME, table_name="outbox")
    op.drop_table("reminder_tallies")

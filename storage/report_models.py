"""Tables of reports: what citizens report, what happens to it, and the evidence they sent.

Registered on the same metadata as every other table (``storage.models`` imports this module).
The reporter is a nullable link to ``users``: deleting the user (``/dulieu``) sets it to NULL,
so the report stays for the moderators and nothing leads back to the person.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String, Text, text
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime, utcnow

# The reports a moderator has acted on: the rows of ix_reports_first_action.
FIRST_ACTED = "first_action_at IS NOT NULL"


class Report(SQLModel, table=True):
    """One report of black credit or misconduct, and where it stands."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_status_created", "status", "created_at"),
        # A moderator's queue: the reports of an area, oldest first (storage/report_queue.py).
        Index("ix_reports_province_created", "province_code", "created_at", "id"),
        Index("ix_reports_commune_created", "commune_code", "created_at", "id"),
        # The dashboard's time to first action (storage/stats.py): the acted-on reports of a
        # period in one range, each area's test and both times read from the index alone.
        Index(
            "ix_reports_first_action",
            "created_at",
            "first_action_at",
            "province_code",
            "commune_code",
            "escalated",
            postgresql_where=text(FIRST_ACTED),
            sqlite_where=text(FIRST_ACTED),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(8), unique=True)  # the reporter's tracking code
    handle: str = Field(sa_type=String(8))  # the pseudonym moderators see, stable per report
    reporter_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    category: str = Field(sa_type=String(24))
    accused: str | None = Field(default=None, sa_type=String(16))  # who, for misconduct
    # Misconduct by the commune apparatus goes to the province, never to the commune alone.
    escalated: bool = Field(default=False)
    commune_code: str | None = Field(default=None, sa_type=String(5))
    province_code: str | None = Field(default=None, sa_type=String(2))
    place_text: str | None = Field(default=None, sa_type=String(100))  # typed, not found
    happened: str | None = Field(default=None, sa_type=String(100))
    description: str = Field(sa_type=Text)
    danger: bool = Field(default=False)
    contact_ok: bool = Field(default=False)
    status: str = Field(default="new", sa_type=String(16))
    taken_by: str | None = Field(default=None, sa_type=String(90))  # moderator, "telegram:1"
    forwarded_to: str | None = Field(default=None, sa_type=String(16))
    reason: str | None = Field(default=None, sa_type=String(16))  # why it was rejected
    duplicate_of: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("reports.id", ondelete="SET NULL"), nullable=True),
    )
    consent_at: dt.datetime = Field(sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    touched_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A moderator's first move on it (handlers/reports/common.py, change_status), set once: the
    # time of its first audit entry whose actor is not the reporter.
    first_action_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReportEvent(SQLModel, table=True):
    """A report's history: each change of state, and the questions and answers relayed."""

    __tablename__ = "report_events"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(
        sa_column=Column(ForeignKey("reports.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    kind: str = Field(sa_type=String(16))  # "status", "question", "answer", "evidence"
    status: str | None = Field(default=None, sa_type=String(16))  # the state after it
    detail: str | None = Field(default=None, sa_type=String(2000))


class ReportFile(SQLModel, table=True):
    """Evidence, stored with its metadata stripped: a draft of ``owner_id`` until the report
    is sent, then the report's (the owner link is cleared, so deleting the user keeps it)."""

    __tablename__ = "report_files"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("reports.id", ondelete="CASCADE"), nullable=True, index=True),
    )
    owner_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True),
    )
    kind: str = Field(sa_type=String(16))  # "photo" or "document"
    mime_type: str = Field(sa_type=String(64))
    file_name: str = Field(sa_type=String(100))
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

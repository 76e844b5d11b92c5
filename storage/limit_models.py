"""Tables that keep what the report limits need, and no identity (storage/report_limits.py).

Registered on the same metadata as every other table (``storage.models`` imports this module).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


class ReportLimitMark(SQLModel, table=True):
    """One report sent, or one rejected as spam, by a keyed hash of a channel identity.

    No user id, no report id: deleting one's data (/dulieu) leaves these, and they say nothing
    about who sent what to anyone without the key. Pruned once the limit no longer needs them.
    """

    __tablename__ = "report_limit_marks"
    __table_args__ = (Index("ix_report_limit_marks_key_kind_at", "key_hash", "kind", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(sa_type=String(64))  # HMAC-SHA256 hex of "channel:user_id"
    kind: str = Field(sa_type=String(8))  # "report" or "spam"
    # Random, shared by the marks one report leaves on each linked identity: counted once.
    event: str = Field(sa_type=String(16))
    at: dt.datetime = Field(sa_type=UTCDateTime, index=True)


class StoredSecret(SQLModel, table=True):
    """A secret the bot made for itself when the configuration gives none (REPORT_LIMIT_KEY)."""

    __tablename__ = "stored_secrets"

    name: str = Field(sa_type=String(32), primary_key=True)
    value: str = Field(sa_type=String(128))
    created_at: dt.datetime = Field(sa_type=UTCDateTime)

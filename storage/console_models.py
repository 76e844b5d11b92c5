"""The staff console's sign-in links and sessions (storage/console.py).

Only hashes of the tokens are kept: a copy of the database does not sign anyone in.
Registered on the same metadata as every other table (``storage.models`` imports this module).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


class StaffLink(SQLModel, table=True):
    """A single-use sign-in link sent by the bot to one person who holds a role."""

    __tablename__ = "staff_links"
    __table_args__ = (Index("ix_staff_links_person", "channel", "channel_user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    channel: str = Field(sa_type=String(16))
    channel_user_id: str = Field(sa_type=String(64))
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds the token, this row its hash and the person."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_person", "channel", "channel_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    channel: str = Field(sa_type=String(16))
    channel_user_id: str = Field(sa_type=String(64))
    csrf: str = Field(sa_type=String(64))  # the form token of this session
    lang: str = Field(default="vi", sa_type=String(2))
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    flash: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

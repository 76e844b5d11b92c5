"""The Zalo Official Account's OAuth tokens (storage/zalo_oa_tokens.py).

Registered on the same metadata as every other table (``storage.models`` imports this module).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


class ZaloOaToken(SQLModel, table=True):
    """One row per OA app: the tokens in use, and how the last refresh went.

    The refresh token is single-use and replaced on every refresh, so the row is the one place
    it lives: replicas refresh under a lock on this row (bot/zalo_oa_tokens.py) and never
    spend the same refresh token twice. ``last_error`` never holds a token.
    """

    __tablename__ = "zalo_oa_tokens"

    app_id: str = Field(sa_type=String(32), primary_key=True)
    access_token: str | None = Field(default=None, sa_type=Text)
    access_expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    refresh_token: str | None = Field(default=None, sa_type=Text)
    refresh_expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # SHA-256 of the ZALO_OA_REFRESH_TOKEN this row last took in: a new value in the settings
    # (an operator's new grant) replaces the stored token, the same one again does not.
    seed_hash: str | None = Field(default=None, sa_type=String(64))
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)
    refreshed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=String(500))
    last_error_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    failures: int = Field(default=0)  # refreshes failed in a row

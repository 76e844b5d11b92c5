"""Schedule files uploaded in the staff's web console, kept between their preview and their
import (storage/schedule_uploads.py).

Registered on the same metadata as every other table (``storage.models`` imports this module).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, LargeBinary, String
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


class ScheduleUpload(SQLModel, table=True):
    """One file as it was uploaded, by who uploaded it and the SHA-256 of its bytes: the
    import applies exactly the file its preview showed, from any replica."""

    __tablename__ = "schedule_uploads"

    actor: str = Field(sa_type=String(90), primary_key=True)  # "telegram:123"
    digest: str = Field(sa_type=String(64), primary_key=True)  # SHA-256 hex of ``data``
    name: str = Field(sa_type=String(200))  # the file's name on the official's computer
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)

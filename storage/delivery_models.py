"""What is left of reminders once their outbox rows are deleted: counts by day, point and
status (storage/outbox.py, ``prune``), so that the dashboard's months stay whole after the
messages themselves are gone (storage/stats.py).

Registered on the same metadata as every other table (``storage.models`` imports this module).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlmodel import Field, SQLModel


class ReminderTally(SQLModel, table=True):
    """Reminders of one point recorded on one local day that ended in one status."""

    __tablename__ = "reminder_tallies"

    day: dt.date = Field(primary_key=True)  # local (Vietnam) day the reminder was recorded
    point_id: str = Field(sa_type=String(64), primary_key=True)
    status: str = Field(sa_type=String(16), primary_key=True)
    n: int = Field(default=0)

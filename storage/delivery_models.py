"""What is left of reminders once their outbox rows are deleted: counts by day, point and
status (storage/outbox.py, ``prune``), so that the dashboard's months stay whole after the
messages themselves are gone (storage/stats.py).

Registered on the same metadata as every other table (``storage.models`` imports this module).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from storage.models import UTCDateTime


class ReminderTally(SQLModel, table=True):
    """Reminders of one point recorded on one local day that ended in one status."""

    __tablename__ = "reminder_tallies"

    day: dt.date = Field(primary_key=True)  # local (Vietnam) day the reminder was recorded
    point_id: str = Field(sa_type=String(64), primary_key=True)
    status: str = Field(sa_type=String(16), primary_key=True)
    n: int = Field(default=0)


class ReminderTallyMark(SQLModel, table=True):
    """The one row saying through which local day every reminder is in ``reminder_tallies``
    (storage/stats.py, ``tally_settled_reminders``): the outbox's reminders of those days are
    counted there once and never again; later days are still counted from the outbox."""

    __tablename__ = "reminder_tally_mark"

    id: int = Field(default=1, primary_key=True)  # always 1
    through: dt.date | None = Field(default=None)  # None: no day tallied yet
    # Where the days not yet tallied begin, in UTC (the local midnight after ``through``).
    live_from: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReminderMonth(SQLModel, table=True):
    """The same counts by local month, commune (the point's, when it was counted) and status,
    and by month and status for the whole country (commune ``*``): a year of an area is a
    few dozen rows, not a row per point and day (storage/stats.py)."""

    __tablename__ = "reminder_months"

    month: str = Field(sa_type=String(7), primary_key=True)  # 'YYYY-MM', local
    commune_code: str = Field(sa_type=String(5), primary_key=True)  # or EVERYWHERE
    status: str = Field(sa_type=String(16), primary_key=True)
    n: int = Field(default=0)


EVERYWHERE = "*"

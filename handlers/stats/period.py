"""The dashboard's period: one of three ready choices, or a range of days the person types.

Every period is a range of whole local days, [first, last], turned into UTC moments for the
queries. The ready choices start on a week's Monday or a month's first day, so that the
first bar of a chart is a whole week or month.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from storage.stats import Period

# Older than this the data says nothing (the bot did not exist), and a wider range than
# this makes weekly charts unreadable.
EARLIEST = dt.date(2024, 1, 1)
LONGEST = dt.timedelta(days=2 * 366)


class Choice(enum.StrEnum):
    WEEKS_4 = "4w"
    MONTHS_3 = "3m"
    MONTHS_12 = "12m"
    CUSTOM = "custom"


DEFAULT = Choice.WEEKS_4


@dataclass(frozen=True)
class DayRange:
    """The days the figures cover, both included, and how they were chosen."""

    choice: Choice
    first: dt.date
    last: dt.date

    def period(self, tz: ZoneInfo) -> Period:
        start = dt.datetime.combine(self.first, dt.time(0), tz)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), tz)
        offset = start.utcoffset() or dt.timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        return Period(start.astimezone(dt.UTC), end.astimezone(dt.UTC), minutes)

    def query(self) -> dict[str, str]:
        """The query string that names this range again (links, charts, CSV)."""
        if self.choice is Choice.CUSTOM:
            return {"period": "custom", "from": self.first.isoformat(), "to": self.last.isoformat()}
        return {"period": self.choice.value}

    def weeks(self) -> list[dt.date]:
        """The Mondays of every week the range touches."""
        monday = self.first - dt.timedelta(days=self.first.weekday())
        found = []
        while monday <= self.last:
            found.append(monday)
            monday += dt.timedelta(days=7)
        return found

    def months(self) -> list[str]:
        """'YYYY-MM' of every month the range touches."""
        year, month = self.first.year, self.first.month
        found = []
        while (year, month) <= (self.last.year, self.last.month):
            found.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


class PeriodError(ValueError):
    """Why the typed range cannot be used: a message key and its values."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def _months_back(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def ready(choice: Choice, today: dt.date) -> DayRange:
    """A ready choice ending today."""
    if choice is Choice.WEEKS_4:
        first = today - dt.timedelta(days=today.weekday() + 21)
    elif choice is Choice.MONTHS_3:
        first = _months_back(today, 2)
    else:
        first = _months_back(today, 11)
    return DayRange(choice, first, today)


def _day(text: str, field: str) -> dt.date:
    text = text.strip()
    if not text:
        raise PeriodError(f"console.dashboard.period.{field}_missing")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PeriodError("console.dashboard.period.bad_date", value=text[:20]) from None


def choose(query: Mapping[str, str], today: dt.date) -> DayRange:
    """The range a page's query string asks for; the default without one.

    Raises PeriodError with a message for the person when the choice or the typed days
    cannot be used.
    """
    name = query.get("period", DEFAULT.value)
    try:
        choice = Choice(name)
    except ValueError:
        raise PeriodError("console.dashboard.period.unknown") from None
    if choice is not Choice.CUSTOM:
        return ready(choice, today)
    first = _day(query.get("from", ""), "from")
    last = _day(query.get("to", ""), "to")
    if first > last:
        raise PeriodError("console.dashboard.period.reversed")
    if last > today:
        raise PeriodError("console.dashboard.period.future", today=today.isoformat())
    if first < EARLIEST:
        raise PeriodError("console.dashboard.period.too_early", earliest=EARLIEST.isoformat())
    if last - first >= LONGEST:
        raise PeriodError("console.dashboard.period.too_long")
    return DayRange(choice, first, last)

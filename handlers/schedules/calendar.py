"""Transaction days as dates: a point's fixed monthly day, with one-off moves and cancellations.

Pure functions, no I/O. A point works on its ``day_of_month`` each month, or on the month's
last day when the month is shorter (day 31 falls on 30 April, on 28 or 29 February). An
exception moves one regular day to another date, or cancels it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol


class SchedulePoint(Protocol):
    """What the calendar needs of a transaction point (``storage.models.TransactionPoint``)."""

    @property
    def id(self) -> str: ...

    @property
    def day_of_month(self) -> int: ...


class DayException(Protocol):
    """What the calendar needs of an exception (``storage.models.ScheduleException``)."""

    @property
    def point_id(self) -> str: ...

    @property
    def regular_date(self) -> dt.date: ...

    @property
    def moved_to(self) -> dt.date | None: ...  # None: cancelled

    @property
    def reason(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One regular transaction day of a point, as it will actually happen.

    ``date`` is the day the point works (the regular date, or the date it was moved to);
    None when the day is cancelled.
    """

    point_id: str
    regular_date: dt.date
    date: dt.date | None
    cancelled: bool
    reason: str | None

    @property
    def moved(self) -> bool:
        return self.date is not None and self.date != self.regular_date


def regular_date(day_of_month: int, year: int, month: int) -> dt.date:
    """The point's day in that month, or the month's last day when the month is shorter."""
    if not 1 <= day_of_month <= 31:
        raise ValueError(f"day_of_month must be 1-31, got {day_of_month}")
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day_of_month, last))


def is_regular_date(day_of_month: int, day: dt.date) -> bool:
    return regular_date(day_of_month, day.year, day.month) == day


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _months(start: dt.date, end: dt.date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = add_months(year, month, 1)


def _apply(point_id: str, regular: dt.date, exception: DayException | None) -> Occurrence:
    if exception is None:
        return Occurrence(point_id, regular, regular, cancelled=False, reason=None)
    if exception.moved_to is None:
        return Occurrence(point_id, regular, None, cancelled=True, reason=exception.reason)
    return Occurrence(
        point_id, regular, exception.moved_to, cancelled=False, reason=exception.reason
    )


def occurrences(
    point: SchedulePoint,
    exceptions: Iterable[DayException],
    start: dt.date,
    end: dt.date,
) -> list[Occurrence]:
    """The point's regular days in [start, end] with their exceptions applied, by date.

    A regular day in range that was moved out of range is still listed (with its new date),
    and so is a day moved into the range from a regular date outside it. Exceptions of other
    points, or on a date that is not one of this point's regular days, are ignored; when
    several are given for the same day, the last one counts.
    """
    if end < start:
        return []
    by_day: dict[dt.date, DayException] = {}
    for exception in exceptions:
        if exception.point_id == point.id and is_regular_date(
            point.day_of_month, exception.regular_date
        ):
            by_day[exception.regular_date] = exception

    found: dict[dt.date, Occurrence] = {}
    for year, month in _months(start, end):
        regular = regular_date(point.day_of_month, year, month)
        if start <= regular <= end:
            found[regular] = _apply(point.id, regular, by_day.get(regular))
    for regular, exception in by_day.items():
        moved_to = exception.moved_to
        if regular not in found and moved_to is not None and start <= moved_to <= end:
            found[regular] = _apply(point.id, regular, exception)
    return sorted(found.values(), key=lambda o: (o.date or o.regular_date, o.regular_date))


def next_occurrences(
    point: SchedulePoint,
    exceptions: Iterable[DayException],
    today: dt.date,
    months: int = 2,
) -> list[Occurrence]:
    """The point's days from today to the end of the month ``months - 1`` after this one.

    Days already past are left out: a day that was moved to an earlier date that has passed
    is gone, while a cancelled day is listed until its regular date has passed.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    year, month = add_months(today.year, today.month, months - 1)
    end = month_end(dt.date(year, month, 1))
    return [
        o
        for o in occurrences(point, exceptions, today, end)
        if (o.date if o.date is not None else o.regular_date) >= today
    ]

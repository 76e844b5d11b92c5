"""One month of a transaction point as a calendar: the days it works, the days moved or
cancelled, Vietnam's public holidays, and which of its days can still be changed and how.

What a day allows is rules.py's (the same table /lichxa offers its buttons from); which days
are still coming is changes.upcoming's. For the staff's web console (issue 13); no I/O but the
session's queries, no text but the holidays' names.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.schedules import changes, rules
from handlers.schedules.calendar import Occurrence, add_months, month_end, occurrences
from handlers.schedules.rules import DayChange, DayState
from storage import schedules
from storage.models import TransactionPoint

# How far from today a month can be shown: a year back (what happened), a year ahead.
MONTHS_BACK = 12
MONTHS_FORWARD = 12


@dataclass(slots=True)
class DayCell:
    """One date of the calendar's grid."""

    date: dt.date
    in_month: bool
    today: bool
    holiday: str | None
    works: list[Occurrence] = field(default_factory=list)  # the point works on this date
    moved_away: list[Occurrence] = field(default_factory=list)  # its regular day moved off it
    cancelled: list[Occurrence] = field(default_factory=list)  # its regular day, cancelled


@dataclass(frozen=True, slots=True)
class MonthDay:
    """One of the point's days shown in the month, and the changes it allows now (none when
    it has passed)."""

    occurrence: Occurrence
    state: DayState
    changes: tuple[DayChange, ...]
    holiday: str | None  # on the date it works, when that is a holiday


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int
    weeks: list[list[DayCell]]  # Monday first
    days: list[MonthDay]
    previous: tuple[int, int] | None  # None: out of the range that can be shown
    next: tuple[int, int] | None


def in_range(year: int, month: int, today: dt.date) -> bool:
    """Is this month within the months that can be shown around ``today``?"""
    if not 1 <= month <= 12 or not 1 <= year <= 9998:
        return False
    offset = (year * 12 + month) - (today.year * 12 + today.month)
    return -MONTHS_BACK <= offset <= MONTHS_FORWARD


async def point_month(
    session: AsyncSession,
    point: TransactionPoint,
    year: int,
    month: int,
    today: dt.date,
    lang: str = "vi",
) -> Month:
    """The month ``year``-``month`` of the point (the caller checks :func:`in_range`)."""
    first = dt.date(year, month, 1)
    last = month_end(first)
    grid_start = first - dt.timedelta(days=first.weekday())
    grid_end = last + dt.timedelta(days=6 - last.weekday())
    # A day moves at most MAX_SHIFT_DAYS: exceptions that far out may still land in view.
    reach = dt.timedelta(days=rules.MAX_SHIFT_DAYS + 31)
    exceptions = await schedules.exceptions_between(
        session, [point.id], grid_start - reach, grid_end + reach
    )
    shown = occurrences(point, exceptions, grid_start, grid_end)
    coming = {o.regular_date for o in await changes.upcoming(session, point, today)}

    cells: dict[dt.date, DayCell] = {}
    day = grid_start
    while day <= grid_end:
        cells[day] = DayCell(day, day.month == month, day == today, rules.holiday_name(day, lang))
        day += dt.timedelta(days=1)
    for occurrence in shown:
        regular = cells.get(occurrence.regular_date)
        if occurrence.cancelled:
            if regular is not None:
                regular.cancelled.append(occurrence)
            continue
        if occurrence.moved and regular is not None:
            regular.moved_away.append(occurrence)
        works = cells.get(occurrence.date) if occurrence.date else None
        if works is not None:
            works.works.append(occurrence)

    days = []
    for occurrence in shown:
        when = occurrence.date or occurrence.regular_date
        if first <= occurrence.regular_date <= last or first <= when <= last:
            allowed = rules.allowed(occurrence) if occurrence.regular_date in coming else ()
            holiday = rules.holiday_name(occurrence.date, lang) if occurrence.date else None
            days.append(MonthDay(occurrence, rules.state_of(occurrence), allowed, holiday))

    weeks = [
        [cells[grid_start + dt.timedelta(days=7 * w + d)] for d in range(7)]
        for w in range(((grid_end - grid_start).days + 1) // 7)
    ]
    before, after = add_months(year, month, -1), add_months(year, month, 1)
    return Month(
        year,
        month,
        weeks,
        days,
        before if in_range(*before, today) else None,
        after if in_range(*after, today) else None,
    )


def weekday_numbers() -> list[int]:
    """The weekdays of the grid's columns, Monday (0) first."""
    return list(calendar.Calendar(firstweekday=0).iterweekdays())

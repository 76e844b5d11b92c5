"""The rules of a change to a transaction point's schedule, without dialog and without I/O.

Two sorts of change: one coming day moved, cancelled or restored; or the point's fixed
monthly day, hours or address. Which change a day allows in its state, what a new date may
be and how typed values read are decided here once, so that /lichxa (edit.py) and the staff's
web console (issue 13) allow and refuse the same things; changes.py makes a change. Who may
change which point is the caller's to check (handlers/core/roles.py in the chat).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

import holidays

from handlers.core.spreadsheet import is_formula
from handlers.core.types import digits
from handlers.schedules.calendar import Occurrence
from handlers.schedules.csv import MAX_LENGTH
from storage.models import TransactionPoint

MONTHS_AHEAD = 3  # the coming days that can be changed: this month and the next two
MAX_SHIFT_DAYS = 60  # a day moves at most this far from its regular date
MIN_REASON, MAX_REASON = 3, 500  # ScheduleException.reason is 500 wide
MIN_ADDRESS, MAX_ADDRESS = 5, MAX_LENGTH["address"]

_DATE = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\s*")
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*")  # a web form's date field
_HOURS = re.compile(r"\s*(\d{1,2})[:hH](\d{2})\s*[-–—]\s*(\d{1,2})[:hH](\d{2})\s*")


# --- one coming day: its state, and what that state allows ------------------------------------


class DayChange(enum.StrEnum):
    MOVE = "move"
    CANCEL = "cancel"
    RESTORE = "restore"  # back to the regular date


class DayState(enum.StrEnum):
    REGULAR = "regular"
    MOVED = "moved"
    CANCELLED = "cancelled"


# What a coming day allows in each state, in the order the choices are offered. Moving or
# cancelling again replaces the earlier change (a new date, a new reason); only a changed day
# can be restored.
ALLOWED: Mapping[DayState, tuple[DayChange, ...]] = MappingProxyType(
    {
        DayState.REGULAR: (DayChange.MOVE, DayChange.CANCEL),
        DayState.MOVED: (DayChange.MOVE, DayChange.CANCEL, DayChange.RESTORE),
        DayState.CANCELLED: (DayChange.MOVE, DayChange.CANCEL, DayChange.RESTORE),
    }
)


class Refusal(enum.StrEnum):
    """Why a change of a day cannot be made."""

    PASSED = "passed"  # no coming day of the point has this regular date (or no longer)
    NOT_ALLOWED = "not_allowed"  # not in the day's state (restoring a regular day)
    UNREADABLE = "unreadable"  # the new date
    SAME_DATE = "same_date"  # the new date is the regular date itself
    PAST_DATE = "past_date"
    FAR_DATE = "far_date"  # more than MAX_SHIFT_DAYS from the regular date
    HOLIDAY = "holiday"  # the new date is a public holiday, and keeping it was not confirmed


def state_of(occurrence: Occurrence) -> DayState:
    if occurrence.cancelled:
        return DayState.CANCELLED
    return DayState.MOVED if occurrence.moved else DayState.REGULAR


def allowed(occurrence: Occurrence) -> tuple[DayChange, ...]:
    return ALLOWED[state_of(occurrence)]


def refuse(occurrence: Occurrence | None, change: DayChange) -> Refusal | None:
    """Why ``change`` cannot be made to this coming day (None: it is not one), or None."""
    if occurrence is None:
        return Refusal.PASSED
    return None if change in allowed(occurrence) else Refusal.NOT_ALLOWED


def refuse_date(
    regular: dt.date, new: dt.date | None, today: dt.date, holiday_ok: bool = True
) -> Refusal | None:
    """What is wrong with ``new`` as the date the regular day moves to (None: unread). A
    public holiday is refused unless ``holiday_ok``: the official was told and kept it."""
    if new is None:
        return Refusal.UNREADABLE
    if new == regular:
        return Refusal.SAME_DATE
    if new < today:
        return Refusal.PAST_DATE
    if abs((new - regular).days) > MAX_SHIFT_DAYS:
        return Refusal.FAR_DATE
    if not holiday_ok and holiday_name(new) is not None:
        return Refusal.HOLIDAY
    return None


# --- dates and hours as officials type them --------------------------------------------------


@cache
def _holiday_calendar(year: int, lang: str) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language="vi" if lang == "vi" else "en_US")


def holiday_name(value: dt.date, lang: str = "vi") -> str | None:
    """The Vietnamese public holiday on ``value`` (Tết included), or None."""
    return _holiday_calendar(value.year, lang).get(value)


def parse_day(text: str, regular: dt.date) -> dt.date | None:
    """'dd/mm/yyyy', 'yyyy-mm-dd' (a web form's date), or 'dd/mm' in the year that puts it
    nearest the regular date."""
    iso = _ISO_DATE.fullmatch(text)
    if iso is not None:
        try:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            return None
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    d, m = int(match[1]), int(match[2])
    years = [int(match[3])] if match[3] else [regular.year - 1, regular.year, regular.year + 1]
    found = []
    for year in years:
        try:
            found.append(dt.date(year, m, d))
        except ValueError:
            continue
    return min(found, key=lambda c: abs((c - regular).days)) if found else None


def parse_hours(text: str) -> tuple[dt.time, dt.time] | None:
    """'07:30-11:00' (or 7h30 - 11h00) with the end after the start; None otherwise."""
    match = _HOURS.fullmatch(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    start, end = dt.time(h1, m1), dt.time(h2, m2)
    return (start, end) if end > start else None


def hours_text(point: TransactionPoint) -> str:
    return f"{point.start_time:%H:%M}-{point.end_time:%H:%M}"


# --- typed values: a reason, a point's fixed day, hours or address ---------------------------


class PointField(enum.StrEnum):
    DAY = "day"  # the fixed day of each month
    HOURS = "hours"
    ADDRESS = "address"


class ValueProblem(enum.StrEnum):
    BAD = "bad"  # unreadable, or out of its bounds
    FORMULA = "formula"  # begins as a spreadsheet formula would (exports open in Excel)
    SAME = "same"  # what the point has already


def _one_line(text: str) -> str:
    return " ".join(text.split())


def read_reason(text: str) -> str | ValueProblem:
    """The reason for moving or cancelling a day, on one line; or what is wrong with it."""
    reason = _one_line(text)
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        return ValueProblem.BAD
    return ValueProblem.FORMULA if is_formula(reason) else reason


def current_value(point: TransactionPoint, field: PointField) -> int | str:
    if field is PointField.DAY:
        return point.day_of_month
    return hours_text(point) if field is PointField.HOURS else point.address


def read_value(point: TransactionPoint, field: PointField, text: str) -> int | str | ValueProblem:
    """The new value of ``field`` typed as ``text``: a day 1-31, hours "07:30-11:00", an
    address on one line; or what is wrong with it."""
    value: int | str
    if field is PointField.DAY:
        typed = text.strip()
        if not digits(typed) or len(typed) > 2 or not 1 <= int(typed) <= 31:
            return ValueProblem.BAD
        value = int(typed)
    elif field is PointField.HOURS:
        hours = parse_hours(text)
        if hours is None:
            return ValueProblem.BAD
        value = f"{hours[0]:%H:%M}-{hours[1]:%H:%M}"
    else:
        value = _one_line(text)
        if not MIN_ADDRESS <= len(value) <= MAX_ADDRESS:
            return ValueProblem.BAD
        if is_formula(value):
            return ValueProblem.FORMULA
    return ValueProblem.SAME if value == current_value(point, field) else value

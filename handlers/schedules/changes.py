"""Changes to a transaction point's schedule, made: written, told, audited (no dialog here).

The rules (rules.py) are checked again as a change is made, since time and other officials
go on between a summary and its confirmation. Subscribers already reminded of where a day
stood hear of its change (reminders.notify_change); every change goes to the audit log. For
/lichxa (edit.py) and the staff's web console (issue 13); who may change which point is the
caller's to check.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from handlers.schedules.calendar import Occurrence, is_regular_date, next_occurrences
from handlers.schedules.reminders import notify_change
from handlers.schedules.rules import (
    MONTHS_AHEAD,
    DayChange,
    PointField,
    Refusal,
    current_value,
    holiday_name,
    parse_hours,
    refuse,
    refuse_date,
)
from storage import audit, schedules
from storage.models import TransactionPoint


async def upcoming(
    session: AsyncSession, point: TransactionPoint, today: dt.date
) -> list[Occurrence]:
    """The point's days that can still be changed, with their changes so far."""
    exceptions = await schedules.exceptions_between(
        session, [point.id], today - dt.timedelta(days=70), today + dt.timedelta(days=130)
    )
    return next_occurrences(point, exceptions, today, months=MONTHS_AHEAD)


async def coming_day(
    session: AsyncSession, point: TransactionPoint, regular: dt.date, today: dt.date
) -> Occurrence | None:
    """The point's coming day with this regular date; None when it is past or not one of its
    days."""
    if not is_regular_date(point.day_of_month, regular):
        return None
    for occurrence in await upcoming(session, point, today):
        if occurrence.regular_date == regular:
            return occurrence
    return None


async def change_day(
    session: AsyncSession,
    content: Content,
    point: TransactionPoint,
    regular: dt.date,
    change: DayChange,
    *,
    new: dt.date | None = None,
    reason: str = "",
    holiday_ok: bool = False,
    today: dt.date,
    now: dt.datetime,
    actor: str,
) -> Refusal | int:
    """Make the change when the rules allow it now, and say how many subscribers will be told
    (those already reminded of where the day stood); else why not, and nothing is written.
    ``new`` is the date of a move (a public holiday only with ``holiday_ok``); ``reason``, read
    by rules.read_reason, is shown to subscribers (not for a restore)."""
    refusal = refuse(await coming_day(session, point, regular, today), change)
    if refusal is None and change is DayChange.MOVE:
        refusal = refuse_date(regular, new, today, holiday_ok)
    if refusal is not None:
        return refusal
    now_on = {DayChange.RESTORE: regular, DayChange.MOVE: new, DayChange.CANCEL: None}[change]
    return await record_day_change(
        session, content, point, regular, now_on, reason, now=now, actor=actor
    )


async def record_day_change(
    session: AsyncSession,
    content: Content,
    point: TransactionPoint,
    regular: dt.date,
    now_on: dt.date | None,
    reason: str,
    *,
    now: dt.datetime,
    actor: str,
    detail: dict[str, object] | None = None,
) -> int:
    """Write where a regular day now stands (``now_on``: the regular date itself restores it,
    another date moves it, None cancels it), tell the subscribers already reminded of where it
    stood, and audit it; returns how many are told. No rule is checked here: change_day
    checks them for officials; ``vbsp-bot schedule exception`` is the operator's own."""
    change = (
        DayChange.RESTORE
        if now_on == regular
        else (DayChange.CANCEL if now_on is None else DayChange.MOVE)
    )
    detail = {"regular": regular.isoformat(), **(detail or {})}
    # Where the day stood before: people may have been reminded of that date.
    was = await schedules.effective_date(session, point.id, regular)
    detail["reason"] = reason  # a restore's reason is the log's; subscribers are not told it
    if change is DayChange.RESTORE:
        await schedules.delete_exception(session, point.id, regular)
    else:
        if now_on is not None:
            detail |= {"moved_to": now_on.isoformat(), "holiday": holiday_name(now_on, "vi")}
        await schedules.set_exception(session, point.id, regular, now_on, reason, now)
    told = "" if change is DayChange.RESTORE else reason
    notified = await notify_change(session, content, point, regular, was, now_on, told, now)
    detail["notified"] = notified
    await audit.record(session, actor, f"schedule.{change}", point.id, detail, now)
    return notified


async def change_point(
    session: AsyncSession,
    point: TransactionPoint,
    field: PointField,
    value: int | str,
    now: dt.datetime,
    actor: str,
) -> None:
    """Write a value read by :func:`read_value` to the point, and audit it."""
    old = current_value(point, field)
    if field is PointField.DAY:
        point.day_of_month = int(value)
    elif field is PointField.HOURS:
        point.start_time, point.end_time = parse_hours(str(value)) or (
            point.start_time,
            point.end_time,
        )
    else:
        point.address = str(value)
    point.updated_at = now
    session.add(point)
    await session.flush()
    await audit.record(session, actor, f"point.{field}", point.id, {"old": old, "new": value}, now)

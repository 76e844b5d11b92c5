"""Transaction-day reminders as data: what is due at a moment, recorded once per recipient.

A subscriber gets two reminders per transaction day: the evening before (18:00) and the
morning of the day (06:30), local time. A process that was down catches up when it comes
back, within limits: no "evening before" reminder once the day has started, no "morning"
reminder after the point has closed. Each reminder is recorded in the outbox under
`rem:{point}:{date}:{kind}:{user}` before it is sent, so planning twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from handlers.core import zns
from handlers.core.formatting import day, safe_text
from handlers.core.types import Button, Reply
from handlers.schedules.actions import Unsubscribe
from handlers.schedules.calendar import Occurrence, occurrences
from storage import outbox, schedules, subscriptions
from storage.models import ScheduleException, TransactionPoint

EVENING = dt.time(18, 0)
MORNING = dt.time(6, 30)
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Due:
    point: TransactionPoint
    date: dt.date
    kind: str  # "eve" or "day"


def due_at(point: TransactionPoint, found: list[Occurrence], now_local: dt.datetime) -> list[Due]:
    """The reminders of ``point`` whose time has come and not yet passed at ``now_local``."""
    tz = now_local.tzinfo
    due: list[Due] = []
    for occurrence in found:
        if occurrence.cancelled or occurrence.date is None:
            continue
        when = occurrence.date
        eve = dt.datetime.combine(when - dt.timedelta(days=1), EVENING, tz)
        start_of_day = dt.datetime.combine(when, dt.time(0, 0), tz)
        morning = dt.datetime.combine(when, MORNING, tz)
        closing = dt.datetime.combine(when, point.end_time, tz)
        if eve <= now_local < start_of_day:
            due.append(Due(point, when, "eve"))
        if morning <= now_local < closing:
            due.append(Due(point, when, "day"))
    return due


def _point_values(point: TransactionPoint, lang: str) -> dict[str, str]:
    # Point data comes from officials' files: safe_text escapes it.
    return {
        "place": point.name,
        "address": point.address,
        "start": point.start_time.strftime("%H:%M"),
        "end": point.end_time.strftime("%H:%M"),
        "office": point.office,
        "phone": point.phone,
    }


def _point_fields(point: TransactionPoint) -> dict[str, str]:
    """The point as a ZNS template gets it (handlers/core/zns.py)."""
    return {
        "point_name": point.name,
        "address": point.address,
        "start_time": point.start_time.strftime("%H:%M"),
        "end_time": point.end_time.strftime("%H:%M"),
        "office": point.office,
        "office_phone": point.phone,
    }


def reminder_zns(due: Due) -> dict[str, Any]:
    """A reminder's fields for ZNS, for a person out of the Zalo OA's 7-day window."""
    return zns.zns_fields(zns.REMINDER, date=zns.vn_date(due.date), **_point_fields(due.point))


def change_zns(
    point: TransactionPoint, old: dt.date, new: dt.date | None, reason: str, restored: bool
) -> dict[str, Any]:
    """A day change's fields for ZNS."""
    change = "cancelled" if new is None else "restored" if restored else "moved"
    return zns.zns_fields(
        zns.DAY_CHANGED,
        old_date=zns.vn_date(old),
        new_date=zns.vn_date(new) if new is not None else zns.CANCELLED_DATE,
        change=zns.CHANGE_WORDS[change],
        reason=reason,
        **_point_fields(point),
    )


def unsubscribe_row(content: Content, lang: str, point_id: str) -> tuple[Button, ...]:
    return (
        Button(safe_text(content, "button.unsubscribe", lang), Unsubscribe(point=point_id).pack()),
    )


def reminder_reply(content: Content, lang: str, due: Due) -> Reply:
    text = safe_text(
        content,
        f"reminder.{due.kind}",
        lang,
        date=day(due.date, lang),
        **_point_values(due.point, lang),
    )
    return Reply(text, (unsubscribe_row(content, lang, due.point.id),))


def change_reply(
    content: Content,
    lang: str,
    point: TransactionPoint,
    old: dt.date,
    new: dt.date | None,
    reason: str,
    restored: bool = False,
) -> Reply:
    """The notice of a day moved (``new``), cancelled (None) or back to its regular date."""
    values = _point_values(point, lang) | {
        "old": day(old, lang),
        "reason": reason,
    }
    if new is None:
        text = safe_text(content, "reminder.cancelled", lang, **values)
    elif restored:
        text = safe_text(content, "reminder.restored", lang, new=day(new, lang), **values)
    else:
        text = safe_text(content, "reminder.moved", lang, new=day(new, lang), **values)
    return Reply(text, (unsubscribe_row(content, lang, point.id),))


async def plan_reminders(
    session: AsyncSession, content: Content, now: dt.datetime, tz: ZoneInfo
) -> int:
    """Record every reminder due at ``now``; returns how many rows were new."""
    now_local = now.astimezone(tz)
    today = now_local.date()
    points = await subscriptions.points_with_subscribers(session)
    window = dt.timedelta(days=40)  # a day can be moved up to a month away
    exceptions: dict[str, list[ScheduleException]] = {}
    for exception in await schedules.exceptions_between(
        session, [p.id for p in points], today - window, today + window
    ):
        exceptions.setdefault(exception.point_id, []).append(exception)
    due = [
        d
        for point in points
        for d in due_at(
            point,
            occurrences(point, exceptions.get(point.id, []), today, today + dt.timedelta(days=1)),
            now_local,
        )
    ]
    if not due:
        return 0
    # Planning repeats every minute while reminders are due: after the first time, only
    # points with subscriptions made since need looking at again.
    due_ids = sorted({d.point.id for d in due})
    planned = await subscriptions.plans_of(session, due_ids, {d.date for d in due})
    earliest = min(planned.values(), default=now) - subscriptions.PLAN_MARGIN
    fresh = await subscriptions.points_subscribed_since(session, due_ids, earliest)
    added = 0
    for item in due:
        first = planned.get((item.point.id, item.date, item.kind))
        if first is not None and item.point.id not in fresh:
            continue
        # The structured fields go with the text: ZNS templates are filled from them.
        fields = reminder_zns(item)
        payloads = {
            lang: reminder_reply(content, lang, item).to_payload() | {"zns": fields}
            for lang in LANGUAGES
        }
        key = f"rem:{item.point.id}:{item.date.isoformat()}:{item.kind}:"
        since = None if first is None else first - subscriptions.PLAN_MARGIN
        added += await outbox.enqueue_subscribers(
            session, item.point.id, f"reminder_{item.kind}", key, payloads, now, since
        )
        if first is None:
            await subscriptions.mark_planned(session, item.point.id, item.date, item.kind, now)
    return added


async def notify_change(
    session: AsyncSession,
    content: Content,
    point: TransactionPoint,
    regular: dt.date,
    was: dt.date | None,
    now_on: dt.date | None,
    reason: str,
    now: dt.datetime,
) -> int:
    """Tell subscribers that a day changed, if they were already told of it: reminded of the
    date it stood on (``was``, the regular date or an earlier move), or told it was
    cancelled. ``now_on`` is where it stands after the change (None: cancelled; the regular
    date: restored)."""
    if was == now_on:
        return 0
    stood = was.isoformat() if was is not None else "x"
    reminded = was is not None and await outbox.any_sent_with_prefix(
        session, f"rem:{point.id}:{stood}:"
    )
    # ...or an earlier notice put the day where it stood (moved there, or cancelled).
    if not reminded and not await outbox.any_sent_with_prefix(
        session, f"chg:{point.id}:{regular.isoformat()}:{stood}:"
    ):
        return 0
    old = was if was is not None else regular
    restored = now_on == regular
    fields = change_zns(point, old, now_on, reason, restored)
    payloads = {
        lang: change_reply(content, lang, point, old, now_on, reason, restored).to_payload()
        | {"zns": fields}
        for lang in LANGUAGES
    }
    # One notice per change: the key holds where the day stood and where it stands now.
    key = (
        f"chg:{point.id}:{regular.isoformat()}:{now_on.isoformat() if now_on else 'x'}:"
        f"{was.isoformat() if was else 'x'}:"
    )
    return await outbox.enqueue_subscribers(
        session, point.id, "schedule_change", key, payloads, now
    )

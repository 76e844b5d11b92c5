"""A transaction point removed by a schedule file: its subscribers told, once (no dialog here).

A file applied in the staff's console removes the points of its communes that it no longer
lists (imports.py); their subscriptions go with them, and without a word their subscribers
would simply stop hearing of their commune's transaction days. Each gets one notice in their
language: the point is no longer on the list, the commune's other points with their next day,
a button to be reminded of each, and the menu.

The notice is queued in the outbox like a day change (reminders.notify_change), before the
point and its subscriptions are deleted, in the same transaction. Its key,
``gone:{point}:{point's updated_at}:{user}``, is one notice per removal of that version of the
point: applying the file again, or the sender starting again, sends nothing twice, and a point
added back and removed later is told again. No ZNS template kind (handlers/core/zns.py) says
"a point was removed", so the rows carry no ``"zns"`` fields: a Zalo user out of the 7-day
window is not reached by this notice.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from content.places import commune
from handlers.core import zns
from handlers.core.actions import ShowMenu
from handlers.core.formatting import day, safe_text
from handlers.core.types import Button, Reply
from handlers.schedules.actions import Subscribe
from handlers.schedules.area import PointDays, points_by_commune
from handlers.schedules.communes import commune_label
from handlers.schedules.reminders import LANGUAGES
from storage import outbox, schedules
from storage.models import TransactionPoint
from storage.users import REMOVED_KIND

# Buttons of other points offered: a commune has a few points; a phone shows a few buttons.
MAX_OFFERED = 5


def removal_key(point: TransactionPoint) -> str:
    """The outbox key of the notices of this point's removal, without the user's id."""
    return f"gone:{point.id}:{point.updated_at:%Y%m%dT%H%M%S}:"


async def other_points(
    session: AsyncSession, point: TransactionPoint, removed: set[str], today: dt.date
) -> list[PointDays]:
    """The points of ``point``'s commune that stay (not in ``removed``), with their days,
    the one working soonest first."""
    staying = [
        p
        for p in await schedules.points_of_commune(session, point.commune_code)
        if p.id not in removed
    ]
    groups = await points_by_commune(session, staying, today)
    found = [days for group in groups for days in group.points]
    return sorted(found, key=_soonest)


def _soonest(days: PointDays) -> dt.date:
    working = days.next_day
    return working.date if working is not None and working.date is not None else dt.date.max


def removal_reply(
    content: Content, lang: str, point: TransactionPoint, others: list[PointDays]
) -> Reply:
    """The notice of ``point`` removed, with the points that stay in its commune (a file
    that removes a commune's points lists at least one of its own there)."""
    found = commune(point.commune_code)
    place = commune_label(found) if found else point.commune_code
    parts = [safe_text(content, "schedule.removed.title", lang, place=point.name)]
    if others:
        lines = []
        for days in others[:MAX_OFFERED]:
            upcoming = days.next_day
            if upcoming is not None and upcoming.date is not None:
                line = safe_text(
                    content,
                    "schedule.removed.other",
                    lang,
                    place=days.point.name,
                    date=day(upcoming.date, lang),
                )
            else:
                line = safe_text(
                    content, "schedule.removed.other_no_day", lang, place=days.point.name
                )
            lines.append(line)
        heading = safe_text(content, "schedule.removed.others", lang, commune=place)
        parts.append("\n".join([heading, *lines]))
    rows = [
        (
            Button(
                content.text("button.subscribe_point", lang, place=days.point.name),
                Subscribe(point=days.point.id).pack(),
            ),
        )
        for days in others[:MAX_OFFERED]
    ]
    rows.append((Button(content.text("button.menu", lang), ShowMenu().pack()),))
    return Reply("\n\n".join(parts), tuple(rows))


async def notify_removal(
    session: AsyncSession,
    content: Content,
    point: TransactionPoint,
    removed: set[str],
    today: dt.date,
    now: dt.datetime,
) -> int:
    """Queue the notice of ``point``'s removal for each of its subscribers (while they are
    still subscribed: call it before deleting the point); ``removed`` are the points going in
    the same change, not offered. Returns how many notices are new."""
    others = await other_points(session, point, removed, today)
    # for a person out of the Zalo OA's 7-day window: the "notice" template, as announcements
    fields = zns.zns_fields(
        zns.NOTICE,
        area=commune_label(found) if (found := commune(point.commune_code)) else point.commune_code,
        summary=content.text("schedule.removed.zns_summary", "vi", place=point.name),
    )
    payloads = {
        lang: removal_reply(content, lang, point, others).to_payload() | {"zns": fields}
        for lang in LANGUAGES
    }
    return await outbox.enqueue_subscribers(
        session, point.id, REMOVED_KIND, removal_key(point), payloads, now
    )

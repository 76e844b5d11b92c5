"""Broadcasts without a dialog: areas and quiet hours, the announcement as citizens get it,
the messages to approvers and authors, and the changes of state with their audit entries.

The chat dialogs (compose, approval, status), the delivery jobs and the staff console call
these; who may do what, in which state, is decided in transitions.py.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from typing import Any, NamedTuple

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from content.places import communes_of_province
from handlers.broadcasts import transitions
from handlers.broadcasts.actions import ReviewBroadcast, ShowBroadcast, SwitchAnnouncements
from handlers.broadcasts.transitions import Act, Who
from handlers.core import roles
from handlers.core.types import Button, Reply
from storage import audit, outbox
from storage import broadcasts as store
from storage import users as user_store
from storage.models import Broadcast

LANGUAGES = ("vi", "en")
QUIET_START, QUIET_END = dt.time(21, 0), dt.time(6, 0)
MAX_AHEAD = dt.timedelta(days=60)  # how far ahead a broadcast may be scheduled
_WHEN = re.compile(
    r"^\s*(\d{1,2})[:hg.](\d{2})?\s*(?:(?:ngày\s*)?(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?)?\s*$",
    re.IGNORECASE,
)


# --- areas and time ----------------------------------------------------------------------------


def area_communes(area_code: str | None) -> list[str] | None:
    """The commune codes of an area (None: the whole country)."""
    if area_code is None:
        return None
    if len(area_code) == 2:
        return [c.code for c in communes_of_province(int(area_code))]
    return [area_code]


def in_quiet_hours(moment: dt.datetime, tz: Any) -> bool:
    local = moment.astimezone(tz).time()
    return local >= QUIET_START or local < QUIET_END


def quiet_end(moment: dt.datetime, tz: Any) -> dt.datetime:
    """The next 06:00 local after ``moment`` (``moment`` itself outside the quiet hours)."""
    if not in_quiet_hours(moment, tz):
        return moment
    local = moment.astimezone(tz)
    day = local.date() if local.time() < QUIET_END else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, QUIET_END, tz).astimezone(dt.UTC)


def starts_at(
    broadcast: Broadcast, when: dt.datetime | None, now: dt.datetime, tz: Any
) -> dt.datetime:
    """When a broadcast confirmed now (for ``when``, if given) begins to go out: the quiet
    hours hold a non-urgent one until the morning."""
    start = when or now
    if not broadcast.urgent and in_quiet_hours(start, tz):
        return quiet_end(start, tz)
    return start


def local_time(moment: dt.datetime, tz: Any) -> str:
    return moment.astimezone(tz).strftime("%H:%M %d/%m/%Y")


def duration(content: Content, seconds: float, lang: str) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 60:
        return content.text("broadcast.minutes", lang, minutes=minutes)
    return content.text("broadcast.hours", lang, hours=minutes // 60, minutes=minutes % 60)


def parse_when(text: str, now: dt.datetime, tz: Any) -> dt.datetime | None:
    """'07:30', '7h30 15/12', '07:30 15/12/2026' in local time; the next such moment."""
    match = _WHEN.match(text)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    local_now = now.astimezone(tz)
    try:
        if match[3]:
            year = int(match[5]) if match[5] else local_now.year
            year = year + 2000 if year < 100 else year
            day = dt.date(year, int(match[4]), int(match[3]))
            if not match[5] and day < local_now.date():
                day = day.replace(year=year + 1)
        else:
            day = local_now.date()
        moment = dt.datetime.combine(day, dt.time(hour, minute), tz)
    except ValueError:
        return None
    if not match[3] and moment <= local_now:
        moment += dt.timedelta(days=1)
    return moment.astimezone(dt.UTC)


async def estimate(session: AsyncSession, recipients: int, rate: float) -> float:
    """Seconds to deliver to ``recipients`` at ``rate``, after what broadcasts being sent
    still have."""
    sending = await store.in_state(session, store.SENDING)
    ahead = await outbox.pending_total(session, [b.id for b in sending if b.id])
    return (ahead + recipients) / max(rate, 0.001)


# --- what citizens get -------------------------------------------------------------------------


def render(content: Content, broadcast: Broadcast, lang: str) -> Reply:
    """The announcement exactly as a citizen reading ``lang`` gets it."""
    area = roles.area_name(
        broadcast.area_code, content.text("officials.whole_country", lang), with_code=False
    )
    body = html.escape(broadcast.text, quote=False)
    text = content.text("broadcast.frame", lang, area=html.escape(area, quote=False), text=body)
    stop = Button(
        content.text("broadcast.button.stop", lang), SwitchAnnouncements(switch="off").pack()
    )
    return Reply(text, ((stop,),), photo=broadcast.photo)


def payloads(content: Content, broadcast: Broadcast) -> dict[str, Any]:
    return {lang: render(content, broadcast, lang).to_payload() for lang in LANGUAGES}


# --- a draft, and sending it -------------------------------------------------------------------


async def create_draft(
    session: AsyncSession, content: Content, broadcast: Broadcast
) -> Broadcast | None:
    """Write ``broadcast`` (its author, area, audience and text set) as a draft, with its
    messages rendered; None when its author may not write to its area."""
    if not await transitions.may_compose(session, broadcast.author, broadcast.area_code):
        return None
    broadcast.status = store.DRAFT
    broadcast.payloads = payloads(content, broadcast)
    return await store.create(session, broadcast)


class Sent(NamedTuple):
    state: str  # awaiting approval, queued or scheduled
    asked: int  # the approvers asked (awaiting approval)


async def send(
    session: AsyncSession,
    content: Content,
    broadcast: Broadcast,
    actor: str,
    now: dt.datetime,
    when: dt.datetime | None = None,
) -> Sent | None:
    """Confirm a draft: out now (or at ``when``), or, for a province or the country, to the
    approvers first. None when it may not be (or was already) sent."""
    assert broadcast.id is not None
    state = await transitions.apply(
        session, broadcast, Act.SEND, actor, confirmed_at=now, not_before=when
    )
    if state is None:
        return None
    action = {
        store.AWAITING: "broadcast.submit",
        store.SCHEDULED: "broadcast.schedule",
    }.get(state, "broadcast.confirm")
    await audit.record(
        session, actor, action, f"broadcast:{broadcast.id}",
        {"area": broadcast.area_code, "subscribers_only": broadcast.subscribers_only,
         "urgent": broadcast.urgent, "at": when.isoformat() if when else None,
         "photo": bool(broadcast.photo), "text": broadcast.text[:200]},
        now,
    )  # fmt: skip
    asked = await ask_approvers(session, content, broadcast, now) if state == store.AWAITING else 0
    return Sent(state, asked)


# --- approval ----------------------------------------------------------------------------------


async def ask_approvers(
    session: AsyncSession, content: Content, broadcast: Broadcast, now: dt.datetime
) -> int:
    """Queue the request to every approver who can be reached; how many were asked."""
    asked = 0
    for channel, user_id in await transitions.approvers(session, broadcast):
        person = await user_store.find_user(session, channel, user_id)
        if person is None or person.blocked:
            continue
        lang = person.language or "vi"
        area = roles.area_name(
            broadcast.area_code, content.text("officials.whole_country", lang), with_code=False
        )
        text = content.text(
            "broadcast.approval_request", lang, id=broadcast.id,
            area=html.escape(area, quote=False), author=html.escape(broadcast.author, quote=False),
        )  # fmt: skip
        review = ReviewBroadcast(id=broadcast.id or 0).pack()
        button = Button(content.text("broadcast.button.review_short", lang), review)
        reply = Reply(text, ((button,),))
        if await outbox.enqueue_one(
            session, f"ba:{broadcast.id}:{channel}:{user_id}", channel, user_id,
            "broadcast_approval", reply.to_payload(), now,
        ):  # fmt: skip
            asked += 1
    return asked


async def awaiting_approval(session: AsyncSession, actor: str) -> list[Broadcast]:
    """The broadcasts that ``actor`` may approve now, oldest first."""
    grants = await transitions.grants_of(session, actor)
    return [
        b
        for b in await store.in_state(session, store.AWAITING)
        if Who.APPROVER in await transitions.standing(session, actor, b, grants)
    ]


async def decide(
    session: AsyncSession,
    content: Content,
    broadcast: Broadcast,
    actor: str,
    now: dt.datetime,
    approved: bool,
) -> str | None:
    """Approve or reject, and tell the author; the new state, None when it may not be."""
    assert broadcast.id is not None
    if approved:
        state = await transitions.apply(
            session, broadcast, Act.APPROVE, actor, approved_by=actor, approved_at=now
        )
    else:
        state = await transitions.apply(
            session, broadcast, Act.REJECT, actor, cancelled_by=actor, finished_at=now
        )
    if state is None:
        return None
    action = "broadcast.approve" if approved else "broadcast.reject"
    await audit.record(
        session, actor, action, f"broadcast:{broadcast.id}", {"area": broadcast.area_code}, now
    )
    key = "broadcast.author_approved" if approved else "broadcast.author_rejected"
    await notify_author(content, session, broadcast, key, f"bd:{broadcast.id}", now, by=actor)
    return state


# --- cancelling --------------------------------------------------------------------------------


async def cancel(
    session: AsyncSession, broadcast: Broadcast, actor: str, now: dt.datetime
) -> str | None:
    """Cancel until it has finished; the state it was in, None when it may not be. What is
    still queued of one being sent is put away by the jobs (jobs.py)."""
    assert broadcast.id is not None
    was = broadcast.status
    if await transitions.apply(session, broadcast, Act.CANCEL, actor, cancelled_by=actor) is None:
        return None
    if was != store.DRAFT:  # a draft was never announced to anyone
        await audit.record(
            session, actor, "broadcast.cancel", f"broadcast:{broadcast.id}",
            {"was": was, "area": broadcast.area_code}, now,
        )  # fmt: skip
    return was


# --- the author's reports ----------------------------------------------------------------------


async def notify_author(
    content: Content, session: AsyncSession, broadcast: Broadcast, key: str, dedup: str,
    now: dt.datetime, **values: Any,
) -> bool:  # fmt: skip
    """Queue a message to the broadcast's author (in the language they wrote it in)."""
    channel, _, user_id = broadcast.author.partition(":")
    lang = broadcast.author_language or "vi"
    safe = {k: html.escape(str(v), quote=False) for k, v in values.items()}
    text = content.text(key, lang, id=broadcast.id, **safe)
    show = ShowBroadcast(id=broadcast.id or 0).pack()
    reply = Reply(text, ((Button(content.text("broadcast.button.show", lang), show),),))
    return await outbox.enqueue_one(
        session, dedup, channel, user_id, "broadcast_report", reply.to_payload(), now
    )

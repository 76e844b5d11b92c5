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
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from content.places import commune, communes_of_province, find_communes
from handlers.broadcasts import transitions
from handlers.broadcasts.actions import ReviewBroadcast, ShowBroadcast, SwitchAnnouncements
from handlers.broadcasts.transitions import Act, Who
from handlers.core import roles, zns
from handlers.core.types import Button, Reply
from storage import audit, outbox
from storage import broadcasts as store
from storage import users as user_store
from storage.models import Broadcast

LANGUAGES = ("vi", "en")
MAX_TEXT = 3000  # the frame and the button fit in one message (4096)
MAX_CAPTION = 800  # a photo's caption holds 1024 characters, frame included
MAX_QUERY = 100  # a commune typed by name or code
MAX_CHOICES = 8  # communes offered for one query
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


def audience_areas(areas: list[str | None]) -> list[str | None]:
    """The whole areas an official holding ``areas`` may write to (None: the country)."""
    return list(areas)


def may_pick_commune(areas: list[str | None]) -> bool:
    """Whether one commune inside an area may be chosen (the area is wider than a commune)."""
    return any(a is None or len(a) == 2 for a in areas)


def matching_communes(areas: list[str | None], query: str) -> list[str]:
    """The codes of the communes inside ``areas`` that ``query`` names (by code or name),
    at most MAX_CHOICES, best first."""
    query = query.strip()[:MAX_QUERY]
    if query.isdigit():
        found = [commune(query)]
    else:
        found = list(find_communes(query, limit=200)) if query else []
    codes = [c.code for c in found if c is not None and any(roles.within(a, c.code) for a in areas)]
    return list(dict.fromkeys(codes))[:MAX_CHOICES]


class TextProblem(NamedTuple):
    key: str  # a broadcast.* message
    values: dict[str, Any]


def text_length(text: str) -> int:
    """As Telegram counts it: an emoji is two."""
    return len(text.encode("utf-16-le")) // 2


def check_text(text: str, with_photo: bool) -> TextProblem | None:
    """Why ``text`` cannot be an announcement's (with a photo it is the caption), or None.
    Whatever it holds is sent as typed: ``render`` escapes it, so markup is shown as text."""
    limit = MAX_CAPTION if with_photo else MAX_TEXT
    if not text.strip():
        return TextProblem("broadcast.empty_text", {"max": limit})
    length = text_length(text)
    if length > limit:
        return TextProblem("broadcast.too_long", {"max": limit, "length": length})
    return None


def area_codes_within(areas: list[str | None]) -> list[str] | None:
    """Every area code (provinces and communes) inside ``areas``; None when one is the whole
    country (every code)."""
    if None in areas:
        return None
    codes: list[str] = []
    for area in areas:
        assert area is not None
        codes.append(area)
        if len(area) == 2:
            codes.extend(area_communes(area) or [])
    return list(dict.fromkeys(codes))


async def listed(
    session: AsyncSession, actor: str, areas: list[str | None], states: tuple[str, ...] | None
) -> list[Broadcast]:
    """The newest broadcasts ``actor`` may see: their own, and those to their ``areas``."""
    found = await store.listed(session, area_codes_within(areas), actor, states)
    return await _viewable(session, actor, found)


async def _viewable(session: AsyncSession, actor: str, found: list[Broadcast]) -> list[Broadcast]:
    grants = await transitions.grants_of(session, actor)
    return [
        b
        for b in found
        if transitions.allowed(b, Act.VIEW, await transitions.standing(session, actor, b, grants))
    ]


@dataclass(frozen=True)
class ListPage:
    """A page of the console's list. ``rows``: those the staff member may see (the table's
    rule, per broadcast); ``last``/``first``: the ids the page's links go on from (of the page
    as read, so a row the rule hides never makes the next page skip or repeat one)."""

    rows: list[Broadcast]
    first: int | None
    last: int | None
    more_after: bool
    more_before: bool
    cursor_lost: bool  # an after/before that is not one of the list: the first page instead


async def list_page(
    session: AsyncSession,
    actor: str,
    areas: list[str | None],
    states: tuple[str, ...] | None,
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = store.PAGE,
) -> ListPage:
    """One page of what ``actor`` may see of their ``areas``' broadcasts, newest first."""
    codes = area_codes_within(areas)
    wanted = after if after is not None else before
    cursor = await store.cursor(session, codes, actor, wanted) if wanted is not None else None
    found = await store.page(
        session,
        codes,
        actor,
        states,
        after=cursor if after is not None else None,
        before=cursor if after is None else None,
        size=size,
    )
    read = found.broadcasts
    return ListPage(
        await _viewable(session, actor, read),
        read[0].id if read else None,
        read[-1].id if read else None,
        found.more_after,
        found.more_before,
        wanted is not None and cursor is None,
    )


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


def check_when(moment: dt.datetime, now: dt.datetime) -> bool:
    """May a broadcast be scheduled for ``moment``: after now, and at most MAX_AHEAD away."""
    return now < moment <= now + MAX_AHEAD


def example_when(now: dt.datetime, tz: Any) -> str:
    return local_time(now + dt.timedelta(days=1), tz)


def notes(broadcast: Broadcast, seconds: float, now: dt.datetime, tz: Any) -> list[TextProblem]:
    """What the author is told of a draft beside its figures (broadcast.* plain texts): the
    quiet hours holding or pausing a non-urgent one, and the approval a wide one needs."""
    found: list[TextProblem] = []
    start_at = broadcast.not_before or now
    if not broadcast.urgent and in_quiet_hours(start_at, tz):
        at = local_time(quiet_end(start_at, tz), tz)
        found.append(TextProblem("broadcast.quiet_start", {"at": at}))
    elif not broadcast.urgent and in_quiet_hours(start_at + dt.timedelta(seconds=seconds), tz):
        found.append(TextProblem("broadcast.quiet_pause", {}))
    if transitions.needs_approval(broadcast.area_code):
        found.append(TextProblem("broadcast.needs_approval", {}))
    return found


async def _may_edit(session: AsyncSession, broadcast: Broadcast, actor: str) -> bool:
    """Does the table let ``actor`` change this broadcast (a draft, its author) now?"""
    standing = await transitions.standing(session, actor, broadcast)
    return transitions.allowed(broadcast, Act.EDIT, standing) is not None


async def set_when(
    session: AsyncSession, broadcast: Broadcast, actor: str, when: dt.datetime | None
) -> bool:
    """The time a draft is to go out at (None: as soon as it is sent); False when ``actor``
    may not change it."""
    if not await _may_edit(session, broadcast, actor):
        return False
    broadcast.not_before = when
    session.add(broadcast)
    await session.flush()
    return True


async def estimate(session: AsyncSession, recipients: int, rate: float) -> float:
    """Seconds to deliver to ``recipients`` at ``rate``, after what broadcasts being sent
    still have."""
    sending = await store.in_state(session, store.SENDING)
    ahead = await outbox.pending_total(session, [b.id for b in sending if b.id])
    return (ahead + recipients) / max(rate, 0.001)


class Figures(NamedTuple):
    recipients: int
    seconds: float  # to deliver to them all, after what is being sent now


async def audience_figures(
    session: AsyncSession, area_code: str | None, subscribers_only: bool, rate: float
) -> Figures:
    """Who would get a broadcast to ``area_code`` now, and how long it takes at ``rate``."""
    count = await store.count_audience(session, area_communes(area_code), subscribers_only)
    return Figures(count, await estimate(session, count, rate))


class Progress(NamedTuple):
    sent: int
    blocked: int
    failed: int
    left: int  # still to be sent
    cancelled: int
    in_doubt: int
    unreachable: int = 0  # Zalo OA, outside the 7-day window with no ZNS (bot/zalo_oa_reach.py)


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    """Where a broadcast's messages stand (with those pruned since)."""
    counts = await outbox.broadcast_counts(session, broadcast_id)
    return Progress(
        sent=counts.get("sent", 0),
        blocked=counts.get("blocked", 0),
        failed=counts.get("failed", 0),
        left=counts.get("pending", 0) + counts.get("sending", 0),
        cancelled=counts.get("cancelled", 0),
        in_doubt=counts.get("in_doubt", 0),
        unreachable=counts.get("unreachable", 0),
    )


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
    """The message in each language, with the fields a ZNS template is filled from
    (handlers/core/zns.py) for people out of the Zalo OA's 7-day window."""
    area = roles.area_name(
        broadcast.area_code, content.text("officials.whole_country", "vi"), with_code=False
    )
    fields = zns.zns_fields(zns.NOTICE, area=area, summary=broadcast.text)
    return {
        lang: render(content, broadcast, lang).to_payload() | {"zns": fields} for lang in LANGUAGES
    }


def test_copy(broadcast: Broadcast, lang: str) -> Reply:
    """The copy a citizen reading ``lang`` gets: the very message stored to be sent."""
    return Reply.from_payload(broadcast.payloads.get(lang) or broadcast.payloads["vi"])


async def queue_test_copy(
    session: AsyncSession, broadcast: Broadcast, actor: str, lang: str, now: dt.datetime
) -> bool:
    """Queue a test copy of a draft to ``actor``'s own chat (the console's way: chat answers
    with it at once); False when ``actor`` may not."""
    assert broadcast.id is not None
    if not await _may_edit(session, broadcast, actor):
        return False
    channel, _, user_id = actor.partition(":")
    key = f"bt:{broadcast.id}:{actor}:{now.isoformat()}"
    payload = test_copy(broadcast, lang).to_payload()
    return await outbox.enqueue_one(session, key, channel, user_id, "broadcast_test", payload, now)


async def set_urgent(session: AsyncSession, broadcast: Broadcast, actor: str, urgent: bool) -> bool:
    """Mark a draft urgent (it goes out in the quiet hours too) or not; False when ``actor``
    may not change it."""
    if not await _may_edit(session, broadcast, actor):
        return False
    broadcast.urgent = urgent
    session.add(broadcast)
    await session.flush()
    return True


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
    if when is None and broadcast.not_before is not None:
        # A draft given a time (the console's form): that time, unless it has passed.
        when = broadcast.not_before if check_when(broadcast.not_before, now) else None
        if when is None:
            await set_when(session, broadcast, actor, None)
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

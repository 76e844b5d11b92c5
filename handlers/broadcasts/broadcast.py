"""/thongbao: officials announce to the citizens of their area.

Steps: the text (a photo may come with it, the text as its caption) -> the audience: the
official's whole area, or a commune in it (typed by name or code) -> everyone there, or only
those who follow a transaction point there -> the preview, exactly as citizens get it, with
the number of recipients and the time it takes at the current rate -> send (a whole province
or the whole country first needs a second official or an admin of it to approve), schedule
for later, a test copy to oneself, urgent on/off (urgent ones go out in the quiet hours
too), or cancel. A broadcast can be cancelled until it has finished.

Role and area are checked again when each button runs, against the broadcast's own area;
every submission, approval, rejection, schedule and cancellation goes to the audit log.

Button actions (all with the broadcast's id where there is one): ``tb`` the start, ``tbw:AREA``
whole area (``*`` the country), ``tbc`` a commune (then typed), ``tbk:CODE`` the commune
picked, ``tbs:0|1`` everyone or subscribers, ``tbok`` send, ``tbt`` test copy, ``tbu``
urgent on/off, ``tbh`` schedule, ``tbx`` cancel, ``tbv`` show, ``tbm`` my broadcasts,
``tbr`` review, ``tbap`` approve, ``tbrj`` reject. ``ann:on|off`` are every citizen's.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from typing import Any

from content.loader import Content
from content.places import commune, communes_of_province, find_communes
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.types import Button, Reply, row_id
from storage import audit, outbox, people
from storage import broadcasts as store
from storage import roles as role_store
from storage import users as user_store
from storage.models import Broadcast

FLOW = "thongbao"
COMMAND = "thongbao"
ROLE = "official"
LANGUAGES = ("vi", "en")
MAX_TEXT = 3000  # the frame and the button fit in one message (4096)
MAX_CAPTION = 800  # a photo's caption holds 1024 characters, frame included
MAX_QUERY = 100
MAX_CHOICES = 8
MAX_LISTED = 10
QUIET_START, QUIET_END = dt.time(21, 0), dt.time(6, 0)
MAX_AHEAD = dt.timedelta(days=60)
WHOLE = "*"
_WHEN = re.compile(
    r"^\s*(\d{1,2})[:hg.](\d{2})?\s*(?:(?:ngày\s*)?(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?)?\s*$",
    re.IGNORECASE,
)


# --- areas and time --------------------------------------------------------------------------


def area_communes(area_code: str | None) -> list[str] | None:
    """The commune codes of an area (None: the whole country)."""
    if area_code is None:
        return None
    if len(area_code) == 2:
        return [c.code for c in communes_of_province(int(area_code))]
    return [area_code]


def needs_approval(area_code: str | None) -> bool:
    """A whole province (or the whole country) needs a second pair of eyes."""
    return area_code is None or len(area_code) == 2


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


# --- what citizens get -----------------------------------------------------------------------


def render(content: Content, broadcast: Broadcast, lang: str) -> Reply:
    """The announcement exactly as a citizen reading ``lang`` gets it."""
    area = roles.area_name(
        broadcast.area_code, content.text("officials.whole_country", lang), with_code=False
    )
    body = html.escape(broadcast.text, quote=False)
    text = content.text("broadcast.frame", lang, area=html.escape(area, quote=False), text=body)
    stop = Button(content.text("broadcast.button.stop", lang), "ann:off")
    return Reply(text, ((stop,),), photo=broadcast.photo)


def payloads(content: Content, broadcast: Broadcast) -> dict[str, Any]:
    return {lang: render(content, broadcast, lang).to_payload() for lang in LANGUAGES}


# --- the dialog ------------------------------------------------------------------------------


def _whole(ctx: Context) -> str:
    return ctx.t("officials.whole_country")


def _area(ctx: Context, area_code: str | None) -> str:
    return roles.area_name(area_code, _whole(ctx), with_code=False)


def _menu_rows(ctx: Context) -> list[tuple[Button, ...]]:
    return [(ctx.button("broadcast.button.mine", "tbm"),), ctx.menu_row()]


async def start(ctx: Context) -> list[Reply]:
    """/thongbao (and ``tb``): ask for the text; list what awaits this official's approval."""
    if not await roles.allowed(ctx, ROLE):
        return roles.unknown_command(ctx, COMMAND)
    await ctx.leave_flow()
    await ctx.enter(FLOW, "text")
    replies = [ctx.reply("broadcast.ask_text", _menu_rows(ctx), max=MAX_TEXT)]
    waiting = await _awaiting_my_approval(ctx)
    if waiting:
        rows = [
            (Button(ctx.t("broadcast.button.review", id=b.id, area=_area(ctx, b.area_code)),
                    f"tbr:{b.id}"),)
            for b in waiting[:MAX_LISTED]
        ]  # fmt: skip
        replies.append(ctx.reply("broadcast.awaiting_you", rows, count=len(waiting)))
    return replies


async def flow_text(ctx: Context) -> list[Reply]:
    """Typed text (or a photo) inside the flow: the announcement, a commune, or a time."""
    if not await roles.allowed(ctx, ROLE):
        await ctx.leave_flow()
        return roles.unknown_command(ctx, COMMAND)
    text = (ctx.args[0] if ctx.args else "").strip()
    step = ctx.state.step
    if step == "text":
        return await _got_text(ctx, text)
    if step == "commune":
        return await _typed_commune(ctx, text)
    if step == "when":
        return await _typed_when(ctx, text)
    return [ctx.reply("broadcast.press_button", [ctx.menu_row()])]


async def _got_text(ctx: Context, text: str) -> list[Reply]:
    # A photo is kept by its Telegram file id, which only Telegram can resend; a photo sent
    # from another channel (Zalo) is left out rather than fail for every Telegram recipient.
    photos = [a for a in ctx.attachments if a.kind == "photo" and ctx.me.channel == "telegram"]
    photo = photos[-1].file_id if photos else ctx.state.data.get("photo")
    if photos and len(photos[-1].file_id) > 256:
        photo = None
    if not text:
        if photo:
            await ctx.enter(FLOW, "text", photo=photo)
            return [ctx.reply("broadcast.photo_needs_text", [ctx.menu_row()], max=MAX_CAPTION)]
        return [ctx.reply("broadcast.ask_text", _menu_rows(ctx), max=MAX_TEXT)]
    limit = MAX_CAPTION if photo else MAX_TEXT
    length = len(text.encode("utf-16-le")) // 2  # as Telegram counts: an emoji is two
    if length > limit:
        return [ctx.reply("broadcast.too_long", [ctx.menu_row()], max=limit, length=length)]
    await ctx.enter(FLOW, "area", text=text, photo=photo)
    areas = await roles.areas_of(ctx, ROLE)
    rows = [
        (ctx.button("broadcast.button.whole", f"tbw:{a or WHOLE}", area=_area(ctx, a)),)
        for a in areas
    ]
    if any(a is None or len(a) == 2 for a in areas):
        rows.append((ctx.button("broadcast.button.commune", "tbc"),))
    return [ctx.reply("broadcast.ask_area", [*rows, ctx.menu_row()])]


def _in_flow(ctx: Context, step: str) -> bool:
    return ctx.flow == FLOW and ctx.state.step == step and bool(ctx.state.data.get("text"))


async def choose_whole(ctx: Context) -> list[Reply]:
    """tbw:AREA"""
    if not _in_flow(ctx, "area") or not ctx.args:
        return roles.unknown_action(ctx)
    area = None if ctx.args[0] == WHOLE else ctx.args[0]
    return await _chosen_area(ctx, area)


async def ask_commune(ctx: Context) -> list[Reply]:
    """tbc"""
    if not _in_flow(ctx, "area"):
        return roles.unknown_action(ctx)
    await ctx.enter(FLOW, "commune")
    return [ctx.reply("broadcast.ask_commune", [ctx.menu_row()])]


async def _typed_commune(ctx: Context, text: str) -> list[Reply]:
    areas = await roles.areas_of(ctx, ROLE)
    text = text[:MAX_QUERY]
    found = [commune(text)] if text.isdigit() else find_communes(text, limit=200) if text else []
    choices = [
        c.code for c in found if c is not None and any(roles.within(a, c.code) for a in areas)
    ]
    choices = list(dict.fromkeys(choices))[:MAX_CHOICES]
    if not choices:
        return [ctx.reply("broadcast.commune_not_found", [ctx.menu_row()], query=text)]
    rows = [(Button(roles.area_name(c, with_code=False), f"tbk:{c}"),) for c in choices]
    return [ctx.reply("broadcast.pick_commune", [*rows, ctx.menu_row()])]


async def choose_commune(ctx: Context) -> list[Reply]:
    """tbk:CODE"""
    found = commune(ctx.args[0]) if ctx.args and _in_flow(ctx, "commune") else None
    if found is None:
        return roles.unknown_action(ctx)
    return await _chosen_area(ctx, found.code)  # its own code, never what the button said


async def _chosen_area(ctx: Context, area: str | None) -> list[Reply]:
    if not await roles.allowed_area(ctx, ROLE, area):
        return [ctx.reply("broadcast.area_outside", [ctx.menu_row()])]
    await ctx.enter(FLOW, "who", area=area)
    rows = [
        (ctx.button("broadcast.button.everyone", "tbs:0"),),
        (ctx.button("broadcast.button.subscribers", "tbs:1"),),
        ctx.menu_row(),
    ]
    return [ctx.reply("broadcast.ask_who", rows, area=_area(ctx, area))]


async def choose_who(ctx: Context) -> list[Reply]:
    """tbs:0|1: the draft is written, and its preview shown."""
    if not _in_flow(ctx, "who") or not ctx.args or ctx.args[0] not in ("0", "1"):
        return roles.unknown_action(ctx)
    data = ctx.state.data
    area = data.get("area")
    if not await roles.allowed_area(ctx, ROLE, area):
        return roles.unknown_action(ctx)
    broadcast = Broadcast(
        author=roles.actor(ctx),
        author_language=ctx.lang,
        area_code=area,
        subscribers_only=ctx.args[0] == "1",
        text=data["text"],
        photo=data.get("photo"),
        created_at=ctx.now,
    )
    broadcast.payloads = payloads(ctx.content, broadcast)
    await store.create(ctx.session, broadcast)
    await ctx.leave_flow()
    return await _preview(ctx, broadcast)


# --- the draft: preview, test copy, urgent, send, schedule -----------------------------------


async def _estimate(ctx: Context, broadcast: Broadcast, recipients: int) -> float:
    """Seconds to deliver at the current rate, after what other broadcasts still have."""
    sending = await store.in_state(ctx.session, store.SENDING)
    ahead = await outbox.pending_total(ctx.session, [b.id for b in sending if b.id])
    return (ahead + recipients) / max(ctx_rate(ctx), 0.001)


def ctx_rate(ctx: Context) -> float:
    return ctx.send_rate


def _summary_values(ctx: Context, broadcast: Broadcast) -> dict[str, Any]:
    who = "broadcast.who.subscribers" if broadcast.subscribers_only else "broadcast.who.everyone"
    return {
        "id": broadcast.id,
        "area": _area(ctx, broadcast.area_code),
        "who": ctx.t(who),
        "urgent": ctx.t("broadcast.urgent.yes" if broadcast.urgent else "broadcast.urgent.no"),
    }


async def _preview(ctx: Context, broadcast: Broadcast) -> list[Reply]:
    communes = area_communes(broadcast.area_code)
    count = await store.count_audience(ctx.session, communes, broadcast.subscribers_only)
    seconds = await _estimate(ctx, broadcast, count)
    lines = [
        ctx.t(
            "broadcast.summary",
            recipients=f"{count:,}".replace(",", "."),
            time=duration(ctx.content, seconds, ctx.lang),
            rate=f"{ctx_rate(ctx):g}",
            **_summary_values(ctx, broadcast),
        )
    ]
    start_at = broadcast.not_before or ctx.now
    if not broadcast.urgent and in_quiet_hours(start_at, ctx.timezone):
        lines.append(
            ctx.t(
                "broadcast.quiet_start",
                at=local_time(quiet_end(start_at, ctx.timezone), ctx.timezone),
            )
        )
    elif not broadcast.urgent and in_quiet_hours(
        start_at + dt.timedelta(seconds=seconds), ctx.timezone
    ):
        lines.append(ctx.t("broadcast.quiet_pause"))
    if needs_approval(broadcast.area_code):
        lines.append(ctx.t("broadcast.needs_approval"))
    send_key = (
        "broadcast.button.submit"
        if needs_approval(broadcast.area_code)
        else "broadcast.button.send"
    )
    bid = broadcast.id
    urgent_key = "broadcast.button.urgent_" + ("off" if broadcast.urgent else "on")
    rows = [
        (ctx.button(send_key, f"tbok:{bid}"),),
        (ctx.button("broadcast.button.schedule", f"tbh:{bid}"),
         ctx.button("broadcast.button.test", f"tbt:{bid}")),
        (ctx.button(urgent_key, f"tbu:{bid}"),),
        (ctx.button("broadcast.button.cancel", f"tbx:{bid}"),),
    ]  # fmt: skip
    shown = render(ctx.content, broadcast, ctx.lang)
    preview = Reply(shown.text, (), photo=shown.photo)  # its button would act: shown inert
    return [ctx.reply("broadcast.preview_title"), preview, Reply("\n\n".join(lines), tuple(rows))]


async def _mine(ctx: Context, wanted: tuple[str, ...], manage: bool = True) -> Broadcast | None:
    """The broadcast named by the button, if this user may act on it now."""
    broadcast_id = row_id(ctx.args[0]) if ctx.args else None
    if broadcast_id is None:
        return None
    broadcast = await store.get(ctx.session, broadcast_id)
    if broadcast is None or broadcast.status not in wanted:
        return None
    mine = broadcast.author == roles.actor(ctx)
    # The author, while still an official of the area; or an admin of it.
    if mine and await roles.allowed_area(ctx, ROLE, broadcast.area_code):
        return broadcast
    if manage and await roles.allowed_area(ctx, "admin", broadcast.area_code):
        return broadcast
    return None


async def test_copy(ctx: Context) -> list[Reply]:
    """tbt:ID: the announcement, sent to its author exactly as citizens get it."""
    broadcast = await _mine(ctx, (store.DRAFT,), manage=False)
    if broadcast is None:
        return roles.unknown_action(ctx)
    copy = Reply.from_payload(broadcast.payloads.get(ctx.lang) or broadcast.payloads["vi"])
    return [
        copy,
        ctx.reply(
            "broadcast.test_sent", [(ctx.button("broadcast.button.back", f"tbv:{broadcast.id}"),)]
        ),
    ]


async def toggle_urgent(ctx: Context) -> list[Reply]:
    """tbu:ID"""
    broadcast = await _mine(ctx, (store.DRAFT,), manage=False)
    if broadcast is None:
        return roles.unknown_action(ctx)
    broadcast.urgent = not broadcast.urgent
    ctx.session.add(broadcast)
    await ctx.session.flush()
    return await _preview(ctx, broadcast)


async def confirm(ctx: Context) -> list[Reply]:
    """tbok:ID: send now (or after approval)."""
    broadcast = await _mine(ctx, (store.DRAFT,), manage=False)
    if broadcast is None:
        return roles.unknown_action(ctx)
    return await _submit(ctx, broadcast, None)


async def ask_when(ctx: Context) -> list[Reply]:
    """tbh:ID"""
    broadcast = await _mine(ctx, (store.DRAFT,), manage=False)
    if broadcast is None:
        return roles.unknown_action(ctx)
    await ctx.enter(FLOW, "when", id=broadcast.id)
    example = local_time(ctx.now + dt.timedelta(days=1), ctx.timezone)
    return [ctx.reply("broadcast.ask_when", [ctx.menu_row()], example=example)]


async def _typed_when(ctx: Context, text: str) -> list[Reply]:
    ctx.args = (str(ctx.state.data.get("id", "")),)
    broadcast = await _mine(ctx, (store.DRAFT,), manage=False)
    if broadcast is None:
        await ctx.leave_flow()
        return roles.unknown_action(ctx)
    moment = parse_when(text, ctx.now, ctx.timezone)
    if moment is None or moment <= ctx.now or moment > ctx.now + MAX_AHEAD:
        example = local_time(ctx.now + dt.timedelta(days=1), ctx.timezone)
        return [ctx.reply("broadcast.bad_when", [ctx.menu_row()], example=example)]
    await ctx.leave_flow()
    return await _submit(ctx, broadcast, moment)


async def _submit(ctx: Context, broadcast: Broadcast, when: dt.datetime | None) -> list[Reply]:
    assert broadcast.id is not None
    approval = needs_approval(broadcast.area_code)
    state = store.AWAITING if approval else store.SCHEDULED if when else store.QUEUED
    moved = await store.move(
        ctx.session, broadcast.id, (store.DRAFT,), state, confirmed_at=ctx.now, not_before=when
    )
    if not moved:
        return roles.unknown_action(ctx)
    action = (
        "broadcast.submit" if approval else "broadcast.schedule" if when else "broadcast.confirm"
    )
    await audit.record(
        ctx.session, roles.actor(ctx), action, f"broadcast:{broadcast.id}",
        {"area": broadcast.area_code, "subscribers_only": broadcast.subscribers_only,
         "urgent": broadcast.urgent, "at": when.isoformat() if when else None,
         "photo": bool(broadcast.photo), "text": broadcast.text[:200]},
        ctx.now,
    )  # fmt: skip
    rows = [(ctx.button("broadcast.button.show", f"tbv:{broadcast.id}"),), ctx.menu_row()]
    if approval:
        asked = await _ask_approvers(ctx, broadcast)
        return [ctx.reply("broadcast.submitted", rows, id=broadcast.id, approvers=asked)]
    start_at = when or ctx.now
    if not broadcast.urgent and in_quiet_hours(start_at, ctx.timezone):
        start_at = quiet_end(start_at, ctx.timezone)
    key = "broadcast.scheduled" if when or start_at != ctx.now else "broadcast.confirmed"
    return [ctx.reply(key, rows, id=broadcast.id, at=local_time(start_at, ctx.timezone))]


# --- approval --------------------------------------------------------------------------------


async def _person(ctx: Context, who: str) -> int | None:
    """The person an identity ('telegram:123') belongs to: the id of the row holding them
    (storage/people.py), one for all their linked channels; None for one never seen."""
    channel, _, user_id = who.partition(":")
    found = await user_store.find_user(ctx.session, channel, user_id)
    return None if found is None else (await people.holder(ctx.session, found)).id


async def _same_person(ctx: Context, who: str, author: str) -> bool:
    """Whether ``who`` is the author, on the same channel or on one linked to it."""
    if who == author:
        return True
    person = await _person(ctx, who)
    return person is not None and person == await _person(ctx, author)


async def _approvers(ctx: Context, broadcast: Broadcast) -> list[tuple[str, str]]:
    """Officials and admins whose area covers the whole of the broadcast's, but its author
    (on any of their linked channels)."""
    found: dict[tuple[str, str], None] = {}
    for grant in await role_store.list_roles(ctx.session):
        who = f"{grant.channel}:{grant.channel_user_id}"
        if (
            grant.role in ("official", "admin")
            and roles.within(grant.area_code, broadcast.area_code)
            and not await _same_person(ctx, who, broadcast.author)
        ):
            found[(grant.channel, grant.channel_user_id)] = None
    return list(found)


async def _ask_approvers(ctx: Context, broadcast: Broadcast) -> int:
    asked = 0
    for channel, user_id in await _approvers(ctx, broadcast):
        person = await user_store.find_user(ctx.session, channel, user_id)
        if person is None or person.blocked:
            continue
        lang = person.language or "vi"
        content = ctx.content
        area = roles.area_name(
            broadcast.area_code, content.text("officials.whole_country", lang), with_code=False
        )
        text = content.text(
            "broadcast.approval_request", lang, id=broadcast.id,
            area=html.escape(area, quote=False), author=html.escape(broadcast.author, quote=False),
        )  # fmt: skip
        button = Button(content.text("broadcast.button.review_short", lang), f"tbr:{broadcast.id}")
        reply = Reply(text, ((button,),))
        if await outbox.enqueue_one(
            ctx.session, f"ba:{broadcast.id}:{channel}:{user_id}", channel, user_id,
            "broadcast_approval", reply.to_payload(), ctx.now,
        ):  # fmt: skip
            asked += 1
    return asked


async def _awaiting_my_approval(ctx: Context) -> list[Broadcast]:
    me = roles.actor(ctx)
    areas = await roles.areas_of(ctx, ROLE)
    return [
        b
        for b in await store.in_state(ctx.session, store.AWAITING)
        if any(roles.within(a, b.area_code) for a in areas)
        and not await _same_person(ctx, me, b.author)
    ]


async def _approvable(ctx: Context) -> Broadcast | None:
    broadcast_id = row_id(ctx.args[0]) if ctx.args else None
    if broadcast_id is None:
        return None
    broadcast = await store.get(ctx.session, broadcast_id)
    if broadcast is None or broadcast.status != store.AWAITING:
        return None
    if await _same_person(ctx, roles.actor(ctx), broadcast.author):
        return None  # a second pair of eyes: never the author's own, from any channel
    if not await roles.allowed_area(ctx, ROLE, broadcast.area_code):
        return None
    return broadcast


async def review(ctx: Context) -> list[Reply]:
    """tbr:ID: what an approver sees: the announcement, its audience, approve or reject."""
    broadcast = await _approvable(ctx)
    if broadcast is None:
        return roles.unknown_action(ctx)
    shown = render(ctx.content, broadcast, ctx.lang)
    count = await store.count_audience(
        ctx.session, area_communes(broadcast.area_code), broadcast.subscribers_only
    )
    rows = (
        (ctx.button("broadcast.button.approve", f"tbap:{broadcast.id}"),
         ctx.button("broadcast.button.reject", f"tbrj:{broadcast.id}")),
    )  # fmt: skip
    text = ctx.t(
        "broadcast.review",
        author=broadcast.author,
        recipients=f"{count:,}".replace(",", "."),
        at=local_time(broadcast.not_before, ctx.timezone) if broadcast.not_before else "—",
        **_summary_values(ctx, broadcast),
    )
    return [Reply(shown.text, (), photo=shown.photo), Reply(text, rows)]


async def approve(ctx: Context) -> list[Reply]:
    """tbap:ID"""
    return await _decide(ctx, approved=True)


async def reject(ctx: Context) -> list[Reply]:
    """tbrj:ID"""
    return await _decide(ctx, approved=False)


async def _decide(ctx: Context, approved: bool) -> list[Reply]:
    broadcast = await _approvable(ctx)
    if broadcast is None or broadcast.id is None:
        return roles.unknown_action(ctx)
    me = roles.actor(ctx)
    if approved:
        state = store.SCHEDULED if broadcast.not_before else store.QUEUED
        moved = await store.move(
            ctx.session, broadcast.id, (store.AWAITING,), state, approved_by=me, approved_at=ctx.now
        )
    else:
        moved = await store.move(
            ctx.session, broadcast.id, (store.AWAITING,), store.REJECTED, cancelled_by=me,
            finished_at=ctx.now,
        )  # fmt: skip
    if not moved:
        return roles.unknown_action(ctx)
    action = "broadcast.approve" if approved else "broadcast.reject"
    await audit.record(
        ctx.session, me, action, f"broadcast:{broadcast.id}", {"area": broadcast.area_code}, ctx.now
    )
    key = "broadcast.author_approved" if approved else "broadcast.author_rejected"
    await notify_author(
        ctx.content, ctx.session, broadcast, key, f"bd:{broadcast.id}", ctx.now, by=me
    )
    done = "broadcast.approved" if approved else "broadcast.rejected"
    return [ctx.reply(done, [ctx.menu_row()], id=broadcast.id)]


async def notify_author(
    content: Content, session: Any, broadcast: Broadcast, key: str, dedup: str,
    now: dt.datetime, **values: Any,
) -> bool:  # fmt: skip
    """Queue a message to the broadcast's author (in the language they wrote it in)."""
    channel, _, user_id = broadcast.author.partition(":")
    lang = broadcast.author_language or "vi"
    safe = {k: html.escape(str(v), quote=False) for k, v in values.items()}
    text = content.text(key, lang, id=broadcast.id, **safe)
    button = Button(content.text("broadcast.button.show", lang), f"tbv:{broadcast.id}")
    reply = Reply(text, ((button,),))
    return await outbox.enqueue_one(
        session, dedup, channel, user_id, "broadcast_report", reply.to_payload(), now
    )


# --- looking back, and cancelling ------------------------------------------------------------


async def mine(ctx: Context) -> list[Reply]:
    """tbm: the author's recent broadcasts."""
    if not await roles.allowed(ctx, ROLE):
        return roles.unknown_action(ctx)
    found = await store.recent(ctx.session, MAX_LISTED, author=roles.actor(ctx))
    if not found:
        return [ctx.reply("broadcast.none_yet", [ctx.menu_row()])]
    rows = [
        (Button(ctx.t("broadcast.line", id=b.id, status=ctx.t(f"broadcast.status.{b.status}"),
                      area=_area(ctx, b.area_code)), f"tbv:{b.id}"),)
        for b in found
    ]  # fmt: skip
    return [ctx.reply("broadcast.mine", [*rows, ctx.menu_row()])]


async def show(ctx: Context) -> list[Reply]:
    """tbv:ID: where a broadcast stands, with cancel while it has not finished."""
    broadcast = await _mine(ctx, tuple({*store.OPEN, store.DONE, store.CANCELLED, store.REJECTED}))
    if broadcast is None or broadcast.id is None:
        return roles.unknown_action(ctx)
    if broadcast.status == store.DRAFT:
        return await _preview(ctx, broadcast)
    counts = await outbox.broadcast_counts(ctx.session, broadcast.id)
    text = ctx.t(
        "broadcast.status_line",
        status=ctx.t(f"broadcast.status.{broadcast.status}"),
        recipients=broadcast.recipients,
        sent=counts.get("sent", 0),
        blocked=counts.get("blocked", 0),
        failed=counts.get("failed", 0),
        left=counts.get("pending", 0) + counts.get("sending", 0),
        **_summary_values(ctx, broadcast),
    )
    rows: list[tuple[Button, ...]] = []
    if broadcast.status in store.OPEN:
        rows.append((ctx.button("broadcast.button.cancel", f"tbx:{broadcast.id}"),))
    rows.append(ctx.menu_row())
    return [Reply(text, tuple(rows))]


async def cancel(ctx: Context) -> list[Reply]:
    """tbx:ID: until it has finished, by its author or an admin of the area."""
    broadcast = await _mine(ctx, store.OPEN)
    if broadcast is None or broadcast.id is None:
        return roles.unknown_action(ctx)
    was = broadcast.status
    moved = await store.move(
        ctx.session, broadcast.id, store.OPEN, store.CANCELLED, cancelled_by=roles.actor(ctx)
    )
    if not moved:
        return roles.unknown_action(ctx)
    if ctx.flow == FLOW:
        await ctx.leave_flow()
    if was != store.DRAFT:
        await audit.record(
            ctx.session, roles.actor(ctx), "broadcast.cancel", f"broadcast:{broadcast.id}",
            {"was": was, "area": broadcast.area_code}, ctx.now,
        )  # fmt: skip
    key = "broadcast.cancelled_sending" if was == store.SENDING else "broadcast.cancelled"
    return [ctx.reply(key, [ctx.menu_row()], id=broadcast.id)]


# --- every citizen's switch ------------------------------------------------------------------


async def announcements(ctx: Context) -> list[Reply]:
    """ann:on|off: announcements on or off; reminders are not touched."""
    on = bool(ctx.args) and ctx.args[0] == "on"
    ctx.user.announcements = on
    if on:
        return [ctx.reply("broadcast.announcements_on", [ctx.menu_row()])]
    rows = [(ctx.button("broadcast.button.turn_on", "ann:on"),), ctx.menu_row()]
    return [ctx.reply("broadcast.announcements_off", rows)]


# Button actions of /thongbao, for handlers/core/routes.py (all for officials; admins count).
ACTIONS = {
    "tb": start, "tbw": choose_whole, "tbc": ask_commune, "tbk": choose_commune,
    "tbs": choose_who, "tbok": confirm, "tbt": test_copy, "tbu": toggle_urgent,
    "tbh": ask_when, "tbx": cancel, "tbv": show, "tbm": mine, "tbr": review,
    "tbap": approve, "tbrj": reject,
}  # fmt: skip

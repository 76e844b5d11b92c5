"""Transaction days for citizens: find my commune, see its next dates, switch reminders on/off.

`/lich` shows the next transaction dates (this month and next) of every point of the user's
commune. Finding the commune is a small flow: the user types a name (with or without
diacritics or "xã/phường", or a transaction point's name, which is often a former commune's
name) and picks from buttons when several match.
"""

from __future__ import annotations

import datetime as dt
import html

from sqlmodel.ext.asyncio.session import AsyncSession

from content.normalize import fold
from content.places import Commune, commune, communes_of_province, find_communes, names_exactly
from handlers.core.context import Context
from handlers.core.formatting import day
from handlers.core.types import Button, Reply
from handlers.questions import answers
from handlers.schedules.calendar import Occurrence, next_occurrences
from storage import schedules, subscriptions
from storage.models import TransactionPoint

COMMUNE_FLOW = "commune"
MAX_CHOICES = 8
MAX_QUERY = 100
# Reminders per person: more than a family needs, and a bound on what one person queues.
MAX_SUBSCRIPTIONS = 10


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _commune_label(found: Commune) -> str:
    return f"{found.name} ({found.province_name})"


def _today(ctx: Context) -> dt.date:
    return ctx.now.astimezone(ctx.timezone).date()


async def ask_commune(ctx: Context) -> list[Reply]:
    """Ask which commune the user lives in."""
    await ctx.enter(COMMUNE_FLOW, "name")
    return [ctx.reply("commune.ask", [ctx.menu_row()])]


async def show_schedule(ctx: Context) -> list[Reply]:
    """/lich: the user's commune's next days, or first the question which commune."""
    code = ctx.args[0] if ctx.args else ctx.user.commune_code
    found = commune(code) if code else None
    if found is None:
        if ctx.args:
            return [ctx.reply("error.stale_button", [ctx.menu_row()])]
        return await ask_commune(ctx)
    return await schedule_of(ctx, found)


async def schedule_of(ctx: Context, found: Commune) -> list[Reply]:
    points = await schedules.points_of_commune(ctx.session, found.code)
    change = (ctx.button("button.change_commune", "commune"),)
    if not points:
        return [await _no_schedule(ctx, found, change)]
    today = _today(ctx)
    exceptions = await schedules.exceptions_between(
        ctx.session,
        [p.id for p in points],
        today - dt.timedelta(days=40),
        today + dt.timedelta(days=70),
    )
    mine = await subscriptions.subscribed_points(ctx.session, ctx.user.id or 0)
    replies = [ctx.reply("schedule.title", commune=_commune_label(found))]
    rows: list[tuple[Button, ...]] = []
    upcoming = {
        point.id: next_occurrences(point, [e for e in exceptions if e.point_id == point.id], today)
        for point in points
    }
    # The point working soonest first: what a citizen looks for is the next day they can go.
    points = sorted(points, key=lambda p: (_next_day(upcoming[p.id]), fold(p.name)))
    for point in points:
        replies.append(Reply(_point_text(ctx, point, upcoming[point.id])))
        if point.id in mine:
            rows.append(
                (ctx.button("button.unsubscribe_point", f"unsub:{point.id}", place=point.name),)
            )
        else:
            rows.append(
                (ctx.button("button.subscribe_point", f"sub:{point.id}", place=point.name),)
            )
    replies[-1] = Reply(replies[-1].text, (*rows, change, ctx.menu_row()))
    return replies


def _next_day(upcoming: list[Occurrence]) -> dt.date:
    """The first day the point works; points with none in sight go last."""
    days = [o.date for o in upcoming if o.date is not None and not o.cancelled]
    return min(days, default=dt.date.max)


def _point_text(ctx: Context, point: TransactionPoint, upcoming) -> str:  # type: ignore[no-untyped-def]
    lang = ctx.lang
    lines = []
    for occurrence in upcoming:
        if occurrence.cancelled:
            lines.append(
                ctx.t(
                    "schedule.cancelled",
                    date=day(occurrence.regular_date, lang),
                    reason=occurrence.reason or "",
                )
            )
        elif occurrence.date != occurrence.regular_date:
            lines.append(
                ctx.t(
                    "schedule.moved",
                    date=day(occurrence.date, lang),
                    regular=day(occurrence.regular_date, lang),
                    reason=occurrence.reason or "",
                )
            )
        else:
            lines.append(ctx.t("schedule.date", date=day(occurrence.date, lang)))
    return (
        ctx.t(
            "schedule.point",
            place=point.name,
            address=point.address,
            start=point.start_time.strftime("%H:%M"),
            end=point.end_time.strftime("%H:%M"),
            office=point.office,
            phone=point.phone,
            monthly=point.day_of_month,
        )
        + "\n"
        + "\n".join(lines)
    )


async def _no_schedule(ctx: Context, found: Commune, change: tuple[Button, ...]) -> Reply:
    """An honest answer, with the nearest known office: one that runs points in the province."""
    province = {c.code for c in communes_of_province(found.province_code)}
    nearby = [p for p in await schedules.all_points(ctx.session) if p.commune_code in province]
    if nearby:
        office = nearby[0]
        return ctx.reply(
            "schedule.none_with_office",
            [change, ctx.menu_row()],
            commune=_commune_label(found),
            office=office.office,
            phone=office.phone,
        )
    return ctx.reply("schedule.none", [change, ctx.menu_row()], commune=_commune_label(found))


async def commune_text(ctx: Context) -> list[Reply]:
    """Typed text in the commune flow: find the commune by its name or a point's name."""
    query = (ctx.args[0] if ctx.args else "").strip()[:MAX_QUERY]
    matches = find_communes(query, limit=MAX_CHOICES) if query else []
    by_point = await _communes_by_point_name(ctx, query) if query else []
    # A transaction point's name containing the words typed is stronger evidence than a
    # commune name that only resembles them, so those choices come first.
    choices: list[tuple[str, Commune]] = []
    seen: set[str] = set()
    for point, found in by_point:
        if found.code not in seen:
            seen.add(found.code)
            label = ctx.t("commune.via_point", point=point.name, commune=_commune_label(found))
            choices.append((html.unescape(label), found))
    for found in matches:
        if found.code not in seen:
            seen.add(found.code)
            choices.append((_commune_label(found), found))
    choices = choices[:MAX_CHOICES]
    if not choices:
        if answers.is_question(ctx, query):
            await ctx.leave_flow()  # no commune, but plainly a question: answered
            return await answers.ask(ctx, query)
        return [ctx.reply("commune.not_found", [ctx.menu_row()], query=query)]
    if len(choices) == 1:
        label, found = choices[0]
        if names_exactly(query, found):
            return await _choose(ctx, found)
        return [_confirm(ctx, label, found)]  # "huy" must not become Xã Huy Giáp unasked
    rows = [(Button(label, f"commune_set:{found.code}"),) for label, found in choices]
    return [ctx.reply("commune.pick", [*rows, ctx.menu_row()])]


def _confirm(ctx: Context, label: str, found: Commune) -> Reply:
    """One place found by a part of its name, a misspelling or a point: ask before saving."""
    return ctx.reply(
        "commune.confirm",
        [
            [
                ctx.button(
                    "button.commune_yes", f"commune_set:{found.code}", commune=_commune_label(found)
                )
            ],
            [ctx.button("button.commune_no", "commune")],
            ctx.menu_row(),
        ],
        place=label,
    )


async def _communes_by_point_name(
    ctx: Context, query: str
) -> list[tuple[TransactionPoint, Commune]]:
    return await communes_by_point_name(ctx.session, query)


async def communes_by_point_name(
    session: AsyncSession, query: str
) -> list[tuple[TransactionPoint, Commune]]:
    """Points whose name holds what was typed ("tinh ha"), each with its commune (also used
    by `vbsp-bot schedule next`)."""
    wanted = fold(query)
    for prefix in ("diem giao dich ", "diem ", "xa ", "phuong "):
        wanted = wanted.removeprefix(prefix)
    if len(wanted) < 3:
        return []
    found = []
    for point in await schedules.all_points(session):
        if wanted in fold(point.name) and (c := commune(point.commune_code)) is not None:
            found.append((point, c))
    return found


async def choose_commune(ctx: Context) -> list[Reply]:
    """commune_set:<code>: the user picked their commune."""
    found = commune(ctx.args[0]) if ctx.args else None
    if found is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    return await _choose(ctx, found)


async def _choose(ctx: Context, found: Commune) -> list[Reply]:
    await ctx.leave_flow()
    if ctx.user.consent_at is None:
        # Without consent we show the schedule but keep nothing.
        return [
            ctx.reply("commune.not_saved", [[ctx.button("button.give_consent", "consent:yes")]]),
            *await schedule_of(ctx, found),
        ]
    ctx.user.commune_code = found.code
    ctx.session.add(ctx.user)
    return [
        ctx.reply("commune.saved", commune=_commune_label(found)),
        *await schedule_of(ctx, found),
    ]


async def subscribe(ctx: Context) -> list[Reply]:
    """sub:<point>: switch reminders on (needs consent: it keeps who wants what)."""
    point = await schedules.get_point(ctx.session, ctx.args[0]) if ctx.args else None
    if point is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    if ctx.user.consent_at is None:
        return [
            ctx.reply(
                "schedule.needs_consent",
                [[ctx.button("button.give_consent", "consent:yes")], ctx.menu_row()],
            )
        ]
    mine = await subscriptions.subscribed_points(ctx.session, ctx.user.id or 0)
    if point.id not in mine and len(mine) >= MAX_SUBSCRIPTIONS:
        return [ctx.reply("schedule.too_many_reminders", [ctx.menu_row()], max=MAX_SUBSCRIPTIONS)]
    await subscriptions.subscribe(ctx.session, ctx.user.id or 0, point.id, ctx.now)
    return [
        ctx.reply(
            "schedule.subscribed",
            [[ctx.button("button.unsubscribe", f"unsub:{point.id}")], ctx.menu_row()],
            place=point.name,
        )
    ]


async def unsubscribe(ctx: Context) -> list[Reply]:
    """unsub:<point>: one tap, from a reminder or from /lich."""
    point_id = ctx.args[0] if ctx.args else ""
    await subscriptions.unsubscribe(ctx.session, ctx.user.id or 0, point_id)
    point = await schedules.get_point(ctx.session, point_id)
    rows = [[ctx.button("button.subscribe_again", f"sub:{point.id}")]] if point else []
    return [ctx.reply("schedule.unsubscribed", [*rows, ctx.menu_row()])]

"""Transaction days for citizens: find my commune, see its next dates, switch reminders on/off.

`/lich` shows the next transaction dates (this month and next) of every point of the user's
commune. Finding the commune is a small flow: the user types a name (with or without
diacritics or "xã/phường", or a transaction point's name, which is often a former commune's
name; see communes.py) and picks from buttons when several match.
"""

from __future__ import annotations

import datetime as dt
import html

from content.normalize import fold
from content.places import Commune, commune, communes_of_province, names_exactly
from handlers.account.actions import AnswerConsent
from handlers.core.context import Context
from handlers.core.formatting import day
from handlers.core.types import Button, Reply
from handlers.questions import answers
from handlers.schedules import communes
from handlers.schedules.actions import (
    AskCommune,
    ChooseCommune,
    ShowSchedule,
    Subscribe,
    Unsubscribe,
)
from handlers.schedules.calendar import Occurrence, next_occurrences
from handlers.schedules.communes import commune_label
from handlers.schedules.flows import COMMUNE, CommuneStep
from storage import schedules, subscriptions
from storage.models import TransactionPoint

MAX_CHOICES = 8
MAX_QUERY = 100
# Reminders per person: more than a family needs, and a bound on what one person queues.
MAX_SUBSCRIPTIONS = 10


def _today(ctx: Context) -> dt.date:
    return ctx.now.astimezone(ctx.timezone).date()


async def ask_commune(ctx: Context, action: AskCommune | None = None) -> list[Reply]:
    """Ask which commune the user lives in."""
    await COMMUNE.enter(ctx, CommuneStep.NAME)
    return [ctx.reply("commune.ask", [ctx.menu_row()])]


async def command(ctx: Context, text: str) -> list[Reply]:
    """/lich, or /lich CODE for that commune's days."""
    words = text.split()
    return await _show(ctx, words[0] if words else None)


async def show_schedule(ctx: Context, action: ShowSchedule) -> list[Reply]:
    return await _show(ctx, action.commune)


async def _show(ctx: Context, code: str | None) -> list[Reply]:
    """The commune's next days (the user's own when none is named), or first the question
    which commune."""
    found = commune(code or ctx.user.commune_code or "")
    if found is None:
        if code:
            return [ctx.reply("error.stale_button", [ctx.menu_row()])]
        return await ask_commune(ctx)
    return await schedule_of(ctx, found)


async def schedule_of(ctx: Context, found: Commune) -> list[Reply]:
    points = await schedules.points_of_commune(ctx.session, found.code)
    change = (ctx.button("button.change_commune", AskCommune()),)
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
    replies = [ctx.reply("schedule.title", commune=commune_label(found))]
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
            off = Unsubscribe(point=point.id)
            rows.append((ctx.button("button.unsubscribe_point", off, place=point.name),))
        else:
            on = Subscribe(point=point.id)
            rows.append((ctx.button("button.subscribe_point", on, place=point.name),))
    replies[-1] = Reply(replies[-1].text, (*rows, change, ctx.menu_row()))
    return replies


def _next_day(upcoming: list[Occurrence]) -> dt.date:
    """The first day the point works; points with none in sight go last."""
    days = [o.date for o in upcoming if o.date is not None and not o.cancelled]
    return min(days, default=dt.date.max)


def _point_text(ctx: Context, point: TransactionPoint, upcoming: list[Occurrence]) -> str:
    lang = ctx.lang
    lines = []
    for occurrence in upcoming:
        if occurrence.cancelled or occurrence.date is None:
            lines.append(
                ctx.t(
                    "schedule.cancelled",
                    date=day(occurrence.regular_date, lang),
                    reason=occurrence.reason or "",
                )
            )
        elif occurrence.moved:
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
            commune=commune_label(found),
            office=office.office,
            phone=office.phone,
        )
    return ctx.reply("schedule.none", [change, ctx.menu_row()], commune=commune_label(found))


@COMMUNE.on_text(CommuneStep.NAME)
async def commune_text(ctx: Context, text: str) -> list[Reply]:
    """Typed text in the commune flow: find the commune by its name or a point's name."""
    query = text.strip()[:MAX_QUERY]
    choices: list[tuple[str, Commune]] = []
    for candidate in await communes.candidates(ctx.session, query, MAX_CHOICES):
        label = commune_label(candidate.commune)
        if candidate.point is not None:
            via = ctx.t("commune.via_point", point=candidate.point.name, commune=label)
            label = html.unescape(via)
        choices.append((label, candidate.commune))
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
    rows = [(Button(label, ChooseCommune(commune=found.code).pack()),) for label, found in choices]
    return [ctx.reply("commune.pick", [*rows, ctx.menu_row()])]


def _confirm(ctx: Context, label: str, found: Commune) -> Reply:
    """One place found by a part of its name, a misspelling or a point: ask before saving."""
    yes = ChooseCommune(commune=found.code)
    return ctx.reply(
        "commune.confirm",
        [
            [ctx.button("button.commune_yes", yes, commune=commune_label(found))],
            [ctx.button("button.commune_no", AskCommune())],
            ctx.menu_row(),
        ],
        place=label,
    )


async def choose_commune(ctx: Context, action: ChooseCommune) -> list[Reply]:
    """The user picked their commune."""
    found = commune(action.commune)
    if found is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    return await _choose(ctx, found)


def _give_consent(ctx: Context) -> tuple[Button, ...]:
    return (ctx.button("button.give_consent", AnswerConsent(answer="yes")),)


async def _choose(ctx: Context, found: Commune) -> list[Reply]:
    await ctx.leave_flow()
    if ctx.user.consent_at is None:
        # Without consent we show the schedule but keep nothing.
        return [
            ctx.reply("commune.not_saved", [_give_consent(ctx)]),
            *await schedule_of(ctx, found),
        ]
    ctx.user.commune_code = found.code
    ctx.session.add(ctx.user)
    return [
        ctx.reply("commune.saved", commune=commune_label(found)),
        *await schedule_of(ctx, found),
    ]


async def subscribe(ctx: Context, action: Subscribe) -> list[Reply]:
    """Switch reminders on (needs consent: it keeps who wants what)."""
    point = await schedules.get_point(ctx.session, action.point)
    if point is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    if ctx.user.consent_at is None:
        return [ctx.reply("schedule.needs_consent", [_give_consent(ctx), ctx.menu_row()])]
    mine = await subscriptions.subscribed_points(ctx.session, ctx.user.id or 0)
    if point.id not in mine and len(mine) >= MAX_SUBSCRIPTIONS:
        return [ctx.reply("schedule.too_many_reminders", [ctx.menu_row()], max=MAX_SUBSCRIPTIONS)]
    await subscriptions.subscribe(ctx.session, ctx.user.id or 0, point.id, ctx.now)
    off = Unsubscribe(point=point.id)
    return [
        ctx.reply(
            "schedule.subscribed",
            [[ctx.button("button.unsubscribe", off)], ctx.menu_row()],
            place=point.name,
        )
    ]


async def unsubscribe(ctx: Context, action: Unsubscribe) -> list[Reply]:
    """One tap, from a reminder or from /lich."""
    await subscriptions.unsubscribe(ctx.session, ctx.user.id or 0, action.point)
    point = await schedules.get_point(ctx.session, action.point)
    rows = [[ctx.button("button.subscribe_again", Subscribe(point=point.id))]] if point else []
    return [ctx.reply("schedule.unsubscribed", [*rows, ctx.menu_row()])]

"""/lichxa: officials edit the transaction days of their area.

Steps: the points of the area (for a wide area, first the commune, found by name) -> one
point and its next days -> one day: move it (new date, holiday warning, reason), cancel it
(reason) or restore it; or the point's fixed monthly day, hours or address -> a summary ->
confirm. The role is checked again for the point's commune at every step and when the change
is applied; every change goes to the audit log, and a moved or cancelled day is announced to
subscribers who were already reminded of it.

Button actions (all within 64 bytes: point ids are at most 48 characters):
``lx`` the list, ``lxc:CODE`` a commune, ``lxp:POINT`` a point, ``lxo:POINT:YYYYMMDD`` a day,
``lxm``/``lxx``/``lxr:POINT:YYYYMMDD`` move/cancel/restore it, ``lxe:POINT:day|hours|addr``
edit the point, ``lxh:yes|no`` the holiday answer, ``lxok``/``lxno`` confirm or drop.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

import holidays

from content.normalize import fold
from content.places import Commune, commune, find_communes
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.formatting import day
from handlers.core.spreadsheet import is_formula
from handlers.core.types import Button, Reply, digits
from handlers.schedules.calendar import Occurrence, is_regular_date, next_occurrences
from handlers.schedules.reminders import notify_change
from handlers.schedules.schedule_csv import MAX_LENGTH
from storage import audit, schedules
from storage.models import TransactionPoint

FLOW = "lichxa"
COMMAND = "lichxa"
ROLE = "official"
MAX_POINTS = 8  # a wider area than this many points asks for the commune first
MAX_CHOICES = 8
MAX_DAYS = 6  # day buttons per point
MAX_SHIFT_DAYS = 60  # a day moves at most this far from its regular date
MIN_REASON, MAX_REASON = 3, 500  # ScheduleException.reason is 500 wide
MIN_ADDRESS, MAX_ADDRESS = 5, MAX_LENGTH["address"]
MAX_QUERY = 100

_DATE = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\s*")
_HOURS = re.compile(r"\s*(\d{1,2})[:hH](\d{2})\s*[-–—]\s*(\d{1,2})[:hH](\d{2})\s*")


# --- helpers ---------------------------------------------------------------------------------


def _today(ctx: Context) -> dt.date:
    return ctx.now.astimezone(ctx.timezone).date()


def _ymd(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _from_ymd(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _hours(point: TransactionPoint) -> str:
    return f"{point.start_time:%H:%M}-{point.end_time:%H:%M}"


@cache
def _holiday_calendar(year: int, lang: str) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language="vi" if lang == "vi" else "en_US")


def holiday_name(value: dt.date, lang: str = "vi") -> str | None:
    """The Vietnamese public holiday on ``value`` (Tết included), or None."""
    return _holiday_calendar(value.year, lang).get(value)


def parse_day(text: str, regular: dt.date) -> dt.date | None:
    """'dd/mm/yyyy', or 'dd/mm' in the year that puts it nearest the regular date."""
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


def _clean(text: str) -> str:
    return " ".join(text.split())


def _back(ctx: Context, point_id: str) -> tuple[Button, ...]:
    return (ctx.button("lichxa.button.back_point", f"lxp:{point_id}"),)


def _confirm_rows(ctx: Context) -> list[tuple[Button, ...]]:
    return [
        (ctx.button("lichxa.button.confirm", "lxok"), ctx.button("lichxa.button.drop", "lxno")),
    ]


async def _may_edit(ctx: Context, point: TransactionPoint | None) -> bool:
    return point is not None and await roles.allowed(ctx, ROLE, point.commune_code)


async def _point_from_args(ctx: Context) -> TransactionPoint | None:
    """The point named by the button, when the user may edit it now; else None."""
    point = await schedules.get_point(ctx.session, ctx.args[0]) if ctx.args else None
    return point if await _may_edit(ctx, point) else None


async def _upcoming(ctx: Context, point: TransactionPoint) -> list[Occurrence]:
    today = _today(ctx)
    exceptions = await schedules.exceptions_between(
        ctx.session, [point.id], today - dt.timedelta(days=70), today + dt.timedelta(days=130)
    )
    return next_occurrences(point, exceptions, today, months=3)


async def _occurrence(ctx: Context, point: TransactionPoint, regular: dt.date | None):  # type: ignore[no-untyped-def]
    """The point's coming day with this regular date, or None (past, or not one of its days)."""
    if regular is None or not is_regular_date(point.day_of_month, regular):
        return None
    for occurrence in await _upcoming(ctx, point):
        if occurrence.regular_date == regular:
            return occurrence
    return None


def _occurrence_text(ctx: Context, occurrence: Occurrence) -> str:
    if occurrence.cancelled:
        return ctx.t(
            "lichxa.day_cancelled",
            date=day(occurrence.regular_date, ctx.lang),
            reason=occurrence.reason or "",
        )
    if occurrence.moved and occurrence.date is not None:
        return ctx.t(
            "lichxa.day_moved",
            date=day(occurrence.date, ctx.lang),
            regular=day(occurrence.regular_date, ctx.lang),
            reason=occurrence.reason or "",
        )
    return ctx.t("lichxa.day_regular", date=day(occurrence.regular_date, ctx.lang))


# --- the list of points ----------------------------------------------------------------------


async def _points_in(ctx: Context, areas: list[str | None]) -> list[TransactionPoint]:
    if areas and all(a is not None and len(a) == 5 for a in areas):
        found = []
        for area in areas:
            found.extend(await schedules.points_of_commune(ctx.session, area or ""))
        return found
    every = await schedules.all_points(ctx.session)
    return [p for p in every if any(roles.covers(a, p.commune_code) for a in areas)]


def _point_rows(ctx: Context, points: list[TransactionPoint]) -> list[tuple[Button, ...]]:
    return [(Button(p.name, f"lxp:{p.id}"),) for p in points]


async def start(ctx: Context) -> list[Reply]:
    """/lichxa (and ``lx``): the points of the official's area, or first the commune."""
    if not await roles.allowed(ctx, ROLE):
        return roles.unknown_command(ctx, COMMAND)
    await ctx.leave_flow()
    areas = await roles.areas_of(ctx, ROLE)
    whole = ctx.t("officials.whole_country")
    names = ", ".join(roles.area_name(a, whole) for a in areas)
    points = await _points_in(ctx, areas)
    if not points:
        return [ctx.reply("lichxa.no_points", [ctx.menu_row()], area=names)]
    if len(points) > MAX_POINTS:
        await ctx.enter(FLOW, "commune")
        return [ctx.reply("lichxa.ask_commune", [ctx.menu_row()], area=names, count=len(points))]
    return [ctx.reply("lichxa.pick_point", [*_point_rows(ctx, points), ctx.menu_row()])]


async def commune_text(ctx: Context, query: str) -> list[Reply]:
    """The commune typed by name: the communes of the area that match, or their points."""
    query = query.strip()[:MAX_QUERY]
    areas = await roles.areas_of(ctx, ROLE)
    points = await _points_in(ctx, areas)
    with_points = {p.commune_code for p in points}
    wanted = fold(query)
    choices: list[Commune] = []
    # A point's name (often a former commune's) counts as much as the commune's own name.
    for point in points:
        found = commune(point.commune_code)
        if len(wanted) >= 3 and wanted in fold(point.name) and found and found not in choices:
            choices.append(found)
    for found in find_communes(query, limit=200) if query else []:
        if found.code in with_points and found not in choices:
            choices.append(found)
    choices = choices[:MAX_CHOICES]
    if not choices:
        return [ctx.reply("lichxa.commune_not_found", [ctx.menu_row()], query=query)]
    if len(choices) == 1:
        return await _commune_points(ctx, choices[0])
    rows = [(Button(f"{c.name} ({c.province_name})", f"lxc:{c.code}"),) for c in choices]
    return [ctx.reply("lichxa.pick_commune", [*rows, ctx.menu_row()])]


async def choose_commune(ctx: Context) -> list[Reply]:
    """lxc:CODE"""
    found = commune(ctx.args[0]) if ctx.args else None
    if found is None or not await roles.allowed(ctx, ROLE, found.code):
        return roles.unknown_action(ctx)
    return await _commune_points(ctx, found)


async def _commune_points(ctx: Context, found: Commune) -> list[Reply]:
    await ctx.leave_flow()
    points = await schedules.points_of_commune(ctx.session, found.code)
    label = f"{found.name} ({found.province_name})"
    again = (ctx.button("lichxa.button.list", "lx"),)
    if not points:
        return [ctx.reply("lichxa.commune_empty", [again, ctx.menu_row()], commune=label)]
    rows = _point_rows(ctx, points)
    return [ctx.reply("lichxa.pick_point_of", [*rows, again, ctx.menu_row()], commune=label)]


# --- one point -------------------------------------------------------------------------------


async def show_point(ctx: Context) -> list[Reply]:
    """lxp:POINT"""
    point = await _point_from_args(ctx)
    if point is None:
        return roles.unknown_action(ctx)
    await ctx.leave_flow()
    return [await _point_reply(ctx, point)]


async def _point_reply(ctx: Context, point: TransactionPoint, lead: str = "") -> Reply:
    upcoming = await _upcoming(ctx, point)
    lines = [_occurrence_text(ctx, o) for o in upcoming] or [ctx.t("lichxa.no_days")]
    text = ctx.t(
        "lichxa.point",
        place=point.name,
        address=point.address,
        monthly=point.day_of_month,
        hours=_hours(point),
    )
    text = (lead + "\n\n" if lead else "") + text + "\n" + "\n".join(lines)
    rows: list[tuple[Button, ...]] = []
    for occurrence in upcoming[:MAX_DAYS]:
        rows.append(
            (
                ctx.button(
                    "lichxa.button.day",
                    f"lxo:{point.id}:{_ymd(occurrence.regular_date)}",
                    date=day(occurrence.regular_date, ctx.lang),
                ),
            )
        )
    rows.append((ctx.button("lichxa.button.edit_day", f"lxe:{point.id}:day"),))
    rows.append(
        (
            ctx.button("lichxa.button.edit_hours", f"lxe:{point.id}:hours"),
            ctx.button("lichxa.button.edit_address", f"lxe:{point.id}:addr"),
        )
    )
    rows.append((ctx.button("lichxa.button.list", "lx"),))
    rows.append(ctx.menu_row())
    return Reply(text, tuple(rows))


async def show_day(ctx: Context) -> list[Reply]:
    """lxo:POINT:YYYYMMDD: one coming day, and what can be done with it."""
    point = await _point_from_args(ctx)
    regular = _from_ymd(ctx.args[1]) if len(ctx.args) > 1 else None
    occurrence = await _occurrence(ctx, point, regular) if point else None
    if point is None or occurrence is None:
        return roles.unknown_action(ctx)
    await ctx.leave_flow()
    suffix = f"{point.id}:{_ymd(occurrence.regular_date)}"
    rows: list[tuple[Button, ...]] = [
        (ctx.button("lichxa.button.move", f"lxm:{suffix}"),),
        (ctx.button("lichxa.button.cancel", f"lxx:{suffix}"),),
    ]
    if occurrence.cancelled or occurrence.moved:
        rows.append((ctx.button("lichxa.button.restore", f"lxr:{suffix}"),))
    rows.append(_back(ctx, point.id))
    text = ctx.t("lichxa.day_title", place=point.name) + "\n" + _occurrence_text(ctx, occurrence)
    return [Reply(text, tuple(rows))]


async def _day_from_args(ctx: Context) -> tuple[TransactionPoint, Occurrence] | None:
    point = await _point_from_args(ctx)
    regular = _from_ymd(ctx.args[1]) if len(ctx.args) > 1 else None
    occurrence = await _occurrence(ctx, point, regular) if point else None
    if point is None or occurrence is None:
        return None
    return point, occurrence


async def move_day(ctx: Context) -> list[Reply]:
    """lxm:POINT:YYYYMMDD: ask for the new date."""
    found = await _day_from_args(ctx)
    if found is None:
        return roles.unknown_action(ctx)
    point, occurrence = found
    await ctx.leave_flow()
    await ctx.enter(
        FLOW, "move_date", kind="move", point=point.id, regular=occurrence.regular_date.isoformat()
    )
    return [
        ctx.reply(
            "lichxa.ask_date",
            [_back(ctx, point.id)],
            regular=day(occurrence.regular_date, ctx.lang),
            days=MAX_SHIFT_DAYS,
        )
    ]


async def cancel_day(ctx: Context) -> list[Reply]:
    """lxx:POINT:YYYYMMDD: ask why."""
    found = await _day_from_args(ctx)
    if found is None:
        return roles.unknown_action(ctx)
    point, occurrence = found
    await ctx.leave_flow()
    await ctx.enter(
        FLOW, "reason", kind="cancel", point=point.id, regular=occurrence.regular_date.isoformat()
    )
    return [ctx.reply("lichxa.ask_reason", [_back(ctx, point.id)])]


async def restore_day(ctx: Context) -> list[Reply]:
    """lxr:POINT:YYYYMMDD: summary of putting the regular day back."""
    found = await _day_from_args(ctx)
    if found is None or not (found[1].cancelled or found[1].moved):
        return roles.unknown_action(ctx)
    point, occurrence = found
    await ctx.leave_flow()
    await ctx.enter(
        FLOW, "confirm", kind="restore", point=point.id, regular=occurrence.regular_date.isoformat()
    )
    return [await _summary(ctx, point)]


async def edit_point(ctx: Context) -> list[Reply]:
    """lxe:POINT:day|hours|addr: ask for the new value."""
    point = await _point_from_args(ctx)
    what = ctx.args[1] if len(ctx.args) > 1 else ""
    steps = {"day": "day", "hours": "hours", "addr": "address"}
    if point is None or what not in steps:
        return roles.unknown_action(ctx)
    await ctx.leave_flow()
    await ctx.enter(FLOW, steps[what], kind=steps[what], point=point.id)
    values: dict[str, dict[str, object]] = {
        "day": {"monthly": point.day_of_month},
        "hours": {"hours": _hours(point)},
        "address": {"address": point.address},
    }
    return [ctx.reply(f"lichxa.ask_{steps[what]}", [_back(ctx, point.id)], **values[steps[what]])]


# --- typed text in the flow ------------------------------------------------------------------


async def flow_text(ctx: Context) -> list[Reply]:
    """What the official typed, for the step they are at."""
    text = ctx.args[0] if ctx.args else ""
    step = ctx.state.step
    if step == "commune":
        if not await roles.allowed(ctx, ROLE):
            await ctx.leave_flow()
            return roles.unknown_command(ctx, COMMAND)
        return await commune_text(ctx, text)
    data = ctx.state.data
    point = await schedules.get_point(ctx.session, str(data.get("point", "")))
    if not await _may_edit(ctx, point):
        await ctx.leave_flow()
        return roles.unknown_command(ctx, COMMAND)
    assert point is not None
    back = [_back(ctx, point.id)]
    if step == "move_date":
        return await _typed_date(ctx, point, text)
    if step == "reason":
        reason = _clean(text)
        if not MIN_REASON <= len(reason) <= MAX_REASON:
            return [ctx.reply("lichxa.bad_reason", back, min=MIN_REASON, max=MAX_REASON)]
        if is_formula(reason):
            return [ctx.reply("lichxa.formula", back)]
        await ctx.enter(FLOW, "confirm", reason=reason)
        return [await _summary(ctx, point)]
    if step == "day":
        value = text.strip()
        if not digits(value) or len(value) > 2 or not 1 <= int(value) <= 31:
            return [ctx.reply("lichxa.bad_monthly", back)]
        if int(value) == point.day_of_month:
            return [ctx.reply("lichxa.same_value", back)]
        await ctx.enter(FLOW, "confirm", value=int(value))
        return [await _summary(ctx, point)]
    if step == "hours":
        hours = parse_hours(text)
        if hours is None:
            return [ctx.reply("lichxa.bad_hours", back)]
        value = f"{hours[0]:%H:%M}-{hours[1]:%H:%M}"
        if value == _hours(point):
            return [ctx.reply("lichxa.same_value", back)]
        await ctx.enter(FLOW, "confirm", value=value)
        return [await _summary(ctx, point)]
    if step == "address":
        address = _clean(text)
        if not MIN_ADDRESS <= len(address) <= MAX_ADDRESS:
            return [ctx.reply("lichxa.bad_address", back, min=MIN_ADDRESS, max=MAX_ADDRESS)]
        if is_formula(address):
            return [ctx.reply("lichxa.formula", back)]
        if address == point.address:
            return [ctx.reply("lichxa.same_value", back)]
        await ctx.enter(FLOW, "confirm", value=address)
        return [await _summary(ctx, point)]
    # "holiday" or "confirm": a button is awaited
    return [ctx.reply("lichxa.press_button", back)]


def _check_new_date(ctx: Context, regular: dt.date, new: dt.date | None) -> str | None:
    """The message key of what is wrong with the new date, or None."""
    if new is None:
        return "lichxa.bad_date"
    if new == regular:
        return "lichxa.date_same"
    if new < _today(ctx):
        return "lichxa.date_past"
    if abs((new - regular).days) > MAX_SHIFT_DAYS:
        return "lichxa.date_far"
    return None


async def _typed_date(ctx: Context, point: TransactionPoint, text: str) -> list[Reply]:
    regular = dt.date.fromisoformat(ctx.state.data["regular"])
    new = parse_day(text, regular)
    problem = _check_new_date(ctx, regular, new)
    if problem is not None:
        return [
            ctx.reply(
                problem,
                [_back(ctx, point.id)],
                regular=day(regular, ctx.lang),
                today=day(_today(ctx), ctx.lang),
                days=MAX_SHIFT_DAYS,
            )
        ]
    assert new is not None
    holiday = holiday_name(new, ctx.lang)
    if holiday:
        await ctx.enter(FLOW, "holiday", new=new.isoformat())
        rows = [
            (ctx.button("lichxa.button.holiday_yes", "lxh:yes"),),
            (ctx.button("lichxa.button.holiday_no", "lxh:no"),),
            _back(ctx, point.id),
        ]
        return [ctx.reply("lichxa.holiday", rows, date=day(new, ctx.lang), holiday=holiday)]
    await ctx.enter(FLOW, "reason", new=new.isoformat())
    return [ctx.reply("lichxa.ask_reason", [_back(ctx, point.id)])]


async def _flow_point(ctx: Context, step: str) -> TransactionPoint | None:
    """The point of the flow, when the user is at ``step`` and may still edit it."""
    if ctx.flow != FLOW or ctx.state.step != step:
        return None
    point = await schedules.get_point(ctx.session, str(ctx.state.data.get("point", "")))
    return point if await _may_edit(ctx, point) else None


async def holiday_answer(ctx: Context) -> list[Reply]:
    """lxh:yes (keep the holiday date) or lxh:no (type another date)."""
    point = await _flow_point(ctx, "holiday")
    if point is None:
        return roles.unknown_action(ctx)
    back = [_back(ctx, point.id)]
    if ctx.args and ctx.args[0] == "yes":
        await ctx.enter(FLOW, "reason", holiday_ok=True)
        return [ctx.reply("lichxa.ask_reason", back)]
    regular = dt.date.fromisoformat(ctx.state.data["regular"])
    await ctx.enter(FLOW, "move_date", new=None)
    return [ctx.reply("lichxa.ask_date", back, regular=day(regular, ctx.lang), days=MAX_SHIFT_DAYS)]


# --- summary, confirm, apply -----------------------------------------------------------------


async def _summary(ctx: Context, point: TransactionPoint) -> Reply:
    data = ctx.state.data
    kind = data["kind"]
    lang = ctx.lang
    if kind in ("move", "cancel", "restore"):
        regular = dt.date.fromisoformat(data["regular"])
        values: dict[str, object] = {"place": point.name, "old": day(regular, lang)}
        if kind == "move":
            new = dt.date.fromisoformat(data["new"])
            values |= {"new": day(new, lang), "reason": data["reason"]}
            text = ctx.t("lichxa.summary_move", **values)
            holiday = holiday_name(new, lang)
            if holiday:
                text += "\n" + ctx.t("lichxa.summary_holiday", holiday=holiday)
        elif kind == "cancel":
            text = ctx.t("lichxa.summary_cancel", reason=data["reason"], **values)
        else:
            text = ctx.t("lichxa.summary_restore", **values)
    elif kind == "day":
        text = ctx.t(
            "lichxa.summary_day", place=point.name, old=point.day_of_month, new=data["value"]
        )
    elif kind == "hours":
        text = ctx.t("lichxa.summary_hours", place=point.name, old=_hours(point), new=data["value"])
    else:
        text = ctx.t(
            "lichxa.summary_address", place=point.name, old=point.address, new=data["value"]
        )
    return Reply(text, tuple(_confirm_rows(ctx)))


async def drop(ctx: Context) -> list[Reply]:
    """lxno: nothing is changed."""
    if ctx.flow != FLOW:
        return roles.unknown_action(ctx)
    point_id = str(ctx.state.data.get("point", ""))
    await ctx.leave_flow()
    return [ctx.reply("lichxa.dropped", [_back(ctx, point_id), ctx.menu_row()])]


async def confirm(ctx: Context) -> list[Reply]:
    """lxok: apply the change, checked once more as it is made."""
    point = await _flow_point(ctx, "confirm")
    if point is None:
        if ctx.flow == FLOW:
            await ctx.leave_flow()
        return roles.unknown_action(ctx)
    data = dict(ctx.state.data)
    kind = data["kind"]
    actor = roles.actor(ctx)
    lead_values: dict[str, object] = {"place": point.name}
    notified = 0
    if kind in ("move", "cancel", "restore"):
        regular = dt.date.fromisoformat(data["regular"])
        if await _occurrence(ctx, point, regular) is None:  # the day has passed meanwhile
            await ctx.leave_flow()
            return [ctx.reply("lichxa.too_late", [_back(ctx, point.id), ctx.menu_row()])]
        detail: dict[str, object] = {"regular": regular.isoformat()}
        # Where the day stood before: people may have been reminded of that date.
        was = await schedules.effective_date(ctx.session, point.id, regular)
        if kind == "restore":
            await schedules.delete_exception(ctx.session, point.id, regular)
            detail["notified"] = await notify_change(
                ctx.session, ctx.content, point, regular, was, regular, "", ctx.now
            )
        else:
            new = dt.date.fromisoformat(data["new"]) if kind == "move" else None
            if kind == "move":
                problem = _check_new_date(ctx, regular, new)
                if problem is not None:  # time went on between typing and confirming
                    await ctx.enter(FLOW, "move_date", new=None)
                    return [
                        ctx.reply(
                            problem,
                            [_back(ctx, point.id)],
                            regular=day(regular, ctx.lang),
                            today=day(_today(ctx), ctx.lang),
                            days=MAX_SHIFT_DAYS,
                        )
                    ]
                assert new is not None
                detail |= {"moved_to": new.isoformat(), "holiday": holiday_name(new, "vi")}
            detail["reason"] = data["reason"]
            await schedules.set_exception(
                ctx.session, point.id, regular, new, data["reason"], ctx.now
            )
            notified = await notify_change(
                ctx.session, ctx.content, point, regular, was, new, data["reason"], ctx.now
            )
            detail["notified"] = notified
        await audit.record(ctx.session, actor, f"schedule.{kind}", point.id, detail, ctx.now)
        lead_values["date"] = day(regular, ctx.lang)
    else:
        old: object
        if kind == "day":
            old, point.day_of_month = point.day_of_month, int(data["value"])
        elif kind == "hours":
            old = _hours(point)
            start, end = parse_hours(str(data["value"])) or (point.start_time, point.end_time)
            point.start_time, point.end_time = start, end
        else:
            old, point.address = point.address, str(data["value"])
        point.updated_at = ctx.now
        ctx.session.add(point)
        await ctx.session.flush()
        await audit.record(
            ctx.session,
            actor,
            f"point.{kind}",
            point.id,
            {"old": old, "new": data["value"]},
            ctx.now,
        )
    await ctx.leave_flow()
    lead = ctx.t(f"lichxa.done_{kind}", **lead_values)
    if notified:
        lead += "\n" + ctx.t("lichxa.notified", count=notified)
    return [await _point_reply(ctx, point, lead)]

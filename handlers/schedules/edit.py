"""/lichxa: officials edit the transaction days of their area.

Steps: the points of the area (for a wide area, first the commune, found by name) -> one
point and its next days -> one day: move it (new date, holiday warning, reason), cancel it
(reason) or restore it; or the point's fixed monthly day, hours or address -> a summary ->
confirm. The role is checked again for the point's commune at every step and when the change
is applied. What a day allows in its state and what a typed value may be are rules.py's;
making the change (audit log, notices to subscribers already reminded) is changes.py's.
The buttons are in actions.py, the steps and the draft in flows.py.
"""

from __future__ import annotations

import datetime as dt

from content.normalize import fold
from content.places import Commune, commune, find_communes
from handlers.account.console_link import console_button
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.formatting import day
from handlers.core.types import Button, Reply
from handlers.schedules import area, changes, rules
from handlers.schedules.actions import (
    AnswerHoliday,
    CancelDay,
    ConfirmChange,
    DropChange,
    EditPoint,
    ListPoints,
    MoveDay,
    PickCommune,
    RestoreDay,
    ShowDay,
    ShowPoint,
)
from handlers.schedules.calendar import Occurrence
from handlers.schedules.communes import commune_label
from handlers.schedules.flows import EDIT, FIELD_STEP, EditDraft, EditStep
from handlers.schedules.rules import DayChange, PointField, Refusal, ValueProblem
from storage import schedules
from storage.models import TransactionPoint

COMMAND = "lichxa"
ROLE = "official"
MAX_POINTS = 8  # a wider area than this many points asks for the commune first
MAX_CHOICES = 8
MAX_DAYS = 6  # day buttons per point
MAX_QUERY = 100

# The buttons offered for each change a day allows (rules.ALLOWED), in that order.
_CHANGE_BUTTONS: dict[DayChange, tuple[str, type[MoveDay | CancelDay | RestoreDay]]] = {
    DayChange.MOVE: ("lichxa.button.move", MoveDay),
    DayChange.CANCEL: ("lichxa.button.cancel", CancelDay),
    DayChange.RESTORE: ("lichxa.button.restore", RestoreDay),
}
# What is said of a new date the rules refuse.
_DATE_REFUSALS = {
    Refusal.UNREADABLE: "lichxa.bad_date",
    Refusal.SAME_DATE: "lichxa.date_same",
    Refusal.PAST_DATE: "lichxa.date_past",
    Refusal.FAR_DATE: "lichxa.date_far",
}
# What is said of a typed value the rules refuse.
_BAD_VALUE = {
    PointField.DAY: "lichxa.bad_monthly",
    PointField.HOURS: "lichxa.bad_hours",
    PointField.ADDRESS: "lichxa.bad_address",
}
_VALUE_PROBLEMS = {ValueProblem.FORMULA: "lichxa.formula", ValueProblem.SAME: "lichxa.same_value"}
# The edit button's short word for a value ("addr" keeps the button's bytes as they were).
_FIELDS = {"day": PointField.DAY, "hours": PointField.HOURS, "addr": PointField.ADDRESS}
# The word each question uses for the point's present value.
_NOW_WORDS = {PointField.DAY: "monthly", PointField.HOURS: "hours", PointField.ADDRESS: "address"}


# --- helpers ---------------------------------------------------------------------------------


def _today(ctx: Context) -> dt.date:
    return area.today_of(ctx)


def _back(ctx: Context, point_id: str) -> tuple[Button, ...]:
    return (ctx.button("lichxa.button.back_point", ShowPoint(point=point_id)),)


async def _editable(ctx: Context, point_id: str | None) -> TransactionPoint | None:
    """The point, when the user may edit it now; else None."""
    return await area.editable_point(ctx, point_id)


async def _editable_day(
    ctx: Context, action: ShowDay | MoveDay | CancelDay | RestoreDay
) -> tuple[TransactionPoint, Occurrence] | None:
    """The point and its coming day a button names, when the user may edit them now."""
    point = await _editable(ctx, action.point)
    if point is None:
        return None
    occurrence = await changes.coming_day(ctx.session, point, action.regular, _today(ctx))
    return (point, occurrence) if occurrence is not None else None


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


def _point_rows(ctx: Context, points: list[TransactionPoint]) -> list[tuple[Button, ...]]:
    return [(Button(p.name, ShowPoint(point=p.id).pack()),) for p in points]


async def command(ctx: Context, text: str) -> list[Reply]:
    """/lichxa (its role is checked by the dispatcher, as for the buttons)."""
    return await start(ctx)


async def list_points(ctx: Context, action: ListPoints) -> list[Reply]:
    return await start(ctx)


async def start(ctx: Context) -> list[Reply]:
    """The points of the official's area, or first the question which commune."""
    await ctx.leave_flow()
    areas = await roles.areas_of(ctx, ROLE)
    whole = ctx.t("officials.whole_country")
    names = ", ".join(roles.area_name(a, whole) for a in areas)
    points = await area.points_in_areas(ctx.session, areas)
    last = [console_button(ctx), ctx.menu_row()]
    if not points:
        return [ctx.reply("lichxa.no_points", last, area=names)]
    if len(points) > MAX_POINTS:
        await EDIT.enter(ctx, EditStep.COMMUNE, EditDraft())
        return [ctx.reply("lichxa.ask_commune", last, area=names, count=len(points))]
    return [ctx.reply("lichxa.pick_point", [*_point_rows(ctx, points), *last])]


@EDIT.on_text(EditStep.COMMUNE)
async def commune_text(ctx: Context, text: str) -> list[Reply]:
    """The commune typed by name: the communes of the area that match, or their points."""
    if not await roles.allowed(ctx, ROLE):
        await ctx.leave_flow()
        return roles.unknown_command(ctx, COMMAND)
    query = text.strip()[:MAX_QUERY]
    areas = await roles.areas_of(ctx, ROLE)
    points = await area.points_in_areas(ctx.session, areas)
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
    rows = [(Button(commune_label(c), PickCommune(commune=c.code).pack()),) for c in choices]
    return [ctx.reply("lichxa.pick_commune", [*rows, ctx.menu_row()])]


async def pick_commune(ctx: Context, action: PickCommune) -> list[Reply]:
    found = commune(action.commune)
    if found is None or not await roles.allowed(ctx, ROLE, found.code):
        return roles.unknown_action(ctx)
    return await _commune_points(ctx, found)


async def _commune_points(ctx: Context, found: Commune) -> list[Reply]:
    await ctx.leave_flow()
    points = await schedules.points_of_commune(ctx.session, found.code)
    label = commune_label(found)
    again = (ctx.button("lichxa.button.list", ListPoints()),)
    if not points:
        return [ctx.reply("lichxa.commune_empty", [again, ctx.menu_row()], commune=label)]
    rows = _point_rows(ctx, points)
    return [ctx.reply("lichxa.pick_point_of", [*rows, again, ctx.menu_row()], commune=label)]


# --- one point -------------------------------------------------------------------------------


async def show_point(ctx: Context, action: ShowPoint) -> list[Reply]:
    point = await _editable(ctx, action.point)
    if point is None:
        return roles.unknown_action(ctx)
    await ctx.leave_flow()
    return [await _point_reply(ctx, point)]


async def _point_reply(ctx: Context, point: TransactionPoint, lead: str = "") -> Reply:
    upcoming = await changes.upcoming(ctx.session, point, _today(ctx))
    lines = [_occurrence_text(ctx, o) for o in upcoming] or [ctx.t("lichxa.no_days")]
    text = ctx.t(
        "lichxa.point",
        place=point.name,
        address=point.address,
        monthly=point.day_of_month,
        hours=rules.hours_text(point),
    )
    text = (lead + "\n\n" if lead else "") + text + "\n" + "\n".join(lines)
    rows: list[tuple[Button, ...]] = []
    for occurrence in upcoming[:MAX_DAYS]:
        regular = occurrence.regular_date
        show = ShowDay.of(point.id, regular)
        rows.append((ctx.button("lichxa.button.day", show, date=day(regular, ctx.lang)),))
    rows.append((ctx.button("lichxa.button.edit_day", EditPoint(point=point.id, field="day")),))
    rows.append(
        (
            ctx.button("lichxa.button.edit_hours", EditPoint(point=point.id, field="hours")),
            ctx.button("lichxa.button.edit_address", EditPoint(point=point.id, field="addr")),
        )
    )
    rows.append((ctx.button("lichxa.button.list", ListPoints()),))
    rows.append(ctx.menu_row())
    return Reply(text, tuple(rows))


async def show_day(ctx: Context, action: ShowDay) -> list[Reply]:
    """One coming day, and the changes it allows."""
    found = await _editable_day(ctx, action)
    if found is None:
        return roles.unknown_action(ctx)
    point, occurrence = found
    await ctx.leave_flow()
    rows: list[tuple[Button, ...]] = [
        (ctx.button(_CHANGE_BUTTONS[c][0], _CHANGE_BUTTONS[c][1].of(point.id, action.regular)),)
        for c in rules.allowed(occurrence)
    ]
    rows.append(_back(ctx, point.id))
    text = ctx.t("lichxa.day_title", place=point.name) + "\n" + _occurrence_text(ctx, occurrence)
    return [Reply(text, tuple(rows))]


async def _begin_day_change(
    ctx: Context, action: MoveDay | CancelDay | RestoreDay, change: DayChange, step: EditStep
) -> TransactionPoint | None:
    """Start preparing ``change`` of the day the button names, at ``step``, when the rules
    and the user's role allow it now; None otherwise."""
    found = await _editable_day(ctx, action)
    if found is None or rules.refuse(found[1], change) is not None:
        return None
    point = found[0]
    draft = EditDraft(kind=change, point=point.id, regular=action.regular)
    await EDIT.enter(ctx, step, draft)
    return point


def _ask_date(ctx: Context, point_id: str, regular: dt.date) -> Reply:
    return ctx.reply(
        "lichxa.ask_date",
        [_back(ctx, point_id)],
        regular=day(regular, ctx.lang),
        days=rules.MAX_SHIFT_DAYS,
    )


async def move_day(ctx: Context, action: MoveDay) -> list[Reply]:
    """Ask for the new date."""
    point = await _begin_day_change(ctx, action, DayChange.MOVE, EditStep.MOVE_DATE)
    if point is None:
        return roles.unknown_action(ctx)
    return [_ask_date(ctx, point.id, action.regular)]


async def cancel_day(ctx: Context, action: CancelDay) -> list[Reply]:
    """Ask why."""
    point = await _begin_day_change(ctx, action, DayChange.CANCEL, EditStep.REASON)
    if point is None:
        return roles.unknown_action(ctx)
    return [ctx.reply("lichxa.ask_reason", [_back(ctx, point.id)])]


async def restore_day(ctx: Context, action: RestoreDay) -> list[Reply]:
    """The summary of putting the regular day back."""
    point = await _begin_day_change(ctx, action, DayChange.RESTORE, EditStep.CONFIRM)
    if point is None:
        return roles.unknown_action(ctx)
    return [_summary(ctx, point, EDIT.draft(ctx))]


async def edit_point(ctx: Context, action: EditPoint) -> list[Reply]:
    """Ask for the point's new fixed day, hours or address."""
    point = await _editable(ctx, action.point)
    if point is None:
        return roles.unknown_action(ctx)
    field = _FIELDS[action.field]
    await EDIT.enter(ctx, FIELD_STEP[field], EditDraft(kind=field, point=point.id))
    now = {_NOW_WORDS[field]: rules.current_value(point, field)}
    return [ctx.reply(f"lichxa.ask_{field}", [_back(ctx, point.id)], **now)]


# --- typed text in the flow ------------------------------------------------------------------


async def _flow_point(ctx: Context) -> TransactionPoint | None:
    """The point of the change being prepared, when the user may still edit it."""
    return await _editable(ctx, EDIT.draft(ctx).point)


def _refused_typing(ctx: Context) -> list[Reply]:
    return roles.unknown_command(ctx, COMMAND)


@EDIT.on_text(EditStep.MOVE_DATE)
async def typed_date(ctx: Context, text: str) -> list[Reply]:
    point = await _flow_point(ctx)
    draft = EDIT.draft(ctx)
    if point is None or draft.regular is None:
        await ctx.leave_flow()
        return _refused_typing(ctx)
    new = rules.parse_day(text, draft.regular)
    refusal = rules.refuse_date(draft.regular, new, _today(ctx))
    if refusal is not None or new is None:
        return [_date_refused(ctx, point, draft.regular, refusal or Refusal.UNREADABLE)]
    if rules.holiday_name(new, ctx.lang):
        return await _ask_holiday(ctx, point, draft, new)
    await EDIT.enter(ctx, EditStep.REASON, draft.model_copy(update={"new": new}))
    return [ctx.reply("lichxa.ask_reason", [_back(ctx, point.id)])]


async def _ask_holiday(
    ctx: Context, point: TransactionPoint, draft: EditDraft, new: dt.date
) -> list[Reply]:
    """The new date is a public holiday: keep it, or type another?"""
    await EDIT.enter(ctx, EditStep.HOLIDAY, draft.model_copy(update={"new": new}))
    rows = [
        (ctx.button("lichxa.button.holiday_yes", AnswerHoliday(answer="yes")),),
        (ctx.button("lichxa.button.holiday_no", AnswerHoliday(answer="no")),),
        _back(ctx, point.id),
    ]
    holiday = rules.holiday_name(new, ctx.lang)
    return [ctx.reply("lichxa.holiday", rows, date=day(new, ctx.lang), holiday=holiday)]


def _date_refused(
    ctx: Context, point: TransactionPoint, regular: dt.date, refusal: Refusal
) -> Reply:
    return ctx.reply(
        _DATE_REFUSALS[refusal],
        [_back(ctx, point.id)],
        regular=day(regular, ctx.lang),
        today=day(_today(ctx), ctx.lang),
        days=rules.MAX_SHIFT_DAYS,
    )


@EDIT.on_text(EditStep.REASON)
async def typed_reason(ctx: Context, text: str) -> list[Reply]:
    point = await _flow_point(ctx)
    if point is None:
        await ctx.leave_flow()
        return _refused_typing(ctx)
    back = [_back(ctx, point.id)]
    reason = rules.read_reason(text)
    if reason is ValueProblem.BAD:
        return [ctx.reply("lichxa.bad_reason", back, min=rules.MIN_REASON, max=rules.MAX_REASON)]
    if isinstance(reason, ValueProblem):
        return [ctx.reply(_VALUE_PROBLEMS[reason], back)]
    draft = EDIT.draft(ctx).model_copy(update={"reason": reason})
    await EDIT.enter(ctx, EditStep.CONFIRM, draft)
    return [_summary(ctx, point, draft)]


@EDIT.on_text(*FIELD_STEP.values())
async def typed_value(ctx: Context, text: str) -> list[Reply]:
    """The point's new fixed day, hours or address."""
    point = await _flow_point(ctx)
    step = EDIT.step(ctx)
    if point is None or step is None:
        await ctx.leave_flow()
        return _refused_typing(ctx)
    field = PointField(step.value)
    back = [_back(ctx, point.id)]
    value = rules.read_value(point, field, text)
    if value is ValueProblem.BAD:
        limits = {"min": rules.MIN_ADDRESS, "max": rules.MAX_ADDRESS}
        return [ctx.reply(_BAD_VALUE[field], back, **limits)]
    if isinstance(value, ValueProblem):
        return [ctx.reply(_VALUE_PROBLEMS[value], back)]
    draft = EDIT.draft(ctx).model_copy(update={"value": value})
    await EDIT.enter(ctx, EditStep.CONFIRM, draft)
    return [_summary(ctx, point, draft)]


@EDIT.on_text(EditStep.HOLIDAY, EditStep.CONFIRM)
async def awaiting_button(ctx: Context, text: str) -> list[Reply]:
    """Text where a button is awaited: say so."""
    point = await _flow_point(ctx)
    if point is None:
        await ctx.leave_flow()
        return _refused_typing(ctx)
    return [ctx.reply("lichxa.press_button", [_back(ctx, point.id)])]


async def answer_holiday(ctx: Context, action: AnswerHoliday) -> list[Reply]:
    """Keep the date on a holiday (then the reason), or type another date."""
    point = await _flow_point(ctx)
    draft = EDIT.draft(ctx)
    if point is None or draft.regular is None:
        return roles.unknown_action(ctx)
    if action.answer == "yes":
        await EDIT.enter(ctx, EditStep.REASON, draft.model_copy(update={"holiday_ok": True}))
        return [ctx.reply("lichxa.ask_reason", [_back(ctx, point.id)])]
    await EDIT.enter(ctx, EditStep.MOVE_DATE, draft.model_copy(update={"new": None}))
    return [_ask_date(ctx, point.id, draft.regular)]


# --- summary, confirm, apply -----------------------------------------------------------------


def _summary(ctx: Context, point: TransactionPoint, draft: EditDraft) -> Reply:
    lang = ctx.lang
    kind = draft.kind
    if isinstance(kind, DayChange):
        assert draft.regular is not None
        values: dict[str, object] = {"place": point.name, "old": day(draft.regular, lang)}
        if kind is DayChange.MOVE:
            assert draft.new is not None
            values |= {"new": day(draft.new, lang), "reason": draft.reason}
            text = ctx.t("lichxa.summary_move", **values)
            holiday = rules.holiday_name(draft.new, lang)
            if holiday:
                text += "\n" + ctx.t("lichxa.summary_holiday", holiday=holiday)
        elif kind is DayChange.CANCEL:
            text = ctx.t("lichxa.summary_cancel", reason=draft.reason, **values)
        else:
            text = ctx.t("lichxa.summary_restore", **values)
    else:
        assert kind is not None  # set as the change began
        field = PointField(kind)
        old = rules.current_value(point, field)
        text = ctx.t(f"lichxa.summary_{field}", place=point.name, old=old, new=draft.value)
    confirm = ctx.button("lichxa.button.confirm", ConfirmChange())
    return Reply(text, ((confirm, ctx.button("lichxa.button.drop", DropChange())),))


async def drop(ctx: Context, action: DropChange) -> list[Reply]:
    """Nothing is changed."""
    point_id = EDIT.draft(ctx).point or ""
    await ctx.leave_flow()
    return [ctx.reply("lichxa.dropped", [_back(ctx, point_id), ctx.menu_row()])]


async def confirm(ctx: Context, action: ConfirmChange) -> list[Reply]:
    """Make the change, checked once more as it is made."""
    point = await _flow_point(ctx)
    draft = EDIT.draft(ctx)
    if point is None or draft.kind is None:
        await ctx.leave_flow()
        return roles.unknown_action(ctx)
    actor = roles.actor(ctx)
    lead_values: dict[str, object] = {"place": point.name}
    notified = 0
    if isinstance(draft.kind, DayChange):
        regular = draft.regular
        if regular is None:
            await ctx.leave_flow()
            return roles.unknown_action(ctx)
        result = await changes.change_day(
            ctx.session, ctx.content, point, regular, draft.kind,
            new=draft.new, reason=draft.reason or "", holiday_ok=bool(draft.holiday_ok),
            today=_today(ctx), now=ctx.now, actor=actor,
        )  # fmt: skip
        if result is Refusal.PASSED:  # the day has passed meanwhile
            await ctx.leave_flow()
            return [ctx.reply("lichxa.too_late", [_back(ctx, point.id), ctx.menu_row()])]
        if result is Refusal.NOT_ALLOWED:  # changed meanwhile: the summary no longer holds
            await ctx.leave_flow()
            return roles.unknown_action(ctx)
        if result is Refusal.HOLIDAY and draft.new is not None:  # never asked: ask now
            return await _ask_holiday(ctx, point, draft, draft.new)
        if isinstance(result, Refusal):  # time went on between typing and confirming
            await EDIT.enter(ctx, EditStep.MOVE_DATE, draft.model_copy(update={"new": None}))
            return [_date_refused(ctx, point, regular, result)]
        notified = result
        lead_values["date"] = day(regular, ctx.lang)
    else:
        if draft.value is None:
            await ctx.leave_flow()
            return roles.unknown_action(ctx)
        await changes.change_point(
            ctx.session, point, PointField(draft.kind), draft.value, ctx.now, actor
        )
    await ctx.leave_flow()
    lead = ctx.t(f"lichxa.done_{draft.kind}", **lead_values)
    if notified:
        lead += "\n" + ctx.t("lichxa.notified", count=notified)
    return [await _point_reply(ctx, point, lead)]

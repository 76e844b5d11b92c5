"""The officials' transaction points in the console: the points of their area by commune, a
point's month (move, cancel or restore a day), a schedule file's import seen before it is
applied, and the current schedule as a file.

Every rule is the schedules feature's, as in /lichxa: which points are one's own
(handlers/schedules/area.py), what a day allows and what a new date or a reason may be
(rules.py), making a change and telling subscribers (changes.py), a file's plan
(imports.py). A point or commune outside one's area is a 404, as a point that does not exist.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.console.staff import Staff, render, see_other, staff_page
from content.places import commune
from handlers.core import roles
from handlers.core.formatting import day
from handlers.schedules import area, changes, imports, month, rules
from handlers.schedules.calendar import Occurrence
from handlers.schedules.communes import commune_label
from handlers.schedules.csv import (
    COLUMNS,
    HEADER,
    MAX_FILE_BYTES,
    FileProblem,
    MiB,
    ScheduleFileError,
    export_schedule_csv,
    read_schedule_lines,
)
from handlers.schedules.imports import AreaProblem, ImportPlan
from handlers.schedules.rules import DayChange, PointField, Refusal, ValueProblem
from storage import schedule_uploads
from storage.models import TransactionPoint

routes = web.RouteTableDef()
ROLE = area.ROLE
MAX_LISTED = 150  # points listed with their days on one page; a wider area picks a commune

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_CODE = re.compile(r"[0-9]{5}")


# --- helpers ---------------------------------------------------------------------------------


def _field(form: MultiDictProxy[Any], name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def day_text(staff: Staff, occurrence: Occurrence) -> str:
    """One day as the list and the month show it."""
    lang = staff.lang
    regular = day(occurrence.regular_date, lang)
    if occurrence.cancelled or occurrence.date is None:
        return staff.t("console.points.day_cancelled", regular=regular)
    if occurrence.moved:
        return staff.t("console.points.day_moved", date=day(occurrence.date, lang), regular=regular)
    return staff.t("console.points.day_regular", date=regular)


def _commune_name(staff: Staff, code: str) -> str:
    found = commune(code)
    return commune_label(found) if found else staff.t("console.points.unknown_commune", code=code)


async def _area_names(staff: Staff) -> str:
    whole = staff.t("officials.whole_country")
    return ", ".join(roles.area_name(a, whole) for a in await staff.areas(ROLE))


async def _my_point(staff: Staff) -> TransactionPoint:
    """The point the path names, when it is in the official's area; else 404."""
    point = await area.editable_point(staff.ctx, staff.request.match_info["point"])
    if point is None:
        raise web.HTTPNotFound()
    return point


# --- the list --------------------------------------------------------------------------------


@routes.get("/staff/points")
@staff_page(ROLE)
async def list_points(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The points of the official's area by commune, with their coming days."""
    points = await area.my_points(staff.ctx)
    chosen = request.query.get("commune", "")
    # A commune outside the area, or not a commune at all: as a point would be, unknown.
    if chosen and not (_CODE.fullmatch(chosen) and await roles.allowed(staff.ctx, ROLE, chosen)):
        raise web.HTTPNotFound()
    today = area.today_of(staff.ctx)
    counts = Counter(p.commune_code for p in points)
    communes = sorted(counts, key=lambda code: _commune_name(staff, code))
    # A wide area (a province, the country) lists its communes first, as /lichxa asks for one.
    overview = not chosen and len(points) > MAX_LISTED
    groups = (
        []
        if overview
        else await area.points_by_commune(staff.session, points, today, chosen or None)
    )
    values = {
        "groups": groups,
        "overview": overview,
        "counts": counts,
        "communes": [(code, _commune_name(staff, code)) for code in communes],
        "chosen": chosen,
        "chosen_name": _commune_name(staff, chosen) if chosen else "",
        "area": await _area_names(staff),
        "day_text": lambda o: day_text(staff, o),
        "commune_name": lambda code: _commune_name(staff, code),
        "hours": rules.hours_text,
        "any_points": bool(points),
    }
    return render(staff, "points/list.html", values)


# --- the export (before /staff/points/{point}: "export.csv" is not a point) ---------------------


@routes.get("/staff/points/export.csv")
@staff_page(ROLE)
async def export(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The schedule of the official's area, in the import's format (with a byte order mark,
    so that a spreadsheet reads it as UTF-8)."""
    text = export_schedule_csv(await area.my_points(staff.ctx))
    today = area.today_of(staff.ctx)
    return web.Response(
        body=("\ufeff" + text).encode(),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="lich-giao-dich-{today:%Y-%m-%d}.csv"'
        },
    )


# --- the import --------------------------------------------------------------------------------


def _import_page(staff: Staff, values: dict[str, Any], status: int = 200) -> web.Response:
    frame: dict[str, Any] = {
        "header": HEADER,
        "problems": [],
        "plan": None,
        "notice": "",
        "max_mib": MAX_FILE_BYTES // MiB,
    }
    return render(staff, "points/import.html", frame | values, status=status)


def _where(staff: Staff, line: int | None, column: str) -> str:
    """ "line 3, day_of_month: " in the page's language; a file's own columns keep their
    names (the file's header shows them), "file", "row" and "header" are said in words."""
    if column in ("file", "row", "header"):
        column = staff.t(f"console.points.column_{column}")
    if line is None:
        return staff.t("console.points.where_file", column=column)
    return staff.t("console.points.where_line", line=line, column=column)


def _file_problem_lines(staff: Staff, found: list[FileProblem]) -> list[str]:
    return [
        _where(staff, p.line, p.column) + staff.t(f"console.points.csv_{p.code}", **dict(p.values))
        for p in found
    ]


def _area_problem_lines(staff: Staff, plan: ImportPlan) -> list[str]:
    keys = {
        AreaProblem.COMMUNE: ("console.points.problem_commune", "code", "commune_code"),
        AreaProblem.POINT: ("console.points.problem_point", "point", "point_id"),
    }
    lines = []
    for problem in plan.problems:
        key, name, column = keys[problem.problem]
        text = staff.t(key, **{name: problem.value})
        lines.append(_where(staff, problem.line, column) + text)
    return lines


def _field_names(staff: Staff) -> dict[str, str]:
    return {name: staff.t(f"console.points.field_{name}") for name in COLUMNS[1:]}


async def _plan(staff: Staff, data: bytes) -> ImportPlan | list[str]:
    """The plan of a file's bytes for this official, or its problems in lines."""
    try:
        rows = read_schedule_lines(io.BytesIO(data))
    except ScheduleFileError as exc:
        return _file_problem_lines(staff, exc.found)
    plan = await imports.plan_import(
        staff.session, rows, await staff.areas(ROLE), remove_missing=True
    )
    return _area_problem_lines(staff, plan) if plan.problems else plan


def _preview(
    staff: Staff, name: str, digest: str, plan: ImportPlan, notice: str = "", status: int = 200
) -> web.Response:
    values = {
        "plan": plan,
        "name": name,
        "upload": digest,
        "plan_digest": plan.digest(),
        "fields": _field_names(staff),
        "commune_name": lambda code: _commune_name(staff, code),
        "lost": sum(r.subscribers for r in plan.removed),
        "notice": notice,
    }
    return _import_page(staff, values, status)


@routes.get("/staff/points/import")
@staff_page(ROLE)
async def import_form(request: web.Request, staff: Staff) -> web.StreamResponse:
    return _import_page(staff, {})


@routes.post("/staff/points/import")
@staff_page(ROLE)
async def import_preview(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The uploaded file's plan, or its problems; nothing is written but the kept file."""
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return _import_page(staff, {"notice": staff.t("console.points.no_file")}, 400)
    data = upload.file.read(MAX_FILE_BYTES + 1)
    name = upload.filename[:200]
    if len(data) > MAX_FILE_BYTES:
        too_large = staff.t("console.points.file_too_large", mib=MAX_FILE_BYTES // MiB)
        return _import_page(staff, {"notice": too_large}, 400)
    if not data:
        return _import_page(staff, {"notice": staff.t("console.points.no_file")}, 400)
    planned = await _plan(staff, data)
    if isinstance(planned, list):
        return _import_page(staff, {"problems": planned, "name": name}, 400)
    digest = ""
    if not planned.empty:
        digest = await schedule_uploads.keep(staff.session, staff.actor, name, data, staff.now)
    return _preview(staff, name, digest, planned)


@routes.post("/staff/points/import/apply")
@staff_page(ROLE)
async def import_apply(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Apply the previewed file: the same bytes, kept since, and the same plan; else say so."""
    form = await request.post()
    digest, shown = _field(form, "upload", 64), _field(form, "plan", 64)
    kept = None
    if _DIGEST.fullmatch(digest):
        kept = await schedule_uploads.kept(staff.session, staff.actor, digest, staff.now)
    if kept is None or not _DIGEST.fullmatch(shown):
        hours = int(schedule_uploads.KEPT.total_seconds() // 3600)
        gone = staff.t("console.points.upload_gone", hours=hours)
        return _import_page(staff, {"notice": gone}, 410)
    planned = await _plan(staff, kept.data)
    if isinstance(planned, list):  # the area shrank since: rows are now outside it
        return _import_page(staff, {"problems": planned, "name": kept.name}, 409)
    if planned.digest() != shown:
        notice = staff.t("console.points.plan_changed")
        return _preview(staff, kept.name, digest, planned, notice, 409)
    await imports.apply_import(
        staff.session,
        planned,
        actor=staff.actor,
        now=staff.now,
        source=f"console:{kept.name}",
        content=staff.deps.content,
        tz=staff.ctx.timezone,
    )
    await schedule_uploads.drop(staff.session, staff.actor, digest)
    staff.flash(
        staff.t(
            "console.points.applied",
            name=kept.name,
            added=len(planned.added),
            changed=len(planned.changed),
            removed=len(planned.removed),
            unchanged=planned.unchanged,
        )
    )
    raise see_other("/staff/points")


@routes.post("/staff/points/import/drop")
@staff_page(ROLE)
async def import_drop(request: web.Request, staff: Staff) -> web.StreamResponse:
    form = await request.post()
    digest = _field(form, "upload", 64)
    if _DIGEST.fullmatch(digest):
        await schedule_uploads.drop(staff.session, staff.actor, digest)
    staff.flash(staff.t("console.points.dropped"))
    raise see_other("/staff/points/import")


# --- one point: its month, and the changes of a day ---------------------------------------------


def _month_of(staff: Staff, today: dt.date) -> tuple[int, int]:
    """The month the query names (?month=YYYY-MM), else the current one; 404 when out of range."""
    text = staff.request.query.get("month", "")
    if not text:
        return today.year, today.month
    match = _MONTH.fullmatch(text)
    if match is None or not month.in_range(int(match[1]), int(match[2]), today):
        raise web.HTTPNotFound()
    return int(match[1]), int(match[2])


async def _point_page(
    staff: Staff,
    point: TransactionPoint,
    year: int,
    number: int,
    errors: dict[str, list[str]] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    today = area.today_of(staff.ctx)
    shown = await month.point_month(staff.session, point, year, number, today, staff.lang)
    lang = staff.lang
    values = {
        "point": point,
        "commune": _commune_name(staff, point.commune_code),
        "hours": rules.hours_text(point),
        "shown": shown,
        "month_name": staff.t(f"console.points.month_{number}"),
        "weekdays": month.weekday_numbers(),
        "day_text": lambda o: day_text(staff, o),
        "date": lambda value: day(value, lang),
        "short": lambda value: f"{value:%d/%m}" if lang == "vi" else f"{value:%d %b}",
        "errors": errors or {},
        "typed": typed or {},
        "today": today,
        "min_reason": rules.MIN_REASON,
        "max_reason": rules.MAX_REASON,
        "max_shift": rules.MAX_SHIFT_DAYS,
        "fields": [
            (PointField.DAY, rules.current_value(point, PointField.DAY)),
            (PointField.HOURS, rules.current_value(point, PointField.HOURS)),
            (PointField.ADDRESS, rules.current_value(point, PointField.ADDRESS)),
        ],
        "min_address": rules.MIN_ADDRESS,
        "max_address": rules.MAX_ADDRESS,
        "earliest": lambda o: max(today, o.regular_date - dt.timedelta(days=rules.MAX_SHIFT_DAYS)),
        "latest": lambda o: o.regular_date + dt.timedelta(days=rules.MAX_SHIFT_DAYS),
    }
    return render(staff, "points/point.html", values, status=status)


@routes.get("/staff/points/{point}")
@staff_page(ROLE)
async def show_point(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The point's month: its days, exceptions, holidays, and forms for the coming days."""
    point = await _my_point(staff)
    year, number = _month_of(staff, area.today_of(staff.ctx))
    return await _point_page(staff, point, year, number)


def _refusal_text(staff: Staff, refusal: Refusal, regular: dt.date, new: dt.date | None) -> str:
    lang = staff.lang
    values: dict[str, Any] = {
        "regular": day(regular, lang),
        "today": day(area.today_of(staff.ctx), lang),
        "days": rules.MAX_SHIFT_DAYS,
    }
    if refusal is Refusal.HOLIDAY and new is not None:
        values = {"date": day(new, lang), "holiday": rules.holiday_name(new, lang) or ""}
    keys = {
        Refusal.PASSED: ("regular",),
        Refusal.NOT_ALLOWED: ("regular",),
        Refusal.UNREADABLE: (),
        Refusal.SAME_DATE: ("regular",),
        Refusal.PAST_DATE: ("today",),
        Refusal.FAR_DATE: ("regular", "days"),
        Refusal.HOLIDAY: ("date", "holiday"),
    }
    return staff.t(f"console.points.refused_{refusal}", **{k: values[k] for k in keys[refusal]})


def _reason_problem(staff: Staff, problem: ValueProblem) -> str:
    if problem is ValueProblem.FORMULA:
        return staff.t("console.points.formula_reason")
    return staff.t("console.points.bad_reason", min=rules.MIN_REASON, max=rules.MAX_REASON)


@routes.post("/staff/points/{point}/day")
@staff_page(ROLE)
async def change_day(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Move, cancel or restore one coming day, as /lichxa does; refusals in words."""
    point = await _my_point(staff)
    form = await request.post()
    today = area.today_of(staff.ctx)
    regular_text, change_text = _field(form, "regular", 10), _field(form, "change", 10)
    if not _ISO.fullmatch(regular_text) or change_text not in DayChange.__members__.values():
        raise web.HTTPBadRequest(text=staff.t("console.points.bad_change"))
    try:
        regular = dt.date.fromisoformat(regular_text)
    except ValueError:
        raise web.HTTPBadRequest(text=staff.t("console.points.bad_change")) from None
    change = DayChange(change_text)
    form_id = f"{change}-{regular_text}"
    typed = {
        "form": form_id,
        "new_date": _field(form, "new_date", 40),
        "reason": _field(form, "reason", rules.MAX_REASON * 2),
        "holiday_ok": "1" if form.get("holiday_ok") else "",
    }
    new = rules.parse_day(typed["new_date"], regular) if change is DayChange.MOVE else None
    problems: list[str] = []
    reason = rules.read_reason(typed["reason"])
    if isinstance(reason, ValueProblem):
        problems.append(_reason_problem(staff, reason))
        # Say what else is wrong too, by the same rules change_day applies.
        refusal = rules.refuse(
            await changes.coming_day(staff.session, point, regular, today), change
        )
        if refusal is None and change is DayChange.MOVE:
            refusal = rules.refuse_date(regular, new, today, bool(typed["holiday_ok"]))
        if refusal is not None:
            problems.insert(0, _refusal_text(staff, refusal, regular, new))
    else:
        result = await changes.change_day(
            staff.session, staff.deps.content, point, regular, change,
            new=new, reason=reason, holiday_ok=bool(typed["holiday_ok"]),
            today=today, now=staff.now, actor=staff.actor,
        )  # fmt: skip
        if isinstance(result, Refusal):
            problems.append(_refusal_text(staff, result, regular, new))
        else:
            values: dict[str, Any] = {"regular": day(regular, staff.lang)}
            if new is not None:
                values["date"] = day(new, staff.lang)
            staff.flash(staff.t(f"console.points.done_{change}", **values))
            if result:
                staff.flash(staff.t("console.points.notified", count=result))
            else:
                staff.flash(staff.t("console.points.not_notified"))
            raise see_other(f"/staff/points/{point.id}?month={regular:%Y-%m}")
    year, number = regular.year, regular.month
    if not month.in_range(year, number, today):
        year, number = today.year, today.month
    # The problems go with the form that was sent, when the page shows it again; else on top.
    coming = await changes.coming_day(staff.session, point, regular, today)
    shown = coming is not None and change in rules.allowed(coming)
    errors = {form_id if shown else "page": problems}
    return await _point_page(staff, point, year, number, errors, typed, status=400)


# The point's own values (fixed day, hours, address): what /lichxa's "edit" buttons change.
_BAD_VALUE = {
    PointField.DAY: "console.points.bad_day",
    PointField.HOURS: "console.points.bad_hours",
    PointField.ADDRESS: "console.points.bad_address",
}


@routes.post("/staff/points/{point}/edit")
@staff_page(ROLE)
async def edit_point(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Change the point's fixed day, hours or address, read and written as /lichxa does."""
    point = await _my_point(staff)
    form = await request.post()
    try:
        field = PointField(_field(form, "field", 10))
    except ValueError:
        raise web.HTTPBadRequest(text=staff.t("console.points.bad_change")) from None
    typed = _field(form, "value", 1000)
    value = rules.read_value(point, field, typed)
    if isinstance(value, ValueProblem):
        if value is ValueProblem.BAD:
            limits = {"min": rules.MIN_ADDRESS, "max": rules.MAX_ADDRESS}
            said = staff.t(_BAD_VALUE[field], **(limits if field is PointField.ADDRESS else {}))
        elif value is ValueProblem.FORMULA:
            said = staff.t("console.points.formula_value")
        else:
            said = staff.t("console.points.same_value")
        today = area.today_of(staff.ctx)
        form_id = f"edit-{field}"
        return await _point_page(
            staff, point, today.year, today.month, {form_id: [said]},
            {"form": form_id, "value": typed}, status=400,
        )  # fmt: skip
    await changes.change_point(staff.session, point, field, value, staff.now, staff.actor)
    staff.flash(staff.t(f"console.points.done_{field}", place=point.name, value=value))
    raise see_other(f"/staff/points/{point.id}")

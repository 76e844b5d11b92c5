"""The admin pages of the staff console: roles (grant, revoke) and the audit log (read, export).

Every rule is chat's: /quyen's (handlers/account/role_admin.py: who, which role and where are
read as in chat and on the command line; an area typed outside the admin's own is refused with
a message, a grant outside it named by a revoke is a 404) and the audit log's
(handlers/account/audit_log.py: the admin's area limits what they read, the filters are checked
there). Revoking a role ends that person's console
sessions (handlers.core.roles.revoke_role): their next click lands on the sign-in page.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from dataclasses import asdict, dataclass, replace
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.console.security import HEADERS
from bot.console.staff import Staff, render, see_other, staff_page
from content.normalize import fold
from handlers.account import audit_log, role_admin
from handlers.account.audit_log import FilterError, Problem, Query
from handlers.core import roles
from handlers.core.types import digits
from storage import roles as role_store
from storage.models import AuditEntry, Role

routes = web.RouteTableDef()
ROLE = "admin"
MAX_FIELD = 200  # characters kept of a typed value (longer is never valid)
MAX_GRANTS_SHOWN = 200
MAX_DETAIL = 300  # characters of one detail value shown in the table (the CSV has all)
MAX_ID_DIGITS = 18
MAX_PEOPLE_LISTED = 500  # to pick from; anyone else is typed as CHANNEL:ID


# --- shared bits ---------------------------------------------------------------------------------


def _field(data: MultiMapping[Any], name: str) -> str:
    value = data.get(name, "")
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _area(staff: Staff, code: str | None, with_code: bool = True) -> str:
    return roles.area_name(code, staff.t("console.whole_country"), with_code=with_code)


def _role(staff: Staff, role: str) -> str:
    return staff.t(f"console.role.{role}") if role in roles.ROLES else role


def _local(staff: Staff, moment: dt.datetime, seconds: bool = False) -> str:
    local = moment.astimezone(staff.ctx.timezone)
    return local.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def _problem(staff: Staff, error: roles.RoleInputError) -> str:
    return staff.t(f"console.admin.error.{error.problem}", **error.values)


async def _whole_country(staff: Staff) -> bool:
    return None in await staff.areas(ROLE)


async def _my_areas(staff: Staff) -> str:
    return ", ".join(_area(staff, a, with_code=False) for a in await staff.areas(ROLE))


# --- roles ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantForm:
    """The grant form as typed (kept when it is shown again with what to correct)."""

    user: str = ""
    role: str = ""
    area: str = ""


@dataclass(frozen=True)
class GrantRow:
    id: int
    user: str
    name: str | None
    role: str
    area: str
    granted: str
    by: str


Names = dict[tuple[str, str], str | None]


def _person(actor: str) -> tuple[str, str] | None:
    """'telegram:123' -> ('telegram', '123'); None for 'cli', 'system', 'reporter'."""
    channel, sep, user_id = actor.partition(":")
    return (channel, user_id) if sep and user_id else None


async def _names(staff: Staff, actors: list[str]) -> Names:
    people = [p for p in map(_person, actors) if p is not None]
    return await role_store.names_of(staff.session, people)


def _actor(staff: Staff, actor: str, names: Names) -> str:
    """'An (telegram:123)' when the channel gave a name; the command line or the system in
    words; else the actor as it is."""
    if actor in audit_log.SYSTEM_ACTORS:
        return staff.t(f"console.admin.audit.actor.{actor}")
    person = _person(actor)
    name = names.get(person) if person is not None else None
    return f"{name} ({actor})" if name else actor


async def _rows(staff: Staff, grants: list[Role]) -> list[GrantRow]:
    holders = [f"{g.channel}:{g.channel_user_id}" for g in grants]
    names = await _names(staff, holders + [g.granted_by for g in grants])
    return [
        GrantRow(
            id=g.id or 0,
            user=f"{g.channel}:{g.channel_user_id}",
            name=names.get((g.channel, g.channel_user_id)),
            role=_role(staff, g.role),
            area=_area(staff, g.area_code),
            granted=_local(staff, g.granted_at),
            by=_actor(staff, g.granted_by, names),
        )
        for g in grants
    ]


def _matches(row: GrantRow, wanted: str) -> bool:
    return wanted in fold(" ".join((row.user, row.name or "", row.role, row.area)))


async def _roles_page(
    staff: Staff, form: GrantForm, errors: dict[str, str], status: int = 200
) -> web.Response:
    query = staff.request.query.get("q", "").strip()[:MAX_FIELD]
    grants = await role_admin.visible_grants(staff.ctx)
    rows = await _rows(staff, grants)
    if query:
        rows = [r for r in rows if _matches(r, fold(query))]
    return render(
        staff,
        "admin/roles.html",
        {
            "form": form,
            "errors": errors,
            "query": query,
            "rows": rows[:MAX_GRANTS_SHOWN],
            "total": len(rows),
            "any_grant": bool(grants),
            "roles": [(r, _role(staff, r)) for r in roles.ROLES],
            "people": (await role_admin.known_staff(staff.ctx))[:MAX_PEOPLE_LISTED],
            "area_options": await role_admin.areas_within(staff.ctx),
            "whole_country": await _whole_country(staff),
            "my_areas": await _my_areas(staff),
        },
        status=status,
    )


@routes.get("/staff/roles")
@staff_page(ROLE)
async def roles_page(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The grants in the admin's area, and the form to grant one."""
    return await _roles_page(staff, GrantForm(), {})


@routes.get("/staff/roles/grant")
@staff_page(ROLE)
async def grant_form(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The form lives on the roles page (the language switch of a refused form comes here)."""
    raise see_other("/staff/roles")


@routes.post("/staff/roles/grant")
@staff_page(ROLE)
async def grant(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Grant a role: who, which role and where read as /quyen and the CLI read them."""
    data = await request.post()
    form = GrantForm(_field(data, "user"), _field(data, "role"), _field(data, "area"))
    errors: dict[str, str] = {}
    channel = user_id = role = ""
    area: str | None = None
    try:
        channel, user_id = roles.parse_user(form.user)
    except roles.RoleInputError as error:
        errors["user"] = _problem(staff, error)
    try:
        role = roles.parse_role(form.role)
    except roles.RoleInputError as error:
        errors["role"] = _problem(staff, error)
    try:
        area = await role_admin.read_area(staff.ctx, form.area)
    except roles.RoleInputError as error:
        errors["area"] = _problem(staff, error)
    else:
        if area is None and not await _whole_country(staff):
            errors["area"] = staff.t("console.admin.error.area_required")
    if errors:
        return await _roles_page(staff, form, errors, status=400)
    done = await role_admin.grant_within(staff.ctx, channel, user_id, role, area)
    if done is role_admin.Granted.OUTSIDE:
        errors["area"] = staff.t("console.admin.error.area_outside")
        return await _roles_page(staff, form, errors, status=400)
    key = "granted" if done is role_admin.Granted.GRANTED else "already"
    values = {"user": f"{channel}:{user_id}", "role": _role(staff, role)}
    staff.flash(staff.t(f"console.admin.flash.{key}", **values, area=_area(staff, area)))
    raise see_other("/staff/roles")


async def _revocable(staff: Staff, text: str) -> Role:
    """The grant a revoke names, within the admin's area now; else 404."""
    if not digits(text) or len(text) > MAX_ID_DIGITS:
        raise web.HTTPNotFound()
    found = await role_admin.revocable(staff.ctx, int(text))
    if found is None:
        raise web.HTTPNotFound()
    return found


def _is_me(staff: Staff, grant: Role) -> bool:
    me = staff.ctx.me
    return (grant.channel, grant.channel_user_id) == (me.channel, me.channel_user_id)


@routes.get("/staff/roles/revoke")
@staff_page(ROLE)
async def confirm_revoke(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The confirm step: what will be revoked, and that the person is signed out."""
    found = await _revocable(staff, request.query.get("grant", ""))
    [row] = await _rows(staff, [found])
    return render(staff, "admin/revoke.html", {"grant": row, "yourself": _is_me(staff, found)})


@routes.post("/staff/roles/revoke")
@staff_page(ROLE)
async def revoke(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Revoke (after the confirm step), which ends the person's console sessions."""
    text = _field(await request.post(), "grant")
    named = digits(text) and len(text) <= MAX_ID_DIGITS
    if named and await role_store.get(staff.session, int(text)) is None:  # revoked meanwhile
        staff.flash(staff.t("console.admin.flash.gone"))
        raise see_other("/staff/roles")
    found = await _revocable(staff, text)
    values = {
        "user": f"{found.channel}:{found.channel_user_id}",
        "role": _role(staff, found.role),
        "area": _area(staff, found.area_code),
    }
    yourself = _is_me(staff, found)
    await role_admin.revoke_grant(staff.ctx, found)
    if yourself:  # this very session has ended with it: no page of the console is left
        raise see_other("/staff/signin?ended=1")
    staff.flash(staff.t("console.admin.flash.revoked", **values))
    raise see_other("/staff/roles")


# --- the audit log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRow:
    time: str
    who: str
    who_code: str | None  # the raw actor when ``who`` is a name for it
    what: str
    what_code: str
    subject: str
    area: str
    detail: list[tuple[str, str]]


def _query(request: web.Request) -> Query:
    q = request.query
    return Query(
        who=_field(q, "who"),
        what=_field(q, "what"),
        since=_field(q, "since"),
        until=_field(q, "until"),
        area=_field(q, "area"),
        after=_field(q, "after"),
    )


def _link(path: str, query: Query, **changes: str) -> str:
    values = {k: v for k, v in asdict(replace(query, **changes)).items() if v}
    return f"{path}?{urllib.parse.urlencode(values)}" if values else path


def _filter_error(staff: Staff, error: FilterError) -> str:
    if error.problem is Problem.AREA:
        reason = str(error.values.get("reason", "area_format"))
        values = {k: v for k, v in error.values.items() if k != "reason"}
        return staff.t(f"console.admin.error.{reason}", **values)
    return staff.t(f"console.admin.audit.error.{error.problem}", **error.values)


def _action_label(staff: Staff, action: str) -> str:
    key = f"console.admin.action.{action}"
    return staff.t(key) if key in staff.deps.content.messages else action


def _detail(entry: AuditEntry) -> list[tuple[str, str]]:
    shown = []
    for key, value in sorted(entry.detail.items()):
        if value is None or value == "":
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        shown.append((key, text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"))
    return shown


async def _entry_rows(staff: Staff, entries: list[AuditEntry]) -> list[EntryRow]:
    names = await _names(staff, [e.actor for e in entries])
    rows = []
    for entry in entries:
        person = _person(entry.actor)
        name = names.get(person) if person is not None else None
        if entry.actor in audit_log.SYSTEM_ACTORS:
            who, code = staff.t(f"console.admin.audit.actor.{entry.actor}"), entry.actor
        else:
            who, code = (name, entry.actor) if name else (entry.actor, None)
        rows.append(
            EntryRow(
                time=_local(staff, entry.at, seconds=True),
                who=who,
                who_code=code,
                what=_action_label(staff, entry.action),
                what_code=entry.action,
                subject=entry.subject,
                area=_area(staff, entry.area_code),
                detail=_detail(entry),
            )
        )
    return rows


def _actions(staff: Staff, current: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The action filter's choices, by kind: (kind's label, [(value, label)])."""
    groups = [
        (
            staff.t(f"console.admin.kind.{kind}"),
            [(kind, staff.t(f"console.admin.kind.{kind}"))]
            + [(a, _action_label(staff, a)) for a in actions],
        )
        for kind, actions in audit_log.ACTIONS.items()
    ]
    known = {value for _, choices in groups for value, _ in choices}
    if current and current not in known:  # asked for by name (a link): keep it chosen
        groups.append((current, [(current, current)]))
    return groups


async def _audit_page(
    staff: Staff, query: Query, errors: dict[str, str], status: int = 200, notice: str = ""
) -> web.Response:
    values: dict[str, Any] = {
        "query": query,
        "errors": errors,
        "notice": notice,
        "rows": [],
        "older": None,
        "newest": None,
        "csv": _link("/staff/audit.csv", query, after=""),
        "actions": _actions(staff, query.what.strip().lower()),
        "actors": [p.user for p in await role_admin.known_staff(staff.ctx)][:MAX_PEOPLE_LISTED]
        + list(audit_log.SYSTEM_ACTORS),
        "area_options": await role_admin.areas_within(staff.ctx),
        "my_areas": await _my_areas(staff),
    }
    if not errors:
        checked = await audit_log.read(staff.ctx, query)
        page = await audit_log.page(staff.ctx, checked)
        values["rows"] = await _entry_rows(staff, page.entries)
        if page.next is not None:
            values["older"] = _link("/staff/audit", query, after=audit_log.cursor_text(page.next))
        if query.after:
            values["newest"] = _link("/staff/audit", query, after="")
    return render(staff, "admin/audit.html", values, status=status)


async def _checked(staff: Staff, query: Query) -> tuple[Query, dict[str, str], str]:
    """The query as it will be read, the fields to correct, and a notice (a bad page link
    shows the newest page)."""
    try:
        await audit_log.read(staff.ctx, query)
    except FilterError as error:
        if error.problem is Problem.PAGE:
            return replace(query, after=""), {}, staff.t("console.admin.audit.error.page")
        return query, {error.field: _filter_error(staff, error)}, ""
    return query, {}, ""


@routes.get("/staff/audit")
@staff_page(ROLE)
async def audit_page(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The audit log of the admin's area, newest first, filtered, a page at a time."""
    query, errors, notice = await _checked(staff, _query(request))
    return await _audit_page(staff, query, errors, 400 if errors else 200, notice)


@routes.get("/staff/audit.csv")
@staff_page(ROLE)
async def audit_csv(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Every entry the filters keep, as CSV, written out while it is read."""
    query = replace(_query(request), after="")
    try:
        checked = await audit_log.read(staff.ctx, query)
    except FilterError as error:
        return await _audit_page(staff, query, {error.field: _filter_error(staff, error)}, 400)
    day = staff.now.astimezone(staff.ctx.timezone).strftime("%Y%m%d")
    response = web.StreamResponse(
        headers={
            **HEADERS,  # sent before the guard could add them: the body streams
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="audit-{day}.csv"',
        }
    )
    response.content_type = "text/csv"
    response.charset = "utf-8"
    await response.prepare(request)
    await response.write("\ufeff".encode())  # Excel reads UTF-8 (Vietnamese) with the mark
    async for chunk in audit_log.csv_chunks(staff.ctx, checked):
        await response.write(chunk.encode())
    await response.write_eof()
    return response

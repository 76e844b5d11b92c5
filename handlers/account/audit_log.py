"""What an admin may read of the audit log: the filters they type, checked, and their area.

An admin reads the entries that belong to their area (storage/audit.py says which area an
entry belongs to): the whole country's admins every entry, a province's admins the entries of
the province and of its communes, a commune's admins those of the commune. A report escalated
to the province belongs to the province, so its entries stay out of the commune's log, as the
report stays out of the commune's queue. The filters (who, what, when, where) only narrow
that; an area outside the admin's own is refused, never widened to.

Audit entries carry no reporter's identity: a reporter's own actions are written by the actor
``reporter`` (handlers/reports/common.py), and the entries of a report hold its state, category,
commune and the moderators' notes, never who sent it or their answers.

The staff console's audit page and its CSV export (bot/console/admin.py) read through here.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from handlers.account.role_admin import ROLE, read_area
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.spreadsheet import safe_row
from storage import audit
from storage.models import AuditEntry

# Actors that are not a person on a channel.
SYSTEM_ACTORS = ("cli", "system", "reporter")
# The actions written today, by kind, in the order a filter lists them. Others (written by
# code added later) are still shown, and can be asked for by name.
ACTIONS: dict[str, tuple[str, ...]] = {
    "role": ("role.grant", "role.revoke"),
    "report": (
        "report.create",
        "report.take",
        "report.ask",
        "report.answer",
        "report.forward",
        "report.resolve",
        "report.reject",
        "report.withdraw",
    ),
    "broadcast": (
        "broadcast.submit",
        "broadcast.approve",
        "broadcast.reject",
        "broadcast.schedule",
        "broadcast.confirm",
        "broadcast.start",
        "broadcast.finish",
        "broadcast.cancel",
    ),
    "schedule": ("schedule.move", "schedule.cancel", "schedule.restore"),
    "point": ("point.day", "point.hours", "point.address"),
}
_ACTION = re.compile(r"[a-z_]{1,20}(\.[a-z_]{1,27})?")
_CURSOR = re.compile(r"(\d{1,20})\.(\d{1,19})")
FIRST_YEAR, LAST_YEAR = 2020, 2100
PAGE_SIZE = 50
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


class Problem(enum.StrEnum):
    """Why a filter cannot be read (the console says it in the reader's language)."""

    ACTOR = "actor"  # neither CHANNEL:USER_ID nor one of SYSTEM_ACTORS
    ACTION = "action"  # not an action's or a kind's name
    DATE = "date"  # not a date, or out of FIRST_YEAR..LAST_YEAR
    RANGE = "range"  # "from" after "to"
    AREA = "area"  # not a province or commune (values: the RoleInputError's problem)
    AREA_OUTSIDE = "area_outside"  # a real area, not within the admin's own
    PAGE = "page"  # a page link that was not made here


class FilterError(ValueError):
    def __init__(self, problem: Problem, field: str, **values: object) -> None:
        super().__init__(f"{field}: {problem}")
        self.problem, self.field, self.values = problem, field, values


@dataclass(frozen=True)
class Query:
    """The filters as typed (query-string values; empty for none)."""

    who: str = ""
    what: str = ""
    since: str = ""  # a date: 2026-12-07 or 07/12/2026, the first day shown
    until: str = ""  # the last day shown
    area: str = ""  # a province or commune code or name
    after: str = ""  # the page: the cursor of the last entry of the one before


@dataclass(frozen=True)
class Read:
    """A query checked: the storage filter, the page cursor, and the area filtered by."""

    filter: audit.Filter
    after: audit.Cursor | None
    area: str | None


# --- typed values ----------------------------------------------------------------------------


def parse_actor(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if text.lower() in SYSTEM_ACTORS:
        return text.lower()
    try:
        channel, user_id = roles.parse_user(text)
    except roles.RoleInputError:
        raise FilterError(Problem.ACTOR, "who", actors=", ".join(SYSTEM_ACTORS)) from None
    return f"{channel}:{user_id}"


def parse_action(text: str) -> tuple[str | None, str | None]:
    """(action, kind): 'role.grant' -> ('role.grant', None); 'role', 'role.*' -> (None, 'role')."""
    text = text.strip().lower().removesuffix(".*").removesuffix(".")
    if not text:
        return None, None
    if not _ACTION.fullmatch(text):
        raise FilterError(Problem.ACTION, "what")
    return (text, None) if "." in text else (None, text)


def parse_date(text: str, field: str) -> dt.date | None:
    """2026-12-07 (what a date field sends) or 07/12/2026 (as typed in Vietnam)."""
    text = text.strip()
    if not text:
        return None
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            found = dt.date(year, month, day)
        else:
            found = dt.date.fromisoformat(text)
    except ValueError:
        raise FilterError(Problem.DATE, field) from None
    if not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise FilterError(Problem.DATE, field)
    return found


def cursor_text(cursor: audit.Cursor) -> str:
    """The page link's value: microseconds since 1970, then the entry's id."""
    return f"{(cursor.at - EPOCH) // MICROSECOND}.{cursor.id}"


def parse_cursor(text: str) -> audit.Cursor | None:
    text = text.strip()
    if not text:
        return None
    match = _CURSOR.fullmatch(text)
    if match is None:
        raise FilterError(Problem.PAGE, "after")
    try:
        at = EPOCH + int(match[1]) * MICROSECOND
    except OverflowError:
        raise FilterError(Problem.PAGE, "after") from None
    return audit.Cursor(at, int(match[2]))


def _midnight(day: dt.date, ctx: Context) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ctx.timezone).astimezone(dt.UTC)


# --- the query, within the admin's area -------------------------------------------------------


async def scope(ctx: Context) -> frozenset[str] | None:
    """The area codes whose entries the admin may read; None for every entry."""
    codes: set[str] = set()
    for area in await roles.areas_of(ctx, ROLE):
        found = roles.area_codes(area)
        if found is None:
            return None
        codes |= found
    return frozenset(codes)


async def read(ctx: Context, query: Query) -> Read:
    """The filters checked (raises :class:`FilterError`) and limited to the admin's area."""
    actor = parse_actor(query.who)
    action, kind = parse_action(query.what)
    first, last = parse_date(query.since, "since"), parse_date(query.until, "until")
    if first is not None and last is not None and first > last:
        raise FilterError(Problem.RANGE, "until")
    try:
        area = await read_area(ctx, query.area)
    except roles.RoleInputError as exc:
        raise FilterError(Problem.AREA, "area", reason=exc.problem, **exc.values) from None
    if area is not None and not await roles.allowed_area(ctx, ROLE, area):
        raise FilterError(Problem.AREA_OUTSIDE, "area")
    areas = roles.area_codes(area) if area is not None else await scope(ctx)
    wanted = audit.Filter(
        areas=areas,
        actor=actor,
        action=action,
        action_kind=kind,
        since=_midnight(first, ctx) if first is not None else None,
        until=_midnight(last + dt.timedelta(days=1), ctx) if last is not None else None,
    )
    return Read(wanted, parse_cursor(query.after), area)


async def page(ctx: Context, checked: Read, size: int = PAGE_SIZE) -> audit.Page:
    return await audit.page(ctx.session, checked.filter, checked.after, size)


async def every_entry(ctx: Context, checked: Read) -> AsyncIterator[AuditEntry]:
    """Every entry that matches (from the first page: an export ignores the page shown)."""
    async for entry in audit.stream(ctx.session, checked.filter):
        yield entry


# --- the export --------------------------------------------------------------------------------

CSV_HEADER = ("id", "time", "actor", "action", "subject", "area", "area_name", "detail")
CSV_BATCH = 200  # rows per chunk written out


def _whole(ctx: Context) -> str:
    return ctx.content.text("officials.whole_country", ctx.lang)


def csv_row(ctx: Context, entry: AuditEntry) -> list[object]:
    """One entry as the export writes it: the local time, and the detail as JSON text."""
    return safe_row(
        (
            entry.id,
            entry.at.astimezone(ctx.timezone).isoformat(timespec="seconds"),
            entry.actor,
            entry.action,
            entry.subject,
            entry.area_code or "",
            roles.area_name(entry.area_code, _whole(ctx), with_code=False),
            json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
        )
    )


async def csv_chunks(ctx: Context, checked: Read) -> AsyncIterator[str]:
    """The CSV of every matching entry, a few hundred rows per piece of text (streamed)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    rows = 0
    async for entry in every_entry(ctx, checked):
        writer.writerow(csv_row(ctx, entry))
        rows += 1
        if rows % CSV_BATCH == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()

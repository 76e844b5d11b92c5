"""The audit log: every privileged change, with who made it, when, and in which area.

Each entry belongs to one area (``AuditEntry.area_code``), found from what it is about when it
is written (:func:`area_of`): the commune of a report (its province when the report is
escalated to the province, or has no commune), the area of a broadcast, the commune of a
transaction point, the area of a role granted or revoked. Anything else, or a subject that
cannot be found, belongs to the whole country: shown to admins of the whole country only.

Reading (the staff console's audit page and its CSV export): newest first, filtered by who
(the actor), what (an action, or every action of a kind such as ``report.``), when (from, to)
and where (a set of area codes, which the caller works out from places: storage knows none),
a page at a time after the last entry shown (keyset paging: as quick on page 500 as on page 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry, Broadcast, TransactionPoint, utcnow
from storage.report_models import Report

CLI = "cli"
# What kind of thing an action is about: its first word ("report.take" -> "report").
REPORT, BROADCAST, ROLE = "report", "broadcast", "role"
POINT_KINDS = ("schedule", "point")  # the subject is a transaction point's id


async def record(
    session: AsyncSession,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Write one entry, in the caller's transaction: it is kept exactly when the change is."""
    detail = detail or {}
    entry = AuditEntry(
        at=now or utcnow(),
        actor=actor,
        action=action,
        subject=subject,
        detail=detail,
        area_code=await area_of(session, action, subject, detail),
    )
    session.add(entry)
    await session.flush()
    return entry


def report_area(report: Report) -> str | None:
    """The narrowest area that sees a report (storage.reports.area_clause): its commune,
    unless it is escalated to the province or has no commune."""
    if report.commune_code and not report.escalated:
        return report.commune_code
    return report.province_code


async def area_of(
    session: AsyncSession, action: str, subject: str, detail: dict[str, Any]
) -> str | None:
    """The area an entry belongs to (see the module's docstring). The rows are usually in the
    session already (the change just made), so this rarely reads the database."""
    kind = action.partition(".")[0]
    if kind == ROLE:
        area = detail.get("area")
        return area if _is_area(area) else None
    if kind == REPORT and (number := _number(subject, REPORT)) is not None:
        report = await session.get(Report, number)
        return report_area(report) if report is not None else None
    if kind == BROADCAST and (number := _number(subject, BROADCAST)) is not None:
        broadcast = await session.get(Broadcast, number)
        return broadcast.area_code if broadcast is not None else None
    if kind in POINT_KINDS:
        point = await session.get(TransactionPoint, subject)
        return point.commune_code if point is not None else None
    return None


def _is_area(value: object) -> bool:
    return isinstance(value, str) and len(value) in (2, 5) and value.isascii() and value.isdigit()


def _number(subject: str, kind: str) -> int | None:
    """'report:12' -> 12."""
    prefix, sep, rest = subject.partition(":")
    if prefix != kind or not sep or not rest.isascii() or not rest.isdigit():
        return None
    return int(rest)


async def entries(
    session: AsyncSession, subject: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """The newest entries first, all of them or those about one subject."""
    query = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    result = await session.exec(query.limit(limit))
    return list(result)


# --- reading the log: filters and pages -------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """Which entries to read. Every field left None does not filter.

    ``areas``: the area codes the entries must belong to (a province's admin passes the
    province and all its communes); None for no limit, which only the whole country's admins
    may be given. ``action`` is one action ("role.grant"); ``action_kind`` every action of a
    kind ("role" for role.grant and role.revoke); ``actions`` any of these actions (what
    :func:`page` reads a kind as). ``since`` is included, ``until`` is not.
    """

    areas: Collection[str] | None = None
    actor: str | None = None
    action: str | None = None
    action_kind: str | None = None
    actions: Collection[str] | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class Cursor:
    """The last entry of a page: the next page starts after it."""

    at: dt.datetime
    id: int

    @classmethod
    def after(cls, entry: AuditEntry) -> Cursor:
        return cls(entry.at, entry.id or 0)


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    next: Cursor | None  # None on the last page


def _where(wanted: Filter) -> list[Any]:
    clauses: list[Any] = []
    if wanted.areas is not None:
        codes = sorted(set(wanted.areas))
        if len(codes) == 1:
            clauses.append(AuditEntry.area_code == codes[0])
        else:  # an empty set matches nothing
            clauses.append(col(AuditEntry.area_code).in_(codes))
    if wanted.actor is not None:
        clauses.append(AuditEntry.actor == wanted.actor)
    if wanted.action is not None:
        clauses.append(AuditEntry.action == wanted.action)
    if wanted.action_kind is not None:
        clauses.append(col(AuditEntry.action).startswith(f"{wanted.action_kind}.", autoescape=True))
    if wanted.actions is not None:
        clauses.append(col(AuditEntry.action).in_(sorted(set(wanted.actions))))
    if wanted.since is not None:
        clauses.append(col(AuditEntry.at) >= wanted.since)
    if wanted.until is not None:
        clauses.append(col(AuditEntry.at) < wanted.until)
    return clauses


def _after(cursor: Cursor) -> Any:
    """Older than the cursor, in the order of the page (at, then id, both descending); the
    first half lets the planner use the index on ``at`` as a range."""
    at = col(AuditEntry.at)
    return and_(at <= cursor.at, or_(at < cursor.at, col(AuditEntry.id) < cursor.id))


def query(wanted: Filter, after: Cursor | None = None, limit: int | None = None) -> Any:
    """The SELECT of :func:`page` and :func:`stream` (the tests read its plan)."""
    clauses = _where(wanted)
    if after is not None:
        clauses.append(_after(after))
    statement = (
        select(AuditEntry)
        .where(*clauses)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    )
    return statement.limit(limit) if limit is not None else statement


async def distinct_actions(session: AsyncSession) -> list[str]:
    """Every action in the log, read by skipping along the action index (a few dozen index
    probes, not a scan of the log)."""
    return [str(name) for name in await session.exec(distinct_actions_query())]


def distinct_actions_query() -> Any:
    """The smallest action, then again and again the smallest after the last one found."""
    action = col(AuditEntry.action)
    first = select(func.min(action).label("action")).cte("found", recursive=True)
    following = select(func.min(action)).where(action > first.c.action).scalar_subquery()
    found = first.union_all(select(following).where(first.c.action.is_not(None)))
    return select(found.c.action).where(found.c.action.is_not(None))


async def _by_name(session: AsyncSession, wanted: Filter) -> Filter:
    """A kind read as the actions of that kind in the log: a rare kind (the roles') is then
    found through the action index instead of along the whole log (LIKE 'role.%' cannot use
    an index under PostgreSQL's usual collations)."""
    if wanted.action_kind is None:
        return wanted
    prefix = f"{wanted.action_kind}."
    named = [a for a in await distinct_actions(session) if a.startswith(prefix)]
    return replace(wanted, action_kind=None, actions=named)


async def page(
    session: AsyncSession, wanted: Filter, after: Cursor | None = None, size: int = 50
) -> Page:
    """One page of the entries that match, newest first, after ``after``."""
    wanted = await _by_name(session, wanted)
    found = list(await session.exec(query(wanted, after, size + 1)))
    more = len(found) > size
    shown = found[:size]
    return Page(shown, Cursor.after(shown[-1]) if more and shown else None)


async def stream(
    session: AsyncSession, wanted: Filter, batch: int = 1000
) -> AsyncIterator[AuditEntry]:
    """Every entry that matches, newest first, read a batch at a time (for the CSV export:
    memory stays flat however long the log is)."""
    wanted = await _by_name(session, wanted)
    after: Cursor | None = None
    while True:
        found = list(await session.exec(query(wanted, after, batch)))
        for entry in found:
            yield entry
        if len(found) < batch:
            return
        # The session holds loaded rows weakly: those already written out are let go.
        after = Cursor.after(found[-1])

"""The moderators' queue as the staff console reads it: filtered, counted, a page at a time.

A :class:`Filter` says which reports of a moderator's areas are wanted (states, category,
commune, how old, how long untouched, one tracking code); :func:`page` reads one page of them,
oldest first, following (or preceding) the last one shown — never an offset, so the pages stay
fast however deep one goes, and a report closed by a colleague meanwhile neither hides another
nor shows twice. Chat's /xuly reads it too, eight at a time. The areas are
``reports.in_areas``, so a search by code finds nothing outside them. Nothing here reads who a
reporter is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.report_models import Report
from storage.reports import OPEN, in_areas

PAGE = 20


@dataclass(frozen=True)
class Filter:
    """Which reports of ``areas`` (None: the whole country) a queue shows."""

    areas: Sequence[str | None]
    statuses: Sequence[str] = OPEN
    category: str | None = None
    commune: str | None = None  # 5 digits
    created_before: dt.datetime | None = None  # older than N days
    touched_before: dt.datetime | None = None  # untouched since (the 3-day mark)
    code: str | None = None  # a tracking code, normalized (reports.normalize_code)


@dataclass(frozen=True)
class Cursor:
    """Where a page starts or ends: the (created_at, id) of the report next to it."""

    created_at: dt.datetime
    id: int


@dataclass(frozen=True)
class Page:
    reports: list[Report]
    more_after: bool  # a next page exists
    more_before: bool  # a previous page exists


def _where(wanted: Filter, *, with_status: bool = True) -> list[Any]:
    clauses: list[Any] = [in_areas(wanted.areas)]
    if with_status and wanted.code is None:
        clauses.append(col(Report.status).in_(list(wanted.statuses)))
    if wanted.code is not None:  # one report, whatever its state
        clauses.append(Report.code == wanted.code)
        return clauses
    if wanted.category is not None:
        clauses.append(Report.category == wanted.category)
    if wanted.commune is not None:
        clauses.append(Report.commune_code == wanted.commune)
    if wanted.created_before is not None:
        clauses.append(col(Report.created_at) < wanted.created_before)
    if wanted.touched_before is not None:
        clauses.append(col(Report.touched_at) < wanted.touched_before)
    return clauses


def _after(cursor: Cursor) -> Any:
    return or_(
        col(Report.created_at) > cursor.created_at,
        and_(col(Report.created_at) == cursor.created_at, col(Report.id) > cursor.id),
    )


def _before(cursor: Cursor) -> Any:
    return or_(
        col(Report.created_at) < cursor.created_at,
        and_(col(Report.created_at) == cursor.created_at, col(Report.id) < cursor.id),
    )


async def page(
    session: AsyncSession,
    wanted: Filter,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE,
) -> Page:
    """One page of the queue, oldest first: the first, the one after ``after``, or the one
    before ``before``."""
    query = select(Report).where(*_where(wanted))
    if before is not None:
        query = query.where(_before(before)).order_by(
            col(Report.created_at).desc(), col(Report.id).desc()
        )
    else:
        if after is not None:
            query = query.where(_after(after))
        query = query.order_by(col(Report.created_at), col(Report.id))
    found = list(await session.exec(query.limit(size + 1)))
    more, found = len(found) > size, found[:size]
    if before is not None:
        found.reverse()
        return Page(found, more_after=True, more_before=more)
    return Page(found, more_after=more, more_before=after is not None)


async def position(session: AsyncSession, wanted: Filter, first: Report) -> int:
    """How many reports of the queue come before ``first`` (to number a page's rows)."""
    query = (
        select(func.count())
        .select_from(Report)
        .where(*_where(wanted), _before(Cursor(first.created_at, first.id or 0)))
    )
    return int((await session.exec(query)).one())


async def counts(session: AsyncSession, wanted: Filter) -> dict[str, int]:
    """The reports the filter would show in each state (every filter but the state)."""
    query = (
        select(Report.status, func.count())
        .where(*_where(wanted, with_status=False))
        .group_by(Report.status)
    )
    return {status: int(n) for status, n in (await session.exec(query)).all()}


async def communes(session: AsyncSession, areas: Sequence[str | None]) -> list[str]:
    """The communes the reports of the areas came from (the commune filter's choices)."""
    query = (
        select(Report.commune_code)
        .where(in_areas(areas))
        .where(col(Report.commune_code).is_not(None))
        .distinct()
    )
    return sorted(str(c) for c in (await session.exec(query)).all() if c)


async def visible(
    session: AsyncSession, areas: Sequence[str | None], ids: Sequence[int]
) -> set[int]:
    """Those of ``ids`` the areas see (a duplicate is linked only where it may be opened)."""
    if not ids or not areas:
        return set()
    query = select(Report.id).where(col(Report.id).in_(list(ids)), in_areas(areas))
    return {int(i) for i in (await session.exec(query)).all() if i is not None}


async def duplicates_of(
    session: AsyncSession, areas: Sequence[str | None], ids: Sequence[int]
) -> dict[int, list[int]]:
    """For each of ``ids``, the later reports of the areas linked to it as likely duplicates."""
    if not ids or not areas:
        return {}
    query = (
        select(Report.duplicate_of, Report.id)
        .where(col(Report.duplicate_of).in_(list(ids)), in_areas(areas))
        .order_by(col(Report.id))
    )
    found: dict[int, list[int]] = {}
    for twin, report_id in (await session.exec(query)).all():
        if twin is not None and report_id is not None:
            found.setdefault(int(twin), []).append(int(report_id))
    return found

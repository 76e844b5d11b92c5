"""A moderator's desk, for the staff console: the queue of their areas a page at a time, and one
report with its evidence, read under the same rules as chat's /xuly.

Which reports a moderator sees is ``transitions.sees`` (one report) and the same area clauses
in storage (a queue, a search by tracking code); the moves are handlers/reports/moves.py; the
story is handlers/reports/timeline.py. A report outside the areas is simply not found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import get_args

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.reports import transitions
from handlers.reports.common import CATEGORIES, STALE_AFTER, untouched_days
from handlers.reports.moderation_actions import QueueFilter
from handlers.reports.transitions import Moderator
from storage import report_queue, reports, users
from storage.report_models import Report, ReportFile

ROLE = "moderator"
STATE_FILTERS: tuple[str, ...] = get_args(QueueFilter)  # "open", "closed" and each state
KINDS: tuple[str, ...] = tuple(CATEGORIES)
# How old a report must be to show: untouched for the queue's mark (3 days), or sent before.
AGES: tuple[str, ...] = ("untouched", "week", "month")
_SENT_BEFORE = {"week": dt.timedelta(days=7), "month": dt.timedelta(days=30)}


def statuses(name: str) -> tuple[str, ...]:
    """The states a queue filter stands for."""
    if name == "open":
        return reports.OPEN
    if name == "closed":
        return reports.CLOSED
    return (name,)


@dataclass(frozen=True)
class QueueQuery:
    """What a moderator asked the queue for (each value already one of the allowed)."""

    state: str = "open"
    kind: str | None = None
    commune: str | None = None
    age: str | None = None
    code: str | None = None  # normalized (storage.reports.normalize_code)


def to_filter(areas: list[str | None], query: QueueQuery, now: dt.datetime) -> report_queue.Filter:
    return report_queue.Filter(
        areas=areas,
        statuses=statuses(query.state),
        category=query.kind,
        commune=query.commune,
        created_before=now - _SENT_BEFORE[query.age] if query.age in _SENT_BEFORE else None,
        touched_before=now - STALE_AFTER if query.age == "untouched" else None,
        code=query.code,
    )


@dataclass(frozen=True)
class Row:
    """One report in the queue, with what the line shows besides the report."""

    report: Report
    untouched: int | None  # days, once the 3-day mark is reached
    twin: int | None  # the earlier report it likely repeats, when the areas see it
    twins: tuple[int, ...]  # later reports likely repeating it
    files: int


@dataclass(frozen=True)
class QueueView:
    rows: list[Row]
    counts: dict[str, int]  # by state, under every filter but the state
    total: int  # reports under the whole filter
    first: int  # the number of the first row, from 1
    more_after: bool
    more_before: bool
    communes: list[str] = field(default_factory=list)  # the commune filter's choices


async def queue(
    session: AsyncSession,
    areas: list[str | None],
    query: QueueQuery,
    now: dt.datetime,
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = report_queue.PAGE,
) -> QueueView:
    """One page of the queue of ``areas``; ``after`` / ``before``: the id of the last / first
    report of the page shown (one gone meanwhile just starts the queue again)."""
    wanted = to_filter(areas, query, now)
    cursor_after = await _cursor(session, after)
    cursor_before = await _cursor(session, before) if cursor_after is None else None
    page = await report_queue.page(
        session, wanted, after=cursor_after, before=cursor_before, size=size
    )
    counts = await report_queue.counts(session, wanted)
    total = (
        sum(counts.get(s, 0) for s in wanted.statuses) if query.code is None else len(page.reports)
    )
    first = await report_queue.position(session, wanted, page.reports[0]) if page.reports else 0
    ids = [r.id or 0 for r in page.reports]
    earlier = [r.duplicate_of for r in page.reports if r.duplicate_of is not None]
    seen = await report_queue.visible(session, areas, earlier)
    later = await report_queue.duplicates_of(session, areas, ids)
    files = await reports.file_counts(session, ids)
    rows = [
        Row(
            r,
            untouched_days(r, now),
            r.duplicate_of if r.duplicate_of in seen else None,
            tuple(later.get(r.id or 0, ())),
            files.get(r.id or 0, 0),
        )
        for r in page.reports
    ]
    return QueueView(
        rows,
        counts,
        total,
        first + 1,
        page.more_after,
        page.more_before,
        await report_queue.communes(session, areas),
    )


async def _cursor(session: AsyncSession, report_id: int | None) -> report_queue.Cursor | None:
    report = await reports.get(session, report_id) if report_id else None
    return report_queue.Cursor(report.created_at, report.id or 0) if report else None


async def find(
    session: AsyncSession, me: Moderator, report_id: int, *, lock: bool = False
) -> Report | None:
    """The report, if the moderator's areas see it; ``lock`` to act on it."""
    report = await reports.get(session, report_id, lock=lock)
    return report if report is not None and transitions.sees(me, report) else None


async def twin(session: AsyncSession, me: Moderator, report: Report) -> int | None:
    """The earlier report this one likely repeats, named only if the moderator may open it
    (the twin may be misconduct kept from the commune)."""
    if report.duplicate_of is None:
        return None
    other = await reports.get(session, report.duplicate_of)
    return other.id if other is not None and transitions.sees(me, other) else None


async def twins(session: AsyncSession, me: Moderator, report: Report) -> list[int]:
    """Later reports of the moderator's areas that likely repeat this one."""
    found = await report_queue.duplicates_of(session, list(me.areas), [report.id or 0])
    return found.get(report.id or 0, [])


async def staff_names(session: AsyncSession, actors: set[str]) -> dict[str, str]:
    """The names moderators go by ('telegram:123' -> their display name), for the pages
    staff read; an actor without one is left out (the page says "a moderator")."""
    names: dict[str, str] = {}
    for actor in sorted(actors):
        channel, _, user_id = actor.partition(":")
        user = await users.find_user(session, channel, user_id) if user_id else None
        if user is not None and user.display_name:
            names[actor] = user.display_name
    return names


async def evidence(
    session: AsyncSession, me: Moderator, report_id: int, file_id: int
) -> ReportFile | None:
    """A file of a report the moderator sees, with its cleaned bytes."""
    if await find(session, me, report_id) is None:
        return None
    return await reports.file_of(session, report_id, file_id)

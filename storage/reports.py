"""Queries on reports, their history and their evidence.

Storage knows nothing of places: the caller passes a province as 2 digits and a commune as 5,
and decides which areas a moderator holds. Nothing here reads or returns who a reporter is,
except :func:`reporter_of`, which the bot uses to relay messages and never shows.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, false, func, or_, true, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import User
from storage.report_models import Report, ReportEvent, ReportFile

# No 0/O, 1/I/L, nor U (read as V): 30 symbols, 8 of them make about 6.6e11 codes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
HANDLE_LENGTH = 5

NEW, IN_REVIEW, WAITING, FORWARDED = "new", "in_review", "waiting", "forwarded"
RESOLVED, REJECTED, WITHDRAWN = "resolved", "rejected", "withdrawn"
OPEN = (NEW, IN_REVIEW, WAITING, FORWARDED)
CLOSED = (RESOLVED, REJECTED, WITHDRAWN)
STATES = OPEN + CLOSED


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalize_code(text: str) -> str | None:
    """What a person typed ('k7qx-m2pa ', 'K7QX M2PA') as a code, or None if it cannot be one."""
    code = "".join(ch for ch in text.upper() if ch not in " -_.")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


# --- reports ---------------------------------------------------------------------------------


async def create(session: AsyncSession, report: Report) -> Report:
    """Store a new report under a fresh code and handle (drawn again on the rare collision)."""
    for _ in range(10):
        report.code = new_code()
        report.handle = new_code(HANDLE_LENGTH)
        try:
            async with session.begin_nested():
                session.add(report)
        except IntegrityError:
            session.expunge(report)
            continue
        return report
    raise RuntimeError("could not draw an unused report code")


async def get(session: AsyncSession, report_id: int, lock: bool = False) -> Report | None:
    """A report; with ``lock``, held for this transaction (PostgreSQL: two moderators, or a
    moderator and the reporter, acting at once take turns, and the second sees the first's
    change; SQLite has one writer at a time anyway)."""
    if lock:
        return await session.get(Report, report_id, with_for_update=True, populate_existing=True)
    return await session.get(Report, report_id)


async def by_code(session: AsyncSession, code: str) -> Report | None:
    return (await session.exec(select(Report).where(Report.code == code))).first()


async def of_reporter(session: AsyncSession, reporter_id: int, limit: int = 5) -> list[Report]:
    """The reporter's newest reports first."""
    result = await session.exec(
        select(Report)
        .where(Report.reporter_id == reporter_id)
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .limit(limit)
    )
    return list(result)


async def count_of_reporter(session: AsyncSession, reporter_id: int) -> int:
    result = await session.exec(
        select(func.count()).select_from(Report).where(Report.reporter_id == reporter_id)
    )
    return int(result.one())


async def recent_in_commune(
    session: AsyncSession, commune_code: str, category: str, since: dt.datetime
) -> list[Report]:
    """Reports of one commune and category since ``since``, oldest first (withdrawn left out)."""
    result = await session.exec(
        select(Report)
        .where(
            Report.commune_code == commune_code,
            Report.category == category,
            Report.created_at >= since,
            Report.status != WITHDRAWN,
        )
        .order_by(col(Report.created_at), col(Report.id))
    )
    return list(result)


async def reporter_of(session: AsyncSession, report: Report) -> User | None:
    """The reporter's user row, for relaying only; None once they deleted their data."""
    if report.reporter_id is None:
        return None
    return await session.get(User, report.reporter_id)


def area_clause(area: str | None) -> Any:
    """Reports a role in ``area`` sees: all (None), a province's (2 digits), or a commune's
    (5 digits) except those escalated to the province."""
    if area is None:
        return true()
    if len(area) == 2:
        return Report.province_code == area
    return (Report.commune_code == area) & (Report.escalated == false())


def in_areas(areas: Iterable[str | None]) -> Any:
    """Reports any of ``areas`` sees (none: no report)."""
    clauses = [area_clause(a) for a in areas]
    return or_(*clauses) if clauses else false()


async def new_in_areas(
    session: AsyncSession, areas: Sequence[str | None]
) -> tuple[int, dt.datetime | None]:
    """How many reports of the areas are still new, and when the oldest of them came."""
    result = await session.exec(
        select(func.count(), func.min(Report.created_at)).where(
            in_areas(areas), Report.status == NEW
        )
    )
    count, oldest = result.one()
    return int(count), oldest


async def touch(session: AsyncSession, report: Report, now: dt.datetime, **changes: Any) -> None:
    for name, value in changes.items():
        setattr(report, name, value)
    report.touched_at = now
    session.add(report)
    await session.flush()


# --- history ---------------------------------------------------------------------------------


async def add_event(
    session: AsyncSession,
    report_id: int,
    kind: str,
    now: dt.datetime,
    status: str | None = None,
    detail: str | None = None,
) -> ReportEvent:
    event = ReportEvent(report_id=report_id, at=now, kind=kind, status=status, detail=detail)
    session.add(event)
    await session.flush()
    return event


async def events(session: AsyncSession, report_id: int) -> list[ReportEvent]:
    result = await session.exec(
        select(ReportEvent)
        .where(ReportEvent.report_id == report_id)
        .order_by(col(ReportEvent.at), col(ReportEvent.id))
    )
    return list(result)


# --- evidence --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileInfo:
    """A stored file without its bytes."""

    id: int
    kind: str
    mime_type: str
    file_name: str
    size: int


_INFO = (
    ReportFile.id,
    ReportFile.kind,
    ReportFile.mime_type,
    ReportFile.file_name,
    ReportFile.size,
)


async def add_draft_file(
    session: AsyncSession,
    owner_id: int,
    kind: str,
    mime_type: str,
    file_name: str,
    data: bytes,
    now: dt.datetime,
) -> int:
    row = ReportFile(
        owner_id=owner_id,
        kind=kind,
        mime_type=mime_type,
        file_name=file_name[:100],
        size=len(data),
        data=data,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id or 0


async def draft_files(session: AsyncSession, owner_id: int, ids: Sequence[int]) -> list[FileInfo]:
    """The owner's drafts among ``ids``, in that order (others' files are never returned)."""
    if not ids:
        return []
    result = await session.exec(
        select(*_INFO).where(
            col(ReportFile.id).in_(list(ids)),
            ReportFile.owner_id == owner_id,
            col(ReportFile.report_id).is_(None),
        )
    )
    found = {row[0]: FileInfo(*row) for row in result.all()}
    return [found[i] for i in ids if i in found]


async def attach_files(
    session: AsyncSession, report_id: int, owner_id: int, ids: Sequence[int]
) -> int:
    """Drafts become the report's: the owner link goes, so the evidence outlives the user."""
    if not ids:
        return 0
    result = await session.exec(
        update(ReportFile)
        .where(
            col(ReportFile.id).in_(list(ids)),
            ReportFile.owner_id == owner_id,
            col(ReportFile.report_id).is_(None),
        )
        .values(report_id=report_id, owner_id=None)
    )
    return result.rowcount or 0


async def drop_drafts(session: AsyncSession, owner_id: int) -> None:
    await session.exec(
        delete(ReportFile).where(
            ReportFile.owner_id == owner_id, col(ReportFile.report_id).is_(None)
        )
    )


async def prune_drafts(session: AsyncSession, before: dt.datetime) -> int:
    """Forget evidence of reports that were never sent."""
    result = await session.exec(
        delete(ReportFile).where(
            col(ReportFile.report_id).is_(None), ReportFile.created_at < before
        )
    )
    return result.rowcount or 0


async def files_of(session: AsyncSession, report_id: int) -> list[ReportFile]:
    """The report's evidence with its bytes, in the order it was sent."""
    result = await session.exec(
        select(ReportFile).where(ReportFile.report_id == report_id).order_by(col(ReportFile.id))
    )
    return list(result)


async def file_list(session: AsyncSession, report_id: int) -> list[tuple[FileInfo, dt.datetime]]:
    """The report's evidence without its bytes, with when each came, in the order sent."""
    result = await session.exec(
        select(*_INFO, ReportFile.created_at)
        .where(ReportFile.report_id == report_id)
        .order_by(col(ReportFile.id))
    )
    return [(FileInfo(*row[:5]), row[5]) for row in result.all()]


async def file_of(session: AsyncSession, report_id: int, file_id: int) -> ReportFile | None:
    """One file of the report, with its bytes; None when it is not the report's."""
    result = await session.exec(
        select(ReportFile).where(ReportFile.id == file_id, ReportFile.report_id == report_id)
    )
    return result.first()


async def file_counts(session: AsyncSession, report_ids: Sequence[int]) -> dict[int, int]:
    if not report_ids:
        return {}
    result = await session.exec(
        select(ReportFile.report_id, func.count())
        .where(col(ReportFile.report_id).in_(list(report_ids)))
        .group_by(ReportFile.report_id)
    )
    return {int(rid): int(n) for rid, n in result.all()}


# --- export ----------------------------------------------------------------------------------


async def for_export(
    session: AsyncSession, status: str | None = None, since: dt.datetime | None = None
) -> list[Report]:
    """Reports for officials' reporting, oldest first."""
    query = select(Report)
    if status is not None:
        query = query.where(Report.status == status)
    if since is not None:
        query = query.where(Report.created_at >= since)
    result = await session.exec(query.order_by(col(Report.created_at), col(Report.id)))
    return list(result)

"""Queries on transaction points and the one-off exceptions to their monthly days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ScheduleException, TransactionPoint, utcnow

# The fields an import compares; updated_at is bookkeeping, not content.
POINT_FIELDS = (
    "commune_code",
    "name",
    "address",
    "day_of_month",
    "start_time",
    "end_time",
    "office",
    "phone",
)

# Keeps IN (...) lists well below the bind-parameter limits of SQLite and asyncpg.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


async def upsert_points(
    session: AsyncSession, points: Iterable[TransactionPoint], now: dt.datetime | None = None
) -> UpsertCounts:
    """Insert new points and update changed ones, by point id; points not given stay as they are.

    A point whose fields are all equal to the stored ones is left alone (its updated_at too),
    so importing the same file twice changes nothing. Points go to the database a chunk at a
    time and leave the session once written, so a national file does not hold every row
    object in memory at once (it is still one transaction: all or nothing).
    """
    now = now or utcnow()
    incoming = list(points)
    ids = [p.id for p in incoming]
    if len(set(ids)) != len(ids):
        raise ValueError("upsert_points: the same point id is given twice")
    added = changed = unchanged = 0
    for start in range(0, len(incoming), _CHUNK):
        chunk = incoming[start : start + _CHUNK]
        result = await session.exec(
            select(TransactionPoint).where(col(TransactionPoint.id).in_([p.id for p in chunk]))
        )
        existing = {p.id: p for p in result}
        written: list[TransactionPoint] = list(existing.values())
        for point in chunk:
            stored = existing.get(point.id)
            if stored is None:
                row = TransactionPoint(
                    id=point.id, updated_at=now, **{f: getattr(point, f) for f in POINT_FIELDS}
                )
                session.add(row)
                written.append(row)
                added += 1
            elif all(getattr(stored, f) == getattr(point, f) for f in POINT_FIELDS):
                unchanged += 1
            else:
                for field in POINT_FIELDS:
                    setattr(stored, field, getattr(point, field))
                stored.updated_at = now
                session.add(stored)
                changed += 1
        await session.flush()
        for row in written:
            session.expunge(row)
    return UpsertCounts(added, changed, unchanged)


async def all_points(session: AsyncSession) -> list[TransactionPoint]:
    """Every point, by commune code then point id."""
    result = await session.exec(
        select(TransactionPoint).order_by(
            col(TransactionPoint.commune_code), col(TransactionPoint.id)
        )
    )
    return list(result)


async def points_of_commune(session: AsyncSession, code: str) -> list[TransactionPoint]:
    """The points of one commune, by point id."""
    result = await session.exec(
        select(TransactionPoint)
        .where(TransactionPoint.commune_code == code)
        .order_by(col(TransactionPoint.id))
    )
    return list(result)


async def get_point(session: AsyncSession, point_id: str) -> TransactionPoint | None:
    return await session.get(TransactionPoint, point_id)


async def delete_point(session: AsyncSession, point_id: str) -> bool:
    """Remove a point; its exceptions and subscriptions go with it. False when there was none."""
    result = await session.exec(delete(TransactionPoint).where(TransactionPoint.id == point_id))
    session.expunge_all()  # rows the database removed by cascade must not linger here
    return bool(result.rowcount)


async def set_exception(
    session: AsyncSession,
    point_id: str,
    regular_date: dt.date,
    moved_to: dt.date | None,
    reason: str,
    now: dt.datetime | None = None,
) -> ScheduleException:
    """Move (``moved_to``) or cancel (None) one regular day of a point.

    There is one exception per point and regular date: setting it again replaces it. The
    caller checks that ``regular_date`` is one of the point's regular days.
    """
    now = now or utcnow()
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ScheduleException).values(
        point_id=point_id,
        regular_date=regular_date,
        moved_to=moved_to,
        reason=reason,
        created_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["point_id", "regular_date"],
        set_={
            "moved_to": statement.excluded.moved_to,
            "reason": statement.excluded.reason,
            "created_at": statement.excluded.created_at,
        },
    )
    await session.exec(statement)
    result = await session.exec(
        select(ScheduleException)
        .where(
            ScheduleException.point_id == point_id,
            ScheduleException.regular_date == regular_date,
        )
        .execution_options(populate_existing=True)
    )
    return result.one()


async def exceptions_between(
    session: AsyncSession, point_ids: Iterable[str], start: dt.date, end: dt.date
) -> list[ScheduleException]:
    """Exceptions of these points whose regular date, or new date, is in [start, end]."""
    ids = list(dict.fromkeys(point_ids))
    found: list[ScheduleException] = []
    for chunk in _chunks(ids):
        result = await session.exec(
            select(ScheduleException).where(
                col(ScheduleException.point_id).in_(chunk),
                or_(
                    col(ScheduleException.regular_date).between(start, end),
                    col(ScheduleException.moved_to).between(start, end),
                ),
            )
        )
        found.extend(result)
    found.sort(key=lambda e: (e.point_id, e.regular_date))
    return found


async def effective_date(
    session: AsyncSession, point_id: str, regular_date: dt.date
) -> dt.date | None:
    """Where a regular day stands now: its own date, the date it was moved to, or None
    when it is cancelled."""
    found = (
        await session.exec(
            select(ScheduleException).where(
                ScheduleException.point_id == point_id,
                ScheduleException.regular_date == regular_date,
            )
        )
    ).first()
    if found is None:
        return regular_date
    return found.moved_to


async def delete_exception(session: AsyncSession, point_id: str, regular_date: dt.date) -> bool:
    """Restore a point's regular day; False when it had no exception."""
    result = await session.exec(
        delete(ScheduleException).where(
            ScheduleException.point_id == point_id,
            ScheduleException.regular_date == regular_date,
        )
    )
    return bool(result.rowcount)

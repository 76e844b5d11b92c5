"""Queries on broadcasts: drafts and their states, the audience, and the set-based expansion
of a broadcast into outbox rows (one INSERT … SELECT, whatever the number of recipients).

Storage knows nothing of places: the caller turns an area into its list of commune codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, String, and_, case, cast, exists, func, literal, or_, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Broadcast, Outbox, Subscription, TransactionPoint, User
from storage.outbox import PENDING, _insert

DRAFT, AWAITING, QUEUED, SCHEDULED = "draft", "awaiting_approval", "queued", "scheduled"
SENDING, DONE, CANCELLED, REJECTED = "sending", "done", "cancelled", "rejected"
# Not finished: may still be cancelled.
OPEN = (DRAFT, AWAITING, QUEUED, SCHEDULED, SENDING)
KIND, KIND_URGENT = "broadcast", "broadcast_urgent"
PAGE = 50  # the console's list, a page at a time


def key_prefix(broadcast_id: int) -> str:
    return f"b:{broadcast_id}:"


async def create(session: AsyncSession, broadcast: Broadcast) -> Broadcast:
    session.add(broadcast)
    await session.flush()
    return broadcast


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def move(
    session: AsyncSession, broadcast_id: int, from_states: tuple[str, ...], to: str, **values: Any
) -> bool:
    """Change the state only if it is still one of ``from_states`` (two officials, two
    replicas, a button pressed twice: one wins); True when it changed."""
    result = await session.exec(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id, col(Broadcast.status).in_(from_states))
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def due(session: AsyncSession, now: dt.datetime) -> list[Broadcast]:
    """Confirmed (and approved) broadcasts whose time has come, oldest first."""
    result = await session.exec(
        select(Broadcast)
        .where(
            col(Broadcast.status).in_((QUEUED, SCHEDULED)),
            or_(col(Broadcast.not_before).is_(None), col(Broadcast.not_before) <= now),
        )
        .order_by(col(Broadcast.id))
    )
    return list(result.scalars())


async def in_state(session: AsyncSession, *states: str) -> list[Broadcast]:
    result = await session.exec(
        select(Broadcast).where(col(Broadcast.status).in_(states)).order_by(col(Broadcast.id))
    )
    return list(result.scalars())


async def unfinished_cancelled(session: AsyncSession) -> list[Broadcast]:
    """Cancelled after they started, with their final report still to send."""
    result = await session.exec(
        select(Broadcast)
        .where(
            Broadcast.status == CANCELLED,
            col(Broadcast.started_at).is_not(None),
            col(Broadcast.finished_at).is_(None),
        )
        .order_by(col(Broadcast.id))
    )
    return list(result.scalars())


async def recent(
    session: AsyncSession, limit: int = 20, author: str | None = None
) -> list[Broadcast]:
    query = select(Broadcast).where(Broadcast.status != DRAFT)
    if author is not None:
        query = query.where(Broadcast.author == author)
    result = await session.exec(query.order_by(col(Broadcast.id).desc()).limit(limit))
    return list(result.scalars())


async def listed(
    session: AsyncSession,
    areas: list[str] | None,
    author: str | None = None,
    states: tuple[str, ...] | None = None,
    limit: int = 50,
) -> list[Broadcast]:
    """The newest broadcasts to one of the area codes ``areas`` (None: any area), or written
    by ``author``; only in ``states`` when given. Drafts are listed only for their author."""
    where: Any = Broadcast.status != DRAFT
    if areas is not None:
        where = and_(where, col(Broadcast.area_code).in_(areas))
    if author is not None:
        where = or_(where, Broadcast.author == author)
    query = select(Broadcast).where(where)
    if states is not None:
        query = query.where(col(Broadcast.status).in_(states))
    result = await session.exec(query.order_by(col(Broadcast.id).desc()).limit(limit))
    return list(result.scalars())


@dataclass(frozen=True)
class Cursor:
    """Where a page of the list starts or ends: the (created_at, id) of the broadcast next to it."""

    created_at: dt.datetime
    id: int


@dataclass(frozen=True)
class Page:
    broadcasts: list[Broadcast]
    more_after: bool  # older ones follow (a next page)
    more_before: bool  # newer ones precede (a previous page)


def _shown(areas: Sequence[str] | None, author: str) -> list[Any]:
    """The broadcasts the list may show: to one of ``areas`` (None: any), drafts only their
    ``author``'s."""
    clauses: list[Any] = [or_(Broadcast.status != DRAFT, Broadcast.author == author)]
    if areas is not None:
        clauses.append(col(Broadcast.area_code).in_(list(areas)))
    return clauses


def _older(cursor: Cursor) -> Any:
    return or_(
        col(Broadcast.created_at) < cursor.created_at,
        and_(col(Broadcast.created_at) == cursor.created_at, col(Broadcast.id) < cursor.id),
    )


def _newer(cursor: Cursor) -> Any:
    return or_(
        col(Broadcast.created_at) > cursor.created_at,
        and_(col(Broadcast.created_at) == cursor.created_at, col(Broadcast.id) > cursor.id),
    )


async def page(
    session: AsyncSession,
    areas: Sequence[str] | None,
    author: str,
    states: Sequence[str] | None = None,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = PAGE,
) -> Page:
    """One page of the list, newest first: the first, the one after ``after`` (older), or the
    one before ``before`` (newer). Keyset, never an offset: a deep page costs what the first
    does, and one confirmed or cancelled meanwhile neither hides another nor shows twice."""
    query = select(Broadcast).where(*_shown(areas, author))
    if states is not None:
        query = query.where(col(Broadcast.status).in_(list(states)))
    newest = (col(Broadcast.created_at).desc(), col(Broadcast.id).desc())
    if before is not None:
        query = query.where(_newer(before)).order_by(col(Broadcast.created_at), col(Broadcast.id))
    else:
        if after is not None:
            query = query.where(_older(after))
        query = query.order_by(*newest)
    found = list((await session.exec(query.limit(size + 1))).scalars())
    more, found = len(found) > size, found[:size]
    if before is not None:
        found.reverse()
        return Page(found, more_after=True, more_before=more)
    return Page(found, more_after=more, more_before=after is not None)


async def cursor(
    session: AsyncSession, areas: Sequence[str] | None, author: str, broadcast_id: int
) -> Cursor | None:
    """The place of ``broadcast_id`` in the list (a link's ``after``/``before``); None when it
    is not one the list may show, so that a typed id tells nothing of another area's."""
    query = select(Broadcast.created_at, Broadcast.id).where(
        Broadcast.id == broadcast_id, *_shown(areas, author)
    )
    row = (await session.exec(query)).first()
    return Cursor(row[0], row[1]) if row is not None else None


def _audience(communes: list[str] | None, subscribers_only: bool) -> Any:
    """Who hears a broadcast to ``communes`` (None: the whole country): people who chose a
    commune there or follow a transaction point there (with ``subscribers_only``, only the
    latter); never those who blocked the bot or turned announcements off.

    A person with linked channels (storage/people.py) is counted and reached once, on the
    channel of the row holding their settings: the other rows (``person_id`` set) never are.
    """
    follows = select(Subscription.user_id).join(
        TransactionPoint, col(TransactionPoint.id) == col(Subscription.point_id)
    )
    if communes is not None:
        follows = follows.where(col(TransactionPoint.commune_code).in_(communes))
    follows_there = exists(follows.where(col(Subscription.user_id) == col(User.id)))
    if subscribers_only:
        where = follows_there
    elif communes is None:
        where = col(User.language).is_not(None)
    else:
        where = or_(col(User.commune_code).in_(communes), follows_there)
    return and_(
        or_(col(User.person_id).is_(None), col(User.person_id) == col(User.id)),
        col(User.blocked).is_(False),
        col(User.announcements).is_(True),
        where,
    )


async def count_audience(
    session: AsyncSession, communes: list[str] | None, subscribers_only: bool
) -> int:
    statement = select(func.count()).select_from(User).where(_audience(communes, subscribers_only))
    return int((await session.exec(statement)).scalar_one())  # type: ignore[call-overload]


async def expand(
    session: AsyncSession,
    broadcast: Broadcast,
    communes: list[str] | None,
    languages: tuple[str, ...],
    now: dt.datetime,
) -> int:
    """Write one outbox row per recipient, keyed ``b:{broadcast}:{user}``, in one statement;
    returns how many were new (a second run adds none).

    A row's payload only names the language: the message itself is the broadcast's, rendered
    once per language (``Broadcast.payloads``), so a million rows stay small.
    """
    assert broadcast.id is not None
    language = case(
        *[(col(User.language) == lang, literal({"lang": lang}, JSON)) for lang in languages[1:]],
        else_=literal({"lang": languages[0]}, JSON),
    )
    rows = select(
        literal(key_prefix(broadcast.id)) + cast(col(User.id), String),
        col(User.channel),
        col(User.channel_user_id),
        literal(KIND_URGENT if broadcast.urgent else KIND),
        language,
        literal(PENDING),
        literal(0),
        literal(now, Outbox.__table__.c.not_before.type),
        literal(now, Outbox.__table__.c.created_at.type),
        literal(broadcast.id),
        literal(False),
    ).where(_audience(communes, broadcast.subscribers_only))
    columns = [
        "dedup_key", "channel", "channel_user_id", "kind", "payload", "status", "attempts",
        "not_before", "created_at", "broadcast_id", "in_doubt",
    ]  # fmt: skip
    statement = (
        _insert(session)(Outbox)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return result.rowcount or 0


async def payloads_of(session: AsyncSession, broadcast_id: int) -> dict[str, Any]:
    result = await session.exec(select(Broadcast.payloads).where(Broadcast.id == broadcast_id))
    return dict(result.scalars().first() or {})

"""The outbox: messages recorded once under a unique key, then claimed, sent and marked.

Enqueueing is set-based (one INSERT … SELECT per point and kind), so a million subscribers
cost one statement, and `ON CONFLICT DO NOTHING` on the key makes planning idempotent.
Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite (one process) the claim is
a single UPDATE … RETURNING inside the writers' turn.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, String, and_, case, cast, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import stats
from storage.models import Broadcast, Outbox, Subscription, User

PENDING, SENDING, SENT, BLOCKED, FAILED = "pending", "sending", "sent", "blocked", "failed"
# Outside Zalo OA's 7-day window with no ZNS consent or template (bot/zalo_oa_reach.py).
UNREACHABLE = "unreachable"
ZNS_IN_DOUBT = "ZNS in doubt: the sender died during the send; not sent again"


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def enqueue_subscribers(
    session: AsyncSession,
    point_id: str,
    kind: str,
    key_prefix: str,
    payloads: dict[str, dict[str, Any]],
    now: dt.datetime,
    subscribed_since: dt.datetime | None = None,
) -> int:
    """Record one message per subscriber of ``point_id`` who has not blocked the bot
    (only those who subscribed at or after ``subscribed_since``, when given).

    ``payloads`` maps a language to the message in it ("vi" is the fallback); the key of
    each row is ``key_prefix`` + the user's id. Returns how many rows were new.
    """
    language_payload = case(
        *[
            (User.language == lang, literal(payload, JSON))
            for lang, payload in payloads.items()
            if lang != "vi"
        ],
        else_=literal(payloads["vi"], JSON),
    )
    rows = (
        select(
            literal(key_prefix) + cast(User.id, String),
            User.channel,
            User.channel_user_id,
            literal(kind),
            language_payload,
            literal(PENDING),
            literal(0),
            literal(now, Outbox.__table__.c.not_before.type),
            literal(now, Outbox.__table__.c.created_at.type),
        )
        .select_from(Subscription)
        .join(User, User.id == Subscription.user_id)
        .where(Subscription.point_id == point_id, User.blocked.is_(False))
    )
    if subscribed_since is not None:
        rows = rows.where(Subscription.created_at >= subscribed_since)
    columns = [
        "dedup_key",
        "channel",
        "channel_user_id",
        "kind",
        "payload",
        "status",
        "attempts",
        "not_before",
        "created_at",
    ]
    statement = (
        _insert(session)(Outbox)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    result = await session.exec(statement)
    return result.rowcount or 0


async def enqueue_one(
    session: AsyncSession,
    dedup_key: str,
    channel: str,
    channel_user_id: str,
    kind: str,
    payload: dict[str, Any],
    now: dt.datetime,
) -> bool:
    statement = (
        _insert(session)(Outbox)
        .values(
            dedup_key=dedup_key,
            channel=channel,
            channel_user_id=channel_user_id,
            kind=kind,
            payload=payload,
            status=PENDING,
            attempts=0,
            not_before=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    return (await session.exec(statement)).rowcount == 1


async def enqueue_later(
    session: AsyncSession,
    channel: str,
    channel_user_id: str,
    payloads: list[dict[str, Any]],
    now: dt.datetime,
) -> int:
    """Replies the channel would not take at once, queued in order to be sent as soon as it
    will (``late:{user}:{random}:{n}``: each hand-over is its own)."""
    key = f"late:{channel_user_id}:{uuid.uuid4().hex}"
    for n, payload in enumerate(payloads):
        await enqueue_one(session, f"{key}:{n}", channel, channel_user_id, "reply", payload, now)
    return len(payloads)


async def claim(
    session: AsyncSession,
    channels: list[str],
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int,
) -> list[Outbox]:
    """Take up to ``limit`` due rows for sending: pending ones, and ones whose lease ran out
    (their sender died mid-way)."""
    due = (
        select(Outbox.id)
        .where(
            Outbox.channel.in_(channels),
            or_(
                and_(Outbox.status == PENDING, Outbox.not_before <= now),
                and_(Outbox.status == SENDING, Outbox.lease_until < now),
            ),
        )
        .order_by(Outbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Outbox)
        .where(Outbox.id.in_(due.scalar_subquery()))
        .values(status=SENDING, lease_until=now + lease)
        .returning(Outbox)
        .execution_options(synchronize_session=False)
    )
    rows = list((await session.exec(statement)).scalars())
    return sorted(rows, key=lambda row: row.id or 0)


async def mark(
    session: AsyncSession,
    row_id: int,
    status: str,
    now: dt.datetime,
    *,
    not_before: dt.datetime | None = None,
    attempts: int | None = None,
    error: str | None = None,
    payload: dict[str, Any] | None = None,
    in_doubt: bool | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "lease_until": None}
    if in_doubt is not None:
        values["in_doubt"] = in_doubt
    if status == PENDING:  # a ZNS send that surely did not happen (rate limit, night)
        values["zns_at"] = None
    if payload is not None:  # what is left of a message sent in parts
        values["payload"] = payload
    if status == SENT:
        values["sent_at"] = now
    if not_before is not None:
        values["not_before"] = not_before
    if attempts is not None:
        values["attempts"] = attempts
    if error is not None:
        values["last_error"] = error[:300]
    await session.exec(update(Outbox).where(Outbox.id == row_id).values(**values))


def _key_starts(prefix: str) -> Any:
    """Keys starting with ``prefix``, exactly: LIKE alone takes "_" as any character (point
    ids may hold one) and ignores case on SQLite, so the prefix is also compared as is."""
    return Outbox.dedup_key.startswith(prefix, autoescape=True) & (
        func.substr(Outbox.dedup_key, 1, len(prefix)) == prefix
    )


async def counts(session: AsyncSession, key_prefix: str = "") -> dict[str, int]:
    """Rows by status, optionally of keys starting with ``key_prefix``."""
    statement = select(Outbox.status, func.count()).group_by(Outbox.status)
    if key_prefix:
        statement = statement.where(_key_starts(key_prefix))
    return {status: int(n) for status, n in (await session.exec(statement)).all()}


QUEUE_STATES = ("due", "later", "sending")


async def queue_depth(session: AsyncSession, now: dt.datetime) -> dict[tuple[str, str], int]:
    """Rows still to send by (channel, state): ``due`` now, ``later`` (a reminder's evening,
    quiet hours, a retry's backoff), or ``sending`` (claimed by the sender)."""
    state = case(
        (Outbox.status == "sending", "sending"),
        (Outbox.not_before <= now, "due"),
        else_="later",
    )
    statement = (
        select(Outbox.channel, state, func.count())
        .where(Outbox.status.in_(("pending", "sending")))
        .group_by(Outbox.channel, state)
    )
    return {(channel, name): int(n) for channel, name, n in (await session.exec(statement)).all()}


async def any_sent_with_prefix(session: AsyncSession, key_prefix: str) -> bool:
    statement = select(Outbox.id).where(_key_starts(key_prefix)).limit(1)
    return (await session.exec(statement)).first() is not None


# --- the delivery engine's queries: claims by priority, marks in batches, crash recovery ----

CANCELLED = "cancelled"
_CLAIMED_COLUMNS = (
    Outbox.id,
    Outbox.channel,
    Outbox.channel_user_id,
    Outbox.kind,
    Outbox.payload,
    Outbox.attempts,
    Outbox.broadcast_id,
    Outbox.dedup_key,
)


async def _claim_where(
    session: AsyncSession,
    condition: Any,
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int,
) -> list[Any]:
    due = (
        select(Outbox.id)
        .where(condition, Outbox.status == PENDING, Outbox.not_before <= now)
        .order_by(Outbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Outbox)
        .where(Outbox.id.in_(due.scalar_subquery()))
        .values(status=SENDING, lease_until=now + lease)
        .returning(*_CLAIMED_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    return list((await session.exec(statement)).all())  # type: ignore[call-overload]


async def claim_due(
    session: AsyncSession,
    channels: list[str],
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int,
    broadcasts: list[int],
) -> list[Any]:
    """Take up to ``limit`` due rows: first everything that is not a broadcast (reminders,
    notices, reports to authors), then the rows of ``broadcasts``, in that order.

    Rows come back as tuples (id, channel, channel_user_id, kind, payload, attempts,
    broadcast_id), by id within each group. Each part is one index range of
    ``ix_outbox_broadcast``, however many rows a broadcast has left.
    """
    on_channels = Outbox.channel.in_(channels)
    rows = await _claim_where(
        session, and_(Outbox.broadcast_id.is_(None), on_channels), now, lease, limit
    )
    for broadcast_id in broadcasts:
        if len(rows) >= limit:
            break
        more = await _claim_where(
            session,
            and_(Outbox.broadcast_id == broadcast_id, on_channels),
            now,
            lease,
            limit - len(rows),
        )
        rows.extend(sorted(more, key=lambda row: row[0]))
    return rows


async def mark_many(
    session: AsyncSession,
    ids: list[int],
    status: str,
    now: dt.datetime,
    *,
    attempted: bool = True,
    not_before: dt.datetime | None = None,
    error: str | None = None,
) -> None:
    """One UPDATE for many rows with the same outcome (sent, blocked, back to pending)."""
    if not ids:
        return
    values: dict[str, Any] = {"status": status, "lease_until": None}
    if error is not None:
        values["last_error"] = error[:300]
    if status == SENT:
        values["sent_at"] = now
    if status == PENDING:  # given back before it was sent: no ZNS send began
        values["zns_at"] = None
    if attempted:
        values["attempts"] = Outbox.attempts + 1
    if not_before is not None:
        values["not_before"] = not_before
    for start in range(0, len(ids), 500):  # well under every driver's bind-parameter limit
        chunk = ids[start : start + 500]
        await session.exec(update(Outbox).where(Outbox.id.in_(chunk)).values(**values))


async def begin_zns(session: AsyncSession, row_id: int, now: dt.datetime) -> None:
    """Written and committed just before a row's ZNS request leaves: if the sender dies
    before the outcome is recorded, the next one finds it and does not send it again."""
    await session.exec(update(Outbox).where(Outbox.id == row_id).values(zns_at=now))


async def settle_zns_in_flight(session: AsyncSession, channels: list[str]) -> int:
    """Rows a dead sender had begun to send by ZNS: failed and in doubt, never sent again
    (ZNS is paid, and a second copy of a notice is worse than a missing one); how many."""
    result = await session.exec(
        update(Outbox)
        .where(
            Outbox.status == SENDING,
            Outbox.channel.in_(channels),
            Outbox.zns_at.is_not(None),  # type: ignore[union-attr]
        )
        .values(status=FAILED, lease_until=None, in_doubt=True, last_error=ZNS_IN_DOUBT)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def recover_in_flight(session: AsyncSession, channels: list[str]) -> int:
    """Rows a dead sender had claimed go back to pending, marked in doubt; how many.

    Called by the elected sender as it takes over: no live sender holds rows then. A row in
    doubt may have been sent just before the crash; it is sent again (at least once).
    """
    result = await session.exec(
        update(Outbox)
        .where(Outbox.status == SENDING, Outbox.channel.in_(channels))
        .values(status=PENDING, lease_until=None, in_doubt=True)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def broadcast_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """A broadcast's rows by status, plus ``in_doubt`` (rows a crash may have doubled)."""
    statement = (
        select(Outbox.status, func.count(), func.sum(case((Outbox.in_doubt, 1), else_=0)))
        .where(Outbox.broadcast_id == broadcast_id)
        .group_by(Outbox.status)
    )
    found: dict[str, int] = {"in_doubt": 0}
    for status, n, doubt in (await session.exec(statement)).all():  # type: ignore[call-overload]
        found[status] = int(n)
        found["in_doubt"] += int(doubt or 0)
    pruned = (
        await session.exec(select(Broadcast.pruned_counts).where(Broadcast.id == broadcast_id))
    ).scalar_one_or_none()  # type: ignore[call-overload]
    for status, n in (pruned or {}).items():
        found[status] = found.get(status, 0) + int(n)
    return found


HANDLED = (SENT, BLOCKED, FAILED, CANCELLED, UNREACHABLE)
# The ends of a delivery attempt: what counts as done in a broadcast's progress.
DELIVERY_ENDS = (SENT, BLOCKED, FAILED, UNREACHABLE)


async def prune(session: AsyncSession, before: dt.datetime, limit: int = 5000) -> int:
    """Delete up to ``limit`` rows handled before ``before`` (the texts sent to people are not
    kept for ever); a broadcast's counts of them are added to its ``pruned_counts`` first,
    reminders' to ``reminder_tallies`` (storage/stats.py), but for the days already tallied.

    The tally mark is held first, till the transaction ends: two replicas pruning, or a prune
    and the tallying job, take turns, and the rows are chosen after the turn comes, so none
    is counted twice."""
    through = await stats.hold_tally_mark(session)
    finished = func.coalesce(Outbox.sent_at, Outbox.created_at)
    rows = (
        await session.exec(
            select(
                Outbox.id,
                Outbox.broadcast_id,
                Outbox.status,
                Outbox.in_doubt,
                Outbox.kind,
                Outbox.dedup_key,
                Outbox.created_at,
            )
            .where(Outbox.status.in_(HANDLED), finished < before)
            .order_by(Outbox.id)
            .limit(limit)
        )  # type: ignore[call-overload]
    ).all()
    if not rows:
        return 0
    # Reminders leave their counts by day, point and status for the dashboard.
    await stats.keep_reminder_counts(session, [tuple(row[2:]) for row in rows], through)
    tallies: dict[int, dict[str, int]] = {}
    for _id, broadcast_id, status, in_doubt, *_rest in rows:
        if broadcast_id is None:
            continue
        tally = tallies.setdefault(broadcast_id, {})
        tally[status] = tally.get(status, 0) + 1
        if in_doubt:
            tally["in_doubt"] = tally.get("in_doubt", 0) + 1
    for broadcast_id, tally in tallies.items():
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None:
            continue
        merged = dict(broadcast.pruned_counts or {})
        for status, n in tally.items():
            merged[status] = merged.get(status, 0) + n
        broadcast.pruned_counts = merged
        session.add(broadcast)
    await session.flush()
    result = await session.exec(
        delete(Outbox)
        .where(Outbox.id.in_([row[0] for row in rows]))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def broadcast_unfinished(session: AsyncSession, broadcast_id: int) -> bool:
    """True while a broadcast has rows pending or being sent."""
    statement = (
        select(Outbox.id)
        .where(Outbox.broadcast_id == broadcast_id, Outbox.status.in_((PENDING, SENDING)))
        .limit(1)
    )
    return (await session.exec(statement)).first() is not None


async def cancel_broadcast_rows(session: AsyncSession, broadcast_id: int, limit: int) -> int:
    """Mark up to ``limit`` pending rows of a cancelled broadcast cancelled; how many."""
    ids = (
        select(Outbox.id)
        .where(Outbox.broadcast_id == broadcast_id, Outbox.status == PENDING)
        .limit(limit)
    )
    result = await session.exec(
        update(Outbox)
        .where(Outbox.id.in_(ids.scalar_subquery()))
        .values(status=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def pending_total(session: AsyncSession, broadcasts: list[int]) -> int:
    """Rows still to send of these broadcasts (the queue ahead of a new one)."""
    if not broadcasts:
        return 0
    statement = (
        select(func.count())
        .select_from(Outbox)
        .where(Outbox.broadcast_id.in_(broadcasts), Outbox.status.in_((PENDING, SENDING)))
    )
    return int((await session.exec(statement)).scalar_one())  # type: ignore[call-overload]

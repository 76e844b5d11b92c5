"""Queries on users, their conversation state and the update ids already handled."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import kept_questions, people, zalo_oa_contacts
from storage.models import (
    Broadcast,
    ChatChoices,
    ConversationState,
    LinkCode,
    Outbox,
    ProcessedUpdate,
    Subscription,
    User,
)
from storage.outbox import PENDING

# Outbox kinds of the notices a subscription brings (handlers/schedules/reminders.py, and
# removals.py: its point removed by a schedule file).
REMINDER_KIND_PREFIX, CHANGE_KIND = "reminder_", "schedule_change"
REMOVED_KIND = "point_removed"
# How stale ``last_seen_at`` may get: written again past this, or on another day. The bot
# shows it as a date; writing it on every message cost a statement per update.
LAST_SEEN_STEP = dt.timedelta(hours=1)


async def find_user(session: AsyncSession, channel: str, channel_user_id: str) -> User | None:
    result = await session.exec(
        select(User).where(User.channel == channel, User.channel_user_id == channel_user_id)
    )
    return result.first()


async def get_or_create_user(
    session: AsyncSession,
    channel: str,
    channel_user_id: str,
    now: dt.datetime,
    display_name: str | None = None,
) -> User:
    """The user's row, created on first contact; last seen and display name kept current."""
    user = await find_user(session, channel, channel_user_id)
    if user is None:
        user = User(
            channel=channel,
            channel_user_id=channel_user_id,
            created_at=now,
            last_seen_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(user)
        except IntegrityError:
            # Another replica created the same user a moment ago.
            user = await find_user(session, channel, channel_user_id)
            assert user is not None
    seen(user, now, display_name)
    session.add(user)
    await session.flush()
    return user


def seen(user: User, now: dt.datetime, display_name: str | None) -> None:
    """The user wrote to us: last seen (to the hour), not blocked, display name current.
    Values that do not change are not written (SQLAlchemy compares them at the flush)."""
    last = user.last_seen_at
    if now - last >= LAST_SEEN_STEP or now.date() != last.date():
        user.last_seen_at = now
    user.blocked = False  # a user who writes to us has not blocked us
    # A display name is personal data: kept only with the user's consent.
    user.display_name = display_name[:128] if display_name and user.consent_at else None


# The two statements every update runs, built once: building one costs more than running
# it (SQLAlchemy caches the compiled form, not the expression).
_OWN_PERSON = (
    col(User.channel) == bindparam("channel"),
    col(User.channel_user_id) == bindparam("channel_user_id"),
    col(User.person_id).is_(None),  # re-checked after PostgreSQL's lock: linked meanwhile
)
_OWN_ROW_LOCKED = select(User).where(*_OWN_PERSON).with_for_update()
_OWN_ROW_AND_STATE = (
    select(User, ConversationState)
    .outerjoin(ConversationState, col(ConversationState.user_id) == col(User.id))
    .where(*_OWN_PERSON)
)


async def own_person(
    session: AsyncSession, channel: str, channel_user_id: str
) -> tuple[User, ConversationState] | None:
    """A channel user whose own row holds their person (the common case: no linked
    channel, or only channels linked into theirs) and the person's conversation state, in
    as few statements as the backend allows. None when the user is unknown or linked into
    another channel's row: ``find_user``, ``lock_person`` and ``get_or_create_user`` then.

    On PostgreSQL the row is locked as ``lock_person`` locks it, and the state read after
    the lock: the one the person's previous update committed. On SQLite (one writer at a
    time) the state comes in the same statement."""
    params = {"channel": channel, "channel_user_id": channel_user_id}
    if _dialect(session) == "postgresql":
        user = (await session.exec(_OWN_ROW_LOCKED, params=params)).first()
        return None if user is None else (user, await get_state(session, user.id or 0))
    row = (await session.exec(_OWN_ROW_AND_STATE, params=params)).first()
    if row is None:
        return None
    user, state = row
    return user, state if state is not None else ConversationState(user_id=user.id, data={})


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


async def lock_person(session: AsyncSession, identity: User) -> User | None:
    """The row holding this identity's person, locked until the transaction ends
    (``SELECT … FOR UPDATE``) and read again as it is now, so that one person's updates,
    from any of their channels, are handled one after the other. None when the person was
    erased meanwhile (their rows are then forgotten by this session too).

    On PostgreSQL only: SQLite has one writer at a time already.
    """
    person = await people.holder(session, identity)
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return person
    try:
        for _ in range(3):
            await session.refresh(person, with_for_update=True)
            if person is identity:
                return person
            await session.refresh(identity)  # linked elsewhere while it waited?
            now_held_by = await people.holder(session, identity)
            if now_held_by is person:
                return person
            person = now_held_by
    except InvalidRequestError:  # deleted while we waited for the lock
        for row in (person, identity):
            if row in session:
                session.expunge(row)
        return None
    return person


async def get_state(session: AsyncSession, user_id: int) -> ConversationState:
    """The user's conversation state; an empty one (not yet stored) when there is none."""
    state = await session.get(ConversationState, user_id)
    return state if state is not None else ConversationState(user_id=user_id, data={})


async def step_of(
    session: AsyncSession, channel: str, channel_user_id: str
) -> tuple[str | None, str | None]:
    """The flow and step this channel user's person is in (a read, before the update's
    transaction)."""
    holder = func.coalesce(User.person_id, User.id)
    found = await session.exec(
        select(ConversationState.flow, ConversationState.step)
        .join(User, holder == ConversationState.user_id)
        .where(User.channel == channel, User.channel_user_id == channel_user_id)
    )
    row = found.first()
    return (row[0], row[1]) if row is not None else (None, None)


async def save_state(
    session: AsyncSession,
    user_id: int,
    flow: str | None,
    step: str | None,
    data: dict[str, Any],
    now: dt.datetime,
) -> None:
    state = await session.get(ConversationState, user_id)
    if state is None:
        state = ConversationState(user_id=user_id)
    state.flow, state.step, state.data, state.updated_at = flow, step, dict(data), now
    session.add(state)
    await session.flush()


async def delete_user(session: AsyncSession, user_id: int) -> None:
    """Erase a user's profile, settings, subscriptions, queued messages, kept questions, the
    phone kept for ZNS, the OA message window and state for good.

    A person with linked channels (storage/people.py) is erased on every channel at once.
    """
    linked = await session.exec(select(User.id).where(User.person_id == user_id))
    for other in [i for i in linked.all() if i is not None and i != user_id]:
        await delete_user(session, other)
    await session.exec(delete(ChatChoices).where(ChatChoices.user_id == user_id))
    await session.exec(delete(LinkCode).where(LinkCode.user_id == user_id))
    user = await session.get(User, user_id)
    if user is not None:
        await session.exec(
            delete(Outbox).where(
                Outbox.channel == user.channel, Outbox.channel_user_id == user.channel_user_id
            )
        )
    await session.exec(delete(Subscription).where(Subscription.user_id == user_id))
    await session.exec(delete(ConversationState).where(ConversationState.user_id == user_id))
    await kept_questions.delete_of(session, user_id)
    await zalo_oa_contacts.forget_phones(session, user_id)
    await zalo_oa_contacts.forget_contact(session, user_id)
    await session.exec(delete(User).where(User.id == user_id))
    await session.flush()
    session.expunge_all()


async def withdraw_consent(session: AsyncSession, person: User) -> list[User]:
    """Forget what only consent let the bot keep about a person (``person``: the holder).

    Their commune, reminder subscriptions, display name, link codes, kept questions, the phone
    kept for ZNS and the link between their channels go; so do their pending reminders,
    schedule-change notices and announcements of a commune, a province or to subscribers
    (whole-country ones reach everyone by language). Each channel account keeps its chat id
    and language, and the choice about announcements. Returns the accounts detached from the person.
    """
    rows = await people.identities(session, person.id or 0)
    by_area = select(Broadcast.id).where(
        col(Broadcast.area_code).is_not(None) | col(Broadcast.subscribers_only).is_(True)
    )
    for row in rows:
        await session.exec(
            delete(Outbox).where(
                col(Outbox.channel) == row.channel,
                col(Outbox.channel_user_id) == row.channel_user_id,
                col(Outbox.status) == PENDING,
                col(Outbox.kind).startswith(REMINDER_KIND_PREFIX)
                | col(Outbox.kind).in_([CHANGE_KIND, REMOVED_KIND])
                | col(Outbox.broadcast_id).in_(by_area),
            )
        )
        await session.exec(delete(LinkCode).where(col(LinkCode.user_id) == row.id))
        await session.exec(delete(Subscription).where(col(Subscription.user_id) == row.id))
        await kept_questions.delete_of(session, row.id or 0)  # kept only with consent
        await zalo_oa_contacts.forget_phones(session, row.id or 0)  # likewise
        row.consent_at = None
        row.display_name = None
        row.commune_code = None
        session.add(row)
    await session.flush()
    return await people.unlink(session, person)


async def set_blocked(
    session: AsyncSession, channel: str, channel_user_id: str, blocked: bool
) -> None:
    await session.exec(
        update(User)
        .where(User.channel == channel, User.channel_user_id == channel_user_id)
        .values(blocked=blocked)
    )


def update_key(message_id: str) -> int:
    """A platform's string message id as an update id for ``remember_update``.

    Zalo's message ids are 20 hex digits (80 bits), too wide for the BigInteger column; the
    first 63 bits of their SHA-256 fit it. Two ids colliding within the two days ids are
    kept is about n²/2⁶⁴: for a million messages a day, one chance in ten million.
    """
    digest = hashlib.sha256(message_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


_REMEMBER = {
    name: insert(ProcessedUpdate.__table__)  # type: ignore[attr-defined]
    .values(
        channel=bindparam("channel"),
        update_id=bindparam("update_id"),
        received_at=bindparam("received_at"),
    )
    .on_conflict_do_nothing()
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


async def remember_update(
    session: AsyncSession, channel: str, update_id: int, now: dt.datetime | None = None
) -> bool:
    """Record an update id; False when it was already recorded (a redelivery). ``now`` is
    the process's clock (pruning compares against it), the system's when not given."""
    received_at = now or dt.datetime.now(dt.UTC)
    result = await session.exec(
        _REMEMBER[_dialect(session)],
        params={"channel": channel, "update_id": update_id, "received_at": received_at},
    )
    return result.rowcount == 1


async def seen_update(session: AsyncSession, channel: str, update_id: int) -> bool:
    """True when this update id was already handled: a redelivery, whose files need no
    second download (``remember_update`` still decides, inside the handling transaction)."""
    found = await session.exec(
        select(ProcessedUpdate.update_id).where(
            ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == update_id
        )
    )
    return found.first() is not None


async def prune_processed_updates(session: AsyncSession, before: dt.datetime) -> int:
    """Forget update ids older than ``before``; platforms stop redelivering after a day."""
    result = await session.exec(delete(ProcessedUpdate).where(ProcessedUpdate.received_at < before))
    return result.rowcount or 0


async def count_users(session: AsyncSession) -> int:
    result = await session.exec(select(func.count()).select_from(User))
    return int(result.one())


async def forget_flow_before(session: AsyncSession, flow: str, before: dt.datetime) -> int:
    """End ``flow`` for everyone whose state was last written before ``before``, what they
    entered with it. One statement: a message handled meanwhile moves ``updated_at`` on, and
    its state is then left alone."""
    result = await session.exec(
        update(ConversationState)
        .where(col(ConversationState.flow) == flow, col(ConversationState.updated_at) < before)
        .values(flow=None, step=None, data={})
    )
    return result.rowcount or 0


async def states_in_flow_before(
    session: AsyncSession, flow: str, before: dt.datetime
) -> list[ConversationState]:
    """The states in ``flow`` last written before ``before``."""
    found = await session.exec(
        select(ConversationState).where(
            col(ConversationState.flow) == flow, col(ConversationState.updated_at) < before
        )
    )
    return list(found.all())


async def replace_data_if_unchanged(
    session: AsyncSession, state: ConversationState, data: dict[str, Any]
) -> bool:
    """Write ``data`` into ``state`` unless the user's state was written since it was read
    (then that newer state wins); ``updated_at`` is kept. True if written."""
    result = await session.exec(
        update(ConversationState)
        .where(
            col(ConversationState.user_id) == state.user_id,
            col(ConversationState.updated_at) == state.updated_at,
            col(ConversationState.flow) == state.flow,
        )
        .values(data=dict(data))
    )
    return bool(result.rowcount)

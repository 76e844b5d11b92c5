"""The Zalo OA message window and the phones kept for ZNS: record, read, close, forget.

``record_interaction`` is called on every event a person sends the OA (bot/zalo_oa.py); the
outbox's ``zalo_oa`` transport reads ``reach_of`` to choose between a customer-service message
and ZNS (bot/zalo_oa_reach.py). Phones are stored only with consent (handlers/account) and
deleted with the person, their consent, or on request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import User
from storage.zalo_oa_contact_models import PURPOSE_NOTICES, ZaloOaContact, ZnsPhone

__all__ = ["PURPOSE_NOTICES", "Reach", "ZaloOaContact", "ZnsPhone"]

CHANNEL = "zalo_oa"


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def record_interaction(
    session: AsyncSession, user_id: int, at: dt.datetime, *, follower: bool | None = None
) -> None:
    """The person behind ``users.id == user_id`` (their OA identity) wrote or pressed at
    ``at``: the 7-day window starts again, and a window Zalo had closed is open. ``follower``
    is set when the event says (follow: True, unfollow: False). Leaving the OA opens no
    window: an unfollow records only that (and the time, for a person never seen before).

    One upsert; an older ``at`` (events handled out of order) never moves the time back."""
    values: dict[str, object] = {"user_id": user_id, "last_interaction_at": at}
    if follower is not None:
        values["follower"] = follower
    statement = _insert(session)(ZaloOaContact).values(**values)
    if follower is False:
        await session.exec(
            statement.on_conflict_do_update(index_elements=["user_id"], set_={"follower": False})
        )
        return
    table = ZaloOaContact.__table__  # type: ignore[attr-defined]
    newer = table.c.last_interaction_at < statement.excluded.last_interaction_at
    changes: dict[str, object] = {
        "last_interaction_at": statement.excluded.last_interaction_at,
        "window_closed_at": None,
    }
    await session.exec(
        statement.on_conflict_do_update(index_elements=["user_id"], set_=changes, where=newer)
    )
    if follower is not None:  # a follow/unfollow older than the last message still counts
        await session.exec(
            update(ZaloOaContact)
            .where(col(ZaloOaContact.user_id) == user_id)
            .values(follower=follower)
        )


async def close_window(session: AsyncSession, user_id: int, at: dt.datetime) -> None:
    """Zalo answered -230 for this identity: no customer-service message until they write."""
    await session.exec(
        update(ZaloOaContact)
        .where(col(ZaloOaContact.user_id) == user_id)
        .values(window_closed_at=at)
    )


async def close_window_of(session: AsyncSession, channel_user_id: str, at: dt.datetime) -> None:
    """``close_window`` by the person's OA user id (what the outbox row carries)."""
    ids = select(User.id).where(User.channel == CHANNEL, User.channel_user_id == channel_user_id)
    await session.exec(
        update(ZaloOaContact)
        .where(col(ZaloOaContact.user_id).in_(ids.scalar_subquery()))
        .values(window_closed_at=at)
    )


async def contact(session: AsyncSession, user_id: int) -> ZaloOaContact | None:
    return await session.get(ZaloOaContact, user_id)


@dataclass(frozen=True)
class Reach:
    """What the outbox needs to know to reach one OA identity (bot/zalo_oa_reach.py)."""

    last_interaction_at: dt.datetime | None  # None: never recorded
    window_closed: bool
    phone: str | None  # normalised, given with consent for notices; None otherwise


async def reach_of(session: AsyncSession, channel_user_id: str) -> Reach:
    """The window and consented phone of the OA identity ``channel_user_id``.

    The phone is the person's (the holder's, when the identity is linked to another channel)."""
    user = (
        await session.exec(
            select(User).where(User.channel == CHANNEL, User.channel_user_id == channel_user_id)
        )
    ).first()
    if user is None or user.id is None:
        return Reach(None, False, None)
    found = await session.get(ZaloOaContact, user.id)
    holder_id = user.person_id if user.person_id not in (None, user.id) else user.id
    phone = await phone_of(session, holder_id or user.id)
    if found is None:
        return Reach(None, False, phone)
    return Reach(found.last_interaction_at, found.window_closed_at is not None, phone)


async def save_phone(
    session: AsyncSession,
    person_id: int,
    phone: str,
    at: dt.datetime,
    purpose: str = PURPOSE_NOTICES,
) -> None:
    """Keep ``phone`` (already normalised) for ``person_id`` (the holder), with consent given
    at ``at``; a new number replaces the old one."""
    statement = _insert(session)(ZnsPhone).values(
        user_id=person_id, purpose=purpose, phone=phone, consented_at=at
    )
    await session.exec(
        statement.on_conflict_do_update(
            index_elements=["user_id", "purpose"],
            set_={"phone": statement.excluded.phone, "consented_at": at},
        )
    )


async def phone_of(
    session: AsyncSession, person_id: int, purpose: str = PURPOSE_NOTICES
) -> str | None:
    found = await session.get(ZnsPhone, (person_id, purpose))
    return found.phone if found is not None else None


async def phone_record(
    session: AsyncSession, person_id: int, purpose: str = PURPOSE_NOTICES
) -> ZnsPhone | None:
    """The number kept for ``person_id`` with the time consent was given, or None."""
    return await session.get(ZnsPhone, (person_id, purpose))


async def forget_phones(session: AsyncSession, person_id: int) -> int:
    """Delete every phone kept for ``person_id``; how many."""
    result = await session.exec(delete(ZnsPhone).where(col(ZnsPhone.user_id) == person_id))
    return result.rowcount or 0


async def forget_contact(session: AsyncSession, user_id: int) -> None:
    await session.exec(delete(ZaloOaContact).where(col(ZaloOaContact.user_id) == user_id))

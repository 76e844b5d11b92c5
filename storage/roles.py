"""Queries on roles: who may act as admin, official or moderator, and in which area.

Storage knows nothing of places: the caller checks that an area code is a real province or
commune, and decides what an area covers (``handlers.core.roles``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Role, User, utcnow

ROLES = ("admin", "official", "moderator")


def _same_grant(channel: str, channel_user_id: str, role: str, area_code: str | None):  # type: ignore[no-untyped-def]
    area = col(Role.area_code).is_(None) if area_code is None else Role.area_code == area_code
    return (
        Role.channel == channel,
        Role.channel_user_id == channel_user_id,
        Role.role == role,
        area,
    )


async def find(
    session: AsyncSession, channel: str, channel_user_id: str, role: str, area_code: str | None
) -> Role | None:
    result = await session.exec(
        select(Role).where(*_same_grant(channel, channel_user_id, role, area_code))
    )
    return result.first()


async def grant(
    session: AsyncSession,
    channel: str,
    channel_user_id: str,
    role: str,
    area_code: str | None,
    granted_by: str,
    now: dt.datetime | None = None,
) -> Role | None:
    """Give the role; the new row, or None when exactly this grant already existed."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if await find(session, channel, channel_user_id, role, area_code) is not None:
        return None
    row = Role(
        channel=channel,
        channel_user_id=channel_user_id,
        role=role,
        area_code=area_code,
        granted_at=now or utcnow(),
        granted_by=granted_by,
    )
    session.add(row)
    await session.flush()
    return row


async def revoke(
    session: AsyncSession, channel: str, channel_user_id: str, role: str, area_code: str | None
) -> bool:
    """Take the role back; False when there was no such grant."""
    result = await session.exec(
        delete(Role).where(*_same_grant(channel, channel_user_id, role, area_code))
    )
    return bool(result.rowcount)


async def get(session: AsyncSession, role_id: int) -> Role | None:
    return await session.get(Role, role_id)


async def list_roles(session: AsyncSession) -> list[Role]:
    """Every grant, by channel, user, role and area."""
    result = await session.exec(
        select(Role).order_by(
            col(Role.channel), col(Role.channel_user_id), col(Role.role), col(Role.area_code)
        )
    )
    return list(result)


async def roles_of(session: AsyncSession, channel: str, channel_user_id: str) -> list[Role]:
    """The grants one person holds on one channel."""
    result = await session.exec(
        select(Role)
        .where(Role.channel == channel, Role.channel_user_id == channel_user_id)
        .order_by(col(Role.role), col(Role.area_code))
    )
    return list(result)


async def names_of(
    session: AsyncSession, people: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str | None]:
    """The display names their channels gave, by (channel, channel_user_id), in one query."""
    wanted = list(dict.fromkeys(people))
    if not wanted:
        return {}
    key = tuple_(col(User.channel), col(User.channel_user_id))
    result = await session.exec(
        select(User.channel, User.channel_user_id, User.display_name).where(key.in_(wanted))
    )
    return {(channel, user_id): name for channel, user_id, name in result}

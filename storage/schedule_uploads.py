"""Schedule files kept between the console's preview and their import, for a few hours."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.upload_models import ScheduleUpload

KEPT = dt.timedelta(hours=6)  # a preview older than this is uploaded again


async def keep(session: AsyncSession, actor: str, name: str, data: bytes, now: dt.datetime) -> str:
    """Keep the file for ``actor`` and return the SHA-256 hex of its bytes; files older than
    KEPT, anyone's, go."""
    await session.exec(delete(ScheduleUpload).where(col(ScheduleUpload.created_at) < now - KEPT))
    digest = hashlib.sha256(data).hexdigest()
    found = await session.get(ScheduleUpload, (actor, digest))
    if found is None:
        session.add(
            ScheduleUpload(actor=actor, digest=digest, name=name[:200], data=data, created_at=now)
        )
    else:
        found.name, found.created_at = name[:200], now
        session.add(found)
    await session.flush()
    return digest


async def kept(
    session: AsyncSession, actor: str, digest: str, now: dt.datetime
) -> ScheduleUpload | None:
    """The file ``actor`` uploaded with this digest, when still kept and intact."""
    found = await session.get(ScheduleUpload, (actor, digest))
    if found is None or found.created_at < now - KEPT:
        return None
    if hashlib.sha256(found.data).hexdigest() != digest:
        return None
    return found


async def drop(session: AsyncSession, actor: str, digest: str) -> None:
    await session.exec(
        delete(ScheduleUpload).where(
            col(ScheduleUpload.actor) == actor, col(ScheduleUpload.digest) == digest
        )
    )

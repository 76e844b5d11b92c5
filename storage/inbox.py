"""Polled events kept from the moment they are taken until they are handled.

Zalo's getUpdates hands each event out once. The poller writes a batch here before handling
it and deletes each event once handled; a poller elected after a crash handles what is left
first. The Official Account's webhook keeps each event here the same way, so that it can
answer Zalo within 2 seconds and finish a slow event afterwards (bot/zalo_oa.py).
Handling twice is harmless (the dialogs skip a message id already handled).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import InboxEvent


async def keep(
    session: AsyncSession, channel: str, bodies: list[dict[str, Any]], now: dt.datetime
) -> list[int]:
    """Record a batch; the ids, in the batch's order."""
    rows = [InboxEvent(channel=channel, body=body, received_at=now) for body in bodies]
    session.add_all(rows)
    await session.flush()
    return [row.id or 0 for row in rows]


async def left(
    session: AsyncSession, channel: str, *, before: dt.datetime | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """Events taken but not handled, oldest first (only those received before ``before``)."""
    query = select(InboxEvent).where(InboxEvent.channel == channel)
    if before is not None:
        query = query.where(col(InboxEvent.received_at) < before)
    found = await session.exec(query.order_by(col(InboxEvent.id)))
    return [(row.id or 0, row.body) for row in found]


async def done(session: AsyncSession, event_id: int) -> None:
    await session.exec(delete(InboxEvent).where(col(InboxEvent.id) == event_id))  # type: ignore[call-overload]

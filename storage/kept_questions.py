"""Questions kept for the people who improve the bot: add, list for export, delete, prune.

The text arrives masked (handlers/questions/masking.py); nothing here reads it. Rows are
deleted with their person (storage/users.py) and after ``RETENTION`` (bot/scheduler.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.question_models import KeptQuestion

RETENTION = dt.timedelta(days=90)


async def add(
    session: AsyncSession,
    user_id: int,
    channel: str,
    text: str,
    topic: str,
    score: float,
    now: dt.datetime,
) -> None:
    session.add(
        KeptQuestion(
            user_id=user_id, channel=channel, text=text, topic=topic, score=score, created_at=now
        )
    )
    await session.flush()


async def since(session: AsyncSession, start: dt.datetime | None) -> list[KeptQuestion]:
    """Kept questions from ``start`` on (all when None), oldest first."""
    query = select(KeptQuestion).order_by(col(KeptQuestion.created_at), col(KeptQuestion.id))
    if start is not None:
        query = query.where(col(KeptQuestion.created_at) >= start)
    return list((await session.exec(query)).all())


async def count_of(session: AsyncSession, user_id: int, since: dt.datetime | None = None) -> int:
    query = select(func.count()).select_from(KeptQuestion).where(KeptQuestion.user_id == user_id)
    if since is not None:
        query = query.where(col(KeptQuestion.created_at) >= since)
    return (await session.exec(query)).one()


async def delete_of(session: AsyncSession, user_id: int) -> None:
    await session.exec(delete(KeptQuestion).where(col(KeptQuestion.user_id) == user_id))


async def prune(session: AsyncSession, now: dt.datetime) -> int:
    """Delete what was kept more than ``RETENTION`` before ``now``."""
    result = await session.exec(
        delete(KeptQuestion).where(col(KeptQuestion.created_at) < now - RETENTION)
    )
    return result.rowcount or 0

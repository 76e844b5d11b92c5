"""The outbox sender stops at any moment, even in the middle of a 429's pause."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.delivery import OutboxSender, Outcome, Result
from storage import outbox
from storage.db import session_factory, transaction


async def test_stop_during_a_429_pause_returns_at_once_and_gives_the_rows_back(engine):
    sessions = session_factory(engine)
    now = dt.datetime(2026, 12, 14, 3, 0, tzinfo=dt.UTC)
    async with transaction(sessions) as session:
        for n in range(10):
            payload = {"text": "Nhắc lịch", "buttons": []}
            await outbox.enqueue_one(
                session, f"k{n}", "telegram", str(900 + n), "notice", payload, now
            )
    pausing = asyncio.Event()

    async def transport(chat: str, replies: list) -> Result:  # type: ignore[type-arg]
        return Result(Outcome.RETRY_AFTER, retry_after=3600.0)

    async def pause(seconds: float) -> None:  # an hour's retry_after, as Telegram may ask
        pausing.set()
        await asyncio.Event().wait()

    sender = OutboxSender(engine, sessions, {"telegram": transport}, 25, lambda: now, sleep=pause)
    sender.start()
    await asyncio.wait_for(pausing.wait(), 10)
    await asyncio.wait_for(sender.stop(), 10)  # not an hour
    async with sessions() as session:
        counts = await outbox.counts(session)
    assert counts.get("sending", 0) == 0 and counts["pending"] == 10

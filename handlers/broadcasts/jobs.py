"""The broadcasts' side of the delivery engine: which may be sent now, and their periodic
work: start the due ones (one set-based expansion each), tell authors of progress, finish
them with a report, and put away what a cancelled broadcast still had queued.

The engine calls these on the elected sender only; every state change is one of
transitions.py's, made as a conditional UPDATE, and every message to an author has a unique
key, so a repeat does nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from handlers.broadcasts import transitions
from handlers.broadcasts.services import (
    LANGUAGES,
    area_communes,
    duration,
    in_quiet_hours,
    notify_author,
)
from handlers.broadcasts.transitions import SYSTEM, Act
from storage import audit, outbox
from storage import broadcasts as store
from storage.db import SessionFactory, transaction

log = logging.getLogger(__name__)

PROGRESS_STEPS = (25, 50, 75)
COUNT_EVERY = 30.0  # seconds between progress counts of one broadcast (a count reads its rows)
CANCEL_CHUNK = 20_000


async def active(session: AsyncSession, now: dt.datetime, tz: Any) -> list[int]:
    """Broadcasts whose rows may be sent now: the quiet hours hold the non-urgent ones."""
    quiet = in_quiet_hours(now, tz)
    return [
        b.id
        for b in await store.in_state(session, store.SENDING)
        if b.id is not None and (b.urgent or not quiet)
    ]


class BroadcastJobs:
    """What the elected sender does for broadcasts every few seconds."""

    def __init__(
        self, sessions: SessionFactory, content: Content, clock: Any, tz: Any, rate: float
    ) -> None:
        self.sessions, self.content, self.clock, self.tz, self.rate = (
            sessions, content, clock, tz, rate,
        )  # fmt: skip
        self._counted: dict[int, float] = {}

    async def active(self, session: AsyncSession, now: dt.datetime) -> list[int]:
        return await active(session, now, self.tz)

    async def __call__(self) -> None:
        await self.start_due()
        await self.follow()
        await self.put_away_cancelled()

    async def start_due(self) -> int:
        """Expand every due broadcast into its outbox rows; how many started."""
        now = self.clock()
        async with transaction(self.sessions) as session:
            due = await store.due(session, now)
        started = 0
        for broadcast in due:
            if not broadcast.urgent and in_quiet_hours(now, self.tz):
                continue  # held until the morning
            async with transaction(self.sessions) as session:
                assert broadcast.id is not None
                if not await transitions.apply(
                    session, broadcast, Act.START, SYSTEM, started_at=now
                ):
                    continue
                began = time.perf_counter()
                count = await store.expand(
                    session, broadcast, area_communes(broadcast.area_code), LANGUAGES, now
                )
                await store.move(
                    session, broadcast.id, (store.SENDING,), store.SENDING, recipients=count
                )
                await audit.record(
                    session, "system", "broadcast.start", f"broadcast:{broadcast.id}",
                    {"recipients": count}, now,
                )  # fmt: skip
                await notify_author(
                    self.content, session, broadcast, "broadcast.report_started",
                    f"bs:{broadcast.id}", now, recipients=count,
                    time=duration(self.content, count / self.rate, broadcast.author_language),
                )  # fmt: skip
            log.info(
                "broadcast %s started: %d recipients queued in %.2f s",
                broadcast.id, count, time.perf_counter() - began,
            )  # fmt: skip
            started += 1
        return started

    async def follow(self) -> None:
        """Progress to authors at 25/50/75 %, and the final report when nothing is left."""
        now = self.clock()
        async with transaction(self.sessions) as session:
            sending = await store.in_state(session, store.SENDING)
        for broadcast in sending:
            assert broadcast.id is not None
            async with transaction(self.sessions) as session:
                if not await outbox.broadcast_unfinished(session, broadcast.id):
                    await self._finish(session, broadcast, store.DONE, now)
                    continue
                last = self._counted.get(broadcast.id, 0.0)
                if time.monotonic() - last < COUNT_EVERY or not broadcast.recipients:
                    continue
                self._counted[broadcast.id] = time.monotonic()
                counts = await outbox.broadcast_counts(session, broadcast.id)
                handled = sum(counts.get(s, 0) for s in outbox.DELIVERY_ENDS)
                percent = 100 * handled // broadcast.recipients
                step = max((s for s in PROGRESS_STEPS if s <= percent), default=0)
                if step > broadcast.progress:
                    await store.move(
                        session, broadcast.id, (store.SENDING,), store.SENDING, progress=step
                    )
                    await notify_author(
                        self.content, session, broadcast, "broadcast.report_progress",
                        f"bp:{broadcast.id}:{step}", now, percent=step,
                        sent=counts.get("sent", 0), recipients=broadcast.recipients,
                    )  # fmt: skip

    async def put_away_cancelled(self) -> None:
        now = self.clock()
        async with transaction(self.sessions) as session:
            cancelled = await store.unfinished_cancelled(session)
        for broadcast in cancelled:
            assert broadcast.id is not None
            async with transaction(self.sessions) as session:
                await outbox.cancel_broadcast_rows(session, broadcast.id, CANCEL_CHUNK)
                if not await outbox.broadcast_unfinished(session, broadcast.id):
                    await self._finish(session, broadcast, store.CANCELLED, now)

    async def _finish(
        self, session: AsyncSession, broadcast: Any, state: str, now: dt.datetime
    ) -> None:
        act = Act.FINISH if state == store.DONE else Act.CLOSE
        if not await transitions.apply(session, broadcast, act, SYSTEM, finished_at=now):
            return
        counts = await outbox.broadcast_counts(session, broadcast.id)
        started = broadcast.started_at or now
        taken = duration(self.content, (now - started).total_seconds(), broadcast.author_language)
        figures = {
            "sent": counts.get("sent", 0),
            "blocked": counts.get("blocked", 0),
            "failed": counts.get("failed", 0),
            "cancelled": counts.get("cancelled", 0),
            "in_doubt": counts.get("in_doubt", 0),
            "unreachable": counts.get("unreachable", 0),
        }
        await audit.record(
            session, "system", "broadcast.finish", f"broadcast:{broadcast.id}",
            {"state": state, **figures, "seconds": round((now - started).total_seconds())}, now,
        )  # fmt: skip
        key = "broadcast.report_final" if state == store.DONE else "broadcast.report_cancelled"
        await notify_author(
            self.content, session, broadcast, key, f"bf:{broadcast.id}", now,
            time=taken, recipients=broadcast.recipients, **figures,
        )  # fmt: skip
        if figures["unreachable"]:  # people out of Zalo OA's window, with no ZNS for them
            await notify_author(
                self.content, session, broadcast, "broadcast.report_unreachable",
                f"bfu:{broadcast.id}", now, unreachable=figures["unreachable"],
            )  # fmt: skip
        if figures["in_doubt"]:
            await notify_author(
                self.content, session, broadcast, "broadcast.report_in_doubt",
                f"bfd:{broadcast.id}", now, in_doubt=figures["in_doubt"],
            )  # fmt: skip
        self._counted.pop(broadcast.id, None)

"""Outbound delivery: the one engine that sends reminders, notices and broadcasts.

Every message is an outbox row, written under a unique key before it is sent. The engine:

- is **one elected sender per deployment**: a PostgreSQL advisory lock held on its own
  connection (the other replicas stand by and take over within seconds when it dies), a
  file lock beside the database on SQLite. So the channel's ceiling and a 429's pause hold
  for the deployment as a whole, exactly, with no shared clock between processes;
- **claims** due rows in small batches (about ``CLAIM_SECONDS`` of sending), reminders and
  notices before broadcasts, with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
- **paces** sends with a start time every ``1/SEND_RATE_PER_SECOND`` seconds per channel (no
  bursts), keeps about one message per second per chat (a second row for a chat sent to
  less than a second ago waits), and runs the sends concurrently so a slow network round
  trip does not lower the rate (at most ``MAX_IN_FLIGHT`` at once);
- on a **429** pauses the whole channel for ``retry_after``: no request starts meanwhile;
  the row goes back to pending; on **5xx / network** errors the row is retried with backoff
  up to ``MAX_ATTEMPTS``; on **403** the row is ``blocked`` and the user marked, so later
  broadcasts and reminders skip them; a refused message is ``failed``;
- **records every outcome**, in small batches (one UPDATE per outcome every
  ``FLUSH_SECONDS``), so its own overhead stays small at a high ceiling;
- **stops at any moment**: on SIGTERM (``stop()``) the sends in flight finish and are
  recorded, the rows claimed but not begun go back to pending: nothing is sent twice. After
  a kill -9 the rows the dead sender held are still ``sending``; the next elected sender
  puts them back as pending and marks them ``in_doubt`` (they may have gone out just before
  the kill), counts them and logs them: at most that many messages arrive twice.

Delivery is at least once: Telegram's sendMessage has no idempotency key, so a message
accepted just before a crash cannot be told apart from one never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import fcntl
import heapq
import logging
import math
import os
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.core.context import Clock
from handlers.core.types import Reply
from storage import broadcasts as broadcast_store
from storage import outbox, users
from storage.db import SessionFactory, transaction

log = logging.getLogger(__name__)

# PostgreSQL advisory lock id: with several replicas only one sends at a time, so the
# channel's rate ceiling holds for the whole deployment.
SENDER_LOCK = 727275
MAX_ATTEMPTS = 5
LEASE = dt.timedelta(minutes=5)
BATCH = 200  # the largest claim
CLAIM_SECONDS = 0.2  # a claim holds about this much sending: the in-doubt bound at a kill
FLUSH_SECONDS = 0.05  # outcomes are written at least this often
PER_CHAT_SECONDS = 1.0  # about one message per second per chat
CATCH_UP = 0.05  # seconds of lost schedule a sender may make up (see Pacer)
RTT_WINDOW = 200  # sends over which the shortest round trip is taken
MAX_IN_FLIGHT = 48  # concurrent requests at most (a high ceiling over a slow network)
IDLE_SECONDS = 1.0  # with nothing due, look again this often (or when woken)
STANDBY_SECONDS = 2.0  # a replica that is not the sender tries to become it this often
TICK_SECONDS = 2.0  # broadcasts' own work (start, progress, report) this often


class Outcome(enum.Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # the user blocked the bot (403)
    RETRY_AFTER = "retry_after"  # rate limited (429)
    TRANSIENT = "transient"  # network trouble, 5xx: try again later
    REJECTED = "rejected"  # the platform refused this message: do not retry
    # No way to reach the person now: outside Zalo OA's 7-day window, with no ZNS consent or
    # template for this kind of message (bot/zalo_oa_reach.py). Counted, never retried.
    UNREACHABLE = "unreachable"
    HELD = "held"  # not to be sent before ``Result.not_before`` (ZNS at night): not an attempt


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    retry_after: float = 0.0
    error: str = ""
    # A long message goes out in parts: when a later part failed, what is still to send, so
    # the retry does not send the first parts again.
    rest: Reply | None = None
    not_before: dt.datetime | None = None  # HELD: when to try again
    in_doubt: bool = False  # it may have been sent (a ZNS whose answer never came)


# A channel's way to send replies to one user id on it, without retrying.
Transport = Callable[[str, list[Reply]], Awaitable[Result]]


@dataclass(frozen=True)
class OutboxItem:
    """One claimed row, for a transport that needs more than the chat and the message: the
    Zalo OA's, which picks customer-service message or ZNS by the row's kind, carries its key
    as ZNS's tracking id and reads the fields a ZNS template needs from its payload."""

    id: int
    key: str
    kind: str
    chat: str
    payload: dict[str, Any]


RowTransport = Callable[[OutboxItem, Reply], Awaitable[Result]]
# Which broadcasts may be sent now, in order (quiet hours hold some back).
ActiveBroadcasts = Callable[[AsyncSession, dt.datetime], Awaitable[list[int]]]
# The broadcasts' periodic work: start the due ones, report progress, finish.
Tick = Callable[[], Awaitable[None]]


@dataclass
class SendStats:
    sent: int = 0
    blocked: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0  # held back a moment: about one message per second per chat
    in_doubt: int = 0  # found claimed by a sender that died; sent again
    unreachable: int = 0  # outside Zalo OA's window, with no ZNS for them (bot/zalo_oa_reach.py)
    held: int = 0  # ZNS at night: back to pending until the morning
    zns_in_doubt: int = 0  # ZNS sends a dead sender had begun: never repeated (paid)
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return self.sent + self.blocked + self.failed + self.unreachable


@dataclass
class _Row:
    id: int
    channel: str
    chat: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    broadcast_id: int | None
    dedup_key: str = ""


def messages_needed(reply: Reply) -> int:
    """How many Bot API messages a reply takes (long texts are split)."""
    from bot.render import split_text  # bot.render imports nothing of ours

    if getattr(reply, "photo", None):
        return 1
    return max(1, len(split_text(reply.text)))


class Pacer:
    """Start times ``1/rate`` apart on a fixed schedule (GCRA): no burst after a quiet spell;
    a sender that fell behind by less than ``CATCH_UP`` seconds (a slow claim, a pause of the
    interpreter) makes it up, so the average stays at the ceiling and any one second holds
    at most ``rate × (1 + CATCH_UP)`` starts."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0

    async def turn(self, cost: int = 1) -> None:
        now = time.monotonic()
        start = max(self._next, now - CATCH_UP)
        self._next = start + cost * self.interval
        if start > now:
            await asyncio.sleep(start - now)

    def restart(self) -> None:
        """After a pause: the next start is now, not a burst of the slots missed."""
        self._next = time.monotonic()


class _Drain:
    """One pass of sending: claimed rows, sends in flight, outcomes not yet written."""

    def __init__(self, stats: SendStats) -> None:
        self.stats = stats
        self.claimed: deque[_Row] = deque()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.marks: list[tuple[_Row, Result]] = []
        self.waiting: list[tuple[float, int, _Row]] = []  # (ready at, id, row): a heap
        self.pause = 0.0  # seconds a 429 asked for, not yet waited
        self.last_flush = time.monotonic()


class OutboxSender:
    """Sends due outbox rows through the channels' transports, paced and resumable."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: SessionFactory,
        transports: dict[str, Transport],
        rate_per_second: float,
        clock: Clock,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        active_broadcasts: ActiveBroadcasts | None = None,
        tick: Tick | None = None,
        row_transports: dict[str, RowTransport] | None = None,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.transports = transports
        # Channels whose transport takes the whole row (the Zalo OA's): used instead of theirs.
        self.row_transports = row_transports or {}
        self.rate = rate_per_second
        self.clock = clock
        self.sleep = sleep  # the wait a 429 asks for (tests move a fake clock instead)
        self.active_broadcasts = active_broadcasts
        self.tick = tick
        # One pacer per channel: each platform has its own ceiling.
        self._pacers = {name: Pacer(rate_per_second) for name in transports}
        self._recent: OrderedDict[str, float] = OrderedDict()  # chat -> last start
        self._payloads: dict[int, dict[str, Any]] = {}  # broadcast id -> {lang: payload}
        self._drain_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._stopping = False
        self._stop_asked = asyncio.Event()  # ends a 429's pause early: stop() must not wait it out
        self._loop_elected = False
        self._task: asyncio.Task[None] | None = None
        self.in_doubt_total = 0
        # The network's round trip (the shortest send of the last RTT_WINDOW): starts low, so
        # the client does not open connections it will not need (each costs it time).
        self._latency = 0.01
        self._window_min, self._window_count = 1e9, 0

    # ---- claims sized to the ceiling ----------------------------------------------------

    @property
    def claim_size(self) -> int:
        return max(4, min(BATCH, math.ceil(self.rate * CLAIM_SECONDS)))

    # ---- election --------------------------------------------------------------------------

    @asynccontextmanager
    async def _elected(self) -> AsyncIterator[bool]:
        """True while this process is the deployment's only sender."""
        if self.engine.dialect.name == "postgresql":
            async with self._pg_elected() as got:
                yield got
            return
        async with self._file_elected() as got:
            yield got

    @asynccontextmanager
    async def _pg_elected(self) -> AsyncIterator[bool]:
        async with self.engine.connect() as conn:
            got = (await conn.execute(text(f"SELECT pg_try_advisory_lock({SENDER_LOCK})"))).scalar()
            await conn.commit()
            self._lock_conn = conn
            try:
                yield bool(got)
            finally:
                self._lock_conn = None
                if got:
                    with contextlib.suppress(Exception):
                        await conn.execute(text(f"SELECT pg_advisory_unlock({SENDER_LOCK})"))
                        await conn.commit()

    async def _still_elected(self) -> bool:
        """The lock lives on one connection: if the server dropped it, stop sending."""
        conn = getattr(self, "_lock_conn", None)
        if conn is None:
            return True
        try:
            held = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND objid = :id AND pid = pg_backend_pid() AND granted"
                    ),
                    {"id": SENDER_LOCK},
                )
            ).scalar()
            await conn.commit()
            return bool(held)
        except Exception:
            log.exception("the sender's lock connection failed; standing down")
            return False

    @asynccontextmanager
    async def _file_elected(self) -> AsyncIterator[bool]:
        """SQLite: one process sends; a lock file beside the database says which."""
        database = self.engine.url.database
        if not database or database == ":memory:":
            yield True
            return
        fd = os.open(f"{database}.sender-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    async def _take_over(self, stats: SendStats) -> None:
        """Just elected: rows still 'sending' belong to a sender that died."""
        async with transaction(self.sessions) as session:
            # ZNS is paid and has no idempotency key we can rely on: a ZNS send that had
            # begun is never repeated (at most once), it is recorded failed and in doubt.
            zns = await outbox.settle_zns_in_flight(session, list(self.transports))
            found = await outbox.recover_in_flight(session, list(self.transports))
        if zns:
            stats.zns_in_doubt += zns
            log.warning(
                "%d ZNS messages were being sent when the last sender died; they are not sent "
                "again (they may or may not have arrived) and are recorded failed, in doubt",
                zns,
            )
        if found:
            stats.in_doubt += found
            self.in_doubt_total += found
            log.warning(
                "%d messages were in flight when the last sender died; they are sent again "
                "(at most %d may arrive twice)",
                found,
                found,
            )

    # ---- the two ways to run: once (CLI, tests), or as the serving process's loop -------

    async def run_once(self, max_rows: int | None = None) -> SendStats:
        """Send everything due now (or ``max_rows`` of it); return what happened."""
        stats = SendStats()
        if not self.transports:
            return stats
        if self._loop_elected:  # this process's loop is the sender: take turns with it
            async with self._drain_lock:
                await self._tick()
                await self._drain(stats, max_rows)
                await self._tick()
            return stats
        async with self._elected() as elected:
            if not elected:
                return stats
            await self._take_over(stats)
            async with self._drain_lock:
                await self._tick()
                await self._drain(stats, max_rows)
                await self._tick()
        return stats

    def start(self) -> None:
        """Run the sender in the background until ``stop()`` (``vbsp-bot serve``, ``poll``)."""
        if self.transports and self._task is None:
            self._stopping = False
            self._stop_asked.clear()
            self._task = asyncio.create_task(self._run_forever(), name="outbox-sender")

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Finish the sends in flight, give the rest back, record everything, stand down."""
        self._stopping = True
        self._stop_asked.set()
        self._wake.set()
        if self._task is not None:
            try:
                await self._task
            finally:
                self._task = None

    async def _wait(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _run_forever(self) -> None:
        while not self._stopping:
            try:
                async with self._elected() as elected:
                    if not elected:
                        await self._wait(STANDBY_SECONDS)
                        continue
                    log.info("this process is the outbox sender")
                    # The sender before us may have sent up to a moment ago: start on an
                    # empty schedule, not with a catch-up burst on top of its last second.
                    for pacer in self._pacers.values():
                        pacer.restart()
                    stats = SendStats()
                    await self._take_over(stats)
                    self._loop_elected = True
                    try:
                        await self._serve()
                    finally:
                        self._loop_elected = False
            except Exception:
                log.exception("the outbox sender failed; starting again shortly")
                await self._wait(STANDBY_SECONDS)

    async def _serve(self) -> None:
        last_check = time.monotonic()
        last_tick = 0.0
        while not self._stopping:
            if time.monotonic() - last_check > STANDBY_SECONDS:
                if not await self._still_elected():
                    return
                last_check = time.monotonic()
            if time.monotonic() - last_tick >= TICK_SECONDS:
                await self._tick()
                last_tick = time.monotonic()
            stats = SendStats()
            self._wake.clear()
            async with self._drain_lock:
                await self._drain(stats, None, ticking=True)
            if stats.handled or stats.retried:
                log.info(
                    "outbox: sent %d, blocked %d, failed %d, unreachable %d, to retry %d",
                    stats.sent, stats.blocked, stats.failed, stats.unreachable, stats.retried,
                )  # fmt: skip
            if not self._stopping:
                await self._wait(IDLE_SECONDS)

    async def _tick(self) -> None:
        if self.tick is None or self._stopping:
            return
        try:
            await self.tick()
        except Exception:
            log.exception("broadcast tick failed")

    # ---- one drain ------------------------------------------------------------------------

    async def _claim(self, limit: int) -> list[_Row]:
        now = self.clock()
        async with transaction(self.sessions) as session:
            active = await self.active_broadcasts(session, now) if self.active_broadcasts else []
            rows = await outbox.claim_due(session, list(self.transports), now, LEASE, limit, active)
        return [_Row(*row) for row in rows]

    async def _drain(self, stats: SendStats, max_rows: int | None, ticking: bool = False) -> None:
        """Send until nothing is due (or ``max_rows`` rows were taken, or stop)."""
        drain = _Drain(stats)
        taken = 0
        prefetch: asyncio.Task[list[_Row]] | None = None
        last_tick = time.monotonic()
        ticker: asyncio.Task[None] | None = None
        try:
            while not self._stopping:
                if drain.pause:
                    await self._honour_pause(drain)
                    continue
                row = self._next_ready(drain)
                if row is None and not drain.claimed:
                    await self._flush(drain)  # retries are visible to the claim
                    if prefetch is None:
                        room = self.claim_size
                        if max_rows is not None:
                            room = min(room, max_rows - taken)
                        prefetch = asyncio.ensure_future(self._claim(room)) if room > 0 else None
                    rows = await prefetch if prefetch is not None else []
                    prefetch = None
                    taken += len(rows)
                    drain.claimed.extend(rows)
                    if rows:
                        continue
                    if drain.waiting:  # rows for chats written to a moment ago
                        await asyncio.sleep(max(0.0, drain.waiting[0][0] - time.monotonic()))
                        continue
                    if drain.in_flight:  # their outcomes may make rows due again
                        await asyncio.wait(list(drain.in_flight))
                        await self._flush(drain)
                        continue
                    if drain.marks or drain.pause:  # an outcome came in during the claim
                        continue
                    break
                if row is None:
                    row = drain.claimed.popleft()
                    ready = self._chat_ready(row)
                    if ready is not None:  # about one message a second per chat
                        heapq.heappush(drain.waiting, (ready, row.id, row))
                        stats.deferred += 1
                        continue
                # Claim the next batch while this one is being sent.
                if (
                    prefetch is None
                    and max_rows is None
                    and len(drain.claimed) <= (self.claim_size // 2)
                ):
                    prefetch = asyncio.ensure_future(self._claim(self.claim_size))
                reply = await self._reply_of(row)
                if reply is None:
                    drain.marks.append((row, Result(Outcome.REJECTED, error="no message")))
                    continue
                await self._pacers[row.channel].turn(messages_needed(reply))
                if self._stopping or drain.pause:
                    drain.claimed.appendleft(row)
                    continue
                self._recent[row.chat] = time.monotonic()
                self._recent.move_to_end(row.chat)
                while len(drain.in_flight) >= self._in_flight_limit():
                    await asyncio.wait(list(drain.in_flight), return_when=asyncio.FIRST_COMPLETED)
                task = asyncio.create_task(self._send(row, reply, drain))
                drain.in_flight.add(task)
                task.add_done_callback(drain.in_flight.discard)
                if time.monotonic() - drain.last_flush >= FLUSH_SECONDS:
                    await self._flush(drain)
                if (
                    ticking
                    and time.monotonic() - last_tick >= TICK_SECONDS
                    and (ticker is None or ticker.done())
                ):
                    # Start, report and cancel broadcasts during a long drain, beside it.
                    ticker = asyncio.create_task(self._tick())
                    last_tick = time.monotonic()
        finally:
            if drain.in_flight:  # the sends already begun finish and are recorded
                await asyncio.wait(list(drain.in_flight))
            if prefetch is not None:
                with contextlib.suppress(Exception):
                    drain.claimed.extend(await prefetch)
            left = [*drain.claimed, *(row for _ready, _id, row in drain.waiting)]
            await self._flush(drain, release=left)  # not begun: back to pending
            drain.claimed.clear()
            drain.waiting.clear()
            if ticker is not None:
                await ticker

    def _next_ready(self, drain: _Drain) -> _Row | None:
        """A held-back row whose chat may be written to again, if any."""
        if drain.waiting and drain.waiting[0][0] <= time.monotonic():
            return heapq.heappop(drain.waiting)[2]
        return None

    async def _honour_pause(self, drain: _Drain) -> None:
        """A 429 pauses the whole channel: no request starts until retry_after has passed."""
        seconds, drain.pause = drain.pause, 0.0
        if drain.in_flight:
            await asyncio.wait(list(drain.in_flight))
        await self._flush(drain)
        log.warning("rate limited: pausing all sending for %.1f s", seconds)
        pause = asyncio.ensure_future(self.sleep(seconds))
        stop = asyncio.ensure_future(self._stop_asked.wait())
        await asyncio.wait({pause, stop}, return_when=asyncio.FIRST_COMPLETED)
        for waiting in (pause, stop):
            waiting.cancel()
        for pacer in self._pacers.values():
            pacer.restart()

    def _chat_ready(self, row: _Row) -> float | None:
        """None when the row's chat may be written to now; else when it may (monotonic)."""
        now = time.monotonic()
        while self._recent:
            started = next(iter(self._recent.values()))
            if now - started < PER_CHAT_SECONDS:
                break
            self._recent.popitem(last=False)
        last = self._recent.get(row.chat)
        return None if last is None else last + PER_CHAT_SECONDS

    async def _payload_of(self, row: _Row) -> dict[str, Any]:
        """The row's message as stored: its own, or its broadcast's in its language."""
        payload = row.payload
        if row.broadcast_id is not None and "text" not in payload:
            rendered = self._payloads.get(row.broadcast_id)
            if rendered is None:
                async with transaction(self.sessions) as session:
                    rendered = await broadcast_store.payloads_of(session, row.broadcast_id)
                self._payloads[row.broadcast_id] = rendered
            payload = rendered.get(payload.get("lang", "vi")) or rendered.get("vi") or {}
        return payload

    async def _reply_of(self, row: _Row) -> Reply | None:
        payload = await self._payload_of(row)
        if "text" not in payload:
            return None
        return Reply.from_payload(payload)

    def _in_flight_limit(self) -> int:
        """Enough concurrent sends to keep the schedule over the network's round trip (rate
        × round trip, with room), and no more: every extra connection costs the client time.

        The round trip is the shortest of recent sends, not their average: time a send spends
        queued behind our own others says nothing about the network (and counting it would
        open ever more connections, slowing every send further)."""
        return max(2, min(MAX_IN_FLIGHT, math.ceil(self.rate * self._latency * 2) + 1))

    def _measured(self, seconds: float) -> None:
        self._window_min = min(self._window_min, seconds)
        self._window_count += 1
        if self._window_count >= RTT_WINDOW:
            self._latency, self._window_min, self._window_count = self._window_min, 1e9, 0

    async def _send(self, row: _Row, reply: Reply, drain: _Drain) -> None:
        began = time.monotonic()
        try:
            row_transport = self.row_transports.get(row.channel)
            if row_transport is not None:
                payload = await self._payload_of(row)  # a broadcast's: cached, no query
                item = OutboxItem(row.id, row.dedup_key, row.kind, row.chat, payload)
                result = await row_transport(item, reply)
            else:
                result = await self.transports[row.channel](row.chat, [reply])
            self._measured(time.monotonic() - began)
        except Exception as exc:  # a bug or an unexpected error: keep the row, retry later
            log.exception("sending outbox row %s failed", row.id)
            result = Result(Outcome.TRANSIENT, error=f"{exc.__class__.__name__}: {exc}")
        if result.outcome is Outcome.RETRY_AFTER:
            drain.pause = max(drain.pause, result.retry_after)
        drain.marks.append((row, result))

    async def _flush(self, drain: _Drain, release: list[_Row] | None = None) -> None:
        """Write the outcomes gathered so far: one UPDATE per kind of outcome."""
        marks, drain.marks = drain.marks, []
        drain.last_flush = time.monotonic()
        if not marks and not release:
            return
        stats = drain.stats
        now = self.clock()
        sent: list[int] = []
        blocked: list[_Row] = []
        unreachable: dict[str, list[int]] = {}  # by why: one UPDATE per reason
        async with transaction(self.sessions) as session:
            for row, result in marks:
                attempts = row.attempts + 1
                if result.outcome is Outcome.HELD:
                    await outbox.mark(
                        session, row.id, outbox.PENDING, now, not_before=result.not_before or now
                    )
                    stats.held += 1
                elif result.outcome is Outcome.UNREACHABLE:
                    unreachable.setdefault(result.error, []).append(row.id)
                    stats.unreachable += 1
                elif result.outcome is Outcome.SENT:
                    sent.append(row.id)
                    stats.sent += 1
                    stats.by_kind[row.kind] = stats.by_kind.get(row.kind, 0) + 1
                elif result.outcome is Outcome.BLOCKED:
                    blocked.append(row)
                    stats.blocked += 1
                elif result.outcome is Outcome.RETRY_AFTER:
                    wait = dt.timedelta(seconds=result.retry_after)
                    await outbox.mark(
                        session, row.id, outbox.PENDING, now, not_before=now + wait,
                        payload=result.rest.to_payload() if result.rest else None,
                    )  # fmt: skip
                    stats.retried += 1
                elif result.outcome is Outcome.TRANSIENT and attempts < MAX_ATTEMPTS:
                    backoff = dt.timedelta(seconds=30 * 2 ** (attempts - 1))
                    await outbox.mark(
                        session, row.id, outbox.PENDING, now,
                        not_before=now + backoff, attempts=attempts, error=result.error,
                        payload=result.rest.to_payload() if result.rest else None,
                    )  # fmt: skip
                    stats.retried += 1
                else:
                    await outbox.mark(
                        session, row.id, outbox.FAILED, now, attempts=attempts,
                        error=result.error, in_doubt=result.in_doubt or None,
                    )  # fmt: skip
                    stats.failed += 1
            await outbox.mark_many(session, sent, outbox.SENT, now)
            await outbox.mark_many(session, [r.id for r in blocked], outbox.BLOCKED, now)
            for why, ids in unreachable.items():
                await outbox.mark_many(session, ids, outbox.UNREACHABLE, now, error=why)
            for row in blocked:
                await users.set_blocked(session, row.channel, row.chat, True)
            if release:
                await outbox.mark_many(
                    session, [r.id for r in release], outbox.PENDING, now, attempted=False
                )

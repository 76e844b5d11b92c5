"""The delivery engine as real `vbsp-bot serve` processes against the fake Bot API: stopped
half-way by SIGTERM (nothing twice) or kill -9 (at most the in-flight messages twice, and
counted), then restarted; and two serving processes on PostgreSQL sharing one ceiling."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import func, insert, select

from bot.clock import clock_env, shifted_clock
from content.loader import load_content
from handlers.broadcasts.services import payloads
from storage import broadcasts as store
from storage import outbox
from storage.db import create_engine, session_factory, transaction, upgrade
from storage.models import Broadcast, Outbox, User
from tests.bot.test_serve_process import free_port
from tests.conftest import require_postgres
from tests.fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.slow  # real servers: SIGTERM, kill -9, two at once

TOKEN = "434343:DELIVERY-process"
SECRET = "delivery-secret"
AUTHOR = 5570000
FIRST = 5571000
NOW = dt.datetime(2026, 12, 14, 3, 0, tzinfo=dt.UTC)  # 10:00 in Vietnam
TEXT = "Thông báo thử: giao dịch ngày 20"


async def seed(url: str, api: FakeTelegramAPI, recipients: int) -> None:
    """Citizens of one commune and a confirmed broadcast to it, ready to start."""
    engine = create_engine(url)
    await upgrade(engine)
    rows = [
        {
            "channel": "telegram", "channel_user_id": str(FIRST + n), "language": "vi",
            "consent_at": NOW, "commune_code": "21220", "created_at": NOW,
            "last_seen_at": NOW, "blocked": False, "announcements": True,
        }
        for n in range(recipients)
    ]  # fmt: skip
    for n in range(recipients):
        api.add_chat(FIRST + n)
    api.add_chat(AUTHOR)
    async with transaction(session_factory(engine)) as session:
        await (await session.connection()).execute(insert(User), rows)
        broadcast = Broadcast(
            author=f"telegram:{AUTHOR}", area_code="21220", text=TEXT, status=store.QUEUED,
            created_at=NOW, confirmed_at=NOW,
        )  # fmt: skip
        broadcast.payloads = payloads(load_content(), broadcast)
        await store.create(session, broadcast)
    await engine.dispose()


async def outbox_figures(url: str) -> tuple[str, int, int]:
    """The broadcast's state, its rows not yet handled, and its rows marked in doubt."""
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            state = (await session.exec(select(Broadcast.status))).scalar_one()  # type: ignore[call-overload]
            left = (
                await session.exec(
                    select(func.count()).where(
                        Outbox.broadcast_id.is_not(None), Outbox.status.in_(("pending", "sending"))
                    )
                )  # type: ignore[call-overload]
            ).scalar_one()
            doubt = (
                await session.exec(
                    select(func.count()).where(Outbox.broadcast_id.is_not(None), Outbox.in_doubt)
                )  # type: ignore[call-overload]
            ).scalar_one()
        return state, int(left), int(doubt)
    finally:
        await engine.dispose()


async def queue_empty(url: str, at: float) -> bool:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            depth = await outbox.queue_depth(session, shifted_clock(NOW, at)())
        return not any(n for (_channel, state), n in depth.items() if state != "later")
    finally:
        await engine.dispose()


class Serve:
    """One `vbsp-bot serve` process; its log is read as it comes (a full pipe would block it).

    Every process runs on the test's clock: ``NOW`` (10:00 in Vietnam, outside the quiet
    hours) at the wall-clock moment ``at``, whatever the machine's time of day."""

    started: ClassVar[list[Serve]] = []  # ended by the ``end_processes`` fixture whatever happens

    def __init__(self, url: str, api: FakeTelegramAPI, cwd: Path, rate: float, at: float) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
        self.env.update(
            DATABASE_URL=url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.root,
            TELEGRAM_WEBHOOK_SECRET=SECRET, SEND_RATE_PER_SECOND=str(rate), LOG_LEVEL="INFO",
            **clock_env(NOW, at),
        )  # fmt: skip
        self.cwd = cwd
        self.log: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> Serve:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", str(free_port()),
            env=self.env, cwd=self.cwd,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        Serve.started.append(self)
        self._reader = asyncio.create_task(self._read())
        await self.wait_for("serving on", 60)
        return self

    async def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.log.append(line.decode(errors="replace"))

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.log)

    async def wait_for(self, text: str, within: float) -> None:
        deadline = time.monotonic() + within
        while not self.saw(text):
            assert self.process is not None
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in the log:\n{''.join(self.log)}")
            await asyncio.sleep(0.05)

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), 60)
        if self._reader is not None:
            await self._reader
        return code


def received(api: FakeTelegramAPI, recipients: int) -> Counter[int]:
    """How many copies of the announcement each recipient got."""
    return Counter(
        chat
        for chat in range(FIRST, FIRST + recipients)
        for message in api.messages(chat)
        if TEXT in message.plain_text
    )


async def sent_so_far(api: FakeTelegramAPI) -> int:
    return sum(1 for call in api.calls_to("sendMessage") if call.params.get("chat_id", 0) >= FIRST)


async def until(condition, within: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def run_and_interrupt(url: str, api, tmp_path: Path, sig: int, recipients: int = 240):
    """Start serving, stop it with ``sig`` half-way, start again, let it finish."""
    at = time.time()
    await seed(url, api, recipients)
    first = await Serve(url, api, tmp_path, rate=60, at=at).start()
    await until(lambda: _at_least(api, recipients // 3), 60, "a third of the messages")
    code = await first.stop(sig)
    at_stop = await sent_so_far(api)
    assert at_stop < recipients, "stopped too late to test anything"
    state, left, doubt_at_stop = await outbox_figures(url)
    second = await Serve(url, api, tmp_path, rate=60, at=at).start()

    async def done() -> bool:  # finished, and its author told (the last message queued)
        return any("Đã gửi xong" in m.plain_text for m in api.messages(AUTHOR))

    await until(done, 90, "the broadcast to finish")
    # A second notice to the author (in doubt) comes a second per chat behind the first.
    await until(lambda: queue_empty(url, at), 30, "every notice to be sent")
    await second.stop()
    state, left, doubt = await outbox_figures(url)
    assert (state, left) == ("done", 0)
    copies = received(api, recipients)
    return code, first, second, copies, doubt, doubt_at_stop


async def _at_least(api, count: int) -> bool:
    return await sent_so_far(api) >= count


@pytest.fixture(autouse=True)
async def end_processes():
    """Whatever a test did or failed to do, no process it started outlives it."""
    yield
    while Serve.started:
        serve = Serve.started.pop()
        if serve.process is not None and serve.process.returncode is None:
            serve.process.kill()
            await serve.process.wait()
        if serve._reader is not None:
            serve._reader.cancel()


@pytest.fixture
async def api():
    async with FakeTelegramAPI(token=TOKEN) as api:
        yield api
        assert api.rejected == []


async def test_sigterm_half_way_then_restart_sends_the_rest_and_nothing_twice(api, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/sigterm.db"
    code, first, second, copies, doubt, _ = await run_and_interrupt(
        url, api, tmp_path, signal.SIGTERM
    )
    assert code == 0, "".join(first.log)
    assert not first.saw("Traceback") and not second.saw("Traceback")
    assert set(copies.values()) == {1} and len(copies) == 240  # everyone, once
    assert doubt == 0  # a clean stop leaves nothing in doubt
    assert any("Đã gửi xong thông báo số 1" in m.plain_text for m in api.messages(AUTHOR))


async def test_kill_9_half_way_then_restart_doubles_at_most_the_in_flight_and_says_so(
    api, tmp_path
):
    url = f"sqlite+aiosqlite:///{tmp_path}/kill.db"
    code, _first, second, copies, doubt, doubt_at_stop = await run_and_interrupt(
        url, api, tmp_path, signal.SIGKILL
    )
    assert code == -signal.SIGKILL
    assert len(copies) == 240  # everyone got it
    duplicates = sum(n - 1 for n in copies.values())
    assert doubt_at_stop == 0  # counted by the next sender, not by the one killed
    assert duplicates <= doubt  # at most the messages in flight at the kill
    assert doubt <= 60, "the in-flight window is about a claim's worth, not the whole queue"
    if doubt:
        assert second.saw("were in flight when the last sender died")
        author = [m.plain_text for m in api.messages(AUTHOR)]
        assert any(f"tối đa {doubt} người có thể nhận hai lần" in text for text in author)


async def test_two_serving_processes_on_postgresql_share_one_ceiling(api, tmp_path):
    require_postgres()
    import uuid

    import asyncpg

    from tests.conftest import PG_URL, _dsn

    name = f"vbsp_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(PG_URL))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    try:
        recipients, rate, at = 300, 40, time.time()
        await seed(url, api, recipients)
        # Telegram's ceiling = ours (bursts of a fifth of a second): two senders at 40/s
        # each would be answered 429 again and again.
        limit = api.enforce_rate(rate)
        one = await Serve(url, api, tmp_path, rate=rate, at=at).start()
        two = await Serve(url, api, tmp_path, rate=rate, at=at).start()
        await until(lambda: _at_least(api, recipients // 3), 60, "a third of the messages")

        # Kill whichever is sending: the other takes over.
        async def elected() -> bool:
            return one.saw("this process is the outbox sender") or two.saw(
                "this process is the outbox sender"
            )

        await until(elected, 10, "a sender to say so in its log")
        sender = one if one.saw("this process is the outbox sender") else two
        standby = two if sender is one else one
        await sender.stop(signal.SIGKILL)

        async def done() -> bool:
            return (await outbox_figures(url))[0] == "done"

        await until(done, 90, "the broadcast to finish")
        assert standby.saw("this process is the outbox sender")
        await standby.stop()
        _state, _left, doubt = await outbox_figures(url)
        copies = received(api, recipients)
        assert len(copies) == recipients
        assert sum(n - 1 for n in copies.values()) <= doubt
        # Together they never went over the ceiling (a fifth of a second's burst, as
        # Telegram allows): the fake answered no 429, and on average they kept to the rate.
        # (Any one second is not checked: this machine's scheduling jitter moves arrivals.)
        assert limit.limited == 0 and limit.during_pause == 0
        first, last = limit.accepted[0], limit.accepted[-1]
        assert (len(limit.accepted) - 1) / (last - first) <= rate * 1.05
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

"""ZNS is paid: a real `vbsp-bot serve` killed with SIGKILL while ZNS requests are in flight
sends none of them twice. The next sender records them failed and in doubt (Zalo may have
sent them, or not), counts them, logs them, and sends the rest once each."""

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
from aiohttp import web
from sqlalchemy import insert, select

from bot.clock import clock_env
from handlers.core import zns
from storage import outbox
from storage.db import create_engine, session_factory, transaction, upgrade
from storage.models import Outbox, User
from storage.zalo_oa_contact_models import ZaloOaContact, ZnsPhone
from tests.bot.test_serve_process import free_port
from tests.fakes.zalo_oa_api import FakeZaloOA

pytestmark = pytest.mark.slow  # real servers, kill -9

NOW = dt.datetime(2026, 12, 14, 3, 0, tzinfo=dt.UTC)  # 10:00 in Vietnam: ZNS may go
PEOPLE = 40
HOLD_AFTER = 12  # Zalo answers this many ZNS at once, then takes the rest without answering


class HeldZalo(FakeZaloOA):
    """The fake OA, whose ZNS answers stop after ``hold_after`` sends: the later requests are
    taken (and recorded as sent, as Zalo would) but answered only when ``release`` is set."""

    def __init__(self, hold_after: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.hold_after = hold_after
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def _zns(self, request: web.Request) -> web.Response:
        response = await super()._zns(request)
        if len(self.zns_sent) > self.hold_after and not self.release.is_set():
            self.holding.set()
            await self.release.wait()
        return response


async def seed(url: str) -> None:
    """OA followers silent for 10 days who gave a phone, each with a reminder due."""
    engine = create_engine(url)
    await upgrade(engine)
    last = NOW - dt.timedelta(days=10)
    fields = zns.zns_fields(
        zns.REMINDER, point_name="Điểm Tịnh Hà", address="UBND xã cũ", date="15/12/2026",
        start_time="07:30", end_time="11:00", office="PGD Sơn Tịnh", office_phone="0255 000",
    )  # fmt: skip
    async with transaction(session_factory(engine)) as session:
        connection = await session.connection()
        await connection.execute(
            insert(User),
            [
                {
                    "channel": "zalo_oa", "channel_user_id": f"oa{n}", "language": "vi",
                    "consent_at": last, "created_at": last, "last_seen_at": last,
                    "blocked": False, "announcements": True,
                }
                for n in range(PEOPLE)
            ],
        )  # fmt: skip
        ids = dict((await session.exec(select(User.channel_user_id, User.id))).all())  # type: ignore[call-overload]
        for n in range(PEOPLE):
            user_id = ids[f"oa{n}"]
            session.add(ZaloOaContact(user_id=user_id, last_interaction_at=last))
            session.add(
                ZnsPhone(
                    user_id=user_id, purpose="notices", phone=f"8491{n:07d}", consented_at=last
                )
            )
            payload = {"text": "Nhắc lịch", "buttons": [], "zns": fields}
            await outbox.enqueue_one(
                session, f"rem:P1:2026-12-15:day:{user_id}", "zalo_oa", f"oa{n}",
                "reminder_day", payload, NOW,
            )  # fmt: skip
    await engine.dispose()


async def rows(url: str) -> list[Outbox]:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            return list((await session.exec(select(Outbox))).scalars().all())  # type: ignore[call-overload]
    finally:
        await engine.dispose()


class Serve:
    """One `vbsp-bot serve` with only the OA channel on; its log read as it comes."""

    started: ClassVar[list[Serve]] = []

    def __init__(self, url: str, oa: FakeZaloOA, refresh_token: str, at: float) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
        self.env.update(
            DATABASE_URL=url, ZALO_OA_APP_ID=oa.app_id, ZALO_OA_APP_SECRET=oa.app_secret,
            ZALO_OA_SECRET_KEY=oa.oa_secret_key, ZALO_OA_REFRESH_TOKEN=refresh_token,
            ZALO_OA_API_BASE_URL=oa.root, ZALO_OA_OAUTH_BASE_URL=oa.root,
            ZALO_ZNS_API_BASE_URL=oa.root, ZALO_ZNS_TEMPLATE_REMINDER="250001:ngay=date",
            SEND_RATE_PER_SECOND="20", LOG_LEVEL="INFO", **clock_env(NOW, at),
        )  # fmt: skip
        self.log: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self, cwd: Path) -> Serve:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", str(free_port()),
            env=self.env, cwd=cwd,
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


async def test_a_sender_killed_mid_zns_sends_nothing_twice(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path}/zns-kill.db"
    at = time.time()
    await seed(url)
    async with HeldZalo(HOLD_AFTER) as oa:
        oa.add_template("250001", ["ngay"])
        try:
            first = await Serve(url, oa, oa.issue_refresh_token(), at).start(tmp_path)
            await asyncio.wait_for(oa.holding.wait(), 60)  # ZNS requests in flight now
            assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
        finally:
            oa.release.set()  # the held requests are answered (to no one)
        accepted_at_kill = len(oa.zns_sent)
        held = accepted_at_kill - HOLD_AFTER
        assert 1 <= held < PEOPLE - HOLD_AFTER, "killed too late to test anything"

        # The refresh token in the environment was spent by the first process; the second
        # reads the one it kept in the database.
        second = await Serve(url, oa, "spent-already-0000", at).start(tmp_path)
        deadline = time.monotonic() + 60
        while any(r.status in ("pending", "sending") for r in await rows(url)):
            assert time.monotonic() < deadline, "".join(second.log)
            await asyncio.sleep(0.1)
        await second.stop()

    found = await rows(url)
    by_status = Counter(r.status for r in found)
    sends = Counter(z.tracking_id for z in oa.zns_sent)
    assert max(sends.values()) == 1  # nobody's reminder went twice
    failed = [r for r in found if r.status == "failed"]
    # A row's ZNS mark is written before its request leaves: every request Zalo held at the
    # kill (and any that had not left yet) is recorded failed and in doubt, never repeated.
    assert held <= len(failed) <= 8  # the sends in flight: a few, not the queue
    assert all(r.in_doubt and r.last_error == outbox.ZNS_IN_DOUBT for r in failed)
    assert by_status == {"sent": PEOPLE - len(failed), "failed": len(failed)}
    assert all(sends[r.dedup_key] == 1 for r in found if r.status == "sent")
    # Rows claimed but not begun at the kill are in doubt too (a chat message might have
    # gone), and were sent by the next sender: once, since their ZNS had not begun.
    assert second.saw(f"{len(failed)} ZNS messages were being sent when the last sender died")
    assert not second.saw("Traceback")

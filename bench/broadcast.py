"""Broadcast delivery at scale: `vbsp-bot serve` processes against the loopback fake Bot API.

Seeds ``--recipients`` citizens of one province and a confirmed broadcast to it (bulk
inserts; not timed), starts one or two real ``vbsp-bot serve`` processes, and lets the
fake Bot API (in this process) enforce Telegram's bulk limit: a token bucket at the
ceiling, answering 429 with ``retry_after`` beyond it and counting any request that arrives
during a pause. For each run it prints:

- expansion: the broadcast's INSERT … SELECT of every recipient (from the sender's log);
- the achieved rate over the sending window, as a fraction of ``SEND_RATE_PER_SECOND``;
- 429s answered, requests during a pause, the most sends in any 1-second window;
- duplicates (recipients who got the message more than once: must be 0) and losses;
- peak RSS of each serving process (VmHWM).

Runs: a short one at 30 msg/s (``--short-seconds`` of sending, then SIGTERM: it must leave
nothing in doubt), and a full one at ``--high-rate`` (every recipient; the engine's own
overhead shows as the gap to the ceiling). With ``--pg`` the same on PostgreSQL, and both
again with two serving processes sharing the ceiling.

    python bench/broadcast.py                       # SQLite, 100,000 recipients
    python bench/broadcast.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/broadcast.py --recipients 20000 --high-rate 300 --short-seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import socket
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.clock import clock_env  # noqa: E402
from content.loader import load_content  # noqa: E402
from content.places import communes_of_province  # noqa: E402
from handlers.broadcasts.services import payloads  # noqa: E402
from storage.db import create_engine, upgrade  # noqa: E402
from storage.models import Broadcast  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402

TOKEN = "123456:BENCH-broadcast"
SECRET = "bench-secret"
PROVINCE = 51  # Quảng Ngãi
FIRST_CHAT = 6_100_000_000
AUTHOR = 6_099_999_999
TEXT = "Thông báo: lịch giao dịch tháng 12 chuyển sang ngày 20. Mang theo sổ vay."
SEEDED = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
CLOCK_AT = time.time()  # every serving process reads SEEDED at this wall-clock moment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def user_rows(n: int) -> list[tuple]:
    codes = [c.code for c in communes_of_province(PROVINCE)]
    return [
        (i + 1, "telegram", str(FIRST_CHAT + i), "en" if i % 10 == 0 else "vi", SEEDED,
         codes[i % len(codes)], SEEDED, SEEDED, False, True)
        for i in range(n)
    ]  # fmt: skip


USER_COLUMNS = [
    "id", "channel", "channel_user_id", "language", "consent_at", "commune_code",
    "created_at", "last_seen_at", "blocked", "announcements",
]  # fmt: skip
BROADCAST_COLUMNS = [
    "author", "author_language", "area_code", "subscribers_only", "urgent", "text", "photo",
    "payloads", "status", "created_at", "confirmed_at", "recipients", "progress",
]  # fmt: skip


def broadcast_row() -> tuple:
    draft = Broadcast(author=f"telegram:{AUTHOR}", area_code=str(PROVINCE), text=TEXT)
    rendered = payloads(load_content(), draft)
    return (
        draft.author, "vi", draft.area_code, False, False, TEXT, None, rendered,
        "queued", SEEDED, SEEDED, 0, 0,
    )  # fmt: skip


async def seed(url: str, n: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    if url.startswith("sqlite"):
        import json

        def stored(value: object) -> object:
            if isinstance(value, dt.datetime):
                return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            if isinstance(value, dict):
                return json.dumps(value)
            return int(value) if isinstance(value, bool) else value

        db = sqlite3.connect(url.split("///", 1)[1])
        with db:
            marks = ", ".join("?" * len(USER_COLUMNS))
            db.executemany(
                f"INSERT INTO users ({', '.join(USER_COLUMNS)}) VALUES ({marks})",
                [tuple(stored(v) for v in row) for row in user_rows(n)],
            )
            marks = ", ".join("?" * len(BROADCAST_COLUMNS))
            db.execute(
                f"INSERT INTO broadcasts ({', '.join(BROADCAST_COLUMNS)}) VALUES ({marks})",
                tuple(stored(v) for v in broadcast_row()),
            )
        db.close()
        return
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.set_type_codec(
            "json", encoder=__import__("json").dumps, decoder=__import__("json").loads,
            schema="pg_catalog",
        )  # fmt: skip
        await conn.copy_records_to_table("users", records=user_rows(n), columns=USER_COLUMNS)
        await conn.execute(
            f"INSERT INTO broadcasts ({', '.join(BROADCAST_COLUMNS)}) VALUES "
            f"({', '.join(f'${i + 1}' for i in range(len(BROADCAST_COLUMNS)))})",
            *broadcast_row(),
        )
        await conn.execute("SELECT setval(pg_get_serial_sequence('users', 'id'), $1)", n)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


class Serve:
    """One `vbsp-bot serve` process, its log read as it comes."""

    def __init__(self, url: str, api_root: str, rate: float, cwd: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ZALO_"))}
        self.env.update(
            DATABASE_URL=url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api_root,
            TELEGRAM_WEBHOOK_SECRET=SECRET, SEND_RATE_PER_SECOND=f"{rate:g}", LOG_LEVEL="INFO",
            # 10:00 in Vietnam whatever the hour here: quiet hours would hold the broadcast.
            **clock_env(SEEDED, CLOCK_AT),
        )  # fmt: skip
        self.cwd = cwd
        self.log: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self.peak_mib = 0.0

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", str(free_port()),
            env=self.env, cwd=self.cwd,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())
        while not any("serving on" in line for line in self.log):
            if self.process.returncode is not None:
                raise SystemExit("serve exited:\n" + "".join(self.log))
            await asyncio.sleep(0.05)

    async def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.log.append(line.decode(errors="replace"))

    def sample_memory(self) -> None:
        assert self.process is not None
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        self.peak_mib = max(self.peak_mib, int(line.split()[1]) / 1024)
        except OSError:
            pass

    async def stop(self) -> int:
        assert self.process is not None
        self.sample_memory()
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 120)
        await self._reader
        return code

    def expansion(self) -> str:
        for line in self.log:
            if "recipients queued in" in line:
                return line.split("broadcast 1 started: ", 1)[-1].strip()
        return ""


@dataclass
class Figures:
    label: str
    ceiling: float
    processes: int
    sent: int = 0
    window: float = 0.0
    limited: int = 0
    during_pause: int = 0
    max_second: int = 0
    duplicates: int = 0
    missing: int = 0
    in_doubt: int = 0
    peak_mib: tuple[float, ...] = ()
    expansion: str = ""
    exit_codes: tuple[int, ...] = ()

    def line(self) -> str:
        rate = (self.sent - 1) / self.window if self.window else 0.0
        return (
            f"{self.label:<34} ceiling {self.ceiling:>4g}/s: {self.sent:>7,} sent in "
            f"{self.window:6.1f} s = {rate:7.1f} msg/s = {rate / self.ceiling:6.1%} of the "
            f"ceiling; 429s {self.limited}, during a pause {self.during_pause}, max in 1 s "
            f"{self.max_second}; duplicates {self.duplicates}, missing {self.missing}, in doubt "
            f"{self.in_doubt}; peak RSS {', '.join(f'{m:.0f}' for m in self.peak_mib)} MiB; "
            f"exit {','.join(map(str, self.exit_codes))}"
        )


async def one_run(
    url: str, n: int, rate: float, processes: int, short_seconds: float | None, label: str
) -> Figures:
    await seed(url, n)
    figures = Figures(label, rate, processes)
    async with FakeTelegramAPI(token=TOKEN) as api:
        api.add_chat(AUTHOR)
        for i in range(n):
            api.add_chat(FIRST_CHAT + i)
        limit = api.enforce_rate(rate, burst=max(2.0, rate / 5), retry_after=1)
        with tempfile.TemporaryDirectory() as cwd:
            serves = [Serve(url, api.root, rate, cwd) for _ in range(processes)]
            for serve in serves:
                await serve.start()
            started = time.monotonic()
            deadline = None
            while True:
                await asyncio.sleep(0.5)
                for serve in serves:
                    serve.sample_memory()
                accepted = len(limit.accepted)
                if short_seconds is not None and deadline is None and accepted > 0:
                    deadline = time.monotonic() + short_seconds
                if deadline is not None and time.monotonic() >= deadline:
                    break
                done = any("Đã gửi xong" in m.plain_text for m in api.messages(AUTHOR))
                if short_seconds is None and done:
                    break
                if time.monotonic() - started > 3600:
                    raise SystemExit("bench: the broadcast did not finish within an hour")
            codes = [await serve.stop() for serve in serves]
        to_recipients = [
            (call.params["chat_id"], moment)
            for call, moment in _accepted_calls(api, limit)
            if call.params.get("chat_id", 0) >= FIRST_CHAT
        ]
        times = [moment for _chat, moment in to_recipients]
        per_chat = Counter(chat for chat, _moment in to_recipients)
        figures.sent = len(to_recipients)
        figures.window = (max(times) - min(times)) if len(times) > 1 else 0.0
        figures.limited = limit.limited
        figures.during_pause = limit.during_pause
        figures.max_second = limit.max_in_window(1.0)
        figures.duplicates = sum(c - 1 for c in per_chat.values())
        figures.missing = 0 if short_seconds is not None else n - len(per_chat)
        figures.peak_mib = tuple(serve.peak_mib for serve in serves)
        figures.expansion = next((s.expansion() for s in serves if s.expansion()), "")
        figures.exit_codes = tuple(codes)
        figures.in_doubt = sum(
            int(line.split(" messages were in flight")[0].rsplit(" ", 1)[-1])
            for serve in serves
            for line in serve.log
            if "messages were in flight" in line
        )
    return figures


def _accepted_calls(api: FakeTelegramAPI, limit) -> list:  # type: ignore[no-untyped-def]
    """The send calls the fake let through, with their arrival times."""
    sends = [c for c in api.calls if c.method in ("sendMessage", "sendPhoto")]
    rejected = {id(r.params) for r in api.rejected}
    through = [c for c in sends if id(c.params) not in rejected]
    return list(zip(through, limit.accepted, strict=False))


async def backend(url_for, args: argparse.Namespace, name: str, processes: int) -> None:  # type: ignore[no-untyped-def]
    label = f"{name}, {processes} process{'es' if processes > 1 else ''}"
    if args.short_seconds:
        async with url_for() as url:
            short = await one_run(
                url, args.recipients, 30, processes, args.short_seconds, f"{label}, short"
            )
        print(short.line(), flush=True)
    if args.high_rate:
        async with url_for() as url:
            high = await one_run(
                url, args.recipients, args.high_rate, processes, None, f"{label}, all"
            )
        print(high.line(), flush=True)
        print(f"{'':<34} expansion: {high.expansion}", flush=True)


def sqlite_url():  # type: ignore[no-untyped-def]
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def make():  # type: ignore[no-untyped-def]
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/bench.db"

    return make


def pg_url(server: str):  # type: ignore[no-untyped-def]
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def make():  # type: ignore[no-untyped-def]
        name = f"vbsp_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://", 1))
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{server.rsplit('/', 1)[0]}/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()

    return make


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--short-seconds", type=float, default=30, help="0: skip the short run")
    parser.add_argument("--high-rate", type=float, default=500, help="0: skip the full run")
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server URL (scratch databases)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--processes", type=int, nargs="*", default=[1, 2],
                        help="process counts to run on PostgreSQL")  # fmt: skip
    args = parser.parse_args()
    print(
        f"== broadcast bench: {args.recipients:,} recipients in province {PROVINCE}, "
        f"fake Bot API enforcing the ceiling (429 beyond it) ==",
        flush=True,
    )
    if not args.no_sqlite:
        await backend(sqlite_url(), args, "SQLite", 1)
    if args.pg:
        for processes in args.processes:
            await backend(pg_url(args.pg), args, "PostgreSQL", processes)


if __name__ == "__main__":
    asyncio.run(main())

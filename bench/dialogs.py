"""How fast the dialogs answer: updates per second and latency.

Each simulated user goes through onboarding, opens the program list and a card, and asks
free-text questions, all against a real database (SQLite file, or PostgreSQL with --pg).

By default the updates go straight into dispatch.handle. With --webhook they go the whole
way: posted as Telegram posts them to the webhook of the app `vbsp-bot serve` runs
(bot/webhook.py, bot/telegram.py), whose replies go through python-telegram-bot to the
loopback fake Bot API of tests/fakes; and the same harness then drives a bare
python-telegram-bot echo bot (bench/echo_bot.py), so the run prints both rates and their
ratio: what the bot's own work costs over PTB's parsing and one sendMessage.

    python bench/dialogs.py                 # SQLite in a temporary file
    python bench/dialogs.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/dialogs.py --webhook       # 40 users x 15 messages, bot against echo bot
    python bench/dialogs.py --webhook --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # bench and tests.fakes, as well as the packages

from bench.echo_bot import SECRET_HEADER, echo_web_app  # noqa: E402
from bot.app import running  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.webhook import build_web_app  # noqa: E402
from content.loader import load_content  # noqa: E402
from handlers.core.dispatch import Deps, handle  # noqa: E402
from handlers.core.types import Incoming  # noqa: E402
from storage.db import create_engine, session_factory, upgrade  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402

SCRIPT = [
    {"text": "/start"},
    {"action": "lang:vi"},
    {"action": "consent:yes"},
    {"action": "progs"},
    {"action": "prog:poor"},
    {"text": "vay von sinh vien moi thang bao nhieu"},
    {"text": "to truong giu so vay cua toi"},
]


async def run(url: str, users: int, concurrency: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    deps = Deps(content=load_content(), sessions=session_factory(engine))
    deps.content.matcher  # noqa: B018  (load the matcher before timing)
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def user(n: int) -> None:
        async with gate:
            for step in SCRIPT:
                started = time.perf_counter()
                await handle(Incoming("bench", str(n), **step), deps)
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(user(n) for n in range(users)))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    latencies.sort()
    backend = url.split(":", 1)[0]
    print(f"backend: {backend}; users: {users}; concurrency: {concurrency}")
    rate = len(latencies) / elapsed
    print(f"updates: {len(latencies)} in {elapsed:.2f} s = {rate:.0f} updates/s")
    print(
        f"latency ms: p50 {statistics.median(latencies) * 1000:.1f}, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f}, "
        f"max {latencies[-1] * 1000:.1f}"
    )


# Through the webhook: 15 updates per user, buttons pressed on the bot's last message.
WEBHOOK_SCRIPT = [
    ("text", "/start"),
    ("press", "lang:vi"),
    ("press", "consent:yes"),
    ("press", "progs"),
    ("press", "prog:poor"),
    ("press", "pp:poor:r"),
    ("text", "vay von sinh vien moi thang bao nhieu"),
    ("text", "to truong giu so vay cua toi"),
    ("press", "menu"),
    ("text", "/help"),
    ("text", "/tindungden"),
    ("text", "/caidat"),
    ("text", "lai suat vay ho can ngheo la bao nhieu"),
    ("press", "progs"),
    ("text", "/menu"),
]
TOKEN = "123456:BENCH-token"
SECRET = "bench-webhook-secret"
FIRST_CHAT = 7_000_001
Server = Callable[[FakeTelegramAPI], AbstractAsyncContextManager[web.Application]]


@dataclass
class Round:
    name: str
    updates: int
    seconds: float
    latencies: list[float]
    sent: int
    cpu: float  # CPU seconds of this process (harness, fake Bot API and the bot under test)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def line(self) -> str:
        lat = sorted(self.latencies)
        return (
            f"{self.name:>4}: {self.updates} updates in {self.seconds:.2f} s = "
            f"{self.rate:.1f} updates/s; latency ms p50 {statistics.median(lat) * 1000:.1f}, "
            f"p95 {lat[int(len(lat) * 0.95)] * 1000:.1f}; {self.sent} messages sent; "
            f"CPU {self.cpu / self.updates * 1000:.1f} ms/update"
        )


_rounds = itertools.count()


async def drive(name: str, server: Server, users: int) -> Round:
    """Every user sends the script one update after the other (Telegram waits for the 200
    before it posts a chat's next update); the users all at once, as Telegram's default
    40 webhook connections do. New users and update ids each round: each does the same work."""
    first_chat = FIRST_CHAT + next(_rounds) * users
    update_ids = itertools.count(first_chat * 100)
    async with FakeTelegramAPI(token=TOKEN) as api, server(api) as app:
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/telegram/webhook"
            latencies: list[float] = []
            connector = aiohttp.TCPConnector(limit=users)
            async with aiohttp.ClientSession(connector=connector) as http:

                async def user(n: int) -> None:
                    chat = first_chat + n
                    for kind, value in WEBHOOK_SCRIPT:
                        update = (
                            api.make_message(chat, value)
                            if kind == "text"
                            else api.make_callback(chat, value)
                        )
                        update["update_id"] = next(update_ids)
                        started = time.perf_counter()
                        async with http.post(
                            url, json=update, headers={SECRET_HEADER: SECRET}
                        ) as response:
                            if response.status != 200:
                                raise RuntimeError(f"{name}: webhook answered {response.status}")
                        latencies.append(time.perf_counter() - started)

                started, cpu = time.perf_counter(), time.process_time()
                await asyncio.gather(*(user(n) for n in range(users)))
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            await runner.cleanup()
        if api.rejected:
            raise RuntimeError(f"{name}: the fake Bot API refused {api.rejected[:3]}")
        sent = len(api.calls_to("sendMessage"))
        apologies = sum(
            "bot vừa gặp lỗi" in m.plain_text
            for n in range(users)
            for m in api.messages(first_chat + n)
        )
        if apologies:
            raise RuntimeError(f"{name}: {apologies} apologies for internal errors")
        return Round(name, len(latencies), elapsed, latencies, sent, cpu)


def echo_server(api: FakeTelegramAPI) -> AbstractAsyncContextManager[web.Application]:
    return echo_web_app(TOKEN, api.root, SECRET)


def bot_server(url: str) -> Server:
    @asynccontextmanager
    async def server(api: FakeTelegramAPI) -> AsyncIterator[web.Application]:
        settings = load_settings(
            database_url=url,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=api.root,
            telegram_webhook_secret=SECRET,
            send_rate_per_second=1000,  # the send ceiling lifted: the bot's own cost shows
        )
        async with running(settings, telegram="webhook") as runtime:
            yield build_web_app(runtime)

    return server


async def run_webhook(url: str, users: int, rounds: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    backend = url.split(":", 1)[0]
    print(f"backend: {backend}; {users} users x {len(WEBHOOK_SCRIPT)} updates, through the webhook")
    echoes: list[Round] = []
    bots: list[Round] = []
    for _ in range(rounds):  # alternated, so that a busy moment of the machine hits both
        echoes.append(await drive("echo", echo_server, users))
        print(echoes[-1].line())
        bots.append(await drive("bot", bot_server(url), users))
        print(bots[-1].line())
    echo_rate = statistics.median(r.rate for r in echoes)
    bot_rate = statistics.median(r.rate for r in bots)
    print(
        f"bot {bot_rate:.1f} updates/s, echo {echo_rate:.1f} updates/s: "
        f"ratio bot/echo {bot_rate / echo_rate:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server URL (a scratch db is made)")
    parser.add_argument(
        "--webhook", action="store_true", help="through the webhook, against an echo bot"
    )
    parser.add_argument("--rounds", type=int, default=1, help="--webhook: echo, bot rounds")
    args = parser.parse_args()
    if args.webhook:
        if args.users == parser.get_default("users"):
            args.users = 40

        async def go(url: str) -> None:
            await run_webhook(url, args.users, args.rounds)

    else:

        async def go(url: str) -> None:
            await run(url, args.users, args.concurrency)

    if args.pg:
        name = f"vbsp_bench_{uuid.uuid4().hex[:8]}"
        admin = args.pg.replace("postgresql+asyncpg://", "postgresql://", 1)
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        try:
            await go(f"{args.pg.rsplit('/', 1)[0]}/{name}")
        finally:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await conn.close()
        return
    with tempfile.TemporaryDirectory() as tmp:
        await go(f"sqlite+aiosqlite:///{tmp}/bench.db")


if __name__ == "__main__":
    asyncio.run(main())

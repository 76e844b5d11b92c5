"""How fast the dialogs answer: updates per second and latency.

Each simulated user goes through onboarding, opens the program list and a card, and asks
free-text questions, all against a real database (SQLite file, or PostgreSQL with --pg).

By default the updates go straight into dispatch.handle, in this process. With --webhook
they go the whole way, as in production: `vbsp-bot serve` runs in a process of its own
(SEND_RATE_PER_SECOND=1000, so that the ceiling does not hide the bot's own cost), the
users post updates to its webhook as Telegram does (a chat's next update after the 200,
40 chats at once), and its replies go through python-telegram-bot to the loopback fake Bot
API of tests/fakes, both in this process. The same harness then drives a bare
python-telegram-bot echo bot (bench/echo_bot.py), and that echo bot again on the bot's own
HTTP layer (echo+), each a fresh process per round. It prints each round, then the median
rates, the ratio bot/echo and the CPU each server spent per update.

    python bench/dialogs.py                 # SQLite in a temporary file
    python bench/dialogs.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/dialogs.py --webhook --rounds 3          # 40 users x 15 updates
    python bench/dialogs.py --webhook --rounds 3 --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # bench and tests.fakes, as well as the packages

from bench.echo_bot import SECRET_HEADER  # noqa: E402
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
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Round:
    name: str
    updates: int
    seconds: float
    latencies: list[float]
    sent: int
    cpu: float  # CPU seconds of the serving process (every thread)
    harness_cpu: float  # of this process: the users' side and the fake Bot API

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def line(self) -> str:
        lat = sorted(self.latencies)
        return (
            f"{self.name:>4}: {self.updates} updates in {self.seconds:.2f} s = "
            f"{self.rate:.1f} updates/s; latency ms p50 {statistics.median(lat) * 1000:.1f}, "
            f"p95 {lat[int(len(lat) * 0.95)] * 1000:.1f}; {self.sent} messages sent; "
            f"CPU ms/update: server {self.cpu / self.updates * 1000:.1f}, "
            f"harness {self.harness_cpu / self.updates * 1000:.1f}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far, every thread included (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@asynccontextmanager
async def serving(argv: list[str], env: dict[str, str], port: int) -> AsyncIterator[int]:
    """A server process, yielded (its pid) once GET /healthz answers 200; stopped by SIGTERM."""
    with tempfile.TemporaryFile() as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *argv, cwd=REPO, env={**os.environ, **env},
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            await _answering(process, port)
            yield process.pid
        except BaseException:
            log.seek(0)
            print(log.read().decode()[-3000:], file=sys.stderr)
            raise
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _answering(process: asyncio.subprocess.Process, port: int) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if process.returncode is not None:
                raise RuntimeError(f"the server stopped ({process.returncode})")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the server did not answer on port {port}")


_rounds = itertools.count()


async def drive(name: str, argv: list[str], env: dict[str, str], users: int) -> Round:
    """One round against a fresh server process and fake Bot API. Every user sends the
    script one update after the other (Telegram waits for the 200 before it posts a chat's
    next update); the users all at once, as Telegram's default 40 webhook connections do.
    New users and update ids each round, so that every round does the same work."""
    first_chat = FIRST_CHAT + next(_rounds) * users
    update_ids = itertools.count(first_chat * 100)
    port = free_port()
    async with FakeTelegramAPI(token=TOKEN) as api:
        server_env = {
            **env,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.root,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "SEND_RATE_PER_SECOND": "1000",  # the ceiling lifted: the bot's own cost shows
        }
        async with serving([*argv, "--port", str(port)], server_env, port) as pid:
            url = f"http://127.0.0.1:{port}/telegram/webhook"
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

                started, cpu, own = time.perf_counter(), cpu_seconds(pid), time.process_time()
                await asyncio.gather(*(user(n) for n in range(users)))
                elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu
                own = time.process_time() - own
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
        return Round(name, len(latencies), elapsed, latencies, sent, cpu, own)


async def run_webhook(url: str, users: int, rounds: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    backend = url.split(":", 1)[0]
    print(f"backend: {backend}; {users} users x {len(WEBHOOK_SCRIPT)} updates, through the webhook")
    servers = {
        "echo": (["bench/echo_bot.py"], {}),
        "bot": (["-m", "bot", "serve", "--host", "127.0.0.1"], {"DATABASE_URL": url}),
        # The same echo bot on the bot's HTTP layer: how much the dialogs themselves cost.
        "echo+": (["bench/echo_bot.py", "--aiohttp"], {}),
    }
    done: dict[str, list[Round]] = {name: [] for name in servers}
    for _ in range(rounds):  # alternated, so that a busy moment of the machine hits each
        for name, (argv, env) in servers.items():
            done[name].append(await drive(name, argv, env, users))
            print(done[name][-1].line(), flush=True)
    rate = {name: statistics.median(r.rate for r in found) for name, found in done.items()}
    cpu = {
        name: statistics.median(r.cpu / r.updates for r in found) for name, found in done.items()
    }
    print(f"medians of {rounds} round(s):")
    print(
        f"bot {rate['bot']:.1f} updates/s, bare PTB echo bot {rate['echo']:.1f} updates/s: "
        f"ratio bot/echo {rate['bot'] / rate['echo']:.2f} "
        f"(server CPU per update: bot {cpu['bot'] * 1000:.1f} ms, echo {cpu['echo'] * 1000:.1f} ms)"
    )
    print(
        f"against the echo bot on the bot's HTTP layer (echo+, {rate['echo+']:.1f} updates/s, "
        f"{cpu['echo+'] * 1000:.1f} ms): ratio {rate['bot'] / rate['echo+']:.2f}"
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

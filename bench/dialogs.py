"""How fast the dialogs answer: updates per second and latency through dispatch.handle.

Each simulated user goes through onboarding, opens the program list and a card, and asks
two free-text questions, all against a real database (SQLite file, or PostgreSQL with --pg).

    python bench/dialogs.py                 # SQLite in a temporary file
    python bench/dialogs.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid

import asyncpg

from content.loader import load_content
from handlers.core.dispatch import Deps, handle
from handlers.core.types import Incoming
from storage.db import create_engine, session_factory, upgrade

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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server URL (a scratch db is made)")
    args = parser.parse_args()
    if args.pg:
        name = f"vbsp_bench_{uuid.uuid4().hex[:8]}"
        admin = args.pg.replace("postgresql+asyncpg://", "postgresql://", 1)
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        try:
            await run(f"{args.pg.rsplit('/', 1)[0]}/{name}", args.users, args.concurrency)
        finally:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await conn.close()
        return
    with tempfile.TemporaryDirectory() as tmp:
        await run(f"sqlite+aiosqlite:///{tmp}/bench.db", args.users, args.concurrency)


if __name__ == "__main__":
    asyncio.run(main())

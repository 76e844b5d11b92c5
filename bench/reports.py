"""Reports at scale: a whole country's year of reports, then the moderators' queries and the
export, against a real database (SQLite file, or PostgreSQL with --pg).

    python bench/reports.py                       # 20,000 reports, SQLite in a temporary file
    python bench/reports.py --reports 5000 --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test

Prints the time of: a province moderator's queue (counts and the oldest page), a commune
moderator's queue, the daily digest for every moderator, and `reports export`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
import uuid
from zoneinfo import ZoneInfo

import asyncpg

from content.loader import load_content
from content.places import communes_of_province, provinces
from handlers.reports.common import CATEGORIES, escalated, province_code
from handlers.reports.export import export
from handlers.reports.moderation import plan_digest
from storage import report_queue, reports, roles
from storage.db import create_engine, session_factory, transaction, upgrade
from storage.report_models import Report

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 12, 14, 2, 0, tzinfo=dt.UTC)


async def timed(label: str, work, repeat: int = 5) -> None:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await work()
        times.append(time.perf_counter() - started)
    times.sort()
    print(f"{label:<44} median {times[len(times) // 2] * 1000:8.1f} ms  ({result})")


async def run(url: str, count: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    sessions = session_factory(engine)
    rng = random.Random(7)
    communes = [c.code for code, _ in provinces() for c in communes_of_province(code)]
    categories = list(CATEGORIES)
    started = time.perf_counter()
    async with transaction(sessions) as session:
        for n in range(count):
            code = rng.choice(communes)
            category = rng.choice(categories)
            accused = rng.choice(("leader", "other_person")) if category in categories[4:] else None
            created = NOW - dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
            session.add(
                Report(
                    code=reports.new_code(),
                    handle=reports.new_code(reports.HANDLE_LENGTH),
                    category=category,
                    accused=accused,
                    escalated=escalated(category, accused),
                    commune_code=code,
                    province_code=province_code(code),
                    description="bench",
                    status=rng.choice(reports.STATES),
                    consent_at=created,
                    created_at=created,
                    touched_at=created,
                )
            )
            if n % 2000 == 1999:
                await session.flush()
        for area in ("51", "21220", "01", None):
            await roles.grant(session, "telegram", f"m{area}", "moderator", area, "bench")
    print(f"{count} reports written in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")

    async def queue(areas):  # type: ignore[no-untyped-def]
        async with transaction(sessions) as session:
            wanted = report_queue.Filter(areas)
            counts = await report_queue.counts(session, wanted)
            page = await report_queue.page(session, wanted)
            return f"{sum(counts.values())} reports, page of {len(page.reports)}"

    async def digest():  # type: ignore[no-untyped-def]
        async with transaction(sessions) as session:
            return f"{await plan_digest(session, content, NOW, VN)} digests queued"

    async def exported():  # type: ignore[no-untyped-def]
        async with transaction(sessions) as session:
            return f"{len((await export(session, None, None, VN)).splitlines())} lines"

    content = load_content()
    await timed("queue of a province moderator (51)", lambda: queue(["51"]))
    await timed("queue of a commune moderator (21220)", lambda: queue(["21220"]))
    await timed("queue of a country moderator", lambda: queue([None]))
    await timed("daily digest, 4 moderators", digest, repeat=1)
    await timed("reports export, every report", exported, repeat=3)
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server URL (a new database)")
    args = parser.parse_args()
    if args.pg:
        name = f"vbsp_bench_{uuid.uuid4().hex[:8]}"
        dsn = args.pg.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(dsn)
        await conn.execute(f'CREATE DATABASE "{name}"')
        try:
            await run(f"{args.pg.rsplit('/', 1)[0]}/{name}", args.reports)
        finally:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()
        return
    with tempfile.TemporaryDirectory() as tmp:
        await run(f"sqlite+aiosqlite:///{tmp}/bench.db", args.reports)


if __name__ == "__main__":
    asyncio.run(main())

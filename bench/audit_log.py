"""The staff console's audit page at scale: a page of the log, as each admin reads it.

Seeds ``--entries`` audit entries (default 1,000,000; bulk inserts, not timed) in a fresh
database migrated as operators do: three entries in ten by the reporter, the rest by 5,000
staff and the command line; reports, schedules, broadcasts and points; each in one of the
3,321 communes or 34 provinces, one in forty for the whole country; 500 role changes, rare,
in Quảng Ngãi; one entry every 30 seconds going back about a year. Then it reads, through
``storage.audit.page`` (what /staff/audit runs), the first page and a page half-way down
the log for the whole country's admin, a province's and a commune's, with each filter, and
times the CSV export of a province. It prints the median and the 95th percentile of
``--rounds`` reads of each.

    python bench/audit_log.py                       # SQLite in a temporary file
    python bench/audit_log.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator

from content.places import communes_of_province, provinces
from handlers.core.roles import area_codes
from storage import audit
from storage.db import create_engine, session_factory, transaction, upgrade

ACTIONS = (
    "report.create", "report.take", "report.resolve", "report.ask", "report.answer",
    "schedule.move", "broadcast.start", "broadcast.finish", "point.hours", "report.reject",
)  # fmt: skip
BATCH = 20_000


def _areas() -> list[str | None]:
    communes = [c.code for p, _ in provinces() for c in communes_of_province(p)]
    return [*communes, *(f"{p:02d}" for p, _ in provinces())]


def _batches(count: int, start: dt.datetime) -> Iterator[list[dict[str, object]]]:
    """The entries to seed, BATCH at a time (a million dicts at once would not fit)."""
    areas = _areas()
    rows: list[dict[str, object]] = []
    for g in range(count):
        actor = "reporter" if g % 10 < 3 else "cli" if g % 50 == 0 else f"telegram:{g % 5000}"
        rows.append({
            "at": start - dt.timedelta(seconds=30 * g), "actor": actor,
            "action": ACTIONS[g % len(ACTIONS)], "subject": f"report:{g}",
            "detail": {"from": "new", "to": "in_review"},
            "area_code": None if g % 40 == 0 else areas[(g * 7919) % len(areas)],
        })  # fmt: skip
        if len(rows) == BATCH:
            yield rows
            rows = []
    for g in range(500):
        rows.append({
            "at": start - dt.timedelta(hours=3 * g), "actor": "telegram:1",
            "action": "role.grant" if g % 2 else "role.revoke", "subject": f"telegram:{g}",
            "detail": {"role": "moderator", "area": "51"}, "area_code": "51",
        })  # fmt: skip
    yield rows


async def _seed(url: str, count: int, now: dt.datetime) -> None:
    from sqlalchemy import insert

    from storage.models import AuditEntry

    engine = create_engine(url)
    await upgrade(engine)
    async with engine.begin() as conn:
        for rows in _batches(count, now):
            await conn.execute(insert(AuditEntry), rows)
        if engine.dialect.name == "postgresql":
            from sqlalchemy import text

            await conn.execute(text("ANALYZE audit_log"))
    await engine.dispose()


async def _measure(url: str, count: int, rounds: int, now: dt.datetime) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    province, commune = area_codes("51"), area_codes("21220")
    async with transaction(sessions) as s:
        # the cursor of an entry half-way down the log (one entry every 30 seconds)
        middle = now - dt.timedelta(seconds=15 * count)
        found = await audit.page(s, audit.Filter(until=middle), None, 1)
        deep = audit.Cursor.after(found.entries[0]) if found.entries else None
    week = (now - dt.timedelta(days=30), now - dt.timedelta(days=23))
    cases: list[tuple[str, audit.Filter, audit.Cursor | None]] = [
        ("whole country, first page", audit.Filter(), None),
        ("whole country, half-way down", audit.Filter(), deep),
        ("province 51, first page", audit.Filter(areas=province), None),
        ("province 51, half-way down", audit.Filter(areas=province), deep),
        ("commune 21220, first page", audit.Filter(areas=commune), None),
        ("province, one person", audit.Filter(areas=province, actor="telegram:42"), None),
        ("province, one action", audit.Filter(areas=province, action="report.take"), None),
        ("province, roles (a rare kind)", audit.Filter(areas=province, action_kind="role"), None),
        ("province, reports (a kind)", audit.Filter(areas=province, action_kind="report"), None),
        ("province, one week", audit.Filter(areas=province, since=week[0], until=week[1]), None),
    ]
    print(f"{'page of 50':34s} {'median':>9s} {'p95':>9s}")
    for name, wanted, after in cases:
        times = []
        for _ in range(rounds):
            async with sessions() as s:
                began = time.perf_counter()
                await audit.page(s, wanted, after, 50)
                times.append((time.perf_counter() - began) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{name:34s} {statistics.median(times):7.1f}ms {p95:7.1f}ms")
    async with sessions() as s:
        began = time.perf_counter()
        exported = 0
        async for _ in audit.stream(s, audit.Filter(areas=province)):
            exported += 1
        took = time.perf_counter() - began
    print(f"CSV export of province 51: {exported:,} entries read in {took:.1f} s")
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL server (a database is made)")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC)
    if args.pg:
        import asyncpg

        name = f"bench_audit_{uuid.uuid4().hex[:8]}"
        server = args.pg.replace("+asyncpg", "").rsplit("/", 1)[0]
        admin = await asyncpg.connect(f"{server}/postgres")
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{args.pg.rsplit('/', 1)[0]}/{name}"
        try:
            began = time.perf_counter()
            await _seed(url, args.entries, now)
            took = time.perf_counter() - began
            print(f"PostgreSQL, {args.entries:,} entries seeded in {took:.0f} s")
            await _measure(url, args.entries, args.rounds, now)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{os.path.join(folder, 'audit.db')}"
        began = time.perf_counter()
        await _seed(url, args.entries, now)
        print(f"SQLite, {args.entries:,} entries seeded in {time.perf_counter() - began:.0f} s")
        await _measure(url, args.entries, args.rounds, now)


if __name__ == "__main__":
    asyncio.run(main())

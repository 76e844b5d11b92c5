"""Reminders at scale: planning a due moment over 1M subscriptions, and sending through the fake.

Seeds users, transaction points over the 3,321 communes and one subscription per user
(bulk inserts: COPY on PostgreSQL, executemany on SQLite; seeding is timed but is not the
measured figure), then measures:

1. planning: ``plan_reminders`` at one moment (18:00 on the eve of day ``--day``) in one
   transaction: time, Python peak (tracemalloc) and the process's peak RSS before/after;
2. planning again at the same moment: must record 0 rows (idempotence), and be fast;
3. sending a sample of the due rows through the real Bot API client (python-telegram-bot,
   built by ``bot.app.running``) to the loopback fake Bot API: messages/s, and a check that
   each chat got exactly one message per outbox key. First a small sample with the client as
   shipped (PTB's ``AIORateLimiter`` defaults: 30 messages/s overall), then ``--sample`` rows
   with PTB's overall ceiling raised to ``--rate`` to see what the pipeline itself can do.

    python bench/reminders.py                      # SQLite in a temporary file, 1M subscriptions
    python bench/reminders.py --subscriptions 50000
    python bench/reminders.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import random
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402
from telegram.ext import AIORateLimiter  # noqa: E402

from bot.app import running  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.delivery import Pacer  # noqa: E402
from content.loader import load_content  # noqa: E402
from content.places import communes_of_province, provinces  # noqa: E402
from handlers.schedules.reminders import plan_reminders  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import create_engine, session_factory, transaction, upgrade  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TOKEN = "123456:BENCH-token_for-vbsp"
CHUNK = 50_000
FIRST_CHAT_ID = 6_000_000_000  # Telegram user ids need more than 32 bits
SEEDED_AT = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)


@dataclass
class Seed:
    """What was seeded, and how many reminders must fall due at the moment."""

    points: list[tuple[str, str, int, dt.time, dt.time]] = field(default_factory=list)
    users: int = 0
    english: int = 0
    blocked: int = 0
    due_points: int = 0
    due_rows: int = 0  # subscriptions of due points whose user has not blocked the bot


def make_points(rng: random.Random) -> list[tuple[str, str, int, dt.time, dt.time]]:
    """1-3 points per commune (most have one or two), each with its day 1-28 of the month."""
    points = []
    for province, _name in provinces():
        for commune in communes_of_province(province):
            count = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
            for k in range(1, count + 1):
                start = dt.time(7, rng.choice((0, 30)))
                end = dt.time(11, rng.choice((0, 30)))
                points.append((f"{commune.code}-{k}", commune.code, rng.randint(1, 28), start, end))
    return points


def make_users(
    rng: random.Random, n: int, seed: Seed, day: int
) -> Iterator[list[tuple[int, str, str, str, bool, str]]]:
    """Chunks of (id, chat id, language, commune, blocked, point id); tallies ``seed``."""
    points = seed.points
    chunk = []
    for user_id in range(1, n + 1):
        point_id, commune, point_day, _start, _end = points[rng.randrange(len(points))]
        language = "en" if rng.random() < 0.10 else "vi"
        blocked = rng.random() < 0.01
        seed.english += language == "en"
        seed.blocked += blocked
        seed.due_rows += point_day == day and not blocked
        chunk.append((user_id, str(FIRST_CHAT_ID + user_id), language, commune, blocked, point_id))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
    seed.users = n


def point_row(point: tuple[str, str, int, dt.time, dt.time]) -> tuple:
    point_id, commune, day, start, end = point
    return (
        point_id, commune, f"Điểm giao dịch xã {point_id}", f"Nhà văn hóa thôn {point_id[-1]}",
        day, start, end, f"PGD NHCSXH {commune}", "0255 000 000", SEEDED_AT,
    )  # fmt: skip


POINT_COLUMNS = [
    "id", "commune_code", "name", "address", "day_of_month",
    "start_time", "end_time", "office", "phone", "updated_at",
]  # fmt: skip
USER_COLUMNS = [
    "id", "channel", "channel_user_id", "language", "consent_at",
    "commune_code", "created_at", "last_seen_at", "blocked",
]  # fmt: skip
SUBSCRIPTION_COLUMNS = ["user_id", "point_id", "created_at"]


def user_rows(chunk: list[tuple]) -> list[tuple]:
    return [
        (uid, "telegram", chat, lang, SEEDED_AT, commune, SEEDED_AT, SEEDED_AT, blocked)
        for uid, chat, lang, commune, blocked, _point in chunk
    ]


def subscription_rows(chunk: list[tuple]) -> list[tuple]:
    return [(uid, point, SEEDED_AT) for uid, _chat, _lang, _commune, _blocked, point in chunk]


def seed_sqlite(path: str, n: int, day: int, rng: random.Random) -> Seed:
    """executemany in one transaction, with values as SQLAlchemy's SQLite types store them."""

    def stored(value: object) -> object:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, dt.time):
            return value.strftime("%H:%M:%S.%f")
        if isinstance(value, bool):
            return int(value)
        return value

    def insert(db: sqlite3.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
        marks = ", ".join("?" * len(columns))
        db.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            [tuple(stored(v) for v in row) for row in rows],
        )

    seed = Seed(points=make_points(rng))
    db = sqlite3.connect(path)
    try:
        with db:
            insert(db, "transaction_points", POINT_COLUMNS, [point_row(p) for p in seed.points])
            for chunk in make_users(rng, n, seed, day):
                insert(db, "users", USER_COLUMNS, user_rows(chunk))
                insert(db, "subscriptions", SUBSCRIPTION_COLUMNS, subscription_rows(chunk))
    finally:
        db.close()
    return seed


async def seed_postgres(dsn: str, n: int, day: int, rng: random.Random) -> Seed:
    """COPY, then ANALYZE (as autovacuum would after a load) and the id sequence moved on."""
    seed = Seed(points=make_points(rng))
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "transaction_points", records=[point_row(p) for p in seed.points],
                columns=POINT_COLUMNS,
            )  # fmt: skip
            for chunk in make_users(rng, n, seed, day):
                await conn.copy_records_to_table(
                    "users", records=user_rows(chunk), columns=USER_COLUMNS
                )
                await conn.copy_records_to_table(
                    "subscriptions", records=subscription_rows(chunk), columns=SUBSCRIPTION_COLUMNS
                )
            await conn.execute("SELECT setval(pg_get_serial_sequence('users', 'id'), $1)", n)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return seed


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


async def explain(engine, point_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The plan of one point's INSERT … SELECT (the statement planning runs per due point)."""
    sql = (
        "SELECT u.id, u.channel, u.channel_user_id FROM subscriptions s "
        "JOIN users u ON u.id = s.user_id WHERE s.point_id = :p AND u.blocked = false"
    )
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    async with engine.connect() as conn:
        rows = (await conn.execute(text(prefix + sql), {"p": point_id})).all()
    return [str(row[-1]) for row in rows]


async def send_sample(url: str, now: dt.datetime, rows: int, rate: float | None) -> dict:
    """Send the first ``rows`` pending outbox rows through the app's real Telegram transport.

    ``rate`` None: the client as shipped. Otherwise PTB's overall ceiling is raised to it
    (and the outbox sender's ``send_rate_per_second`` set to it; settings accept at most 1000,
    so above that the sender's bucket is replaced too).
    """
    async with FakeTelegramAPI(token=TOKEN) as api:
        settings = load_settings(
            database_url=url,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=api.root,
            send_rate_per_second=min(rate or 1000, 1000),
            log_level="WARNING",
        )
        later = now + dt.timedelta(minutes=1)
        async with running(settings, telegram="send", clock=lambda: later) as runtime:
            async with runtime.engine.connect() as conn:
                picked = (
                    await conn.execute(
                        text(
                            "SELECT id, channel_user_id, dedup_key FROM outbox "
                            "WHERE status = 'pending' AND kind = 'reminder_eve' "
                            "ORDER BY id LIMIT :n"
                        ),
                        {"n": rows},
                    )
                ).all()
            for _id, chat, _key in picked:
                api.add_chat(int(chat))
            if rate is not None:
                assert runtime.telegram is not None
                # Private attribute, on purpose: a bench-only lift of PTB's 30/s default.
                runtime.telegram.bot._rate_limiter = AIORateLimiter(
                    overall_max_rate=rate, max_retries=0
                )
                if rate > 1000:  # beyond what settings accept: the sender's pacer too
                    runtime.sender.rate = rate
                    runtime.sender._pacers = {name: Pacer(rate) for name in runtime.sender._pacers}
            api.calls.clear()  # getMe
            started = time.perf_counter()
            stats = await runtime.sender.run_once(max_rows=len(picked))
            elapsed = time.perf_counter() - started
            ids = [row_id for row_id, _chat, _key in picked]
            async with runtime.engine.connect() as conn:
                sent_rows = (
                    await conn.execute(
                        text(
                            "SELECT channel_user_id, dedup_key, status FROM outbox "
                            "WHERE id BETWEEN :lo AND :hi"
                        ),
                        {"lo": min(ids), "hi": max(ids)},
                    )
                ).all()
        keys_per_chat = Counter(chat for chat, _key, status in sent_rows if status == "sent")
        messages = Counter(call.params["chat_id"] for call in api.calls_to("sendMessage"))
        exact = all(
            len(api.messages(int(chat))) == keys_per_chat[chat] == messages[int(chat)]
            for _id, chat, _key in picked
        )
        return {
            "rows": len(picked),
            "sent": stats.sent,
            "other": stats.blocked + stats.failed + stats.retried,
            "calls": len(api.calls_to("sendMessage")),
            "rejected": len(api.rejected),
            "exact": exact and sum(messages.values()) == len(picked) == stats.sent,
            "elapsed": elapsed,
        }


async def run(url: str, dsn: str | None, args: argparse.Namespace) -> None:
    backend = "postgresql" if dsn else "sqlite"
    engine = create_engine(url)
    await upgrade(engine)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    if dsn:
        seed = await seed_postgres(dsn, args.subscriptions, args.day, rng)
    else:
        seed = await asyncio.to_thread(
            seed_sqlite, url.split("///", 1)[1], args.subscriptions, args.day, rng
        )
    seeding = time.perf_counter() - started
    due_points = [p for p in seed.points if p[2] == args.day]
    days = Counter(p[2] for p in seed.points)

    # The eve of the transaction day, 18:00 local: every point with that day is due ("eve").
    now = dt.datetime(2026, 12, args.day - 1, 18, 0, tzinfo=VN).astimezone(dt.UTC)
    content = load_content()
    sessions = session_factory(engine)
    plan_lines = await explain(engine, due_points[0][0]) if args.explain else []

    gc.collect()
    rss_before, max_before = current_rss_mib(), max_rss_mib()
    started = time.perf_counter()
    async with transaction(sessions) as session:
        planned = await plan_reminders(session, content, now, VN)
    planning = time.perf_counter() - started
    rss_after, max_after = current_rss_mib(), max_rss_mib()

    started = time.perf_counter()
    async with transaction(sessions) as session:
        replanned = await plan_reminders(session, content, now, VN)
    replanning = time.perf_counter() - started
    async with transaction(sessions) as session:
        in_outbox = await outbox.counts(session)

    # Python's own peak, on the morning reminders of the same points (as many rows, new
    # keys): tracemalloc slows Python down a lot, so this pass is not the timed one.
    morning = dt.datetime(2026, 12, args.day, 6, 30, tzinfo=VN).astimezone(dt.UTC)
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    async with transaction(sessions) as session:
        planned_morning = await plan_reminders(session, content, morning, VN)
    traced = time.perf_counter() - started
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await engine.dispose()

    shipped = None
    if args.shipped_sample:
        shipped = await send_sample(url, now, args.shipped_sample, None)
    paced = await send_sample(url, now, args.sample, args.rate) if args.sample else None

    print(f"== reminders bench: {backend} ==")
    print(
        f"seeded      {seed.users:,} users ({seed.english:,} en, {seed.blocked:,} blocked), "
        f"{seed.users:,} subscriptions, {len(seed.points):,} points in 3,321 communes "
        f"(days 1-28, {min(days.values())}-{max(days.values())} points a day) "
        f"in {seeding:.1f} s"
    )
    print(
        f"moment      {now.astimezone(VN):%Y-%m-%d %H:%M %Z}: eve of day {args.day}; "
        f"due {len(due_points):,} points, {seed.due_rows:,} rows "
        f"({seed.due_rows / max(seed.users, 1):.1%} of subscriptions)"
    )
    ok = "ok" if planned == seed.due_rows else f"MISMATCH: expected {seed.due_rows:,}"
    print(
        f"plan        {planned:,} rows in {planning:.2f} s "
        f"({planned / max(planning, 1e-9):,.0f} rows/s) [{ok}]; "
        f"RSS {rss_before:.0f} -> {rss_after:.0f} MiB, "
        f"max RSS {max_before:.0f} -> {max_after:.0f} MiB (+{max_after - max_before:.0f})"
    )
    print(
        f"memory      python peak {py_peak / 2**20:.1f} MiB (tracemalloc, planning the "
        f"{morning.astimezone(VN):%H:%M} reminders: {planned_morning:,} rows in {traced:.2f} s)"
    )
    ok = "ok" if replanned == 0 else "NOT IDEMPOTENT"
    print(f"re-plan     {replanned:,} rows in {replanning:.2f} s [{ok}]; outbox {in_outbox}")
    for label, result in (("send ptb30", shipped), (f"send {args.rate:g}/s", paced)):
        if result is None:
            continue
        ok = "ok" if result["exact"] and not result["rejected"] else "DUPLICATES OR LOSSES"
        print(
            f"{label:<11} {result['sent']:,}/{result['rows']:,} sent in {result['elapsed']:.2f} s "
            f"= {result['sent'] / result['elapsed']:,.0f} msg/s; sendMessage calls "
            f"{result['calls']:,}, rejected {result['rejected']}, other {result['other']}; "
            f"one message per key per chat [{ok}]"
        )
    for line in plan_lines:
        print(f"  plan: {line}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1_000_000)
    parser.add_argument("--day", type=int, default=15, help="transaction day due (2-28)")
    parser.add_argument("--sample", type=int, default=5000, help="rows sent at --rate")
    parser.add_argument(
        "--shipped-sample", type=int, default=300, help="rows sent with PTB's default 30/s"
    )
    parser.add_argument("--rate", type=float, default=1000, help="send rate per second")
    parser.add_argument("--seed", type=int, default=20261215)
    parser.add_argument("--explain", action="store_true", help="print one point's query plan")
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server URL (a scratch db is made)")
    args = parser.parse_args()
    if not 2 <= args.day <= 28:
        parser.error("--day must be 2-28")
    if args.pg:
        name = f"vbsp_bench_{uuid.uuid4().hex[:8]}"
        admin = args.pg.replace("postgresql+asyncpg://", "postgresql://", 1)
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = f"{args.pg.rsplit('/', 1)[0]}/{name}"
            await run(url, f"{admin.rsplit('/', 1)[0]}/{name}", args)
        finally:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await conn.close()
        return
    with tempfile.TemporaryDirectory() as tmp:
        await run(f"sqlite+aiosqlite:///{tmp}/bench.db", None, args)


if __name__ == "__main__":
    asyncio.run(main())

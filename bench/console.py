"""The staff console at scale: the server time of its pages with a province's year of reports
and a million messages sent, on PostgreSQL.

Makes a database of its own next to the one named (dropped at the end unless --keep), migrated
as `vbsp-bot db upgrade` does, and plants in it with COPY, a chunk of rows at a time (never
the ORM row by row; on SQLite, with --sqlite, executemany in one transaction):

- one province's citizens (users, 150,000 by default), its transaction points (1-3 a commune)
  and their subscriptions (two people in three);
- 20,000 reports over 12 months, spread unevenly over the province's communes, categories and
  states, each with the history and audit entries its moves write (handlers/reports/
  transitions.py: take, ask, answer, forward, resolve, reject, withdraw, each in its time, so
  that recent reports are still open), likely duplicates linked, evidence for some;
- 1,000,000 outbox rows of the last 90 days (what the outbox keeps, bot/scheduler.py):
  reminders (the eve and the day, each month, to each subscriber), notices of moved days,
  the reporters' notices of each move, and broadcasts' messages, as sent, failed or blocked;
  older reminders and broadcasts keep only their counts (the reminders' by day and month,
  ``pruned_counts``), and the hourly job has counted the settled days' reminders;
- the questions kept for the editors, and the staff who hold roles.

Then it starts the app `vbsp-bot serve` runs (bot.app.running, bot.webhook.build_web_app) on a
loopback port, opens console sessions (storage/console.py) for a province moderator and an
admin, and requests each page one after the other: warm-up requests first, then the measured
ones. Server time is the console's ``Server-Timing: app;dur=`` header (bot/console/timing.py):
everything the server does for the page, from the session to the last byte of the template;
the client's wall time, loopback included, is printed next to it. A page that answers 404 is
reported as not available (its part of the console is not there yet). The dashboard is
measured with the pictures its page shows (each a request; their server times added), both as
seen again (its figures are kept a minute) and as a first view of a period (figures made at
each request: every request asks for days one apart). Then, for each page, a
few more requests with the SQL statements recorded: how many, their time against the page's,
the slowest; with --explain, every statement of the slow pages and their plans.

    python bench/console.py                       # PostgreSQL at the default URL
    python bench/console.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/console.py --requests 50 --warmup 5 --keep    # quicker; keep the database
    python bench/console.py --reuse vbsp_bench_console         # measure a kept database again
    python bench/console.py --explain        # the statements of slow pages and their plans
    python bench/console.py --sqlite         # the same on SQLite (/tmp/vbsp_bench_console.db)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import html
import io
import json
import logging
import math
import os
import random
import re
import socket
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
from aiohttp import web
from PIL import Image
from sqlalchemy import event

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.app import running  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.console.staff import COOKIE  # noqa: E402
from bot.console.timing import HEADER  # noqa: E402
from bot.scheduler import tally_reminders  # noqa: E402
from bot.webhook import build_web_app  # noqa: E402
from content.loader import load_content  # noqa: E402
from content.places import communes_of_province  # noqa: E402
from handlers.core.roles import grant_role  # noqa: E402
from handlers.reports import evidence_pdf  # noqa: E402
from handlers.reports.common import ACCUSED, CATEGORIES, REPORTER, escalated  # noqa: E402
from handlers.reports.transitions import Move, next_state  # noqa: E402
from handlers.schedules.reminders import Due, reminder_reply  # noqa: E402
from storage import console, reports, stats  # noqa: E402
from storage.db import create_engine, session_factory, transaction, upgrade  # noqa: E402
from storage.models import TransactionPoint  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DATABASE = "vbsp_bench_console"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
LIMIT_MS = 150.0  # the bar: 95th percentile of server time
OUTBOX_DAYS = 90  # handled outbox rows are pruned after that (bot/scheduler.py)
FIRST_TELEGRAM = 6_000_000_000
STAFF_FIRST = 9_000_000_001
MODERATORS = 6  # the province's moderators who worked the reports (the first is measured)

log = logging.getLogger("bench.console")


# --- the plan of what is planted ----------------------------------------------------------------


@dataclass
class Planted:
    """What was planted, and what the measurement needs to know of it."""

    now: dt.datetime
    province: str
    communes: list[str]
    users: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    busiest: str = ""  # the commune with the most open reports
    shown: int = 0  # the report whose page is measured
    shown_code: str = ""  # its tracking code (the search)
    moderator: str = ""  # channel_user_ids: the measured province moderator, official, admin
    official: str = ""
    admin: str = ""
    old_tallies: dict[tuple[dt.date, str, str], int] = field(default_factory=dict)


def staff_ids() -> dict[str, str]:
    """The staff identities (telegram): the province's moderators, an official, an admin."""
    ids = {f"moderator{n}": str(STAFF_FIRST + n) for n in range(MODERATORS)}
    ids["official"] = str(STAFF_FIRST + MODERATORS)
    ids["admin"] = str(STAFF_FIRST + MODERATORS + 1)
    return ids


def weights(n: int, skew: float = 0.8) -> list[float]:
    """Zipf-like: a few communes report much more than the rest."""
    return [1 / (rank + 1) ** skew for rank in range(n)]


# --- reports and their history -------------------------------------------------------------------

QUESTIONS = (
    "Anh/chị có thể cho biết số điện thoại của người cho vay không?",
    "Việc này xảy ra ở thôn nào, vào khoảng ngày nào?",
    "Anh/chị còn giữ tin nhắn hoặc giấy tờ vay không? Xin gửi ảnh.",
    "Người thu tiền có xưng là cán bộ tổ tiết kiệm không?",
)
ANSWERS = (
    "Số của họ là 09xx xxx xxx, họ gọi mỗi ngày.",
    "Thôn 3, khoảng giữa tháng trước.",
    "Tôi còn giữ tin nhắn, sẽ gửi ảnh sau.",
    "Có, chị ấy nói là tổ trưởng.",
)
NOTES = (
    "Đã chuyển công an xã xác minh.",
    "Đã làm việc với tổ trưởng, hoàn trả số tiền thu sai.",
    "Đã nhắc nhở tại cuộc họp tổ, theo dõi thêm.",
    "Phòng giao dịch đã liên hệ người vay, hướng dẫn trả nợ đúng hạn.",
)
STORY = (
    "Có người cho vay lãi rất cao ở chợ xã, {n} nghìn đồng một ngày trên một triệu.",
    "Tôi vay qua ứng dụng trên điện thoại, giờ họ gọi điện đe dọa cả người thân.",
    "Tờ rơi cho vay nhanh không cần thế chấp dán khắp cột điện gần trường học.",
    "Tổ trưởng giữ sổ vay của chúng tôi và thu thêm {n} nghìn đồng mỗi lần nộp lãi.",
    "Cán bộ xã đòi tiền để xác nhận hồ sơ vay vốn học sinh sinh viên.",
    "Người thu nợ đến nhà lúc tối, la lối và chụp ảnh con tôi.",
    "Họ bảo vay {n} triệu nhưng chỉ đưa tiền mặt ít hơn, phần còn lại là phí.",
)
TOPICS = ("program.poor", "program.student", "loan.documents", "loan.procedure", "eligibility")


def hours(rng: random.Random, median: float, spread: float = 1.0) -> dt.timedelta:
    return dt.timedelta(hours=median * math.exp(rng.gauss(0, spread)))


def life(rng: random.Random, contact_ok: bool) -> list[tuple[float, Move]]:
    """The moves a report goes through, with when (hours after it was made), before the cut
    at 'now' is applied: a mix of what moderators do with reports."""
    take = hours(rng, 20, 1.0).total_seconds() / 3600
    roll = rng.random()
    days = 24.0
    if roll < 0.03:
        return []  # nobody ever got to it
    if roll < 0.07:
        return [(rng.uniform(1, 72), Move.WITHDRAW)]
    if roll < 0.17:
        return [(take, Move.REJECT)]
    if roll < 0.27:
        return [(take, Move.TAKE), (take + rng.uniform(2, 72), Move.REJECT)]
    forward = take + rng.uniform(1, 5) * days
    if roll < 0.42:
        return [(take, Move.TAKE), (forward, Move.FORWARD),
                (forward + rng.uniform(7, 60) * days, Move.RESOLVE)]  # fmt: skip
    if roll < 0.46:
        return [(take, Move.TAKE), (forward, Move.FORWARD)]
    if roll < 0.66 and contact_ok:
        ask = take + rng.uniform(0.5, 3) * days
        answer = ask + rng.uniform(1, 48)
        steps = [(take, Move.TAKE), (ask, Move.ASK)]
        if rng.random() < 0.85:
            steps.append((answer, Move.ANSWER))
            steps.append((answer + rng.uniform(2, 15) * days, Move.RESOLVE))
        return steps
    if roll < 0.95:
        return [(take, Move.TAKE), (take + rng.uniform(1, 20) * days, Move.RESOLVE)]
    return [(take, Move.TAKE)]


AUDIT_ACTION = {
    Move.TAKE: "report.take",
    Move.ASK: "report.ask",
    Move.FORWARD: "report.forward",
    Move.RESOLVE: "report.resolve",
    Move.REJECT: "report.reject",
    Move.WITHDRAW: "report.withdraw",
    Move.ANSWER: "report.answer",
}
NOTIFIED = {Move.TAKE, Move.ASK, Move.FORWARD, Move.RESOLVE, Move.REJECT}
REPORT_COLUMNS = [
    "id", "code", "handle", "reporter_id", "category", "accused", "escalated", "commune_code",
    "province_code", "place_text", "happened", "description", "danger", "contact_ok", "status",
    "taken_by", "forwarded_to", "reason", "duplicate_of", "consent_at", "created_at",
    "touched_at", "closed_at", "first_action_at",
]  # fmt: skip
EVENT_COLUMNS = ["id", "report_id", "at", "kind", "status", "detail"]
AUDIT_COLUMNS = ["id", "at", "actor", "action", "subject", "detail"]
OUTBOX_COLUMNS = [
    "dedup_key", "channel", "channel_user_id", "kind", "payload", "status", "attempts",
    "not_before", "created_at", "sent_at", "last_error", "in_doubt",
]  # fmt: skip


@dataclass
class History:
    reports: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    audit: list[tuple[Any, ...]] = field(default_factory=list)
    notices: list[tuple[Any, ...]] = field(default_factory=list)
    open_by_commune: dict[str, int] = field(default_factory=dict)
    rich: list[tuple[int, int, str]] = field(default_factory=list)  # (entries, id, code)


def unique_codes(rng: random.Random, n: int, length: int) -> Iterator[str]:
    seen: set[str] = set()
    while len(seen) < n:
        code = "".join(rng.choice(reports.CODE_ALPHABET) for _ in range(length))
        if code not in seen:
            seen.add(code)
            yield code


def make_reports(
    rng: random.Random,
    count: int,
    plan: Planted,
    user_channel: dict[int, tuple[str, str, bool]],
) -> History:
    """Every report, oldest first (ids follow time, as they do), with its history, audit
    entries and the notices its reporter was sent (those the outbox still keeps)."""
    now, province = plan.now, plan.province
    history = History()
    created_all = sorted(
        now - dt.timedelta(minutes=rng.randrange(365 * 24 * 60)) for _ in range(count)
    )
    commune_weights = weights(len(plan.communes))
    categories = list(CATEGORIES)
    category_weights = [30, 14, 12, 8, 6, 9, 5, 8, 8]
    moderators = [f"telegram:{v}" for k, v in staff_ids().items() if k.startswith("moderator")]
    codes = unique_codes(rng, count, reports.CODE_LENGTH)
    event_id = audit_id = 0
    last_of: dict[tuple[str, str], tuple[int, dt.datetime]] = {}
    kept_since = now - dt.timedelta(days=OUTBOX_DAYS)
    for report_id, created in enumerate(created_all, start=1):
        commune = rng.choices(plan.communes, commune_weights)[0]
        category = rng.choices(categories, category_weights)[0]
        misconduct = CATEGORIES[category] == "misconduct"
        accused = rng.choice(ACCUSED) if misconduct else None
        contact_ok = rng.random() < 0.6
        reporter = None if rng.random() < 0.04 else rng.randint(1, plan.users)
        code = next(codes)
        handle = "".join(rng.choice(reports.CODE_ALPHABET) for _ in range(reports.HANDLE_LENGTH))
        story = " ".join(
            rng.choice(STORY).format(n=rng.randint(2, 50)) for _ in range(rng.randint(1, 4))
        )
        twin = None
        earlier = last_of.get((commune, category))
        if earlier and created - earlier[1] < dt.timedelta(days=7) and rng.random() < 0.3:
            twin = earlier[0]
        last_of[(commune, category)] = (report_id, created)
        moderator = rng.choice(moderators)
        subject = f"report:{report_id}"

        event_id += 1
        history.events.append((event_id, report_id, created, "status", reports.NEW, None))
        audit_id += 1
        history.audit.append((audit_id, created, REPORTER, "report.create", subject, json.dumps(
            {"to": reports.NEW, "category": category, "commune": commune,
             "escalated": escalated(category, accused), "duplicate_of": twin}
        )))  # fmt: skip
        state, touched, closed = reports.NEW, created, None
        taken_by = forwarded_to = reason = first_action = None
        entries = 1
        for after, move in life(rng, contact_ok):
            at = created + dt.timedelta(hours=after)
            if at >= now:
                break
            to = next_state(state, move)
            assert to is not None, (state, move)
            by_reporter = move in (Move.WITHDRAW, Move.ANSWER)
            actor = REPORTER if by_reporter else moderator
            if not by_reporter and first_action is None:  # as change_status keeps it
                first_action = at
            detail: dict[str, Any] = {"from": state, "to": to}
            public = None
            asked = None
            if move is Move.ASK:
                question = rng.choice(QUESTIONS)
                event_id += 1
                asked = event_id
                history.events.append((event_id, report_id, at, "question", None, question))
                detail["note"] = question
                taken_by = moderator
            elif move is Move.ANSWER:
                event_id += 1
                history.events.append(
                    (event_id, report_id, at, "answer", None, rng.choice(ANSWERS))
                )
            elif move is Move.TAKE:
                taken_by = moderator
            elif move is Move.FORWARD:
                forwarded_to = public = rng.choice(("police", "office", "association"))
                detail.update(note=rng.choice(NOTES), forwarded_to=forwarded_to)
            elif move is Move.RESOLVE:
                detail["note"] = rng.choice(NOTES)
            elif move is Move.REJECT:
                reason = public = rng.choices(("spam", "duplicate", "not_actionable"), (4, 3, 3))[0]
                detail["reason"] = reason
            event_id += 1
            history.events.append((event_id, report_id, at, "status", to, public))
            audit_id += 1
            history.audit.append(
                (audit_id, at, actor, AUDIT_ACTION[move], subject, json.dumps(detail))
            )
            entries += 2 if asked else 1
            if move in NOTIFIED and reporter is not None and at >= kept_since:
                channel, chat, blocked = user_channel[reporter]
                if not blocked:
                    key = f"report:{report_id}:ev{asked or event_id}:reporter"
                    history.notices.append(outbox_row(key, channel, chat, "report", NOTICE, at))
            state, touched = to, at
            if to in reports.CLOSED:
                closed = at
        history.reports.append((
            report_id, code, handle, reporter, category, accused, escalated(category, accused),
            commune, province, None, rng.choice(("today", "week", "month", "earlier")), story,
            rng.random() < 0.05, contact_ok, state, taken_by, forwarded_to, reason, twin,
            created, created, touched, closed, first_action,
        ))  # fmt: skip
        if state in reports.OPEN:
            history.open_by_commune[commune] = history.open_by_commune.get(commune, 0) + 1
            history.rich.append((entries, report_id, code))
    return history


NOTICE = json.dumps(
    {"text": "Báo cáo {code} của bạn đã được chuyển cho cơ quan chức năng xem xét.", "buttons": []}
)


def outbox_row(
    key: str, channel: str, chat: str, kind: str, payload: str, at: dt.datetime
) -> tuple[Any, ...]:
    """A message as the delivery engine leaves it: mostly sent, some failed or blocked."""
    digest = int(hashlib.blake2b(key.encode(), digest_size=4).hexdigest(), 16) % 1000
    if digest < 15:
        return (key, channel, chat, kind, payload, "blocked", 1, at, at, None, None, False)
    if digest < 25:
        return (key, channel, chat, kind, payload, "failed", 5, at, at, None, "TimedOut", False)
    sent = at + dt.timedelta(seconds=5 + digest % 120)
    return (key, channel, chat, kind, payload, "sent", 1, at, at, sent, None, False)


# --- evidence ---------------------------------------------------------------------------------


def photo(seed: int, width: int = 900, height: int = 1200) -> bytes:
    """A photo-sized JPEG (noise compresses badly: about what a phone's cleaned photo weighs)."""
    rng = random.Random(seed)
    small = Image.frombytes(
        "RGB", (width // 4, height // 4), rng.randbytes(width * height * 3 // 16)
    )
    out = io.BytesIO()
    small.resize((width, height)).save(out, "JPEG", quality=70)
    return out.getvalue()


def pdf(pages: int) -> bytes:
    """A cleaned PDF as evidence_pdf writes it: one picture per A4 page."""
    images = []
    for n in range(pages):
        jpeg = photo(100 + n, 620, 877)
        images.append(evidence_pdf.PageImage(jpeg, 620, 877, 595.0, 842.0))
    return evidence_pdf.write_pdf(images)


# --- planting -------------------------------------------------------------------------------------


class Store:
    """Where the planted rows go: COPY on PostgreSQL, executemany in one transaction on
    SQLite (with the values as SQLAlchemy's SQLite types store them)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pg: asyncpg.Connection | None = None
        self.lite: sqlite3.Connection | None = None

    async def __aenter__(self) -> Store:
        if self.dsn.startswith("postgresql"):
            self.pg = await asyncpg.connect(self.dsn)
        else:
            self.lite = sqlite3.connect(self.dsn, isolation_level=None)
            self.lite.execute("PRAGMA journal_mode=WAL")
            self.lite.execute("BEGIN")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.pg is not None:
            await self.pg.close()
        if self.lite is not None:
            self.lite.execute("COMMIT" if exc[0] is None else "ROLLBACK")
            self.lite.close()

    async def insert(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        """Rows in chunks (a generator is never held whole); how many."""
        written = 0
        for chunk in chunks(rows, CHUNK):
            if self.pg is not None:
                await self.pg.copy_records_to_table(table, records=chunk, columns=columns)
            else:
                assert self.lite is not None
                marks = ", ".join("?" * len(columns))
                self.lite.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    [tuple(map(stored, row)) for row in chunk],
                )
            written += len(chunk)
        return written

    async def value(self, sql: str) -> Any:
        if self.pg is not None:
            return await self.pg.fetchval(sql)
        assert self.lite is not None
        return self.lite.execute(sql).fetchone()[0]

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.pg is not None:
            return [tuple(r) for r in await self.pg.fetch(sql)]
        assert self.lite is not None
        return self.lite.execute(sql).fetchall()

    async def explain(self, sql: str, params: Any) -> list[str]:
        """The plan of a statement the app ran, with its parameters: PostgreSQL's as run
        (EXPLAIN ANALYZE, BUFFERS), SQLite's query plan."""
        if self.pg is not None:
            rows = await self.pg.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *(params or ()))
            return [row[0] for row in rows]
        assert self.lite is not None
        rows = self.lite.execute(f"EXPLAIN QUERY PLAN {sql}", tuple(params or ())).fetchall()
        return [f"{row[0]:>4} {row[1]:>4} {row[3]}" for row in rows]

    async def finish(self) -> None:
        """Sequences past the ids given, and the planner's statistics, as after a while in
        production (autovacuum)."""
        if self.pg is not None:
            for table in ("users", "reports", "report_events", "audit_log", "broadcasts"):
                await self.pg.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            await self.pg.execute("VACUUM ANALYZE")
        else:
            assert self.lite is not None
            self.lite.execute("COMMIT")
            self.lite.execute("ANALYZE")
            self.lite.execute("BEGIN")

    async def megabytes(self) -> int:
        if self.pg is not None:
            return int(await self.pg.fetchval("SELECT pg_database_size(current_database())")) >> 20
        assert self.lite is not None
        pages = self.lite.execute("PRAGMA page_count").fetchone()[0]
        return int(pages * self.lite.execute("PRAGMA page_size").fetchone()[0]) >> 20


CHUNK = 50_000


def chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def stored(value: object) -> object:
    """A value as SQLAlchemy keeps it in SQLite (UTC text for moments)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


@contextlib.asynccontextmanager
async def step(plan: Planted, name: str) -> AsyncIterator[None]:
    started = time.perf_counter()
    yield
    plan.seconds[name] = time.perf_counter() - started
    print(f"  {name:<50} {plan.seconds[name]:6.1f} s", flush=True)


@dataclass
class Person:
    channel: str
    chat: str
    language: str
    commune: str
    blocked: bool
    announcements: bool


@dataclass
class Point:
    id: str
    commune: str
    day: int


USER_COLUMNS = [
    "id", "channel", "channel_user_id", "display_name", "language", "consent_at",
    "commune_code", "created_at", "last_seen_at", "blocked", "person_id", "announcements",
]  # fmt: skip
POINT_COLUMNS = [
    "id", "commune_code", "name", "address", "day_of_month", "start_time", "end_time",
    "office", "phone", "updated_at",
]  # fmt: skip
FILE_COLUMNS = [
    "report_id", "owner_id", "kind", "mime_type", "file_name", "size", "data", "created_at",
]  # fmt: skip
QUESTION_COLUMNS = ["user_id", "channel", "text", "topic", "score", "created_at"]
BROADCAST_COLUMNS = [
    "id", "author", "author_language", "area_code", "subscribers_only", "urgent", "text",
    "payloads", "status", "created_at", "confirmed_at", "approved_by", "approved_at",
    "started_at", "finished_at", "recipients", "progress", "pruned_counts",
]  # fmt: skip


async def plant(dsn: str, args: argparse.Namespace) -> Planted:
    rng = random.Random(args.seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    province = f"{args.province:02d}"
    communes = [c.code for c in communes_of_province(args.province)]
    if not communes:
        raise SystemExit(f"no communes in province {args.province}")
    rng.shuffle(communes)  # which communes report most: not the first in the list
    plan = Planted(now, province, communes, users=args.users)
    content = load_content()
    print(f"planting province {province} ({len(communes)} communes), now {now:%Y-%m-%d %H:%M} UTC")
    async with Store(dsn) as store:
        async with step(plan, "users"):
            people = make_people(rng, args.users, communes)
            await store.insert("users", USER_COLUMNS, user_rows(people, now, rng, communes[0]))
        async with step(plan, "transaction points and subscriptions"):
            points = make_points(rng, communes)
            await store.insert("transaction_points", POINT_COLUMNS, point_rows(points, now))
            by_commune: dict[str, list[Point]] = {}
            for point in points:
                by_commune.setdefault(point.commune, []).append(point)
            subscriptions = [
                (user_id, rng.choice(by_commune[person.commune]),
                 now - dt.timedelta(minutes=rng.randrange(400 * 24 * 60)))
                for user_id, person in people.items()
                if rng.random() < 2 / 3
            ]  # fmt: skip
            await store.insert(
                "subscriptions", ["user_id", "point_id", "created_at"],
                ((user_id, point.id, at) for user_id, point, at in subscriptions),
            )  # fmt: skip
        async with step(plan, f"{args.reports} reports, history, audit"):
            channels = {n: (p.channel, p.chat, p.blocked) for n, p in people.items()}
            history = make_reports(rng, args.reports, plan, channels)
            await store.insert("reports", REPORT_COLUMNS, history.reports)
            await store.insert("report_events", EVENT_COLUMNS, history.events)
            await store.insert("audit_log", AUDIT_COLUMNS, history.audit)
            plan.busiest = max(history.open_by_commune, key=history.open_by_commune.__getitem__)
            _, plan.shown, plan.shown_code = max(history.rich)
        async with step(plan, "evidence"):
            await store.insert("report_files", FILE_COLUMNS, evidence_rows(rng, history, plan))
        async with step(plan, "kept questions"):
            await store.insert("kept_questions", QUESTION_COLUMNS, (
                (user_id, people[user_id].channel, "vay *** bao nhiêu lãi một tháng",
                 "none" if rng.random() < 0.3 else rng.choice(TOPICS), rng.random(),
                 now - dt.timedelta(minutes=rng.randrange(OUTBOX_DAYS * 24 * 60)))
                for user_id in (rng.randint(1, args.users) for _ in range(args.questions))
            ))  # fmt: skip
        left = args.messages
        async with step(plan, "outbox: reminders (and the counts of older ones)"):
            payloads = reminder_payloads(content, now)
            left -= await store.insert(
                "outbox", OUTBOX_COLUMNS, reminder_rows(subscriptions, people, payloads, now)
            )
            plan.old_tallies = {
                (day, point_id, status): n
                for day, point_id, status, n in merged_tallies(
                    tally_rows(subscriptions, people, now)
                )
            }
        async with step(plan, "outbox: notices of moved days and of reports"):
            left -= await store.insert(
                "outbox", OUTBOX_COLUMNS, change_rows(rng, subscriptions, people, now)
            )
            left -= await store.insert("outbox", OUTBOX_COLUMNS, history.notices)
        async with step(plan, "outbox: broadcasts"):
            await plant_broadcasts(store, people, now, province, left, len(history.audit) + 1)
        async with step(plan, "sequences, statistics"):
            await store.finish()
        for table in ("users", "subscriptions", "reports", "report_events", "audit_log",
                      "report_files", "kept_questions", "broadcasts",
                      "outbox"):  # fmt: skip
            plan.counts[table] = int(await store.value(f"SELECT count(*) FROM {table}"))
        for name, sql in (
            ("outbox by status", "SELECT status, count(*) FROM outbox GROUP BY status ORDER BY 1"),
            ("outbox by kind", "SELECT kind, count(*) FROM outbox GROUP BY kind ORDER BY 1"),
            ("reports by state", "SELECT status, count(*) FROM reports GROUP BY 1 ORDER BY 2 DESC"),
        ):
            plan.counts[name] = dict(await store.rows(sql))
        plan.counts["database MB"] = await store.megabytes()
    return plan


def make_people(rng: random.Random, n: int, communes: list[str]) -> dict[int, Person]:
    """The province's citizens: Telegram mostly, some Zalo, a few in English, a few who
    blocked the bot, most taking announcements; more of them in some communes."""
    commune_weights = weights(len(communes), 0.5)
    people = {}
    for user_id in range(1, n + 1):
        zalo = rng.random() < 0.15
        people[user_id] = Person(
            "zalo" if zalo else "telegram",
            hashlib.md5(str(user_id).encode()).hexdigest()[:16]
            if zalo
            else str(FIRST_TELEGRAM + user_id),
            "en" if rng.random() < 0.08 else "vi",
            rng.choices(communes, commune_weights)[0],
            rng.random() < 0.02,
            rng.random() < 0.95,
        )
    return people


def user_rows(
    people: dict[int, Person], now: dt.datetime, rng: random.Random, staff_commune: str
) -> Iterator[tuple[Any, ...]]:
    for user_id, p in people.items():
        joined = now - dt.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        seen = joined + (now - joined) * rng.random()
        yield (user_id, p.channel, p.chat, None, p.language, joined, p.commune, joined, seen,
               p.blocked, None, p.announcements)  # fmt: skip
    long_ago = now - dt.timedelta(days=400)
    for name, chat in staff_ids().items():
        user_id = int(chat) - STAFF_FIRST + len(people) + 1
        yield (user_id, "telegram", chat, f"Bench {name}", "vi", long_ago, staff_commune,
               long_ago, now, False, None, True)  # fmt: skip


def make_points(rng: random.Random, communes: list[str]) -> list[Point]:
    """1-3 transaction points a commune (most have one or two), each with its day."""
    return [
        Point(f"{code}-{k}", code, rng.randint(1, 28))
        for code in communes
        for k in range(1, rng.choices((1, 2, 3), (5, 3, 2))[0] + 1)
    ]


def point_rows(points: list[Point], now: dt.datetime) -> Iterator[tuple[Any, ...]]:
    for p in points:
        yield (p.id, p.commune, f"Điểm giao dịch xã {p.id}", f"Nhà văn hóa thôn {p.id[-1]}",
               p.day, dt.time(7, 30), dt.time(11, 0), f"PGD NHCSXH {p.commune[:3]}",
               "0255 000 000", now - dt.timedelta(days=300))  # fmt: skip


def evidence_rows(rng: random.Random, history: History, plan: Planted) -> Iterator[tuple[Any, ...]]:
    """Photos with 15 % of the reports (small: the pages never read their bytes but to count
    a PDF's pages); the page measured has two real photos and a real three-page PDF."""
    created_of = {r[0]: r[20] for r in history.reports}
    count = len(history.reports)
    for report_id in sorted(rng.sample(range(1, count + 1), count * 15 // 100)):
        if report_id == plan.shown:
            continue
        for n in range(rng.choice((1, 1, 2))):
            size = rng.randint(8_000, 24_000)
            at = created_of[report_id] - dt.timedelta(minutes=3)
            yield (report_id, None, "photo", "image/jpeg", f"photo-{n + 1}.jpg", size,
                   rng.randbytes(size), at)  # fmt: skip
    at = created_of[plan.shown] - dt.timedelta(minutes=5)
    for n, data in enumerate((photo(1), photo(2))):
        yield (plan.shown, None, "photo", "image/jpeg", f"photo-{n + 1}.jpg", len(data), data, at)
    document = pdf(3)
    yield (plan.shown, None, "document", "application/pdf", "giay-vay.pdf", len(document),
           document, at)  # fmt: skip


def reminder_payloads(content: Any, now: dt.datetime) -> dict[str, str]:
    """A real reminder of each kind, rendered once (planning renders one per language)."""
    point = TransactionPoint(
        id="00000-1", commune_code="00000", name="Điểm giao dịch xã", address="Nhà văn hóa thôn 1",
        day_of_month=15, start_time=dt.time(7, 30), end_time=dt.time(11, 0),
        office="PGD NHCSXH", phone="0255 000 000",
    )  # fmt: skip
    day = now.astimezone(VN).date()
    return {
        kind: json.dumps(reminder_reply(content, "vi", Due(point, day, kind)).to_payload())
        for kind in ("eve", "day")
    }


def point_days(point: Point, now: dt.datetime) -> Iterator[dt.date]:
    """The point's days whose reminders the outbox still keeps (the last 90 days)."""
    today = now.astimezone(VN).date()
    for back in range(5):
        index = today.year * 12 + today.month - 1 - back
        yield dt.date(index // 12, index % 12 + 1, point.day)


REMINDER_TIMES = {"eve": (-1, dt.time(18, 0)), "day": (0, dt.time(6, 0))}


def reminder_rows(
    subscriptions: list[tuple[int, Point, dt.datetime]],
    people: dict[int, Person],
    payloads: dict[str, str],
    now: dt.datetime,
) -> Iterator[tuple[Any, ...]]:
    """The eve's and the day's reminder to each subscriber of each of its point's days, keyed
    as handlers/schedules/reminders.py keys them; none to people who blocked the bot."""
    kept_since = now - dt.timedelta(days=OUTBOX_DAYS)
    for user_id, point, _at in subscriptions:
        person = people[user_id]
        if person.blocked:
            continue
        for day in point_days(point, now):
            for kind, (shift, clock) in REMINDER_TIMES.items():
                at = dt.datetime.combine(day + dt.timedelta(days=shift), clock, VN)
                if kept_since <= at < now:
                    key = f"rem:{point.id}:{day.isoformat()}:{kind}:{user_id}"
                    yield outbox_row(key, person.channel, person.chat, f"reminder_{kind}",
                                     payloads[kind], at)  # fmt: skip


def tally_rows(
    subscriptions: list[tuple[int, Point, dt.datetime]],
    people: dict[int, Person],
    now: dt.datetime,
) -> Iterator[tuple[Any, ...]]:
    """What pruning left of the reminders older than the outbox keeps, back to a year: counts
    by local day, point and status (storage/outbox.py prune, ``reminder_tallies``)."""
    subscribers: Counter[str] = Counter()
    points: dict[str, Point] = {}
    for user_id, point, _at in subscriptions:
        if not people[user_id].blocked:
            subscribers[point.id] += 1
            points[point.id] = point
    kept_since, year_ago = now - dt.timedelta(days=OUTBOX_DAYS), now - dt.timedelta(days=365)
    today = now.astimezone(VN).date()
    for point_id, n in sorted(subscribers.items()):
        for back in range(3, 13):
            index = today.year * 12 + today.month - 1 - back
            day = dt.date(index // 12, index % 12 + 1, points[point_id].day)
            for shift, clock in REMINDER_TIMES.values():
                at = dt.datetime.combine(day + dt.timedelta(days=shift), clock, VN)
                if year_ago <= at < kept_since:
                    blocked, failed = n * 15 // 1000, n // 100
                    local = at.date()
                    yield (local, point_id, "sent", n - blocked - failed)
                    yield (local, point_id, "blocked", blocked)
                    yield (local, point_id, "failed", failed)


def merged_tallies(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """One row per (day, point, status): the eve of one day and another day may fall together."""
    found: Counter[tuple[Any, ...]] = Counter()
    for day, point_id, status, n in rows:
        found[(day, point_id, status)] += n
    for (day, point_id, status), n in sorted(found.items()):
        yield (day, point_id, status, n)


CHANGE_PAYLOAD = json.dumps({
    "text": "Lịch giao dịch tại Điểm giao dịch xã đã đổi: ngày 12/11 chuyển sang 14/11 "
            "(lý do: trùng lịch họp). Giờ giao dịch không đổi.",
    "buttons": [[{"label": "Hủy nhắc lịch", "action": "un:00000-1"}]],
})  # fmt: skip


def change_rows(
    rng: random.Random,
    subscriptions: list[tuple[int, Point, dt.datetime]],
    people: dict[int, Person],
    now: dt.datetime,
) -> Iterator[tuple[Any, ...]]:
    """One point in twenty had a day moved in the last 90 days: a notice to each subscriber
    (keyed as handlers/schedules/reminders.py's notify_change keys it)."""
    moved: dict[str, tuple[dt.date, dt.datetime]] = {}
    for point in {point.id: point for _u, point, _a in subscriptions}.values():
        if rng.random() < 0.05:
            at = now - dt.timedelta(days=rng.uniform(5, 85))
            moved[point.id] = (at.astimezone(VN).date() + dt.timedelta(days=3), at)
    for user_id, point, _at in subscriptions:
        person = people[user_id]
        if point.id not in moved or person.blocked:
            continue
        regular, at = moved[point.id]
        later = regular + dt.timedelta(days=2)
        key = f"chg:{point.id}:{regular}:{later}:x:{user_id}"
        yield outbox_row(key, person.channel, person.chat, "schedule_change", CHANGE_PAYLOAD, at)


async def plant_broadcasts(
    store: Store,
    people: dict[int, Person],
    now: dt.datetime,
    province: str,
    left: int,
    audit_id: int,
) -> None:
    """The province's broadcasts: one a month for a year, each with the audit entries its life
    writes (confirmed by an official, approved by an admin, started, finished with its final
    counts, handlers/broadcasts/). Those of the last 90 days still have their outbox rows, as
    many as make up the total; older ones only their counts (``pruned_counts``), as pruning
    leaves them. Each goes to everyone in the province who takes announcements; the last stops
    where the total is made (as if to some of its communes)."""
    text = "Thông báo: phiên giao dịch tháng này tại các điểm giao dịch xã diễn ra như thường lệ."
    reply = {"text": text, "buttons": []}
    payloads = json.dumps({"vi": reply, "en": reply})
    official, approver = f"telegram:{staff_ids()['official']}", f"telegram:{staff_ids()['admin']}"
    audience = [(n, p) for n, p in people.items() if not p.blocked and p.announcements]
    recent = math.ceil(left / len(audience)) if left > 0 else 0
    rows: list[tuple[Any, ...]] = []
    audit: list[tuple[Any, ...]] = []

    def lived(broadcast_id: int, at: dt.datetime, recipients: int, counts: Counter[str]) -> None:
        subject = f"broadcast:{broadcast_id}"
        finish = {"state": "done", **{k: counts[k] for k in ("sent", "blocked", "failed")},
                  "cancelled": 0, "in_doubt": 0, "seconds": 3 * 3600}  # fmt: skip
        for when, actor, action, detail in (
            (at - dt.timedelta(hours=2), official, "broadcast.submit",
             {"area": province, "subscribers_only": False, "urgent": False, "at": None,
              "photo": False, "text": text}),
            (at - dt.timedelta(hours=1), approver, "broadcast.approve", {"area": province}),
            (at, "system", "broadcast.start", {"recipients": recipients}),
            (at + dt.timedelta(hours=3), "system", "broadcast.finish", finish),
        ):  # fmt: skip
            audit.append((audit_id + len(audit), when, actor, action, subject, json.dumps(detail)))

    kept_since = now - dt.timedelta(days=OUTBOX_DAYS)
    old = [now - dt.timedelta(days=30 * m + 5) for m in range(12, 0, -1)]
    for at in (at for at in old if at < kept_since):
        n = len(audience)
        pruned = Counter(sent=n * 97 // 100, blocked=n // 50, failed=n - n * 97 // 100 - n // 50)
        rows.append(broadcast_row(len(rows) + 1, official, approver, province, text, payloads,
                                  at, n, json.dumps(pruned)))  # fmt: skip
        lived(len(rows), at, n, pruned)
    for k in range(recent):
        broadcast_id = len(rows) + 1
        at = now - dt.timedelta(days=OUTBOX_DAYS - 5 - k * (OUTBOX_DAYS - 10) // recent)
        chosen = audience[: min(left, len(audience))]
        rows.append(broadcast_row(broadcast_id, official, approver, province, text, payloads,
                                  at, len(chosen), None))  # fmt: skip
        counts: Counter[str] = Counter()
        rows_of = broadcast_messages(broadcast_id, at, chosen, counts)
        left -= await store.insert("outbox", [*OUTBOX_COLUMNS, "broadcast_id"], rows_of)
        lived(broadcast_id, at, len(chosen), counts)
    await store.insert("broadcasts", BROADCAST_COLUMNS, rows)
    await store.insert("audit_log", AUDIT_COLUMNS, audit)


def broadcast_messages(
    broadcast_id: int, at: dt.datetime, chosen: list[tuple[int, Person]], counts: Counter[str]
) -> Iterator[tuple[Any, ...]]:
    """A broadcast's outbox rows (sent at 50 a second), tallied in ``counts`` by status."""
    for n, (user_id, p) in enumerate(chosen):
        key, payload = f"b:{broadcast_id}:{user_id}", json.dumps({"lang": p.language})
        row = outbox_row(
            key, p.channel, p.chat, "broadcast", payload, at + dt.timedelta(seconds=n // 50)
        )
        counts[row[5]] += 1
        yield (*row, broadcast_id)


def broadcast_row(
    broadcast_id: int, author: str, approver: str, area: str, text: str, payloads: str,
    at: dt.datetime, recipients: int, pruned: str | None,
) -> tuple[Any, ...]:  # fmt: skip
    return (broadcast_id, author, "vi", area, False, False, text, payloads, "done", at, at,
            approver, at, at, at + dt.timedelta(hours=3), recipients, 100, pruned)  # fmt: skip


async def tally(url: str, plan: Planted) -> None:
    """The reminders' counts as the hourly job leaves them (bot/scheduler.py): those of the
    months before the outbox's 90 days, counted when their days settled (through the same
    function the job and pruning use), then the job itself over the days the outbox holds."""
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            await stats._add_tallies(session, plan.old_tallies)
        await tally_reminders(session_factory(engine), lambda: plan.now)
    finally:
        await engine.dispose()


async def grant_staff(url: str, plan: Planted) -> None:
    """The roles, granted as `vbsp-bot admin grant` does (with their audit entries)."""
    ids = staff_ids()
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            for name, chat in ids.items():
                role = "moderator" if name.startswith("moderator") else name
                area = None if name == "admin" else plan.province
                await grant_role(
                    session, "telegram", chat, role, area, "cli", plan.now - dt.timedelta(days=400)
                )
    finally:
        await engine.dispose()
    plan.moderator, plan.official, plan.admin = ids["moderator0"], ids["official"], ids["admin"]


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Page:
    label: str
    who: str  # "moderator" or "admin"
    path: str | None  # None: could not be found (a link missing from the pages it follows)
    # The address of the n-th request, when each must differ (figures made, not kept).
    vary: Callable[[int], str] | None = None
    pictures: bool = False  # the dashboard pictures its page shows too: their times added
    pictures_seen: int = 0
    alone: list[float] = field(default_factory=list)  # the page's own server time, pictures apart
    server: list[float] = field(default_factory=list)
    client: list[float] = field(default_factory=list)
    status: int | None = None
    note: str = ""


def percentile(values: list[float], p: float) -> float:
    """Nearest rank, as the issue's '95th percentile' reads."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Client:
    def __init__(self, http: aiohttp.ClientSession, base: str, cookie: str) -> None:
        self.http, self.base, self.cookie = http, base, cookie

    async def get(self, path: str) -> tuple[int, str, float | None, float]:
        started = time.perf_counter()
        async with self.http.get(
            self.base + path, headers={"Cookie": f"{COOKIE}={self.cookie}"}, allow_redirects=False
        ) as response:
            body = await response.text(errors="replace")
            wall = (time.perf_counter() - started) * 1000
            timing = re.match(r"app;dur=([\d.]+)", response.headers.get(HEADER, ""))
            return response.status, body, float(timing.group(1)) if timing else None, wall


NEXT = re.compile(r'href="(/staff/reports\?[^"]*after=\d+[^"]*)"')


async def follow_pages(client: Client, start: str, pages: int) -> str | None:
    """The address of page ``pages`` of a queue, reached by its 'next' links one by one."""
    path = start
    for _ in range(pages - 1):
        status, body, _, _ = await client.get(path)
        found = NEXT.findall(body) if status == 200 else []
        if not found:
            return None
        path = html.unescape(found[-1])
    return path


# The period picker's 12 months (handlers/stats/period.py: Choice.MONTHS_12).
DASHBOARD_YEAR = "/staff/dashboard?period=12m"


async def measure(url: str, plan: Planted, args: argparse.Namespace) -> list[Page]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = load_settings(database_url=url, public_base_url=base)
    async with running(settings) as runtime:
        runner = web.AppRunner(build_web_app(runtime), access_log=None)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            ttl = dt.timedelta(hours=12)
            async with transaction(runtime.deps.sessions) as session:
                now = runtime.deps.clock()
                cookies = {
                    who: (await console.open_session(session, "telegram", chat, now, ttl))[0]
                    for who, chat in (
                        (MODERATOR, plan.moderator),
                        (OFFICIAL, plan.official),
                        (ADMIN, plan.admin),
                    )
                }
            async with aiohttp.ClientSession() as http:
                clients = {who: Client(http, base, cookie) for who, cookie in cookies.items()}
                moderator = clients[MODERATOR]
                page50 = await follow_pages(moderator, "/staff/reports", 50)
                year = args.dashboard_year
                pages = pages_of(plan, page50, year)
                for page in pages:
                    await run_page(clients[page.who], page, args)
                    print(line(page), flush=True)
                await profile(runtime.engine, clients, pages, url, args)
        finally:
            await runner.cleanup()
    return pages


MODERATOR, OFFICIAL, ADMIN = "moderator", "official", "admin"
PROFILED = 5  # requests a page with the statements recorded (after the measured ones)


@dataclass
class Statement:
    sql: str
    params: Any
    ms: float


class Recorder:
    """The SQL statements the app runs, with their time (the measured requests run without)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine.sync_engine
        self.found: list[Statement] = []

    def __enter__(self) -> Recorder:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(
        self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool
    ) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(
        self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool
    ) -> None:
        ms = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        self.found.append(Statement(sql, params, ms))


async def profile(
    engine: Any, clients: dict[str, Client], pages: list[Page], url: str, args: argparse.Namespace
) -> None:
    """Per page: how many statements, their time against the page's server time, the slowest.
    With --explain, for the pages near or over the limit, every statement of the median request
    and the plan (EXPLAIN ANALYZE, BUFFERS) of those over --explain-ms, each plan once."""
    print(f"\nSQL per page (the median of {PROFILED} more requests, statements recorded;")
    print("pages alone, without their pictures):")
    print("| page | statements | SQL ms | server p50 ms | slowest statement ms |")
    print("|---|---:|---:|---:|---:|")
    slow: list[tuple[Page, list[Statement]]] = []
    for page in pages:
        if not page.server or page.path is None:
            continue
        runs: list[list[Statement]] = []
        for k in range(PROFILED):
            path = page.vary(args.warmup + args.requests + k) if page.vary else page.path
            with Recorder(engine) as recorder:
                await clients[page.who].get(path)
            runs.append(recorder.found)
        runs.sort(key=lambda found: sum(st.ms for st in found))
        median = runs[len(runs) // 2]
        worst = max(st.ms for st in median) if median else 0.0
        print(f"| {page.label} | {len(median)} | {sum(st.ms for st in median):.1f} "
              f"| {percentile(page.server, 50):.1f} | {worst:.1f} |")  # fmt: skip
        if args.explain and percentile(page.server, 95) >= LIMIT_MS * args.explain_share:
            slow.append((page, median))
    if not slow:
        return
    shown: dict[str, str] = {}
    async with Store(dsn_of(url)) as store:
        for page, found in slow:
            print(f"\n=== {page.label} ({page.path}): its statements, in order")
            for n, st in enumerate(found, start=1):
                one_line = " ".join(st.sql.split())
                print(f"{n:3}. {st.ms:6.1f} ms  {one_line[:160]}")
            for n, st in enumerate(found, start=1):
                if st.ms < args.explain_ms:
                    continue
                one_line = " ".join(st.sql.split())
                if one_line in shown:
                    print(f"\n--- {n}. plan: as {shown[one_line]}")
                    continue
                shown[one_line] = f"{page.label}, {n}."
                print(f"\n--- {n}. ({st.ms:.1f} ms) parameters {st.params}\n{st.sql}")
                print("\n".join(await store.explain(st.sql, st.params)))


def dsn_of(url: str) -> str:
    """The driver's address of a SQLAlchemy URL (asyncpg's, or the SQLite file)."""
    if url.startswith("sqlite"):
        return url.split("///", 1)[1]
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def pages_of(plan: Planted, page50: str | None, year: str | None) -> list[Page]:
    """The pages measured: the province moderator's unless said; the official holds the same
    province, the admin the whole country."""
    queue = "/staff/reports"
    return [
        Page("home /staff/", MODERATOR, "/staff/"),
        Page("queue: default (open)", MODERATOR, queue),
        Page("queue: state=new", MODERATOR, f"{queue}?state=new"),
        Page("queue: state=closed", MODERATOR, f"{queue}?state=closed"),
        Page("queue: commune filter", MODERATOR, f"{queue}?commune={plan.busiest}"),
        Page("queue: kind + untouched 3 days", MODERATOR, f"{queue}?kind=usury&age=untouched"),
        Page("queue: page 50 (next links)", MODERATOR, page50),
        Page("queue: search by code", MODERATOR, f"{queue}?q={plan.shown_code}"),
        Page("queue: admin, whole country", ADMIN, queue),
        Page("report page with timeline", MODERATOR, f"{queue}/{plan.shown}"),
        Page(
            "dashboard: moderator, default period, seen again", MODERATOR, DASHBOARD, pictures=True
        ),
        Page("dashboard: moderator, 12 months, seen again", MODERATOR, year, pictures=True),
        Page("dashboard: official, 12 months, seen again", OFFICIAL, year, pictures=True),
        Page("dashboard: admin, 12 months, seen again", ADMIN, year, pictures=True),
        *first_views(MODERATOR, "moderator"),
        *first_views(OFFICIAL, "official"),
        *first_views(ADMIN, "admin (whole country)"),
    ]


def first_views(who: str, name: str) -> list[Page]:
    """The dashboard as a person first opens a period: its figures made, not kept from a
    request before (they are kept a minute by what they are, whose areas and which days, so
    each request asks for days one apart: 4 to 8 weeks, or 12 to 13 months, ending in the
    last week: never less than the choices they stand for)."""
    today = dt.datetime.now(VN).date()

    def days(weeks: int) -> Callable[[int], str]:
        def path(n: int) -> str:
            first = today - dt.timedelta(days=7 * weeks - 1 + n // 7)
            last = today - dt.timedelta(days=n % 7)
            return f"{DASHBOARD}?period=custom&from={first}&to={last}"

        return path

    four, year = days(4), days(52)
    return [
        Page(f"dashboard: {name}, default period, first view", who, four(0), four, True),
        Page(f"dashboard: {name}, 12 months, first view", who, year(0), year, True),
    ]


DASHBOARD = "/staff/dashboard"
PICTURE = re.compile(r'<img[^>]*src="(/staff/dashboard/chart/[^"]+)"')


async def run_page(client: Client, page: Page, args: argparse.Namespace) -> None:
    if page.path is None:
        page.note = "not available (no link to it)"
        return
    status, body, _, _ = await client.get(page.path)
    page.status = status
    if status == 404:
        page.note = "not available (404)"
        return
    if status not in (200, 303):
        text = re.sub(r"<[^>]+>|\s+", " ", body)
        page.note = f"answered {status}: {text[:200]}"
        return
    for n in range(args.warmup + args.requests):
        status, body, server, wall = await client.get(page.vary(n) if page.vary else page.path)
        if status != page.status or server is None:
            page.note = f"answered {status} at request {n + 1} (no {HEADER}: {server is None})"
            return
        alone = server
        pictures = PICTURE.findall(body) if page.pictures else []
        for src in pictures:
            shown, _, more, took = await client.get(html.unescape(src))
            if shown != 200 or more is None:
                page.note = f"a picture answered {shown}: {src}"
                return
            server, wall = server + more, wall + took
        if pictures:
            page.pictures_seen = len(pictures)
        if n >= args.warmup:
            page.alone.append(alone)
            page.server.append(server)
            page.client.append(wall)


def line(page: Page) -> str:
    if not page.server:
        return f"| {page.label} | {page.path or ''} | {page.note} | | | | | |"
    s, c = page.server, page.client
    verdict = "ok" if percentile(s, 95) < LIMIT_MS else "**over 150 ms**"
    label = page.label + (" (303)" if page.status == 303 else "")
    if page.pictures_seen:
        label += f" ({page.pictures_seen} pictures)"
    address = f"`{page.path}`" + (", days one apart each request" if page.vary else "")
    figures = " | ".join(f"{percentile(s, p):.1f}" for p in (50, 95, 99))
    alone = (
        f"{percentile(page.alone, 50):.1f} / {percentile(page.alone, 95):.1f}"
        if page.pictures_seen
        else ""
    )
    return (
        f"| {label} | {address} | {figures} | {alone} | "
        f"{percentile(c, 50):.1f} / {percentile(c, 95):.1f} | {verdict} |"
    )


HEAD = f"""\
| page | address | server p50 ms | p95 | p99 | page alone p50 / p95 | client p50 / p95 | \
p95 < {LIMIT_MS:.0f} ms |
|---|---|---:|---:|---:|---:|---:|---|"""


# --- the database of its own ------------------------------------------------------------------


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", metavar="URL", default=DEFAULT_PG, help="a PostgreSQL server")
    parser.add_argument("--database", default=DATABASE, help="the name of the database made")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", metavar="NAME", help="measure a database kept before")
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=1_000_000, help="outbox rows")
    parser.add_argument("--users", type=int, default=150_000)
    parser.add_argument("--questions", type=int, default=20_000, help="kept questions")
    parser.add_argument("--province", type=int, default=51)
    parser.add_argument("--requests", type=int, default=200, help="measured requests a page")
    parser.add_argument("--warmup", type=int, default=20, help="requests a page before those")
    parser.add_argument(
        "--dashboard-year", default=DASHBOARD_YEAR, help="the dashboard's 12-month address"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--explain", action="store_true", help="the statements of slow pages, and their plans"
    )
    parser.add_argument(
        "--explain-share", type=float, default=0.5,
        help="--explain: pages whose p95 is over this share of 150 ms (default 0.5)",
    )  # fmt: skip
    parser.add_argument(
        "--explain-ms", type=float, default=5.0,
        help="--explain: the plans of statements slower than this (default 5 ms)",
    )  # fmt: skip
    parser.add_argument(
        "--sqlite", action="store_true",
        help=f"an SQLite file instead ({SQLITE_FILE}; --reuse names the file)",
    )  # fmt: skip
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    async with database(args) as (url, dsn, server):
        if args.reuse:  # migrated to this code's head first (an index added since, say)
            await migrate(url)
            plan = await replan(dsn, args)
        else:
            started = time.perf_counter()
            await migrate(url)
            plan = await plant(dsn, args)
            async with step(plan, "reminders tallied (the hourly job)"):
                await tally(url, plan)
            await grant_staff(url, plan)
            plan.seconds["total"] = time.perf_counter() - started
            report_planted(plan)
        print(f"\nmeasuring: {args.warmup} warm-up, then {args.requests} requests a page in turn")
        print(f"machine: {os.cpu_count()} cores, load average {load()} at the start; {server}")
        print(HEAD)
        await measure(url, plan, args)
        print(f"load average {load()} at the end (other work on the machine shows in p95/p99)")


SQLITE_FILE = "/tmp/vbsp_bench_console.db"


@contextlib.asynccontextmanager
async def database(args: argparse.Namespace) -> AsyncIterator[tuple[str, str, str]]:
    """(SQLAlchemy URL, driver DSN, server) of a fresh database, dropped at the end unless
    --keep; or of the one --reuse names, left as it is."""
    if args.sqlite:
        path = Path(args.reuse or SQLITE_FILE)
        if not args.reuse:
            for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                stale.unlink(missing_ok=True)
        try:
            yield f"sqlite+aiosqlite:///{path}", str(path), f"SQLite {sqlite3.sqlite_version}"
        finally:
            if not args.keep and not args.reuse:
                for done in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                    done.unlink(missing_ok=True)
            elif not args.reuse:
                print(f"kept {path}: measure again with --sqlite --reuse {path}")
        return
    admin_dsn = args.pg.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = args.reuse or args.database
    admin = await asyncpg.connect(admin_dsn)
    server = "PostgreSQL " + str(await admin.fetchval("SHOW server_version")).split()[0]
    try:
        if not args.reuse:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield (f"{args.pg.rsplit('/', 1)[0]}/{name}",
                   f"{admin_dsn.rsplit('/', 1)[0]}/{name}", server)  # fmt: skip
        finally:
            if not args.keep and not args.reuse:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            elif not args.reuse:
                print(f"kept database {name}: measure again with --reuse {name}")
    finally:
        await admin.close()


async def migrate(url: str) -> None:
    """As `vbsp-bot db upgrade` does."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def load() -> str:
    return " ".join(f"{n:.1f}" for n in os.getloadavg())


def report_planted(plan: Planted) -> None:
    print(f"\nplanted in {plan.seconds['total']:.1f} s (migrations included)")
    for name, value in plan.counts.items():
        shown = (
            value
            if not isinstance(value, dict)
            else ", ".join(f"{k} {v}" for k, v in value.items())
        )
        print(f"  {name}: {shown}")
    print(
        f"  busiest commune {plan.busiest}; report page measured: {plan.shown} ({plan.shown_code})"
    )


async def replan(dsn: str, args: argparse.Namespace) -> Planted:
    """What the measurement needs to know of a kept database."""
    province = f"{args.province:02d}"
    plan = Planted(dt.datetime.now(dt.UTC), province, [])
    open_states = ", ".join(f"'{state}'" for state in reports.OPEN)
    async with Store(dsn) as store:
        plan.busiest = await store.value(
            f"SELECT commune_code FROM reports WHERE status IN ({open_states}) GROUP BY 1 "
            "ORDER BY count(*) DESC LIMIT 1"
        )
        plan.shown, plan.shown_code = (await store.rows(
            "SELECT r.id, r.code FROM reports r JOIN report_files f ON f.report_id = r.id "
            "WHERE f.mime_type = 'application/pdf' LIMIT 1"
        ))[0]  # fmt: skip
    ids = staff_ids()
    plan.moderator, plan.official, plan.admin = ids["moderator0"], ids["official"], ids["admin"]
    return plan


if __name__ == "__main__":
    asyncio.run(main())

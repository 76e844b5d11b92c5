"""The staff console at scale: the server time of its pages with a province's year of reports
and a million messages sent, on PostgreSQL.

Makes a database of its own next to the one named (dropped at the end unless --keep), migrated
as `vbsp-bot db upgrade` does, and plants in it, with COPY and INSERT … SELECT (never the ORM
row by row):

- one province's citizens (users, 150,000 by default), its transaction points (1-3 a commune)
  and their subscriptions (two people in three);
- 20,000 reports over 12 months, spread unevenly over the province's communes, categories and
  states, each with the history and audit entries its moves write (handlers/reports/
  transitions.py: take, ask, answer, forward, resolve, reject, withdraw, each in its time, so
  that recent reports are still open), likely duplicates linked, evidence for some;
- 1,000,000 outbox rows of the last 90 days (what the outbox keeps, bot/scheduler.py):
  reminders (the eve and the day, each month, to each subscriber), notices of moved days,
  the reporters' notices of each move, and broadcasts' messages, as sent, failed or blocked;
  older broadcasts keep only their counts (``pruned_counts``), as pruning leaves them;
- the questions kept for the editors, and the staff who hold roles.

Then it starts the app `vbsp-bot serve` runs (bot.app.running, bot.webhook.build_web_app) on a
loopback port, opens console sessions (storage/console.py) for a province moderator and an
admin, and requests each page one after the other: warm-up requests first, then the measured
ones. Server time is the console's ``Server-Timing: app;dur=`` header (bot/console/timing.py):
everything the server does for the page, from the session to the last byte of the template;
the client's wall time, loopback included, is printed next to it. A page that answers 404 is
reported as not available (its part of the console is not there yet).

    python bench/console.py                       # PostgreSQL at the default URL
    python bench/console.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
    python bench/console.py --requests 50 --warmup 5 --keep    # quicker; keep the database
    python bench/console.py --reuse vbsp_bench_console         # measure a kept database again
    python bench/console.py --explain                          # also each query's plan (slow)
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
import sys
import time
from collections.abc import AsyncIterator, Iterator
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
from bot.webhook import build_web_app  # noqa: E402
from content.loader import load_content  # noqa: E402
from content.places import communes_of_province  # noqa: E402
from handlers.core.roles import grant_role  # noqa: E402
from handlers.reports import evidence_pdf  # noqa: E402
from handlers.reports.common import ACCUSED, CATEGORIES, REPORTER, escalated  # noqa: E402
from handlers.reports.transitions import Move, next_state  # noqa: E402
from handlers.schedules.reminders import Due, reminder_reply  # noqa: E402
from storage import console, reports  # noqa: E402
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
    moderator: str = ""  # channel_user_id of the measured province moderator
    admin: str = ""


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
    "touched_at", "closed_at",
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
        taken_by = forwarded_to = reason = None
        entries = 1
        for after, move in life(rng, contact_ok):
            at = created + dt.timedelta(hours=after)
            if at >= now:
                break
            to = next_state(state, move)
            assert to is not None, (state, move)
            by_reporter = move in (Move.WITHDRAW, Move.ANSWER)
            actor = REPORTER if by_reporter else moderator
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
            created, created, touched, closed,
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


async def copy(conn: asyncpg.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    await conn.copy_records_to_table(table, records=rows, columns=columns)


@contextlib.asynccontextmanager
async def step(plan: Planted, name: str) -> AsyncIterator[None]:
    started = time.perf_counter()
    yield
    plan.seconds[name] = time.perf_counter() - started
    print(f"  {name:<44} {plan.seconds[name]:6.1f} s", flush=True)


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
    conn = await asyncpg.connect(dsn)
    try:
        print(
            f"planting province {province} ({len(communes)} communes), "
            f"now = {now:%Y-%m-%d %H:%M} UTC"
        )
        user_channel: dict[int, tuple[str, str, bool]] = {}
        async with step(plan, "users"):
            rows = []
            commune_weights = weights(len(communes), 0.5)
            for user_id in range(1, args.users + 1):
                zalo = rng.random() < 0.15
                channel = "zalo" if zalo else "telegram"
                chat = (
                    hashlib.md5(str(user_id).encode()).hexdigest()[:16]
                    if zalo
                    else str(FIRST_TELEGRAM + user_id)
                )
                blocked = rng.random() < 0.02
                joined = now - dt.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
                seen = joined + (now - joined) * rng.random()
                user_channel[user_id] = (channel, chat, blocked)
                rows.append((
                    user_id, channel, chat, None, "en" if rng.random() < 0.08 else "vi", joined,
                    rng.choices(communes, commune_weights)[0], joined, seen, blocked, None,
                    rng.random() < 0.95,
                ))  # fmt: skip
            for name, chat in staff_ids().items():
                user_id = int(chat) - STAFF_FIRST + args.users + 1
                rows.append(
                    (
                        user_id,
                        "telegram",
                        chat,
                        f"Bench {name}",
                        "vi",
                        now - dt.timedelta(days=400),
                        communes[0],
                        now - dt.timedelta(days=400),
                        now,
                        False,
                        None,
                        True,
                    )
                )
            await copy(conn, "users", [
                "id", "channel", "channel_user_id", "display_name", "language", "consent_at",
                "commune_code", "created_at", "last_seen_at", "blocked", "person_id",
                "announcements",
            ], rows)  # fmt: skip
            commune_of = {row[0]: row[6] for row in rows}
        async with step(plan, "transaction points and subscriptions"):
            points: dict[str, list[str]] = {}
            rows = []
            for code in communes:
                for k in range(1, rng.choices((1, 2, 3), (5, 3, 2))[0] + 1):
                    point = f"{code}-{k}"
                    points.setdefault(code, []).append(point)
                    rows.append(
                        (
                            point,
                            code,
                            f"Điểm giao dịch xã {code} số {k}",
                            f"Nhà văn hóa thôn {k}",
                            rng.randint(1, 28),
                            dt.time(7, 30),
                            dt.time(11, 0),
                            f"PGD NHCSXH {code[:3]}",
                            "0255 000 000",
                            now - dt.timedelta(days=300),
                        )
                    )
            await copy(conn, "transaction_points", [
                "id", "commune_code", "name", "address", "day_of_month", "start_time", "end_time",
                "office", "phone", "updated_at",
            ], rows)  # fmt: skip
            rows = [
                (user_id, rng.choice(points[commune_of[user_id]]),
                 now - dt.timedelta(minutes=rng.randrange(400 * 24 * 60)))
                for user_id in range(1, args.users + 1)
                if rng.random() < 2 / 3
            ]  # fmt: skip
            await copy(conn, "subscriptions", ["user_id", "point_id", "created_at"], rows)
        async with step(plan, f"{args.reports} reports, history, audit"):
            history = make_reports(rng, args.reports, plan, user_channel)
            await copy(conn, "reports", REPORT_COLUMNS, history.reports)
            await copy(conn, "report_events", EVENT_COLUMNS, history.events)
            await copy(conn, "audit_log", AUDIT_COLUMNS, history.audit)
            plan.busiest = max(history.open_by_commune, key=history.open_by_commune.__getitem__)
            _, plan.shown, plan.shown_code = max(history.rich)
        async with step(plan, "evidence"):
            rows = []
            created_of = {r[0]: r[20] for r in history.reports}
            with_files = rng.sample(range(1, args.reports + 1), args.reports * 15 // 100)
            for report_id in with_files:
                if report_id == plan.shown:
                    continue
                for n in range(rng.choice((1, 1, 2))):
                    size = rng.randint(8_000, 24_000)
                    rows.append(
                        (
                            report_id,
                            None,
                            "photo",
                            "image/jpeg",
                            f"photo-{n + 1}.jpg",
                            size,
                            rng.randbytes(size),
                            created_of[report_id] - dt.timedelta(minutes=3),
                        )
                    )
            # The page measured shows real pictures and a three-page PDF.
            at = created_of[plan.shown] - dt.timedelta(minutes=5)
            for n, data in enumerate((photo(1), photo(2))):
                rows.append(
                    (
                        plan.shown,
                        None,
                        "photo",
                        "image/jpeg",
                        f"photo-{n + 1}.jpg",
                        len(data),
                        data,
                        at,
                    )
                )
            document = pdf(3)
            rows.append(
                (
                    plan.shown,
                    None,
                    "document",
                    "application/pdf",
                    "giay-vay.pdf",
                    len(document),
                    document,
                    at,
                )
            )
            await copy(conn, "report_files", [
                "report_id", "owner_id", "kind", "mime_type", "file_name", "size", "data",
                "created_at",
            ], rows)  # fmt: skip
        async with step(plan, "kept questions"):
            rows = []
            for _ in range(args.questions):
                user_id = rng.randint(1, args.users)
                topic = "none" if rng.random() < 0.3 else rng.choice(TOPICS)
                rows.append(
                    (
                        user_id,
                        user_channel[user_id][0],
                        "vay *** bao nhiêu lãi một tháng",
                        topic,
                        rng.random(),
                        now - dt.timedelta(minutes=rng.randrange(OUTBOX_DAYS * 24 * 60)),
                    )
                )
            await copy(
                conn,
                "kept_questions",
                ["user_id", "channel", "text", "topic", "score", "created_at"],
                rows,
            )
        async with step(plan, "outbox: reminders"):
            await plant_reminders(conn, content, now)
        async with step(plan, "outbox: notices of moved days and of reports"):
            await plant_changes(conn, now)
            await copy(conn, "outbox", OUTBOX_COLUMNS, history.notices)
        async with step(plan, "outbox: broadcasts"):
            await plant_broadcasts(conn, now, province, args.messages)
        async with step(plan, "staff, sequences"):
            await conn.execute(SEQUENCES)
        async with step(plan, "VACUUM ANALYZE"):
            await conn.execute("VACUUM ANALYZE")
        for table in ("users", "subscriptions", "reports", "report_events", "audit_log",
                      "report_files", "kept_questions", "broadcasts", "outbox"):  # fmt: skip
            plan.counts[table] = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
        by_status = await conn.fetch(
            "SELECT status, count(*) FROM outbox GROUP BY status ORDER BY 1"
        )
        by_kind = await conn.fetch("SELECT kind, count(*) FROM outbox GROUP BY kind ORDER BY 1")
        plan.counts["outbox by status"] = {r[0]: r[1] for r in by_status}
        plan.counts["outbox by kind"] = {r[0]: r[1] for r in by_kind}
        states = await conn.fetch(
            "SELECT status, count(*) FROM reports GROUP BY status ORDER BY 2 DESC"
        )
        plan.counts["reports by state"] = {r[0]: r[1] for r in states}
        plan.counts["database MB"] = (
            int(await conn.fetchval("SELECT pg_database_size(current_database())")) >> 20
        )
    finally:
        await conn.close()
    return plan


SEQUENCES = """
SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users));
SELECT setval(pg_get_serial_sequence('reports', 'id'), (SELECT max(id) FROM reports));
SELECT setval(pg_get_serial_sequence('report_events', 'id'), (SELECT max(id) FROM report_events));
SELECT setval(pg_get_serial_sequence('audit_log', 'id'), (SELECT max(id) FROM audit_log));
SELECT setval(pg_get_serial_sequence('broadcasts', 'id'), (SELECT max(id) FROM broadcasts));
"""

# One row per subscriber, point, occurrence and kind (the eve at 18:00, the day at 06:00), for
# each of the point's days in the last 90 days, keyed as handlers/schedules/reminders.py keys
# them; a person who blocked the bot has no reminders after it.
REMINDERS = """
INSERT INTO outbox (dedup_key, channel, channel_user_id, kind, payload, status, attempts,
    not_before, created_at, sent_at, last_error, in_doubt)
SELECT 'rem:' || p.id || ':' || d.day || ':' || k.kind || ':' || u.id, u.channel,
    u.channel_user_id, 'reminder_' || k.kind,
    CASE k.kind WHEN 'eve' THEN $2::json ELSE $3::json END,
    CASE WHEN h.n < 15 THEN 'blocked' WHEN h.n < 25 THEN 'failed' ELSE 'sent' END,
    CASE WHEN h.n BETWEEN 15 AND 24 THEN 5 ELSE 1 END,
    t.at, t.at,
    CASE WHEN h.n >= 25 THEN t.at + (h.n % 600) * interval '1 second' END,
    CASE WHEN h.n BETWEEN 15 AND 24 THEN 'TimedOut' END, false
FROM subscriptions s
JOIN users u ON u.id = s.user_id
JOIN transaction_points p ON p.id = s.point_id
CROSS JOIN generate_series(0, 3) AS m(back)
CROSS JOIN (VALUES ('eve', interval '-6 hours'), ('day', interval '6 hours')) AS k(kind, shift)
CROSS JOIN LATERAL (
    SELECT (date_trunc('month', $1::timestamptz AT TIME ZONE 'Asia/Ho_Chi_Minh')
            - m.back * interval '1 month' + (p.day_of_month - 1) * interval '1 day')::date AS day
) AS d
CROSS JOIN LATERAL (SELECT (d.day + k.shift) AT TIME ZONE 'Asia/Ho_Chi_Minh' AS at) AS t
CROSS JOIN LATERAL (SELECT abs(hashtext(u.id || ':' || d.day || k.kind)) % 1000 AS n) AS h
WHERE t.at < $1::timestamptz AND t.at >= $1::timestamptz - interval '90 days'
"""


async def plant_reminders(conn: asyncpg.Connection, content: Any, now: dt.datetime) -> None:
    """The reminders' payloads are real ones, rendered once (as planning does per language)."""
    point = TransactionPoint(
        id="00000-1", commune_code="00000", name="Điểm giao dịch xã", address="Nhà văn hóa thôn 1",
        day_of_month=15, start_time=dt.time(7, 30), end_time=dt.time(11, 0),
        office="PGD NHCSXH", phone="0255 000 000",
    )  # fmt: skip
    day = now.astimezone(VN).date()
    payloads = [
        json.dumps(reminder_reply(content, "vi", Due(point, day, kind)).to_payload())
        for kind in ("eve", "day")
    ]
    await conn.execute(REMINDERS, now, *payloads)


# One day in twenty points was moved in the last 90 days: a notice to each subscriber.
CHANGES = """
INSERT INTO outbox (dedup_key, channel, channel_user_id, kind, payload, status, attempts,
    not_before, created_at, sent_at, last_error, in_doubt)
SELECT 'chg:' || p.id || ':' || c.regular || ':' || (c.regular + 2) || ':x:' || u.id, u.channel,
    u.channel_user_id, 'schedule_change', $2::json, 'sent', 1, c.at, c.at,
    c.at + (u.id % 300) * interval '1 second', NULL, false
FROM transaction_points p
CROSS JOIN LATERAL (
    SELECT ($1::timestamptz - (abs(hashtext(p.id)) % 80 + 5) * interval '1 day') AS at,
           ($1::timestamptz - (abs(hashtext(p.id)) % 80) * interval '1 day')::date AS regular
) AS c
JOIN subscriptions s ON s.point_id = p.id
JOIN users u ON u.id = s.user_id AND NOT u.blocked
WHERE abs(hashtext(p.id)) % 20 = 0
"""
CHANGE_PAYLOAD = json.dumps({
    "text": "Lịch giao dịch tại Điểm giao dịch xã đã đổi: ngày 12/11 chuyển sang 14/11 "
            "(lý do: trùng lịch họp). Giờ giao dịch không đổi.",
    "buttons": [[{"label": "Hủy nhắc lịch", "action": "un:00000-1"}]],
})  # fmt: skip


async def plant_changes(conn: asyncpg.Connection, now: dt.datetime) -> None:
    await conn.execute(CHANGES, now, CHANGE_PAYLOAD)


BROADCAST_ROWS = """
INSERT INTO outbox (dedup_key, channel, channel_user_id, kind, payload, status, attempts,
    not_before, created_at, sent_at, last_error, broadcast_id, in_doubt)
SELECT 'b:' || $1::int || ':' || u.id, u.channel, u.channel_user_id, 'broadcast',
    json_build_object('lang', coalesce(u.language, 'vi')),
    CASE WHEN h.n < 20 THEN 'blocked' WHEN h.n < 30 THEN 'failed' ELSE 'sent' END,
    CASE WHEN h.n BETWEEN 20 AND 29 THEN 5 ELSE 1 END, $2::timestamptz, $2::timestamptz,
    CASE WHEN h.n >= 30 THEN $2::timestamptz + (u.id % 7200) * interval '1 second' END,
    CASE WHEN h.n BETWEEN 20 AND 29 THEN 'TimedOut' END, $1::int, false
FROM users u
CROSS JOIN LATERAL (SELECT abs(hashtext($1::int || ':' || u.id)) % 1000 AS n) AS h
WHERE NOT u.blocked AND u.announcements AND u.commune_code IS NOT NULL
ORDER BY u.id
LIMIT $3::bigint
"""
BROADCAST = """
INSERT INTO broadcasts (id, author, author_language, area_code, subscribers_only, urgent, text,
    payloads, status, created_at, confirmed_at, approved_by, approved_at, started_at,
    finished_at, recipients, progress, pruned_counts)
VALUES ($1, $2, 'vi', $3, $4, false, $5, $6::json, 'done', $7::timestamptz, $7::timestamptz,
    $8, $7::timestamptz, $7::timestamptz, $7::timestamptz + interval '3 hours', $9, 100,
    $10::json)
"""


async def plant_broadcasts(
    conn: asyncpg.Connection, now: dt.datetime, province: str, messages: int
) -> None:
    """The province's broadcasts: one a month for a year; those of the last 90 days still have
    their outbox rows, as many as make up ``messages`` with the rest; older ones only their
    counts. Each goes to everyone in the province who takes announcements; the last of the
    recent ones stops where the total is made (as if it went to some of its communes)."""
    text = "Thông báo: phiên giao dịch tháng này tại các điểm giao dịch xã diễn ra như thường lệ."
    payloads = json.dumps(
        {"vi": {"text": text, "buttons": []}, "en": {"text": text, "buttons": []}}
    )
    official, approver = f"telegram:{staff_ids()['official']}", f"telegram:{staff_ids()['admin']}"
    everyone = int(await conn.fetchval(
        "SELECT count(*) FROM users"
        " WHERE NOT blocked AND announcements AND commune_code IS NOT NULL"
    ))  # fmt: skip
    left = messages - int(await conn.fetchval("SELECT count(*) FROM outbox"))
    recent = math.ceil(left / everyone) if left > 0 else 0
    broadcast_id = 0
    for month in range(12, 0, -1):  # old ones: counts only
        started = now - dt.timedelta(days=30 * month + 5)
        if started >= now - dt.timedelta(days=OUTBOX_DAYS):
            continue
        broadcast_id += 1
        pruned = {
            "sent": everyone * 97 // 100,
            "blocked": everyone // 50,
            "failed": everyone // 100,
        }
        await conn.execute(BROADCAST, broadcast_id, official, province, False, text, payloads,
                           started, approver, everyone, json.dumps(pruned))  # fmt: skip
    for n in range(recent):
        broadcast_id += 1
        started = now - dt.timedelta(days=OUTBOX_DAYS - 5 - n * (OUTBOX_DAYS - 10) // recent)
        await conn.execute(BROADCAST, broadcast_id, official, province, False, text, payloads,
                           started, approver, 0, None)  # fmt: skip
        result = await conn.execute(BROADCAST_ROWS, broadcast_id, started, left)
        written = int(result.split()[-1])
        left -= written
        await conn.execute(
            "UPDATE broadcasts SET recipients = $2 WHERE id = $1", broadcast_id, written
        )


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
    plan.moderator, plan.admin = ids["moderator0"], ids["admin"]


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Page:
    label: str
    who: str  # "moderator" or "admin"
    path: str | None  # None: could not be found (a link missing from the pages it follows)
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
                    for who, chat in ((MODERATOR, plan.moderator), (ADMIN, plan.admin))
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


MODERATOR, ADMIN = "moderator", "admin"
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
    print(f"\nSQL per page (the median of {PROFILED} more requests, statements recorded):")
    print("| page | statements | SQL ms | server p50 ms | slowest statement ms |")
    print("|---|---:|---:|---:|---:|")
    slow: list[tuple[Page, list[Statement]]] = []
    for page in pages:
        if not page.server or page.path is None:
            continue
        runs: list[list[Statement]] = []
        for _ in range(PROFILED):
            with Recorder(engine) as recorder:
                await clients[page.who].get(page.path)
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
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    shown: dict[str, str] = {}
    try:
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
                plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {st.sql}", *(st.params or ()))
                print(f"\n--- {n}. ({st.ms:.1f} ms) parameters {st.params}\n{st.sql}")
                print("\n".join(row[0] for row in plan))
    finally:
        await conn.close()


def pages_of(plan: Planted, page50: str | None, year: str | None) -> list[Page]:
    """The pages measured: the province moderator's unless said (the admin's: whole country)."""
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
        Page("dashboard: default period", MODERATOR, "/staff/dashboard"),
        Page("dashboard: 12 months", MODERATOR, year),
        Page("dashboard: admin, 12 months", ADMIN, year),
    ]


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
        status, _, server, wall = await client.get(page.path)
        if status != page.status or server is None:
            page.note = f"answered {status} at request {n + 1} (no {HEADER}: {server is None})"
            return
        if n >= args.warmup:
            page.server.append(server)
            page.client.append(wall)


def line(page: Page) -> str:
    if not page.server:
        return f"| {page.label} | {page.path or ''} | {page.note} | | | | |"
    s, c = page.server, page.client
    verdict = "ok" if percentile(s, 95) < LIMIT_MS else "**over 150 ms**"
    redirect = " (303)" if page.status == 303 else ""
    figures = " | ".join(f"{percentile(s, p):.1f}" for p in (50, 95, 99))
    return (
        f"| {page.label}{redirect} | `{page.path}` | {figures} | "
        f"{percentile(c, 50):.1f} / {percentile(c, 95):.1f} | {verdict} |"
    )


HEAD = f"""\
| page | address | server p50 ms | p95 | p99 | client p50 / p95 ms | p95 < {LIMIT_MS:.0f} ms |
|---|---|---:|---:|---:|---:|---|"""


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
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    admin_dsn = args.pg.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = args.reuse or args.database
    url = f"{args.pg.rsplit('/', 1)[0]}/{name}"
    dsn = f"{admin_dsn.rsplit('/', 1)[0]}/{name}"
    admin = await asyncpg.connect(admin_dsn)
    server = "PostgreSQL " + str(await admin.fetchval("SHOW server_version")).split()[0]
    try:
        if args.reuse:  # migrated to this code's head first (an index added since, say)
            engine = create_engine(url)
            await upgrade(engine)
            await engine.dispose()
            plan = await replan(dsn, args)
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
            started = time.perf_counter()
            engine = create_engine(url)
            await upgrade(engine)
            await engine.dispose()
            plan = await plant(dsn, args)
            await grant_staff(url, plan)
            plan.seconds["total"] = time.perf_counter() - started
            report_planted(plan)
        print(f"\nmeasuring: {args.warmup} warm-up, then {args.requests} requests a page in turn")
        print(f"machine: {os.cpu_count()} cores, load average {load()} at the start; {server}")
        print(HEAD)
        await measure(url, plan, args)
        print(f"load average {load()} at the end (other work on the machine shows in p95/p99)")
    finally:
        if not args.keep and not args.reuse:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif not args.reuse:
            print(f"kept database {name}: measure again with --reuse {name}")
        await admin.close()


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
    conn = await asyncpg.connect(dsn)
    try:
        province = f"{args.province:02d}"
        communes = [c.code for c in communes_of_province(args.province)]
        plan = Planted(dt.datetime.now(dt.UTC), province, communes)
        plan.busiest = await conn.fetchval(
            "SELECT commune_code FROM reports WHERE status = ANY($1) GROUP BY 1 "
            "ORDER BY count(*) DESC LIMIT 1", list(reports.OPEN))  # fmt: skip
        row = await conn.fetchrow(
            "SELECT r.id, r.code FROM reports r JOIN report_files f ON f.report_id = r.id "
            "WHERE f.mime_type = 'application/pdf' LIMIT 1"
        )
        plan.shown, plan.shown_code = row["id"], row["code"]
    finally:
        await conn.close()
    plan.moderator, plan.admin = staff_ids()["moderator0"], staff_ids()["admin"]
    return plan


if __name__ == "__main__":
    asyncio.run(main())

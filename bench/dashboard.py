"""The dashboard's queries at scale on PostgreSQL: 20,000 reports with their audit entries,
1,000,000 outbox rows (reminders and broadcasts), 200,000 subscriptions.

    python bench/dashboard.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test

Makes a database of its own next to the one named (dropped at the end), plants the rows with
set-based SQL, then prints each query's median time for the whole country, a province and a
commune, over 12 months; with --plans, PostgreSQL's plan of each statement too.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import event

from bot.console.dashboard import FigureCache
from content.loader import load_content
from content.places import communes_of_province
from handlers.stats import figures
from handlers.stats.period import Choice, ready
from handlers.stats.scope import Scope
from storage import stats
from storage.db import create_engine, session_factory, transaction, upgrade

NOW = dt.datetime(2026, 12, 14, 2, 0, tzinfo=dt.UTC)
PROVINCE = 51

PLANT = [
    # 20,000 reports over a year, most in province 51's communes (picked by number below)
    """
    INSERT INTO reports (code, handle, category, escalated, commune_code, province_code,
        description, danger, contact_ok, status, consent_at, created_at, touched_at, closed_at)
    SELECT lpad(n::text, 8, '0'), lpad((n % 99999)::text, 5, '0'),
        (ARRAY['usury','app','threats','leaflets','fees','other'])[1 + n % 6],
        n % 6 >= 4, c.code, c.province, 'x', false, false,
        (ARRAY['new','in_review','resolved','rejected','resolved','forwarded'])[1 + n % 6],
        $1::timestamptz - (n % 525600) * interval '1 minute',
        $1::timestamptz - (n % 525600) * interval '1 minute',
        $1::timestamptz - (n % 525600) * interval '1 minute',
        CASE WHEN n % 6 IN (2, 3, 4)
             THEN $1::timestamptz - (n % 525600) * interval '1 minute'
                  + (n % 97) * interval '1 hour'
        END
    FROM generate_series(1, 20000) n
    JOIN (SELECT row_number() OVER () - 1 AS i, code, province FROM unnest($2::text[], $3::text[])
          AS t(code, province)) c ON c.i = n % $4
    """,
    """
    INSERT INTO audit_log (at, actor, action, subject, detail)
    SELECT created_at, 'reporter', 'report.create', 'report:' || id, '{}'::json FROM reports
    UNION ALL
    SELECT created_at + (id % 50) * interval '1 hour', 'telegram:' || (id % 40), 'report.take',
        'report:' || id, '{}'::json FROM reports WHERE status <> 'new'
    UNION ALL
    SELECT closed_at, 'telegram:' || (id % 40), 'report.resolve', 'report:' || id, '{}'::json
    FROM reports WHERE closed_at IS NOT NULL
    """,
    # each report's first moderator action, as handlers/reports/common.py change_status keeps it
    """
    UPDATE reports r SET first_action_at = a.at
    FROM (SELECT subject, min(at) AS at FROM audit_log WHERE actor <> 'reporter'
          GROUP BY subject) a
    WHERE a.subject = 'report:' || r.id
    """,
    """
    INSERT INTO transaction_points (id, commune_code, name, address, day_of_month, start_time,
        end_time, office, phone, updated_at)
    SELECT 'P' || n, c.code, 'p', 'a', 1 + n % 28, '07:30', '11:00', 'o', '1', $1::timestamptz
    FROM generate_series(0, 2999) n
    JOIN (SELECT row_number() OVER () - 1 AS i, code FROM unnest($2::text[]) AS t(code)) c
      ON c.i = n % $3
    """,
    """
    INSERT INTO users (channel, channel_user_id, commune_code, created_at, last_seen_at, blocked,
        announcements)
    SELECT 'telegram', n::text, p.commune_code, $1::timestamptz, $1::timestamptz, false, true
    FROM generate_series(1, 200000) n JOIN transaction_points p ON p.id = 'P' || (n % 3000)
    """,
    """
    INSERT INTO subscriptions (user_id, point_id, created_at)
    SELECT u.id, 'P' || (u.channel_user_id::int % 3000),
        $1::timestamptz - (u.id % 400) * interval '1 day'
    FROM users u
    """,
    # 300,000 reminders over the 90 days the outbox keeps, 700,000 rows of 10 broadcasts
    """
    INSERT INTO outbox (dedup_key, channel, channel_user_id, kind, payload, status, attempts,
        not_before, created_at, sent_at, in_doubt)
    SELECT 'rem:' || s.point_id || ':' || d || ':eve:' || s.user_id, 'telegram',
        s.user_id::text, 'reminder_eve', '{}'::json,
        (ARRAY['sent','sent','sent','sent','sent','sent','sent','sent','blocked','failed'])
            [1 + (s.user_id + d) % 10],
        1, $1::timestamptz - d * interval '1 day', $1::timestamptz - d * interval '1 day',
        $1::timestamptz - d * interval '1 day', false
    FROM subscriptions s, generate_series(1, 90, 60) d
    WHERE s.user_id % 4 <> 0
    """,
    """
    INSERT INTO broadcasts (id, author, author_language, area_code, subscribers_only, urgent,
        text, payloads, status, created_at, started_at, finished_at, recipients, progress)
    SELECT b, 'telegram:1', 'vi', CASE WHEN b % 2 = 0 THEN $2 ELSE NULL END, false, false, 't',
        '{}'::json, 'done', $1::timestamptz - b * interval '20 days',
        $1::timestamptz - b * interval '20 days', $1::timestamptz - b * interval '20 days',
        70000, 100
    FROM generate_series(1, 10) b
    """,
    """
    INSERT INTO outbox (dedup_key, channel, channel_user_id, kind, payload, status, attempts,
        not_before, created_at, sent_at, broadcast_id, in_doubt)
    SELECT 'b:' || b || ':' || n, 'telegram', n::text, 'broadcast', '{}'::json,
        CASE WHEN n % 20 = 0 THEN 'blocked' ELSE 'sent' END, 1,
        $1::timestamptz - b * interval '20 days', $1::timestamptz - b * interval '20 days',
        $1::timestamptz - b * interval '20 days', b, false
    FROM generate_series(1, 10) b, generate_series(1, 70000) n
    """,
    # today's reminders, the morning's: not yet tallied (the day is not over), a quarter
    # still waiting to be sent
    """
    INSERT INTO outbox (dedup_key, channel, channel_user_id, kind, payload, status, attempts,
        not_before, created_at, sent_at, in_doubt)
    SELECT 'rem:' || s.point_id || ':today:day:' || s.user_id, 'telegram', s.user_id::text,
        'reminder_day', '{}'::json,
        CASE WHEN s.user_id % 4 = 1 THEN 'pending' ELSE 'sent' END, 1,
        $1::timestamptz - interval '1 hour', $1::timestamptz - interval '1 hour',
        $1::timestamptz - interval '1 hour', false
    FROM subscriptions s
    WHERE s.user_id % 10 = 0
    """,
    # the nine months before the outbox's 90 days: reminders long pruned, their counts kept by
    # day, point and status, on each point's transaction day and its eve
    """
    INSERT INTO reminder_tallies (day, point_id, status, n)
    SELECT d::date, p.id, s.status, s.n
    FROM transaction_points p
    CROSS JOIN generate_series($1::timestamptz - interval '365 days',
                               $1::timestamptz - interval '91 days', interval '1 day') d
    CROSS JOIN (VALUES ('sent', 60), ('blocked', 5), ('failed', 1)) s(status, n)
    WHERE extract(day FROM d)::int IN (p.day_of_month, p.day_of_month - 1)
    """,
    # the same counts by month, by commune and for the whole country (storage/stats.py)
    """
    INSERT INTO reminder_months (month, commune_code, status, n)
    SELECT to_char(t.day, 'YYYY-MM'), p.commune_code, t.status, sum(t.n)
    FROM reminder_tallies t JOIN transaction_points p ON p.id = t.point_id
    GROUP BY 1, 2, 3
    UNION ALL
    SELECT to_char(day, 'YYYY-MM'), '*', status, sum(n) FROM reminder_tallies GROUP BY 1, 2, 3
    """,
    # finished broadcasts leave their final counts in the audit log (handlers/broadcasts/jobs.py)
    """
    INSERT INTO audit_log (at, actor, action, subject, detail)
    SELECT finished_at, 'system', 'broadcast.finish', 'broadcast:' || id,
        json_build_object('state', 'done', 'sent', 66500, 'blocked', 3500, 'failed', 0,
                          'cancelled', 0, 'in_doubt', 0)
    FROM broadcasts
    """,
    # as autovacuum leaves tables in service: statistics, and the visibility map that lets an
    # index answer alone
    "VACUUM ANALYZE",
]


async def plant(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        communes = [c.code for c in communes_of_province(PROVINCE)] + ["00004", "00007"]
        provinces = [f"{PROVINCE:02d}"] * (len(communes) - 2) + ["01", "01"]
        for sql in PLANT:
            started = time.perf_counter()
            if "INSERT INTO reports" in sql:
                await conn.execute(sql, NOW, communes, provinces, len(communes))
            elif "INSERT INTO transaction_points" in sql:
                await conn.execute(sql, NOW, communes, len(communes))
            elif "INSERT INTO broadcasts" in sql:
                await conn.execute(sql, NOW, f"{PROVINCE:02d}")
            elif "$1" in sql:
                await conn.execute(sql, NOW)
            else:
                await conn.execute(sql)
            print(f"planted in {time.perf_counter() - started:5.1f} s: {' '.join(sql.split()[:3])}")
        for table in ("reports", "audit_log", "subscriptions", "outbox", "reminder_tallies"):
            count = await conn.fetchval(f"SELECT count(*) FROM {table}")
            print(f"{table}: {count} rows")
    finally:
        await conn.close()


async def timed(label: str, work: Callable[[], Awaitable[Any]], repeat: int = 7) -> None:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await work()
        times.append(time.perf_counter() - started)
    times.sort()
    size = len(result) if isinstance(result, list | dict) else result
    print(f"{label:<48} median {times[len(times) // 2] * 1000:7.1f} ms  ({size})")


RUNS = 40


async def percentiles(label: str, work: Callable[[], Awaitable[Any]], runs: int) -> None:
    """p50 and p95 of ``runs`` runs, after one not counted (the plans' first making)."""
    await work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p50 = times[len(times) // 2]
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
    print(f"{label:<48} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {times[-1]:7.1f} ms")


async def run(base_url: str, plans: bool, keep: bool) -> None:
    name = f"vbsp_bench_{uuid.uuid4().hex[:8]}"
    admin_dsn = base_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = base_url.rsplit("/", 1)[0] + "/" + name
    engine = create_engine(url)
    try:
        await upgrade(engine)
        await plant(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        sessions = session_factory(engine)
        # The hourly job (bot/scheduler.py) has counted every settled day; its first run
        # counts the whole outbox's 90 days, the next ones a day.
        if hasattr(stats, "tally_settled_reminders"):
            started = time.perf_counter()
            async with transaction(sessions) as session:
                days = await stats.tally_settled_reminders(session, NOW)
            print(f"tallied {days} days in {time.perf_counter() - started:5.1f} s")
            async with transaction(sessions) as session:
                again = await stats.tally_settled_reminders(session, NOW)
            print(f"tallied again: {again} days")
            conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
            await conn.execute("VACUUM ANALYZE reminder_tallies")
            await conn.execute("VACUUM ANALYZE reminder_months")
            await conn.execute("VACUUM ANALYZE reminder_tally_mark")
            await conn.close()
        if plans:

            @event.listens_for(engine.sync_engine, "before_cursor_execute")
            def _explain(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
                if statement.lstrip().upper().startswith("SELECT"):
                    print(statement)

        content = load_content()
        days = ready(Choice.MONTHS_12, NOW.date())
        period = days.period(ZoneInfo("Asia/Ho_Chi_Minh"))
        communes = [c.code for c in communes_of_province(PROVINCE)]
        one = communes[0]
        province = f"{PROVINCE:02d}"
        for label, areas, places, codes in [
            ("country", [None], None, None),
            ("province", [province], communes, [province, *communes]),
            ("commune", [one], [one], [one]),
        ]:

            def call(function, *args):  # type: ignore[no-untyped-def]
                async def work():  # type: ignore[no-untyped-def]
                    async with transaction(sessions) as session:
                        return await function(session, *args, period)

                return work

            print(f"--- {label}")
            await timed("reports by week", call(stats.reports_by_week, areas))
            await timed("reports by commune", call(stats.reports_by_commune, areas))
            await timed("reports by status", call(stats.reports_by_status, areas))
            await timed("time to first action", call(stats.time_to_first_action, areas))
            await timed("time to resolution", call(stats.time_to_resolution, areas))
            await timed("subscribers by commune", call(stats.subscribers_by_commune, places))
            await timed("reminders by month", call(stats.reminders_by_month, places))
            await timed("broadcasts", call(stats.broadcasts_started, codes))
            await timed("kept questions", call(stats.kept_questions_by_topic, places))

            async def whole_page(areas=areas, cache=None):  # type: ignore[no-untyped-def]
                """The page's work: every figure it shows and its table (the charts are
                pictures asked for apart). ``cache``: kept as the console keeps them."""
                scope = Scope(tuple(areas), tuple(areas), tuple(areas))
                async with transaction(sessions) as session:
                    made = figures.Request(
                        session, content, "vi", scope, days, ZoneInfo("Asia/Ho_Chi_Minh"), NOW
                    )
                    shown = []
                    for name in figures.visible(scope):
                        key = (name, scope.key(), days.choice, days.first, days.last, "vi")
                        figure = cache.get(key) if cache is not None else None
                        if figure is None:
                            figure = await figures.figure(made, name)
                            if cache is not None:
                                cache.put(key, figure)
                        figures.table(figure, "vi")
                        shown.append(figure)
                    return shown

            await timed("the whole dashboard (8 figures, 12 months)", whole_page)
            await percentiles(f"{label}: the page, no figure kept (cold)", whole_page, RUNS)
            kept = FigureCache()
            await whole_page(cache=kept)
            await percentiles(
                f"{label}: the page, figures kept (warm)", partial(whole_page, cache=kept), RUNS
            )
    finally:
        await engine.dispose()
        if keep:
            print(f"kept database {name}")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database, print its name")
    args = parser.parse_args()
    asyncio.run(run(args.pg, args.plans, args.keep))


if __name__ == "__main__":
    main()

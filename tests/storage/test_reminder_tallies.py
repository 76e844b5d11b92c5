"""Reminders counted ahead of time (storage/stats.py, ``tally_settled_reminders``): the
dashboard's counts equal a direct count of what was planted, whatever was tallied, retried,
pruned, or tallied twice, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import event, text
from sqlmodel import select

from storage import outbox, stats
from storage.db import session_factory, transaction
from storage.delivery_models import ReminderTally, ReminderTallyMark
from storage.models import Outbox
from tests.storage.test_stats import HANOI, SON_TINH, plant_people

VN = dt.timezone(dt.timedelta(hours=7))
VN_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# 15 October to 15 December, local: two month boundaries inside.
WIDE = stats.Period(dt.datetime(2026, 10, 15, tzinfo=VN), dt.datetime(2026, 12, 15, tzinfo=VN))
AREAS: list[list[str] | None] = [None, [SON_TINH], [HANOI]]
COMMUNE = {"ST-1": SON_TINH, "ST-2": SON_TINH, "QN-1": "21211", "HN_1": HANOI}


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=VN)


@dataclass
class Planted:
    key: str
    point: str
    created_at: dt.datetime
    status: str
    id: int | None = None


def plan() -> list[Planted]:
    """Reminders around local midnights that are not UTC's, a month's end among them."""
    rows = [
        ("ST-1", at(10, 31, 23, 59), "sent"),  # 31 Oct local (16:59 UTC)
        ("ST-1", at(11, 1, 0, 0), "sent"),  # 1 Nov local, still 31 Oct in UTC
        ("ST-1", at(11, 1, 6, 30), "blocked"),
        ("ST-2", at(11, 1, 6, 59), "failed"),
        ("HN_1", at(11, 1, 23, 59), "sent"),
        ("ST-2", at(11, 2, 0, 1), "sent"),
        ("ST-1", at(11, 3, 18), "pending"),  # a retry waiting: the 3rd is not settled yet
        ("ST-1", at(11, 3, 18), "sent"),
        ("HN_1", at(11, 4, 18), "sent"),
        ("QN-1", at(11, 4, 18), "sending"),
        ("ST-2", at(11, 30, 23, 30), "sent"),  # the month's last minutes
        ("ST-2", at(12, 1, 0, 30), "blocked"),  # the next month, still 30 Nov in UTC
    ]
    return [
        Planted(f"rem:{point}:2026-11-05:eve:{n}", point, created, status)
        for n, (point, created, status) in enumerate(rows)
    ]


def direct(planted: list[Planted], communes: list[str] | None) -> list[tuple[str, str, int]]:
    """The counts by local month and status, counted from what was planted."""
    found: dict[tuple[str, str], int] = {}
    for row in planted:
        if communes is not None and COMMUNE[row.point] not in communes:
            continue
        if not WIDE.start <= row.created_at < WIDE.end:
            continue
        month = row.created_at.astimezone(VN).strftime("%Y-%m")
        found[(month, row.status)] = found.get((month, row.status), 0) + 1
    return [(m, s, n) for (m, s), n in sorted(found.items())]


async def plant(engine, planted: list[Planted]) -> None:
    async with transaction(session_factory(engine)) as session:
        await plant_people(session)
        for n, row in enumerate(planted):
            handled = row.status not in ("pending", "sending")
            made = Outbox(
                dedup_key=row.key,
                channel="telegram",
                channel_user_id=str(n),
                kind="reminder_eve",
                status=row.status,
                created_at=row.created_at,
                not_before=row.created_at,
                sent_at=row.created_at if handled else None,
            )
            session.add(made)
            await session.flush()
            row.id = made.id
        # a broadcast's row is never a reminder
        session.add(
            Outbox(
                dedup_key="b:1:1",
                channel="telegram",
                channel_user_id="9",
                kind="broadcast",
                status="sent",
                created_at=at(11, 2, 9),
                sent_at=at(11, 2, 9),
            )
        )


async def same_as_direct(engine, planted: list[Planted]) -> None:
    async with transaction(session_factory(engine)) as session:
        for communes in AREAS:
            found = await stats.reminders_by_month(session, communes, WIDE)
            assert found == direct(planted, communes), communes


async def tally(engine, now: dt.datetime) -> int:
    async with transaction(session_factory(engine)) as session:
        return await stats.tally_settled_reminders(session, now)


async def mark_of(engine) -> ReminderTallyMark:
    async with transaction(session_factory(engine)) as session:
        return (await session.exec(select(ReminderTallyMark))).one()


async def tallies(engine) -> list[tuple[dt.date, str, str, int]]:
    async with transaction(session_factory(engine)) as session:
        rows = (await session.exec(select(ReminderTally))).all()
        return sorted((r.day, r.point_id, r.status, r.n) for r in rows)


async def test_tallied_days_count_the_same_as_the_outbox(engine):
    planted = plan()
    await plant(engine, planted)
    await same_as_direct(engine, planted)

    # 5 Nov, 00:30 local: the 4th ended only half an hour ago, and the 3rd has a retry
    # waiting: the mark stops after the 2nd.
    assert await tally(engine, at(11, 5, 0, 30)) == 3  # 31 Oct, 1 and 2 Nov
    mark = await mark_of(engine)
    assert mark.through == dt.date(2026, 11, 2)
    assert mark.live_from == at(11, 3, 0)
    await same_as_direct(engine, planted)
    counted = await tallies(engine)
    assert (dt.date(2026, 11, 1), "ST-1", "sent", 1) in counted  # 00:00 local is the 1st
    assert (dt.date(2026, 10, 31), "ST-1", "sent", 1) in counted

    # the same hour again, or on a second replica: nothing more
    assert await tally(engine, at(11, 5, 0, 30)) == 0
    assert await tallies(engine) == counted
    await same_as_direct(engine, planted)

    # the retry is sent; the row being sent on the 4th ends too
    async with transaction(session_factory(engine)) as session:
        for row in planted:
            if row.status in ("pending", "sending"):
                await outbox.mark(session, row.id, outbox.SENT, at(11, 5, 1))
                row.status = "sent"
    await same_as_direct(engine, planted)
    # the 3rd is settled now; the 4th only an hour after its end
    assert await tally(engine, at(11, 5, 0, 59)) == 1
    assert (await mark_of(engine)).through == dt.date(2026, 11, 3)
    await same_as_direct(engine, planted)
    assert await tally(engine, at(11, 5, 1)) == 1
    assert (await mark_of(engine)).through == dt.date(2026, 11, 4)
    await same_as_direct(engine, planted)

    # a day far later: every day up to yesterday, the empty ones too
    assert await tally(engine, at(12, 10, 9)) == 35
    assert (await mark_of(engine)).through == dt.date(2026, 12, 9)
    await same_as_direct(engine, planted)
    assert await tally(engine, at(12, 10, 9)) == 0
    await same_as_direct(engine, planted)


async def test_pruning_does_not_count_tallied_days_again(engine):
    planted = [row for row in plan() if row.status not in ("pending", "sending")]
    await plant(engine, planted)
    # the days through 1 Nov are tallied; 2 Nov onwards are not
    assert await tally(engine, at(11, 2, 1, 30)) > 0
    assert (await mark_of(engine)).through == dt.date(2026, 11, 1)
    # prune everything, in small batches: the tallied days' rows leave no second count; the
    # others leave theirs
    async with transaction(session_factory(engine)) as session:
        assert await outbox.prune(session, at(12, 31, 0), limit=4) == 4
    async with transaction(session_factory(engine)) as session:
        assert await outbox.prune(session, at(12, 31, 0)) == len(planted) + 1 - 4
    async with transaction(session_factory(engine)) as session:
        assert (await session.exec(text("SELECT count(*) FROM outbox"))).one()[0] == 0
    await same_as_direct(engine, planted)
    # the job then finds the pruned days' rows gone, and adds nothing to their counts
    before = await tallies(engine)
    assert await tally(engine, at(12, 10, 9)) > 0
    assert await tallies(engine) == before
    await same_as_direct(engine, planted)


async def test_a_day_half_pruned_before_it_was_tallied_is_counted_whole(engine):
    """Rows pruned before their day is tallied (the job never ran, or ran late) are in the
    tallies; the job adds only the rows still in the outbox."""
    planted = [row for row in plan() if row.status not in ("pending", "sending")]
    await plant(engine, planted)
    async with transaction(session_factory(engine)) as session:
        assert await outbox.prune(session, at(12, 31, 0), limit=3) == 3
    await same_as_direct(engine, planted)
    assert await tally(engine, at(12, 10, 9)) > 0
    await same_as_direct(engine, planted)
    async with transaction(session_factory(engine)) as session:
        await outbox.prune(session, at(12, 31, 0))
    await same_as_direct(engine, planted)


async def test_two_replicas_tallying_at_once_count_each_day_once(engine):
    planted = [row for row in plan() if row.status not in ("pending", "sending")]
    await plant(engine, planted)
    results = await asyncio.gather(
        tally(engine, at(12, 10, 9)),
        tally(engine, at(12, 10, 9)),
        tally(engine, at(12, 10, 9)),
    )
    assert sorted(results)[:2] == [0, 0] and sorted(results)[2] > 0
    await same_as_direct(engine, planted)
    # a prune at the same time as the job: whoever goes second sees what the first did
    async with transaction(session_factory(engine)) as session:
        session.add(
            Outbox(
                dedup_key="rem:ST-1:2026-12-11:eve:1",
                channel="telegram",
                channel_user_id="1",
                kind="reminder_eve",
                status="sent",
                created_at=at(12, 10, 18),
                sent_at=at(12, 10, 18),
            )
        )
    planted.append(Planted("rem:ST-1:2026-12-11:eve:1", "ST-1", at(12, 10, 18), "sent"))

    async def prune() -> int:
        async with transaction(session_factory(engine)) as session:
            return await outbox.prune(session, at(12, 31, 0))

    await asyncio.gather(tally(engine, at(12, 12, 9)), prune(), tally(engine, at(12, 12, 9)))
    await same_as_direct(engine, planted)


async def test_the_dashboard_reads_the_outbox_only_after_the_mark(engine):
    """One statement for the counts and the mark; the outbox's part is the days after the mark,
    from the partial index by time (the whole country) or by point (an area)."""
    planted = [row for row in plan() if row.status not in ("pending", "sending")]
    await plant(engine, planted)
    await tally(engine, at(12, 10, 9))
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "outbox" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        async with transaction(session_factory(engine)) as session:
            await stats.reminders_by_month(session, None, WIDE)
            await stats.reminders_by_month(session, [SON_TINH], WIDE)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
    assert len(seen) == 2
    plans = []
    for statement, parameters in seen:
        assert "reminder_tallies" in statement and "reminder_tally_mark" in statement
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            else:  # on a near-empty table PostgreSQL would rightly scan; ask what it can use
                await conn.execute(text("SET enable_seqscan = off"))
                rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plans.append(" ".join(str(row) for row in rows))
    country, area = plans
    assert "ix_outbox_reminders_time" in country, country
    assert "ix_outbox_reminders" in area, area
    await same_as_direct(engine, planted)


async def test_the_hourly_job_tallies_and_is_registered(engine):
    from bot.scheduler import build_scheduler, tally_reminders

    planted = [row for row in plan() if row.status not in ("pending", "sending")]
    await plant(engine, planted)
    sessions = session_factory(engine)
    assert await tally_reminders(sessions, lambda: at(12, 10, 9)) == 40  # 31 Oct to 9 Dec
    assert await tally_reminders(sessions, lambda: at(12, 10, 9)) == 0
    assert (await mark_of(engine)).through == dt.date(2026, 12, 9)
    await same_as_direct(engine, planted)
    scheduler = build_scheduler(sessions, lambda: at(12, 10, 9), VN_ZONE, None, None)  # type: ignore[arg-type]
    job = scheduler.get_job("tally_reminders")
    assert job is not None and job.trigger.interval == dt.timedelta(hours=1)

"""The dashboard's counts in storage, on SQLite and PostgreSQL, from planted data with known
answers: weeks and months in local time, areas, medians and 90th percentiles."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import String, cast, func, literal, text
from sqlmodel import select

from handlers.reports.common import change_status
from storage import audit, reports, stats
from storage.db import session_factory, transaction
from storage.models import AuditEntry, Broadcast, Outbox, Subscription, TransactionPoint, User
from storage.question_models import KeptQuestion
from storage.report_models import Report

VN = dt.timezone(dt.timedelta(hours=7))
SON_TINH, OTHER_QN, HANOI = "21220", "21211", "00004"
PROVINCE = {SON_TINH: "51", OTHER_QN: "51", HANOI: "01"}
# November 2026, local: Monday 2 to Monday 30 (exclusive).
PERIOD = stats.Period(dt.datetime(2026, 11, 2, tzinfo=VN), dt.datetime(2026, 11, 30, tzinfo=VN))


def local(day: int, hour: int = 9, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=VN)


def report(n: int, commune: str | None, at: dt.datetime, **extra) -> Report:
    fields = {
        "code": f"C{n:07d}",
        "handle": f"H{n:04d}",
        "category": "usury",
        "commune_code": commune,
        "province_code": PROVINCE.get(commune or ""),
        "description": "x",
        "consent_at": at,
        "created_at": at,
        "touched_at": at,
    }
    fields.update(extra)
    return Report(**fields)


async def plant_reports(session) -> None:
    """Son Tinh: five reports acted on after 1, 2, 3, 4 and 10 hours, three of them resolved
    after 1, 2 and 5 days; one escalated one; Other QN: one; Hanoi: one; and two outside the
    period (one the Sunday night before it, local time)."""
    rows = [
        # the first minutes of the period in local time are still Sunday in UTC
        report(1, SON_TINH, local(2, 0, 30), category="usury"),
        report(2, SON_TINH, local(8, 23, 30), category="app"),  # Sunday night: week of the 2nd
        report(3, SON_TINH, local(9), category="usury"),
        report(4, SON_TINH, local(16), category="usury"),
        report(5, SON_TINH, local(23), category="threats"),
        report(6, SON_TINH, local(10), category="fees", escalated=True, accused="commune"),
        report(7, OTHER_QN, local(10), category="usury"),
        report(8, HANOI, local(10), category="usury"),
        report(9, SON_TINH, local(1, 23, 59), category="usury"),  # before the period
        report(10, SON_TINH, local(30, 0, 0), category="usury"),  # the end is exclusive
        report(11, None, local(11), category="leaflets", province_code=None),
    ]
    for row in rows:
        session.add(row)
    await session.flush()
    by_code = {r.code: r for r in rows}
    hours = {1: 1, 2: 2, 3: 3, 4: 4, 5: 10}
    for n, h in hours.items():
        r = by_code[f"C{n:07d}"]
        await audit.record(session, "reporter", "report.create", f"report:{r.id}", {}, r.created_at)
        took = r.created_at + dt.timedelta(hours=h)
        await audit.record(session, "telegram:7", "report.take", f"report:{r.id}", {}, took)
        r.first_action_at = took  # as change_status keeps it with the audit entry
        session.add(r)
        # a later action does not count as the first
        later = took + dt.timedelta(hours=1)
        await audit.record(session, "telegram:8", "report.ask", f"report:{r.id}", {}, later)
    for n, days in {1: 1, 2: 2, 3: 5}.items():
        r = by_code[f"C{n:07d}"]
        r.status, r.closed_at = "resolved", r.created_at + dt.timedelta(days=days)
        session.add(r)
    r4 = by_code["C0000004"]
    r4.status, r4.closed_at = "rejected", r4.created_at + dt.timedelta(hours=5)
    session.add(r4)
    await session.flush()


async def test_reports_by_week_kind_commune_and_status(engine):
    async with transaction(session_factory(engine)) as session:
        await plant_reports(session)
    async with transaction(session_factory(engine)) as session:
        weeks = await stats.reports_by_week(session, [SON_TINH], PERIOD)
        assert weeks == [
            ("2026-11-02", "app", 1),
            ("2026-11-02", "usury", 1),
            ("2026-11-09", "usury", 1),
            ("2026-11-16", "usury", 1),
            ("2026-11-23", "threats", 1),
        ]
        # the province sees the escalated report and the other commune's, not Hanoi's
        province = await stats.reports_by_commune(session, ["51"], PERIOD)
        assert province == [(SON_TINH, 6), (OTHER_QN, 1)]
        assert await stats.reports_by_commune(session, [SON_TINH], PERIOD) == [(SON_TINH, 5)]
        everywhere = await stats.reports_by_commune(session, [None], PERIOD)
        assert sorted(everywhere, key=str) == sorted(
            [(SON_TINH, 6), (OTHER_QN, 1), (HANOI, 1), (None, 1)], key=str
        )
        assert await stats.reports_by_commune(session, [], PERIOD) == []
        assert await stats.reports_by_status(session, [SON_TINH], PERIOD) == {
            "resolved": 3,
            "rejected": 1,
            "new": 1,
        }
        two = await stats.reports_by_commune(session, [OTHER_QN, HANOI], PERIOD)
        assert sorted(two) == [(HANOI, 1), (OTHER_QN, 1)]


async def test_times_to_first_action_and_resolution(engine):
    async with transaction(session_factory(engine)) as session:
        await plant_reports(session)
    async with transaction(session_factory(engine)) as session:
        first = await stats.time_to_first_action(session, [SON_TINH], PERIOD)
        # 1, 2, 3, 4, 10 hours: the median is 3; the 90th percentile lies 0.6 of the way
        # from the 4th to the 5th (as percentile_cont): 4 + 0.6 * 6 = 7.6 hours.
        assert first.count == 5
        assert first.median == pytest.approx(3 * 3600, abs=0.01)
        assert first.p90 == pytest.approx(7.6 * 3600, abs=0.01)
        resolved = await stats.time_to_resolution(session, [SON_TINH], PERIOD)
        # 1, 2, 5 days: median 2; p90 at 1.8: 2 + 0.8 * 3 = 4.4 days
        assert resolved.count == 3
        assert resolved.median == pytest.approx(2 * 86400, abs=0.01)
        assert resolved.p90 == pytest.approx(4.4 * 86400, abs=0.01)
        assert await stats.time_to_first_action(session, [HANOI], PERIOD) == stats.Spread(
            0, None, None
        )
        one = await stats.time_to_first_action(
            session, [SON_TINH], stats.Period(local(2, 0), local(3, 0))
        )
        assert one == stats.Spread(1, pytest.approx(3600, abs=0.01), pytest.approx(3600, abs=0.01))


async def test_the_portable_percentiles_equal_percentile_cont(engine):
    """On PostgreSQL the one query both backends run gives percentile_cont's numbers."""
    if engine.dialect.name != "postgresql":
        pytest.skip("percentile_cont is PostgreSQL's")
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        for n in range(1, 38):
            at = local(3) + dt.timedelta(minutes=n)
            session.add(report(100 + n, SON_TINH, at))
        await session.flush()
        made = (await session.exec(select(Report).order_by(Report.id))).all()
        for i, row in enumerate(made):
            minutes = (i * 7919) % 1009 + i / 3  # uneven, and no two alike
            at = local(3) + dt.timedelta(minutes=i + 1 + minutes)
            await change_status(session, row, reports.IN_REVIEW, "telegram:1", "report.take", at)
    async with transaction(sessions) as session:
        mine = await stats.time_to_first_action(session, [SON_TINH], PERIOD)
        theirs = (
            await session.exec(
                text(
                    "SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY d), "
                    "percentile_cont(0.9) WITHIN GROUP (ORDER BY d) FROM ("
                    " SELECT extract(epoch from min(a.at) - r.created_at) AS d"
                    " FROM reports r JOIN audit_log a ON a.subject = 'report:' || r.id"
                    " WHERE a.actor <> 'reporter' GROUP BY r.id, r.created_at) x"
                )
            )
        ).one()
    assert mine.count == theirs[0] == 37
    assert mine.median == pytest.approx(float(theirs[1]), abs=1e-6)
    assert mine.p90 == pytest.approx(float(theirs[2]), abs=1e-6)


def point(point_id: str, commune: str) -> TransactionPoint:
    return TransactionPoint(
        id=point_id,
        commune_code=commune,
        name=point_id,
        address="-",
        day_of_month=5,
        start_time=dt.time(7, 30),
        end_time=dt.time(11, 0),
        office="-",
        phone="0255",
    )


async def plant_people(session) -> list[User]:
    people = []
    for n in range(6):
        user = User(
            channel="telegram",
            channel_user_id=str(500 + n),
            commune_code=[SON_TINH, SON_TINH, OTHER_QN, HANOI, None, SON_TINH][n],
        )
        session.add(user)
        people.append(user)
    places = [("ST-1", SON_TINH), ("ST-2", SON_TINH), ("QN-1", OTHER_QN), ("HN_1", HANOI)]
    session.add_all([point(i, c) for i, c in places])
    await session.flush()
    return people


async def test_subscribers_and_reminders_by_commune_and_month(engine):
    async with transaction(session_factory(engine)) as session:
        people = await plant_people(session)
        a, b, c, d = (p.id for p in people[:4])
        subscriptions = [
            (a, "ST-1", local(1, month=10)),
            (a, "ST-2", local(3)),  # the same person at two points of one commune: two
            (b, "ST-1", local(5)),
            (c, "QN-1", local(5)),
            (d, "HN_1", local(5)),
        ]
        for user_id, point_id, at in subscriptions:
            session.add(Subscription(user_id=user_id, point_id=point_id, created_at=at))
        for n, (point_id, at, status, kind) in enumerate(
            [
                ("ST-1", local(4, 18), "sent", "reminder_eve"),
                ("ST-1", local(5, 6), "sent", "reminder_day"),
                ("ST-1", local(5, 6), "blocked", "reminder_day"),
                ("ST-2", local(4, 18), "failed", "reminder_eve"),
                ("ST-1", local(30, 18, month=10), "sent", "reminder_eve"),  # October
                ("ST-1", local(1, 0, 30, month=12), "sent", "reminder_eve"),  # after the period
                ("QN-1", local(4, 18), "sent", "reminder_eve"),
                ("HN_1", local(4, 18), "sent", "reminder_eve"),
                ("ST-1", local(4, 18), "sent", "schedule_change"),  # not a reminder
            ]
        ):
            prefix = "rem" if kind.startswith("reminder") else "chg"
            session.add(
                Outbox(
                    dedup_key=f"{prefix}:{point_id}:2026-11-05:{kind}:{n}",
                    channel="telegram",
                    channel_user_id=str(n),
                    kind=kind,
                    status=status,
                    created_at=at,
                    not_before=at,
                )
            )
    async with transaction(session_factory(engine)) as session:
        assert await stats.subscribers_by_commune(session, [SON_TINH, OTHER_QN], PERIOD) == [
            (SON_TINH, 3, 2),
            (OTHER_QN, 1, 1),
        ]
        every = await stats.subscribers_by_commune(session, None, PERIOD)
        assert sorted(every) == [(HANOI, 1, 1), (OTHER_QN, 1, 1), (SON_TINH, 3, 2)]
        assert await stats.subscribers_by_commune(session, [], PERIOD) == []
        wide = stats.Period(local(1, 0, month=10), local(1, 12, month=12))
        assert await stats.reminders_by_month(session, [SON_TINH], wide) == [
            ("2026-10", "sent", 1),
            ("2026-11", "blocked", 1),
            ("2026-11", "failed", 1),
            ("2026-11", "sent", 2),
            ("2026-12", "sent", 1),
        ]
        assert await stats.reminders_by_month(session, None, PERIOD) == [
            ("2026-11", "blocked", 1),
            ("2026-11", "failed", 1),
            ("2026-11", "sent", 4),
        ]
        assert await stats.reminders_by_month(session, [HANOI], PERIOD) == [("2026-11", "sent", 1)]


async def test_broadcasts_and_kept_questions(engine):
    async with transaction(session_factory(engine)) as session:
        people = await plant_people(session)
        for broadcast_id, area, started, pruned in [
            (1, SON_TINH, local(3), {"sent": 5, "in_doubt": 1}),
            (2, "51", local(4), None),
            (3, HANOI, local(5), None),
            (4, None, local(6), None),
            (5, SON_TINH, local(1, month=10), None),
        ]:
            session.add(
                Broadcast(
                    id=broadcast_id,
                    author="telegram:1",
                    area_code=area,
                    text="-",
                    status="done",
                    started_at=started,
                    recipients=9,
                    pruned_counts=pruned,
                )
            )
        await session.flush()
        for n, (broadcast_id, status) in enumerate(
            [(1, "sent"), (1, "blocked"), (2, "sent"), (2, "failed"), (3, "sent"), (4, "sent")]
        ):
            session.add(
                Outbox(
                    dedup_key=f"b:{broadcast_id}:{n}",
                    channel="telegram",
                    channel_user_id=str(n),
                    kind="broadcast",
                    status=status,
                    broadcast_id=broadcast_id,
                )
            )
        for n, (person, topic) in enumerate(
            [(0, "none"), (0, "none"), (1, "loan.rate"), (2, "none"), (3, "none"), (4, "report")]
        ):
            session.add(
                KeptQuestion(
                    user_id=people[person].id,
                    channel="telegram",
                    text="(masked)",
                    topic=topic,
                    score=0.1,
                    created_at=local(10) + dt.timedelta(minutes=n),
                )
            )
    async with transaction(session_factory(engine)) as session:
        mine = await stats.broadcasts_started(session, [SON_TINH], PERIOD)
        assert [(b.id, b.area_code, b.counts) for b in mine] == [
            (1, SON_TINH, {"sent": 6, "blocked": 1})
        ]
        province = await stats.broadcasts_started(session, ["51", SON_TINH, OTHER_QN], PERIOD)
        assert [b.id for b in province] == [2, 1]
        assert [b.id for b in await stats.broadcasts_started(session, None, PERIOD)] == [
            4,
            3,
            2,
            1,
        ]
        assert await stats.kept_questions_by_topic(session, None, PERIOD) == [
            ("none", 4),
            ("loan.rate", 1),
            ("report", 1),
        ]
        assert await stats.kept_questions_by_topic(session, [SON_TINH], PERIOD) == [
            ("none", 2),
            ("loan.rate", 1),
        ]


async def test_reminders_of_an_area_and_of_everywhere_are_read_from_their_index(engine):
    """The outbox holds a million rows: the reminders' counts come from the partial index of
    migration 0018 (by point, time and status), for an area and for the whole country."""
    from sqlalchemy import event

    async with transaction(session_factory(engine)) as session:
        await plant_people(session)
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "outbox" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        async with transaction(session_factory(engine)) as session:
            await stats.reminders_by_month(session, [SON_TINH], PERIOD)
            await stats.reminders_by_month(session, None, PERIOD)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
    assert len(seen) == 2
    for statement, parameters in seen:
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            else:  # on a near-empty table PostgreSQL would rightly scan; ask what it can use
                await conn.execute(text("SET enable_seqscan = off"))
                rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plan = " ".join(str(row) for row in rows)
        assert "ix_outbox_reminders" in plan, plan


async def test_a_finished_broadcast_is_counted_from_its_final_audit_entry(engine):
    """As a broadcast finishes its counts go to the audit log; its million outbox rows are
    not counted again (nor missed once pruned)."""
    async with transaction(session_factory(engine)) as session:
        session.add(
            Broadcast(
                id=7,
                author="telegram:1",
                area_code=SON_TINH,
                text="-",
                status="done",
                started_at=local(3),
                recipients=1012,
                pruned_counts={"sent": 1000},
            )
        )
        await session.flush()
        session.add(
            Outbox(
                dedup_key="b:7:left",
                channel="telegram",
                channel_user_id="1",
                kind="broadcast",
                status="sent",
                broadcast_id=7,
            )
        )
        await audit.record(
            session,
            "system",
            "broadcast.finish",
            "broadcast:7",
            {"state": "done", "sent": 1000, "blocked": 10, "failed": 2, "in_doubt": 0},
            local(4),
        )
    async with transaction(session_factory(engine)) as session:
        [tally] = await stats.broadcasts_started(session, [SON_TINH], PERIOD)
    # An entry from before the Zalo OA's "unreachable" reads as none of them.
    assert tally.counts == {
        "sent": 1000, "blocked": 10, "failed": 2, "cancelled": 0, "unreachable": 0
    }  # fmt: skip


async def test_pruned_reminders_still_count_by_month_and_area(engine):
    """Handled rows leave the outbox after 90 days; the reminders among them leave their
    counts by local day, point and status, so a month counts the same before and after."""
    from storage import outbox

    async with transaction(session_factory(engine)) as session:
        await plant_people(session)
        rows = [
            ("ST-1", local(1, 6, 30), "sent"),  # 1 Nov 06:30 local is still 31 Oct in UTC
            ("ST-1", local(4, 18), "sent"),
            ("ST-1", local(4, 18), "blocked"),
            ("ST-2", local(4, 18), "failed"),
            ("HN_1", local(4, 18), "sent"),
        ]
        for n, (point_id, at, status) in enumerate(rows):
            session.add(
                Outbox(
                    dedup_key=f"rem:{point_id}:2026-11-05:eve:{n}",
                    channel="telegram",
                    channel_user_id=str(n),
                    kind="reminder_eve",
                    status=status,
                    created_at=at,
                    not_before=at,
                    sent_at=at,
                )
            )
        session.add(
            Outbox(
                dedup_key="b:1:1",
                channel="telegram",
                channel_user_id="9",
                kind="broadcast",
                status="sent",
                created_at=local(4),
                sent_at=local(4),
            )
        )
    wide = stats.Period(local(1, 0, month=10), local(1, 0, month=12))
    expected = {
        None: [("2026-11", "blocked", 1), ("2026-11", "failed", 1), ("2026-11", "sent", 3)],
        (SON_TINH,): [("2026-11", "blocked", 1), ("2026-11", "failed", 1), ("2026-11", "sent", 2)],
        (HANOI,): [("2026-11", "sent", 1)],
    }
    async with transaction(session_factory(engine)) as session:
        for communes, counts in expected.items():
            assert await stats.reminders_by_month(session, communes, wide) == counts
        assert await stats.first_reminder_day(session) is None
    async with transaction(session_factory(engine)) as session:
        # in two batches: the second adds to the first's counts
        assert await outbox.prune(session, local(6), limit=3) == 3
        assert await outbox.prune(session, local(6)) == 3
    async with transaction(session_factory(engine)) as session:
        assert (await session.exec(text("SELECT count(*) FROM outbox"))).one()[0] == 0
        for communes, counts in expected.items():
            assert await stats.reminders_by_month(session, communes, wide) == counts
        assert await stats.first_reminder_day(session) == dt.date(2026, 11, 1)
        # a period of days takes the days of the kept counts: only the 4th
        days = stats.Period(local(2, 0), local(5, 0))
        assert await stats.reminders_by_month(session, [SON_TINH], days) == [
            ("2026-11", "blocked", 1),
            ("2026-11", "failed", 1),
            ("2026-11", "sent", 1),
        ]


def _first_action_from_the_log(areas, period: stats.Period):
    """The figure's durations as the dashboard found them before migration 0022: each report's
    first audit entry whose actor is not the reporter (kept here as the reference)."""
    first_at = (
        select(func.min(AuditEntry.at))
        .where(
            AuditEntry.subject == literal("report:") + cast(Report.id, String),
            AuditEntry.actor != "reporter",
        )
        .correlate(Report)
        .scalar_subquery()
    )
    acted = (
        select(Report.created_at.label("made"), first_at.label("at"))
        .where(stats._reports_where(areas, period))
        .subquery()
    )
    return acted


async def test_the_first_action_kept_on_the_report_is_the_one_in_the_audit_log(engine):
    """Reports moved through change_status (what every move calls), by moderators and by their
    reporters in an uneven order: the time kept on the report gives the figure the audit log
    gave, for every area and for periods that cut through the reports."""
    import random

    rng = random.Random(20261207)
    moves = [  # (to, actor, action): a moderator's, or the reporter's
        (reports.IN_REVIEW, "telegram:7", "report.take"),
        (reports.WAITING, "telegram:8", "report.ask"),
        (reports.IN_REVIEW, "reporter", "report.answer"),
        (reports.FORWARDED, "telegram:9", "report.forward"),
        (reports.RESOLVED, "telegram:7", "report.resolve"),
        (reports.WITHDRAWN, "reporter", "report.withdraw"),
    ]
    communes = [SON_TINH, OTHER_QN, HANOI, None]
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        for n in range(1, 81):
            commune = rng.choice(communes)
            made = local(1) + dt.timedelta(minutes=rng.randrange(30 * 24 * 60))
            extra = {"escalated": True, "accused": "commune"} if rng.random() < 0.1 else {}
            if commune is None:
                extra["province_code"] = None
            row = report(n, commune, made, **extra)
            session.add(row)
            await session.flush()
            await audit.record(session, "reporter", "report.create", f"report:{row.id}", {}, made)
            at = made
            for to, actor, action in rng.sample(moves, rng.randrange(len(moves))):
                at += dt.timedelta(minutes=rng.randrange(1, 3000))
                await change_status(session, row, to, actor, action, at)
    periods = [
        PERIOD,
        stats.Period(local(10), local(20)),
        stats.Period(local(25), local(3, month=12)),
    ]
    areas_tried = [[None], ["51"], ["01"], [SON_TINH], [OTHER_QN, HANOI], [SON_TINH, "01"], []]
    async with transaction(sessions) as session:
        kept = (await session.exec(select(Report).where(Report.first_action_at.is_not(None)))).all()
        assert 20 < len(kept) < 80  # some acted on by a moderator, some not
        for period in periods:
            for areas in areas_tried:
                figure = await stats.time_to_first_action(session, areas, period)
                acted = _first_action_from_the_log(areas, period)
                seconds = stats.seconds_between(session, acted.c.made, acted.c.at)
                durations = select(seconds.label("d")).where(acted.c.at.is_not(None)).subquery()
                reference = await stats._spread(session, durations)
                assert figure == reference, (period, areas)
        # and the reference is not empty where it matters
        assert (await stats.time_to_first_action(session, [None], PERIOD)).count > 20

"""The dashboard's report times read each report's first action from the report itself, by
the partial index on it (migration 0022), on both databases, and the audit log not at all;
weeks are grouped, then named."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, text

from handlers.reports.common import change_status
from storage import audit, reports, stats
from storage.db import session_factory, transaction
from tests.storage.test_stats import PERIOD, SON_TINH, local, report


async def test_first_actions_are_read_from_their_partial_index(engine):
    async with transaction(session_factory(engine)) as session:
        made = report(1, SON_TINH, local(3))
        session.add(made)
        await session.flush()
        await audit.record(session, "reporter", "report.create", f"report:{made.id}", {}, local(3))
        await change_status(session, made, "in_review", "telegram:7", "report.take", local(3, 11))
        session.add(report(2, SON_TINH, local(4)))  # not acted on: not in the index
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        for areas in ([None], ["51"], [SON_TINH]):
            async with transaction(session_factory(engine)) as session:
                spread = await stats.time_to_first_action(session, areas, PERIOD)
            assert spread.count == 1
            assert spread.median is not None and abs(spread.median - 7200.0) < 0.01
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
    figures = [(s, p) for s, p in seen if "first_action_at" in s]
    assert len(figures) == 3
    assert not [s for s, _p in seen if "audit_log" in s]
    # the whole country: the acted-on reports of the period, one range of the partial index;
    # an area: that index or the area's own (province or commune, time), whichever is smaller
    for (statement, parameters), wanted in zip(
        figures,
        [
            ("ix_reports_first_action",),
            ("ix_reports_first_action", "ix_reports_province_created"),
            ("ix_reports_first_action", "ix_reports_commune_created"),
        ],
        strict=True,
    ):
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            else:
                await conn.execute(text("SET enable_seqscan = off"))
                rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plan = " ".join(str(row) for row in rows)
        assert any(name in plan for name in wanted), plan
        assert "SCAN reports" not in plan and "Seq Scan" not in plan, plan


async def test_a_moderators_first_move_is_kept_once_and_the_reporters_never(engine):
    async with transaction(session_factory(engine)) as session:
        made = report(1, SON_TINH, local(3))
        session.add(made)
        await session.flush()
        await change_status(
            session, made, reports.WITHDRAWN, "reporter", "report.withdraw", local(3, 10)
        )
        assert made.first_action_at is None
        await change_status(
            session, made, reports.IN_REVIEW, "telegram:7", "report.take", local(3, 11)
        )
        await change_status(
            session, made, reports.RESOLVED, "telegram:8", "report.resolve", local(3, 12)
        )
        report_id = made.id
    async with transaction(session_factory(engine)) as session:
        kept = await session.get(type(made), report_id)
        assert kept is not None and kept.first_action_at == local(3, 11)


async def test_weeks_are_grouped_then_named(engine):
    async with transaction(session_factory(engine)) as session:
        session.add(report(1, SON_TINH, local(2, 0, 30)))  # Monday, early: Sunday in UTC
        session.add(report(2, SON_TINH, local(8, 23, 30)))  # Sunday night
        session.add(report(3, SON_TINH, local(9, 0, 0)))  # the next Monday
    async with transaction(session_factory(engine)) as session:
        found = await stats.reports_by_week(session, [None], PERIOD)
    assert found == [("2026-11-02", "usury", 2), ("2026-11-09", "usury", 1)]
    assert dt.date.fromisoformat(found[0][0]).weekday() == 0

"""The dashboard's report times read the moderators' actions from their partial index
(migration 0018) on PostgreSQL and by each report's subject on SQLite, ignore audit subjects
that only look like a report's, and leave the transaction's settings as they were; weeks are
grouped, then named."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, text

from storage import audit, stats
from storage.db import session_factory, transaction
from tests.storage.test_stats import PERIOD, SON_TINH, local, report


async def test_first_actions_come_from_their_partial_index(engine):
    async with transaction(session_factory(engine)) as session:
        made = report(1, SON_TINH, local(3))
        session.add(made)
        await session.flush()
        subject = f"report:{made.id}"
        await audit.record(session, "reporter", "report.create", subject, {}, local(3))
        await audit.record(session, "telegram:7", "report.take", subject, {}, local(3, 11))
        # subjects that are not a report's id join nothing and break nothing
        for odd in (f"{subject}:x", "report:", "report:1e3", "report:-1"):
            await audit.record(session, "telegram:7", "report.take", odd, {}, local(3, 10))
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "audit_log" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", keep)
    try:
        async with transaction(session_factory(engine)) as session:
            spread = await stats.time_to_first_action(session, [None], PERIOD)
            if engine.dialect.name == "postgresql":  # JIT was off for that statement only
                jit = await session.exec(text("SELECT current_setting('jit')"))
                assert jit.scalar_one() == "on"
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", keep)
    assert spread.count == 1
    assert spread.median is not None and abs(spread.median - 7200.0) < 0.01
    assert len(seen) == 1
    statement, parameters = seen[0]
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        else:
            await conn.execute(text("SET enable_seqscan = off"))
            rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        plan = " ".join(str(row) for row in rows)
    if engine.dialect.name == "sqlite":  # one lookup per report in the subject's index
        assert "SEARCH audit_log USING INDEX ix_audit_log_subject" in plan, plan
    else:  # one ordered pass over the moderators' actions
        assert "ix_audit_log_report_actions" in plan, plan


async def test_weeks_are_grouped_then_named(engine):
    async with transaction(session_factory(engine)) as session:
        session.add(report(1, SON_TINH, local(2, 0, 30)))  # Monday, early: Sunday in UTC
        session.add(report(2, SON_TINH, local(8, 23, 30)))  # Sunday night
        session.add(report(3, SON_TINH, local(9, 0, 0)))  # the next Monday
    async with transaction(session_factory(engine)) as session:
        found = await stats.reports_by_week(session, [None], PERIOD)
    assert found == [("2026-11-02", "usury", 2), ("2026-11-09", "usury", 1)]
    assert dt.date.fromisoformat(found[0][0]).weekday() == 0

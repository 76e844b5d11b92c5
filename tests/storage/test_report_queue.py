"""The console's queue in storage, on SQLite and PostgreSQL: filters, counts, keyset pages both
ways, a search by code that stays inside the moderator's areas, duplicates, and the plan that
reads an area's queue by index (migration 0014)."""

from __future__ import annotations

import datetime as dt

from storage import report_queue as rq
from storage import reports
from storage.db import session_factory, transaction
from storage.report_models import Report

NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
SON_TINH, OTHER_QN, HANOI = "21220", "21211", "00004"
PROVINCE = {SON_TINH: "51", OTHER_QN: "51", HANOI: "01"}


def _report(commune: str, days_ago: float, **extra) -> Report:
    at = NOW - dt.timedelta(days=days_ago)
    fields = {
        "code": "",
        "handle": "",
        "reporter_id": None,
        "category": "usury",
        "commune_code": commune,
        "province_code": PROVINCE[commune],
        "description": "Cho vay lãi 30% một tháng.",
        "consent_at": at,
        "created_at": at,
        "touched_at": at,
    }
    fields.update(extra)
    return Report(**fields)


async def _fill(engine) -> dict[str, Report]:
    sessions = session_factory(engine)
    made: dict[str, Report] = {}
    async with transaction(sessions) as s:
        plan = {
            "old_new": _report(SON_TINH, 10),
            "fresh_new": _report(SON_TINH, 0.5),
            "app": _report(OTHER_QN, 5, category="app", status=reports.IN_REVIEW),
            "escalated": _report(SON_TINH, 4, category="fees", escalated=True),
            "closed": _report(SON_TINH, 20, status=reports.RESOLVED),
            "hanoi": _report(HANOI, 2),
        }
        for name, report in plan.items():
            made[name] = await reports.create(s, report)
        made["twin"] = await reports.create(
            s, _report(SON_TINH, 1, duplicate_of=made["old_new"].id)
        )
    return made


async def test_filters_counts_and_the_areas(engine):
    made = await _fill(engine)
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        province = rq.Filter(areas=["51"])
        got = (await rq.page(s, province)).reports
        names = [next(n for n, r in made.items() if r.id == g.id) for g in got]
        assert names == ["old_new", "app", "escalated", "twin", "fresh_new"]  # oldest first
        counts = await rq.counts(s, province)
        assert counts == {reports.NEW: 4, reports.IN_REVIEW: 1, reports.RESOLVED: 1}
        commune = rq.Filter(areas=[SON_TINH])  # escalated misconduct is kept from the commune
        assert {r.id for r in (await rq.page(s, commune)).reports} == {
            made[n].id for n in ("old_new", "twin", "fresh_new")
        }
        by_kind = rq.Filter(areas=["51"], category="app")
        assert [r.id for r in (await rq.page(s, by_kind)).reports] == [made["app"].id]
        assert await rq.counts(s, by_kind) == {reports.IN_REVIEW: 1}
        by_commune = rq.Filter(areas=["51"], commune=OTHER_QN)
        assert [r.id for r in (await rq.page(s, by_commune)).reports] == [made["app"].id]
        old = rq.Filter(areas=["51"], created_before=NOW - dt.timedelta(days=7))
        assert [r.id for r in (await rq.page(s, old)).reports] == [made["old_new"].id]
        untouched = rq.Filter(areas=["51"], touched_before=NOW - dt.timedelta(days=3))
        assert len((await rq.page(s, untouched)).reports) == 3
        closed = rq.Filter(areas=["51"], statuses=reports.CLOSED)
        assert [r.id for r in (await rq.page(s, closed)).reports] == [made["closed"].id]
        assert await rq.communes(s, ["51"]) == sorted([OTHER_QN, SON_TINH])
        assert await rq.communes(s, [None]) == sorted([HANOI, OTHER_QN, SON_TINH])
        assert await rq.communes(s, []) == []
        assert (await rq.page(s, rq.Filter(areas=[]))).reports == []


async def test_search_by_code_finds_only_what_the_areas_see(engine):
    made = await _fill(engine)
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        closed = made["closed"]
        found = await rq.page(s, rq.Filter(areas=["51"], code=closed.code))
        assert [r.id for r in found.reports] == [closed.id]  # whatever its state
        hanoi = made["hanoi"]
        assert (await rq.page(s, rq.Filter(areas=["51"], code=hanoi.code))).reports == []
        escalated = made["escalated"]
        assert (await rq.page(s, rq.Filter(areas=[SON_TINH], code=escalated.code))).reports == []
        assert len((await rq.page(s, rq.Filter(areas=[None], code=hanoi.code))).reports) == 1


async def test_duplicates_are_linked_only_within_the_areas(engine):
    made = await _fill(engine)
    sessions = session_factory(engine)
    first, twin = made["old_new"].id, made["twin"].id
    async with transaction(sessions) as s:
        assert await rq.duplicates_of(s, ["51"], [first, twin]) == {first: [twin]}
        assert await rq.duplicates_of(s, [HANOI], [first]) == {}
        assert await rq.visible(s, [SON_TINH], [first, made["escalated"].id]) == {first}


async def test_pages_follow_each_other_both_ways_without_gaps(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        same_time = NOW - dt.timedelta(days=1)
        for i in range(23):  # some at the very same moment: the id breaks the tie
            at = same_time if i % 3 == 0 else NOW - dt.timedelta(hours=i)
            await reports.create(s, _report(SON_TINH, 0, created_at=at, touched_at=at))
    async with transaction(sessions) as s:
        wanted = rq.Filter(areas=["51"])
        first = await rq.page(s, wanted, size=10)
        assert first.more_after and not first.more_before
        cursor = rq.Cursor(first.reports[-1].created_at, first.reports[-1].id or 0)
        second = await rq.page(s, wanted, after=cursor, size=10)
        assert second.more_after and second.more_before
        assert await rq.position(s, wanted, second.reports[0]) == 10
        last = rq.Cursor(second.reports[-1].created_at, second.reports[-1].id or 0)
        third = await rq.page(s, wanted, after=last, size=10)
        assert len(third.reports) == 3 and not third.more_after
        seen = [r.id for r in first.reports + second.reports + third.reports]
        assert len(set(seen)) == 23
        everything = (await rq.page(s, wanted, size=50)).reports
        assert seen == [r.id for r in everything]
        back = rq.Cursor(third.reports[0].created_at, third.reports[0].id or 0)
        again = await rq.page(s, wanted, before=back, size=10)
        assert [r.id for r in again.reports] == [r.id for r in second.reports]
        assert again.more_before and again.more_after


async def test_an_area_queue_reads_by_index(engine):
    """A province's or a commune's queue, oldest first, a page after the last shown: the plan
    walks the (area, created_at, id) index of migration 0014, with no sort of the area."""
    from sqlalchemy import text

    queries = {
        "ix_reports_province_created": (
            "SELECT id FROM reports WHERE province_code = '51' "
            "AND status IN ('new', 'in_review', 'waiting', 'forwarded') "
            "AND (created_at > '2026-12-01' OR (created_at = '2026-12-01' AND id > 5)) "
            "ORDER BY created_at, id LIMIT 21"
        ),
        "ix_reports_commune_created": (
            "SELECT id FROM reports WHERE commune_code = '21220' AND escalated = false "
            "AND status IN ('new', 'in_review', 'waiting', 'forwarded') "
            "ORDER BY created_at, id LIMIT 21"
        ),
    }
    async with engine.connect() as conn:
        for index, query in queries.items():
            if engine.dialect.name == "sqlite":
                rows = await conn.execute(text(f"EXPLAIN QUERY PLAN {query}"))
            else:  # on a near-empty table PostgreSQL would rightly scan; ask what it can use
                await conn.execute(text("SET enable_seqscan = off"))
                await conn.execute(text("SET enable_sort = off"))
                rows = await conn.execute(text(f"EXPLAIN {query}"))
            plan = " ".join(str(row) for row in rows)
            assert index in plan, plan
            assert "TEMP B-TREE" not in plan and " Sort " not in plan, plan

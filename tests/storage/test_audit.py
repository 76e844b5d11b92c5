"""The audit log on both databases: the area of each entry, filters, pages that follow the last
entry shown, the export's stream, the plans at a million entries' worth of indexes, and the
migration that gives the entries written before it their area."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from storage import audit, reports
from storage.db import session_factory, transaction
from storage.models import AuditEntry, Broadcast, TransactionPoint
from storage.report_models import Report

NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
SON_TINH, OTHER_QN, HANOI = "21220", "21211", "00004"
QUANG_NGAI = {"51", SON_TINH, OTHER_QN}


def _report(commune: str | None, province: str | None, escalated: bool = False) -> Report:
    return Report(
        code="",
        handle="",
        category="usury",
        commune_code=commune,
        province_code=province,
        escalated=escalated,
        description="Cho vay lãi nặng.",
        consent_at=NOW,
        created_at=NOW,
        touched_at=NOW,
    )


def _point(point_id: str, commune: str) -> TransactionPoint:
    return TransactionPoint(
        id=point_id,
        commune_code=commune,
        name="Điểm giao dịch",
        address="Nhà văn hóa thôn 1",
        day_of_month=15,
        start_time=dt.time(7, 30),
        end_time=dt.time(11, 0),
        office="PGD Sơn Tịnh",
        phone="0255 3000 000",
    )


async def test_each_entry_belongs_to_the_area_of_what_it_is_about(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        plain = await reports.create(s, _report(SON_TINH, "51"))
        escalated = await reports.create(s, _report(SON_TINH, "51", escalated=True))
        nowhere = await reports.create(s, _report(None, "51"))
        unplaced = await reports.create(s, _report(None, None))
        broadcast = Broadcast(author="telegram:1", area_code="51", text="Thông báo")
        country = Broadcast(author="telegram:1", area_code=None, text="Thông báo")
        s.add_all([broadcast, country, _point("qng-st-1", SON_TINH)])
        await s.flush()
        cases = [
            ("report.take", f"report:{plain.id}", {}, SON_TINH),
            # misconduct by the commune apparatus: the province's, never the commune's
            ("report.take", f"report:{escalated.id}", {}, "51"),
            ("report.create", f"report:{nowhere.id}", {}, "51"),
            ("report.create", f"report:{unplaced.id}", {}, None),
            ("report.take", "report:999999", {}, None),  # gone: the whole country's
            ("report.take", "report:abc", {}, None),
            ("broadcast.approve", f"broadcast:{broadcast.id}", {}, "51"),
            ("broadcast.start", f"broadcast:{country.id}", {}, None),
            ("schedule.move", "qng-st-1", {"regular": "2026-12-15"}, SON_TINH),
            ("point.hours", "qng-st-1", {}, SON_TINH),
            ("schedule.move", "no-such-point", {}, None),
            ("role.grant", "telegram:5", {"role": "moderator", "area": SON_TINH}, SON_TINH),
            ("role.revoke", "telegram:5", {"role": "admin", "area": None}, None),
            ("role.grant", "telegram:5", {"role": "admin", "area": "bogus"}, None),
            ("console.sign_in", "telegram:5", {"area": "51"}, None),  # unknown kind: country
        ]
        for action, subject, detail, expected in cases:
            entry = await audit.record(s, "telegram:1", action, subject, detail, NOW)
            assert entry.area_code == expected, (action, subject)


async def _fill(session, count: int, start: dt.datetime = NOW) -> list[AuditEntry]:
    """``count`` role entries, two per second (pairs share a time: ids break the tie),
    alternating between two actors and three areas."""
    made = []
    areas = [SON_TINH, "51", HANOI]
    for i in range(count):
        made.append(
            await audit.record(
                session,
                f"telegram:{i % 2}",
                "role.grant" if i % 3 else "role.revoke",
                f"telegram:{100 + i}",
                {"role": "moderator", "area": areas[i % 3]},
                start + dt.timedelta(seconds=i // 2),
            )
        )
    return made


def _newest_first(entries: list[AuditEntry]) -> list[int]:
    return [e.id for e in sorted(entries, key=lambda e: (e.at, e.id), reverse=True)]


async def test_pages_follow_the_last_entry_shown_with_ties_on_the_time(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        made = await _fill(s, 23)
    seen: list[int] = []
    after = None
    async with transaction(sessions) as s:
        for _ in range(10):
            page = await audit.page(s, audit.Filter(), after, size=5)
            seen += [e.id for e in page.entries]
            if page.next is None:
                break
            after = page.next
    assert seen == _newest_first(made)
    # a new entry written while someone pages does not shift the pages already read
    async with transaction(sessions) as s:
        first = await audit.page(s, audit.Filter(), None, size=5)
        await _fill(s, 1, NOW + dt.timedelta(hours=1))
        second = await audit.page(s, audit.Filter(), first.next, size=5)
    assert [e.id for e in second.entries] == _newest_first(made)[5:10]


async def test_filters_by_who_what_when_and_where(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        made = await _fill(s, 30)
        await audit.record(s, "cli", "schedule.move", "nowhere", {}, NOW)

    async def ids(**wanted) -> list[int]:
        async with transaction(sessions) as s:
            return [e.id for e in (await audit.page(s, audit.Filter(**wanted), size=100)).entries]

    def expect(keep) -> list[int]:
        return _newest_first([e for e in made if keep(e)])

    assert await ids(actor="telegram:1") == expect(lambda e: e.actor == "telegram:1")
    assert await ids(action="role.revoke") == expect(lambda e: e.action == "role.revoke")
    assert await ids(action_kind="role") == _newest_first(made)
    assert len(await ids(action_kind="schedule")) == 1
    assert await ids(action_kind="rol") == []  # a kind is a whole word
    since, until = NOW + dt.timedelta(seconds=3), NOW + dt.timedelta(seconds=6)
    assert await ids(since=since, until=until) == expect(lambda e: since <= e.at < until)
    assert await ids(areas=QUANG_NGAI) == expect(lambda e: e.area_code in QUANG_NGAI)
    assert await ids(areas={SON_TINH}) == expect(lambda e: e.area_code == SON_TINH)
    assert await ids(areas=set()) == []
    assert await ids(areas={HANOI}, actor="telegram:0", action="role.grant") == expect(
        lambda e: e.area_code == HANOI and e.actor == "telegram:0" and e.action == "role.grant"
    )
    # the whole country's own entries are read with no area limit only
    everything = await ids()
    assert len(everything) == 31


async def test_a_kind_is_read_as_the_actions_of_that_kind_in_the_log(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        assert await audit.distinct_actions(s) == []
        await _fill(s, 5)
        await audit.record(s, "cli", "roles_x.other", "x", {}, NOW)  # not of the kind "role"
        await audit.record(s, "cli", "role.new_kind_of_change", "x", {}, NOW)
        assert await audit.distinct_actions(s) == [
            "role.grant",
            "role.new_kind_of_change",
            "role.revoke",
            "roles_x.other",
        ]
        found = await audit.page(s, audit.Filter(action_kind="role"), size=100)
        assert len(found.entries) == 6
        assert await audit.page(s, audit.Filter(action_kind="point")) == audit.Page([], None)


async def test_the_export_streams_every_entry_in_batches(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        made = await _fill(s, 25)
    async with transaction(sessions) as s:
        streamed = [e.id async for e in audit.stream(s, audit.Filter(), batch=4)]
        limited = [e.id async for e in audit.stream(s, audit.Filter(areas={SON_TINH}), batch=3)]
    assert streamed == _newest_first(made)
    assert limited == _newest_first([e for e in made if e.area_code == SON_TINH])


async def _plan(engine, statement) -> str:
    compiled = statement.compile(engine.sync_engine, compile_kwargs={"literal_binds": True})
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
        else:  # on a near-empty table PostgreSQL would rightly scan; ask what it can use
            await conn.execute(text("SET enable_seqscan = off"))
            rows = await conn.execute(text(f"EXPLAIN {compiled}"))
        return " ".join(str(row) for row in rows)


@pytest.mark.parametrize(
    ("wanted", "index"),
    [
        (audit.Filter(areas={SON_TINH}), "ix_audit_log_area_at"),
        (audit.Filter(areas=QUANG_NGAI), "ix_audit_log_area_at"),
        (audit.Filter(actor="telegram:1"), "ix_audit_log_actor_at"),
        (audit.Filter(action="role.grant"), "ix_audit_log_action_at"),
        # a kind, as page() reads it: the actions of that kind found in the log
        (audit.Filter(actions={"role.grant", "role.revoke"}), "ix_audit_log_action_at"),
        (audit.Filter(), "ix_audit_log_at"),
    ],
)
async def test_a_page_reads_by_index_not_the_whole_log(engine, wanted, index):
    """At a million entries a page must not scan the table: each filter has its index (the
    area's for an admin of a province or commune, the time's for the whole country)."""
    after = audit.Cursor(NOW, 10**6)
    plan = await _plan(engine, audit.query(wanted, after, 51))
    assert index in plan, plan


async def test_the_actions_in_the_log_are_read_by_index(engine):
    plan = await _plan(engine, audit.distinct_actions_query())
    assert "ix_audit_log_action_at" in plan, plan


async def test_the_migration_gives_older_entries_their_area(engine):
    """Entries written before 0017 get the area storage.audit.area_of would have given."""
    from alembic import command

    from storage.db import alembic_config, upgrade

    def migrate(connection, to: str, down: bool) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, to)

    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        plain = await reports.create(s, _report(SON_TINH, "51"))
        escalated = await reports.create(s, _report(OTHER_QN, "51", escalated=True))
        broadcast = Broadcast(author="telegram:1", area_code=HANOI, text="Thông báo")
        s.add_all([broadcast, _point("qng-st-1", SON_TINH)])
        await s.flush()
        ids = {"plain": plain.id, "escalated": escalated.id, "broadcast": broadcast.id}
    async with engine.begin() as conn:
        await conn.run_sync(migrate, _before("0017"), True)
        rows = [
            ("report.take", f"report:{ids['plain']}", "{}"),
            ("report.reject", f"report:{ids['escalated']}", "{}"),
            ("broadcast.start", f"broadcast:{ids['broadcast']}", "{}"),
            ("schedule.cancel", "qng-st-1", "{}"),
            ("role.grant", "telegram:5", '{"role": "official", "area": "51"}'),
            ("role.grant", "telegram:6", '{"role": "admin", "area": null}'),
            ("report.take", "report:424242", "{}"),
        ]
        for action, subject, detail in rows:
            await conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, subject, detail) "
                    "VALUES (:at, 'cli', :action, :subject, :detail)"
                ),
                {"at": NOW, "action": action, "subject": subject, "detail": detail},
            )
    await upgrade(engine)
    async with engine.connect() as conn:
        found = (await conn.execute(text("SELECT subject, area_code FROM audit_log"))).all()
    assert sorted(found, key=str) == sorted(
        [
            (f"report:{ids['plain']}", SON_TINH),
            (f"report:{ids['escalated']}", "51"),
            (f"broadcast:{ids['broadcast']}", HANOI),
            ("qng-st-1", SON_TINH),
            ("telegram:5", "51"),
            ("telegram:6", None),
            ("report:424242", None),
        ],
        key=str,
    )


def _before(revision: str) -> str:
    """The revision that ``revision`` follows (the numbers on main are taken in turn)."""
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    found = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    assert found is not None and isinstance(found.down_revision, str)
    return found.down_revision

"""Reports in storage, on SQLite and PostgreSQL: codes, routing by area, drafts of evidence,
the cut-off link when a reporter deletes their data, caps and the spam cooldown."""

from __future__ import annotations

import datetime as dt

import pytest

from storage import report_limits, reports, users
from storage import report_queue as rq
from storage.db import session_factory, transaction
from storage.report_models import Report, ReportFile

NOW = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
SON_TINH, OTHER_QN, HANOI = "21220", "21211", "00004"


def _report(reporter_id: int | None, commune: str | None, **extra) -> Report:
    fields = {
        "code": "",
        "handle": "",
        "reporter_id": reporter_id,
        "category": "usury",
        "commune_code": commune,
        "province_code": {SON_TINH: "51", OTHER_QN: "51", HANOI: "01"}.get(commune or ""),
        "description": "Cho vay lãi 30% một tháng, đòi nợ bằng tin nhắn đe dọa.",
        "consent_at": NOW,
        "created_at": NOW,
        "touched_at": NOW,
    }
    fields.update(extra)
    return Report(**fields)


async def _user(session, uid: str = "9001"):
    return await users.get_or_create_user(session, "telegram", uid, NOW)


async def test_codes_are_unguessable_and_unambiguous(engine):
    sessions = session_factory(engine)
    codes = set()
    async with transaction(sessions) as s:
        user = await _user(s)
        for _ in range(30):
            report = await reports.create(s, _report(user.id, SON_TINH))
            codes.add(report.code)
            assert len(report.code) == 8 and len(report.handle) == 5
            assert not set(report.code) & set("01OILU")
    assert len(codes) == 30
    code = next(iter(codes))
    async with transaction(sessions) as s:
        assert (await reports.by_code(s, code)).code == code
    typed = f" {code[:4].lower()}-{code[4:]} "
    assert reports.normalize_code(typed) == code
    assert reports.normalize_code("ABCD0123") is None  # 0 and 1 are never in a code
    assert reports.normalize_code("ABC") is None
    assert len(reports.CODE_ALPHABET) == 30


async def test_routing_keeps_escalated_misconduct_from_the_commune(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        user = await _user(s)
        credit = await reports.create(s, _report(user.id, SON_TINH))
        misconduct = await reports.create(
            s,
            _report(
                user.id, SON_TINH, category="keeps_repayment", accused="leader", escalated=True
            ),
        )
        elsewhere = await reports.create(s, _report(user.id, HANOI))
        nowhere = await reports.create(s, _report(user.id, None, place_text="xóm Bến"))

    async def ids(*areas):
        async with transaction(sessions) as s:
            return {r.id for r in (await rq.page(s, rq.Filter(list(areas)), size=50)).reports}

    assert await ids(SON_TINH) == {credit.id}  # the commune never sees the escalated one
    assert await ids("51") == {credit.id, misconduct.id}
    assert await ids(OTHER_QN) == set()
    assert await ids("01") == {elsewhere.id}
    assert await ids(None) == {credit.id, misconduct.id, elsewhere.id, nowhere.id}
    assert await ids() == set()
    async with transaction(sessions) as s:
        assert await rq.counts(s, rq.Filter([SON_TINH])) == {"new": 1}
        assert await rq.counts(s, rq.Filter(["51"], category="usury")) == {"new": 1}
        count, oldest = await reports.new_in_areas(s, ["51", SON_TINH])
        assert count == 2 and oldest == NOW


async def test_queue_is_oldest_first_and_filters_by_state(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        user = await _user(s)
        late = await reports.create(
            s, _report(user.id, SON_TINH, created_at=NOW + dt.timedelta(hours=2))
        )
        early = await reports.create(s, _report(user.id, SON_TINH))
        done = await reports.create(s, _report(user.id, SON_TINH, status=reports.RESOLVED))
    async with transaction(sessions) as s:
        assert [r.id for r in (await rq.page(s, rq.Filter(["51"]))).reports] == [early.id, late.id]
        closed = rq.Filter(["51"], statuses=reports.CLOSED)
        assert [r.id for r in (await rq.page(s, closed)).reports] == [done.id]


async def test_deleting_the_reporter_cuts_the_link_and_keeps_the_report(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        user = await _user(s)
        kept = await reports.add_draft_file(s, user.id, "photo", "image/jpeg", "a.jpg", b"x", NOW)
        draft = await reports.add_draft_file(s, user.id, "photo", "image/jpeg", "b.jpg", b"y", NOW)
        report = await reports.create(s, _report(user.id, SON_TINH))
        assert await reports.attach_files(s, report.id, user.id, [kept]) == 1
        user_id, report_id = user.id, report.id
    async with transaction(sessions) as s:
        assert await reports.count_of_reporter(s, user_id) == 1
        await users.delete_user(s, user_id)
    async with transaction(sessions) as s:
        report = await reports.get(s, report_id)
        assert report is not None and report.reporter_id is None
        assert await reports.reporter_of(s, report) is None
        files = await reports.files_of(s, report_id)
        assert [f.id for f in files] == [kept] and files[0].data == b"x"
        assert await s.get(ReportFile, draft) is None  # an unsent draft goes with the user


async def test_drafts_belong_to_their_owner_and_old_ones_are_pruned(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        alice, bob = await _user(s, "1"), await _user(s, "2")
        mine = await reports.add_draft_file(s, alice.id, "photo", "image/png", "a.png", b"1", NOW)
        theirs = await reports.add_draft_file(
            s, bob.id, "document", "application/pdf", "b", b"2", NOW
        )
        assert [f.id for f in await reports.draft_files(s, alice.id, [theirs, mine])] == [mine]
        report = await reports.create(s, _report(alice.id, SON_TINH))
        assert await reports.attach_files(s, report.id, alice.id, [mine, theirs]) == 1
        assert await reports.file_counts(s, [report.id]) == {report.id: 1}
    async with transaction(sessions) as s:
        assert await reports.prune_drafts(s, NOW + dt.timedelta(days=1)) == 1  # bob's draft
        assert await s.get(ReportFile, theirs) is None


async def test_daily_count_and_spam_cooldown(engine):
    """The limits' marks (storage/report_limits.py): one report over two identities counts
    once; only marks in the window count; the latest spam mark is found."""
    sessions = session_factory(engine)
    mine, linked, other = "a" * 64, "b" * 64, "c" * 64
    async with transaction(sessions) as s:
        await report_limits.record(s, [mine], "report", NOW - dt.timedelta(days=2))
        await report_limits.record(s, [mine, linked], "report", NOW)
        await report_limits.record(s, [linked], "report", NOW - dt.timedelta(hours=1))
        await report_limits.record(s, [other], "report", NOW)
        await report_limits.record(s, [mine], "spam", NOW - dt.timedelta(days=3))
    async with transaction(sessions) as s:
        since = NOW - dt.timedelta(days=1)
        assert await report_limits.reports_since(s, [mine, linked], since) == 2
        assert await report_limits.reports_since(s, [mine], since) == 1
        last = await report_limits.last_spam(s, [mine, linked], NOW - dt.timedelta(days=7))
        assert last == NOW - dt.timedelta(days=3)
        assert await report_limits.last_spam(s, [mine], NOW - dt.timedelta(days=2)) is None


@pytest.mark.parametrize("kind", ["status", "question", "answer"])
async def test_history_keeps_its_order(engine, kind: str):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        user = await _user(s)
        report = await reports.create(s, _report(user.id, SON_TINH))
        await reports.add_event(s, report.id, "status", NOW, status="new")
        await reports.add_event(s, report.id, kind, NOW + dt.timedelta(minutes=1), detail="x")
    async with transaction(sessions) as s:
        events = await reports.events(s, report.id)
        assert [e.kind for e in events] == ["status", kind]
        assert events[1].at == NOW + dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_a_report_taken_in_hand_waits_for_the_other_transaction(engine):
    """Two moderators (or a moderator and the reporter) acting on one report at once: the
    one that reads it second waits until the first is done, then sees its change. Shown on
    PostgreSQL with a short lock timeout (SQLite has one writer at a time anyway)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        report = await reports.create(session, _report(None, "21220"))
    report_id = report.id or 0
    async with transaction(sessions) as first:
        held = await reports.get(first, report_id, lock=True)
        assert held is not None
        async with sessions() as second:
            await second.exec(text("SET LOCAL lock_timeout = '100ms'"))  # type: ignore[call-overload]
            with pytest.raises(DBAPIError, match="lock"):
                await reports.get(second, report_id, lock=True)
            await second.rollback()
            assert await reports.get(second, report_id) is not None  # a plain read does not wait
        await reports.touch(first, held, NOW, status=reports.IN_REVIEW)
    async with transaction(sessions) as second:
        again = await reports.get(second, report_id, lock=True)
        assert again is not None and again.status == reports.IN_REVIEW

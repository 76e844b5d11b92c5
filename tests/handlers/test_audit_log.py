"""What an admin reads of the audit log (handlers/account/audit_log.py): the typed filters,
each refusal named, the admin's own area as the limit, and an export with no reporter in it.
Also the /quyen rules the staff console shares (handlers/account/role_admin.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from handlers.account import audit_log, role_admin
from handlers.account.audit_log import FilterError, Problem, Query
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.dispatch import Deps, handle
from handlers.core.types import Incoming
from storage import audit, users
from storage import roles as role_store
from storage.db import transaction
from storage.models import ConversationState
from tests.conftest import Chat
from tests.handlers.test_report import _moderator, full_report, stored

NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
SON_TINH, OTHER_QN, HANOI = "21220", "21211", "00004"


async def _ctx(session, deps: Deps, user_id: str, *grants: tuple[str, str | None]) -> Context:
    """The context of ``test:user_id`` holding ``grants`` ((role, area) pairs)."""
    for role, area in grants:
        await role_store.grant(session, "test", user_id, role, area, "cli", NOW)
    user = await users.get_or_create_user(session, "test", user_id, NOW)
    state = ConversationState(user_id=user.id or 0)
    return Context(session, deps.content, user, state, deps.clock())


# --- typed values ----------------------------------------------------------------------------


def test_who_is_a_person_on_a_channel_or_one_of_the_systems():
    assert audit_log.parse_actor(" Telegram:123 ") == "telegram:123"
    assert audit_log.parse_actor("CLI") == "cli" and audit_log.parse_actor("reporter")
    assert audit_log.parse_actor("") is None
    for bad in ("123", "sms:1", "telegram:a b", "telegram:"):
        with pytest.raises(FilterError) as refused:
            audit_log.parse_actor(bad)
        assert refused.value.problem is Problem.ACTOR and refused.value.field == "who"


def test_what_is_one_action_or_a_kind():
    assert audit_log.parse_action("role.grant") == ("role.grant", None)
    assert audit_log.parse_action("Report.*") == (None, "report")
    assert audit_log.parse_action("report.") == (None, "report")
    assert audit_log.parse_action("broadcast") == (None, "broadcast")
    assert audit_log.parse_action(" ") == (None, None)
    for bad in ("role grant", "'; drop table audit_log", "a.b.c", "x" * 49, "role.%"):
        with pytest.raises(FilterError, match="action"):
            audit_log.parse_action(bad)


def test_dates_are_read_as_a_date_field_sends_them_or_as_typed_in_vietnam():
    assert audit_log.parse_date("2026-12-07", "since") == dt.date(2026, 12, 7)
    assert audit_log.parse_date("7/12/2026", "since") == dt.date(2026, 12, 7)
    assert audit_log.parse_date("", "since") is None
    for bad in ("31/02/2026", "2026-13-01", "hôm qua", "1/1/1900", "1/1"):
        with pytest.raises(FilterError) as refused:
            audit_log.parse_date(bad, "until")
        assert refused.value.problem is Problem.DATE and refused.value.field == "until"


def test_a_page_link_goes_back_to_the_entry_it_was_made_from():
    cursor = audit.Cursor(dt.datetime(2026, 12, 7, 8, 0, 0, 123456, tzinfo=dt.UTC), 42)
    assert audit_log.parse_cursor(audit_log.cursor_text(cursor)) == cursor
    assert audit_log.parse_cursor("") is None
    for bad in ("abc", "1.2.3", "-5.1", "9" * 20 + ".1", "1"):
        with pytest.raises(FilterError, match="page"):
            audit_log.parse_cursor(bad)


# --- the admin's area --------------------------------------------------------------------------


async def test_an_admin_reads_the_entries_of_their_area_only(deps: Deps):
    async with transaction(deps.sessions) as s:
        country = await _ctx(s, deps, "1", ("admin", None))
        province = await _ctx(s, deps, "2", ("admin", "51"))
        commune = await _ctx(s, deps, "3", ("admin", SON_TINH), ("moderator", "01"))
        nobody = await _ctx(s, deps, "4", ("official", None))
        assert await audit_log.scope(country) is None
        found = await audit_log.scope(province)
        assert found is not None and {"51", SON_TINH, OTHER_QN} <= found and HANOI not in found
        assert len(found) > 50  # every commune of Quảng Ngãi
        assert await audit_log.scope(commune) == {SON_TINH}  # a moderator's area is not an admin's
        assert await audit_log.scope(nobody) == frozenset()

        read = await audit_log.read(province, Query(area="son tinh"))
        assert read.area == SON_TINH and read.filter.areas == {SON_TINH}
        read = await audit_log.read(province, Query(area="21220"))
        assert read.filter.areas == {SON_TINH}
        assert (await audit_log.read(province, Query())).filter.areas == found
        assert (await audit_log.read(country, Query(area="51"))).filter.areas == found
        with pytest.raises(FilterError) as refused:
            await audit_log.read(province, Query(area=HANOI))
        assert refused.value.problem is Problem.AREA_OUTSIDE
        with pytest.raises(FilterError) as refused:
            await audit_log.read(commune, Query(area="51"))
        assert refused.value.problem is Problem.AREA_OUTSIDE
        with pytest.raises(FilterError) as refused:
            await audit_log.read(province, Query(area="99"))
        assert refused.value.problem is Problem.AREA
        assert refused.value.values["reason"] == "area_no_province"
        with pytest.raises(FilterError) as refused:
            await audit_log.read(province, Query(area="không có xã này"))
        assert refused.value.values["reason"] == "area_not_found"


async def test_when_is_a_range_of_whole_days_in_vietnam(deps: Deps):
    async with transaction(deps.sessions) as s:
        ctx = await _ctx(s, deps, "1", ("admin", None))
        read = await audit_log.read(ctx, Query(since="2026-12-01", until="07/12/2026"))
        # midnight in Hà Nội is 17:00 UTC the day before
        assert read.filter.since == dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)
        assert read.filter.until == dt.datetime(2026, 12, 7, 17, 0, tzinfo=dt.UTC)
        with pytest.raises(FilterError) as refused:
            await audit_log.read(ctx, Query(since="2026-12-08", until="2026-12-07"))
        assert refused.value.problem is Problem.RANGE


async def test_pages_and_filters_together(deps: Deps):
    async with transaction(deps.sessions) as s:
        ctx = await _ctx(s, deps, "1", ("admin", "51"))
        for i in range(7):
            area = SON_TINH if i % 2 else HANOI
            await roles.grant_role(s, "test", f"9{i}", "moderator", area, "test:1", NOW)
        await roles.revoke_role(s, "test", "91", "moderator", SON_TINH, "cli", NOW)
        read = await audit_log.read(ctx, Query(what="role.grant"))
        first = await audit_log.page(ctx, read, size=2)
        assert [e.subject for e in first.entries] == ["test:95", "test:93"]
        assert first.next is not None
        after = audit_log.cursor_text(first.next)
        rest = await audit_log.page(ctx, await audit_log.read(ctx, Query(what="role", after=after)))
        # older than the last shown: the revoke, written after, is on no later page
        assert [e.subject for e in rest.entries] == ["test:91"]
        assert rest.next is None
        by_cli = await audit_log.read(ctx, Query(who="cli"))
        assert [e.action for e in (await audit_log.page(ctx, by_cli)).entries] == ["role.revoke"]


# --- the export ----------------------------------------------------------------------------------


async def test_the_export_names_no_reporter_and_neutralises_formulas(chat: Chat, deps: Deps):
    """A report's whole life in chat, then the CSV of the log: the moderator is named, the
    reporter never (neither their id nor the answer they typed, which may name people)."""
    await chat.onboard()
    await full_report(chat, story='=HYPERLINK("http://x") cho vay lãi 30% một tháng ở thôn.')
    [report] = await stored(deps)
    moderator = await _moderator(deps, "51")
    await moderator.send("/xuly")
    await moderator.press(f"xo:{report.id}")
    await moderator.press(f"xt:{report.id}")
    await moderator.press("Về báo cáo")
    await moderator.press(f"xa:{report.id}")
    await moderator.send("=1+1 Anh chị cho biết thêm ông ấy ở thôn nào?")
    chat.replies = await handle(Incoming("test", "1001", action=f"rq:{report.id}"), chat.deps)
    await chat.send("Ở thôn Tịnh Hà, tôi là Nguyễn Văn Bình, số 0912 345 678.")
    async with transaction(deps.sessions) as s:
        admin = await _ctx(s, deps, "8001", ("admin", SON_TINH))
        text = "".join(
            [c async for c in audit_log.csv_chunks(admin, await audit_log.read(admin, Query()))]
        )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(audit_log.CSV_HEADER)
    actions = [row[3] for row in rows[1:]]
    assert actions == ["report.answer", "report.ask", "report.take", "report.create"]
    assert {row[2] for row in rows[1:]} == {"reporter", "test:7001"}
    assert all(row[5] == SON_TINH and "Sơn Tịnh" in row[6] for row in rows[1:])
    assert "1001" not in text and "Bình" not in text and "0912" not in text
    ask = next(row for row in rows[1:] if row[3] == "report.ask")
    assert '"note": "=1+1' in ask[7] and ask[1].endswith("+07:00")


async def test_the_export_goes_out_in_pieces(deps: Deps, monkeypatch):
    monkeypatch.setattr(audit_log, "CSV_BATCH", 3)
    async with transaction(deps.sessions) as s:
        ctx = await _ctx(s, deps, "1", ("admin", None))
        for i in range(7):
            await audit.record(s, "cli", "role.grant", f"test:{i}", {"area": "-1"}, NOW)
        chunks = [c async for c in audit_log.csv_chunks(ctx, await audit_log.read(ctx, Query()))]
    assert len(chunks) == 3  # 3 + 3 + 1 rows (the header with the first)
    rows = list(csv.reader(io.StringIO("".join(chunks))))
    assert len(rows) == 8 and rows[1][6] == "cả nước"


# --- the /quyen rules the console shares ---------------------------------------------------------


async def test_grants_stay_within_the_admins_area(deps: Deps):
    async with transaction(deps.sessions) as s:
        admin = await _ctx(s, deps, "1", ("admin", "51"))
        await role_store.grant(s, "test", "50", "moderator", HANOI, "cli", NOW)
        granted = await role_admin.grant_within(admin, "telegram", "9", "moderator", SON_TINH)
        assert granted is role_admin.Granted.GRANTED
        again = await role_admin.grant_within(admin, "telegram", "9", "moderator", SON_TINH)
        assert again is role_admin.Granted.ALREADY
        for outside in (HANOI, "01", None):
            done = await role_admin.grant_within(admin, "telegram", "9", "official", outside)
            assert done is role_admin.Granted.OUTSIDE
        seen = [
            (g.channel_user_id, g.role, g.area_code) for g in await role_admin.visible_grants(admin)
        ]
        assert ("9", "moderator", SON_TINH) in seen and ("50", "moderator", HANOI) not in seen
        hanoi = await role_store.find(s, "test", "50", "moderator", HANOI)
        assert hanoi is not None and await role_admin.revocable(admin, hanoi.id or 0) is None
        mine = await role_store.find(s, "telegram", "9", "moderator", SON_TINH)
        assert mine is not None and await role_admin.revocable(admin, mine.id or 0) == mine
        await role_admin.revoke_grant(admin, mine)
        assert await role_store.find(s, "telegram", "9", "moderator", SON_TINH) is None
        log = await audit.entries(s)
        assert [(e.action, e.actor, e.area_code) for e in log[:2]] == [
            ("role.revoke", "test:1", SON_TINH),
            ("role.grant", "test:1", SON_TINH),
        ]
        assert [p.user for p in await role_admin.known_staff(admin)] == ["test:1"]


async def test_an_area_is_typed_as_a_code_or_a_name_within_ones_own(deps: Deps):
    async with transaction(deps.sessions) as s:
        admin = await _ctx(s, deps, "1", ("admin", "51"))
        assert await role_admin.read_area(admin, "") is None
        assert await role_admin.read_area(admin, " 21220 ") == SON_TINH
        assert await role_admin.read_area(admin, "Sơn Tịnh") == SON_TINH
        assert await role_admin.read_area(admin, "quảng ngãi") == "51"
        # the whole name of one, though others begin with it (Sơn Tây Hạ, Sơn Tây Thượng)
        assert await role_admin.read_area(admin, "xã Sơn Tây") == "21340"
        with pytest.raises(roles.RoleInputError) as refused:
            await role_admin.read_area(admin, "Mường Phăng")  # Điện Biên: not within 51
        assert refused.value.problem == "area_not_found"
        with pytest.raises(roles.RoleInputError) as refused:
            await role_admin.read_area(admin, "Sơn")
        assert refused.value.problem == "area_several" and "Sơn Tịnh" in str(
            refused.value.values["names"]
        )
        with pytest.raises(roles.RoleInputError) as refused:
            await role_admin.read_area(admin, "123")
        assert refused.value.problem == "area_format"

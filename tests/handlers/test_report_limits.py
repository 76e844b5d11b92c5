"""The report limits hold without identity: deleting one's data (/dulieu) or moving to a
linked channel resets neither the 3-a-day cap nor the week's pause after spam; the marks
they count are keyed hashes, kept only as long as the limits need them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest
from sqlmodel import select

from bot.config import ConfigError, load_settings
from bot.scheduler import prune_report_limits
from handlers.core.dispatch import Deps, handle
from handlers.core.types import Incoming
from handlers.reports import intake_rules
from storage import report_limits, reports, roles, users
from storage.db import transaction
from storage.limit_models import ReportLimitMark, StoredSecret
from tests.conftest import Chat
from tests.handlers.test_linking import code_from
from tests.handlers.test_report import full_report, stored

CAP = "3 báo cáo trong 24 giờ qua"
PAUSE = "không phải báo cáo thật"


async def delete_my_data(chat: Chat) -> None:
    await chat.send("/dulieu")
    await chat.press("data_delete")
    await chat.press("data_delete_yes")
    assert "Đã xóa toàn bộ dữ liệu" in chat.text


async def reject_as_spam(deps: Deps, report_id: int) -> None:
    async with transaction(deps.sessions) as session:
        await roles.grant(session, "test", "7001", "moderator", None, "cli")
    moderator = Chat(deps, user_id="7001")
    await moderator.onboard()
    await handle(Incoming("test", "7001", action=f"xj:{report_id}:spam"), deps)
    async with transaction(deps.sessions) as session:
        assert (await reports.get(session, report_id)).reason == "spam"


async def test_the_daily_cap_survives_deleting_ones_data(deps: Deps, clock):
    chat = Chat(deps)
    await chat.onboard()
    for _ in range(intake_rules.MAX_REPORTS_PER_DAY):
        await full_report(chat)
        clock.advance(minutes=10)
    await delete_my_data(chat)
    async with transaction(deps.sessions) as session:
        assert await users.find_user(session, "test", "1001") is None  # really gone
    await chat.onboard()
    await chat.send("/baocao")
    assert CAP in chat.text, chat.text
    assert not any(b.action.startswith("rpd") for b in chat.buttons)
    clock.advance(hours=24)  # the first report's day is over: one more may be sent
    await chat.send("/baocao")
    assert chat.find("rpd:no")


async def test_the_spam_pause_survives_deleting_ones_data(deps: Deps, clock):
    chat = Chat(deps)
    await chat.onboard()
    await full_report(chat)
    [report] = await stored(deps)
    await reject_as_spam(deps, report.id)
    clock.advance(days=1)
    await delete_my_data(chat)
    await chat.onboard()
    await chat.send("/baocao")
    assert PAUSE in chat.text and "29/11/2026" in chat.text, chat.text
    clock.advance(days=6, minutes=1)
    await chat.send("/baocao")
    assert chat.find("rpd:no")


async def test_linked_identities_share_the_marks_and_keep_them_when_unlinked(deps: Deps, clock):
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard()
    zalo = Chat(deps, "z-222", "zalo")
    await zalo.send(f"/lienket {await code_from(telegram)}")
    assert "Zalo" in zalo.text
    for _ in range(intake_rules.MAX_REPORTS_PER_DAY):
        await full_report(telegram)
        clock.advance(minutes=10)
    await zalo.send("/baocao")  # the same person, on the other channel
    assert CAP in zalo.text
    await zalo.send("/lienket")
    await zalo.press("link_unlink")
    assert "Đã hủy liên kết" in zalo.text
    await zalo.send("/baocao")  # on its own again: its marks stayed with it
    assert CAP in zalo.text, zalo.text


async def test_a_later_linked_channel_counts_the_earlier_reports(deps: Deps, clock):
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard()
    for _ in range(intake_rules.MAX_REPORTS_PER_DAY):
        await full_report(telegram)
    zalo = Chat(deps, "z-222", "zalo")
    await zalo.onboard()
    await zalo.send(f"/lienket {await code_from(telegram)}")
    await zalo.send("/baocao")
    assert CAP in zalo.text


async def test_one_report_from_a_linked_person_counts_once(deps: Deps, clock):
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard()
    zalo = Chat(deps, "z-222", "zalo")
    await zalo.send(f"/lienket {await code_from(telegram)}")
    await full_report(telegram)
    await full_report(zalo)
    await telegram.send("/baocao")
    assert telegram.find("rpd:no")  # two of three: a third is still welcome


async def test_marks_hold_a_keyed_hash_and_no_identity(deps: Deps, clock):
    key = "k" * 32
    keyed = dataclasses.replace(deps, report_limit_key=key)
    chat = Chat(keyed, user_id="5550101")
    await chat.onboard()
    await full_report(chat)
    async with transaction(deps.sessions) as session:
        marks = (await session.exec(select(ReportLimitMark))).all()
        assert [(m.kind, m.at) for m in marks] == [("report", clock())]
        assert marks[0].key_hash == report_limits.identity_hash(key.encode(), "test", "5550101")
        assert "5550101" not in marks[0].key_hash
        # with a key configured, none is made and kept in the database
        assert (await session.exec(select(StoredSecret))).all() == []
    # another key, another hash: the marks are worth nothing without this one
    assert report_limits.identity_hash(b"x" * 32, "test", "5550101") != marks[0].key_hash


async def test_without_a_key_one_is_made_once_kept_and_warned_about(deps: Deps, caplog):
    report_limits._warned = False
    with caplog.at_level(logging.WARNING, logger="storage.report_limits"):
        async with transaction(deps.sessions) as session:
            first = await report_limits.limit_key(session, None)
        async with transaction(deps.sessions) as session:
            again = await report_limits.limit_key(session, None)
    assert first == again and len(first) == 64
    warnings = [r for r in caplog.records if "REPORT_LIMIT_KEY" in r.getMessage()]
    assert len(warnings) == 1


def test_a_short_key_is_refused_at_start():
    with pytest.raises(ConfigError, match="REPORT_LIMIT_KEY: must be at least 32 characters"):
        load_settings(report_limit_key="too-short")
    assert load_settings(report_limit_key="k" * 32).report_limit_key is not None


async def test_marks_are_kept_only_as_long_as_the_limits_need(deps: Deps, clock):
    now = clock()
    ages = {
        ("report", dt.timedelta(hours=23)): True,
        ("report", dt.timedelta(hours=25)): False,
        ("spam", dt.timedelta(days=6)): True,
        ("spam", dt.timedelta(days=8)): False,
    }
    async with transaction(deps.sessions) as session:
        for kind, age in ages:
            await report_limits.record(session, [f"{kind}-{age}"], kind, now - age)
    assert await prune_report_limits(deps.sessions, clock) == 2
    async with transaction(deps.sessions) as session:
        left = {m.key_hash for m in (await session.exec(select(ReportLimitMark))).all()}
    assert left == {f"{kind}-{age}" for (kind, age), kept in ages.items() if kept}
    clock.advance(days=8)
    assert await prune_report_limits(deps.sessions, clock) == 2


async def test_reports_themselves_keep_no_link_after_deletion(deps: Deps, clock):
    """The limits no longer need the reporter id: /dulieu still clears it from reports."""
    chat = Chat(deps)
    await chat.onboard()
    await full_report(chat)
    await delete_my_data(chat)
    [report] = await stored(deps)
    assert report.reporter_id is None
    async with transaction(deps.sessions) as session:
        assert await reports.of_reporter(session, 1) == []

"""Reaching people on the Zalo OA end to end: the real webhook, client and outbox against the
strict fake OA (tests/fakes/zalo_oa_api.py), on SQLite and PostgreSQL.

A person who has not written for more than 7 days gets a reminder by ZNS when they gave their
phone (in /caidat, or the OA's form) and the deployment has a template for reminders; else the
reminder is counted unreachable. A -230 shuts the window whatever our record says; ZNS waits
for the morning; /dulieu deletes the phone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.scheduler import remind_and_deliver
from handlers.schedules.csv import parse_schedule_csv
from handlers.schedules.reminders import change_reply, change_zns
from storage import outbox, schedules, users, zalo_oa_contacts
from storage.db import transaction
from storage.models import Outbox, TransactionPoint
from storage.zalo_oa_contact_models import ZnsPhone
from tests.bot.zalo_oa_support import OaBot, migrate, plain
from tests.conftest import FakeClock
from tests.fakes.zalo_oa_api import FakeZaloOA

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
POINT = "SAMPLE-03325-PAKHOANG"  # its day is the 29th, 13:30-16:30
REMINDER = "250001:ten_diem=point_name,ngay=date,gio=start_time"
DAY_CHANGED = "250002:ten_diem=point_name,ngay_cu=old_date,ngay_moi=new_date,ly_do=reason"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN).astimezone(dt.UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(2026, 12, 20, 10, 0))


@pytest.fixture
async def oa(clock) -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA(clock=clock) as fake:
        fake.add_template("250001", ["ten_diem", "ngay", "gio"])
        fake.add_template("250002", ["ten_diem", "ngay_cu", "ngay_moi", "ly_do"])
        yield fake


Start = Callable[..., Awaitable[OaBot]]


@pytest.fixture
async def start_bot(oa, database_url, clock) -> AsyncIterator[Start]:
    """Start the bot with these settings (ZNS templates); stopped at the end."""
    started: list[OaBot] = []

    async def start(**settings: Any) -> OaBot:
        await migrate(database_url)
        bot = OaBot(oa, database_url, clock=clock)
        await bot.start(**settings)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        await bot.stop()


async def subscribe(bot: OaBot) -> None:
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(bot.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    await bot.send("start")
    await bot.press("Tiếng Việt")
    await bot.press("Tôi đồng ý")
    await bot.press("📅 Ngày giao dịch ở xã")
    await bot.send("muong phang")
    answer = bot.oa.messages(bot.user)[-3:]
    remind = next(t for m in answer for t, _, _ in m.buttons if "Pá Khoang" in t and "🔔" in t)
    assert "Đã bật nhắc lịch" in plain(await bot.press(remind))


async def give_phone(bot: OaBot, typed: str = "0912 345 678") -> None:
    await bot.send("caidat")
    replies = await bot.press("📱 Nhắc lịch qua tin nhắn Zalo (ZNS)")
    assert "khi lâu không nhắn cho ngân hàng" in plain(replies)
    await bot.press("📱 Cho số điện thoại")
    replies = await bot.send(typed)
    assert "0912 *** 678" in plain(replies)
    assert "Đã lưu số 0912 *** 678" in plain(await bot.press("Đồng ý"))


async def tick(bot: OaBot, clock: FakeClock):  # type: ignore[no-untyped-def]
    runtime = bot.runtime
    return await remind_and_deliver(
        runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
    )


async def reminder_statuses(bot: OaBot) -> dict[str, int]:
    async with transaction(bot.runtime.deps.sessions) as session:
        return await outbox.counts(session, "rem:")


async def test_a_reminder_to_someone_silent_8_days_goes_by_zns(start_bot: Start, oa, clock):
    bot = await start_bot(zalo_zns_template_reminder=REMINDER)
    await subscribe(bot)
    await give_phone(bot)
    chat_messages = len(oa.messages(bot.user))

    clock.now = at(2026, 12, 28, 18, 0)  # 8 days and 8 hours since the person last wrote
    planned, stats = await tick(bot, clock)
    assert (planned, stats.sent, stats.unreachable) == (1, 1, 0)
    [zns] = oa.zns_sent
    assert zns.phone == "84912345678" and zns.template_id == "250001"
    assert zns.template_data == {
        "ten_diem": "Điểm giao dịch Pá Khoang (dữ liệu mẫu)",
        "ngay": "29/12/2026",
        "gio": "13:30",
    }
    assert zns.tracking_id.startswith(f"rem:{POINT}:2026-12-29:eve:")
    assert len(oa.messages(bot.user)) == chat_messages  # no chat message was tried
    assert not [c for c in oa.calls_to("cs") if c.at > at(2026, 12, 21)]

    clock.now = at(2026, 12, 29, 6, 30)  # the morning's reminder too, once
    assert (await tick(bot, clock))[1].sent == 1
    clock.now = at(2026, 12, 29, 6, 31)
    assert (await tick(bot, clock))[1].sent == 0
    assert len(oa.zns_sent) == 2 and await reminder_statuses(bot) == {"sent": 2}

    # /dulieu: the phone is shown, and deleted with everything else.
    replies = await bot.send("dulieu")
    assert "Số điện thoại nhận tin ZNS: 0912 *** 678" in plain(replies)
    await bot.press("🗑 Xóa dữ liệu của tôi")
    assert "Đã xóa toàn bộ dữ liệu" in plain(await bot.press("Xóa vĩnh viễn"))
    async with transaction(bot.runtime.deps.sessions) as session:
        assert (await session.exec(select(ZnsPhone))).all() == []


@pytest.mark.parametrize("why", ["no phone", "no template"])
async def test_without_consent_or_template_the_reminder_is_counted_unreachable(
    start_bot: Start, oa, clock, why
):
    bot = await start_bot(
        zalo_zns_template_reminder=REMINDER if why == "no phone" else None,
    )
    await subscribe(bot)
    if why == "no template":
        await give_phone(bot)
    chat_messages = len(oa.messages(bot.user))
    clock.now = at(2026, 12, 28, 18, 0)
    planned, stats = await tick(bot, clock)
    assert (planned, stats.sent, stats.unreachable) == (1, 0, 1)
    assert oa.zns_sent == [] and len(oa.messages(bot.user)) == chat_messages
    assert await reminder_statuses(bot) == {"unreachable": 1}
    async with transaction(bot.runtime.deps.sessions) as session:
        row = (await session.exec(select(Outbox).where(Outbox.kind == "reminder_eve"))).one()
    expected = "no phone given" if why == "no phone" else "no ZNS template"
    assert expected in row.last_error
    # The dashboard's reminders count it in a column of its own.
    from handlers.stats import figures

    assert "unreachable" not in figures.REMINDER_STATES  # shown only where there are some


async def test_a_minus_230_closes_the_window_and_the_reminder_goes_by_zns(
    start_bot: Start, oa, clock
):
    bot = await start_bot(zalo_zns_template_reminder=REMINDER)
    await subscribe(bot)
    await give_phone(bot)
    clock.now = at(2026, 12, 26, 9, 0)
    await bot.send("menu")  # two days before the reminder, by our record
    oa.set_last_interaction(bot.user, at(2026, 12, 18, 9, 0))  # Zalo counts otherwise
    clock.now = at(2026, 12, 28, 18, 0)
    cs_before = len(oa.calls_to("cs"))
    planned, stats = await tick(bot, clock)
    assert (planned, stats.sent) == (1, 1)
    assert [r.code for r in oa.rejected if r.code != -216] == [-230]
    assert len(oa.calls_to("cs")) == cs_before + 1 and len(oa.zns_sent) == 1
    async with transaction(bot.runtime.deps.sessions) as session:
        me = await users.find_user(session, "zalo_oa", bot.user)
        assert (await zalo_oa_contacts.contact(session, me.id)).window_closed_at is not None

    clock.now = at(2026, 12, 29, 6, 30)  # closed: straight to ZNS, no chat message tried
    assert (await tick(bot, clock))[1].sent == 1
    assert len(oa.calls_to("cs")) == cs_before + 1 and len(oa.zns_sent) == 2

    # Writing again opens it: the next notice is a chat message.
    await bot.send("menu")
    async with transaction(bot.runtime.deps.sessions) as session:
        assert not (await zalo_oa_contacts.reach_of(session, bot.user)).window_closed


async def test_zns_waits_for_the_morning(start_bot: Start, oa, clock):
    bot = await start_bot(zalo_zns_template_day_changed=DAY_CHANGED)
    await subscribe(bot)
    await give_phone(bot)
    runtime = bot.runtime
    clock.now = at(2026, 12, 28, 23, 0)
    async with transaction(runtime.deps.sessions) as session:
        point = await session.get(TransactionPoint, POINT)
        old, new = dt.date(2026, 12, 29), dt.date(2026, 12, 30)
        payload = change_reply(runtime.content, "vi", point, old, new, "Mưa lũ").to_payload()
        payload["zns"] = change_zns(point, old, new, "Mưa lũ", restored=False)
        await outbox.enqueue_one(
            session, "chg:night", "zalo_oa", bot.user, "schedule_change", payload, clock()
        )
    stats = await runtime.sender.run_once()
    assert (stats.sent, stats.held) == (0, 1) and oa.zns_sent == []
    async with transaction(runtime.deps.sessions) as session:
        row = (await session.exec(select(Outbox).where(Outbox.dedup_key == "chg:night"))).one()
    assert row.status == "pending" and row.not_before == at(2026, 12, 29, 6, 0)
    assert row.attempts == 0  # a hold is not a failed attempt

    clock.now = at(2026, 12, 29, 5, 59)
    assert (await runtime.sender.run_once()).handled == 0
    clock.now = at(2026, 12, 29, 6, 0)
    assert (await runtime.sender.run_once()).sent == 1
    [zns] = oa.zns_sent
    assert zns.template_data == {
        "ten_diem": "Điểm giao dịch Pá Khoang (dữ liệu mẫu)",
        "ngay_cu": "29/12/2026",
        "ngay_moi": "30/12/2026",
        "ly_do": "Mưa lũ",
    }


async def test_the_oa_form_phone_is_kept_only_after_the_person_agrees(start_bot: Start, oa, clock):
    bot = await start_bot()
    await bot.send("start")
    await bot.press("Tiếng Việt")
    await bot.press("Tôi đồng ý")
    replies = await bot.push(oa.submit_info_event(bot.user, "+84 912 345 678"))
    assert "Bạn đồng ý để ngân hàng lưu số 0912 *** 678" in plain(replies)

    async def kept() -> list[ZnsPhone]:
        async with transaction(bot.runtime.deps.sessions) as session:
            return list((await session.exec(select(ZnsPhone))).all())

    assert await kept() == []
    await bot.press("Đồng ý")
    assert [p.phone for p in await kept()] == ["84912345678"]
    clock.advance(minutes=1)  # another form (the same one again would be a replay)
    replies = await bot.push(oa.submit_info_event(bot.user, ""))
    assert "không lưu gì" in plain(replies)


async def test_zns_errors_quota_waits_for_tomorrow_and_an_unanswered_send_is_not_repeated(
    start_bot: Start, oa, clock
):
    bot = await start_bot(zalo_zns_template_reminder=REMINDER)
    await subscribe(bot)
    await give_phone(bot)
    runtime = bot.runtime
    clock.now = at(2026, 12, 28, 18, 0)
    oa.fail_next("zns", code=-144)  # the OA's ZNS for today are used up
    planned, stats = await tick(bot, clock)
    assert (planned, stats.sent, stats.held) == (1, 0, 1)
    async with transaction(runtime.deps.sessions) as session:
        row = (await session.exec(select(Outbox).where(Outbox.kind == "reminder_eve"))).one()
    assert row.status == "pending" and row.not_before == at(2026, 12, 29, 6, 0)
    assert row.zns_at is None  # surely not sent: no doubt about it

    clock.now = at(2026, 12, 29, 6, 30)  # the eve's reminder and the day's
    oa.fail_next("zns", code=-1, status=502, raw=b"<html>Bad gateway</html>")
    stats = await runtime.sender.run_once()  # may have gone: not sent again
    planned, more = await tick(bot, clock)
    assert stats.sent + more.sent == 1 and stats.failed + more.failed == 1
    async with transaction(runtime.deps.sessions) as session:
        found = (await session.exec(select(Outbox).where(Outbox.status == "failed"))).all()
    assert [(r.in_doubt, r.last_error.startswith("in doubt")) for r in found] == [(True, True)]
    clock.now = at(2026, 12, 29, 12, 0)
    assert (await runtime.sender.run_once()).handled == 0  # never retried
    assert len(oa.zns_sent) == 1


async def test_the_phone_is_never_written_whole_in_the_log_or_the_row(
    start_bot: Start, oa, clock, caplog
):
    bot = await start_bot(zalo_zns_template_reminder=REMINDER)
    await subscribe(bot)
    await give_phone(bot)
    clock.now = at(2026, 12, 28, 18, 0)
    oa.fail_next("zns", code=-108, message="Phone 84912345678 (0912345678) is invalid")
    with caplog.at_level("DEBUG"):
        _planned, stats = await tick(bot, clock)
    assert stats.failed == 1
    async with transaction(bot.runtime.deps.sessions) as session:
        row = (await session.exec(select(Outbox).where(Outbox.kind == "reminder_eve"))).one()
    assert "***678" in row.last_error  # masked by the client (bot/zalo_oa_api.py)
    for text in (caplog.text, row.last_error):
        assert "912345678" not in text


async def press_starting(bot: OaBot, prefix: str, user: str):  # type: ignore[no-untyped-def]
    titles = [t for m in bot.oa.messages(user)[-3:] for t, _, _ in m.buttons]
    found = [t for t in titles if prefix in t]
    assert found, f"no button {prefix!r} in {titles}"
    return await bot.press(found[0], user)


async def test_a_broadcast_reaches_by_chat_or_zns_and_the_official_is_told_who_was_unreachable(
    start_bot: Start, oa, clock, capsys
):
    from bot.cli.admin import admin_command
    from bot.cli.broadcast import broadcast_status

    bot = await start_bot(zalo_zns_template_notice="250003:khu_vuc=area,noi_dung=summary/40")
    oa.add_template("250003", ["khu_vuc", "noi_dung"])
    now = clock()
    recent, silent, quiet = oa.new_user(), oa.new_user(), oa.new_user()
    async with transaction(bot.runtime.deps.sessions) as session:
        days = dt.timedelta(days=1)
        for user, last in ((recent, now), (silent, now - 10 * days), (quiet, now - 9 * days)):
            row = await users.get_or_create_user(session, "zalo_oa", user, last)
            row.language, row.consent_at, row.commune_code = "vi", last, "21220"
            await session.flush()
            await zalo_oa_contacts.record_interaction(session, row.id, last)
            if user == silent:
                await zalo_oa_contacts.save_phone(session, row.id, "84987654321", last)
        await admin_command(session, "grant", ("zalo_oa", bot.user, "official", "21220"))
    official = bot.user
    await bot.send("start")
    await bot.press("Tiếng Việt")
    await bot.press("Tôi đồng ý")
    await bot.send("thongbao")
    await bot.send("Họp tổ vay vốn lúc 8 giờ sáng thứ bảy tại nhà văn hóa thôn, mang theo sổ vay")
    await press_starting(bot, "Cả địa bàn", official)
    await press_starting(bot, "Mọi người dùng", official)
    confirmed = await press_starting(bot, "📤 Gửi ngay", official)
    assert "Đã xác nhận thông báo số 1" in plain(confirmed)
    for _ in range(4):  # start, send, report (one message a second per chat)
        await bot.runtime.sender.run_once()
        clock.advance(seconds=2)

    assert any("Họp tổ vay vốn" in m.text for m in oa.messages(recent))  # a chat message
    [zns] = oa.zns_sent  # the silent one who gave a phone
    assert zns.phone == "84987654321" and zns.template_id == "250003"
    assert zns.template_data == {
        "khu_vuc": "Xã Sơn Tịnh, Quảng Ngãi",
        "noi_dung": "Họp tổ vay vốn lúc 8 giờ sáng thứ bảy t…",
    }
    assert oa.messages(quiet) == []  # nobody could reach them
    reports = plain(oa.messages(official)[-3:])
    assert "Đã gửi xong thông báo số 1" in reports and "Đã nhận: 2." in reports
    assert "1 người không liên lạc được" in reports
    async with transaction(bot.runtime.deps.sessions) as session:
        await broadcast_status(session, 1, bot.runtime.settings, clock())
    out = capsys.readouterr().out
    assert "broadcast #1: done" in out and "unreachable: 1" in out and "100% done" in out


async def test_an_unexpected_error_during_a_zns_send_is_not_retried(start_bot: Start, clock):
    bot = await start_bot(zalo_zns_template_reminder=REMINDER)
    await subscribe(bot)
    await give_phone(bot)
    reach = bot.runtime.sender.row_transports["zalo_oa"]
    calls = []

    async def broken(*args):  # type: ignore[no-untyped-def]
        calls.append(args)
        raise TimeoutError  # after the request may have left

    reach.send_zns = broken
    clock.now = at(2026, 12, 28, 18, 0)
    _planned, stats = await tick(bot, clock)
    clock.now = at(2026, 12, 28, 20, 0)
    await bot.runtime.sender.run_once()
    assert stats.failed == 1 and len(calls) == 1
    async with transaction(bot.runtime.deps.sessions) as session:
        row = (await session.exec(select(Outbox).where(Outbox.kind == "reminder_eve"))).one()
    assert row.status == "failed" and row.in_doubt

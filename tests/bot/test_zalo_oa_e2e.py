"""End to end on the Zalo Official Account: the real webhook and API client against the
strict fake OA (tests/fakes/zalo_oa_api.py), on SQLite and PostgreSQL.

Every event is POSTed signed by the fake to `POST /zalo-oa/webhook` on a real port, every
reply goes back through `POST /v3.0/oa/message/cs` with the token the bot got from the
fake's OAuth server; the fake refuses what Zalo refuses (texts over 2,000 characters, more
than 5 buttons, long titles, a closed 7-day window). Buttons are pressed the way Zalo does
it for ``oa.query.hide``: the fake sends the button's payload back as the user's text.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import Outcome
from bot.scheduler import remind_and_deliver
from handlers.broadcasts.actions import SwitchAnnouncements
from handlers.core.types import Button, Reply
from handlers.schedules.csv import parse_schedule_csv
from storage import inbox, reports, schedules, users, zalo_oa_contacts
from storage.db import transaction
from tests.bot.zalo_oa_support import OaBot, buttons, migrate, plain
from tests.conftest import FakeClock
from tests.fakes.zalo_oa_api import FakeZaloOA

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN).astimezone(dt.UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(2026, 12, 14, 10, 0))


@pytest.fixture
async def oa(clock) -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA(clock=clock) as fake:  # the same time as the bot's
        yield fake


@pytest.fixture
async def bot(oa, database_url, clock) -> AsyncIterator[OaBot]:
    await migrate(database_url)
    running = OaBot(oa, database_url, clock=clock)
    await running.start()
    yield running
    await running.stop()
    # Every request the bot made was one Zalo takes (an access token that expired while the
    # clock jumped ahead is refused once, then refreshed: that is Zalo's way, not a bug).
    refused = [r for r in oa.rejected if r.code != -216]
    assert refused == [], refused


async def onboard(bot: OaBot, language: str = "Tiếng Việt", user: str | None = None) -> None:
    await bot.send("start", user)
    await bot.press(language, user)
    await bot.press("Tôi đồng ý" if language == "Tiếng Việt" else "I agree", user)


# ---- the dialogs, with buttons ---------------------------------------------------------------


async def test_walk_vi_language_consent_menu_programs_card_calculator(bot: OaBot, oa):
    replies = await bot.send("start")
    assert "Which language" in plain(replies)
    assert buttons(replies) == ["Tiếng Việt", "English"]
    assert all(kind == "oa.query.hide" for m in replies for _, kind, _ in m.buttons)

    replies = await bot.press("Tiếng Việt")
    assert "Bot lưu gì về bạn?" in plain(replies) and "<b>" not in plain(replies)
    replies = await bot.press("Tôi đồng ý")
    menu = buttons(replies)  # seven choices: buttons over two messages
    assert menu[0] == "📋 Các chương trình cho vay" and "⚙️ Cài đặt" in menu
    assert [len(m.buttons) for m in replies if m.buttons] == [4, 3]

    replies = await bot.press("📋 Các chương trình cho vay")  # 13 programs: numbered
    assert "1. Cho vay hộ nghèo" in plain(replies) and "Trả lời bằng số (1–" in plain(replies)
    replies = await bot.send("1")
    assert "6,24%/năm" in plain(replies)
    assert "🧮 Tính thử khoản vay" in buttons(replies)

    await bot.press("🧮 Tính thử khoản vay")
    await bot.send("50 triệu")
    replies = await bot.send("3 năm")
    assert "Tiền lãi tháng đầu: 260.000 đ" in plain(replies)
    replies = await bot.press("📅 Lịch trả nợ")
    assert "Tháng 31–36: lãi 43.333 đ/tháng, trả gốc 8.333.335 đ" in plain(replies)
    replies = await bot.press("🏠 Menu chính")
    assert "📣 Báo cáo sai phạm" in buttons(replies)
    async with transaction(bot.runtime.deps.sessions) as session:
        me = await users.find_user(session, "zalo_oa", bot.user)
        contact = await zalo_oa_contacts.contact(session, me.id)
    assert contact is not None and contact.last_interaction_at == bot.clock()


async def test_walk_en_programs_and_calculator(bot: OaBot):
    await onboard(bot, "English")
    replies = await bot.press("📋 Loan programs")
    assert "1. Loans to poor households" in plain(replies)
    assert "Reply with a number" in plain(replies)
    replies = await bot.send("Loans to poor households")  # a choice by its words
    assert "6.24% a year" in plain(replies)
    await bot.press("🧮 Loan calculator")
    await bot.send("50 million")
    replies = await bot.send("3 years")
    assert "Interest in the first month: 260,000 VND" in plain(replies)
    replies = await bot.press("⚖️ Legal basis")
    assert "2553/QĐ-TTg" in plain(replies)


@pytest.mark.parametrize(
    ("language", "start", "answers", "result"),
    [
        (
            "Tiếng Việt",
            "✅ Tôi có được vay không?",
            ["Hộ nghèo", "Sản xuất, kinh doanh", "Không", "Không", "Không"],
            "Bạn có thể thuộc diện vay",
        ),
        (
            "English",
            "✅ Can I borrow?",
            ["Poor household", "Farming or business", "No", "Neither", "No"],
            "You may qualify",
        ),
    ],
)
async def test_walk_eligibility_by_buttons(bot: OaBot, language, start, answers, result):
    await onboard(bot, language)
    replies = await bot.press(start)
    for answer in answers:
        assert answer in buttons(replies), (answer, buttons(replies))
        replies = await bot.press(answer)
    assert result in plain(replies)
    legal = next(b for b in buttons(replies) if b.startswith("⚖️"))
    replies = await bot.press(legal)
    assert "78/2002/NĐ-CP" in plain(replies)


@pytest.mark.parametrize(
    ("language", "days", "remind", "saved", "off"),
    [
        ("Tiếng Việt", "📅 Ngày giao dịch ở xã", "🔔 Nhắc lịch", "Đã bật nhắc lịch", "🔕"),
        ("English", "📅 Transaction days", "🔔 Remind me", "Reminders are on", "🔕"),
    ],
)
async def test_walk_schedule_subscribe_and_the_reminder_with_its_button(
    bot: OaBot, oa, clock, language, days, remind, saved, off
):
    clock.now = at(2026, 12, 24, 10, 0)  # the reminder is due within the 7-day window
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(bot.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    await onboard(bot, language)
    await bot.press(days)
    replies = await bot.send("muong phang")
    assert "Xã Mường Phăng (Điện Biên)" in plain(replies) and "29" in plain(replies)
    pa_khoang = next(b for b in buttons(replies) if b.startswith(remind) and "Pá Khoang" in b)
    replies = await bot.press(pa_khoang)
    assert saved in plain(replies)

    runtime = bot.runtime

    async def tick() -> tuple[int, int]:
        planned, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
        )
        return planned, stats.sent

    clock.now = at(2026, 12, 28, 18, 0)  # 4 days after the last press: a cs message
    assert await tick() == (1, 1)
    reminder = oa.last_message(bot.user)
    assert "29/12/2026" in reminder.text or "29 Dec 2026" in reminder.text
    switch_off = next(t for t, _, _ in reminder.buttons if t.startswith(off))
    replies = await bot.press(switch_off)  # the reminder's own button
    assert "nhắc lịch" in plain(replies).lower() or "reminders are off" in plain(replies).lower()
    clock.now = at(2026, 12, 28, 18, 1)
    assert await tick() == (0, 0)  # exactly once


async def test_a_notice_in_the_middle_of_a_dialog_leaves_its_buttons_working(bot: OaBot, oa):
    await onboard(bot)
    replies = await bot.press("✅ Tôi có được vay không?")
    assert "Hộ nghèo" in buttons(replies)
    off = SwitchAnnouncements(switch="off").pack()
    notice = Reply("📣 Thông báo của ngân hàng", ((Button("🔕 Tắt thông báo", off),),))
    assert (await bot.channel.deliver(bot.user, [notice])).outcome is Outcome.SENT
    user = bot.user
    [message] = [m for m in oa.messages(user)[-4:] if "Hộ nghèo" in [t for t, _, _ in m.buttons]]
    payload = next(p for t, _, p in message.buttons if t == "Hộ nghèo")
    replies = await bot.push(oa.text_event(user, payload))  # pressed on the earlier message
    assert "Câu 2" in plain(replies)
    await bot.channel.deliver(user, [notice])
    replies = await bot.press("🔕 Tắt thông báo")  # the notice's own button works too
    assert "🏠 Menu chính" in buttons(replies) and "Nút này đã cũ" not in plain(replies)


async def test_walk_report_with_consent_and_a_picture(bot: OaBot, oa):
    from tests.handlers.evidence_samples import jpeg_with_gps

    await onboard(bot)
    replies = await bot.press("📣 Báo cáo sai phạm")
    assert "nguy hiểm" in plain(replies)
    await bot.press("Không")
    replies = await bot.press("Đồng ý, tiếp tục")
    assert len(buttons(replies)) == 10  # ten kinds: two messages of five
    await bot.press("💸 Cho vay lãi nặng")
    await bot.send("son tinh")
    await bot.press("Trong tuần này")
    await bot.send("Một người cho tôi vay 5 triệu, lãi 3 nghìn mỗi ngày, nay đòi 9 triệu.")
    url = oa.serve_image(jpeg_with_gps())
    replies = await bot.push(oa.image_event(bot.user, url))
    assert "Đã nhận 1/5 tệp" in plain(replies)
    oa.expire_image(url)  # its address expires: the bot has the picture already
    await bot.press("Xong")
    summary = plain(await bot.press("Đồng ý, hỏi qua bot"))
    assert "Bằng chứng: 1 tệp" in summary
    sent = plain(await bot.press("✅ Gửi báo cáo"))
    found = re.search(r"Mã tra cứu của bạn: ([A-Z0-9]{8})", sent)
    assert found, sent
    async with transaction(bot.runtime.deps.sessions) as session:
        [report] = await reports.for_export(session)
        assert [f.kind for f in await reports.files_of(session, report.id)] == ["photo"]
    replies = await bot.send(f"tra cuu {found[1]}")  # /tracuu CODE without the slash
    assert found[1] in plain(replies)


async def test_walk_report_in_english_and_a_moderator_on_the_oa_takes_it(bot: OaBot, oa):
    from storage import roles
    from tests.handlers.evidence_samples import jpeg_with_gps

    await onboard(bot, "English")
    await bot.press("📣 Report abuse")
    await bot.press("No")
    await bot.press("I agree, continue")
    await bot.press("💸 Usurious lending")
    await bot.send("son tinh")
    await bot.press("This week")
    await bot.send("A man lent me 5 million at 3 thousand a day and now wants 9 million.")
    replies = await bot.push(oa.image_event(bot.user, oa.serve_image(jpeg_with_gps())))
    assert "Received 1 of 5 files" in plain(replies)
    await bot.press("Done")
    await bot.press("Yes, through the bot")
    replies = await bot.press("✅ Send the report")
    assert "Your tracking code" in plain(replies)

    moderator = oa.new_user()  # a role is granted to zalo_oa:<user id>
    async with transaction(bot.runtime.deps.sessions) as session:
        await roles.grant(session, "zalo_oa", moderator, "moderator", "51", "test")
    await onboard(bot, "English", moderator)
    replies = await bot.send("/xuly", moderator)
    assert "Reports to handle (Quảng Ngãi)" in plain(replies)
    opened = await bot.press("#1 · 💸 Usurious lending", moderator)
    text = plain(opened)
    assert "now wants 9 million" in text and "Reporter: #" in text
    assert "With 1 file" in text and "web console (type /web)" in text
    assert bot.user not in text  # the reporter's account never reaches the moderator
    replies = await bot.press("🙋 Take it", moderator)
    assert "You took report #1. The reporter was told" in plain(replies)
    before = len(oa.messages(bot.user))
    stats = await bot.runtime.sender.run_once()  # the outbox: through OaReach and deliver
    assert stats.sent >= 1
    told = plain(oa.messages(bot.user)[before:])
    assert "being reviewed" in told or "review" in told.lower()


async def test_walk_an_official_announcement_composed_approved_and_received_on_the_oa(
    bot: OaBot, oa, clock
):
    from storage import roles

    await onboard(bot)  # a citizen of Xã Sơn Tịnh (Quảng Ngãi)
    await bot.press("⚙️ Cài đặt")
    await bot.press("🏘 Xã của tôi")
    replies = await bot.send("son tinh")
    assert "Xã Sơn Tịnh (Quảng Ngãi)" in plain(replies)

    official, approver = oa.new_user(), oa.new_user()
    async with transaction(bot.runtime.deps.sessions) as session:
        for who in (official, approver):
            await roles.grant(session, "zalo_oa", who, "official", "51", "test")
    for who in (official, approver):
        await onboard(bot, "English", who)
    await bot.send("/thongbao", official)
    await bot.send("The transaction point moves to the new commune hall from January.", official)
    await bot.press("Whole area: Quảng Ngãi", official)
    replies = await bot.press("👥 Everyone there", official)
    assert "Recipients: 1." in plain(replies)
    replies = await bot.press("🧪 Test copy to me", official)
    assert "citizens get exactly this" in plain(replies)
    await bot.press("↩ Back to the draft", official)
    replies = await bot.press("📤 Submit for approval", official)
    assert "waiting for approval" in plain(replies)

    replies = await bot.send("/thongbao", approver)
    await bot.press("Review no. 1 (Quảng Ngãi)", approver)
    replies = await bot.press("✅ Approve", approver)
    assert "no. 1" in plain(replies)

    clock.now = at(2026, 12, 15, 9, 0)  # the next morning, within the citizen's window
    before = len(oa.messages(bot.user))
    for _ in range(5):  # the sender's ticks: start the broadcast, then send it
        await bot.runtime.sender.run_once()
        if len(oa.messages(bot.user)) > before:
            break
    [notice] = oa.messages(bot.user)[before:]
    assert "commune hall from January" in notice.text
    assert [t for t, _, _ in notice.buttons] == ["🔕 Tắt thông báo"]  # in the citizen's language


async def test_walk_an_admin_grants_a_role_to_an_oa_user_by_buttons(bot: OaBot, oa):
    from storage import roles

    async with transaction(bot.runtime.deps.sessions) as session:
        await roles.grant(session, "zalo_oa", bot.user, "admin", None, "test")
    await onboard(bot)
    replies = await bot.send("/quyen")
    assert f"zalo_oa:{bot.user}: quản trị" in plain(replies)
    await bot.press("➕ Cấp quyền")
    newcomer = oa.new_user()
    await bot.send(f"zalo_oa:{newcomer}")
    await bot.press("người xử lý phản ánh")
    await bot.send("quang ngai")
    await bot.press("Quảng Ngãi (51)")
    replies = await bot.press("✅ Xác nhận")
    assert f"zalo_oa:{newcomer}" in plain(replies)
    async with transaction(bot.runtime.deps.sessions) as session:
        assert await roles.find(session, "zalo_oa", newcomer, "moderator", "51") is not None


async def test_walk_an_official_moves_a_transaction_day_in_english(bot: OaBot, clock):
    from storage import roles

    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(bot.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
        await roles.grant(session, "zalo_oa", bot.user, "official", "51", "test")
    await onboard(bot, "English")
    replies = await bot.send("/lichxa")
    assert "Pick a transaction point" in plain(replies)
    await bot.press("Điểm giao dịch Tịnh Hà (dữ liệu mẫu)")
    await bot.press("📅 Day 10 Jan 2027")
    await bot.press("Move to another date")
    await bot.send("12/01/2027")
    replies = await bot.send("The commune meeting is that day")
    assert "to 12 Jan 2027" in plain(replies)
    replies = await bot.press("✅ Confirm")
    assert "12 Jan 2027" in plain(replies)
    await bot.send("/lichxa")
    replies = await bot.press("Điểm giao dịch Tịnh Hà (dữ liệu mẫu)")
    assert "• 12 Jan 2027 (moved from 10 Jan 2027" in plain(replies)


async def test_walk_cancel_free_text_and_help_in_english(bot: OaBot):
    await onboard(bot, "English")
    replies = await bot.send("/baocao")
    assert buttons(replies)
    replies = await bot.send("huy")  # /huy without the slash, in the middle of a flow
    assert "What do you need?" in plain(replies)
    replies = await bot.send("loans for poor households")
    assert buttons(replies)
    replies = await bot.send("gold price today")
    assert "not sure" in plain(replies).lower() or "understand" in plain(replies).lower()
    replies = await bot.press("🏠 Main menu")
    replies = await bot.press("❓ Help")
    assert "/huy" in plain(replies)


async def test_walk_loan_sharks_settings_language_and_deleting_ones_data(bot: OaBot, oa):
    await onboard(bot, "English")
    replies = await bot.press("⚠️ Beware of loan sharks")
    assert "loan sharks" in plain(replies) and "📣 Report it" in buttons(replies)
    await bot.press("🏠 Main menu")
    replies = await bot.press("⚙️ Settings")
    assert "Language: English" in plain(replies)
    replies = await bot.press("Tiếng Việt")
    assert "Đã đổi sang tiếng Việt" in plain(replies)
    assert "📋 Các chương trình cho vay" in buttons(replies)
    replies = await bot.send("/dulieu")
    assert "Bot đang lưu về bạn" in plain(replies)
    replies = await bot.press("🗑 Xóa dữ liệu của tôi")
    replies = await bot.press(buttons(replies)[0])  # delete for good
    async with transaction(bot.runtime.deps.sessions) as session:
        assert await users.find_user(session, "zalo_oa", bot.user) is None


# ---- the webhook's rules ---------------------------------------------------------------------


async def test_a_wrong_signature_is_refused_before_the_body_is_parsed(bot: OaBot, oa, monkeypatch):
    import bot.webhook as webhook

    parsed: list[bytes] = []
    real = webhook.load_body

    def spy(raw: bytes):  # type: ignore[no-untyped-def]
        parsed.append(raw)
        return real(raw)

    monkeypatch.setattr(webhook, "load_body", spy)
    event = oa.text_event(bot.user, "start")
    raw, headers = oa.signed(event)
    forged = dict(headers, **{"X-ZEvent-Signature": "mac=" + "0" * 64})
    assert await bot.post(raw, forged) == 401
    assert await bot.post(raw.replace(b"start", b"menu!"), headers) == 401  # body changed
    assert await bot.post(b"{not json", forged) == 401  # not even looked at
    unsigned = {"Content-Type": "application/json"}
    assert await bot.post(raw, unsigned) == 401
    assert parsed == [] and oa.messages(bot.user) == []
    # The same event rightly signed, with the timestamp header too, is taken.
    assert await bot.settle(oa.push(event, timestamp_header=True)) == 200
    assert parsed == [raw] and "Which language" in oa.messages(bot.user)[0].text
    stale_header = dict(headers, **{"X-ZEvent-Timestamp": "1"})
    assert await bot.post(raw, stale_header) == 401


async def test_the_probe_echoes_receipts_and_bodies_that_are_not_events(bot: OaBot, oa):
    assert await oa.probe() == 200  # the unsigned {} when the URL is registered
    assert await bot.settle(oa.push(oa.echo_event(bot.user, "Xin chào"))) == 200  # our own, echoed
    seen = oa.text_event(bot.user, "x")
    seen["event_name"] = "user_seen_message"
    assert await bot.settle(oa.push(seen)) == 200
    # Signed by Zalo but not an event we read: taken and ignored (a 4xx would be retried
    # for hours, and Zalo switches off a webhook that keeps failing).
    raw, headers = oa.signed({"timestamp": "5", "no": "event"})
    assert await bot.post(raw, headers) == 200
    strange = oa.follow_event(bot.user)
    strange["follower"] = "not an object"
    raw, headers = oa.signed(strange)
    assert await bot.post(raw, headers) == 200
    assert oa.messages(bot.user) == []


async def test_a_replayed_event_is_handled_once(bot: OaBot, oa):
    event = oa.text_event(bot.user, "start")
    assert await bot.settle(oa.push(event)) == 200
    assert await bot.settle(oa.push(event)) == 200  # Zalo retries when it did not see our 200
    assert len(oa.messages(bot.user)) == 1
    follow = oa.follow_event(bot.user)
    await bot.settle(oa.push(follow))
    await bot.settle(oa.push(follow))  # no msg_id: the same event, sender and time
    assert len(oa.messages(bot.user)) == 2


async def test_a_database_that_does_not_answer_is_503_and_the_event_is_handled_when_sent_again(
    bot: OaBot, oa, caplog, database_url, tmp_path
):
    import dataclasses

    from storage.db import create_engine, session_factory
    from tests.bot.test_webhook_hardening import broken_database_url

    await bot.send("start")
    channel = bot.channel
    working = channel.deps
    engine = create_engine(broken_database_url(database_url, tmp_path))
    try:
        channel.deps = dataclasses.replace(working, sessions=session_factory(engine))
        event = oa.text_event(bot.user, "menu")
        with caplog.at_level(logging.INFO):
            assert await bot.settle(oa.push(event)) == 503  # Zalo sends it again later
        assert len(oa.messages(bot.user)) == 1  # no apology: it was not handled
        assert "database is unreachable" in caplog.text and bot.user not in caplog.text
    finally:
        channel.deps = working
        await engine.dispose()
    assert await bot.settle(oa.push(event)) == 200
    assert await bot.settle(oa.push(event)) == 200
    assert len(oa.messages(bot.user)) == 2  # handled once, when it came again


async def test_a_replayed_picture_is_neither_downloaded_nor_answered_twice(bot: OaBot, oa):
    from tests.handlers.evidence_samples import jpeg_with_gps

    await onboard(bot)
    event = oa.image_event(bot.user, oa.serve_image(jpeg_with_gps()))
    first = await bot.push(event)
    assert first  # outside a report: the dialogs say what a picture is for
    assert await bot.push(event) == []
    assert len(oa.downloads) == 1


async def test_an_old_signed_event_is_not_handled(bot: OaBot, oa, clock):
    event = oa.text_event(bot.user, "start", at=clock() - dt.timedelta(days=3))
    assert await bot.settle(oa.push(event)) == 200
    assert oa.messages(bot.user) == []


async def test_follow_welcomes_and_unfollow_marks_the_person(bot: OaBot, oa, clock):
    replies = await bot.push(oa.follow_event(bot.user))
    assert "Which language" in plain(replies) and buttons(replies) == ["Tiếng Việt", "English"]
    await bot.press("Tiếng Việt")
    await bot.press("Tôi đồng ý")
    assert await bot.settle(oa.push(oa.unfollow_event(bot.user))) == 200
    async with transaction(bot.runtime.deps.sessions) as session:
        me = await users.find_user(session, "zalo_oa", bot.user)
        assert me.blocked
        assert not (await zalo_oa_contacts.contact(session, me.id)).follower
    clock.advance(minutes=5)
    await bot.push(oa.follow_event(bot.user))  # back: the menu, not the language again
    async with transaction(bot.runtime.deps.sessions) as session:
        me = await users.find_user(session, "zalo_oa", bot.user)
        assert not me.blocked
        assert (await zalo_oa_contacts.contact(session, me.id)).follower
    assert "📋 Các chương trình cho vay" in buttons(oa.messages(bot.user)[-2:])


async def test_a_press_not_among_the_choices_shown_is_a_stale_button(bot: OaBot, oa):
    await onboard(bot)
    replies = await bot.send("vbsp:program:poor")  # typed like a payload, never shown
    assert "🏠 Menu chính" in buttons(replies)
    assert "Nút này đã cũ" in plain(replies)


async def test_a_sticker_gets_a_kind_answer_in_both_languages(bot: OaBot, oa):
    sticker = oa.text_event(bot.user, "x")
    sticker["event_name"] = "user_send_sticker"
    replies = await bot.push(sticker)
    assert "Cảm ơn bạn! 😊" in plain(replies) and "Thank you! 😊" in plain(replies)


async def test_the_oa_form_phone_is_kept_only_after_the_consent_button(bot: OaBot, oa):
    from storage import people

    await onboard(bot)
    replies = await bot.push(oa.submit_info_event(bot.user, "0912345678"))
    # The form's phone is asked about before it is kept (bot/zalo_oa_reach.py), masked.
    assert "Bạn đồng ý để ngân hàng lưu số 0912 *** 678" in plain(replies)
    async with transaction(bot.runtime.deps.sessions) as session:
        me = await users.find_user(session, "zalo_oa", bot.user)
        holder = await people.holder(session, me)
        assert await zalo_oa_contacts.phone_of(session, holder.id) is None
    agree = buttons(replies)[0]
    await bot.send("1")  # a typed number is no consent: only the button is
    async with transaction(bot.runtime.deps.sessions) as session:
        assert await zalo_oa_contacts.phone_of(session, holder.id) is None
    replies = await bot.press(agree)
    assert "Đã lưu số" in plain(replies)
    async with transaction(bot.runtime.deps.sessions) as session:
        assert await zalo_oa_contacts.phone_of(session, holder.id) == "84912345678"


async def test_reply_with_many_parts_stays_within_zalo_limits(bot: OaBot, oa):
    await onboard(bot)
    long = "\n\n".join(f"Đoạn {i}: " + "chữ " * 120 for i in range(12)) + " 😀" * 50
    await bot.channel.send_replies(bot.user, [Reply(long)])
    sent = oa.messages(bot.user)
    assert all(len(m.text.encode("utf-16-le")) // 2 <= 2000 for m in sent)


async def test_an_expired_access_token_is_refreshed_once_and_the_reply_goes(bot: OaBot, oa):
    await bot.send("start")
    oa.expire_access_tokens()
    replies = await bot.press("English")
    assert "What does the bot keep about you?" in plain(replies)


# ---- the outbox's transport ------------------------------------------------------------------


async def test_deliver_outcomes_and_a_closed_window(bot: OaBot, oa, clock):
    await onboard(bot)
    deliver = bot.channel.deliver
    assert (await deliver(bot.user, [Reply("a")])).outcome is Outcome.SENT
    oa.fail_next("cs", status=502, raw=b"<html>502 Bad Gateway</html>")
    assert (await deliver(bot.user, [Reply("b")])).outcome is Outcome.TRANSIENT
    oa.fail_next("cs", -32)  # Zalo's rate limit
    assert (await deliver(bot.user, [Reply("b")])).outcome is Outcome.RETRY_AFTER
    oa.rejected.clear()

    clock.advance(days=8)  # silent for 8 days: Zalo answers -230
    result = await deliver(bot.user, [Reply("c")])
    assert result.outcome is Outcome.REJECTED and result.error.startswith("window closed")
    async with transaction(bot.runtime.deps.sessions) as session:
        me = await users.find_user(session, "zalo_oa", bot.user)
        assert (await zalo_oa_contacts.contact(session, me.id)).window_closed_at == clock()
    oa.rejected.clear()

    await bot.send("menu")  # they write again: the window is open
    async with transaction(bot.runtime.deps.sessions) as session:
        assert (await zalo_oa_contacts.contact(session, me.id)).window_closed_at is None
    oa.block(bot.user)
    assert (await deliver(bot.user, [Reply("d")])).outcome is Outcome.BLOCKED
    metrics = bot.runtime.metrics.render().decode()
    for kind in ("server", "rate_limited", "window", "unreachable"):
        assert f'vbsp_send_errors_total{{channel="zalo_oa",kind="{kind}"}} 1.0' in metrics
    oa.rejected.clear()


async def test_a_long_notice_cut_short_by_the_window_keeps_the_rest(bot: OaBot, oa, clock):
    await onboard(bot)
    long = "\n\n".join(f"Đoạn {i}: " + "chữ " * 120 for i in range(6))
    real = bot.channel.api.send_cs
    calls = 0

    async def window_closes_after_the_first_part(user_id, message):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:  # Zalo's own count of the 7 days ends between two parts
            oa.set_last_interaction(bot.user, clock() - dt.timedelta(days=8))
        return await real(user_id, message)

    bot.channel.api.send_cs = window_closes_after_the_first_part
    result = await bot.channel.deliver(bot.user, [Reply(long)])
    assert result.outcome is Outcome.REJECTED and result.rest is not None
    assert result.rest.text.startswith("Đoạn") and "Đoạn 0:" not in result.rest.text
    oa.rejected.clear()


async def test_no_secret_or_token_reaches_the_log(bot: OaBot, oa, caplog):
    caplog.set_level(logging.DEBUG)
    event = oa.text_event(bot.user, "start")
    raw, headers = oa.signed(event)
    forged = dict(headers, **{"X-ZEvent-Signature": "mac=" + "f" * 64})
    assert await bot.post(raw, forged) == 401
    await bot.send("start")
    used = [*oa.access_tokens, *oa.refresh_tokens]
    oa.expire_access_tokens()  # a refresh, logged
    oa.fail_next("cs", -201, "message is invalid")  # a refusal, logged with Zalo's words
    await bot.press("English")
    oa.rejected.clear()
    text = caplog.text
    assert "Zalo OA refused a reply" in text and "wrong signature" in text
    assert "refreshing once" in text
    secrets = [oa.app_secret, oa.oa_secret_key, *used, *oa.access_tokens, *oa.refresh_tokens]
    assert len(set(secrets)) >= 5  # the first access token and the refreshed one among them
    secrets.append(headers["X-ZEvent-Signature"].removeprefix("mac="))
    assert all(s and s not in text for s in secrets)


# ---- answered within Zalo's 2 seconds, and nothing lost ----------------------------------


async def test_a_slow_picture_is_answered_in_time_and_handled_afterwards(bot: OaBot, oa):
    from tests.handlers.evidence_samples import jpeg_with_gps

    await onboard(bot)
    bot.channel.answer_within = 0.05  # the 1.5 s Zalo's 2 s leave, made short for the test
    oa.hold_images = asyncio.Event()  # Zalo's CDN does not answer yet
    sent = len(oa.calls_to("cs"))
    event = oa.image_event(bot.user, oa.serve_image(jpeg_with_gps()))
    assert await oa.push(event) == 200  # answered while the download still waits
    assert len(oa.calls_to("cs")) == sent
    oa.hold_images.set()
    await oa.wait_for_calls("cs", sent + 1)  # the picture was handled after the answer
    assert len(oa.downloads) == 1  # fetched once the CDN answered, and answered
    assert await oa.push(event) == 200  # Zalo's retry of the same event: nothing more
    await bot.channel.idle()
    assert len(oa.calls_to("cs")) == sent + 1 and len(oa.downloads) == 1


async def test_an_event_cut_off_by_a_restart_is_handled_at_the_next_start(oa, database_url, clock):
    from tests.handlers.evidence_samples import jpeg_with_gps

    await migrate(database_url)
    first = OaBot(oa, database_url, clock=clock)
    await first.start()
    user = first.user
    try:
        await onboard(first)
        first.channel.answer_within = 0.05
        first.channel.stop_grace = 0.05  # stopped before the download ends
        oa.hold_images = asyncio.Event()
        sent = len(oa.messages(user))
        assert await oa.push(oa.image_event(user, oa.serve_image(jpeg_with_gps()))) == 200
    finally:
        await first.stop()
    assert len(oa.messages(user)) == sent  # cut off: not answered, but kept
    oa.hold_images.set()
    clock.advance(minutes=3)
    second = OaBot(oa, database_url, clock=clock)
    second.user = user
    await second.start()
    try:
        await oa.wait_for_calls("cs", len(oa.calls_to("cs")) + 1)
        assert len(oa.messages(user)) == sent + 1
        await second.channel.idle()
        async with second.channel.deps.sessions() as session:
            assert await inbox.left(session, "zalo_oa") == []  # done with
    finally:
        await second.stop()

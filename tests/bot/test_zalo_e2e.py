"""End to end on Zalo: the real webhook server and long poller against the fake Bot Platform.

Each walk runs twice per database: through `POST /zalo/webhook` on a real port (the fake
POSTs events with the secret header, as Zalo does) and through `getUpdates` long polling.
Every request the bot makes must be one the fake (which refuses like Zalo) accepts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler import remind_and_deliver
from handlers.schedules.csv import parse_schedule_csv
from storage import people, schedules, users
from storage.db import transaction
from tests.bot.zalo_support import ZaloBot, migrate, plain
from tests.conftest import FakeClock

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN).astimezone(dt.UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(2026, 12, 14, 10, 0))


@pytest.fixture(params=["webhook", "polling"])
async def zbot(request, zapi, database_url, clock) -> AsyncIterator[ZaloBot]:
    await migrate(database_url)
    bot = ZaloBot(zapi, database_url, request.param, clock=clock)
    await bot.start()
    yield bot
    await bot.stop()


@pytest.fixture
async def hook(zapi, database_url, clock) -> AsyncIterator[ZaloBot]:
    """Webhook mode only, for the HTTP rules of /zalo/webhook."""
    await migrate(database_url)
    bot = ZaloBot(zapi, database_url, "webhook", clock=clock)
    await bot.start()
    yield bot
    await bot.stop()


async def onboard(bot: ZaloBot, user: str | None = None) -> None:
    await bot.send("start", user)
    await bot.send("1", user)  # Tiếng Việt
    await bot.send("Tôi đồng ý", user)


async def test_walk_start_language_consent_menu_programs_card(zbot: ZaloBot, zapi):
    replies = await zbot.send("start")  # a command word without its slash
    text = plain(replies)
    assert "Which language" in text
    assert "1. Tiếng Việt\n2. English" in text
    assert "Trả lời bằng số (1–2)" in text  # how to answer, before the language is known

    replies = await zbot.send("1")  # a number picks the choice
    assert "Bot lưu gì về bạn?" in plain(replies)
    assert "<b>" not in plain(replies)  # the HTML subset is shown as plain text

    replies = await zbot.send("tôi đồng ý")  # the words of a choice, in any case
    menu = plain(replies)
    assert "1. 📋 Các chương trình cho vay" in menu and "7. ⚙️ Cài đặt" in menu

    replies = await zbot.send("1")
    assert "11. Cho vay người chấp hành xong án phạt tù" in plain(replies)
    assert "13. 🏠 Menu chính" in plain(replies)

    replies = await zbot.send("Cho vay hộ nghèo")  # a choice by its words
    card = plain(replies)
    assert "6,24%/năm" in card
    assert all(len(m.text.encode("utf-16-le")) // 2 <= 2000 for m in replies)
    assert "📋 Các chương trình khác" in card and "Căn cứ pháp lý" in card

    replies = await zbot.send("Căn cứ pháp lý")  # the legal basis, one choice away
    basis = plain(replies)
    assert "2553/QĐ-TTg" in basis and "kiểm tra ngày 22/11/2026" in basis

    replies = await zbot.send("Menu")  # /menu without the slash
    assert "2. ✅ Tôi có được vay không?" in plain(replies)


async def test_free_text_question(zbot: ZaloBot):
    await onboard(zbot)
    replies = await zbot.send("vay von ho ngheo")
    assert "Xem chi tiết chương trình" in plain(replies)
    replies = await zbot.send("Xem chi tiết chương trình")
    assert "Cho vay hộ nghèo" in plain(replies)
    replies = await zbot.send("giá vàng hôm nay")
    assert "chưa hiểu" in plain(replies).lower() or "không hiểu" in plain(replies).lower()


async def test_eligibility_check_by_words_and_numbers(zbot: ZaloBot):
    await onboard(zbot)
    replies = await zbot.send("dieukien")
    assert "Câu 1" in plain(replies)
    for answer, next_words in (
        ("Hộ nghèo", "Câu 2"),
        ("Sản xuất, kinh doanh", "Câu 3"),
        ("Không", "Câu 4"),
        ("Không", "Câu 5"),
    ):
        replies = await zbot.send(answer)
        assert next_words in plain(replies), answer
    replies = await zbot.send("Không")
    result = plain(replies)
    assert "Bạn có thể thuộc diện vay" in result and "Vay hộ nghèo" in result
    replies = await zbot.send("Căn cứ pháp lý")  # the legal basis, one choice away
    assert "Nghị định 78/2002/NĐ-CP" in plain(replies)
    replies = await zbot.send("Về kết quả")
    assert "Bạn có thể thuộc diện vay" in plain(replies)
    replies = await zbot.send("📄 Hồ sơ: Vay hộ nghèo")
    assert "Giấy đề nghị vay vốn" in plain(replies)
    replies = await zbot.send("Về chương trình")
    assert "6,24%/năm" in plain(replies)


async def test_calculator_result_and_its_parts_by_words(zbot: ZaloBot):
    await onboard(zbot)
    await zbot.send("1")  # programs
    await zbot.send("Cho vay hộ nghèo")
    await zbot.send("Tính thử khoản vay")
    await zbot.send("50 triệu")
    replies = await zbot.send("3 năm")
    result = plain(replies)
    assert "Tiền lãi tháng đầu: 260.000 đ" in result and "Lịch trả nợ" in result
    replies = await zbot.send("Lịch trả nợ")
    assert "Tháng 31–36: lãi 43.333 đ/tháng, trả gốc 8.333.335 đ" in plain(replies)
    replies = await zbot.send("Căn cứ pháp lý")  # the legal basis, one choice away
    assert "2553/QĐ-TTg" in plain(replies)
    replies = await zbot.send("Về kết quả")
    assert "Tổng tiền lãi cả 36 tháng (3 năm): 5.460.000 đ." in plain(replies)


async def test_transaction_days_and_one_reminder(zbot: ZaloBot, zapi, clock):
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(zbot.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    await onboard(zbot)
    replies = await zbot.send("lịch")
    assert "Bạn ở xã, phường nào?" in plain(replies)
    replies = await zbot.send("muong phang")
    text = plain(replies)
    assert "Đã lưu xã của bạn: Xã Mường Phăng (Điện Biên)" in text and "29/12/2026" in text
    number = next(
        line.split(".")[0]
        for line in text.splitlines()
        if "Nhắc lịch: Điểm giao dịch Pá Khoang" in line
    )
    replies = await zbot.send(number)
    assert "Đã bật nhắc lịch" in plain(replies)

    runtime = zbot.runtime

    async def tick() -> tuple[int, int]:
        planned, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
        )
        return planned, stats.sent

    clock.now = at(2026, 12, 28, 18, 0)
    assert await tick() == (1, 1)
    reminder = zapi.last_message(zbot.user).text
    assert "Ngày mai (29/12/2026)" in reminder and "1. 🔕 Tắt nhắc lịch" in reminder
    clock.now = at(2026, 12, 28, 18, 1)
    assert await tick() == (0, 0)  # exactly once
    assert sum("Ngày mai" in m.text for m in zapi.messages(zbot.user)) == 1

    # The reminder's own choice is remembered: "1" switches reminders off.
    replies = await zbot.send("1")
    assert "Đã tắt nhắc lịch" in plain(replies)
    clock.now = at(2026, 12, 29, 6, 30)
    assert await tick() == (0, 0)


async def test_choices_survive_a_restart(zapi, database_url, clock):
    await migrate(database_url)
    bot = ZaloBot(zapi, database_url, "webhook", clock=clock)
    await bot.start()
    await bot.send("/start")
    await bot.stop()
    bot2 = ZaloBot(zapi, database_url, "webhook", clock=clock)
    bot2.user = bot.user
    await bot2.start()
    try:
        replies = await bot2.send("2")  # the language choice shown before the restart
        assert "What does the bot keep about you?" in plain(replies)
    finally:
        await bot2.stop()


async def test_a_number_typed_as_an_amount_is_not_a_choice(hook: ZaloBot):
    await onboard(hook)
    await hook.send("1")  # programs
    await hook.send("Cho vay hộ nghèo")
    replies = await hook.send("Tính thử khoản vay")
    assert "1. ❌" in plain(replies) or "1. " in plain(replies)
    replies = await hook.send("1")  # one đồng: the calculator answers, not "cancel"
    assert "nhỏ quá" in plain(replies) or "chưa hiểu" in plain(replies)
    replies = await hook.send("huy")
    assert "Bạn cần gì?" in plain(replies)


async def test_sticker_voice_and_unsupported_get_kind_answers(zbot: ZaloBot, zapi):
    replies = await zbot.deliver(zapi.sticker_event(zbot.user))
    assert "Cảm ơn bạn! 😊" in plain(replies) and "Thank you! 😊" in plain(replies)
    await zbot.send("1")  # still the language choice: a sticker does not change it
    await zbot.send("Tôi đồng ý")
    replies = await zbot.deliver(zapi.voice_event(zbot.user))
    assert "tin nhắn thoại" in plain(replies) and "Thank you" not in plain(replies)
    replies = await zbot.deliver(zapi.unsupported_event(zbot.user))
    assert "Bot chưa xem được loại tin nhắn này" in plain(replies)


async def test_replayed_message_id_is_answered_once(zbot: ZaloBot, zapi):
    event = zapi.text_event(zbot.user, "start")
    if zbot.mode == "webhook":
        await zbot.deliver(event)
        await zbot.deliver(event)
    else:
        zapi.replays = 1  # the busy queue serves it twice, back to back
        await zbot.deliver(event, events=2)
    assert len(zapi.messages(zbot.user)) == 1


async def test_wrong_or_missing_secret_is_403(hook: ZaloBot, zapi):
    event = zapi.text_event(hook.user, "start")
    assert await zapi.push(event, secret="wrong-secret") == 403
    assert await hook.post(json.dumps(event).encode(), secret=None) == 403
    assert zapi.messages(hook.user) == []


async def test_body_that_is_not_an_event_is_400(hook: ZaloBot, zapi):
    assert await hook.post(b"{not json") == 400
    assert await hook.post(b"\xff\xfe") == 400
    assert await hook.post(b"[1, 2, 3]") == 400
    assert await hook.post(json.dumps({"message": {"text": "no event name"}}).encode()) == 400
    assert await hook.post(json.dumps({"event_name": "message.text.received"}).encode()) == 400
    assert zapi.messages(hook.user) == []


async def test_wrapped_body_probe_and_unknown_events(hook: ZaloBot, zapi):
    replies_status = await zapi.push(zapi.text_event(hook.user, "start"), wrapped=True)
    assert replies_status == 200 and len(zapi.messages(hook.user)) == 1
    assert await hook.post(b"") == 200  # the probe seen when the URL is registered
    assert await hook.post(b"{}") == 200
    unknown = {"event_name": "user.follow", "follower": {"id": hook.user}}
    assert await hook.post(json.dumps(unknown).encode()) == 200
    group = zapi.text_event(hook.user, "start", chat_type="GROUP")
    assert await zapi.push(group) == 200
    assert len(zapi.messages(hook.user)) == 1


async def test_a_reply_is_retried_after_429_and_5xx(hook: ZaloBot, zapi):
    waited: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waited.append(seconds)

    hook.channel.sleep = no_sleep
    zapi.fail_next("sendMessage", 429, retry_after=7)
    zapi.fail_next("sendMessage", 502)
    replies = await hook.send("start")
    assert waited == [7, 2]
    assert "Which language" in plain(replies)
    zapi.rejected.clear()


async def test_user_who_cannot_be_reached_is_marked(hook: ZaloBot, zapi):
    await hook.send("start")
    zapi.block(hook.user)
    await hook.send("1")
    async with transaction(hook.runtime.deps.sessions) as session:
        assert (await users.find_user(session, "zalo", hook.user)).blocked
    zapi.rejected.clear()
    zapi.unblock(hook.user)
    await hook.send("menu")  # writing again means they can be reached
    async with transaction(hook.runtime.deps.sessions) as session:
        assert not (await users.find_user(session, "zalo", hook.user)).blocked


async def test_outbox_outcomes_for_zalo_errors(hook: ZaloBot, zapi):
    from bot.delivery import Outcome
    from handlers.core.types import Reply

    await hook.send("start")
    deliver = hook.channel.deliver
    assert (await deliver(hook.user, [Reply("a")])).outcome is Outcome.SENT
    zapi.fail_next("sendMessage", 429, retry_after=4)
    result = await deliver(hook.user, [Reply("b")])
    assert result.outcome is Outcome.RETRY_AFTER and result.retry_after == 4
    zapi.fail_next("sendMessage", 503)
    assert (await deliver(hook.user, [Reply("c")])).outcome is Outcome.TRANSIENT
    zapi.fail_next("sendMessage", 401, description="Unauthorized")
    assert (await deliver(hook.user, [Reply("d")])).outcome is Outcome.TRANSIENT
    zapi.fail_next("sendMessage", 429, description="Monthly message quota exceeded")
    result = await deliver(hook.user, [Reply("e")])
    assert result.outcome is Outcome.REJECTED and "quota" in result.error
    zapi.block(hook.user)
    assert (await deliver(hook.user, [Reply("f")])).outcome is Outcome.BLOCKED
    metrics = hook.runtime.metrics.render().decode()
    for kind in ("rate_limited", "server", "invalid_token", "quota", "unreachable"):
        assert f'vbsp_send_errors_total{{channel="zalo",kind="{kind}"}} 1.0' in metrics
    zapi.rejected.clear()


async def test_long_replies_are_split_under_2000(hook: ZaloBot, zapi):
    from handlers.core.types import Reply

    await hook.send("start")
    long = "\n\n".join(f"Đoạn {i}: " + "chữ " * 120 for i in range(12)) + " 😀" * 50
    await hook.channel.send_replies(hook.user, [Reply(long)], hook.user)
    sent = zapi.messages(hook.user)[1:]
    assert len(sent) >= 3
    assert all(len(m.text.encode("utf-16-le")) // 2 <= 2000 for m in sent)
    assert sent[0].text.startswith("Đoạn 0:") and sent[1].text.startswith("Đoạn")


async def test_polling_removes_the_webhook_first(zapi, database_url, clock):
    await migrate(database_url)
    zapi.use_webhook("https://example.org/zalo/webhook", "s3cret-token")
    bot = ZaloBot(zapi, database_url, "polling", clock=clock)
    await bot.start()
    try:
        replies = await bot.send("start")
        assert "Which language" in plain(replies)
        assert zapi.webhook_url == ""
        assert zapi.calls_to("deleteWebhook")
    finally:
        await bot.stop()


async def test_dedupe_key_of_hex_message_ids():
    key = users.update_key("zalo:0123456789abcdef0123")
    assert 0 <= key < 2**63
    assert key == users.update_key("zalo:0123456789abcdef0123")
    assert key != users.update_key("zalo:0123456789abcdef0124")


async def test_people_helpers_have_readable_codes():
    code = "ABCD2345"
    assert people.format_code(code) == "ABCD-2345"
    assert people.normalize_code(" abcd-2345 ") == code
    assert people.normalize_code("ABCD-0345") is None  # 0 is not in the alphabet


# --- features of the other releases, on Zalo -------------------------------------------------


async def test_a_report_with_a_photo(zbot: ZaloBot, zapi):
    import io
    import re

    from PIL import Image

    from storage import reports
    from tests.handlers.evidence_samples import jpeg_with_gps

    def gps_of(data: bytes) -> dict:
        return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825))

    await onboard(zbot)
    replies = await zbot.send("baocao")
    assert "nguy hiểm" in plain(replies)
    await zbot.send("Không")
    await zbot.send("Đồng ý, tiếp tục")
    await zbot.send("Cho vay lãi nặng")
    await zbot.send("son tinh")
    await zbot.send("Trong tuần này")
    await zbot.send("Một người cho tôi vay 5 triệu, lãi 3 nghìn mỗi ngày, nay đòi 9 triệu.")
    photo = jpeg_with_gps()
    assert gps_of(photo)
    url = zapi.serve_image(photo)
    replies = await zbot.deliver(zapi.image_event(zbot.user, url))
    assert "Đã nhận 1/5 tệp" in plain(replies)
    zapi.expire_image(url)  # the address expires: the bot has the picture already
    await zbot.send("Xong")
    summary = plain(await zbot.send("Đồng ý, hỏi qua bot"))
    assert "Bằng chứng: 1 tệp" in summary
    sent = plain(await zbot.send("Gửi báo cáo"))
    found = re.search(r"Mã tra cứu của bạn: ([A-Z0-9]{8})", sent)
    assert found, sent

    async with transaction(zbot.runtime.deps.sessions) as session:
        [report] = await reports.for_export(session)
        stored = await reports.files_of(session, report.id)
        reporter = await users.find_user(session, "zalo", zbot.user)
        assert report.reporter_id == reporter.id
    assert [f.kind for f in stored] == ["photo"] and not gps_of(stored[0].data)

    replies = await zbot.send(f"tra cuu {found[1]}")  # /tracuu CODE without the slash
    assert found[1] in plain(replies)


async def test_a_reply_zalo_will_not_take_now_is_queued_not_lost(zbot: ZaloBot, zapi, clock):
    """The event is recorded as handled before the reply goes out: when Zalo answers 502 to
    every attempt, the reply waits in the outbox and the next send delivers it as shown."""
    from storage import outbox

    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    zbot.channel.sleep = no_wait
    await onboard(zbot)
    zapi.fail_next("sendMessage", 502, times=3)
    assert await zbot.send("help") == []
    async with zbot.runtime.deps.sessions() as session:
        assert (await outbox.counts(session, "late:")).get("pending", 0) >= 1
    clock.advance(seconds=2)
    await zbot.runtime.sender.run_once()
    late = [m.text for m in zapi.messages(zbot.user)][-1]
    zapi.rejected.clear()  # the three 502s were ours to inject
    again = await zbot.send("help")
    assert late == again[-1].text and waits == [1, 2]

"""One person, two channels, end to end: Telegram and Zalo both on, against both fakes.

A citizen set up on Telegram (commune, reminders) links their Zalo account with a code
shown on Telegram and typed on Zalo: the commune and the subscription follow, a reminder
reaches the person once (on the channel they chose), and unlinking separates them again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler import remind_and_deliver
from handlers.schedules.csv import parse_schedule_csv
from storage import schedules
from storage.db import transaction
from tests.bot.zalo_support import (
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    ZALO_TOKEN,
    ZaloBot,
    migrate,
    plain,
)
from tests.conftest import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloAPI

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
CHAT = 5550777
CODE = re.compile(r"\b([2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4})\b")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN).astimezone(dt.UTC)


class Telegram:
    """The Telegram side of the same running bot."""

    def __init__(self, bot: ZaloBot, api: FakeTelegramAPI) -> None:
        self.bot, self.api = bot, api

    async def _post(self, update) -> None:  # type: ignore[no-untyped-def]
        import aiohttp

        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.bot.url}/telegram/webhook", json=update, headers=headers) as r,
        ):
            assert r.status == 200

    async def send(self, text: str) -> str:
        before = len(self.api.messages(CHAT))
        await self._post(self.api.make_message(CHAT, text))
        return "\n".join(m.plain_text for m in self.api.messages(CHAT)[before:])

    async def press(self, label: str) -> str:
        for message in reversed(self.api.messages(CHAT)):
            for row in message.buttons:
                for text, data in row:
                    if label.lower() in text.lower():
                        before = len(self.api.messages(CHAT))
                        await self._post(self.api.make_callback(CHAT, data, message.message_id))
                        return "\n".join(m.plain_text for m in self.api.messages(CHAT)[before:])
        raise AssertionError(f"no button {label!r}")


@pytest.fixture
async def both(database_url) -> AsyncIterator[tuple[ZaloBot, Telegram, FakeClock]]:
    await migrate(database_url)
    clock = FakeClock(at(2026, 12, 14, 10, 0))
    async with (
        FakeTelegramAPI(token=TELEGRAM_TOKEN) as tapi,
        FakeZaloAPI(token=ZALO_TOKEN) as zapi,
    ):
        bot = ZaloBot(zapi, database_url, "webhook", clock=clock, telegram=tapi)
        await bot.start()
        rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
        async with transaction(bot.runtime.deps.sessions) as session:
            await schedules.upsert_points(session, [row.to_point() for row in rows])
        try:
            yield bot, Telegram(bot, tapi), clock
        finally:
            await bot.stop()
        assert zapi.rejected == [] and tapi.rejected == []


async def tick(bot: ZaloBot, clock: FakeClock) -> tuple[int, int]:
    runtime = bot.runtime
    planned, stats = await remind_and_deliver(
        runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
    )
    return planned, stats.sent


@pytest.mark.slow
async def test_link_telegram_and_zalo_the_subscription_follows(both):
    zalo, telegram, clock = both
    zapi = zalo.api

    await telegram.send("/start")
    await telegram.press("Tiếng Việt")
    await telegram.press("Tôi đồng ý")
    await telegram.send("/lich")
    await telegram.send("muong phang")
    assert "Đã bật nhắc lịch" in await telegram.press("Nhắc lịch: Điểm giao dịch Pá Khoang")

    await telegram.send("/caidat")
    assert "Liên kết" in await telegram.press("Liên kết Telegram và Zalo")
    shown = await telegram.press("Lấy mã liên kết")
    code = CODE.search(shown)
    assert code is not None, shown

    # A new Zalo user types the code as their very first message.
    replies = await zalo.send(f"lienket {code[1]}")
    assert "Đã liên kết: Telegram, Zalo" in plain(replies)
    replies = await zalo.send("lich")  # the commune and the subscription followed
    text = plain(replies)
    assert "Xã Mường Phăng (Điện Biên)" in text
    assert "🔕 Tắt nhắc: Điểm giao dịch Pá Khoang" in text

    # The reminder reaches the person once, on the channel holding their data (Telegram).
    clock.now = at(2026, 12, 28, 18, 0)
    assert await tick(zalo, clock) == (1, 1)
    assert "Ngày mai (29/12/2026)" in telegram.api.last_message(CHAT).plain_text
    assert not any("Ngày mai" in m.text for m in zapi.messages(zalo.user))

    # From Zalo the person asks for reminders there instead.
    await zalo.send("caidat")
    await zalo.send("Liên kết Telegram và Zalo")
    replies = await zalo.send("Nhận nhắc lịch ở kênh này")
    assert "Từ nay nhắc lịch và thông báo được gửi qua Zalo" in plain(replies)
    clock.now = at(2026, 12, 29, 6, 30)
    assert await tick(zalo, clock) == (1, 1)
    assert "Hôm nay (29/12/2026)" in zapi.last_message(zalo.user).text
    assert not any("Hôm nay" in m.plain_text for m in telegram.api.messages(CHAT))

    # The same code does not work twice; unlinking separates the accounts again.
    assert "không đúng" in await telegram.send(f"/lienket {code[1]}")
    await zalo.send("caidat")
    await zalo.send("Liên kết Telegram và Zalo")
    replies = await zalo.send("Hủy liên kết")
    assert "Đã hủy liên kết" in plain(replies)
    text = await telegram.send("/lich")  # Telegram is on its own again: no commune yet
    assert "Bạn ở xã, phường nào?" in text
    clock.now = at(2027, 1, 28, 18, 0)
    assert await tick(zalo, clock) == (1, 1)  # Zalo kept the person's subscription
    assert "Ngày mai (29/01/2027)" in zapi.last_message(zalo.user).text


@pytest.mark.slow
async def test_a_broadcast_reaches_zalo_and_telegram_users_of_a_commune_exactly_once(both):
    from bot.cli.admin import admin_command
    from storage import users

    zalo, telegram, clock = both
    zapi, tapi = zalo.api, telegram.api
    son_tinh, elsewhere = "21220", "03325"
    official = CHAT
    tg_citizens, zalo_citizens = [5570001, 5570002], [zapi.new_user(), zapi.new_user()]
    zalo_outside = zapi.new_user()
    now = clock()
    async with transaction(zalo.runtime.deps.sessions) as session:
        for chat in tg_citizens:
            tapi.add_chat(chat)
            user = await users.get_or_create_user(session, "telegram", str(chat), now)
            user.language, user.consent_at, user.commune_code = "vi", now, son_tinh
        for user_id, commune in [(u, son_tinh) for u in zalo_citizens] + [
            (zalo_outside, elsewhere)
        ]:
            user = await users.get_or_create_user(session, "zalo", user_id, now)
            user.language, user.consent_at, user.commune_code = "vi", now, commune
        await admin_command(session, "grant", ("telegram", str(official), "official", son_tinh))

    # One more citizen uses both channels, linked: they must hear it once, not twice.
    both_tg = 5570009
    tapi.add_chat(both_tg)
    await zalo.send("start")
    await zalo.send("1")
    await zalo.send("Tôi đồng ý")
    await zalo.send("lich")
    await zalo.send("son tinh")
    await zalo.send("caidat")
    await zalo.send("Liên kết Telegram và Zalo")
    shown = plain(await zalo.send("Lấy mã liên kết"))
    code = CODE.search(shown)[1]
    before = len(tapi.messages(both_tg))
    update = tapi.make_message(both_tg, f"/lienket {code}")
    await telegram._post(update)
    assert "Đã liên kết" in tapi.messages(both_tg)[before:][0].plain_text

    await telegram.send("/start")
    await telegram.press("Tiếng Việt")
    await telegram.press("Tôi đồng ý")
    await telegram.send("/thongbao")
    await telegram.send("Ngày giao dịch tháng 12 đổi sang ngày 20, nhớ mang theo sổ vay.")
    await telegram.press("Cả địa bàn")
    preview = await telegram.press("Mọi người dùng")
    assert "Số người nhận: 5." in preview  # 2 on Telegram, 2 on Zalo, 1 person on both
    assert "Đã xác nhận thông báo" in await telegram.press("Gửi ngay")
    for _ in range(4):
        await zalo.runtime.sender.run_once()
        clock.advance(seconds=2)

    def announcements(messages) -> int:  # type: ignore[no-untyped-def]
        return sum(
            "Thông báo của NHCSXH" in getattr(m, "plain_text", getattr(m, "text", ""))
            for m in messages
        )

    for chat in tg_citizens:
        assert announcements(tapi.messages(chat)) == 1
    for user_id in [*zalo_citizens, zalo.user]:
        assert announcements(zapi.messages(user_id)) == 1
    assert announcements(tapi.messages(both_tg)) == 0  # the linked person heard it on Zalo
    assert announcements(zapi.messages(zalo_outside)) == 0
    stop = zapi.last_message(zalo_citizens[0]).text
    assert "1. 🔕 Tắt thông báo" in stop  # the one-tap opt-out, as a numbered choice
    for _ in range(2):  # later passes send nothing again
        await zalo.runtime.sender.run_once()
        clock.advance(seconds=2)
    assert announcements(zapi.messages(zalo_citizens[0])) == 1


async def test_a_new_zalo_user_links_with_the_offered_choices_and_needs_no_setup(both):
    """/lienket offers "type the code from the other channel" to someone who never wrote
    before: picking it and typing the code links them, with no language question first."""
    zalo, telegram, _ = both
    await telegram.send("/start")
    await telegram.press("English")
    await telegram.press("I agree")
    await telegram.send("/caidat")
    await telegram.press("Link Telegram and Zalo")
    code = CODE.search(await telegram.press("Get a linking code"))
    assert code is not None

    offered = plain(await zalo.send("lienket"))
    assert "Nhập mã từ kênh kia" in offered
    asked = plain(await zalo.send("Nhập mã từ kênh kia"))
    assert "Hãy gõ mã liên kết" in asked
    replies = plain(await zalo.send(code[1]))
    assert "Linked: Telegram, Zalo" in replies  # in the person's language, set on Telegram
    menu = plain(await zalo.send("menu"))
    assert "What do you need?" in menu and "Which language" not in menu

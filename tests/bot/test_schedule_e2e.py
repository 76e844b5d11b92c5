"""Transaction days end to end through the Telegram webhook: find the commune, see the days,
subscribe, get both reminders at the right local times, hear about a moved or cancelled day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler import remind_and_deliver
from handlers.schedules.csv import parse_schedule_csv
from handlers.schedules.reminders import notify_change
from storage import schedules
from storage.db import transaction
from tests.bot.conftest import CHAT, Bot, labels, migrate_like_operators, plain
from tests.conftest import FakeClock

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN).astimezone(dt.UTC)


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock(at(2026, 12, 14, 10, 0))


@pytest.fixture
async def bot(api, database_url, clock):
    await migrate_like_operators(database_url)
    bot = Bot(api, database_url, clock=clock)
    await bot.start()
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(bot.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    yield bot
    await bot.stop()


async def onboard(bot: Bot) -> None:
    await bot.send("/start")
    await bot.press("Tiếng Việt")
    await bot.press("Tôi đồng ý")


async def tick(bot: Bot, clock: FakeClock) -> tuple[int, int]:
    runtime = bot.runtime
    planned, stats = await remind_and_deliver(
        runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
    )
    return planned, stats.sent


async def test_find_commune_without_diacritics_and_see_next_days(bot: Bot):
    await onboard(bot)
    replies = await bot.send("/lich")
    assert "Bạn ở xã, phường nào?" in plain(replies)
    replies = await bot.send("muong phang")
    text = plain(replies)
    assert "Đã lưu xã của bạn: Xã Mường Phăng (Điện Biên)" in text
    assert "Điểm giao dịch Pá Khoang (dữ liệu mẫu)" in text
    assert "29/12/2026" in text and "29/01/2027" in text  # this month and next
    assert "05/01/2027" in text  # Mường Phăng's day 5 of December has passed
    assert "13:30–16:30" in text
    assert any("Nhắc lịch: Điểm giao dịch Pá Khoang" in label for label in labels(replies))


async def test_find_commune_by_a_former_communes_point_name(bot: Bot):
    await onboard(bot)
    await bot.send("/lich")
    replies = await bot.send("Tinh Ha")
    assert "Xã Sơn Tịnh (Quảng Ngãi)" in plain(replies)
    assert "Tịnh Hà" in plain(replies)


async def test_homonyms_are_offered_as_buttons(bot: Bot):
    await onboard(bot)
    await bot.send("/caidat")
    await bot.press("Xã của tôi")
    replies = await bot.send("tan an")
    assert "Có nhiều nơi trùng tên" in plain(replies)
    assert {"Xã Tân An (Tuyên Quang)", "Phường Tân An (Bắc Ninh)"} <= set(labels(replies))
    replies = await bot.press("Phường Tân An (Bắc Ninh)")
    assert "Bot chưa có lịch giao dịch của Phường Tân An (Bắc Ninh)" in plain(replies)


async def test_unknown_commune_gets_a_kind_answer_and_stays_in_the_step(bot: Bot):
    await onboard(bot)
    await bot.send("/lich")
    replies = await bot.send("zzzz qqqq")
    assert "Không tìm thấy" in plain(replies)
    replies = await bot.send("son tinh")
    assert "Xã Sơn Tịnh (Quảng Ngãi)" in plain(replies)


async def test_a_question_typed_where_a_commune_is_awaited_is_answered(bot: Bot):
    await onboard(bot)
    await bot.send("/lich")
    replies = await bot.send("lai suat ho ngheo")
    assert "Không tìm thấy" not in plain(replies) and "6,24%" in plain(replies)


@pytest.mark.slow
async def test_subscribe_then_both_reminders_then_a_moved_day(bot: Bot, api, clock):
    await onboard(bot)
    await bot.send("/lich")
    await bot.send("muong phang")
    replies = await bot.press("Nhắc lịch: Điểm giao dịch Pá Khoang")
    assert "Đã bật nhắc lịch" in plain(replies)

    clock.now = at(2026, 12, 28, 17, 59)
    assert await tick(bot, clock) == (0, 0)
    clock.now = at(2026, 12, 28, 18, 0)
    assert await tick(bot, clock) == (1, 1)
    assert "Ngày mai (29/12/2026)" in api.last_message(CHAT).plain_text
    clock.now = at(2026, 12, 28, 18, 1)
    assert await tick(bot, clock) == (0, 0)  # nothing twice
    clock.now = at(2026, 12, 29, 6, 30)
    assert await tick(bot, clock) == (1, 1)
    assert "Hôm nay (29/12/2026)" in api.last_message(CHAT).plain_text

    # The next day is moved after its evening reminder went out: subscribers are told.
    clock.now = at(2027, 1, 28, 18, 0)
    assert await tick(bot, clock) == (1, 1)
    async with transaction(bot.runtime.deps.sessions) as session:
        point = await schedules.get_point(session, "SAMPLE-03325-PAKHOANG")
        await schedules.set_exception(
            session, point.id, dt.date(2027, 1, 29), dt.date(2027, 2, 1), "Trùng lịch họp"
        )
        notified = await notify_change(
            session, bot.runtime.content, point, dt.date(2027, 1, 29), dt.date(2027, 1, 29),
            dt.date(2027, 2, 1), "Trùng lịch họp", clock(),
        )  # fmt: skip
    assert notified == 1
    assert await tick(bot, clock) == (0, 1)
    assert "chuyển sang ngày 01/02/2027" in api.last_message(CHAT).plain_text
    clock.now = at(2027, 1, 29, 7, 0)
    assert await tick(bot, clock) == (0, 0)  # no "today" on the old date
    clock.now = at(2027, 1, 31, 18, 0)
    assert await tick(bot, clock) == (1, 1)
    assert "Ngày mai (01/02/2027)" in api.last_message(CHAT).plain_text


async def change(bot: Bot, clock, moved_to: dt.date | None, reason: str) -> int:
    """What /lichxa and `schedule exception` do: note where the day stood, change it,
    tell whoever was told of it."""
    async with transaction(bot.runtime.deps.sessions) as session:
        point = await schedules.get_point(session, "SAMPLE-03325-PAKHOANG")
        regular = dt.date(2027, 1, 29)
        was = await schedules.effective_date(session, point.id, regular)
        if moved_to == regular:
            await schedules.delete_exception(session, point.id, regular)
        else:
            await schedules.set_exception(session, point.id, regular, moved_to, reason)
        return await notify_change(
            session, bot.runtime.content, point, regular, was, moved_to, reason, clock()
        )


@pytest.mark.slow
async def test_a_day_moved_then_changed_again_is_told_each_time(bot: Bot, api, clock):
    """People reminded of (or told of) the date a day stands on hear of every later change:
    moved again, cancelled, and back to its usual date."""
    await onboard(bot)
    await bot.send("/lich")
    await bot.send("muong phang")
    await bot.press("Nhắc lịch: Điểm giao dịch Pá Khoang")
    clock.now = at(2027, 1, 20, 9, 0)
    assert await change(bot, clock, dt.date(2027, 2, 1), "Trùng lịch họp") == 0  # none told yet
    clock.now = at(2027, 1, 31, 18, 0)
    assert await tick(bot, clock) == (1, 1)  # reminded of 01/02, the moved date
    clock.now = at(2027, 1, 31, 20, 0)
    assert await change(bot, clock, dt.date(2027, 2, 3), "Mất điện") == 1
    assert await tick(bot, clock) == (0, 1)
    assert "ngày 01/02/2027" in api.last_message(CHAT).plain_text
    assert "chuyển sang ngày 03/02/2027" in api.last_message(CHAT).plain_text
    assert await change(bot, clock, None, "Bão số 1") == 1  # told of 03/02: told again
    assert await tick(bot, clock) == (0, 1)
    assert "không diễn ra" in api.last_message(CHAT).plain_text
    assert await change(bot, clock, None, "Bão số 1") == 0  # nothing changed: nothing said
    assert await change(bot, clock, dt.date(2027, 1, 29), "") == 1  # back to the usual day
    assert await tick(bot, clock) == (0, 1)
    assert "trở lại như cũ" in api.last_message(CHAT).plain_text


async def test_cancelled_day_is_shown_and_not_reminded(bot: Bot, api, clock):
    await onboard(bot)
    await bot.send("/lich")
    await bot.send("muong phang")
    await bot.press("Nhắc lịch: Điểm giao dịch Pá Khoang")
    async with transaction(bot.runtime.deps.sessions) as session:
        await schedules.set_exception(
            session, "SAMPLE-03325-PAKHOANG", dt.date(2026, 12, 29), None, "Bão số 9"
        )
    replies = await bot.send("/lich")
    assert "hủy: Bão số 9" in plain(replies)
    clock.now = at(2026, 12, 28, 18, 0)
    assert await tick(bot, clock) == (0, 0)


async def test_one_tap_unsubscribe_from_a_reminder(bot: Bot, api, clock):
    await onboard(bot)
    await bot.send("/lich")
    await bot.send("muong phang")
    await bot.press("Nhắc lịch: Điểm giao dịch Pá Khoang")
    clock.now = at(2026, 12, 28, 18, 0)
    await tick(bot, clock)
    replies = await bot.press("Tắt nhắc lịch")
    assert "Đã tắt nhắc lịch" in plain(replies)
    clock.now = at(2026, 12, 29, 6, 30)
    assert await tick(bot, clock) == (0, 0)


async def test_reminders_need_consent(bot: Bot):
    await bot.send("/start")
    await bot.press("Tiếng Việt")
    await bot.press("Không đồng ý")
    await bot.send("/lich")
    replies = await bot.send("muong phang")
    assert "không lưu xã của bạn" in plain(replies)
    replies = await bot.press("Nhắc lịch: Điểm giao dịch Pá Khoang")
    assert "bot cần lưu" in plain(replies)

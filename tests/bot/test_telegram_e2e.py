"""End to end on Telegram: the real webhook server and Bot API client against a fake Bot API.

Each test starts the same app `vbsp-bot serve` runs, on a real port, against the loopback
fake in tests/fakes, and posts updates to it as Telegram would. Every request the bot makes
must be one the fake (which checks like the real server) accepts.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import running
from bot.config import load_settings
from storage import users
from storage.db import transaction
from tests.bot.conftest import CHAT, TOKEN, Bot, labels, migrate_like_operators, plain
from tests.fakes.telegram_api import FakeTelegramAPI


async def test_walk_start_language_consent_menu_programs_card_back(bot: Bot, api):
    replies = await bot.send("/start")
    assert "Which language" in plain(replies)
    assert labels(replies) == ["Tiếng Việt", "English"]

    replies = await bot.press("Tiếng Việt")
    assert "Bot lưu gì về bạn?" in plain(replies)
    assert api.calls_to("answerCallbackQuery"), "the button's spinner must be stopped"

    replies = await bot.press("Tôi đồng ý")
    assert "Các chương trình cho vay" in " ".join(labels(replies))

    replies = await bot.press("Các chương trình cho vay")
    assert len(labels(replies)) == 13  # eleven programs, the calculator and the menu

    replies = await bot.press("hộ nghèo")
    card = plain(replies)
    assert "6,24%/năm" in card and len(replies) == 1  # one short message, parts behind buttons

    replies = await bot.press("Căn cứ pháp lý")
    basis = plain(replies)
    assert "2553/QĐ-TTg" in basis and "kiểm tra ngày 22/11/2026" in basis

    await bot.press("Về chương trình")
    replies = await bot.press("Các chương trình khác")
    assert len(labels(replies)) == 13


@pytest.mark.parametrize("question", ["vay von ho ngheo", "Vay vốn hộ nghèo thế nào?"])
async def test_free_text_with_and_without_diacritics(bot: Bot, question: str):
    await bot.send("/start")
    await bot.press("Tiếng Việt")
    await bot.press("Tôi đồng ý")
    replies = await bot.send(question)
    assert any("Xem chi tiết chương trình" in label for label in labels(replies))
    replies = await bot.press("Xem chi tiết chương trình")
    assert "Cho vay hộ nghèo" in plain(replies)


async def test_unknown_question_gets_the_fallback(bot: Bot):
    await bot.send("/start")
    await bot.press("English")
    await bot.press("I agree")
    replies = await bot.send("giá vàng hôm nay")
    assert "did not understand" in plain(replies)
    assert "🏠 Main menu" in labels(replies)


async def test_wrong_or_missing_secret_is_refused(bot: Bot, api):
    update = api.make_message(CHAT, "/start")
    assert await bot.post(update, secret="wrong") == 403
    assert await bot.post(update, secret=None) == 403
    assert api.messages(CHAT) == []


async def test_body_that_is_not_an_update_is_refused(bot: Bot, api):
    assert await bot.post(None, raw=b"{not json") == 400
    assert await bot.post(None, raw=b"\xff\xfe") == 400
    assert await bot.post([1, 2, 3]) == 400
    assert await bot.post({"message": {"text": "no update id"}}) == 400
    for odd in (True, "7", -1, 1.5):
        assert await bot.post({"update_id": odd, "message": {"text": "hi"}}) == 400, odd
    assert api.messages(CHAT) == []


async def test_repeated_update_is_answered_once(bot: Bot, api):
    update = api.make_message(CHAT, "/start")
    assert await bot.post(update) == 200
    assert await bot.post(update) == 200
    assert len(api.messages(CHAT)) == 1


async def test_language_and_flow_survive_a_restart(bot: Bot, api):
    await bot.send("/start")
    await bot.press("English")  # now waiting for consent
    await bot.stop()
    await bot.start()
    replies = await bot.press("I agree")
    assert "Thank you" in plain(replies)
    replies = await bot.send("/chuongtrinh")
    assert "VBSP loan programs" in plain(replies)


async def test_user_who_blocked_the_bot_is_marked(bot: Bot, api):
    await bot.send("/start")
    api.block(CHAT)
    assert await bot.post(api.make_message(CHAT, "/menu")) == 200
    async with transaction(bot.runtime.deps.sessions) as session:
        assert (await users.find_user(session, "telegram", str(CHAT))).blocked
    api.rejected.clear()  # the 403 was the point of this test
    api.unblock(CHAT)
    assert await bot.post(api.make_my_chat_member(CHAT, "member")) == 200
    async with transaction(bot.runtime.deps.sessions) as session:
        assert not (await users.find_user(session, "telegram", str(CHAT))).blocked


async def test_rate_limited_reply_waits_retry_after_and_is_sent(bot: Bot, api):
    waited: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waited.append(seconds)

    bot.runtime.telegram.sleep = no_sleep
    api.fail_next("sendMessage", 429, retry_after=7)
    replies = await bot.send("/start")
    assert waited == [7.0]
    assert "Which language" in plain(replies)
    api.rejected.clear()


async def test_health_and_metrics(bot: Bot):
    async with bot.http.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "db": "ok"}
    await bot.send("/start")
    async with bot.http.get(f"{bot.url}/metrics") as response:
        text = await response.text()
    assert 'vbsp_updates_handled_total{channel="telegram"} 1.0' in text
    assert 'vbsp_replies_sent_total{channel="telegram"} 1.0' in text
    assert "vbsp_handler_seconds_bucket" in text
    assert 'vbsp_queue_depth{channel="telegram",state="due"} 0.0' in text


async def test_metrics_show_the_queue_of_every_process(bot: Bot):
    """The queue depth is read from the database at each scrape: rows another replica
    queued count too, by when they are due."""
    from storage import outbox
    from storage.db import transaction

    now = bot.runtime.deps.clock()
    async with transaction(bot.runtime.deps.sessions) as session:
        for n in range(3):
            await outbox.enqueue_one(session, f"t:due:{n}", "telegram", str(n), "notice", {}, now)
        later = now + dt.timedelta(hours=12)
        await outbox.enqueue_one(session, "t:later", "telegram", "9", "reminder", {}, later)
        await outbox.enqueue_one(session, "t:zalo", "zalo", "z1", "notice", {}, now)
    async with bot.http.get(f"{bot.url}/metrics") as response:
        text = await response.text()
    assert 'vbsp_queue_depth{channel="telegram",state="due"} 3.0' in text
    assert 'vbsp_queue_depth{channel="telegram",state="later"} 1.0' in text
    assert 'vbsp_queue_depth{channel="telegram",state="sending"} 0.0' in text
    assert 'vbsp_queue_depth{channel="zalo",state="due"} 1.0' in text


async def test_long_polling_answers_queued_updates(api: FakeTelegramAPI, database_url: str):
    await migrate_like_operators(database_url)
    settings = load_settings(
        database_url=database_url, telegram_bot_token=TOKEN, telegram_api_base_url=api.root
    )
    api.make_message(CHAT, "/start", enqueue=True)
    async with running(settings, telegram="polling"):
        await api.wait_for_calls("sendMessage", 1)
        api.make_callback(CHAT, "lang:en", enqueue=True)
        for sent in range(2, 6):  # the welcome, then the consent question
            await api.wait_for_calls("sendMessage", sent)
            if "Do you agree" in api.last_message(CHAT).plain_text:
                break
    assert "Do you agree" in api.last_message(CHAT).plain_text
    assert not api.pending_updates  # confirmed on the way out
    # Stopping abandons the pending long poll; Telegram answers it 409 to nobody, as here.
    api.rejected[:] = [
        r for r in api.rejected if "terminated by other getUpdates" not in r.description
    ]


async def test_repeated_button_press_is_answered_once(bot: Bot, api):
    await bot.send("/start")
    update = api.make_callback(CHAT, "lang:vi")
    assert await bot.post(update) == 200
    assert await bot.post(update) == 200  # Telegram retried; the query was already answered
    assert len(api.calls_to("answerCallbackQuery")) == 1
    assert sum("Bot lưu gì về bạn?" in m.plain_text for m in api.messages(CHAT)) == 1


@pytest.mark.slow
async def test_a_reply_telegram_will_not_take_now_is_queued_not_lost(bot: Bot, api):
    """The update is recorded as handled before the reply goes out; when Telegram answers
    429 to every attempt, the reply goes to the outbox and the webhook still answers 200
    (a 500 would make Telegram redeliver an update the bot would then skip)."""
    from storage import outbox

    await bot.send("/start")
    before = len(api.messages(CHAT))
    api.fail_next("sendMessage", 429, retry_after=1, times=3)
    assert await bot.post(api.make_message(CHAT, "/help")) == 200
    assert len(api.messages(CHAT)) == before  # nothing got through yet
    async with bot.runtime.deps.sessions() as session:
        assert (await outbox.counts(session, f"late:{CHAT}:")).get("pending") == 1
    await bot.runtime.sender.run_once()
    late = api.messages(CHAT)[before:]
    api.rejected[:] = [r for r in api.rejected if r.error_code != 429]
    again = await bot.send("/help")  # what /help says when Telegram takes it at once
    assert [m.plain_text for m in late] == [m.plain_text for m in again]

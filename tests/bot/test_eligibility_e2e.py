"""End to end on Telegram: the eligibility self-check (/dieukien) through the real webhook.

The answers ride in the buttons' callback data, so every press below must reach the bot
intact through the fake Bot API (which refuses callback data Telegram would refuse), and
typed text or a stale button in the middle must leave the user a way on.
"""

from __future__ import annotations

from tests.bot.conftest import CHAT, Bot, labels, plain
from tests.fakes.telegram_api import FakeTelegramAPI, SentMessage

STALE = "Nút này đã cũ"


async def onboard(bot: Bot, language: str = "Tiếng Việt", agree: str = "Tôi đồng ý") -> None:
    await bot.send("/start")
    await bot.press(language)
    await bot.press(agree)


def newest_with(api: FakeTelegramAPI, words: str) -> SentMessage:
    """The newest bot message whose text contains ``words``."""
    return next(m for m in reversed(api.messages(CHAT)) if words in m.plain_text)


async def press_on(bot: Bot, api: FakeTelegramAPI, message: SentMessage, label: str):
    """Tap ``label`` on an older ``message``, as a user scrolling up would."""
    data = next(d for row in message.buttons for text, d in row if text == label)
    before = len(api.messages(CHAT))
    assert await bot.post(api.make_callback(CHAT, data, message.message_id)) == 200
    return api.messages(CHAT)[before:]


async def test_whole_questionnaire_to_a_program_card(bot: Bot, api):
    await onboard(bot)
    replies = await bot.press("Tôi có được vay không?")
    assert "không lưu" in plain(replies) and "Câu 1" in plain(replies)
    assert {"⏭ Bỏ qua", "🔄 Làm lại từ đầu", "🏠 Menu chính"} <= set(labels(replies))

    for label, next_words in (
        ("Hộ nghèo", "Câu 2"),
        ("Sản xuất, kinh doanh", "Câu 3"),
        ("Không", "Câu 4"),
        ("Không", "Câu 5"),
    ):
        replies = await bot.press(label)
        assert next_words in plain(replies), label
    replies = await bot.press("Không")

    assert len(replies) == 1  # one short message, the rest behind buttons
    result = plain(replies)
    assert "Bạn có thể thuộc diện vay" in result and "Vay hộ nghèo" in result
    assert "tổ trưởng tổ vay vốn" in result and "chưa phải kết quả xét duyệt" in result
    assert labels(replies) == [
        "📄 Hồ sơ: Vay hộ nghèo",
        "⚖️ Căn cứ pháp lý",
        "🔄 Làm lại từ đầu",
        "🏠 Menu chính",
    ]

    replies = await bot.press("⚖️ Căn cứ pháp lý")
    assert "bình xét" in plain(replies) and "Nghị định 78/2002/NĐ-CP" in plain(replies)
    replies = await bot.press("Về kết quả")
    assert plain(replies) == result
    replies = await bot.press("📄 Hồ sơ: Vay hộ nghèo")
    assert "Giấy đề nghị vay vốn" in plain(replies)
    replies = await bot.press("Về chương trình")
    assert "6,24%/năm" in plain(replies)
    assert api.calls_to("answerCallbackQuery"), "every button's spinner is stopped"


async def test_command_and_english(bot: Bot):
    await onboard(bot, "English", "I agree")
    replies = await bot.send("/dieukien")
    assert "Question 1" in plain(replies) and "⏭ Skip" in labels(replies)
    await bot.press("Average living standard")
    await bot.press("Work abroad under contract")
    replies = await bot.press("No")
    assert "You may qualify for" in plain(replies)
    assert "📄 Documents: Work abroad" in labels(replies)
    replies = await bot.press("Legal basis")
    assert "Employment Law 74/2025/QH15" in plain(replies)
    replies = await bot.press("Back to the result")
    replies = await bot.press("📄 Documents: Work abroad")
    assert "documents needed" in plain(replies)
    replies = await bot.press("Who can borrow")
    assert "Loans for workers going abroad under contract" in plain(replies)


async def test_bad_input_at_every_step(bot: Bot, api):
    await onboard(bot)
    await bot.send("/dieukien")
    answers = ("Hộ cận nghèo", "Sản xuất, kinh doanh", "Có", "Không", "Không")
    for number, label in enumerate(answers, start=1):
        question = newest_with(api, f"Câu {number}")

        # Typed text is an ordinary question; the questionnaire's buttons stay usable.
        replies = await bot.send("vay von ho ngheo")
        assert replies and "Câu" not in plain(replies)
        assert "🏠 Menu chính" in labels(replies)

        # A forged or stale code gets the "out of date" reply and the menu.
        for data in ("el:zz", "el:s", f"el:{'s-' * 10}"):
            update = api.make_callback(CHAT, data, question.message_id)
            assert await bot.post(update) == 200
            assert STALE in api.last_message(CHAT).plain_text
            assert labels([api.last_message(CHAT)]) == ["🏠 Menu chính"]

        # Skip and come back: the older message's answer still carries everything.
        if number < len(answers):
            replies = await press_on(bot, api, question, "⏭ Bỏ qua")
            assert f"Câu {number + 1}" in plain(replies)
        replies = await press_on(bot, api, question, label)
        assert plain(replies)

    result = plain(api.messages(CHAT)[-1:])
    assert "Vay hộ cận nghèo" in result and "Vay học sinh, sinh viên" in result


async def test_restart_and_leaving_midway(bot: Bot, api):
    await onboard(bot)
    await bot.send("/dieukien")
    await bot.press("Hộ nghèo")
    replies = await bot.press("Làm lại từ đầu")
    assert "Câu 1" in plain(replies)

    await bot.press("Hộ nghèo")
    replies = await bot.send("/huy")
    assert "Các chương trình cho vay" in " ".join(labels(replies))
    replies = await bot.send("/menu")
    assert "Tôi có được vay không?" in " ".join(labels(replies))
    # Nothing was kept, yet the question above still works.
    replies = await press_on(bot, api, newest_with(api, "Câu 2"), "Nước sạch, nhà vệ sinh")
    assert "Câu 3" in plain(replies)

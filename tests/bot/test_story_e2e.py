"""A victim's story typed as free text, end to end through the Telegram webhook and through
Zalo: the safety step, "Báo cáo việc này", and a report whose category and description came
from the story, with consent asked once; a misconduct story the same way."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from storage import reports
from storage.db import transaction
from tests.bot.conftest import CHAT, Bot, labels, plain
from tests.bot.zalo_support import ZaloBot, migrate
from tests.bot.zalo_support import plain as zplain

THREAT = (
    "Tụi nó gọi cho cả họ hàng tôi, đăng ảnh tôi lên mạng nói tôi quỵt nợ, còn dọa đến nhà "
    "đánh tôi, giờ tôi phải làm sao?"
)
LEADER = (
    "Mấy năm nay nhà tôi gửi tiền lãi cho chị tổ trưởng, tuần rồi ngân hàng gửi giấy báo nhà "
    "tôi vẫn còn nợ lãi cả năm, chị ấy giữ luôn sổ vay của tôi"
)
CONSENT = "Bot sẽ lưu báo cáo của bạn"


async def say(bot: Bot, text: str):
    before = len(bot.api.messages(CHAT))
    assert await bot.post(bot.api.make_message(CHAT, text)) == 200
    return bot.api.messages(CHAT)[before:]


async def only_report(sessions):
    async with transaction(sessions) as session:
        [report] = await reports.for_export(session)
        return report


async def test_a_threat_story_becomes_a_report_on_telegram(bot: Bot):
    await say(bot, "/start")
    await bot.press("Tiếng Việt")
    await bot.press("Tôi đồng ý")
    shown = await say(bot, THREAT)
    text = plain(shown)
    assert text.index("nghiêm trọng") < text.index("gọi ngay 113") < text.index("Ghi âm")
    assert "Báo cáo việc này" in " ".join(labels(shown))
    asked = plain(await bot.press("Báo cáo việc này"))
    assert "nguy hiểm" in asked
    consent = plain(await bot.press("Không"))
    assert CONSENT in consent and "lời kể bạn vừa gửi" in consent
    after_consent = plain(await bot.press("Đồng ý, tiếp tục"))
    assert "Bạn muốn báo việc gì?" not in after_consent and "xã, phường nào" in after_consent
    await say(bot, "son tinh")
    filled = plain(await bot.press("Trong tuần này"))
    assert "Bot đã điền lời kể" in filled
    await bot.press("Bỏ qua")
    summary = plain(await bot.press("Không, đừng hỏi"))
    assert "Đòi nợ đe dọa" in summary and "quỵt nợ" in summary
    sent = plain(await bot.press("Gửi báo cáo"))
    assert re.search(r"Mã tra cứu của bạn: ([A-Z0-9]{8})", sent), sent
    everything = plain(bot.api.messages(CHAT))
    assert everything.count(CONSENT) == 1  # consent asked once
    report = await only_report(bot.runtime.deps.sessions)
    assert (report.category, report.description) == ("threats", THREAT)


async def test_a_misconduct_story_becomes_a_report_on_telegram(bot: Bot):
    await say(bot, "/start")
    await bot.press("Tiếng Việt")
    await bot.press("Tôi đồng ý")
    shown = plain(await say(bot, LEADER))
    assert "sai phạm" in shown and "gọi ngay 113" not in shown
    await bot.press("Báo cáo việc này")
    await bot.press("Không")
    assert "Người làm việc này là ai" in plain(await bot.press("Đồng ý, tiếp tục"))
    await bot.press("Tổ trưởng tổ tiết kiệm")
    await say(bot, "son tinh")
    await bot.press("Trong tuần này")
    await bot.press("Bỏ qua")
    await bot.press("Không, đừng hỏi")
    await bot.press("Gửi báo cáo")
    report = await only_report(bot.runtime.deps.sessions)
    assert (report.category, report.accused) == ("keeps_repayment", "leader")
    assert report.description == LEADER and report.escalated


# --- Zalo ------------------------------------------------------------------------------------


@pytest.fixture
async def zbot(zapi, database_url) -> AsyncIterator[ZaloBot]:
    await migrate(database_url)
    bot = ZaloBot(zapi, database_url, "webhook")
    await bot.start()
    yield bot
    await bot.stop()


async def test_a_threat_story_becomes_a_report_on_zalo(zbot: ZaloBot):
    await zbot.send("start")
    await zbot.send("1")  # Tiếng Việt
    await zbot.send("Tôi đồng ý")
    text = zplain(await zbot.send(THREAT))
    assert text.index("nghiêm trọng") < text.index("gọi ngay 113") < text.index("Ghi âm")
    assert "Báo cáo việc này" in text  # a numbered choice
    assert "nguy hiểm" in zplain(await zbot.send("Báo cáo việc này"))
    consent = zplain(await zbot.send("Không"))
    assert CONSENT in consent and "lời kể bạn vừa gửi" in consent
    await zbot.send("Đồng ý, tiếp tục")
    await zbot.send("son tinh")
    assert "Bot đã điền lời kể" in zplain(await zbot.send("Trong tuần này"))
    await zbot.send("Bỏ qua")
    await zbot.send("Không, đừng hỏi tôi")
    sent = zplain(await zbot.send("Gửi báo cáo"))
    assert re.search(r"Mã tra cứu của bạn: ([A-Z0-9]{8})", sent), sent
    assert zplain(zbot.api.messages(zbot.user)).count(CONSENT) == 1
    report = await only_report(zbot.runtime.deps.sessions)
    assert (report.category, report.description) == ("threats", THREAT)


async def test_a_misconduct_story_becomes_a_report_on_zalo(zbot: ZaloBot):
    await zbot.send("start")
    await zbot.send("1")  # Tiếng Việt
    await zbot.send("Tôi đồng ý")
    text = zplain(await zbot.send(LEADER))
    assert "sai phạm" in text and "gọi ngay 113" not in text and "Báo cáo việc này" in text
    await zbot.send("Báo cáo việc này")
    await zbot.send("Không")
    assert "Người làm việc này là ai" in zplain(await zbot.send("Đồng ý, tiếp tục"))
    await zbot.send("Tổ trưởng tổ tiết kiệm và vay vốn")
    await zbot.send("son tinh")
    await zbot.send("Trong tuần này")
    await zbot.send("Bỏ qua")
    await zbot.send("Không, đừng hỏi tôi")
    await zbot.send("Gửi báo cáo")
    assert zplain(zbot.api.messages(zbot.user)).count(CONSENT) == 1
    report = await only_report(zbot.runtime.deps.sessions)
    assert (report.category, report.accused) == ("keeps_repayment", "leader")
    assert report.description == LEADER and report.escalated

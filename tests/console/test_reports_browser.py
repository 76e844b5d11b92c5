"""A moderator works a report in a real browser, from the queue to resolved, while the citizen
who sent it (in Telegram, through the webhook) hears of each change and answers a question in
chat; the answer shows on the page. Screenshots of the queue and the report page at phone and
desktop width are saved in tests/console/screenshots/."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.bot.conftest import Bot
from tests.bot.test_reports_e2e import file_report, onboard
from tests.console.conftest import Console, shot
from tests.handlers.evidence_samples import jpeg_with_gps

pytestmark = pytest.mark.browser

MODERATOR, CITIZEN = 7782001, 5550001  # the citizen is test_reports_e2e's REPORTER
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
STORY = "Một người tên Hùng cho vay 5 triệu, lãi 3 nghìn mỗi ngày.\nNay đòi 9 triệu, dọa đến nhà."


async def told(bot: Bot, chat: int, words: str, seen: int) -> str:
    """Run the outbox sender until a message with ``words`` reaches the chat after its
    ``seen`` first messages (within ten seconds: it keeps to a message a second per chat)."""
    for _ in range(30):
        assert bot.runtime is not None
        await bot.runtime.sender.run_once()
        for message in bot.api.messages(chat)[seen:]:
            if words in message.plain_text:
                return message.plain_text
        await asyncio.sleep(0.3)
    texts = [m.plain_text for m in bot.api.messages(chat)[seen:]]
    raise AssertionError(f"{words!r} never reached chat {chat}: {texts}")


def count(bot: Bot, chat: int) -> int:
    return len(bot.api.messages(chat))


async def test_a_moderator_works_a_report_from_the_queue_to_resolved(console: Console, page):
    bot = console.bot
    await console.grant(MODERATOR, "moderator", "51")
    await onboard(bot, CITIZEN)
    code = await file_report(
        bot,
        CITIZEN,
        story=STORY,
        photos=(jpeg_with_gps(size=(640, 480)),),
    )
    assert code

    await console.sign_in(page, MODERATOR)
    await page.get_by_role("link", name="Báo cáo", exact=True).click()
    await page.wait_for_url(re.compile(r"/staff/reports$"))
    await shot(page, "reports-queue-desktop")
    await page.set_viewport_size(PHONE)
    await shot(page, "reports-queue-phone")
    await page.set_viewport_size(DESKTOP)

    # The search by tracking code finds it (as the reporter would read it out on the phone).
    await page.get_by_label("Tìm theo mã tra cứu").fill(f"{code[:4].lower()}-{code[4:]}")
    await page.get_by_role("button", name="Tìm", exact=True).click()
    rows = page.locator("table.rq-table tbody tr")
    assert await rows.count() == 1
    await rows.first.get_by_role("link").click()
    await page.wait_for_url(re.compile(r"/staff/reports/\d+$"))
    assert await page.locator(".rp-story").inner_text() == STORY  # its lines kept
    picture = page.locator(".rp-file img").first
    await picture.wait_for()
    assert await picture.evaluate("img => img.complete && img.naturalWidth > 0")
    content = await page.content()
    assert code not in content and str(CITIZEN) not in content and "Nguyễn Thị Tố" not in content

    seen = count(bot, CITIZEN)
    await page.get_by_role("button", name="Nhận xử lý").click()
    await page.wait_for_selector("text=Bạn đã nhận xử lý báo cáo")
    await told(bot, CITIZEN, f"Báo cáo {code} của bạn đang được xem xét.", seen)
    await shot(page, "reports-report-actions-desktop")
    await page.set_viewport_size(PHONE)
    await shot(page, "reports-report-actions-phone")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.set_viewport_size(DESKTOP)

    # A question too short is refused in words, kept on the page; then a real one.
    ask = page.get_by_label("Câu hỏi cho người báo cáo")
    await ask.fill("Ở?")
    await page.get_by_role("button", name="Gửi câu hỏi").click()
    await page.wait_for_selector("text=Bạn viết ít nhất 5 ký tự nhé.")
    question = "Người đó ở thôn nào, có số điện thoại không?"
    seen = count(bot, CITIZEN)
    await page.get_by_label("Câu hỏi cho người báo cáo").fill(question)
    await page.get_by_role("button", name="Gửi câu hỏi").click()
    await page.wait_for_selector("text=Đã gửi câu hỏi cho người báo cáo")
    assert question in await told(bot, CITIZEN, "muốn hỏi thêm", seen)

    # The citizen answers in chat; the moderator sees the answer on the page.
    await bot.press("Trả lời câu hỏi", chat=CITIZEN)
    await bot.send("Thôn 3, số 0905 xxx xxx, hay đứng ở chợ.", chat=CITIZEN)
    await page.reload()
    await page.wait_for_selector(".rp-answer")
    assert "Thôn 3" in await page.locator(".rp-answer").inner_text()
    asked = page.locator(".rp-ev-question .rp-who")
    assert await asked.inner_text() == "Bạn"  # who asked; the answer is the reporter's handle

    seen = count(bot, CITIZEN)
    await page.get_by_label("Chuyển tới").select_option("police")
    await page.get_by_label("Ghi chú kèm theo").fill("Nhờ công an xã xác minh người cho vay.")
    await page.get_by_role("button", name="Chuyển báo cáo").click()
    await page.wait_for_selector("text=Người báo cáo được báo.")
    await told(bot, CITIZEN, "đã được chuyển đến Công an xã, phường để xử lý", seen)

    seen = count(bot, CITIZEN)
    await page.get_by_label("Đã làm gì (ghi chú khi đóng)").fill(
        "Công an xã đã làm việc với người cho vay."
    )
    await page.get_by_role("button", name="Đánh dấu đã xử lý").click()
    await page.wait_for_selector("text=đã được đánh dấu đã xử lý")
    await told(bot, CITIZEN, f"Báo cáo {code} của bạn đã được xử lý xong.", seen)
    assert await page.locator(".rp-actions form").count() == 0
    timeline = await page.locator(".rp-timeline").inner_text()
    for words in ("Gửi báo cáo", "Nhờ công an xã", "Thôn 3", "Đã xử lý"):
        assert words in timeline, words
    await shot(page, "reports-report-desktop")
    await page.set_viewport_size(PHONE)
    await shot(page, "reports-report-phone")
    # Nothing is wider than the phone: no sideways scrolling.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Back to the queue: the closed report is counted under closed.
    await page.get_by_role("link", name="‹ Về danh sách báo cáo").click()
    await page.get_by_role("link", name=re.compile(r"^Đã đóng")).click()
    assert await page.locator("table.rq-table tbody tr").count() == 1
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


async def test_a_pdf_shows_as_pictures_of_its_pages_in_english(console: Console, page):
    from tests.console.test_reports import _pdf, _report, _reporter

    await console.grant(MODERATOR, "moderator", "51")
    reporter = await _reporter(console, CITIZEN)
    report = await _report(
        console,
        reporter=reporter,
        description='Họ nói "<script>alert(1)</script>" rồi <img src=x onerror=alert(2)>.',
        files=(("document", "application/pdf", _pdf(2)),),
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await console.sign_in(page, MODERATOR)
    await page.get_by_role("link", name="English").click()
    await page.goto(f"{console.url}/staff/reports/{report.id}")
    await page.get_by_role("heading", name="Evidence (1)").wait_for()
    pages = page.locator(".rp-file img")
    assert await pages.count() == 2
    for n in range(2):
        await pages.nth(n).scroll_into_view_if_needed()
        await page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=await pages.nth(n).element_handle()
        )
        assert await pages.nth(n).get_attribute("alt") == f"PDF file, page {n + 1} of 2"
    # The story's markup is text: nothing ran.
    assert "<script>alert(1)</script>" in await page.locator(".rp-story").inner_text()
    assert dialogs == []
    link = page.get_by_role("link", name="Download the cleaned copy")
    assert re.fullmatch(rf"/staff/reports/{report.id}/files/\d+", await link.get_attribute("href"))
    await page.set_viewport_size(PHONE)
    await shot(page, "reports-report-pdf-phone-en")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

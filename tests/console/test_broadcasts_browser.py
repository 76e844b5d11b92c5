"""A province-wide announcement in a real browser: an official composes it (the live count,
a refused form, the preview, a test copy to their own chat), a second official approves it in
another browser, and the citizens of the province get it in the fake Telegram while the author
watches its progress turn into the report. Screenshots at phone and desktop width."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image

from storage import broadcasts as store
from tests.console.casts_support import (  # noqa: F401 (casts: a fixture)
    ELSEWHERE,
    IN_COMMUNE,
    IN_PROVINCE,
    OFFICIAL,
    PROVINCIAL,
    SECOND,
    SON_TINH,
    casts_fixture,
    deliver,
    got,
    newest_first,
    seed_broadcasts,
    state_of,
)
from tests.console.conftest import Console, shot

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TEXT = "Từ ngày 20/12, điểm giao dịch xã mở cửa từ 7:30. Nhớ mang theo sổ vay <3"


def picture() -> bytes:
    """A poster-like PNG: a band of colour with a lighter block."""
    image = Image.new("RGB", (320, 180), (11, 83, 148))
    image.paste((255, 191, 71), (20, 120, 300, 160))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def both(page: Any, name: str) -> None:
    """A screenshot at phone width and at desktop width."""
    await page.set_viewport_size(PHONE)
    await shot(page, f"broadcasts-{name}-phone")
    await page.set_viewport_size(DESKTOP)
    await shot(page, f"broadcasts-{name}-desktop")


async def no_sideways_scroll(page: Any) -> None:
    await page.set_viewport_size(PHONE)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a phone"
    await page.set_viewport_size(DESKTOP)


@pytest.mark.browser
async def test_composed_approved_by_a_second_official_and_delivered(
    casts: Console, page: Any, browser: Any, api
) -> None:
    expect = pytest.importorskip("playwright.async_api").expect
    await casts.grant(PROVINCIAL, "official", "51")
    await casts.grant(SECOND, "official", "51")
    await casts.sign_in(page, PROVINCIAL)

    # The list, then the form.
    await page.get_by_role("link", name="Thông báo").first.click()
    await page.wait_for_url(re.compile(r"/staff/broadcasts$"))
    await both(page, "list-empty")
    await page.get_by_role("link", name="Soạn thông báo mới").click()
    await page.wait_for_url(re.compile(r"/staff/broadcasts/new$"))

    # The count follows the audience (the page's script asks the server).
    await page.get_by_label("Địa bàn").select_option("51")
    await expect(page.locator("#figures")).to_contain_text("Số người nhận: 5.")
    await page.get_by_label("Chỉ người nhận nhắc lịch").check()
    await expect(page.locator("#figures")).to_contain_text("Số người nhận: 0.")
    await page.get_by_label("Mọi người dùng ở đó").check()

    # Sent empty: refused kindly, the choices kept.
    await page.get_by_role("button", name="Xem trước").click()
    await page.wait_for_load_state()
    body = await page.inner_text("body")
    assert "Thông báo chưa có nội dung" in body
    assert await page.get_by_label("Địa bàn").input_value() == "51"
    await both(page, "compose-refused")

    await page.get_by_label("Nội dung").fill(TEXT)
    await page.get_by_label("Ảnh (không bắt buộc)").set_input_files(
        files=[{"name": "lich.png", "mimeType": "image/png", "buffer": picture()}]
    )
    await page.get_by_role("button", name="Xem trước").click()
    await page.wait_for_url(re.compile(r"/staff/broadcasts/\d+$"))
    broadcast_id = int(page.url.rsplit("/", 1)[1])
    bubble = page.locator("figure.chat-bubble").first
    assert await bubble.inner_text() == (
        "📢 Thông báo của NHCSXH — Quảng Ngãi\n\n" + TEXT + "\n🔕 Tắt thông báo"
    )
    # The photo, as Telegram holds it for every recipient, shown above the text.
    shown = page.locator("figure.chat-bubble img").first
    assert await shown.evaluate("img => img.complete && img.naturalWidth") == 320
    body = await page.inner_text("body")
    assert "Số người nhận: 5." in body and "cần một cán bộ khác" in body
    await both(page, "preview")

    # A test copy reaches the author's own chat, exactly as citizens will get it.
    await page.get_by_role("button", name="Gửi thử cho tôi").click()
    await page.wait_for_load_state()
    assert "Đã gửi bản thử" in await page.inner_text("body")
    await casts.runtime.sender.run_once()
    assert got(api, PROVINCIAL) == ["📢 Thông báo của NHCSXH — Quảng Ngãi\n\n" + TEXT]
    assert got(api, IN_PROVINCE[0]) == []

    await page.get_by_role("button", name="Gửi đi để duyệt").click()
    await page.wait_for_load_state()
    body = await page.inner_text("body")
    assert "chờ duyệt" in body and "Đã gửi đi để duyệt" in body
    assert await page.get_by_role("button", name="Duyệt và gửi").count() == 0
    assert (await state_of(casts, broadcast_id)).status == store.AWAITING
    await both(page, "awaiting")

    # A second official, in another browser, approves it from their queue.
    other = await browser.new_context(viewport=PHONE, locale="vi-VN")
    try:
        approver = await other.new_page()
        await casts.sign_in(approver, SECOND)
        await approver.goto(casts.url + "/staff/broadcasts")
        assert "Chờ bạn duyệt (1)" in await approver.inner_text("body")
        await shot(approver, "broadcasts-approver-queue-phone")
        await approver.get_by_role("link", name=f"Thông báo số {broadcast_id}").first.click()
        await approver.wait_for_url(re.compile(rf"/staff/broadcasts/{broadcast_id}$"))
        await both(approver, "approver-review")
        await approver.get_by_role("button", name="Duyệt và gửi").click()
        await approver.wait_for_load_state()
        assert "Đã duyệt" in await approver.inner_text("body")
    finally:
        await other.close()
    assert (await state_of(casts, broadcast_id)).status == store.QUEUED

    # The author watches: the page follows by itself as it goes out and finishes.
    await page.reload()
    assert "sắp gửi" in await page.inner_text("#status-badge")
    await deliver(casts)
    await expect(page.locator("#progress-h")).to_have_text("Báo cáo", timeout=15_000)
    body = await page.inner_text("body")
    assert "đã gửi xong" in body
    sent = await page.locator("[data-count=sent]").inner_text()
    assert sent == "5"
    await both(page, "report")
    await no_sideways_scroll(page)

    for chat in IN_COMMUNE[:2] + IN_PROVINCE:
        assert got(api, chat) == ["📢 Thông báo của NHCSXH — Quảng Ngãi\n\n" + TEXT]
        assert api.last_message(chat).kind == "photo"
    assert got(api, IN_COMMUNE[2]) == ["📢 Announcement from VBSP — Quảng Ngãi\n\n" + TEXT]
    assert got(api, ELSEWHERE[0]) == []

    await page.goto(casts.url + "/staff/broadcasts")
    await both(page, "list")


@pytest.mark.browser
async def test_the_list_pages_by_its_links_keeping_the_filter(casts: Console, page: Any) -> None:
    """Ninety broadcasts of a commune: the first fifty, "Older ›" to the other forty; then the
    state filter chosen in the form and kept by the next link (no script needed for any of it)."""
    expect = pytest.importorskip("playwright.async_api").expect
    statuses = [store.DONE if i % 3 else store.CANCELLED for i in range(90)]
    seeded = await seed_broadcasts(casts, SON_TINH, OFFICIAL, statuses, casts.bot.clock())
    expected = newest_first(seeded)
    await casts.grant(OFFICIAL, "official", SON_TINH)
    await casts.sign_in(page, OFFICIAL)

    await page.goto(casts.url + "/staff/broadcasts")
    rows = page.locator("table.casts tbody tr")
    older = page.get_by_role("link", name="Cũ hơn ›")
    await expect(rows).to_have_count(50)
    await expect(rows.first).to_contain_text(f"Thông báo số {expected[0]}")
    await both(page, "list-paged")
    await older.click()
    await page.wait_for_url(re.compile(rf"/staff/broadcasts\?after={expected[49]}$"))
    await expect(rows).to_have_count(40)
    await expect(rows.first).to_contain_text(f"Thông báo số {expected[50]}")
    await expect(older).to_have_count(0)
    await expect(page.get_by_role("link", name="« Trang đầu")).to_have_count(1)
    await no_sideways_scroll(page)
    await both(page, "list-paged-last")

    # The filter, by the form's button; the next link keeps it.
    done = newest_first([s for s in seeded if s.status == store.DONE])
    await page.get_by_label("Trạng thái").select_option(store.DONE)
    await page.get_by_role("button", name="Lọc").click()
    await page.wait_for_url(re.compile(r"/staff/broadcasts\?state=done$"))
    await expect(rows).to_have_count(50)
    await older.click()
    await page.wait_for_url(re.compile(rf"/staff/broadcasts\?state=done&after={done[49]}$"))
    await expect(rows).to_have_count(10)
    await expect(rows.first).to_contain_text(f"Thông báo số {done[50]}")
    await expect(page.locator("table.casts tbody .state-done")).to_have_count(10)
    await expect(page.get_by_label("Trạng thái")).to_have_value(store.DONE)
    await shot(page, "broadcasts-list-paged-filtered")

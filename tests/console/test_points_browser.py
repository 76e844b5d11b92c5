"""An official in a real browser: signs in from the bot's /web link, uploads a schedule CSV,
sees what it changes, applies it, and moves a day; a citizen who subscribed in chat hears of
the move there. Screenshots at desktop and phone width land in tests/console/screenshots/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from handlers.schedules.csv import HEADER, parse_schedule_csv
from storage import schedules, users
from storage.db import transaction
from storage.models import Outbox
from tests.console.conftest import Console, shot
from tests.console.test_points import TINH_HA, next_regular, ordinary_day_near

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
OFFICIAL = 7790001
CITIZEN = 7790002
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def son_tinh_file() -> bytes:
    """The office's new list for Sơn Tịnh: Tịnh Hà opens at 08:00, Tịnh Giang is closed, and
    Tịnh Bình is added."""
    rows = [
        line
        for line in SAMPLE.read_text(encoding="utf-8").splitlines()[1:]
        if ",21220," in line and not line.startswith("SAMPLE-21220-TINHGIANG")
    ]
    rows = [
        row.replace(",07:30,11:00,", ",08:00,11:00,") if row.startswith(TINH_HA) else row
        for row in rows
    ]
    rows.append(
        "SAMPLE-21220-TINHBINH,21220,Điểm giao dịch Tịnh Bình,"
        "Nhà văn hóa thôn 3 xã Sơn Tịnh,12,07:30,11:00,PGD NHCSXH Sơn Tịnh,0255 0000 104"
    )
    return ("\n".join([HEADER, *rows]) + "\n").encode()


async def both_widths(page, name: str) -> None:  # type: ignore[no-untyped-def]
    await page.set_viewport_size(DESKTOP)
    await shot(page, f"points-{name}-desktop")
    await page.set_viewport_size(PHONE)
    await shot(page, f"points-{name}-phone")
    # nothing wider than the phone: no sideways scrolling of the page itself
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width}px wide on a 390px phone"
    await page.set_viewport_size(DESKTOP)


async def test_an_official_imports_a_schedule_and_moves_a_day(console: Console, page) -> None:
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(console.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])

    # A citizen subscribes to Tịnh Hà's reminders through the bot's own dialog.
    await console.onboard(CITIZEN)
    await console.bot.send("/lich 21220", chat=CITIZEN)
    said = await console.bot.press("Nhắc lịch: Điểm giao dịch Tịnh Hà", chat=CITIZEN)
    assert "Đã bật nhắc lịch" in " ".join(m.plain_text for m in said)
    regular = next_regular(10)
    # ...and the evening reminder of the coming day went out (what the scheduler records when
    # it sends one): a change of that day is news to them.
    async with transaction(console.runtime.deps.sessions) as session:
        citizen = await users.get_or_create_user(
            session, "telegram", str(CITIZEN), dt.datetime.now(dt.UTC)
        )
        session.add(
            Outbox(
                dedup_key=f"rem:{TINH_HA}:{regular.isoformat()}:eve:{citizen.id}",
                channel="telegram",
                channel_user_id=str(CITIZEN),
                kind="reminder_eve",
                payload={"text": "reminded"},
                status="sent",
                sent_at=dt.datetime.now(dt.UTC),
            )
        )

    await console.grant(OFFICIAL, "official", "21220")
    await console.sign_in(page, OFFICIAL)
    await page.get_by_role("link", name="Điểm giao dịch").first.click()
    await page.wait_for_url(re.compile(r"/staff/points$"))
    assert "Điểm giao dịch Tịnh Giang" in await page.inner_text("main")
    await both_widths(page, "list")

    # Upload the office's file, see what it does, apply it.
    await page.get_by_role("link", name="Nhập lịch từ tệp CSV").click()
    await both_widths(page, "import")
    await page.get_by_label("Tệp lịch (CSV)").set_input_files(
        {"name": "son-tinh.csv", "mimeType": "text/csv", "buffer": son_tinh_file()}
    )
    await page.get_by_role("button", name="Xem trước thay đổi").click()
    main = await page.inner_text("main")
    assert "Thêm 1, sửa 1, xóa 1, giữ nguyên 1." in main
    assert "Điểm giao dịch Tịnh Bình" in main and "08:00" in main
    assert "SAMPLE-21220-TINHGIANG" in main
    await both_widths(page, "preview")
    await page.get_by_role("button", name="Áp dụng").click()
    await page.wait_for_url(re.compile(r"/staff/points$"))
    main = await page.inner_text("main")
    assert "Đã nhập son-tinh.csv: thêm 1, sửa 1, xóa 1, giữ nguyên 1." in main
    assert "Tịnh Bình" in main and "Tịnh Giang" not in main

    # Filter by commune, open Tịnh Hà, move its coming day.
    await page.get_by_label("Xã, phường").select_option("21220")
    await page.get_by_role("button", name="Xem").click()
    await page.get_by_role("link", name="Điểm giao dịch Tịnh Hà").click()
    await page.wait_for_url(re.compile(rf"/staff/points/{TINH_HA}$"))
    if f"{regular:%Y-%m}" != f"{dt.date.today():%Y-%m}":
        await page.get_by_role("link", name="Tháng sau →").click()
    assert "08:00-11:00" in await page.inner_text("main")
    await both_widths(page, "month")
    new = ordinary_day_near(regular)
    card = page.locator(f"#day-{regular.isoformat()}")
    move = card.locator("form", has=page.get_by_role("button", name="Dời ngày"))
    await move.get_by_label("Ngày mới").fill(new.isoformat())
    await move.get_by_label("Lý do").fill("Trùng họp dân")
    await move.get_by_role("button", name="Dời ngày").click()
    await page.wait_for_url(re.compile(rf"/staff/points/{TINH_HA}\?month="))
    main = await page.inner_text("main")
    assert f"Đã dời buổi ngày {regular:%d/%m/%Y} sang ngày {new:%d/%m/%Y}." in main
    assert "Đã gửi thông báo cho 1 người đăng ký nhắc lịch." in main
    assert f"Dời đi → {new:%d/%m}" in main
    await both_widths(page, "moved")

    # The citizen hears of the move in chat, as when /lichxa moves a day.
    await console.runtime.sender.run_once()
    notices = [m.plain_text for m in console.bot.api.messages(CITIZEN)]
    moved = [n for n in notices if "Lịch giao dịch thay đổi" in n]
    assert moved, notices[-3:]
    assert f"{new:%d/%m/%Y}" in moved[-1] and "Trùng họp dân" in moved[-1]


async def test_a_refusal_is_said_in_words_next_to_its_form(console: Console, browser) -> None:
    """A refused change answers 400 with the page again: its own context, since the browser
    logs any 400 document as an error (the ``page`` fixture counts those)."""
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(console.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    await console.grant(OFFICIAL, "official", "21220")
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN")
    try:
        page = await context.new_page()
        await console.sign_in(page, OFFICIAL)
        regular = next_regular(10)
        await page.goto(f"{console.url}/staff/points/{TINH_HA}?month={regular:%Y-%m}")
        card = page.locator(f"#day-{regular.isoformat()}")
        move = card.locator("form", has=page.get_by_role("button", name="Dời ngày"))
        await move.get_by_label("Ngày mới").fill(regular.isoformat())
        # the browser's own check would stop a short reason before it is sent: lift it
        reason = move.get_by_label("Lý do")
        await reason.evaluate("el => el.removeAttribute('minlength')")
        await reason.fill("ok")
        await move.get_by_role("button", name="Dời ngày").click()
        alert = page.get_by_role("alert")
        await alert.wait_for()
        said = await alert.inner_text()
        assert "Chưa thay đổi gì" in said
        assert "Lý do cần từ 3 đến 500 ký tự." in said
        assert "trùng với ngày thường lệ" in said
        # what was typed is still there
        moved_form = page.locator(f"#form-move-{regular.isoformat()}")
        assert await moved_form.get_by_label("Lý do").input_value() == "ok"
        await both_widths(page, "refused")

        # A file with problems: each on its line, in the page's language.
        await page.goto(f"{console.url}/staff/points/import")
        bad = (
            f"{HEADER}\n"
            "X-1,21220,Điểm X,Thôn 1 xã Sơn Tịnh,32,07:30,11:00,PGD,0255 1\n"
            "X-2,21220,=cmd,Thôn 2 xã Sơn Tịnh,10,11:00,07:30,PGD,0255 2\n"
        ).encode()
        await page.get_by_label("Tệp lịch (CSV)").set_input_files(
            {"name": "loi.csv", "mimeType": "text/csv", "buffer": bad}
        )
        await page.get_by_role("button", name="Xem trước thay đổi").click()
        said = await page.get_by_role("alert").inner_text()
        assert "Tệp loi.csv có 3 lỗi" in said
        assert "dòng 2, day_of_month: phải là số nguyên từ 1 đến 31, nhưng là «32»." in said
        assert "dòng 3, name: bắt đầu bằng «=»" in said
        assert "dòng 3, end_time: giờ kết thúc 07:30 phải sau giờ bắt đầu 11:00." in said
        await both_widths(page, "file-problems")

        # The month in English.
        await page.goto(f"{console.url}/staff/lang/en?next=/staff/points/{TINH_HA}")
        assert "Transaction days this month" in await page.inner_text("main")
        await both_widths(page, "month-en")
    finally:
        await context.close()

"""The admin pages in a real browser: an admin signs in from the /web link, grants a moderator
role in a commune, the new moderator signs in with /web, the admin revokes the role and the
moderator's open page is signed out at its next click; the audit log shows both, filtered.
Screenshots at phone and desktop width go to tests/console/screenshots/ (look at them)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.console.conftest import Console, shot

ADMIN = 7790001
MODERATOR = 7790002
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.browser
# A refused form is shown again with status 400, which Chromium logs; any other error (a CSP
# violation, a script error) fails the test, as the shared ``page`` fixture does.
REFUSED_FORM = "the server responded with a status of 400"


@pytest.fixture
async def admin_page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True)
    try:
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        assert not [e for e in errors if REFUSED_FORM not in e], errors
    finally:
        await context.close()


async def _both_widths(page: Any, name: str) -> None:
    await page.set_viewport_size(PHONE)
    await shot(page, f"{name}-phone")
    await page.set_viewport_size(DESKTOP)
    await shot(page, f"{name}-desktop")


async def test_grant_sign_in_revoke_and_read_the_log(
    console: Console, admin_page: Any, browser: Any
) -> None:
    page = admin_page
    await console.grant(ADMIN, "admin", "51")
    await console.onboard(MODERATOR)
    await console.sign_in(page, ADMIN)

    # the header leads to the roles; the form grants in a commune typed by name
    await page.get_by_role("link", name="Phân quyền").click()
    await page.wait_for_url(re.compile(r"/staff/roles$"))
    await page.get_by_label("Người được cấp").fill(f"telegram:{MODERATOR}")
    await page.get_by_label("Quyền", exact=True).select_option("moderator")
    await page.get_by_label("Khu vực", exact=True).fill("Xã Sơn Tịnh")
    await page.get_by_role("button", name="Cấp quyền").click()
    await page.wait_for_url(re.compile(r"/staff/roles$"))
    status = page.get_by_role("status")
    await status.wait_for()
    assert f"Đã cấp quyền kiểm duyệt cho telegram:{MODERATOR}" in await status.inner_text()
    row = page.get_by_role("row").filter(has_text=f"telegram:{MODERATOR}")
    assert "Xã Sơn Tịnh" in await row.inner_text()
    await _both_widths(page, "admin-roles")

    # a refusal is said next to the field, and what was typed stays
    await page.get_by_label("Người được cấp").fill("telegram:555")
    await page.get_by_label("Quyền", exact=True).select_option("official")
    await page.get_by_label("Khu vực", exact=True).fill("00004")
    await page.get_by_role("button", name="Cấp quyền").click()
    alert = page.get_by_role("alert")
    await alert.wait_for()
    assert "nằm ngoài khu vực của bạn" in await alert.inner_text()
    assert await page.get_by_label("Người được cấp").input_value() == "telegram:555"
    assert await page.get_by_label("Khu vực", exact=True).get_attribute("aria-invalid") == "true"
    await _both_widths(page, "admin-roles-refused")

    # the new moderator asks for a link and signs in, in a browser of their own
    other = await browser.new_context(viewport=PHONE, locale="vi-VN")
    try:
        moderator = await other.new_page()
        await console.sign_in(moderator, MODERATOR)
        assert "/staff/signin" not in moderator.url
        assert await moderator.get_by_role("link", name="Phân quyền").count() == 0

        # the admin revokes it, through the confirm step
        await page.goto(f"{console.url}/staff/roles")
        row = page.get_by_role("row").filter(has_text=f"telegram:{MODERATOR}")
        await row.get_by_role("link", name=re.compile("Thu hồi quyền kiểm duyệt")).click()
        await page.wait_for_url(re.compile(r"/staff/roles/revoke\?grant=\d+$"))
        assert "đăng xuất" in await page.locator("main").inner_text()
        await _both_widths(page, "admin-revoke-confirm")
        await page.get_by_role("button", name="Thu hồi").click()
        await page.wait_for_url(re.compile(r"/staff/roles$"))
        assert "Đã thu hồi quyền kiểm duyệt" in await page.get_by_role("status").inner_text()
        assert await page.get_by_role("row").filter(has_text=f"telegram:{MODERATOR}").count() == 0

        # the moderator's open page: the next click lands on the sign-in page
        await moderator.get_by_role("link", name="Bảng điều khiển NHCSXH").click()
        await moderator.wait_for_url(re.compile(r"/staff/signin\?ended=1$"))
        assert (
            "Phiên đăng nhập đã hết hạn hoặc đã kết thúc"
            in await moderator.locator("main").inner_text()
        )
        await shot(moderator, "admin-revoked-moderator-phone")
    finally:
        await other.close()

    # the audit log shows the grant and the revoke, filtered to roles in the commune
    await page.get_by_role("link", name="Nhật ký").click()
    await page.wait_for_url(re.compile(r"/staff/audit$"))
    await page.get_by_label("Thao tác").select_option("role")
    await page.get_by_label("Khu vực (tên hoặc mã)").fill("21220")
    await page.get_by_label("Ai").fill(f"telegram:{ADMIN}")
    await page.get_by_role("button", name="Lọc", exact=True).click()
    await page.wait_for_url(re.compile(r"/staff/audit\?"))
    rows = page.locator("table.admin-audit tbody tr")
    texts = [await r.inner_text() for r in await rows.all()]
    assert len(texts) == 2, texts
    assert "thu hồi quyền" in texts[0] and "cấp quyền" in texts[1]
    assert all(f"telegram:{MODERATOR}" in t and "Xã Sơn Tịnh" in t for t in texts)
    await _both_widths(page, "admin-audit")

    # the same filters, as CSV
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Tải về CSV").click()
    download = await waiting.value
    assert download.suggested_filename.startswith("audit-")
    text = (await download.path()).read_text(encoding="utf-8-sig")
    assert text.count("role.") == 2 and f"telegram:{MODERATOR}" in text

    # one filter at a time: a wrong date is refused beside its field
    await page.get_by_label("Ai").fill("")
    await page.get_by_label("Thao tác").select_option("role.revoke")
    await page.get_by_role("button", name="Lọc", exact=True).click()
    await page.wait_for_url(re.compile(r"what=role.revoke"))
    assert await page.locator("table.admin-audit tbody tr").count() == 1

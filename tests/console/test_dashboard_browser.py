"""The dashboard in a real browser: a staff member signs in from the bot's link, lands on the
dashboard, changes the period with the form, and every chart loads as a picture; a period
typed wrong is explained. Screenshots at phone and desktop width in tests/console/screenshots/."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.console.conftest import Console, shot
from tests.console.test_dashboard import console, plant  # noqa: F401 (7 December 2026)
from tests.storage.test_stats import SON_TINH

pytestmark = pytest.mark.browser

ADMIN, MODERATOR = 7773001, 7773002


async def charts_loaded(page: Any) -> list[tuple[str, int]]:
    """(src, natural width) of every chart on the page, once each has finished loading."""
    await page.wait_for_function(
        "Array.from(document.querySelectorAll('img.dash-chart')).every(i => i.complete)"
    )
    return await page.eval_on_selector_all(
        "img.dash-chart", "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth])"
    )


async def test_a_signed_in_admin_changes_the_period_and_sees_every_chart(
    console: Console,  # noqa: F811 (the fixture of test_dashboard.py)
    page: Any,
    database_url: str,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("one database is enough for the browser; the numbers are tested on both")
    await plant(console)
    await console.grant(ADMIN, "admin")
    await console.sign_in(page, ADMIN)
    await page.wait_for_url(re.compile(r"/staff/dashboard$"))  # the console's first page
    await page.get_by_role("heading", level=1, name="Số liệu").wait_for()
    # the planted data is in November 2026: choose that period with the form
    custom = page.get_by_label("Từ ngày … đến ngày …")
    assert not await custom.is_checked()
    await page.get_by_label("Từ ngày", exact=True).fill("2026-11-02")
    assert await custom.is_checked()  # typing a day chooses the range (static/dashboard.js)
    await page.get_by_label("Đến ngày", exact=True).fill("2026-11-29")
    await page.get_by_role("button", name="Xem").click()
    await page.wait_for_url(re.compile(r"period=custom&from=2026-11-02&to=2026-11-29"))
    await page.get_by_text("Từ 02/11/2026 đến 29/11/2026").wait_for()
    loaded = await charts_loaded(page)
    assert len(loaded) == 8, loaded
    assert all(width > 0 for _src, width in loaded), loaded
    table = page.get_by_role("table", name="Bảng số: Phản ánh theo xã, phường")
    assert "Xã Sơn Tịnh" in await table.inner_text()
    await shot(page, "dashboard-desktop")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    loaded = await charts_loaded(page)
    assert all(width > 0 for _src, width in loaded), loaded
    # on a phone a chart fits the screen: no sideways scrolling of the page
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    chart_width = await page.eval_on_selector("img.dash-chart", "i => i.clientWidth")
    assert 0 < chart_width <= 390
    await shot(page, "dashboard-phone")
    # back to a ready choice, by the keyboard-usable radio buttons
    await page.get_by_label("12 tháng gần đây").check()
    await page.get_by_role("button", name="Xem").click()
    await page.wait_for_url(re.compile(r"period=12m"))
    loaded = await charts_loaded(page)
    assert all(width > 0 for _src, width in loaded), loaded


async def test_a_wrong_period_is_explained_in_the_page(
    console: Console,  # noqa: F811 (the fixture of test_dashboard.py)
    page: Any,
    database_url: str,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("one database is enough for the browser")
    await console.grant(MODERATOR, "moderator", SON_TINH)
    await console.sign_in(page, MODERATOR)
    await page.get_by_label("Từ ngày … đến ngày …").check()
    await page.get_by_label("Từ ngày", exact=True).fill("2026-11-20")
    await page.get_by_label("Đến ngày", exact=True).fill("2026-11-02")
    await page.get_by_role("button", name="Xem").click()
    alert = page.get_by_role("alert")
    await alert.wait_for()
    assert "Ngày bắt đầu đang sau ngày kết thúc" in await alert.inner_text()
    assert await page.get_by_label("Từ ngày", exact=True).input_value() == "2026-11-20"
    await page.set_viewport_size({"width": 390, "height": 844})
    await shot(page, "dashboard-period-error-phone")

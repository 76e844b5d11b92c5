"""Signing in to the staff console: the link from /web, the session cookie, the frame's
security headers, the end of sessions when a role is revoked."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from handlers.core.roles import revoke_role
from storage import console as console_store
from storage.db import transaction
from tests.console.conftest import CSRF, LINK, Console, shot, spend_link

STAFF = 7770001
CITIZEN = 7770002


async def test_web_is_unknown_to_a_citizen(console: Console) -> None:
    await console.onboard(CITIZEN)
    sent = await console.bot.send("/web", chat=CITIZEN)
    text = " ".join(m.plain_text for m in sent)
    assert not LINK.search(text)
    assert "/web" in text  # answered exactly as a command that does not exist


async def test_link_signs_in_once(console: Console) -> None:
    await console.grant(STAFF, "moderator", "51")
    link = await console.link(STAFF)
    # Opening the link (as a chat app's preview does) does not spend it.
    for _ in range(2):
        async with console.http.get(link, allow_redirects=False) as response:
            assert response.status == 200
            assert "Đăng nhập" in await response.text()
    # A form posted without the sign-in page's own token (from another site) is refused,
    # and does not spend the link.
    async with console.http.post(link, data={"csrf": "x"}, allow_redirects=False) as forged:
        assert forged.status == 403
    async with console.http.get(link, allow_redirects=False) as page:
        nonce = page.cookies["vbsp_signin"].value
    async with console.http.post(
        link, data={"csrf": nonce}, headers={"Cookie": f"vbsp_signin={nonce}"},
        allow_redirects=False,
    ) as response:  # fmt: skip
        assert response.status == 303
        cookie = response.cookies["vbsp_staff"]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        assert cookie["path"] == "/staff"
    assert await console.spend(link) is None  # spent
    async with console.http.get(link, allow_redirects=False) as opened:
        assert opened.status == 410
        assert "không dùng được nữa" in await opened.text()


async def test_expired_and_forged_links(console: Console) -> None:
    await console.grant(STAFF, "official", "51")
    link = await console.link(STAFF)
    token = link.rsplit("/", 1)[1]
    async with transaction(console.runtime.deps.sessions) as session:
        row = await console_store.peek_link(session, token, dt.datetime.now(dt.UTC))
        assert row is not None
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.add(row)
    assert await console.spend(link) is None
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 200, "%00"):
        async with console.http.get(
            f"{console.url}/staff/signin/{forged}", allow_redirects=False
        ) as response:
            assert response.status in (404, 410)
        assert await console.spend(f"{console.url}/staff/signin/{forged}") is None


async def test_links_per_hour_are_limited(console: Console) -> None:
    await console.grant(STAFF, "moderator")
    for _ in range(5):
        await console.link(STAFF)
    sent = await console.bot.send("/web", chat=STAFF)
    text = " ".join(m.plain_text for m in sent)
    assert not LINK.search(text)
    assert "5 liên kết" in text


async def test_pages_need_a_session_and_carry_the_headers(console: Console) -> None:
    async with console.http.get(f"{console.url}/staff", allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/staff/"
    async with console.http.get(f"{console.url}/staff/", allow_redirects=False) as response:
        assert response.status == 303
        assert response.headers["Location"] == "/staff/signin"
    async with console.http.get(f"{console.url}/staff/signin") as response:
        assert response.status == 200
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert "/web" in await response.text()
    async with console.http.get(
        f"{console.url}/staff/", headers={"Cookie": "vbsp_staff=forged"}, allow_redirects=False
    ) as response:
        assert response.status == 303
        assert response.headers["Location"] == "/staff/signin?ended=1"


async def test_a_form_without_its_token_is_refused(console: Console) -> None:
    await console.grant(STAFF, "moderator")
    client = await console.client(STAFF)
    status, html, _ = await client.post("/staff/signout", csrf=False)
    assert status == 403
    assert "Biểu mẫu" in html
    status, _, _ = await client.get("/staff/")
    assert status in (200, 303)  # still signed in
    status, _, response = await client.post("/staff/signout")
    assert status == 303
    status, _, response = await client.get("/staff/")
    assert status == 303 and response.headers["Location"].startswith("/staff/signin")


async def test_revoking_the_role_ends_the_session(console: Console) -> None:
    await console.grant(STAFF, "moderator", "51")
    client = await console.client(STAFF)
    async with transaction(console.runtime.deps.sessions) as session:
        assert await revoke_role(session, "telegram", str(STAFF), "moderator", "51", "cli")
    status, _, response = await client.get("/staff/")
    assert status == 303
    assert response.headers["Location"] == "/staff/signin?ended=1"


async def test_unknown_pages_are_a_kind_404_in_the_chosen_language(console: Console) -> None:
    await console.grant(STAFF, "official")
    client = await console.client(STAFF)
    status, html, _ = await client.get("/staff/nothing-here")
    assert status == 404
    assert "Không tìm thấy" in html
    status, _, response = await client.get("/staff/lang/en?next=/staff/nothing-here")
    assert status == 303 and response.headers["Location"] == "/staff/nothing-here"
    status, html, _ = await client.get("/staff/nothing-here")
    assert status == 404 and "Not found" in html
    status, _, response = await client.get("/staff/lang/en?next=//evil.example/x")
    assert response.headers["Location"] == "/staff/"


@pytest.mark.browser
async def test_a_moderator_signs_in_from_the_bot_in_a_browser(console: Console, page) -> None:
    await console.grant(STAFF, "moderator", "51")
    await console.sign_in(page, STAFF)
    body = await page.inner_text("body")
    assert "Đăng xuất" in body
    cookies = await page.context.cookies()
    staff_cookie = next(c for c in cookies if c["name"] == "vbsp_staff")
    assert staff_cookie["httpOnly"] and staff_cookie["sameSite"] == "Strict"
    await shot(page, "signed-in")
    await page.get_by_role("link", name="English").click()
    assert "Sign out" in await page.inner_text("body")
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(re.compile(r"/staff/signin\?out=1$"))
    assert "signed out" in await page.inner_text("body")
    assert CSRF.pattern  # the helper's pattern is what the pages carry


async def test_the_access_log_names_routes_never_tokens_or_addresses(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    """`serve`'s access log, with a planted sign-in token and query string."""
    from aiohttp import web

    from bot.logs import RouteAccessLogger
    from bot.webhook import build_web_app

    runner = web.AppRunner(build_web_app(console.runtime), access_log_class=RouteAccessLogger)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        planted = "PLANTEDtoken_abcdefghijklmnopqrstuvwxyz0123456789"
        with caplog.at_level("INFO", logger="aiohttp.access"):
            for path in (f"/staff/signin/{planted}", "/staff/signin?who=PLANTEDquery", "/x"):
                async with console.http.get(f"http://127.0.0.1:{port}{path}") as response:
                    await response.read()
    finally:
        await runner.cleanup()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 3, lines
    assert any("/staff/signin/{token}" in line for line in lines), lines
    joined = "\n".join(lines)
    assert "PLANTED" not in joined and "127.0.0.1" not in joined


async def test_a_zalo_moderator_gets_a_link_too(zapi, database_url: str) -> None:
    """/web is the same command on Zalo; the session carries the Zalo identity."""
    import aiohttp

    from handlers.core.roles import grant_role
    from tests.bot.zalo_support import ZaloBot, migrate

    await migrate(database_url)
    bot = ZaloBot(zapi, database_url, "webhook")
    await bot.start()
    try:
        await bot.send("start")
        await bot.send("1")
        await bot.send("Tôi đồng ý")
        assert bot.runtime is not None
        async with transaction(bot.runtime.deps.sessions) as session:
            await grant_role(session, "zalo", bot.user, "moderator", "51", "cli")
        sent = await bot.send("/web")
        found = LINK.search(" ".join(m.text for m in sent))
        assert found, [m.text for m in sent]
        async with aiohttp.ClientSession() as http:
            cookie = await spend_link(http, found.group(1))
            assert cookie is not None
            async with http.get(
                f"{bot.url}/staff/", headers={"Cookie": f"vbsp_staff={cookie}"}
            ) as page:
                assert page.status == 200  # the dashboard, after the redirect
                assert "Đăng xuất" in await page.text()
            async with transaction(bot.runtime.deps.sessions) as session:
                found_session = await console_store.find_session(
                    session, cookie, dt.datetime.now(dt.UTC)
                )
                assert found_session is not None
                assert (found_session.channel, found_session.channel_user_id) == (
                    "zalo",
                    bot.user,
                )
    finally:
        await bot.stop()


@pytest.mark.slow  # the server's shutdown waits ten seconds on the refused upload
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no database in it
async def test_a_form_over_the_size_limit_gets_a_kind_page(console: Console) -> None:
    import aiohttp

    from bot.console import MAX_FORM_BYTES

    await console.grant(STAFF, "official")
    client = await console.client(STAFF)
    form = aiohttp.FormData()
    form.add_field("file", b"x" * (MAX_FORM_BYTES + 1), filename="big.csv")
    # the server answers before the body is read: the connection is not reused
    status, html, _ = await client.post("/staff/signout", form, headers={"Connection": "close"})
    assert status == 413
    assert "Tệp quá lớn" in html and "12 MB" in html

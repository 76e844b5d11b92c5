"""Fixtures for the staff console: the app `vbsp-bot serve` runs (webhook, console, the loopback
fake Bot API), people who hold roles, and a real browser.

`console.sign_in(page, chat)` signs a browser in the way a person does: /web in chat, the link
from the bot's message, the button on the page. Browser tests use Debian's Chromium through
Playwright; where it is missing they are skipped, unless VBSP_REQUIRE_BROWSER=1 (CI) makes that
a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from handlers.core.roles import grant_role
from storage.db import transaction
from tests.bot.conftest import (  # noqa: F401 (fixtures used here)
    Bot,
    api,
    migrate_like_operators,
    shared_content,
    zapi,
)

SCREENSHOTS = Path(__file__).parent / "screenshots"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"(https?://\S+/staff/signin/[A-Za-z0-9_-]+)")
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


class ConsoleClient:
    """A signed-in session without a browser: the cookie and the form token, sent as a browser
    would send them."""

    def __init__(self, url: str, http: aiohttp.ClientSession, cookie: str, csrf: str) -> None:
        self.url, self.http, self.cookie, self.csrf = url, http, cookie, csrf
        self.lang: str | None = None  # the language switch's cookie, once set

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = f"vbsp_staff={self.cookie}" + (f"; vbsp_lang={self.lang}" if self.lang else "")
        return {"Cookie": cookie, **(extra or {})}

    def _keep(self, response: aiohttp.ClientResponse) -> None:
        if "vbsp_lang" in response.cookies:
            self.lang = response.cookies["vbsp_lang"].value

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(
            self.url + path, headers=self._headers(), allow_redirects=False, **kwargs
        ) as response:
            self._keep(response)
            return response.status, await response.text(errors="replace"), response

    async def get_bytes(self, path: str) -> tuple[int, bytes, aiohttp.ClientResponse]:
        async with self.http.get(
            self.url + path, headers=self._headers(), allow_redirects=False
        ) as response:
            return response.status, await response.read(), response

    async def post(
        self,
        path: str,
        data: dict[str, Any] | aiohttp.FormData | None = None,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, aiohttp.ClientResponse]:
        """A form sent, with the session's form token unless ``csrf`` is False."""
        if isinstance(data, aiohttp.FormData):
            form = data
            if csrf:
                form.add_field("csrf", self.csrf)
        else:
            form = aiohttp.FormData()
            for key, value in (data or {}).items():
                for one in value if isinstance(value, list) else [value]:
                    form.add_field(key, str(one))
            if csrf:
                form.add_field("csrf", self.csrf)
        async with self.http.post(
            self.url + path, data=form, headers=self._headers(headers), allow_redirects=False
        ) as response:
            return response.status, await response.text(errors="replace"), response


async def spend_link(http: aiohttp.ClientSession, link: str) -> str | None:
    """Open the link and press its button, as a browser does; the session cookie, or None
    when the page refused (status 410 or 403)."""
    async with http.get(link, allow_redirects=False) as page:
        html = await page.text()
        nonce = page.cookies["vbsp_signin"].value if "vbsp_signin" in page.cookies else ""
    found = CSRF.search(html)
    form = {"csrf": found.group(1)} if found else {}
    async with http.post(
        link, data=form, headers={"Cookie": f"vbsp_signin={nonce}"}, allow_redirects=False
    ) as response:
        if response.status != 303:
            return None
        return response.cookies["vbsp_staff"].value


class Console:
    """The running app, with its chat side (``bot``) and its web side (``url``)."""

    def __init__(self, bot: Bot, http: aiohttp.ClientSession) -> None:
        self.bot, self.http = bot, http
        self.onboarded: set[int] = set()

    @property
    def url(self) -> str:
        return self.bot.url

    @property
    def runtime(self):  # type: ignore[no-untyped-def]
        assert self.bot.runtime is not None
        return self.bot.runtime

    async def onboard(self, chat: int) -> None:
        """The person starts the bot in chat (language, consent), once."""
        if chat in self.onboarded:
            return
        await self.bot.send("/start", chat=chat)
        await self.bot.press("Tiếng Việt", chat=chat)
        await self.bot.press("Tôi đồng ý", chat=chat)
        self.onboarded.add(chat)

    async def grant(self, chat: int, role: str, area: str | None = None) -> None:
        """What `vbsp-bot admin grant telegram:CHAT ROLE [--area AREA]` does."""
        await self.onboard(chat)
        async with transaction(self.runtime.deps.sessions) as session:
            await grant_role(session, "telegram", str(chat), role, area, "cli")

    async def link(self, chat: int) -> str:
        """/web in chat; the sign-in link from the bot's answer."""
        sent = await self.bot.send("/web", chat=chat)
        for message in sent:
            found = LINK.search(message.plain_text)
            if found:
                return found.group(1)
        raise AssertionError(f"no sign-in link in {[m.plain_text for m in sent]}")

    async def spend(self, link: str) -> str | None:
        return await spend_link(self.http, link)

    async def client(self, chat: int) -> ConsoleClient:
        """A session opened with a fresh link, as the sign-in page's button does."""
        link = await self.link(chat)
        cookie = await self.spend(link)
        assert cookie is not None
        client = ConsoleClient(self.url, self.http, cookie, "")
        status, html, response = await client.get("/staff/")
        if status == 303:
            status, html, _ = await client.get(response.headers["Location"])
        assert status == 200, html
        found = CSRF.search(html)
        assert found, "no form token on the first page"
        client.csrf = found.group(1)
        return client

    async def sign_in(self, page: Any, chat: int) -> None:
        """The person sends /web, opens the link in the browser and presses Sign in."""
        link = await self.link(chat)
        await page.goto(link)
        await page.get_by_role("button", name=re.compile("Đăng nhập|Sign in")).click()
        await page.wait_for_url(re.compile(r"/staff/(?!signin).*$"))


@contextlib.asynccontextmanager
async def running_console(api: Any, database_url: str, clock: Any = None) -> AsyncIterator[Console]:  # noqa: F811
    """The app with its console, stopped whatever happens (``clock``: a FakeClock, or None)."""
    await migrate_like_operators(database_url)
    bot = Bot(api, database_url, clock=clock)
    await bot.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Console(bot, http)
    finally:
        await bot.stop()


@pytest.fixture
async def console(api, database_url: str) -> AsyncIterator[Console]:  # noqa: F811
    async with running_console(api, database_url) as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("VBSP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM} (VBSP_REQUIRE_BROWSER=1)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    """A page in a fresh browser context, phone-sized unless a test resizes it."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    try:
        page = await context.new_page()
        errors: list[str] = []

        def on_console(message: Any) -> None:
            # A page answered 400 (a refused form) or 404 is logged as a failed resource;
            # failed resources are judged below, by what they were.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                errors.append(message.text)

        def on_response(response: Any) -> None:
            # A picture, a script, a style sheet or a call of a script that fails is an error
            # of the page; the page itself may answer 4xx on purpose.
            if response.status >= 400 and response.request.resource_type != "document":
                errors.append(f"{response.status} {response.url}")

        page.on("console", on_console)
        page.on("response", on_response)
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        assert not errors, f"the page logged errors (a CSP violation?): {errors}"
    finally:
        await context.close()


async def shot(page: Any, name: str, full_page: bool = True) -> Path:
    """A screenshot in tests/console/screenshots/ (look at it)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path

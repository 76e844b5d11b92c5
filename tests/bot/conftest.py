"""Fixtures for end-to-end tests: the app `vbsp-bot serve` runs, on a real port, against the
loopback fake Bot API; `bot.send(...)` and `bot.press(...)` act as the Telegram user."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot import app
from bot.app import Runtime, running
from bot.config import load_settings
from bot.webhook import build_web_app
from content.loader import DATA_DIR, Content
from storage.db import create_engine, upgrade
from tests.fakes.telegram_api import FakeTelegramAPI, SentMessage
from tests.fakes.zalo_api import FakeZaloAPI

TOKEN = "123456:TEST-token_for-vbsp"
ZALO_TOKEN = "1459232241:zalo-TEST_token"
SECRET = "s3cret-Webhook_token"
CHAT = 5550001


class Bot:
    """The running bot as Telegram sees it: a webhook URL, plus the fake's record of replies."""

    def __init__(self, api: FakeTelegramAPI, database_url: str, clock: Any = None) -> None:
        self.api, self.database_url = api, database_url
        self.clock = clock  # a FakeClock for tests that move time; None for the real one
        self.runtime: Runtime | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self.url = ""
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # The port is taken first, so that PUBLIC_BASE_URL (the staff console's sign-in
        # links) names this very server.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = load_settings(
            database_url=self.database_url,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=self.api.root,
            telegram_webhook_secret=SECRET,
            public_base_url=self.url,
        )
        self._stack = contextlib.AsyncExitStack()
        extra = {"clock": self.clock} if self.clock is not None else {}
        self.runtime = await self._stack.enter_async_context(
            running(settings, telegram="webhook", **extra)
        )
        runner = web.AppRunner(build_web_app(self.runtime))
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        await web.SockSite(runner, sock).start()
        self.http = await self._stack.enter_async_context(aiohttp.ClientSession())

    async def stop(self) -> None:
        assert self._stack is not None
        await self._stack.aclose()

    async def post(self, body: Any, secret: str | None = SECRET, raw: bytes | None = None) -> int:
        assert self.http is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        if raw is not None:
            headers["Content-Type"] = "application/json"
            response = await self.http.post(
                f"{self.url}/telegram/webhook", data=raw, headers=headers
            )
        else:
            response = await self.http.post(
                f"{self.url}/telegram/webhook", json=body, headers=headers
            )
        async with response:
            return response.status

    async def send(self, text: str, chat: int = CHAT) -> list[SentMessage]:
        """The user types ``text``; returns the bot's new messages."""
        before = len(self.api.messages(chat))
        assert await self.post(self.api.make_message(chat, text)) == 200
        return self.api.messages(chat)[before:]

    async def press(self, label: str, chat: int = CHAT) -> list[SentMessage]:
        """The user taps the newest button whose label contains ``label``."""
        for message in reversed(self.api.messages(chat)):
            for row in message.buttons:
                for text, data in row:
                    if label.lower() in text.lower():
                        before = len(self.api.messages(chat))
                        update = self.api.make_callback(chat, data, message.message_id)
                        assert await self.post(update) == 200
                        return self.api.messages(chat)[before:]
        raise AssertionError(f"no button {label!r} in chat {chat}")


def plain(messages: list[SentMessage]) -> str:
    return "\n".join(m.plain_text for m in messages)


def labels(messages: list[SentMessage]) -> list[str]:
    return [text for m in messages for row in m.buttons for text, _ in row]


async def migrate_like_operators(database_url: str) -> None:
    """PostgreSQL is migrated by `vbsp-bot db upgrade` before the bot starts (SQLite at start)."""
    if database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        await upgrade(engine)
        await engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def shared_content(content: Content) -> Iterator[None]:
    """`running()` loads the content as `serve` does at start (about half a second with the
    matcher); here every app shares the session's one, as the dialog tests do. Content is
    read-only once loaded."""
    load = app.load_content

    def load_shared(data_dir: Path = DATA_DIR) -> Content:
        return content if data_dir == DATA_DIR else load(data_dir)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app, "load_content", load_shared)
        yield


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as api:
        yield api
        assert api.rejected == [], "the bot made a request Telegram would refuse"


@pytest.fixture
async def zapi() -> AsyncIterator[FakeZaloAPI]:
    async with FakeZaloAPI(token=ZALO_TOKEN) as api:
        yield api
        assert api.rejected == [], "the bot made a request Zalo would refuse"


@pytest.fixture
async def bot(api: FakeTelegramAPI, database_url: str) -> AsyncIterator[Bot]:
    await migrate_like_operators(database_url)
    bot = Bot(api, database_url)
    await bot.start()
    yield bot
    await bot.stop()

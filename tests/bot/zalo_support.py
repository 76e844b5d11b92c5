"""The running bot as a Zalo user sees it, against the loopback fake Zalo Bot Platform.

`ZaloBot` starts the same app `vbsp-bot serve` (webhook) or `vbsp-bot poll` (long polling)
runs, with the Zalo channel on (and Telegram too when a fake Telegram is given). `send(text)`
delivers a text event the way the mode does (the fake POSTs it to `/zalo/webhook`, or queues
it for getUpdates) and returns the bot's new messages to that user.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import Runtime, running
from bot.config import load_settings
from bot.webhook import build_web_app
from tests.bot.conftest import ZALO_TOKEN, migrate_like_operators
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloAPI, SentMessage

__all__ = ["ZALO_TOKEN", "ZaloBot"]
ZALO_SECRET = "zalo-s3cret_Webhook"
TELEGRAM_TOKEN = "123456:TEST-token_for-vbsp"
TELEGRAM_SECRET = "s3cret-Webhook_token"


def plain(messages: list[SentMessage]) -> str:
    return "\n".join(m.text for m in messages)


# The Zalo tests migrate PostgreSQL the way operators do, like the Telegram ones.
migrate = migrate_like_operators


class ZaloBot:
    def __init__(
        self,
        api: FakeZaloAPI,
        database_url: str,
        mode: str = "webhook",
        *,
        clock: Any = None,
        telegram: FakeTelegramAPI | None = None,
        send_rate: float = 1000,
    ) -> None:
        self.api, self.database_url, self.mode = api, database_url, mode
        self.clock, self.telegram, self.send_rate = clock, telegram, send_rate
        self.runtime: Runtime | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self.url = ""
        self.user = api.new_user()

    @property
    def channel(self):  # type: ignore[no-untyped-def]
        assert self.runtime is not None and self.runtime.zalo is not None
        return self.runtime.zalo

    async def start(self) -> None:
        # The port is taken first, so that PUBLIC_BASE_URL (the staff console's sign-in
        # links) names this very server.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        values: dict[str, Any] = {
            "public_base_url": self.url,
            "database_url": self.database_url,
            "zalo_bot_token": ZALO_TOKEN,
            "zalo_api_base_url": self.api.root,
            "zalo_webhook_secret": ZALO_SECRET,
            "send_rate_per_second": self.send_rate,
        }
        if self.telegram is not None:
            values |= {
                "telegram_bot_token": TELEGRAM_TOKEN,
                "telegram_api_base_url": self.telegram.root,
                "telegram_webhook_secret": TELEGRAM_SECRET,
            }
        settings = load_settings(**values)
        self._stack = contextlib.AsyncExitStack()
        extra = {"clock": self.clock} if self.clock is not None else {}
        self.runtime = await self._stack.enter_async_context(
            running(
                settings,
                zalo=self.mode,
                telegram="webhook" if self.telegram is not None else None,
                **extra,
            )
        )
        self.channel.poll_interval = 0.02  # tests do not wait a second between polls
        self.channel.poll_timeout = 1
        runner = web.AppRunner(build_web_app(self.runtime))
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        await web.SockSite(runner, sock).start()
        if self.mode == "webhook":
            self.api.use_webhook(f"{self.url}/zalo/webhook", ZALO_SECRET)

    async def stop(self) -> None:
        assert self._stack is not None
        await self._stack.aclose()

    async def deliver(self, event: dict[str, Any], user: str | None = None, events: int = 1):
        """Hand ``event`` to the bot as Zalo would; the bot's new messages to ``user``."""
        user = user or event["message"]["from"]["id"]
        before = len(self.api.messages(user))
        if self.mode == "webhook":
            assert await self.api.push(event) == 200
        else:
            handled = self.channel.events_handled
            self.api.enqueue(event)
            for _ in range(500):
                if self.channel.events_handled >= handled + events:
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("the poller did not handle the event in 5 s")
        return self.api.messages(user)[before:]

    async def send(self, text: str, user: str | None = None) -> list[SentMessage]:
        """The user types ``text``; returns the bot's new messages."""
        user = user or self.user
        return await self.deliver(self.api.text_event(user, text), user)

    async def post(self, body: bytes, secret: str | None = ZALO_SECRET) -> int:
        """POST raw bytes to /zalo/webhook (for refusals); returns the status."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Bot-Api-Secret-Token"] = secret
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.url}/zalo/webhook", data=body, headers=headers) as response,
        ):
            return response.status

"""The running bot as a Zalo Official Account follower sees it, against the strict fake OA.

`OaBot` starts the same app `vbsp-bot serve` runs, with the OA channel on, its API and
OAuth roots pointed at the loopback `FakeZaloOA`, and registers `/zalo-oa/webhook` there.
`send(text)` has the fake POST a signed ``user_send_text`` event, `press(title)` press a
button of the last message (the fake sends its payload back as Zalo does for
``oa.query.hide``); both return the bot's new messages to that user.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import Runtime, running
from bot.config import load_settings
from bot.webhook import build_web_app
from tests.bot.conftest import migrate_like_operators
from tests.fakes.zalo_oa_api import FakeZaloOA, SentMessage

__all__ = ["OaBot", "buttons", "migrate", "plain"]

migrate = migrate_like_operators


def plain(messages: list[SentMessage]) -> str:
    return "\n".join(m.text for m in messages)


def buttons(messages: list[SentMessage]) -> list[str]:
    """The titles of every button shown, in order."""
    return [title for m in messages for title, _, _ in m.buttons]


class OaBot:
    def __init__(
        self, oa: FakeZaloOA, database_url: str, *, clock: Any = None, send_rate: float = 1000
    ) -> None:
        self.oa, self.database_url, self.clock, self.send_rate = oa, database_url, clock, send_rate
        self.runtime: Runtime | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self.url = ""
        self.user = oa.new_user()
        self._answer_start: dict[str, int] = {}  # where each user's last answer begins

    @property
    def channel(self):  # type: ignore[no-untyped-def]
        assert self.runtime is not None and self.runtime.zalo_oa is not None
        return self.runtime.zalo_oa

    async def start(self, **settings: Any) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        values: dict[str, Any] = {
            "public_base_url": self.url,
            "database_url": self.database_url,
            "zalo_oa_app_id": self.oa.app_id,
            "zalo_oa_app_secret": self.oa.app_secret,
            "zalo_oa_secret_key": self.oa.oa_secret_key,
            "zalo_oa_refresh_token": self.oa.issue_refresh_token(),
            "zalo_oa_api_base_url": self.oa.root,
            "zalo_oa_oauth_base_url": self.oa.root,
            "zalo_zns_api_base_url": self.oa.root,
            "send_rate_per_second": self.send_rate,
        }
        values.update(settings)
        self._stack = contextlib.AsyncExitStack()
        extra = {"clock": self.clock} if self.clock is not None else {}
        self.runtime = await self._stack.enter_async_context(
            running(load_settings(**values), zalo_oa="webhook", **extra)
        )
        runner = web.AppRunner(build_web_app(self.runtime))
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        await web.SockSite(runner, sock).start()
        self.oa.use_webhook(f"{self.url}/zalo-oa/webhook")

    async def stop(self) -> None:
        assert self._stack is not None
        await self._stack.aclose()

    async def push(self, event: dict[str, Any], user: str | None = None) -> list[SentMessage]:
        """Zalo delivers ``event`` (it must be taken: 200); the bot's new messages."""
        return await self._after(user or self.user, self.oa.push(event))

    async def send(self, text: str, user: str | None = None) -> list[SentMessage]:
        """The user types ``text``."""
        user = user or self.user
        return await self.push(self.oa.text_event(user, text), user)

    async def press(self, title: str, user: str | None = None) -> list[SentMessage]:
        """The user presses the button ``title`` in the bot's last answer (a reply's buttons
        may be spread over two messages): Zalo sends the button's payload back as text."""
        user = user or self.user
        sent = self.oa.messages(user)
        answer = sent[self._answer_start.get(user, 0) :]
        if len(answer) <= 1 or any(t == title for t, _, _ in answer[-1].buttons):
            return await self._after(user, self.oa.press(user, title))
        for message in reversed(answer):
            for button_title, kind, payload in message.buttons:
                if button_title == title:
                    assert kind == "oa.query.hide", kind
                    return await self.push(self.oa.text_event(user, str(payload)), user)
        raise LookupError(f"no button {title!r} in the last answer: {buttons(answer)}")

    async def _after(self, user: str, pushed: Any) -> list[SentMessage]:
        before = len(self.oa.messages(user))
        self._answer_start[user] = before
        status = await pushed
        assert status == 200, status
        # The webhook answers Zalo after 1.5 s at most, whatever the handling takes (a busy
        # machine): wait for the handling itself, not for the answer.
        await self.channel.idle()
        return self.oa.messages(user)[before:]

    async def settle(self, pushed: Any) -> int:
        """The status of a push, once the bot has finished handling it."""
        status = await pushed
        await self.channel.idle()
        return int(status)

    async def post(self, raw: bytes, headers: dict[str, str]) -> int:
        """POST raw bytes to /zalo-oa/webhook; the status."""
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.url}/zalo-oa/webhook", data=raw, headers=headers) as response,
        ):
            return response.status

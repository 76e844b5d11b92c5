"""A loopback fake of the Zalo Bot Platform API for end-to-end tests.

A small aiohttp server on 127.0.0.1 (a free port) that answers ``/bot{token}/{method}`` as
the real platform does, as far as it is documented (shared/facts/zalo-api.md; the design
follows its §3), and rejects what the real one rejects. The bot's own client
(bot/zalo_api.py) talks to it as to Zalo.

Usage::

    async with FakeZaloAPI() as api:
        event = api.text_event(api.new_user(), "xin chào")   # flat {event_name, message}
        api.enqueue(event)                                   # served by getUpdates
        status = await api.push(event)                       # or POSTed to the webhook set
        assert api.last_message(user).text == "…"
        assert api.rejected == []

What it checks:

* the token (``^\\d+:[\\w-]+$`` and the configured one): otherwise HTTP 401
  ``{"ok":false,"error_code":401,"description":"Unauthorized"}`` (the real body is not
  published: ``unauthorized`` changes it); method names are case-sensitive, an unknown one
  is 404 ``Not Found``;
* 400 ``{ok:false,error_code:400,description}`` when ``chat_id`` or ``text`` is missing, a text
  or caption is outside 1..2000 characters (counted in UTF-16 code units, as strict as any
  count Zalo could use), a photo URL is not http(s), ``action`` is not ``typing``, a webhook
  ``secret_token`` is outside 8..256 characters or its URL is not https (``allow_http_webhook``
  lets tests register a loopback http URL);
* sends to a user who never wrote to the bot: 400 ``chat not found``; to a user who blocked
  it (``block``): 403;
* ``getUpdates``: one event per call as ``{ok:true,result:{event_name,message}}``, held up to
  ``timeout`` seconds (int or string), then HTTP 408 ``Request timeout`` (counted in
  ``idle_polls``, not in ``rejected``: it is no fault of the caller); refused while a
  webhook is set; ``replays`` re-serves each event that many more times, as a busy queue does;
* a monthly quota (``monthly_quota``, 3,000 on the free plan) after which sends are refused.

Success shapes follow §1.3: ``message_id`` is 20 lowercase hex, ``date`` and ``updated_at``
are epoch milliseconds, ``sendChatAction`` answers ``{"ok": true}`` with no result.

Fault injection: ``fail_next(method, status=429, retry_after=3)``, any 5xx, ``raw=`` a body that
is not JSON, ``ok_false_200=True`` (an error inside HTTP 200). Recording: ``calls``,
``rejected``, ``messages(user)``, ``last_message(user)``, ``calls_to``, ``wait_for_calls``,
``deliveries`` (webhook pushes and the status the bot answered). Images: ``serve_image``
gives a loopback URL (no token needed, as zdn.vn), ``expire_image`` makes it 404.

Not modelled: groups beyond the ``chat_type`` field, ``sendSticker``/``sendVoice``,
``text_styles``/``parse_mode`` (text is stored literally), per-second rate limits (use
``fail_next``), retries of a webhook push that failed (unpublished).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

JSONDict = dict[str, Any]

TEXT_LIMIT = 2000
FREE_PLAN_QUOTA = 3000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
_TOKEN_RE = re.compile(r"^\d+:[\w-]+$")
_METHODS = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "sendPhoto",
    "sendChatAction",
)
WEBHOOK_CONFLICT = "Conflict: webhook is active; call deleteWebhook before getUpdates"
QUOTA_EXCEEDED = "Monthly message quota exceeded"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def new_hex_id() -> str:
    return secrets.token_hex(10)  # 20 lowercase hex digits, like Zalo's ids


def now_ms() -> int:
    return int(time.time() * 1000)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        raw: bytes | None = None,
        ok_false_200: bool = False,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.raw = raw
        self.ok_false_200 = ok_false_200

    def response(self) -> web.Response:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        if self.raw is not None:
            return web.Response(body=self.raw, status=self.status, headers=headers)
        body = {"ok": False, "error_code": self.status, "description": self.description}
        return web.json_response(
            body, status=200 if self.ok_false_200 else self.status, headers=headers
        )


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class Call:
    method: str
    params: JSONDict


@dataclass
class Rejected:
    method: str
    params: JSONDict
    status: int
    description: str


@dataclass
class SentMessage:
    """Something the bot sent to a chat."""

    chat_id: str
    message_id: str
    date: int
    text: str  # the caption for photos
    kind: str = "text"  # "text" or "photo"
    photo: str | None = None


@dataclass
class Delivery:
    """A webhook push: what the fake POSTed and the status the bot answered."""

    event: JSONDict
    status: int


@dataclass
class _Image:
    data: bytes
    content_type: str
    expired: bool = False


class FakeZaloAPI:
    """An in-process Zalo Bot Platform; see the module docstring."""

    def __init__(
        self,
        token: str = "1459232241:zalo-TEST_token",
        *,
        allow_http_webhook: bool = False,
        webhook_info_404: bool = True,
        monthly_quota: int = FREE_PLAN_QUOTA,
        unauthorized: tuple[int, str] = (401, "Unauthorized"),
    ) -> None:
        self.token = token
        self.allow_http_webhook = allow_http_webhook
        self.webhook_info_404 = webhook_info_404
        self.monthly_quota = monthly_quota
        self.unauthorized = unauthorized
        self.bot_id = token.split(":", 1)[0]
        self.replays = 0
        self.calls: list[Call] = []
        self.rejected: list[Rejected] = []
        self._redirects: list[str] = []
        self.idle_polls = 0  # getUpdates answered 408 (nothing came within its timeout)
        self.deliveries: list[Delivery] = []
        self.downloads: list[str] = []  # the URL of every picture the bot downloaded
        self.sent_this_month = 0
        self._sent: dict[str, list[SentMessage]] = defaultdict(list)
        self._known: set[str] = set()
        self._blocked: set[str] = set()
        self._failures: dict[str, deque[ApiError]] = defaultdict(deque)
        self._queue: deque[JSONDict] = deque()
        self._served: dict[int, int] = {}
        self._queued = asyncio.Event()
        self._call_event = asyncio.Event()
        self._webhook: tuple[str, str, int] | None = None  # url, secret, updated_at
        self._images: dict[str, _Image] = {}
        self._image_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._client: Any = None
        self.root = ""

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/media/{name}", self._image)
        app.router.add_get("/moved/{n}", self._moved)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.root = f"http://{host}:{port}"

    async def close(self) -> None:
        self._queued.set()  # release long polls
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeZaloAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- test controls -----------------------------------------------------------------

    def new_user(self) -> str:
        """A new user id (20 hex), known to the fake as if they had written to the bot."""
        user = new_hex_id()
        self._known.add(user)
        return user

    def block(self, user_id: str) -> None:
        """Sends to this user now fail with 403, as for a user who blocked the bot."""
        self._blocked.add(user_id)

    def unblock(self, user_id: str) -> None:
        self._blocked.discard(user_id)

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        raw: bytes | None = None,
        ok_false_200: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this error instead."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                429: "Too Many Requests",
                401: "Unauthorized",
                403: "Forbidden",
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
            }.get(status, "Error")
        for _ in range(times):
            self._failures[method].append(
                ApiError(
                    status, description, retry_after=retry_after, raw=raw, ok_false_200=ok_false_200
                )
            )

    def use_webhook(self, url: str, secret: str) -> None:
        """Register a webhook directly (as setWebhook does, loopback http allowed)."""
        self._webhook = (url, secret, now_ms())

    @property
    def webhook_url(self) -> str:
        return self._webhook[0] if self._webhook else ""

    @property
    def webhook_secret(self) -> str:
        return self._webhook[1] if self._webhook else ""

    # ---- inspection --------------------------------------------------------------------

    def messages(self, user_id: str) -> list[SentMessage]:
        return list(self._sent.get(user_id, []))

    def last_message(self, user_id: str) -> SentMessage | None:
        sent = self._sent.get(user_id)
        return sent[-1] if sent else None

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def wait_for_calls(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(found := self.calls_to(method)) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{method} called {len(found)} times, expected {count}")
            self._call_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._call_event.wait(), remaining)
        return found

    # ---- event builders ----------------------------------------------------------------

    def _event(
        self,
        name: str,
        user_id: str,
        fields: JSONDict,
        *,
        display_name: str = "Nguyễn Văn An",
        chat_type: str = "PRIVATE",
        message_id: str | None = None,
    ) -> JSONDict:
        self._known.add(user_id)
        message: JSONDict = {
            "message_id": message_id or new_hex_id(),
            "date": now_ms(),
            "chat": {"id": user_id, "chat_type": chat_type},
            "from": {"id": user_id, "display_name": display_name, "is_bot": False},
            **fields,
        }
        return {"event_name": name, "message": message}

    def text_event(self, user_id: str, text: str, **kw: Any) -> JSONDict:
        return self._event("message.text.received", user_id, {"text": text}, **kw)

    def image_event(
        self, user_id: str, url: str, caption: str | None = None, **kw: Any
    ) -> JSONDict:
        fields: JSONDict = {"photo_url": url, "message_type": "CHAT_PHOTO"}
        if caption is not None:
            fields["caption"] = caption
        return self._event("message.image.received", user_id, fields, **kw)

    def sticker_event(
        self, user_id: str, sticker: str = "bfe458bf64fa8da4d4eb", **kw: Any
    ) -> JSONDict:
        fields = {
            "sticker": sticker,
            "url": f"https://zalo-api.zadn.vn/api/emoticon/sticker/{sticker}",
        }
        return self._event("message.sticker.received", user_id, fields, **kw)

    def voice_event(self, user_id: str, **kw: Any) -> JSONDict:
        fields = {"voice_url": f"{self.root}/media/voice.aac", "message_type": "CHAT_VOICE"}
        return self._event("message.voice.received", user_id, fields, **kw)

    def unsupported_event(self, user_id: str, **kw: Any) -> JSONDict:
        return self._event("message.unsupported.received", user_id, {}, **kw)

    @staticmethod
    def wrapped(event: JSONDict) -> JSONDict:
        """The documented sample's shape: ``{ok: true, result: event}``."""
        return {"ok": True, "result": event}

    def enqueue(self, event: JSONDict) -> None:
        """Serve ``event`` through getUpdates (and wake a waiting long poll)."""
        self._queue.append(event)
        self._queued.set()

    async def push(
        self,
        event: JSONDict | None,
        *,
        wrapped: bool = False,
        secret: str | None = None,
        raw: bytes | None = None,
    ) -> int:
        """POST an event to the webhook set, as Zalo does; returns the bot's HTTP status."""
        import aiohttp

        if self._webhook is None:
            raise LookupError("no webhook is set")
        url, stored, _ = self._webhook
        if self._client is None:
            self._client = aiohttp.ClientSession()
        headers = {SECRET_HEADER: stored if secret is None else secret}
        if raw is not None:
            body = raw
        else:
            body = json.dumps(self.wrapped(event) if wrapped else event).encode()
            headers["Content-Type"] = "application/json"
        async with self._client.post(url, data=body, headers=headers) as response:
            status = response.status
        self.deliveries.append(Delivery(event or {}, status))
        return status

    def serve_image(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """A public loopback URL serving ``data`` (like zdn.vn, no token needed)."""
        name = f"img{next(self._image_ids)}.jpg"
        self._images[name] = _Image(data, content_type)
        return f"{self.root}/media/{name}"

    def redirect_to(self, target: str) -> str:
        """A URL on this server that answers 302 to ``target`` (a CDN hop, or an attack)."""
        self._redirects.append(target)
        return f"{self.root}/moved/{len(self._redirects) - 1}"

    def expire_image(self, url: str) -> None:
        self._images[url.rsplit("/", 1)[-1]].expired = True

    # ---- HTTP --------------------------------------------------------------------------

    async def _moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(self._redirects[int(request.match_info["n"])])

    async def _image(self, request: web.Request) -> web.Response:
        image = self._images.get(request.match_info["name"])
        if image is None or image.expired:
            return web.Response(status=404, text="Not Found")
        self.downloads.append(str(request.url))
        return web.Response(body=image.data, content_type=image.content_type)

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        try:
            params = await _read_params(request)
        except ValueError:
            params = {}
        self.calls.append(Call(method, params))
        self._call_event.set()
        try:
            if not _TOKEN_RE.fullmatch(token) or token != self.token:
                raise ApiError(*self.unauthorized)
            if method not in _METHODS:
                raise ApiError(404, "Not Found")
            failures = self._failures.get(method)
            if failures:
                raise failures.popleft()
            result = await getattr(self, "_" + _snake(method))(params)
        except ApiError as err:
            if not (method == "getUpdates" and err.status == 408):
                self.rejected.append(Rejected(method, params, err.status, err.description))
            return err.response()
        if result is _NO_RESULT:
            return web.json_response({"ok": True})
        return web.json_response({"ok": True, "result": result})

    # ---- methods -----------------------------------------------------------------------

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            "id": self.bot_id,
            "account_name": "bot.VbspTest",
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    def _chat(self, params: JSONDict) -> str:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is required")
        chat_id = str(chat_id)
        if chat_id not in self._known:
            raise bad_request("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: the user has blocked the bot")
        return chat_id

    def _count_send(self) -> None:
        if self.sent_this_month >= self.monthly_quota:
            raise ApiError(429, QUOTA_EXCEEDED)
        self.sent_this_month += 1

    def _store(self, message: SentMessage) -> JSONDict:
        self._sent[message.chat_id].append(message)
        return {"message_id": message.message_id, "date": message.date}

    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise bad_request("text is required")
        if utf16_len(text) > TEXT_LIMIT:
            raise bad_request(f"text must be 1-{TEXT_LIMIT} characters")
        self._count_send()
        return self._store(SentMessage(chat_id, new_hex_id(), now_ms(), text))

    async def _send_photo(self, params: JSONDict) -> JSONDict:
        chat_id = self._chat(params)
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo.startswith(("http://", "https://")):
            raise bad_request("photo must be an http(s) URL")
        caption = params.get("caption")
        if caption is not None and (
            not isinstance(caption, str) or not 1 <= utf16_len(caption) <= TEXT_LIMIT
        ):
            raise bad_request(f"caption must be 1-{TEXT_LIMIT} characters")
        self._count_send()
        return self._store(
            SentMessage(chat_id, new_hex_id(), now_ms(), caption or "", "photo", photo)
        )

    async def _send_chat_action(self, params: JSONDict) -> object:
        self._chat(params)
        if params.get("action") != "typing":
            raise bad_request("action must be typing")
        return _NO_RESULT

    async def _set_webhook(self, params: JSONDict) -> JSONDict:
        url, secret = params.get("url"), params.get("secret_token")
        schemes = ("https://", "http://") if self.allow_http_webhook else ("https://",)
        if not isinstance(url, str) or not url.startswith(schemes):
            raise bad_request("url must be an HTTPS URL")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise bad_request("secret_token must be 8-256 characters")
        self._webhook = (url, secret, now_ms())
        return {"url": url, "updated_at": self._webhook[2]}

    async def _delete_webhook(self, params: JSONDict) -> JSONDict:
        self._webhook = None
        return {"url": "", "updated_at": now_ms()}

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        if self._webhook is None:
            if self.webhook_info_404:
                raise ApiError(404, "Not Found")
            return {"url": "", "updated_at": now_ms()}
        return {"url": self._webhook[0], "updated_at": self._webhook[2]}

    async def _get_updates(self, params: JSONDict) -> JSONDict:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        raw = params.get("timeout", 30)
        try:
            wait = float(raw)
        except (TypeError, ValueError):
            raise bad_request("timeout must be a number of seconds") from None
        if not self._queue:
            self._queued.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queued.wait(), max(0.0, min(wait, 60.0)))
        if not self._queue:
            self.idle_polls += 1  # Zalo's normal answer to an idle long poll, not a refusal
            raise ApiError(408, "Request timeout")
        event = self._queue.popleft()
        # A busy queue replays what it delivered: the same event again, at once.
        served = self._served.get(id(event), 0) + 1
        self._served[id(event)] = served
        if served <= self.replays:
            self._queue.appendleft(event)
        return event


_NO_RESULT = object()


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


async def _read_params(request: web.Request) -> JSONDict:
    params: JSONDict = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("body is not an object")
            params.update(body)
        else:
            params.update(await request.post())
    return params

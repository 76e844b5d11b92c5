"""A loopback fake of the Zalo Official Account API v3, ZNS and OAuth v4, for the tests.

One aiohttp server on 127.0.0.1 (a free port) serves the three roots at once, so that the
settings ``ZALO_OA_API_BASE_URL``, ``ZALO_OA_OAUTH_BASE_URL`` and ``ZALO_ZNS_API_BASE_URL``
can all be ``fake.root``. It answers as the real servers do as far as they are documented
(shared/facts/zalo-api.md §2, and /work/notes/oa-core-api.md for the limits and codes), and
refuses what they refuse. The bot's own client (bot/zalo_oa_api.py) talks to it as to Zalo.

Usage::

    async with FakeZaloOA() as oa:
        refresh = oa.issue_refresh_token()                 # what ZALO_OA_REFRESH_TOKEN holds
        user = oa.new_user()                               # interacted just now
        oa.use_webhook(bot_url)
        status = await oa.push(oa.text_event(user, "xin chào"))   # signed, as Zalo does
        message = oa.messages(user)[-1]       # .text, .buttons: [(title, type, payload)]
        await oa.press(user, "Chương trình vay")           # the oa.query.hide payload comes back
        oa.advance(days=8)                                 # the clock; now sends get -230

What it checks:

* ``/v3.0/oa/message/cs`` and ``/message/template``: the ``access_token`` header must be a
  token it issued and not expired, else ``-216`` (``expired_code`` changes the code for an
  expired one); ``-230`` when the user's last interaction is over 7 days old; ``-213`` for a
  user who blocked the OA (``block``); ``-201`` for a malformed body, an unknown user, a text
  over 2,000 characters (UTF-16 units, as strict as any count Zalo could use), more than 5
  buttons, a title over 100 or a payload over 1,000 characters, an unknown button type;
* ZNS: ``-108`` a phone that is not ``84`` + 9 digits, ``-109`` an unknown template,
  ``-111`` empty data, ``-112`` missing or extra parameters or a value over its length,
  ``-118`` a number with no Zalo account (``zns_no_account``), ``-144`` the daily quota
  (``zns_daily_quota``) used up;
* ``/v4/oa/access_token``: form-encoded, ``secret_key`` header = the app secret, ``app_id``;
  a refresh token is single-use (a reused or unknown one: ``-14014``), lasts 90 days; the
  access token lasts 90000 s (``expires_in`` is the string ``"90000"``); a code is single-use,
  valid 10 minutes, and its PKCE verifier must hash (S256) to the challenge (``-14019``);
* ``/v4/oa/permission``: the admin's consent page; answers 302 to ``redirect_uri`` with
  ``code``, ``oa_id`` and ``state``, as if the admin had pressed "allow".

Every answer is HTTP 200 with ``{"error": n, "message": …}`` (Zalo puts its errors in the
body); ``fail_next`` injects anything else. Recorded: ``calls``, ``rejected``,
``messages(user)``, ``zns_sent``, ``refresh_uses`` (how often each refresh token was
presented), ``deliveries`` (webhook pushes and the bot's status).

Error codes and button limits marked uncertain in docs/zalo-oa.md are uncertain here too:
the fake is as strict as the strictest reading.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import re
import secrets
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

JSONDict = dict[str, Any]
Clock = Callable[[], dt.datetime]

TEXT_LIMIT = 2000
MAX_BUTTONS = 5
TITLE_LIMIT = 100
PAYLOAD_LIMIT = 1000
MAX_LIST_ELEMENTS = 5
WINDOW = dt.timedelta(days=7)
ACCESS_LIFE = 90000  # seconds (25 hours)
REFRESH_LIFE = dt.timedelta(days=90)
CODE_LIFE = dt.timedelta(minutes=10)
ZNS_DAILY_QUOTA = 500
BUTTON_TYPES = ("oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.sms", "oa.open.phone")
QUERY_TYPES = ("oa.query.show", "oa.query.hide")

# Error codes (see the module docstring).
E_TOKEN = -216
E_PARAM = -201
E_BLOCKED = -213
E_WINDOW = -230
E_PHONE = -108
E_TEMPLATE = -109
E_DATA_EMPTY = -111
E_DATA = -112
E_NO_ACCOUNT = -118
E_ZNS_QUOTA = -144
E_OAUTH_GRANT = -14014
E_OAUTH_VERIFIER = -14019
E_OAUTH_APP = -14002

SIGNATURE_HEADER = "X-ZEvent-Signature"
TIMESTAMP_HEADER = "X-ZEvent-Timestamp"
_PHONE_RE = re.compile(r"^84\d{9}$")

MESSAGES = {
    E_TOKEN: "Access token is invalid",
    E_PARAM: "Parameters are invalid",
    E_BLOCKED: "User has blocked or not followed the official account",
    E_WINDOW: "User has not interacted with the OA in the past 7 days",
    E_PHONE: "Phone number invalid",
    E_TEMPLATE: "Template ID invalid",
    E_DATA_EMPTY: "Template data empty",
    E_DATA: "Template data invalid",
    E_NO_ACCOUNT: "Zalo account not existed",
    E_ZNS_QUOTA: "OA has exceeded the daily quota",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (base64url, no padding)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def signature(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """Zalo's webhook mac: a plain SHA-256 of the concatenation (not an HMAC)."""
    return hashlib.sha256(
        app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()
    ).hexdigest()


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


class OaFault(Exception):
    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        status: int = 200,
        raw: bytes | None = None,
        extra: JSONDict | None = None,
    ) -> None:
        super().__init__(message or MESSAGES.get(code, "Error"))
        self.code = code
        self.message = message or MESSAGES.get(code, "Error")
        self.status = status
        self.raw = raw
        self.extra = extra or {}

    def response(self) -> web.Response:
        if self.raw is not None:
            return web.Response(body=self.raw, status=self.status)
        return web.json_response(
            {"error": self.code, "message": self.message, **self.extra}, status=self.status
        )


@dataclass
class Call:
    endpoint: str  # "cs", "zns", "token", "permission"
    headers: dict[str, str]
    body: JSONDict
    at: dt.datetime


@dataclass
class Rejected:
    endpoint: str
    body: JSONDict
    code: int
    message: str


@dataclass
class SentMessage:
    """A customer-service message the bot sent."""

    user_id: str
    message_id: str
    at: dt.datetime
    text: str  # "" when the message has no text (a picture, a list)
    buttons: list[tuple[str, str, Any]]  # (title, type, payload)
    template_type: str | None  # None, "media", "list", "request_user_info", "button"
    elements: list[JSONDict]
    raw: JSONDict  # the whole ``message`` object


@dataclass
class ZnsSent:
    phone: str
    template_id: str
    template_data: dict[str, str]
    tracking_id: str
    msg_id: str
    at: dt.datetime


@dataclass
class Delivery:
    event: JSONDict
    status: int


@dataclass
class _User:
    last_interaction: dt.datetime | None
    follower: bool = True
    blocked: bool = False


@dataclass
class _Code:
    challenge: str
    redirect_uri: str
    issued: dt.datetime


@dataclass
class _Image:
    data: bytes
    content_type: str
    expired: bool = False


@dataclass
class _Template:
    params: tuple[str, ...]
    max_length: dict[str, int]


class FakeZaloOA:
    """An in-process Zalo OA + ZNS + OAuth; see the module docstring."""

    def __init__(
        self,
        *,
        app_id: str = "3108562215416438841",
        app_secret: str = "FakeAppSecret-0123456789",
        oa_secret_key: str = "FakeOaSecretKey-abcdefghij",
        oa_id: str = "2017489230412563211",
        clock: Clock | None = None,
        expired_code: int = E_TOKEN,
        zns_daily_quota: int = ZNS_DAILY_QUOTA,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.oa_secret_key = oa_secret_key
        self.oa_id = oa_id
        self._clock = clock or _system_clock
        self._fixed: dt.datetime | None = None
        self.expired_code = expired_code
        self.zns_daily_quota = zns_daily_quota
        self.calls: list[Call] = []
        self.rejected: list[Rejected] = []
        self.zns_sent: list[ZnsSent] = []
        self.deliveries: list[Delivery] = []
        self.downloads: list[str] = []
        self.refresh_uses: Counter[str] = Counter()
        self.hold_refresh: asyncio.Event | None = None  # set: refreshes wait for it
        self.hold_images: asyncio.Event | None = None  # set: picture downloads wait for it
        self._users: dict[str, _User] = {}
        self._sent: dict[str, list[SentMessage]] = defaultdict(list)
        self._access: dict[str, dt.datetime] = {}
        self._refresh: dict[str, dt.datetime] = {}
        self._spent: set[str] = set()
        self._codes: dict[str, _Code] = {}
        self._templates: dict[str, _Template] = {}
        self._zns_no_account: set[str] = set()
        self._zns_day: dict[dt.date, int] = defaultdict(int)
        self._failures: dict[str, deque[OaFault]] = defaultdict(deque)
        self._images: dict[str, _Image] = {}
        self._image_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._call_event = asyncio.Event()
        self._webhook: str | None = None
        self._runner: web.AppRunner | None = None
        self._client: Any = None
        self.root = ""

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/message/template", self._zns)
        app.router.add_post("/v4/oa/access_token", self._token)
        app.router.add_get("/v4/oa/permission", self._permission)
        app.router.add_get("/media/{name}", self._image)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.root = f"http://{host}:{port}"

    async def close(self) -> None:
        for hold in (self.hold_refresh, self.hold_images):
            if hold is not None:
                hold.set()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeZaloOA:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- the clock ---------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self._fixed if self._fixed is not None else self._clock()

    def set_time(self, moment: dt.datetime) -> None:
        """Stop the fake's clock at ``moment`` (aware)."""
        if moment.tzinfo is None:
            raise ValueError("an aware datetime, please")
        self._fixed = moment

    def advance(self, seconds: float = 0, *, days: float = 0, hours: float = 0) -> None:
        """Move the fake's clock on (it stops at the moment reached)."""
        self._fixed = self.now() + dt.timedelta(seconds=seconds, days=days, hours=hours)

    # ---- users -------------------------------------------------------------------------

    def _new_id(self) -> str:
        # OA user ids are long decimal strings (user_id_by_app is another one).
        return str(8_000_000_000_000_000_000 + secrets.randbelow(10**18))

    def new_user(self, *, interacted: dt.datetime | None = None, follower: bool = True) -> str:
        """A user who wrote to the OA at ``interacted`` (default: now)."""
        user = self._new_id()
        self._users[user] = _User(interacted or self.now(), follower)
        return user

    def set_last_interaction(self, user_id: str, moment: dt.datetime | None) -> None:
        self._user(user_id).last_interaction = moment

    def last_interaction(self, user_id: str) -> dt.datetime | None:
        return self._user(user_id).last_interaction

    def block(self, user_id: str) -> None:
        """Sends to this user now get -213 (blocked the OA)."""
        self._user(user_id).blocked = True

    def unblock(self, user_id: str) -> None:
        self._user(user_id).blocked = False

    def is_follower(self, user_id: str) -> bool:
        return self._user(user_id).follower

    def _user(self, user_id: str) -> _User:
        return self._users.setdefault(user_id, _User(None))

    # ---- tokens ------------------------------------------------------------------------

    def issue_refresh_token(self) -> str:
        """A fresh refresh token (as the first grant would give), for ZALO_OA_REFRESH_TOKEN."""
        token = "rt_" + secrets.token_urlsafe(24)
        self._refresh[token] = self.now() + REFRESH_LIFE
        return token

    def issue_access_token(self, life: float = ACCESS_LIFE) -> str:
        token = "at_" + secrets.token_urlsafe(24)
        self._access[token] = self.now() + dt.timedelta(seconds=life)
        return token

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now expired (sends with one get -216)."""
        for token in self._access:
            self._access[token] = self.now() - dt.timedelta(seconds=1)

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token is now refused (the grant was withdrawn)."""
        self._spent.update(self._refresh)
        self._refresh.clear()

    @property
    def access_tokens(self) -> list[str]:
        """Access tokens still valid, oldest first."""
        now = self.now()
        return [t for t, until in self._access.items() if until > now]

    @property
    def refresh_tokens(self) -> list[str]:
        """Refresh tokens not spent and not expired."""
        now = self.now()
        return [t for t, until in self._refresh.items() if until > now]

    # ---- ZNS ---------------------------------------------------------------------------

    def add_template(
        self,
        template_id: str,
        params: list[str] | tuple[str, ...],
        max_length: dict[str, int] | None = None,
    ) -> None:
        """An approved ZNS template with these parameter names; ``max_length`` is each
        parameter's limit as set when the template was made (Zalo: customer_name is 30)."""
        self._templates[str(template_id)] = _Template(tuple(params), dict(max_length or {}))

    def zns_no_account(self, phone: str) -> None:
        """ZNS to this number gets -118 (no Zalo account)."""
        self._zns_no_account.add(phone)

    # ---- faults ------------------------------------------------------------------------

    def fail_next(
        self,
        endpoint: str,
        code: int = -32,
        message: str | None = None,
        *,
        status: int = 200,
        raw: bytes | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls to ``endpoint`` ("cs", "zns", "token") with this
        error (``raw``: that body instead, e.g. an HTML 502 page)."""
        if endpoint not in ("cs", "zns", "token"):
            raise ValueError(f"unknown endpoint {endpoint!r}")
        for _ in range(times):
            self._failures[endpoint].append(OaFault(code, message, status=status, raw=raw))

    # ---- inspection --------------------------------------------------------------------

    def messages(self, user_id: str) -> list[SentMessage]:
        return list(self._sent.get(user_id, []))

    def last_message(self, user_id: str) -> SentMessage | None:
        sent = self._sent.get(user_id)
        return sent[-1] if sent else None

    def calls_to(self, endpoint: str) -> list[Call]:
        return [c for c in self.calls if c.endpoint == endpoint]

    async def wait_for_calls(
        self, endpoint: str, count: int = 1, within: float = 5.0
    ) -> list[Call]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(found := self.calls_to(endpoint)) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{endpoint} called {len(found)} times, expected {count}")
            self._call_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._call_event.wait(), remaining)
        return found

    # ---- events ------------------------------------------------------------------------

    def _event(self, name: str, fields: JSONDict, at: dt.datetime | None) -> JSONDict:
        return {
            "app_id": self.app_id,
            "event_name": name,
            **fields,
            "timestamp": str(_ms(at or self.now())),
        }

    def _user_event(
        self, name: str, user_id: str, message: JSONDict | None, at: dt.datetime | None
    ) -> JSONDict:
        fields: JSONDict = {
            "user_id_by_app": "app" + user_id[-12:],
            "sender": {"id": user_id},
            "recipient": {"id": self.oa_id},
        }
        if message is not None:
            fields["message"] = message
        return self._event(name, fields, at)

    def _msg_id(self, msg_id: str | None) -> str:
        return msg_id or secrets.token_hex(16)

    def text_event(
        self, user_id: str, text: str, *, msg_id: str | None = None, at: dt.datetime | None = None
    ) -> JSONDict:
        message = {"msg_id": self._msg_id(msg_id), "text": text}
        return self._user_event("user_send_text", user_id, message, at)

    def image_event(
        self,
        user_id: str,
        url: str,
        caption: str | None = None,
        *,
        msg_id: str | None = None,
        at: dt.datetime | None = None,
    ) -> JSONDict:
        message: JSONDict = {
            "msg_id": self._msg_id(msg_id),
            "attachments": [{"type": "image", "payload": {"thumbnail": url, "url": url}}],
        }
        if caption is not None:
            message["text"] = caption
        return self._user_event("user_send_image", user_id, message, at)

    def follow_event(self, user_id: str, *, at: dt.datetime | None = None) -> JSONDict:
        fields = {
            "oa_id": self.oa_id,
            "follower": {"id": user_id},
            "user_id_by_app": "app" + user_id[-12:],
            "source": "oa_profile",
        }
        return self._event("follow", fields, at)

    def unfollow_event(self, user_id: str, *, at: dt.datetime | None = None) -> JSONDict:
        fields = {
            "oa_id": self.oa_id,
            "follower": {"id": user_id},
            "user_id_by_app": "app" + user_id[-12:],
            "source": "oa_profile",
        }
        return self._event("unfollow", fields, at)

    def submit_info_event(
        self,
        user_id: str,
        phone: str,
        name: str = "Nguyễn Văn An",
        *,
        address: str = "",
        at: dt.datetime | None = None,
    ) -> JSONDict:
        """The user filled in the OA's "request user info" form (phone as Zalo gives it)."""
        event = self._user_event("user_submit_info", user_id, None, at)
        event["info"] = {
            "name": name,
            "phone": phone,
            "address": address,
            "ward": "",
            "district": "",
            "city": "",
        }
        return event

    def echo_event(self, user_id: str, text: str, *, at: dt.datetime | None = None) -> JSONDict:
        """``oa_send_text``: Zalo's echo of something the OA sent."""
        fields = {
            "user_id_by_app": "app" + user_id[-12:],
            "sender": {"id": self.oa_id},
            "recipient": {"id": user_id},
            "message": {"msg_id": secrets.token_hex(16), "text": text},
        }
        return self._event("oa_send_text", fields, at)

    # ---- webhook -----------------------------------------------------------------------

    def use_webhook(self, url: str) -> None:
        """The URL registered in the app console (Zalo pushes events there)."""
        self._webhook = url

    @property
    def webhook_url(self) -> str:
        return self._webhook or ""

    def signed(
        self, body: JSONDict, *, timestamp_header: bool = False
    ) -> tuple[bytes, dict[str, str]]:
        """The raw bytes of ``body`` and the headers Zalo sends with them (the mac)."""
        raw = json.dumps(body, ensure_ascii=False).encode()
        timestamp = str(body.get("timestamp", ""))
        mac = signature(self.app_id, raw, timestamp, self.oa_secret_key)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: f"mac={mac}"}
        if timestamp_header:
            headers[TIMESTAMP_HEADER] = timestamp
        return raw, headers

    async def push(
        self,
        event: JSONDict,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        timestamp_header: bool = False,
    ) -> int:
        """POST ``event`` signed to the registered webhook; the bot's HTTP status.

        ``raw``/``headers`` replace what is sent (a forged signature, a tampered body).
        A user event also counts as the user's interaction (the 7-day window)."""
        import aiohttp

        if self._webhook is None:
            raise LookupError("no webhook is registered (use_webhook)")
        body, signed_headers = self.signed(event, timestamp_header=timestamp_header)
        if raw is not None:
            body = raw
        if headers is not None:
            signed_headers = headers
        if self._client is None:
            self._client = aiohttp.ClientSession()
        self._note_interaction(event)
        async with self._client.post(self._webhook, data=body, headers=signed_headers) as response:
            status = response.status
        self.deliveries.append(Delivery(event, status))
        return status

    async def probe(self) -> int:
        """The unsigned ``{}`` Zalo may POST when the URL is registered."""
        import aiohttp

        if self._webhook is None:
            raise LookupError("no webhook is registered (use_webhook)")
        if self._client is None:
            self._client = aiohttp.ClientSession()
        async with self._client.post(
            self._webhook, data=b"{}", headers={"Content-Type": "application/json"}
        ) as response:
            return response.status

    def _note_interaction(self, event: JSONDict) -> None:
        name = event.get("event_name", "")
        moment = dt.datetime.fromtimestamp(int(event.get("timestamp", "0")) / 1000, dt.UTC)
        if name == "follow":
            user = self._user(str(event["follower"]["id"]))
            user.follower = True
            user.last_interaction = moment
        elif name == "unfollow":
            self._user(str(event["follower"]["id"])).follower = False
        elif name.startswith("user_") and name not in (
            "user_received_message",
            "user_seen_message",
        ):
            sender = event.get("sender", {}).get("id")
            if sender:
                self._user(str(sender)).last_interaction = moment

    async def press(self, user_id: str, title: str) -> int:
        """Press the button titled ``title`` on the last message to ``user_id``: Zalo sends
        the button's payload back as the user's text (``oa.query.hide`` / ``.show``)."""
        message = self.last_message(user_id)
        if message is None:
            raise LookupError(f"nothing was sent to {user_id}")
        for button_title, kind, payload in message.buttons:
            if button_title == title:
                if kind not in QUERY_TYPES:
                    raise ValueError(f"{title!r} is a {kind} button, it sends nothing back")
                return await self.push(self.text_event(user_id, str(payload)))
        for element in message.elements:  # a list template's rows
            action = element.get("default_action") or {}
            if element.get("title") == title and action.get("type") in QUERY_TYPES:
                return await self.push(self.text_event(user_id, str(action.get("payload"))))
        titles = [b[0] for b in message.buttons] + [e.get("title") for e in message.elements]
        raise LookupError(f"no button {title!r} on the last message; there are {titles}")

    def serve_image(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """A public loopback URL serving ``data`` (like Zalo's CDN, no token needed)."""
        name = f"img{next(self._image_ids)}.jpg"
        self._images[name] = _Image(data, content_type)
        return f"{self.root}/media/{name}"

    def expire_image(self, url: str) -> None:
        self._images[url.rsplit("/", 1)[-1]].expired = True

    # ---- HTTP --------------------------------------------------------------------------

    async def _image(self, request: web.Request) -> web.Response:
        if self.hold_images is not None:  # a slow CDN
            await self.hold_images.wait()
        image = self._images.get(request.match_info["name"])
        if image is None or image.expired:
            return web.Response(status=404, text="Not Found")
        self.downloads.append(str(request.url))
        return web.Response(body=image.data, content_type=image.content_type)

    def _record(self, endpoint: str, request: web.Request, body: JSONDict) -> None:
        self.calls.append(Call(endpoint, dict(request.headers), body, self.now()))
        self._call_event.set()

    async def _json_body(self, request: web.Request) -> JSONDict:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return {}
        return body if isinstance(body, dict) else {}

    async def _answer(self, endpoint: str, body: JSONDict, work: Callable[[], Any]) -> web.Response:
        try:
            failures = self._failures.get(endpoint)
            if failures:
                raise failures.popleft()
            data = work()
        except OaFault as fault:
            self.rejected.append(Rejected(endpoint, body, fault.code, fault.message))
            return fault.response()
        return web.json_response({"error": 0, "message": "Success", "data": data})

    def _check_token(self, request: web.Request) -> None:
        token = request.headers.get("access_token", "")
        until = self._access.get(token)
        if until is None:
            raise OaFault(E_TOKEN)
        if until <= self.now():
            raise OaFault(
                self.expired_code,
                "Access token has expired" if self.expired_code != E_TOKEN else None,
            )

    async def _cs(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        self._record("cs", request, body)
        return await self._answer("cs", body, lambda: self._send_cs(request, body))

    def _send_cs(self, request: web.Request, body: JSONDict) -> JSONDict:
        self._check_token(request)
        recipient = body.get("recipient")
        user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
        if not isinstance(user_id, str) or not user_id:
            raise OaFault(E_PARAM, "recipient.user_id is required")
        user = self._users.get(user_id)
        if user is None:
            raise OaFault(E_PARAM, "user_id is invalid")
        message = body.get("message")
        if not isinstance(message, dict):
            raise OaFault(E_PARAM, "message is required")
        text, buttons, template_type, elements = _check_message(message)
        if user.blocked:
            raise OaFault(E_BLOCKED)
        if user.last_interaction is None or self.now() - user.last_interaction > WINDOW:
            raise OaFault(E_WINDOW)
        sent = SentMessage(
            user_id,
            secrets.token_hex(16),
            self.now(),
            text,
            buttons,
            template_type,
            elements,
            message,
        )
        self._sent[user_id].append(sent)
        return {"message_id": sent.message_id, "user_id": user_id, "quota": {"quota_type": "reply"}}

    async def _zns(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        self._record("zns", request, body)
        return await self._answer("zns", body, lambda: self._send_zns(request, body))

    def _send_zns(self, request: web.Request, body: JSONDict) -> JSONDict:
        self._check_token(request)
        phone = body.get("phone")
        if not isinstance(phone, str) or not _PHONE_RE.match(phone):
            raise OaFault(E_PHONE)
        template = self._templates.get(str(body.get("template_id", "")))
        if template is None:
            raise OaFault(E_TEMPLATE)
        data = body.get("template_data")
        if not isinstance(data, dict) or not data:
            raise OaFault(E_DATA_EMPTY)
        missing = sorted(set(template.params) - set(data))
        extra = sorted(set(data) - set(template.params))
        if missing or extra:
            raise OaFault(E_DATA, f"Template data invalid: missing {missing}, unknown {extra}")
        if any(not isinstance(v, str) or not v for v in data.values()):
            raise OaFault(E_DATA, "Template data invalid: every value must be a non-empty string")
        too_long = sorted(k for k, limit in template.max_length.items() if len(data[k]) > limit)
        if too_long:
            raise OaFault(E_DATA, f"Template data invalid: too long {too_long}")
        tracking = body.get("tracking_id")
        if not isinstance(tracking, str) or not 1 <= len(tracking) <= 48:
            raise OaFault(E_PARAM, "tracking_id must be 1-48 characters")
        if phone in self._zns_no_account:
            raise OaFault(E_NO_ACCOUNT)
        day = self.now().astimezone(dt.timezone(dt.timedelta(hours=7))).date()
        if self._zns_day[day] >= self.zns_daily_quota:
            raise OaFault(E_ZNS_QUOTA)
        self._zns_day[day] += 1
        sent = ZnsSent(
            phone, str(body["template_id"]), dict(data), tracking, secrets.token_hex(16), self.now()
        )
        self.zns_sent.append(sent)
        return {
            "msg_id": sent.msg_id,
            "sent_time": str(_ms(sent.at)),
            "quota": {
                "dailyQuota": str(self.zns_daily_quota),
                "remainingQuota": str(self.zns_daily_quota - self._zns_day[day]),
            },
        }

    async def _permission(self, request: web.Request) -> web.Response:
        query = request.query
        self._record("permission", request, dict(query))
        if query.get("app_id") != self.app_id:
            return web.Response(status=400, text="Invalid app_id")
        redirect = query.get("redirect_uri", "")
        challenge = query.get("code_challenge", "")
        if not redirect.startswith(("https://", "http://")) or not challenge:
            return web.Response(status=400, text="redirect_uri and code_challenge are required")
        code = "code_" + secrets.token_urlsafe(32)
        self._codes[code] = _Code(challenge, redirect, self.now())
        params = {"code": code, "oa_id": self.oa_id}
        if "state" in query:
            params["state"] = query["state"]
        joiner = "&" if "?" in redirect else "?"
        raise web.HTTPFound(f"{redirect}{joiner}{urlencode(params)}")

    async def _token(self, request: web.Request) -> web.Response:
        form = (
            dict(await request.post())
            if request.content_type == ("application/x-www-form-urlencoded")
            else {}
        )
        body = {k: str(v) for k, v in form.items()}
        self._record("token", request, body)
        failures = self._failures.get("token")
        if failures:
            fault = failures.popleft()
            self.rejected.append(Rejected("token", body, fault.code, fault.message))
            return fault.response()
        if body.get("grant_type") == "refresh_token" and self.hold_refresh is not None:
            await self.hold_refresh.wait()
        try:
            tokens = self._grant(request, body)
        except OaFault as fault:
            self.rejected.append(Rejected("token", body, fault.code, fault.message))
            return web.json_response(
                {
                    "error_name": "Invalid parameter",
                    "error_reason": fault.message,
                    "ref_doc": "https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new",
                    "error_description": fault.message,
                    "error": fault.code,
                }
            )
        return web.json_response(tokens)

    def _grant(self, request: web.Request, body: dict[str, str]) -> JSONDict:
        if request.content_type != "application/x-www-form-urlencoded":
            raise OaFault(E_OAUTH_APP, "the body must be form-encoded")
        if (
            request.headers.get("secret_key") != self.app_secret
            or body.get("app_id") != self.app_id
        ):
            raise OaFault(E_OAUTH_APP, "app_id or secret_key is invalid")
        grant = body.get("grant_type")
        now = self.now()
        if grant == "refresh_token":
            token = body.get("refresh_token", "")
            self.refresh_uses[token] += 1
            until = self._refresh.pop(token, None)
            if until is None or until <= now:
                self._spent.add(token)
                raise OaFault(E_OAUTH_GRANT, "Invalid refresh token")
            self._spent.add(token)
        elif grant == "authorization_code":
            code = self._codes.pop(body.get("code", ""), None)
            if code is None or now - code.issued > CODE_LIFE:
                raise OaFault(E_OAUTH_GRANT, "Invalid authorization code")
            if s256(body.get("code_verifier", "")) != code.challenge:
                raise OaFault(E_OAUTH_VERIFIER, "Invalid code verifier")
        else:
            raise OaFault(E_OAUTH_APP, "grant_type is invalid")
        return {
            "access_token": self.issue_access_token(),
            "refresh_token": self.issue_refresh_token(),
            "expires_in": str(ACCESS_LIFE),
        }


def _check_button(button: Any, where: str) -> tuple[str, str, Any]:
    if not isinstance(button, dict):
        raise OaFault(E_PARAM, f"{where} must be an object")
    title, kind, payload = button.get("title"), button.get("type"), button.get("payload")
    if not isinstance(title, str) or not 1 <= utf16_len(title) <= TITLE_LIMIT:
        raise OaFault(E_PARAM, f"{where}.title must be 1-{TITLE_LIMIT} characters")
    if kind not in BUTTON_TYPES:
        raise OaFault(E_PARAM, f"{where}.type is not a button type")
    if kind in QUERY_TYPES:
        if not isinstance(payload, str) or not 1 <= utf16_len(payload) <= PAYLOAD_LIMIT:
            raise OaFault(E_PARAM, f"{where}.payload must be 1-{PAYLOAD_LIMIT} characters")
    elif kind == "oa.open.url":
        url = payload.get("url") if isinstance(payload, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise OaFault(E_PARAM, f"{where}.payload.url must be an http(s) URL")
    elif not isinstance(payload, dict):
        raise OaFault(E_PARAM, f"{where}.payload must be an object")
    return title, kind, payload


def _check_message(
    message: JSONDict,
) -> tuple[str, list[tuple[str, str, Any]], str | None, list[JSONDict]]:
    """(text, buttons, template_type, elements) of a valid OA ``message``, or -201."""
    text = message.get("text")
    attachment = message.get("attachment")
    if text is None and attachment is None:
        raise OaFault(E_PARAM, "message.text or message.attachment is required")
    if text is not None and (not isinstance(text, str) or not 1 <= utf16_len(text) <= TEXT_LIMIT):
        raise OaFault(E_PARAM, f"message.text must be 1-{TEXT_LIMIT} characters")
    buttons: list[tuple[str, str, Any]] = []
    elements: list[JSONDict] = []
    template_type: str | None = None
    if attachment is not None:
        if not isinstance(attachment, dict) or attachment.get("type") != "template":
            raise OaFault(E_PARAM, "message.attachment.type must be template")
        payload = attachment.get("payload")
        if not isinstance(payload, dict):
            raise OaFault(E_PARAM, "message.attachment.payload is required")
        template_type = payload.get("template_type")
        raw_buttons = payload.get("buttons", [])
        if not isinstance(raw_buttons, list):
            raise OaFault(E_PARAM, "buttons must be a list")
        if len(raw_buttons) > MAX_BUTTONS:
            raise OaFault(E_PARAM, f"at most {MAX_BUTTONS} buttons")
        buttons = [_check_button(b, f"buttons[{i}]") for i, b in enumerate(raw_buttons)]
        raw_elements = payload.get("elements", [])
        if not isinstance(raw_elements, list):
            raise OaFault(E_PARAM, "elements must be a list")
        if template_type is None:
            if not buttons or text is None:
                raise OaFault(E_PARAM, "a message with buttons needs text and 1 or more buttons")
        elif template_type == "media":
            if len(raw_elements) != 1 or not isinstance(raw_elements[0], dict):
                raise OaFault(E_PARAM, "a media template has exactly one element")
            element = raw_elements[0]
            url = element.get("url")
            if element.get("media_type") not in ("image", "gif") or not (
                isinstance(url, str) and url.startswith(("https://", "http://"))
            ):
                raise OaFault(E_PARAM, "elements[0] needs media_type image|gif and an http(s) url")
        elif template_type == "list":
            if not 1 <= len(raw_elements) <= MAX_LIST_ELEMENTS:
                raise OaFault(E_PARAM, f"a list has 1-{MAX_LIST_ELEMENTS} elements")
            for i, element in enumerate(raw_elements):
                if not isinstance(element, dict):
                    raise OaFault(E_PARAM, f"elements[{i}] must be an object")
                title = element.get("title")
                if not isinstance(title, str) or not 1 <= utf16_len(title) <= TITLE_LIMIT:
                    raise OaFault(
                        E_PARAM, f"elements[{i}].title must be 1-{TITLE_LIMIT} characters"
                    )
                if "default_action" in element:
                    action = dict(element["default_action"] or {})
                    action.setdefault("title", title)
                    _check_button(action, f"elements[{i}].default_action")
        elif template_type == "request_user_info":
            if len(raw_elements) != 1 or not isinstance(raw_elements[0], dict):
                raise OaFault(E_PARAM, "request_user_info has exactly one element")
            title = raw_elements[0].get("title")
            if not isinstance(title, str) or not 1 <= utf16_len(title) <= TITLE_LIMIT:
                raise OaFault(E_PARAM, f"elements[0].title must be 1-{TITLE_LIMIT} characters")
        else:
            raise OaFault(E_PARAM, f"template_type {template_type!r} is not supported")
        elements = [dict(e) for e in raw_elements]
    return text or "", buttons, template_type, elements


__all__ = [
    "FakeZaloOA",
    "SentMessage",
    "ZnsSent",
    "s256",
    "signature",
]

"""A thin aiohttp client for the Zalo Official Account Open API v3, ZNS and OAuth v4.

Three server roots, each followed by the documented paths, so that a test can point all
three at one loopback fake (facts: shared/facts/zalo-api.md §2):

* ``{api}/v3.0/oa/message/cs``: a customer-service ("tư vấn") message, header
  ``access_token``, JSON ``{recipient: {user_id}, message}``;
* ``{zns}/message/template``: a ZNS message to a phone number (``84…``);
* ``{oauth}/v4/oa/access_token``: form-encoded, header ``secret_key: <app secret>``; the
  first grant (PKCE code) and every refresh; ``expires_in`` comes back as a string.

Answers are ``{"error": 0, "message": "Success", "data": {…}}``; a failure is a non-zero
``error`` in the body whatever the HTTP status, so the body is read first. Codes are sorted
into kinds (:func:`classify`); the channel decides what each kind means. A TOKEN answer
(-216, -124) to a send makes the client ask its token source for a fresh token and try
**once** more.

No token or secret ever appears in an exception or a log line from here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from bot.public_fetch import PublicFetcher, RefusedAddress

log = logging.getLogger(__name__)

DEFAULT_API_ROOT = "https://openapi.zalo.me"
DEFAULT_OAUTH_ROOT = "https://oauth.zaloapp.com"
DEFAULT_ZNS_ROOT = "https://business.openapi.zalo.me"
CS_PATH = "/v3.0/oa/message/cs"
ZNS_PATH = "/message/template"
TOKEN_PATH = "/v4/oa/access_token"
PERMISSION_PATH = "/v4/oa/permission"
CALL_TIMEOUT = 30.0

# Limits of a customer-service message (docs/zalo-oa.md §6 has the sources). The text limit is
# certain; the button limits [U] come from Zalo's partners and SDKs, not from a Zalo page, so
# they are the strictest reading, and the fake enforces the same numbers.
TEXT_LIMIT = 2000
MAX_BUTTONS = 5
BUTTON_TITLE_LIMIT = 100
BUTTON_PAYLOAD_LIMIT = 1000
BUTTON_TYPES = ("oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.sms", "oa.open.phone")

# Kinds of failure.
TOKEN = "token"  # the access token is expired or invalid (-216, -124); refresh and retry
WINDOW = "window"  # -230: the user has not interacted with the OA in the last 7 days
RATE_LIMITED = "rate_limited"
SERVER = "server"  # 5xx, or a body that is not Zalo's JSON
NETWORK = "network"
BAD_REQUEST = "bad_request"  # our request was wrong (a parameter, a template's data)
QUOTA = "quota"  # a message quota (ZNS daily quota, OA quota) is used up
UNREACHABLE = "unreachable"  # the user blocked / unfollowed the OA, or is unknown
OTHER = "other"

TOKEN_CODES = frozenset({-216, -124})  # [C] facts §2.1; -124 is also ZNS's "token invalid"
WINDOW_CODES = frozenset({-230})  # [C] facts §2.4
# The rest sort what docs/zalo-oa.md §6 lists; codes marked [U] there are not confirmed by a
# Zalo page. Any other code is sorted by its words, and the words are always kept.
RATE_LIMIT_CODES = frozenset({-32})  # [U]
QUOTA_CODES = frozenset({-144})  # ZNS daily quota [U]
UNREACHABLE_CODES = frozenset({-213, -118})  # blocked / not following; no Zalo account [U]
BAD_REQUEST_CODES = frozenset(
    {
        -201,  # parameter invalid [U]
        -108,  # ZNS: phone number invalid [C]
        -109,  # ZNS: template ID invalid [C]
        -111,  # ZNS: template data empty [C]
        -112,  # ZNS: template data invalid [C]
    }
)
SERVER_CODES = frozenset({-100})  # ZNS: unknown error, try again later [C]

_QUOTA_WORDS = ("quota",)
_UNREACHABLE_WORDS = ("block", "not follow", "unfollow", "user not exist", "user not found")


class OaError(Exception):
    """A failed call: Zalo's ``error`` code (None when there was none), its words, a kind."""

    def __init__(
        self, code: int | None, description: str, kind: str, *, status: int | None = None
    ) -> None:
        label = f"{kind} ({code})" if code is not None else kind
        super().__init__(f"{label}: {description}" if description else label)
        self.code = code
        self.description = description
        self.kind = kind
        self.status = status


def classify(code: int, description: str = "") -> str:
    """The kind of a non-zero ``error`` code (and, failing a known code, its words)."""
    if code in TOKEN_CODES:
        return TOKEN
    if code in WINDOW_CODES:
        return WINDOW
    if code in RATE_LIMIT_CODES:
        return RATE_LIMITED
    if code in QUOTA_CODES:
        return QUOTA
    if code in UNREACHABLE_CODES:
        return UNREACHABLE
    if code in BAD_REQUEST_CODES:
        return BAD_REQUEST
    if code in SERVER_CODES:
        return SERVER
    words = description.lower()
    if any(w in words for w in _QUOTA_WORDS):
        return QUOTA
    if any(w in words for w in _UNREACHABLE_WORDS):
        return UNREACHABLE
    if "rate" in words and "limit" in words:
        return RATE_LIMITED
    return OTHER


@dataclass(frozen=True)
class Tokens:
    """What the OAuth server answers: both tokens and the access token's life in seconds."""

    access_token: str
    refresh_token: str
    expires_in: int

    def __repr__(self) -> str:  # never print a token by accident
        return f"Tokens(expires_in={self.expires_in})"


@dataclass(frozen=True)
class Download:
    data: bytes
    content_type: str
    truncated: bool  # the file was larger than allowed; ``data`` is only its beginning


class TokenSource(Protocol):
    """Where the client gets its access token (bot.zalo_oa_tokens.TokenKeeper)."""

    async def access_token(self) -> str: ...

    async def refreshed(self, stale: str) -> str:
        """A token other than ``stale``, which Zalo has just refused."""
        ...


class ZaloOaApi:
    """``async with ZaloOaApi(app_id, app_secret, tokens=keeper) as api: await api.send_cs(…)``.

    ``tokens`` may be set later (``api.tokens = keeper``): the keeper refreshes through this
    client's :meth:`refresh`, so one of the two is made first.
    """

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        *,
        api_root: str | None = None,
        oauth_root: str | None = None,
        zns_root: str | None = None,
        tokens: TokenSource | None = None,
        seconds: float = CALL_TIMEOUT,
    ) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.api_root = (api_root or DEFAULT_API_ROOT).rstrip("/")
        self.oauth_root = (oauth_root or DEFAULT_OAUTH_ROOT).rstrip("/")
        self.zns_root = (zns_root or DEFAULT_ZNS_ROOT).rstrip("/")
        self.tokens = tokens
        self.timeout = seconds
        self._session: aiohttp.ClientSession | None = None
        # Pictures come from URLs in the webhook body: public addresses only (and the
        # configured API server itself, which the operator chose).
        self._media = PublicFetcher(self.api_root)

    async def open(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": "vbsp-bot"}, raise_for_status=False
            )

    async def close(self) -> None:
        await self._media.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> ZaloOaApi:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- transport ---------------------------------------------------------------------

    async def _post(
        self,
        what: str,
        url: str,
        *,
        headers: dict[str, str],
        json_body: Any = None,
        form: dict[str, str] | None = None,
        secrets: tuple[str, ...] = (),
    ) -> tuple[int, Any]:
        """(HTTP status, parsed JSON body or None); network failures as OaError(NETWORK)."""
        await self.open()
        assert self._session is not None
        try:
            async with self._session.post(
                url,
                json=json_body if form is None else None,
                data=form,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError:
            raise OaError(None, f"{what}: no answer in time", NETWORK) from None
        except aiohttp.ClientError as exc:
            detail = f"{exc.__class__.__name__}: {exc}"
            for secret in secrets:
                if secret:
                    detail = detail.replace(secret, "<secret>")
            raise OaError(None, f"{what}: {detail}", NETWORK) from None
        try:
            body = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = None
        return status, body

    @staticmethod
    def _failure(what: str, status: int, body: Any) -> OaError | None:
        """None when ``body`` is a success; otherwise the error it stands for."""
        if not isinstance(body, dict):
            if status == 429:
                return OaError(None, f"{what}: HTTP 429", RATE_LIMITED, status=status)
            return OaError(None, f"{what}: HTTP {status}, not a Zalo answer", SERVER, status=status)
        code = body.get("error")
        if code in (0, None) and 200 <= status < 300:
            return None
        description = str(body.get("message") or body.get("error_description") or "")
        if not isinstance(code, int):
            if status == 429:
                return OaError(None, description, RATE_LIMITED, status=status)
            kind = SERVER if status >= 500 else OTHER
            return OaError(None, description or f"HTTP {status}", kind, status=status)
        return OaError(code, description, classify(code, description), status=status)

    async def _authorised(
        self, what: str, url: str, body: dict[str, Any], private: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST ``body`` with the access token; on TOKEN, one fresh token and one retry.
        ``private``: words Zalo's answer may quote that must not be carried whole (a phone
        number), each with what to write instead."""
        if self.tokens is None:
            raise RuntimeError("ZaloOaApi.tokens is not set")
        token = await self.tokens.access_token()
        for attempt in (1, 2):
            status, answer = await self._post(
                what, url, headers={"access_token": token}, json_body=body, secrets=(token,)
            )
            error = self._failure(what, status, answer)
            if error is None:
                data = answer.get("data") if isinstance(answer, dict) else None
                return data if isinstance(data, dict) else {}
            hidden = {token: "<token>", **(private or {})} if token else dict(private or {})
            if any(word in error.description for word in hidden):  # never carried further
                description = error.description
                for word, instead in hidden.items():
                    description = description.replace(word, instead)
                error = OaError(error.code, description, error.kind, status=error.status)
            if error.kind == TOKEN and attempt == 1:
                log.info("Zalo OA %s: access token refused (%s); refreshing once", what, error.code)
                token = await self.tokens.refreshed(token)
                continue
            log.debug("Zalo OA %s failed: %s", what, error)
            raise error
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- messages ----------------------------------------------------------------------

    async def send_cs(self, user_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """A customer-service message; ``message`` is the OA ``message`` object (``text``
        and/or ``attachment``). Returns ``data`` (``message_id``, ``user_id``, ``quota``)."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        return await self._authorised("message/cs", self.api_root + CS_PATH, body)

    async def send_zns(
        self, phone: str, template_id: str, template_data: dict[str, str], tracking_id: str
    ) -> dict[str, Any]:
        """A ZNS template message to ``phone`` (``84…``). Returns ``data`` (``msg_id``,
        ``sent_time``, ``quota``). ``tracking_id`` is ours, echoed in Zalo's reports."""
        body = {
            "phone": phone,
            "template_id": template_id,
            "template_data": template_data,
            "tracking_id": tracking_id,
        }
        # Zalo's words may quote the number: logs and errors keep it masked.
        masked = f"{phone[:4]}***{phone[-3:]}"
        private = {phone: masked, "0" + phone[2:]: masked} if phone.startswith("84") else {}
        return await self._authorised(
            "message/template", self.zns_root + ZNS_PATH, body, private or {phone: masked}
        )

    # ---- OAuth v4 ----------------------------------------------------------------------

    def permission_url(self, redirect_uri: str, code_challenge: str, state: str) -> str:
        """Where an admin grants the app access to the OA (PKCE, S256 challenge)."""
        from urllib.parse import urlencode

        query = urlencode(
            {
                "app_id": self.app_id,
                "redirect_uri": redirect_uri,
                "code_challenge": code_challenge,
                "state": state,
            }
        )
        return f"{self.oauth_root}{PERMISSION_PATH}?{query}"

    async def _token_call(self, what: str, form: dict[str, str], secret: str) -> Tokens:
        status, body = await self._post(
            what,
            self.oauth_root + TOKEN_PATH,
            headers={"secret_key": self._app_secret},
            form=form,
            secrets=(self._app_secret, secret),
        )
        if isinstance(body, dict) and body.get("access_token") and body.get("refresh_token"):
            try:
                expires_in = int(str(body.get("expires_in", "")).strip())
            except ValueError:
                raise OaError(None, f"{what}: expires_in is not a number", SERVER) from None
            return Tokens(str(body["access_token"]), str(body["refresh_token"]), expires_in)
        error = self._failure(what, status, body)
        if error is None:  # HTTP 200, error 0, and yet no tokens
            error = OaError(None, f"{what}: no tokens in the answer", SERVER, status=status)
        elif isinstance(body, dict) and error.code is not None and error.kind == OTHER:
            # An OAuth refusal (-14xxx: a bad, used or expired code or refresh token).
            reason = body.get("error_reason") or body.get("error_name") or error.description
            error = OaError(error.code, str(reason), TOKEN, status=status)
        description = error.description
        for hidden in (secret, self._app_secret):  # Zalo's words might quote what it refused
            if hidden:
                description = description.replace(hidden, "<secret>")
        raise OaError(error.code, description, error.kind, status=error.status)

    async def exchange_code(self, code: str, code_verifier: str) -> Tokens:
        """The first grant: the code from the permission page (valid 10 minutes)."""
        form = {
            "code": code,
            "app_id": self.app_id,
            "grant_type": "authorization_code",
            "code_verifier": code_verifier,
        }
        return await self._token_call("access_token (code)", form, code)

    async def refresh(self, refresh_token: str) -> Tokens:
        """New tokens; ``refresh_token`` is spent (single use) whatever happens next."""
        form = {
            "refresh_token": refresh_token,
            "app_id": self.app_id,
            "grant_type": "refresh_token",
        }
        return await self._token_call("access_token (refresh)", form, refresh_token)

    # ---- pictures ----------------------------------------------------------------------

    async def download(self, url: str, max_bytes: int, *, seconds: float = 20.0) -> Download:
        """A picture a user sent (``user_send_image``: a public URL that may expire): fetch
        it now, at most ``max_bytes`` (then ``truncated``). No token is sent with it, and
        only a public address is fetched (``bot.public_fetch``)."""
        if not url.startswith(("https://", "http://")):
            raise OaError(None, "not an http(s) URL", BAD_REQUEST)
        try:
            response = await self._media.get(url, timeout=aiohttp.ClientTimeout(total=seconds))
            async with response:
                if response.status != 200:
                    raise OaError(
                        None,
                        f"download: HTTP {response.status}",
                        UNREACHABLE if response.status in (403, 404, 410) else SERVER,
                        status=response.status,
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(64 * 1024):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        return Download(b"".join(chunks)[: max_bytes + 1], "", True)
                kind = response.headers.get("Content-Type", "").split(";")[0].strip()
                return Download(b"".join(chunks), kind, False)
        except RefusedAddress as exc:
            raise OaError(None, f"download refused: {exc}", BAD_REQUEST) from None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:  # ValueError: a bad URL
            raise OaError(None, f"download: {exc.__class__.__name__}", NETWORK) from None

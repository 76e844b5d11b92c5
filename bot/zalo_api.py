"""A thin aiohttp client for the Zalo Bot Platform API (no third-party Zalo SDK).

Every method is ``POST {root}/bot{token}/{method}`` with a JSON body; answers are
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code": n, "description": "…"}``,
and an HTTP 2xx alone does not mean success (facts: shared/facts/zalo-api.md §1.2). Zalo
publishes no error table, so failures are sorted into kinds from the code and the words of
the description (:func:`classify`); the channel decides what each kind means.

The token is part of every URL: it never appears in an exception or a log line from here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.public_fetch import PublicFetcher, RefusedAddress

log = logging.getLogger(__name__)

DEFAULT_API_ROOT = "https://bot-api.zaloplatforms.com"
TEXT_LIMIT = 2000  # characters of a text or a caption
DEFAULT_RETRY_AFTER = 5.0
CALL_TIMEOUT = 30.0

# Kinds of failure.
IDLE = "idle"  # getUpdates found nothing in time (HTTP 408): not an error
INVALID_TOKEN = "invalid_token"
RATE_LIMITED = "rate_limited"
QUOTA = "quota"  # the plan's monthly messages are used up
UNREACHABLE = "unreachable"  # the user cannot be written to (blocked, left, unknown)
WEBHOOK_SET = "webhook_set"  # getUpdates refused while a webhook is set
BAD_REQUEST = "bad_request"
NOT_FOUND = "not_found"
SERVER = "server"  # 5xx, a body that is not Zalo's JSON
NETWORK = "network"

_UNREACHABLE_WORDS = (
    "block",
    "not follow",
    "unfollow",
    "user not found",
    "chat not found",
    "not allowed",
    "not permitted",
    "cannot send",
    "can't send",
    "not exist",
)


class ZaloError(Exception):
    """A failed call; ``kind`` is one of the module's kinds."""

    def __init__(
        self,
        kind: str,
        description: str,
        *,
        error_code: int | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{kind}: {description}" if description else kind)
        self.kind = kind
        self.description = description
        self.error_code = error_code
        self.status = status
        self.retry_after = retry_after


def classify(status: int, body: Any, retry_after_header: str | None = None) -> ZaloError:
    """The kind of a failed answer, from the HTTP status, ``error_code`` and description."""
    if not isinstance(body, dict):
        if status in (401, 403):
            return ZaloError(INVALID_TOKEN, f"HTTP {status}", status=status)
        if status == 429:
            return ZaloError(
                RATE_LIMITED, "HTTP 429", status=status, retry_after=_seconds(retry_after_header)
            )
        return ZaloError(SERVER, f"HTTP {status}, not a Zalo answer", status=status)
    description = str(body.get("description") or body.get("message") or "")
    code = body.get("error_code")
    code = code if isinstance(code, int) else status
    words = description.lower()
    what: dict[str, Any] = {"error_code": code, "status": status}
    if code == 408 or status == 408:
        return ZaloError(IDLE, description, **what)
    if "quota" in words or "monthly" in words:
        return ZaloError(QUOTA, description, **what)
    if code == 429 or status == 429:
        parameters = body.get("parameters")
        wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
        seconds = float(wait) if isinstance(wait, int | float) else _seconds(retry_after_header)
        return ZaloError(RATE_LIMITED, description, retry_after=seconds, **what)
    if code == 401 or "unauthorized" in words or ("token" in words and "secret" not in words):
        return ZaloError(INVALID_TOKEN, description, **what)
    if "webhook" in words:
        return ZaloError(WEBHOOK_SET, description, **what)
    if code == 403 or any(w in words for w in _UNREACHABLE_WORDS):
        return ZaloError(UNREACHABLE, description, **what)
    if code >= 500 or status >= 500:
        return ZaloError(SERVER, description, **what)
    if code == 404:
        return ZaloError(NOT_FOUND, description, **what)
    return ZaloError(BAD_REQUEST, description, **what)


def _seconds(header: str | None) -> float:
    try:
        return max(0.0, float(header)) if header else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER


@dataclass(frozen=True)
class Download:
    data: bytes
    content_type: str
    truncated: bool  # the file was larger than allowed; ``data`` is only its beginning


class ZaloApi:
    """``async with ZaloApi(token, root) as api: await api.send_message(chat_id, "Chào")``."""

    def __init__(self, token: str, root: str | None = None, *, seconds: float = CALL_TIMEOUT):
        self._token = token
        self.root = (root or DEFAULT_API_ROOT).rstrip("/")
        self.timeout = seconds
        self._session: aiohttp.ClientSession | None = None
        # Pictures come from URLs in the webhook body: public addresses only.
        self._media = PublicFetcher(self.root)

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

    async def __aenter__(self) -> ZaloApi:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def bot_id(self) -> str:
        return self._token.split(":", 1)[0]

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>")

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, seconds: float | None = None
    ) -> Any:
        """The ``result`` of one method, or ZaloError."""
        await self.open()
        assert self._session is not None
        url = f"{self.root}/bot{self._token}/{method}"
        try:
            async with self._session.post(
                url,
                json=params or {},
                timeout=aiohttp.ClientTimeout(total=seconds or self.timeout),
            ) as response:
                raw = await response.read()
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except TimeoutError:
            raise ZaloError(NETWORK, f"{method}: no answer in time") from None
        except aiohttp.ClientError as exc:
            detail = self._redact(f"{exc.__class__.__name__}: {exc}")
            raise ZaloError(NETWORK, f"{method}: {detail}") from None
        try:
            body = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict) and body.get("ok") is True and 200 <= status < 300:
            return body.get("result")
        error = classify(status, body, retry_after)
        if error.kind != IDLE:
            log.debug("Zalo %s failed: %s", method, error)
        raise error

    # ---- methods ----------------------------------------------------------------------------

    async def get_me(self) -> dict[str, Any]:
        return await self.call("getMe") or {}

    async def get_updates(self, wait: int = 30) -> list[dict[str, Any]]:
        """Events waiting (the platform gives one at a time, holding the request up to
        ``wait`` seconds); [] when it was idle (408)."""
        try:
            result = await self.call("getUpdates", {"timeout": wait}, seconds=wait + 15)
        except ZaloError as exc:
            if exc.kind == IDLE:
                return []
            raise
        if isinstance(result, list):
            return [r for r in result if isinstance(r, dict)]
        return [result] if isinstance(result, dict) else []

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token}) or {}

    async def delete_webhook(self) -> dict[str, Any]:
        return await self.call("deleteWebhook") or {}

    async def get_webhook_info(self) -> dict[str, Any]:
        """``{url, updated_at}``; ``url`` is "" when none is set (some servers answer 404)."""
        try:
            return await self.call("getWebhookInfo") or {"url": ""}
        except ZaloError as exc:
            if exc.kind == NOT_FOUND:
                return {"url": ""}
            raise

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text}) or {}

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> dict[str, Any]:
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", params) or {}

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def download(self, url: str, max_bytes: int, *, seconds: float = 20.0) -> Download:
        """A file a user sent (public zdn.vn URLs that expire): fetch it now, at most
        ``max_bytes`` (then ``truncated``). No token is sent with it, and only a public
        address is fetched (``bot.public_fetch``)."""
        if not url.startswith(("https://", "http://")):
            raise ZaloError(BAD_REQUEST, "not an http(s) URL")
        try:
            response = await self._media.get(url, timeout=aiohttp.ClientTimeout(total=seconds))
            async with response:
                if response.status != 200:
                    raise ZaloError(
                        NOT_FOUND if response.status in (403, 404, 410) else SERVER,
                        f"download: HTTP {response.status}",
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
            raise ZaloError(BAD_REQUEST, f"download refused: {exc}") from None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:  # ValueError: a bad URL
            raise ZaloError(NETWORK, f"download: {exc.__class__.__name__}") from None

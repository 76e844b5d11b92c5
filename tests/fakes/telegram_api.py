"""A loopback fake of the Telegram Bot API for end-to-end tests.

The fake is a small aiohttp server on 127.0.0.1 (a free port). It answers the Bot API methods the
bot uses and rejects bad requests with the HTTP status, ``error_code`` and ``description`` the real
server uses, so the real client (``telegram.Bot`` from python-telegram-bot) raises the same
exceptions it would raise in production (``BadRequest``, ``Forbidden``, ``RetryAfter``,
``InvalidToken``, ``Conflict``, ``NetworkError``).

Usage::

    async with FakeTelegramAPI(token="123:ABC") as api:
        api.add_chat(42)                       # or: update = api.make_message(42, "/start")
        async with telegram.Bot("123:ABC", base_url=f"{api.root}/bot") as bot:
            await bot.send_message(42, "<b>Chào</b>", parse_mode="HTML")
        assert api.last_message(42).plain_text == "Chào"
        assert api.rejected == []

What it checks (all answered 400 unless noted):

* token (401 ``Unauthorized``; 404 ``Not Found`` for a malformed token) and method name (404,
  matched case-insensitively like the real server);
* ``chat_id`` present and known (a chat is known after ``add_chat`` or after an update builder
  used it); chats marked with ``block()`` get 403 ``Forbidden: bot was blocked by the user``;
* text: not empty, at most 4096 UTF-16 code units after entity parsing (captions: 1024);
* ``parse_mode=HTML``: Telegram's tag set, matched and closed tags, attributes, and only the
  entities ``&lt; &gt; &amp; &quot;`` plus numeric ones. Error texts and byte offsets follow the
  real server. Unlike the real server, a bare ``&`` in text is rejected by default
  (``strict_html=True``): Telegram's docs require escaping it and the bot must do so;
* ``reply_markup``: valid JSON, inline keyboard shape, one action per button, ``callback_data``
  of 1-64 UTF-8 bytes, at most 8 buttons a row and 100 in all;
* ``answerCallbackQuery``: only ids issued by ``make_callback`` and only once; text <= 200;
* ``editMessageText`` / ``editMessageReplyMarkup``: the message exists and something changes;
* ``getUpdates``: ``offset`` / ``limit`` / ``timeout`` (long poll on an ``asyncio.Event``), 409
  while a webhook is set, 409 for an older poll superseded by a newer one.

Methods: getMe, sendMessage, sendPhoto, sendDocument, getFile (files download from
``{root}/file/bot{token}/{file_path}``), editMessageText, editMessageReplyMarkup, deleteMessage,
sendChatAction, answerCallbackQuery, setWebhook, deleteWebhook, getWebhookInfo, setMyCommands,
getMyCommands, deleteMyCommands, getUpdates. Anything else answers 404 like an unknown method.

Error injection: ``block(chat_id)`` / ``unblock``, ``fail_next(method, error_code=429,
retry_after=3, times=1)`` or ``fail_next(method, 502, description=...)``; ``hold(method,
chat_id)`` keeps such calls waiting until the event it returns is set.
Recording: ``calls``, ``rejected``, ``messages(chat_id)``, ``last_message(chat_id)``,
``wait_for_calls(method)``, ``file_content(file_id)``. Update builders: ``make_message``,
``make_photo``, ``make_document``, ``make_callback``, ``make_my_chat_member``;
``enqueue(update)`` serves an update through ``getUpdates``.

Not modelled: Markdown/MarkdownV2 parsing (text is taken literally), groups and channels,
inline mode, webhook delivery (tests post updates to the bot themselves), per-chat flood limits
(use ``fail_next`` to simulate them), nesting rules between entities (pre/code content, nested
blockquotes are accepted), URL checks on ``<a href>``, and the 24-hour expiry of updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

JSONDict = dict[str, Any]
Buttons = list[list[tuple[str, str | None]]]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_BUTTONS = 100
MAX_BUTTONS_PER_ROW = 8
MAX_COMMANDS = 100

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_INT_RE = re.compile(r"-?\d+")


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Parameters PTB JSON-encodes (non-string values); strings are sent raw.
_JSON_FIELDS = frozenset(
    _names(
        "reply_markup allowed_updates commands scope entities caption_entities "
        "link_preview_options reply_parameters media"
    )
)
_INT_FIELDS = frozenset(
    _names(
        "chat_id message_id offset limit timeout cache_time max_connections message_thread_id "
        "reply_to_message_id user_id"
    )
)
_BOOL_FIELDS = frozenset(
    _names(
        "show_alert drop_pending_updates disable_notification protect_content "
        "disable_web_page_preview allow_sending_without_reply disable_content_type_detection "
        "has_spoiler show_caption_above_media allow_paid_broadcast"
    )
)
# Update types the real server leaves out unless asked for explicitly.
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_INLINE_BUTTON_ACTIONS = _names(
    "url callback_data web_app login_url switch_inline_query "
    "switch_inline_query_current_chat switch_inline_query_chosen_chat copy_text "
    "callback_game pay"
)
_CHAT_ACTIONS = frozenset(
    _names(
        "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
        "choose_sticker find_location record_video_note upload_video_note"
    )
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


# --------------------------------------------------------------------------------------------
# Errors and records
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """A Bot API error answer: HTTP status == ``error_code``."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


class EntityParseError(ValueError):
    """HTML that Telegram would refuse; the message is the part after "can't parse entities: "."""


@dataclass(frozen=True)
class UploadedFile:
    """A file that arrived as a multipart part."""

    filename: str
    content_type: str
    content: bytes


@dataclass
class Call:
    """One request to the fake, with parameters decoded (JSON fields parsed, ids as int)."""

    method: str
    params: JSONDict


@dataclass
class Rejected:
    """A call the fake answered with a non-2xx status."""

    method: str
    params: JSONDict
    error_code: int
    description: str


@dataclass
class SentMessage:
    """A message the bot sent (current state: edits overwrite it)."""

    message_id: int
    chat_id: int
    text: str  # as sent (the caption for photos and documents)
    parse_mode: str | None
    plain_text: str  # tags removed, entities decoded, outer whitespace trimmed
    buttons: Buttons  # inline keyboard as rows of (text, callback_data); url buttons have None
    entities: list[JSONDict] = field(default_factory=list)
    reply_markup: JSONDict | None = None
    kind: str = "text"  # "text", "photo" or "document"
    file_id: str | None = None
    date: int = 0
    edit_date: int | None = None


@dataclass
class FakeFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None


_SENDING_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})


class RateLimit:
    """The fake's bulk-sending limit (``FakeTelegramAPI.enforce_rate``) and what it saw."""

    def __init__(
        self, per_second: float, burst: float | None, retry_after: int, grace: float
    ) -> None:
        self.per_second = per_second
        self.burst = burst if burst is not None else max(1.0, per_second / 5)
        self.retry_after = retry_after
        self.grace = grace
        self._tokens = self.burst
        self._updated = time.monotonic()
        self._pause_from = 0.0
        self._pause_until = 0.0
        self.accepted: list[float] = []  # arrival times (monotonic) of sends let through
        self.limited = 0  # 429s answered because the rate was exceeded
        self.during_pause = 0  # sends that arrived during a retry_after pause
        self.in_flight_at_pause = 0  # sends that arrived within ``grace`` of a 429

    def admit(self, method: str) -> None:
        if method.lower() not in _SENDING_METHODS:
            return
        now = time.monotonic()
        if now < self._pause_until:
            if now - self._pause_from > self.grace:
                self.during_pause += 1
            else:
                self.in_flight_at_pause += 1
            wait = max(1, math.ceil(self._pause_until - now))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.per_second)
        self._updated = now
        if self._tokens < 1:
            self.limited += 1
            raise ApiError(
                429, f"Too Many Requests: retry after {self.retry_after}", self.retry_after
            )
        self._tokens -= 1
        self.accepted.append(now)

    def paused(self, retry_after: int) -> None:
        """A 429 went out (the limit's or an injected one): nothing may come until it ends."""
        now = time.monotonic()
        if now >= self._pause_until:
            self._pause_from = now
        self._pause_until = max(self._pause_until, now + retry_after)
        self._tokens = 1.0  # once the pause is over, the next send goes through
        self._updated = self._pause_until

    def max_in_window(self, seconds: float = 1.0) -> int:
        """The most sends let through in any window of ``seconds``."""
        best, start = 0, 0
        for end, moment in enumerate(self.accepted):
            while moment - self.accepted[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best


@dataclass
class _Chat:
    id: int
    first_name: str = "An"
    username: str | None = None
    language_code: str | None = "vi"

    def chat_json(self) -> JSONDict:
        if self.id < 0:
            return {"id": self.id, "type": "supergroup", "title": f"Group {self.id}"}
        chat: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat

    def user_json(self) -> JSONDict:
        user: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None


# --------------------------------------------------------------------------------------------
# Text: UTF-16 length and the HTML parse mode
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class ParsedText:
    text: str
    entities: list[JSONDict]


_TAG_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d+)|#[xX]([0-9A-Fa-f]+)|([A-Za-z]+));")


def _decode_entity_at(source: str, index: int) -> tuple[str, int] | None:
    """Decode the character reference starting at ``source[index] == "&"``."""
    match = _ENTITY_RE.match(source, index)
    if match is None:
        return None
    if match[3] is not None:
        char = _NAMED_ENTITIES.get(match[3])
        return None if char is None else (char, match.end())
    code = int(match[1]) if match[1] is not None else int(match[2], 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _decode_lenient(raw: str) -> str:
    """Decode entities in an attribute value; a bare ``&`` stays (as on the real server)."""
    out: list[str] = []
    i = 0
    while i < len(raw):
        decoded = _decode_entity_at(raw, i) if raw[i] == "&" else None
        if decoded is None:
            out.append(raw[i])
            i += 1
        else:
            out.append(decoded[0])
            i = decoded[1]
    return "".join(out)


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in the parsed text
    begin: int  # index of "<" in the source


class _HtmlParser:
    """Telegram's HTML parse mode: tags become entities, character references are decoded."""

    def __init__(self, source: str, *, strict: bool) -> None:
        self.src = source
        self.strict = strict
        self.pieces: list[str] = []
        self.length = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[JSONDict] = []

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def fail(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def emit(self, text: str) -> None:
        self.pieces.append(text)
        self.length += utf16_len(text)

    def parse(self) -> ParsedText:
        src, i = self.src, 0
        while i < len(src):
            char = src[i]
            if char == "&":
                decoded = _decode_entity_at(src, i)
                if decoded is not None:
                    self.emit(decoded[0])
                    i = decoded[1]
                    continue
                if self.strict:
                    at = self.byte_offset(i)
                    raise self.fail(f"Can't find end of the entity starting at byte offset {at}")
            if char != "<":
                self.emit(char)
                i += 1
            elif src.startswith("</", i):
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise self.fail(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.pieces), self.entities)

    def skip_spaces(self, j: int) -> int:
        while j < len(self.src) and self.src[j].isspace():
            j += 1
        return j

    def start_tag(self, begin: int) -> int:
        src, n = self.src, len(self.src)
        unclosed = f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
        j = begin + 1
        while j < n and not src[j].isspace() and src[j] != ">":
            j += 1
        if j >= n:
            raise self.fail(unclosed)
        name = src[begin + 1 : j].lower()
        if name not in _TAG_ENTITY_TYPES:
            raise self.fail(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            j = self.skip_spaces(j)
            if j >= n:
                raise self.fail(unclosed)
            if src[j] == ">":
                break
            k = j
            while k < n and not src[k].isspace() and src[k] not in "=>":
                k += 1
            attr = src[j:k].lower()
            if not attr:
                raise self.fail(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            j = self.skip_spaces(k)
            value = ""
            if j < n and src[j] == "=":
                j = self.skip_spaces(j + 1)
                if j >= n:
                    raise self.fail(unclosed)
                if src[j] in "\"'":
                    end = src.find(src[j], j + 1)
                    if end < 0:
                        raise self.fail(unclosed)
                    value, j = src[j + 1 : end], end + 1
                else:
                    k = j
                    while k < n and not src[k].isspace() and src[k] != ">":
                        k += 1
                    value, j = src[j:k], k
            attrs[attr] = _decode_lenient(value)
        self.check_attributes(name, attrs, begin)
        self.stack.append(_OpenTag(name, attrs, self.length, begin))
        return j + 1

    def check_attributes(self, name: str, attrs: dict[str, str], begin: int) -> None:
        where = f"at byte offset {self.byte_offset(begin)}"
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.fail(f'Tag "span" must have class "tg-spoiler" {where}')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise self.fail("Invalid custom emoji identifier specified")

    def end_tag(self, begin: int) -> int:
        src, n = self.src, len(self.src)
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        j = begin + 2
        while j < n and not src[j].isspace() and src[j] != ">":
            j += 1
        name = src[begin + 2 : j].lower()
        j = self.skip_spaces(j)
        if j >= n or src[j] != ">":
            raise self.fail(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        tag = self.stack.pop()
        if name and name != tag.name:
            raise self.fail(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{name}>"'
            )
        self.add_entity(tag)
        return j + 1

    def add_entity(self, tag: _OpenTag) -> None:
        length = self.length - tag.start
        if length == 0:
            return  # Telegram drops empty entities
        entity: JSONDict = {
            "type": _TAG_ENTITY_TYPES[tag.name],
            "offset": tag.start,
            "length": length,
        }
        if tag.name == "a":
            href = tag.attrs.get("href", "")
            if not href:
                return
            entity["url"] = href
        elif tag.name == "code":
            language = tag.attrs.get("class", "")
            parent = self.stack[-1] if self.stack else None
            if language.startswith("language-") and parent and parent.name == "pre":
                parent.attrs["language"] = language.removeprefix("language-")
                return  # <pre><code class="language-x"> is one pre entity with a language
        elif tag.name == "pre" and tag.attrs.get("language"):
            entity["language"] = tag.attrs["language"]
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        self.entities.append(entity)


def parse_html(source: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram HTML; raises ``EntityParseError`` with the server's wording."""
    return _HtmlParser(source, strict=strict).parse()


def render_text(text: str, parse_mode: Any, *, strict_html: bool = True) -> ParsedText:
    """What Telegram stores for ``text`` + ``parse_mode``: parsed, then outer whitespace trimmed."""
    mode = str(parse_mode or "").lower()
    if mode == "html":
        try:
            parsed = parse_html(text, strict=strict_html)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    elif mode in ("", "markdown", "markdownv2"):
        parsed = ParsedText(text, [])
    else:
        raise bad_request("unsupported parse_mode")
    stripped = parsed.text.strip()
    if stripped == parsed.text:
        return parsed
    lead = utf16_len(parsed.text[: len(parsed.text) - len(parsed.text.lstrip())])
    total = utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, entities)


# --------------------------------------------------------------------------------------------
# Reply markup
# --------------------------------------------------------------------------------------------


def parse_reply_markup(raw: Any) -> JSONDict | None:
    """Validate ``reply_markup`` like the server does; returns the decoded object."""
    if raw is None or raw == "":
        return None
    markup = raw
    if isinstance(raw, str):
        try:
            markup = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"])
    elif "remove_keyboard" in markup:
        if markup["remove_keyboard"] is not True:
            raise bad_request('field "remove_keyboard" of the ReplyKeyboardRemove must be true')
    elif "force_reply" not in markup:
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _check_rows(rows: Any, what: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f"field {what} must be an Array of Arrays")
    if any(len(row) > MAX_BUTTONS_PER_ROW for row in rows):
        raise bad_request("reply markup is too long")
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return rows


def _check_inline_keyboard(rows: Any) -> None:
    what = '"inline_keyboard" of the InlineKeyboardMarkup'
    for row in _check_rows(rows, what):
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    text = button.get("text")
    if text is None:
        raise bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(text, str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in _INLINE_BUTTON_ACTIONS if name in button]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request("BUTTON_TYPE_INVALID")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str):
            raise bad_request(prefix + 'Field "callback_data" must be of type String')
        if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        _check_button_url(button["url"])


def _check_button_url(url: Any) -> None:
    if not isinstance(url, str) or not url:
        raise bad_request("BUTTON_URL_INVALID")
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https", "tg"):
        raise bad_request(
            f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol"
        )
    if parts.scheme != "tg" and not parts.hostname:
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_reply_keyboard(rows: Any) -> None:
    for row in _check_rows(rows, '"keyboard" of the ReplyKeyboardMarkup'):
        for button in row:
            text = button.get("text") if isinstance(button, dict) else button
            if not isinstance(text, str) or not text:
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )


def inline_buttons(markup: JSONDict | None) -> Buttons:
    """The inline keyboard as rows of (text, callback_data)."""
    rows = (markup or {}).get("inline_keyboard") or []
    return [[(b["text"], b.get("callback_data")) for b in row] for row in rows]


def _inline_keyboard(markup: JSONDict | None) -> list[Any] | None:
    return (markup or {}).get("inline_keyboard") or None


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------

Handler = Callable[[JSONDict], Awaitable[Any]]


@dataclass
class _Described:
    """A result that the server sends with a ``description`` (setWebhook and friends)."""

    result: Any
    description: str


class FakeTelegramAPI:
    """An in-process Bot API server; see the module docstring."""

    _METHODS = (
        "getMe",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "sendChatAction",
        "answerCallbackQuery",
        "setWebhook",
        "deleteWebhook",
        "getWebhookInfo",
        "setMyCommands",
        "getMyCommands",
        "deleteMyCommands",
        "getUpdates",
        "sendPhoto",
        "sendDocument",
        "getFile",
    )

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        username: str = "vbsp_test_bot",
        first_name: str = "VBSP Test Bot",
        strict_html: bool = True,
    ) -> None:
        self.token = token
        self.strict_html = strict_html
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.calls: list[Call] = []
        self.rejected: list[Rejected] = []
        self.downloads: list[str] = []  # the file_path of every file the bot downloaded
        self.rate: RateLimit | None = None  # see enforce_rate()
        self._handlers: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, getattr(self, "_" + _snake(name))) for name in self._METHODS
        }
        self._chats: dict[int, _Chat] = {}
        self._blocked: set[int] = set()
        self._sent: dict[int, dict[int, SentMessage]] = defaultdict(dict)
        self._user_messages: dict[int, set[int]] = defaultdict(set)
        self._next_message_id: dict[int, int] = defaultdict(lambda: 1)
        self._update_ids = itertools.count(700_000_001)
        self._callback_ids = itertools.count(4_300_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._open_callbacks: set[str] = set()
        self._failures: dict[str, deque[ApiError | None]] = defaultdict(deque)
        self._files: dict[str, FakeFile] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._webhook: _Webhook | None = None
        self._pending: list[JSONDict] = []
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._updates_event = asyncio.Event()
        self._holds: dict[tuple[str, object], asyncio.Event] = {}
        self.held = 0  # calls that arrived while held (see hold())
        self._call_event = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.root = ""

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.root = f"http://{host}:{port}"

    async def close(self) -> None:
        self._closing = True
        self._updates_event.set()  # release long polls so the server can shut down at once
        for release in self._holds.values():
            release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ---- test controls -------------------------------------------------------------------

    def add_chat(
        self,
        chat_id: int,
        *,
        first_name: str = "An",
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> None:
        """Make a chat known, as if the user had written to the bot."""
        if chat_id not in self._chats:
            self._chats[chat_id] = _Chat(chat_id, first_name, username, language_code)

    def block(self, chat_id: int) -> None:
        """Sends to this chat now fail with 403 "bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with an error instead of handling them
        (``after`` calls handled first: a failure in the middle of a long message)."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = _DEFAULT_DESCRIPTIONS.get(error_code) or _phrase(error_code)
        queue = self._failures[method.lower()]
        queue.extend([None] * after)
        for _ in range(times):
            queue.append(ApiError(error_code, description, retry_after))

    def hold(self, method: str, chat_id: int) -> asyncio.Event:
        """Keep calls of ``method`` for ``chat_id`` waiting (a slow network, a process killed
        mid-request) until the returned event is set; ``held`` counts those that arrived."""
        release = asyncio.Event()
        self._holds[(method.lower(), chat_id)] = release
        return release

    def enforce_rate(
        self,
        per_second: float,
        *,
        burst: float | None = None,
        retry_after: int = 1,
        grace: float = 0.02,
    ) -> RateLimit:
        """Answer sends beyond ``per_second`` (a token bucket holding ``burst``, default a fifth
        of a second's worth) with 429 and ``retry_after``, as Telegram does for bulk sending.

        From each 429 the chat's whole bot is paused for ``retry_after`` seconds: a request
        arriving then (more than ``grace`` after the 429 left, the time a request already on
        the wire needs) is counted in ``during_pause`` and answered 429 again.
        """
        self.rate = RateLimit(per_second, burst, retry_after, grace)
        return self.rate

    def reset(self) -> None:
        """Forget recordings, messages, updates, webhook, commands and injected failures.

        Known chats and the id counters stay, so ids keep increasing as on the real server.
        """
        self.calls.clear()
        self.rejected.clear()
        self.downloads.clear()
        self._blocked.clear()
        self._sent.clear()
        self._user_messages.clear()
        self._open_callbacks.clear()
        self._failures.clear()
        self._files.clear()
        self._commands.clear()
        self._webhook = None
        self._pending.clear()
        self._allowed_updates = None

    # ---- inspection ----------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to the chat and did not delete, oldest first."""
        return list(self._sent.get(chat_id, {}).values())

    def last_message(self, chat_id: int) -> SentMessage | None:
        sent = self.messages(chat_id)
        return sent[-1] if sent else None

    def file_content(self, file_id: str | None) -> bytes | None:
        """The bytes of a file the bot uploaded (or a test sent), by its file id."""
        file = self._files.get(file_id or "")
        return file.content if file else None

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def pending_updates(self) -> list[JSONDict]:
        return list(self._pending)

    @property
    def webhook_url(self) -> str:
        return self._webhook.url if self._webhook else ""

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        return list(self._commands.get(_commands_key(scope, language_code), []))

    async def wait_for_calls(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        """Wait (on an event, no polling) until ``method`` was called ``count`` times."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(found := self.calls_to(method)) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{method} called {len(found)} times, expected {count}")
            self._call_event.clear()
            await _wait(self._call_event, remaining)
        return found

    # ---- update builders -----------------------------------------------------------------

    def make_message(
        self,
        chat_id: int,
        text: str,
        first_name: str = "An",
        language_code: str | None = "vi",
        *,
        username: str | None = None,
        enqueue: bool = False,
    ) -> JSONDict:
        """An Update with a private text message from the user ``chat_id``."""
        chat = self._known_user_chat(chat_id, first_name, username, language_code)
        message_id = self._new_message_id(chat_id)
        self._user_messages[chat_id].add(message_id)
        message: JSONDict = {
            "message_id": message_id,
            "from": chat.user_json(),
            "chat": chat.chat_json(),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return self._new_update({"message": message}, enqueue)

    def make_photo(
        self,
        chat_id: int,
        content: bytes,
        caption: str | None = None,
        *,
        first_name: str = "An",
        username: str | None = None,
        language_code: str | None = "vi",
        enqueue: bool = False,
    ) -> JSONDict:
        """An Update with a photo the user sent (in two sizes, the largest last); ``getFile``
        and the download URL then serve ``content``."""
        return self._make_file_message(
            chat_id, "photo", content, None, None, caption,
            first_name, username, language_code, enqueue,
        )  # fmt: skip

    def make_document(
        self,
        chat_id: int,
        content: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        first_name: str = "An",
        username: str | None = None,
        language_code: str | None = "vi",
        enqueue: bool = False,
    ) -> JSONDict:
        """An Update with a document the user sent; ``getFile`` serves ``content``."""
        return self._make_file_message(
            chat_id, "document", content, file_name, mime_type, caption,
            first_name, username, language_code, enqueue,
        )  # fmt: skip

    def _make_file_message(
        self,
        chat_id: int,
        kind: str,
        content: bytes,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
        first_name: str,
        username: str | None,
        language_code: str | None,
        enqueue: bool,
    ) -> JSONDict:
        chat = self._known_user_chat(chat_id, first_name, username, language_code)
        file = self._new_file(kind, content, file_name, mime_type)
        message_id = self._new_message_id(chat_id)
        self._user_messages[chat_id].add(message_id)
        message: JSONDict = {
            "message_id": message_id,
            "from": chat.user_json(),
            "chat": chat.chat_json(),
            "date": int(time.time()),
            **_file_json(file, kind),
        }
        if caption:
            message["caption"] = caption
        return self._new_update({"message": message}, enqueue)

    def make_callback(
        self,
        chat_id: int,
        data: str,
        message_id: int | None = None,
        *,
        enqueue: bool = False,
    ) -> JSONDict:
        """An Update with a callback query pressed on a bot message (default: the last one)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            raise LookupError(f"chat {chat_id} is unknown to the fake")
        if message_id is None:
            last = self.last_message(chat_id)
            if last is None:
                raise LookupError(f"the bot has sent no message to chat {chat_id}")
            message_id = last.message_id
        sent = self._sent.get(chat_id, {}).get(message_id)
        if sent is None:
            raise LookupError(f"no bot message {message_id} in chat {chat_id}")
        query_id = str(next(self._callback_ids))
        self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": chat.user_json(),
            "message": self._message_json(sent),
            "chat_instance": str(-(abs(chat_id) * 7919 + 17)),
            "data": data,
        }
        return self._new_update({"callback_query": query}, enqueue)

    def make_my_chat_member(
        self, chat_id: int, status: str = "kicked", *, enqueue: bool = False
    ) -> JSONDict:
        """The user blocked ("kicked") or unblocked ("member") the bot; sends follow suit."""
        if status not in ("kicked", "member"):
            raise ValueError("status must be 'kicked' or 'member'")
        known = self._chats.get(chat_id)
        chat = known or self._known_user_chat(chat_id, "An", None, "vi")
        old = "member" if status == "kicked" else "kicked"
        new_member: JSONDict = {"user": dict(self.bot_user), "status": status}
        old_member: JSONDict = {"user": dict(self.bot_user), "status": old}
        if status == "kicked":
            new_member["until_date"] = 0
            self.block(chat_id)
        else:
            old_member["until_date"] = 0
            self.unblock(chat_id)
        update = {
            "chat": chat.chat_json(),
            "from": chat.user_json(),
            "date": int(time.time()),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        return self._new_update({"my_chat_member": update}, enqueue)

    def enqueue(self, update: JSONDict) -> None:
        """Queue an update for ``getUpdates`` and wake a waiting long poll."""
        if not isinstance(update.get("update_id"), int):
            raise ValueError("an update needs an int update_id")
        self._pending.append(update)
        self._updates_event.set()

    # ---- HTTP ----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token, raw_method = request.match_info["token"], request.match_info["method"]
        params = await _read_params(request)
        known = self._handlers.get(raw_method.lower())
        method = known[0] if known else raw_method
        self.calls.append(Call(method, params))
        self._call_event.set()
        try:
            self._check_token(token)
            if known is None:
                raise ApiError(404, "Not Found")
            if self.rate is not None:
                self.rate.admit(method)
            failures = self._failures.get(method.lower())
            if failures:
                failure = failures.popleft()
                if failure is not None:  # None: this call is handled (``after``)
                    raise failure
            release = self._holds.get((method.lower(), params.get("chat_id")))
            if release is not None and not release.is_set():
                self.held += 1
                await release.wait()
            result = await known[1](params)
        except ApiError as err:
            self.rejected.append(Rejected(method, params, err.error_code, err.description))
            if self.rate is not None and err.error_code == 429 and err.retry_after:
                self.rate.paused(err.retry_after)
            return web.json_response(err.payload(), status=err.error_code)
        body: JSONDict = {"ok": True}
        if isinstance(result, _Described):
            body["result"], body["description"] = result.result, result.description
        else:
            body["result"] = result
        return web.json_response(body)

    async def _download(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request.match_info["token"])
        except ApiError as err:
            return web.json_response(err.payload(), status=err.error_code)
        path = request.match_info["path"]
        for file in self._files.values():
            if file.file_path == path and file.content is not None:
                self.downloads.append(path)
                return web.Response(body=file.content, content_type="application/octet-stream")
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    def _check_token(self, token: str) -> None:
        if token != self.token:
            if _TOKEN_RE.fullmatch(token):
                raise ApiError(401, "Unauthorized")
            raise ApiError(404, "Not Found")

    # ---- helpers -------------------------------------------------------------------------

    def _known_user_chat(
        self, chat_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> _Chat:
        if chat_id <= 0:
            raise ValueError("update builders model private chats only (chat_id > 0)")
        self.add_chat(
            chat_id, first_name=first_name, username=username, language_code=language_code
        )
        chat = self._chats[chat_id]
        chat.first_name, chat.language_code = first_name, language_code
        chat.username = username or chat.username
        return chat

    def _new_update(self, body: JSONDict, enqueue: bool) -> JSONDict:
        update = {"update_id": next(self._update_ids), **body}
        if enqueue:
            self.enqueue(update)
        return update

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id[chat_id]
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _chat(self, params: JSONDict, *, sending: bool) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        if sending and chat.id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _render(self, text: str, parse_mode: Any) -> ParsedText:
        return render_text(text, parse_mode, strict_html=self.strict_html)

    def _message_text(self, params: JSONDict) -> tuple[str, ParsedText]:
        text = params.get("text")
        text = "" if text is None else str(text)
        parsed = self._render(text, params.get("parse_mode"))
        if not parsed.text:
            raise bad_request("message text is empty")
        if utf16_len(parsed.text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return text, parsed

    def _check_reply_to(self, chat: _Chat, params: JSONDict) -> None:
        reply = params.get("reply_parameters")
        target = reply.get("message_id") if isinstance(reply, dict) else None
        target = target if target is not None else params.get("reply_to_message_id")
        if target is None:
            return
        exists = target in self._sent.get(chat.id, {}) or target in self._user_messages[chat.id]
        allow = params.get("allow_sending_without_reply") or (
            isinstance(reply, dict) and reply.get("allow_sending_without_reply")
        )
        if not exists and not allow:
            raise bad_request("message to be replied not found")

    def _store(self, chat: _Chat, message: SentMessage) -> JSONDict:
        self._sent[chat.id][message.message_id] = message
        return self._message_json(message)

    def _message_json(self, message: SentMessage) -> JSONDict:
        chat = self._chats[message.chat_id]
        body: JSONDict = {
            "message_id": message.message_id,
            "from": dict(self.bot_user),
            "chat": chat.chat_json(),
            "date": message.date,
        }
        if message.edit_date is not None:
            body["edit_date"] = message.edit_date
        text_key, entities_key = "text", "entities"
        if message.kind != "text":
            text_key, entities_key = "caption", "caption_entities"
            file = self._files[message.file_id or ""]
            body.update(_file_json(file, message.kind))
        if message.plain_text or message.kind == "text":
            body[text_key] = message.plain_text
        if message.entities:
            body[entities_key] = message.entities
        if _inline_keyboard(message.reply_markup):
            body["reply_markup"] = {"inline_keyboard": message.reply_markup["inline_keyboard"]}
        return body

    def _edited_message(self, params: JSONDict) -> SentMessage:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(params, sending=False)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise bad_request("message identifier is not specified")
        message = self._sent.get(chat.id, {}).get(message_id)
        if message is None:
            if message_id in self._user_messages[chat.id]:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return message

    def _resolve_file(self, value: Any, kind: str) -> FakeFile:
        if isinstance(value, UploadedFile):
            return self._new_file(kind, value.content, value.filename, value.content_type)
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = urlsplit(value).path.rsplit("/", 1)[-1] or None
            return self._new_file(kind, None, name, None)
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _new_file(
        self, kind: str, content: bytes | None, name: str | None, mime: str | None
    ) -> FakeFile:
        number = next(self._file_ids)
        folder = "photos" if kind == "photo" else "documents"
        if kind == "photo":
            suffix = ".jpg"
        else:
            suffix = "." + name.rsplit(".", 1)[-1] if name and "." in name else ""
        file = FakeFile(
            file_id=f"Fake{kind.capitalize()}Id{number:06d}",
            file_unique_id=f"FakeUnique{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            content=content,
            file_name=name,
            mime_type=mime or ("image/jpeg" if kind == "photo" else None),
        )
        self._files[file.file_id] = file
        return file

    # ---- methods -------------------------------------------------------------------------

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return dict(self.bot_user)

    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat = self._chat(params, sending=True)
        text, parsed = self._message_text(params)
        markup = parse_reply_markup(params.get("reply_markup"))
        self._check_reply_to(chat, params)
        message = SentMessage(
            message_id=self._new_message_id(chat.id),
            chat_id=chat.id,
            text=text,
            parse_mode=params.get("parse_mode") or None,
            plain_text=parsed.text,
            buttons=inline_buttons(markup),
            entities=parsed.entities,
            reply_markup=markup,
            date=int(time.time()),
        )
        return self._store(chat, message)

    async def _send_photo(self, params: JSONDict) -> JSONDict:
        return self._send_media(params, "photo")

    async def _send_document(self, params: JSONDict) -> JSONDict:
        return self._send_media(params, "document")

    def _send_media(self, params: JSONDict, kind: str) -> JSONDict:
        chat = self._chat(params, sending=True)
        value = params.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if value is None or value == "":
            raise bad_request(f"there is no {kind} in the request")
        caption = str(params.get("caption") or "")
        parsed = self._render(caption, params.get("parse_mode"))
        if utf16_len(parsed.text) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        markup = parse_reply_markup(params.get("reply_markup"))
        self._check_reply_to(chat, params)
        file = self._resolve_file(value, kind)
        message = SentMessage(
            message_id=self._new_message_id(chat.id),
            chat_id=chat.id,
            text=caption,
            parse_mode=params.get("parse_mode") or None,
            plain_text=parsed.text,
            buttons=inline_buttons(markup),
            entities=parsed.entities,
            reply_markup=markup,
            kind=kind,
            file_id=file.file_id,
            date=int(time.time()),
        )
        return self._store(chat, message)

    async def _get_file(self, params: JSONDict) -> JSONDict:
        file = self._files.get(str(params.get("file_id") or ""))
        if file is None:
            raise bad_request("invalid file_id")
        body: JSONDict = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_path": file.file_path,
        }
        if file.content is not None:
            body["file_size"] = len(file.content)
        return body

    async def _edit_message_text(self, params: JSONDict) -> JSONDict:
        message = self._edited_message(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, parsed = self._message_text(params)
        markup = parse_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        if (
            parsed.text == message.plain_text
            and parsed.entities == message.entities
            and _inline_keyboard(markup) == _inline_keyboard(message.reply_markup)
        ):
            raise bad_request(NOT_MODIFIED)
        # Like the real server: an edit without reply_markup removes the inline keyboard.
        message.text, message.plain_text, message.entities = text, parsed.text, parsed.entities
        message.parse_mode = params.get("parse_mode") or None
        message.reply_markup, message.buttons = markup, inline_buttons(markup)
        message.edit_date = int(time.time())
        return self._message_json(message)

    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        message = self._edited_message(params)
        markup = parse_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        if _inline_keyboard(markup) == _inline_keyboard(message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        message.reply_markup, message.buttons = markup, inline_buttons(markup)
        message.edit_date = int(time.time())
        return self._message_json(message)

    async def _delete_message(self, params: JSONDict) -> bool:
        chat = self._chat(params, sending=False)
        message_id = params.get("message_id")
        if self._sent.get(chat.id, {}).pop(message_id, None) is not None:
            return True
        if message_id in self._user_messages[chat.id]:
            self._user_messages[chat.id].discard(message_id)
            return True
        raise bad_request("message to delete not found")

    async def _send_chat_action(self, params: JSONDict) -> bool:
        self._chat(params, sending=True)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = params.get("callback_query_id")
        if query_id is None or query_id == "":
            raise bad_request('parameter "callback_query_id" is required')
        if utf16_len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        if str(query_id) not in self._open_callbacks:
            raise bad_request(QUERY_TOO_OLD)
        self._open_callbacks.discard(str(query_id))
        return True

    async def _set_webhook(self, params: JSONDict) -> _Described:
        url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if not url:
            return await self._delete_webhook({})
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if parts.port not in (None, 80, 88, 443, 8443):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        max_connections = params.get("max_connections")
        max_connections = max_connections if isinstance(max_connections, int) else 40
        allowed = params.get("allowed_updates")
        was_set = self._webhook is not None and self._webhook.url == url
        self._webhook = _Webhook(
            url=url,
            secret_token=None if secret is None else str(secret),
            max_connections=min(max(max_connections, 1), 100),
            allowed_updates=allowed if isinstance(allowed, list) else None,
        )
        self._updates_event.set()  # a waiting getUpdates gets its 409
        return _Described(True, "Webhook is already set" if was_set else "Webhook was set")

    async def _delete_webhook(self, params: JSONDict) -> _Described:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if self._webhook is None:
            return _Described(True, "Webhook is already deleted")
        self._webhook = None
        return _Described(True, "Webhook was deleted")

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            if self._webhook.allowed_updates is not None:
                info["allowed_updates"] = self._webhook.allowed_updates
        return info

    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if commands is None:
            raise bad_request('parameter "commands" is required')
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        stored = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand: BotCommand must be an Object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name.removeprefix("/")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": name.removeprefix("/"), "description": description})
        key = _commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = stored
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        key = _commands_key(params.get("scope"), params.get("language_code"))
        return list(self._commands.get(key, []))

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(_commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset") if isinstance(params.get("offset"), int) else 0
        limit = params.get("limit") if isinstance(params.get("limit"), int) else 100
        limit = min(max(limit, 1), 100)
        timeout = params.get("timeout") if isinstance(params.get("timeout"), int) else 0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = allowed or None
        # A newer getUpdates ends an older one that is still waiting, as on the real server.
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_event.set()
        self._confirm(offset)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0)
        while True:
            self._drop_unwanted()
            if self._pending or self._closing:
                return self._pending[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            self._updates_event.clear()
            await _wait(self._updates_event, remaining)
            if generation != self._poll_generation:
                raise ApiError(409, POLL_CONFLICT)
            if self._webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    def _drop_unwanted(self) -> None:
        """The real server drops update types the bot did not ask for."""
        allowed = self._allowed_updates

        def wanted(update: JSONDict) -> bool:
            kind = _update_type(update)
            return kind in allowed if allowed else kind not in _NOT_DEFAULT_UPDATES

        self._pending = [update for update in self._pending if wanted(update)]


# --------------------------------------------------------------------------------------------
# Module helpers
# --------------------------------------------------------------------------------------------


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Wait until ``event`` is set or ``seconds`` pass, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return f"Error {code}"


def _update_type(update: JSONDict) -> str:
    return next((key for key in update if key != "update_id"), "")


def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    if not isinstance(scope, dict) or scope.get("type", "default") == "default":
        scope_key = "default"
    else:
        scope_key = json.dumps(scope, sort_keys=True)
    return scope_key, str(language_code or "")


def _file_json(file: FakeFile, kind: str) -> JSONDict:
    """The ``photo`` (largest size last, the one ``getFile`` knows) or ``document`` field."""
    ids = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
    size = {"file_size": len(file.content)} if file.content is not None else {}
    if kind == "photo":
        thumb = {key: f"{value}_s" for key, value in ids.items()}
        return {
            "photo": [
                {**thumb, "width": 90, "height": 90},
                {**ids, "width": 320, "height": 320, **size},
            ]
        }
    extra = {"file_name": file.file_name, "mime_type": file.mime_type}
    return {"document": {**ids, **size, **{k: v for k, v in extra.items() if v}}}


async def _read_params(request: web.Request) -> JSONDict:
    """Parameters from the query string and a form, multipart or JSON body, decoded."""
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                raw.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                raw[key] = value
    return {key: _decode_param(key, value) for key, value in raw.items()}


def _decode_param(name: str, value: Any) -> Any:
    if isinstance(value, web.FileField):
        return UploadedFile(value.filename, value.content_type, value.file.read())
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value  # validation reports it with the method's own wording
    if name in _INT_FIELDS and _INT_RE.fullmatch(value):
        return int(value)
    if name in _BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return value

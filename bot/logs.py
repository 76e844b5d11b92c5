"""Logging that never carries a secret, a chat id or what a citizen wrote.

One setup for every command (`setup`): third-party loggers held at WARNING (they log tokens
in URLs and SQL parameters at DEBUG) unless LOG_LEVEL_LIBRARIES asks for more; a filter on
the handlers that masks tokens, webhook secrets and the database password wherever they
appear; tracebacks that keep the frames and exception types but withhold the messages,
which may hold SQL parameters, a driver's DETAIL line or a user's text. `chat_tag` gives
an opaque per-process name for a chat, for following one conversation through the log.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import IO

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Everything logged below WARNING by these may carry a token (PTB, httpx: the Bot API URL),
# SQL parameters (SQLAlchemy, aiosqlite), or request lines (aiohttp.access).
LIBRARIES = (
    "telegram",
    "httpx",
    "httpcore",
    "hpack",
    "aiohttp",
    "aiosqlite",
    "sqlalchemy",
    "asyncpg",
    "apscheduler",
    "alembic",
)

MASK = "***"

# Exceptions whose message is written by code we trust to hold no content (a type, a
# timeout, a refused connection); every other message is withheld from the log.
SAFE_MESSAGES: tuple[type[BaseException], ...] = (
    TimeoutError,
    ConnectionError,
    RecursionError,
    MemoryError,
    ImportError,
    NameError,
    AttributeError,
)

_KEY = os.urandom(32)  # new every process: a tag cannot be matched across restarts


def chat_tag(channel: str, chat_id: object) -> str:
    """An opaque name for one chat, stable within this process only (keyed BLAKE2)."""
    digest = hashlib.blake2b(f"{channel}:{chat_id}".encode(), key=_KEY, digest_size=5)
    return f"{channel}#{digest.hexdigest()}"


def library_level(settings: Settings) -> int:
    """LOG_LEVEL_LIBRARIES when set; otherwise WARNING, or LOG_LEVEL when that is higher."""
    if settings.log_level_libraries is not None:
        return logging.getLevelName(settings.log_level_libraries)  # type: ignore[no-any-return]
    return max(logging.WARNING, logging.getLevelName(settings.log_level))


def secrets_of(settings: Settings) -> list[str]:
    """Every secret setting's value, the token's secret half, and the database password."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
    for token in list(found):
        # "123456:ABC…": the half after the colon is the secret, also seen URL-encoded.
        found.append(token.partition(":")[2])
    try:
        password = make_url(settings.database_url).password
    except ArgumentError:
        password = None
    if password:
        found.append(str(password))
    # Longest first, so a token is masked whole before its half is looked for; very short
    # values would mask ordinary words.
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def safe_traceback(exc: BaseException) -> str:
    """A traceback with every frame and exception type, and messages only of safe types."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__suppress_context__:
            current = None
        else:
            current = current.__context__
    parts: list[str] = []
    for index, error in enumerate(reversed(chain)):
        if index:
            parts.append("\nDuring the above, another exception occurred:\n\n")
        if error.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        parts.append(describe(error) + "\n")
    return "".join(parts).rstrip("\n")


def describe(error: BaseException) -> str:
    """`module.Type: message` for a safe type, `module.Type (message withheld)` otherwise."""
    kind = type(error)
    name = kind.__qualname__
    if kind.__module__ != "builtins":
        name = f"{kind.__module__}.{name}"
    if isinstance(error, SAFE_MESSAGES):
        message = str(error)
        return f"{name}: {message}" if message else name
    statement = getattr(error, "statement", None)  # SQLAlchemy's: the SQL, never the values
    where = f" [SQL: {' '.join(str(statement).split())[:300]}]" if statement else ""
    return f"{name} (message withheld){where}"


class SecretMask(logging.Filter):
    """On a handler: masks secrets in a record's message and arguments, and replaces its
    traceback text with `safe_traceback` (so any formatter downstream shows that)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: show the template, not the arguments
            message = f"{record.msg} (arguments withheld: they did not fit the message)"
        record.msg, record.args = self.mask(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.mask(safe_traceback(record.exc_info[1]))
        elif record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


class SafeFormatter(logging.Formatter):
    """The usual line; a traceback without exception messages, even without the filter."""

    def formatException(
        self,
        ei: tuple[type[BaseException], BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> str:
        return safe_traceback(ei[1]) if ei[1] is not None else ""


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the stream given, or to whatever sys.stderr is at the moment of writing."""

    def __init__(self, stream: IO[str] | None) -> None:
        super().__init__(stream)
        self._given = stream

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return self._given or sys.stderr

    @stream.setter
    def stream(self, value: IO[str] | None) -> None:
        self._given = value


def setup(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Configure logging for this process; returns the handler it added or reused.

    Like logging.basicConfig, a handler is added only when the root logger has none (or a
    stream is given); the mask goes on every root handler either way."""
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(library_level(settings))
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    handler: logging.Handler | None = None
    if stream is not None or not root.handlers:
        handler = _Handler(stream)
        handler.setFormatter(SafeFormatter(FORMAT))
        root.addHandler(handler)
    mask = SecretMask(secrets_of(settings))
    for each in root.handlers:
        for old_mask in [f for f in each.filters if isinstance(f, SecretMask)]:
            each.removeFilter(old_mask)
        each.addFilter(mask)
    return handler or root.handlers[0]


class RouteAccessLogger(AbstractAccessLogger):
    """The access log of `vbsp-bot serve`, built from what is known to be safe: the method,
    the route's pattern (/staff/signin/{token}, never the token), the status and the time.
    No address, no query string, no header: a path may hold a sign-in token, and a log line
    with a staff member's or a reporter's address is one more thing to protect."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        route = "?"
        match_info = getattr(request, "match_info", None)
        if match_info is not None and match_info.route.resource is not None:
            route = match_info.route.resource.canonical
        self.logger.info("%s %s %d %.1fms", request.method, route, response.status, time * 1000)

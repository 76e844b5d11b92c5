"""Telegram channel: python-telegram-bot updates in, channel-neutral replies out.

python-telegram-bot is the transport: its Bot API client, update parsing, long polling and
rate limiter. The dialogs live in handlers/ and never see a Telegram type.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable

# Opt in to PTB's coming behaviour: RetryAfter.retry_after as a timedelta (no warning per 429).
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.delivery import Outcome, Result
from bot.logs import chat_tag
from bot.metrics import Metrics
from bot.render import split_text
from bot.telegram_http import AiohttpRequest
from bot.turns import ChatTurns
from handlers.core.dispatch import Deps, handle
from handlers.core.types import (
    Attachment,
    Button,
    FileFetchError,
    FileTooLarge,
    Incoming,
    Media,
    Reply,
)
from storage import outbox, users
from storage.db import transaction

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# Commands shown in Telegram's menu; each is described by the message `command.<name>`.
MENU_COMMANDS = (
    "menu",
    "chuongtrinh",
    "dieukien",
    "lich",
    "tindungden",
    "baocao",
    "tracuu",
    "caidat",
    "dulieu",
    "help",
    "huy",
)
# Interactive replies are retried this many times after a 429 or a network error.
SEND_ATTEMPTS = 3

Sleep = Callable[[float], Awaitable[None]]


def build_application(token: str, api_root: str, send_rate: float = 25) -> Application:
    """PTB's Bot API client and rate limiter. No Updater: webhooks come to our aiohttp
    server, and polling is bot/telegram_polling.py (it confirms updates only once handled)."""
    builder: ApplicationBuilder = (
        Application.builder()
        .token(token)
        .base_url(f"{api_root}/bot")
        .base_file_url(f"{api_root}/file/bot")
        .request(AiohttpRequest())  # getUpdates (polling) keeps PTB's own httpx request
        # Paces every call under Telegram's ceiling of about 30/s, or under a higher
        # SEND_RATE_PER_SECOND an operator chose (paid broadcasts); retries are ours.
        .rate_limiter(AIORateLimiter(overall_max_rate=max(30, send_rate), max_retries=0))
        .updater(None)
    )
    # With max_retries=0 it logs every 429 as an error with a traceback; the outbox sender
    # and the replies handle 429s themselves and log them once, as warnings.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    return builder.build()


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    return _keyboard(reply.buttons) if reply.buttons else None


@functools.lru_cache(maxsize=1024)
def _keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup:
    """Menus repeat: each is built once (PTB's objects are immutable, so one can be shared)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in rows]
    )


def to_incoming(update: Update) -> Incoming | None:
    """A private chat's message or button press; None for anything the dialogs do not take."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE or user.is_bot:
        return None
    name = " ".join(p for p in (user.first_name, user.last_name) if p) or None
    if update.callback_query is not None:
        return Incoming(
            CHANNEL,
            str(user.id),
            action=update.callback_query.data or "",
            display_name=name,
            language_hint=user.language_code,
        )
    message = update.message
    if message is None:
        return None
    return Incoming(
        CHANNEL,
        str(user.id),
        text=message.text or message.caption,
        display_name=name,
        language_hint=user.language_code,
        attachments=_attachments(message),
    )


def _attachments(message: Message) -> tuple[Attachment, ...]:
    """A photo (the largest of its sizes) or a document, with what Telegram says of it."""
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return (Attachment("photo", largest.file_id, largest.file_size, "image/jpeg"),)
    doc = message.document
    if doc is not None:
        return (Attachment("document", doc.file_id, doc.file_size, doc.mime_type, doc.file_name),)
    return ()


class TelegramChannel:
    """Receives Telegram updates (webhook or polling) and sends the dialogs' replies."""

    def __init__(
        self,
        application: Application,
        deps: Deps,
        metrics: Metrics,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.application = application
        # The dialogs download what users send (report evidence) through this channel.
        self.deps = dataclasses.replace(deps, fetch_file=self.fetch_file)
        self.metrics = metrics
        self.sleep = sleep
        self._chat_turns = ChatTurns()

    @property
    def bot(self):  # type: ignore[no-untyped-def]
        return self.application.bot

    async def set_commands(self) -> None:
        """Telegram's command menu, in both languages."""
        content = self.deps.content
        for lang in ("vi", "en"):
            commands = [
                BotCommand(cmd, content.text(f"command.{cmd}", lang)) for cmd in MENU_COMMANDS
            ]
            await self.bot.set_my_commands(commands, language_code=None if lang == "vi" else lang)

    async def handle_update(self, update: Update) -> None:
        """Handle one update in its chat's order, and send what the dialogs reply."""
        self.metrics.updates.labels(CHANNEL).inc()
        if update.my_chat_member is not None:
            await self._track_block(update)
            return
        incoming = to_incoming(update)
        if incoming is None:
            return
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        async with self._chat_turns.turn(chat_id):
            started = time.perf_counter()
            replies = await handle(incoming, self.deps, update.update_id)
            self.metrics.handler_seconds.labels(CHANNEL).observe(time.perf_counter() - started)
            if replies is None:
                return  # a redelivery: handled and answered the first time
            if update.callback_query is not None:
                try:  # stop the button's spinner; an expired query is harmless to skip
                    await update.callback_query.answer()
                except TelegramError as exc:
                    log.debug("answerCallbackQuery failed: %s", exc)
            await self.send_replies(chat_id, replies)

    async def _track_block(self, update: Update) -> None:
        member = update.my_chat_member
        assert member is not None
        if member.chat.type != ChatType.PRIVATE:
            return
        blocked = member.new_chat_member.status == "kicked"
        async with transaction(self.deps.sessions) as session:
            if await users.remember_update(session, CHANNEL, update.update_id, self.deps.clock()):
                await users.set_blocked(session, CHANNEL, str(member.from_user.id), blocked)

    async def deliver(self, chat_id: str, replies: list[Reply]) -> Result:
        """Send for the outbox: no retry here; the sender decides from the outcome. When a
        long reply's later part fails, the outcome carries what is left (``rest``)."""
        rest: Reply | None = None
        try:
            for reply in replies:
                if reply.photo:  # a broadcast's picture, by the file id Telegram gave us
                    await self.bot.send_photo(
                        int(chat_id), reply.photo, caption=reply.text,
                        parse_mode=ParseMode.HTML, reply_markup=keyboard(reply),
                    )  # fmt: skip
                    self.metrics.replies.labels(CHANNEL).inc()
                    continue
                chunks = split_text(reply.text)
                for i, chunk in enumerate(chunks):
                    markup = keyboard(reply) if i == len(chunks) - 1 else None
                    rest = Reply("\n\n".join(chunks[i:]), reply.buttons) if i else None
                    await self.bot.send_message(
                        int(chat_id), chunk, parse_mode=ParseMode.HTML, reply_markup=markup
                    )
                    self.metrics.replies.labels(CHANNEL).inc()
                rest = None
        except Forbidden as exc:
            self.metrics.send_errors.labels(CHANNEL, "blocked").inc()
            return Result(Outcome.BLOCKED, error=str(exc))
        except RetryAfter as exc:
            self.metrics.send_errors.labels(CHANNEL, "rate_limited").inc()
            return Result(
                Outcome.RETRY_AFTER, retry_after=retry_seconds(exc.retry_after), rest=rest
            )
        except BadRequest as exc:
            self.metrics.send_errors.labels(CHANNEL, "bad_request").inc()
            return Result(Outcome.REJECTED, error=str(exc))
        except (NetworkError, TelegramError) as exc:
            self.metrics.send_errors.labels(CHANNEL, "network").inc()
            return Result(Outcome.TRANSIENT, error=str(exc), rest=rest)
        return Result(Outcome.SENT)

    async def fetch_file(self, attachment: Attachment, max_bytes: int) -> bytes:
        """The bytes of a file a user sent, refused past ``max_bytes`` before downloading."""
        if attachment.size is not None and attachment.size > max_bytes:
            raise FileTooLarge(attachment.kind)
        try:
            file = await self.bot.get_file(attachment.file_id)
            if file.file_size is not None and file.file_size > max_bytes:
                raise FileTooLarge(attachment.kind)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            raise FileFetchError(str(exc)) from None
        if len(data) > max_bytes:
            raise FileTooLarge(attachment.kind)
        return data

    async def _send_media(self, chat_id: int, media: Media) -> None:
        """Upload a stored file (never a file id someone else sent us)."""
        upload = InputFile(media.data, filename=media.file_name)
        caption = media.caption or None
        if media.kind == "photo":
            await self.bot.send_photo(chat_id, upload, caption=caption, parse_mode=ParseMode.HTML)
        else:
            await self.bot.send_document(
                chat_id, upload, caption=caption, parse_mode=ParseMode.HTML
            )
        self.metrics.replies.labels(CHANNEL).inc()

    async def send_replies(self, chat_id: int, replies: list[Reply]) -> bool:
        """Send replies in order; False when the user blocked the bot (they are marked).

        The update is already recorded as handled, so a reply Telegram would not take now
        (429 or network errors, after retries) is not dropped: it and the rest go to the
        outbox, which sends them as soon as Telegram lets it."""
        for index, reply in enumerate(replies):
            for media in reply.media:
                try:
                    await self._send_media(chat_id, media)
                except Forbidden:
                    async with transaction(self.deps.sessions) as session:
                        await users.set_blocked(session, CHANNEL, str(chat_id), True)
                    return False
                except TelegramError:
                    self.metrics.send_errors.labels(CHANNEL, "media").inc()
                    log.exception("Telegram refused a file for chat %s", chat_tag(CHANNEL, chat_id))
            if not reply.text:
                continue
            chunks = [reply.text] if reply.photo else split_text(reply.text)
            for i, chunk in enumerate(chunks):
                markup = keyboard(reply) if i == len(chunks) - 1 else None
                try:
                    if not await self._send(chat_id, chunk, markup, reply.photo):
                        return False
                except (RetryAfter, NetworkError):
                    rest = Reply("\n\n".join(chunks[i:]), reply.buttons, photo=reply.photo)
                    await self._send_later(chat_id, [rest, *replies[index + 1 :]])
                    return True
        return True

    async def _send_later(self, chat_id: int, replies: list[Reply]) -> None:
        later = [r.to_payload() for r in replies if r.text and not r.media]
        async with transaction(self.deps.sessions) as session:
            await outbox.enqueue_later(session, CHANNEL, str(chat_id), later, self.deps.clock())
        tag = chat_tag(CHANNEL, chat_id)
        log.warning("Telegram took no reply to chat %s now; %d queued", tag, len(later))

    async def _send(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None,
        photo: str | None = None,
    ) -> bool:
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                if photo:
                    await self.bot.send_photo(
                        chat_id, photo, caption=text, parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )  # fmt: skip
                else:
                    await self.bot.send_message(
                        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                    )
                self.metrics.replies.labels(CHANNEL).inc()
                return True
            except Forbidden:
                self.metrics.send_errors.labels(CHANNEL, "blocked").inc()
                async with transaction(self.deps.sessions) as session:
                    await users.set_blocked(session, CHANNEL, str(chat_id), True)
                return False
            except RetryAfter as exc:
                self.metrics.send_errors.labels(CHANNEL, "rate_limited").inc()
                if attempt == SEND_ATTEMPTS:
                    raise
                await self.sleep(retry_seconds(exc.retry_after))
            except BadRequest:
                # Our text or buttons were refused: a bug, not the user's doing. Log loudly.
                self.metrics.send_errors.labels(CHANNEL, "bad_request").inc()
                log.exception("Telegram refused a reply to chat %s", chat_tag(CHANNEL, chat_id))
                return True
            except NetworkError:
                self.metrics.send_errors.labels(CHANNEL, "network").inc()
                if attempt == SEND_ATTEMPTS:
                    raise
                await self.sleep(attempt)
        return True


def retry_seconds(value: object) -> float:
    """A 429's retry_after, an int or (PTB_TIMEDELTA) a timedelta, in seconds."""
    seconds = getattr(value, "total_seconds", None)
    return float(seconds()) if callable(seconds) else float(value)  # type: ignore[arg-type]

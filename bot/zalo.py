"""Zalo channel (Zalo Bot Platform): events in, channel-neutral replies out.

Events arrive by webhook (``POST /zalo/webhook``, bot/webhook.py) or by long polling
(``getUpdates``, one event per call, HTTP 408 when idle). Either way :meth:`ZaloChannel.
handle_event` handles each in its chat's order: a message id already handled is ignored
(replays happen), text goes to the dialogs after choices and command words are understood,
a picture is downloaded at once (its URL expires) and handed over as an attachment,
a sticker gets a kind answer and anything else a kind "please type".

Replies are rendered by bot/zalo_render.py: plain text, buttons as a numbered list that is
remembered per user in the database, at most 2,000 characters a message.

Facts about the platform, with sources: shared/facts/zalo-api.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from aiolimiter import AsyncLimiter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import zalo_api, zalo_render
from bot.delivery import Outcome, Result
from bot.kept_pictures import KeptPictures
from bot.logs import chat_tag
from bot.metrics import Metrics
from bot.turns import ChatTurns
from handlers.core import routes
from handlers.core.dispatch import Deps, handle, kind_answer
from handlers.core.types import Attachment, Incoming, Reply
from storage import inbox, outbox, people, users
from storage.db import transaction
from storage.errors import database_unreachable

log = logging.getLogger(__name__)

CHANNEL = "zalo"
TEXT = "message.text.received"
IMAGE = "message.image.received"
STICKER = "message.sticker.received"
VOICE = "message.voice.received"
UNSUPPORTED = "message.unsupported.received"
KNOWN_EVENTS = frozenset({TEXT, IMAGE, STICKER, VOICE, UNSUPPORTED})

# Interactive replies are retried this many times after a 429, a 5xx or a network error.
SEND_ATTEMPTS = 3
# Zalo publishes no per-second limit; bulk sends stay under this whatever SEND_RATE_PER_SECOND
# says, and the free plan's 3,000 messages a month are the real ceiling (README, "Zalo").
MAX_SEND_RATE = 20.0
# A picture larger than this is not kept (a report takes at most 5 MB of evidence).
MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024
# Long polling: the server holds each getUpdates this long; a replay answered at once is
# followed by a pause, so the bot polls at most about once per second.
POLL_TIMEOUT = 30
POLL_INTERVAL = 1.0
STANDBY_SECONDS = 15.0  # a replica that is not the poller tries to become it this often

Sleep = Callable[[float], Awaitable[None]]


class NotAnEvent(ValueError):
    """A webhook body that is not a Zalo event (answered 400)."""


@dataclass(frozen=True)
class ZaloEvent:
    name: str
    message_id: str
    chat_id: str
    user_id: str
    private: bool = True
    from_bot: bool = False
    display_name: str | None = None
    text: str | None = None
    photo_url: str | None = None


def parse_event(body: Any) -> ZaloEvent | None:
    """The event in a webhook body or a getUpdates result, flat ``{event_name, message}`` or
    wrapped ``{ok, result: {…}}``; None for an event of a kind we do not know (ignored)."""
    if isinstance(body, dict) and "event_name" not in body and isinstance(body.get("result"), dict):
        body = body["result"]
    if not isinstance(body, dict) or not isinstance(body.get("event_name"), str):
        raise NotAnEvent("no event_name")
    name = body["event_name"]
    if name not in KNOWN_EVENTS:
        return None  # forward compatible: new kinds of events are ignored
    message = body.get("message")
    if not isinstance(message, dict):
        raise NotAnEvent("no message")
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    message_id, chat_id = message.get("message_id"), chat.get("id")
    user_id = sender.get("id", chat_id)
    if not _id(message_id) or not _id(chat_id) or not _id(user_id):
        raise NotAnEvent("message without ids")
    text_value = message.get("text") if name == TEXT else message.get("caption")
    photo = message.get("photo_url") or message.get("photo") if name == IMAGE else None
    display = sender.get("display_name")
    return ZaloEvent(
        name=name,
        message_id=str(message_id),
        chat_id=str(chat_id),
        user_id=str(user_id),
        private=str(chat.get("chat_type") or "PRIVATE").upper() == "PRIVATE",
        from_bot=sender.get("is_bot") is True,
        display_name=display if isinstance(display, str) and display else None,
        text=text_value if isinstance(text_value, str) else None,
        photo_url=photo if isinstance(photo, str) else None,
    )


# Zalo's ids are hex strings (20 digits); an id is stored and sent back, so nothing else
# is taken for one: no spaces, no control characters, no 500-digit numbers.
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _id(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return 0 <= value < 2**63
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def update_id(event: ZaloEvent) -> int:
    """The dedupe key of an event (the platform's message id, hashed into 63 bits)."""
    return users.update_key(f"zalo:{event.message_id}")


class ZaloChannel:
    """Receives Zalo events (webhook or polling) and sends the dialogs' replies."""

    def __init__(
        self,
        api: zalo_api.ZaloApi,
        deps: Deps,
        metrics: Metrics,
        *,
        send_rate: float = MAX_SEND_RATE,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.api = api
        # The dialogs get this channel's way to read a picture the user sent.
        self.pictures = KeptPictures()
        self.deps = replace(deps, fetch_file=self.pictures.fetch)
        self.metrics = metrics
        self.sleep = sleep
        self.poll_interval = POLL_INTERVAL
        self.poll_timeout = POLL_TIMEOUT
        self._limiter = AsyncLimiter(min(send_rate, MAX_SEND_RATE), 1)
        self._chat_turns = ChatTurns()
        self._poller: asyncio.Task[None] | None = None
        self._stop_polling = asyncio.Event()
        self._handling = False  # a polled batch is in hand (see stop_polling)
        # Polled events not handled yet because the database was unreachable, oldest first,
        # with their inbox row id (None when they could not even be written down).
        self._held: list[tuple[dict[str, Any], int | None]] = []
        self.events_handled = 0  # events taken in, replays and ignored ones included

    # ---- inbound ------------------------------------------------------------------------

    async def handle_event(self, event: ZaloEvent) -> None:
        """Handle one event in its chat's order, and send what the dialogs reply."""
        self.metrics.updates.labels(CHANNEL).inc()
        try:
            if not event.private or event.from_bot:
                return  # group chats (beta on Zalo) are not a place for citizens' questions
            async with self._chat_turns.turn(event.chat_id):
                started = time.perf_counter()
                replies = await self._replies_to(event)
                elapsed = time.perf_counter() - started
                self.metrics.handler_seconds.labels(CHANNEL).observe(elapsed)
                if replies is None:
                    return  # a replay: handled and answered the first time
                # What the dialogs cannot read gets a kind word; the choices shown stay.
                remember = event.name in (TEXT, IMAGE)
                await self.send_replies(event.chat_id, replies, event.user_id, remember=remember)
        finally:
            self.events_handled += 1

    async def _replies_to(self, event: ZaloEvent) -> list[Reply] | None:
        if event.name == TEXT:
            incoming = await self._understand(event)
            return await handle(incoming, self.deps, update_id(event))
        if event.name == IMAGE:
            return await self._picture(event)
        key = {STICKER: "zalo.sticker", VOICE: "zalo.voice"}.get(event.name, "zalo.please_type")
        return await self._kind_answer(event, key)

    async def _understand(self, event: ZaloEvent) -> Incoming:
        """Text as the dialogs expect it: a number or a choice's words press that choice;
        a command word typed alone is the command."""
        typed = (event.text or "").strip()
        choices, flow = await self._memory(event.user_id)
        commands = set(routes.COMMANDS)
        base = {"display_name": event.display_name}

        def press(action: str) -> Incoming:
            return Incoming(CHANNEL, event.user_id, action=action, **base)

        number = zalo_render.typed_number(typed)
        if number is not None and 1 <= number <= len(choices):
            # Inside a flow that waits for typed text with nothing to pick but the way out
            # (calculator amounts, a day of the month), a number is the answer, not a choice.
            real = [action for _, action in choices if action != "menu"]
            if not routes.takes_text(flow) or len(real) >= 2:
                return press(choices[number - 1][1])
        command = zalo_render.as_command(typed, commands)
        if command is not None and command[1:] in routes.ALWAYS:  # "menu", "huy" alone
            return Incoming(CHANNEL, event.user_id, text=command, **base)
        action = zalo_render.exact_choice(typed, choices)
        if action is not None:
            return press(action)
        if command is not None:
            return Incoming(CHANNEL, event.user_id, text=command, **base)
        action = zalo_render.partial_choice(typed, choices)
        if action is not None:
            return press(action)
        return Incoming(CHANNEL, event.user_id, text=typed, **base)

    async def _memory(self, user_id: str) -> tuple[list[tuple[str, str]], str | None]:
        """The choices last shown to this user, and the flow the person is in."""
        async with transaction(self.deps.sessions) as session:
            identity = await users.find_user(session, CHANNEL, user_id)
            if identity is None:
                return [], None
            choices = await people.recall_choices(session, identity.id or 0)
            holder = await people.holder(session, identity)
            state = await users.get_state(session, holder.id or 0)
            return choices, state.flow

    async def _picture(self, event: ZaloEvent) -> list[Reply] | None:
        """Download the picture now (its URL expires) and hand it to the dialogs."""
        caption = (event.text or "").strip() or None
        if event.photo_url is None:
            return await self._kind_answer(event, "zalo.please_type")
        async with self.deps.sessions() as session:  # a replay is not downloaded again
            if await users.seen_update(session, CHANNEL, update_id(event)):
                return None
        try:
            got = await self.api.download(event.photo_url, MAX_DOWNLOAD_BYTES)
        except zalo_api.ZaloError as exc:
            log.warning("could not download a Zalo picture: %s", exc)
            return await self._kind_answer(event, "zalo.image_failed")
        file_id = f"zalo-{hashlib.sha256(event.message_id.encode()).hexdigest()[:24]}"
        self.pictures.keep(file_id, got.data)
        mime = got.content_type if got.content_type.startswith("image/") else "image/jpeg"
        attachment = Attachment(
            "photo",
            file_id,
            size=MAX_DOWNLOAD_BYTES + 1 if got.truncated else len(got.data),
            mime_type=mime,
        )
        incoming = Incoming(
            CHANNEL,
            event.user_id,
            text=caption,
            display_name=event.display_name,
            attachments=(attachment,),
        )
        return await handle(incoming, self.deps, update_id(event))

    async def _kind_answer(self, event: ZaloEvent, key: str) -> list[Reply] | None:
        return await kind_answer(self.deps, CHANNEL, event.user_id, update_id(event), key)

    # ---- outbound -----------------------------------------------------------------------

    async def _render(
        self, user_id: str, replies: list[Reply], remember: bool = True
    ) -> zalo_render.Rendered:
        """Render for this user (their language for the hint) and remember the choices."""
        content = self.deps.content
        now = self.deps.clock()
        async with transaction(self.deps.sessions) as session:
            identity = await users.find_user(session, CHANNEL, user_id)
            lang = (await people.holder(session, identity)).language if identity else None

            hint = zalo_render.choose_hint(content, lang)

            def media_note(count: int) -> str:
                return content.text("zalo.media_not_shown", lang or "vi", count=count)

            rendered = zalo_render.render(replies, hint, media_note)
            if identity is not None and remember:
                await people.remember_choices(session, identity.id or 0, rendered.choices, now)
        return rendered

    async def send_replies(
        self, chat_id: str, replies: list[Reply], user_id: str, *, remember: bool = True
    ) -> bool:
        """Send replies in order (retrying 429s and network trouble); False when the user
        cannot be reached (they are marked) or the channel cannot send at all. What Zalo
        would still not take after the retries goes to the outbox: the event is already
        recorded as handled, so dropping it would lose the answer."""
        rendered = await self._render(user_id, replies, remember)
        for index, message in enumerate(rendered.messages):
            try:
                if not await self._send(chat_id, message, user_id):
                    return False
            except _NotNow:
                await self._send_later(chat_id, rendered.messages[index:])
                return True
        return True

    async def _send_later(self, chat_id: str, messages: list[str]) -> None:
        # Already rendered for Zalo (plain text, numbered choices): kept as it is.
        later = [Reply(html.escape(m, quote=False)).to_payload() for m in messages]
        async with transaction(self.deps.sessions) as session:
            await outbox.enqueue_later(session, CHANNEL, chat_id, later, self.deps.clock())
        tag = chat_tag(CHANNEL, chat_id)
        log.warning("Zalo took no reply to chat %s now; %d queued", tag, len(messages))

    async def _send(self, chat_id: str, message: str, user_id: str) -> bool:
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await self.api.send_message(chat_id, message)
                self.metrics.replies.labels(CHANNEL).inc()
                return True
            except zalo_api.ZaloError as exc:
                self.metrics.send_errors.labels(CHANNEL, exc.kind).inc()
                if exc.kind == zalo_api.UNREACHABLE:
                    async with transaction(self.deps.sessions) as session:
                        await users.set_blocked(session, CHANNEL, user_id, True)
                    return False
                if exc.kind in (zalo_api.INVALID_TOKEN, zalo_api.QUOTA):
                    log.error("Zalo cannot send (%s): %s", exc.kind, exc.description)
                    return False
                if exc.kind == zalo_api.BAD_REQUEST:
                    log.error(  # a bug
                        "Zalo refused a reply to chat %s: %s", chat_tag(CHANNEL, chat_id), exc
                    )
                    return True
                if attempt == SEND_ATTEMPTS:
                    raise _NotNow from exc
                wait = exc.retry_after if exc.kind == zalo_api.RATE_LIMITED else attempt
                await self.sleep(wait or attempt)
        return True

    async def deliver(self, chat_id: str, replies: list[Reply]) -> Result:
        """Send for the outbox: no retry here; the sender decides from the outcome."""
        rendered = await self._render(chat_id, replies)
        for index, message in enumerate(rendered.messages):
            async with self._limiter:
                try:
                    await self.api.send_message(chat_id, message)
                except zalo_api.ZaloError as exc:
                    self.metrics.send_errors.labels(CHANNEL, exc.kind).inc()
                    result = _outcome(exc)
                    if index:  # the first parts went out: the retry sends only the rest
                        left = "\n\n".join(rendered.messages[index:])
                        result = replace(result, rest=Reply(html.escape(left, quote=False)))
                    return result
            self.metrics.replies.labels(CHANNEL).inc()
        return Result(Outcome.SENT)

    # ---- long polling -------------------------------------------------------------------

    async def start_polling(self, engine: AsyncEngine | None = None) -> None:
        """Poll in the background: the webhook is removed first (they exclude each other)."""
        if self._poller is not None:
            return
        self._stop_polling.clear()
        self._poller = asyncio.create_task(self._poll_forever(engine), name="zalo-poller")

    async def stop_polling(self) -> None:
        if self._poller is None:
            return
        self._stop_polling.set()
        # A batch in hand is finished first (its replies sent, its inbox rows cleared): cut
        # off after handle() committed, an event would be skipped as handled when replayed.
        if not self._handling:
            self._poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._poller
        self._poller = None

    async def _poll_forever(self, engine: AsyncEngine | None) -> None:
        key = _token_key(self.api)
        polling = _POLLING  # the same set is given back the key, whatever happens meanwhile
        if key in polling:
            log.error("Zalo is already polled for this bot in this process; not polling twice")
            return
        polling.add(key)
        try:
            while not self._stop_polling.is_set():
                async with _poll_lock(engine, key) as elected:
                    if elected:
                        await self._poll_while_elected()
                        continue
                log.info("another replica polls Zalo for this bot; standing by")
                await self._pause(STANDBY_SECONDS)
        finally:
            polling.discard(key)

    async def _poll_while_elected(self) -> None:
        await self._remove_webhook()
        self._handling = True
        try:
            await self._handle_left_over()
        finally:
            self._handling = False
        failures = 0
        while not self._stop_polling.is_set():
            started = time.monotonic()
            try:
                events = await self.api.get_updates(self.poll_timeout)
                failures = 0
            except zalo_api.ZaloError as exc:
                failures += 1
                if exc.kind == zalo_api.WEBHOOK_SET:
                    log.warning("Zalo has a webhook set while polling; removing it")
                    await self._remove_webhook()
                elif exc.kind == zalo_api.INVALID_TOKEN:
                    log.error("Zalo refused the bot token while polling: %s", exc.description)
                else:
                    log.warning("Zalo getUpdates failed: %s", exc)
                await self._pause(min(30.0, self.poll_interval * 2**failures))
                continue
            self._handling = True
            try:
                kept = await self._write_down(events)
                self._held.extend(zip(events, kept, strict=True))
                handled = await self._handle_held()
            finally:
                self._handling = False
            if not handled:
                await self._wait_for_database()
                continue
            # Replays come back at once: never ask more than about once per poll_interval.
            await self._pause(self.poll_interval - (time.monotonic() - started))

    async def _wait_for_database(self) -> None:
        """Events are held while the database cannot be reached, and no more are taken (Zalo
        hands each out once): try the held ones again, with a growing pause, until it is back."""
        failures = 1
        while not self._stop_polling.is_set():
            log.warning("the database is unreachable; %d Zalo events wait", len(self._held))
            await self._pause(min(30.0, self.poll_interval * 2**failures))
            self._handling = True
            try:
                if await self._handle_held():
                    return
            finally:
                self._handling = False
            failures += 1

    async def _handle_held(self) -> bool:
        """Handle the held events in order; False when the database is still unreachable."""
        while self._held:
            body, kept_id = self._held[0]
            if not await self._handle_polled(body, kept_id):
                return False
            self._held.pop(0)
        return True

    async def _write_down(self, events: list[dict[str, Any]]) -> list[int | None]:
        """Zalo hands each event out once: write the batch down before handling it."""
        if not events:
            return []
        try:
            async with transaction(self.deps.sessions) as session:
                return list(await inbox.keep(session, CHANNEL, events, self.deps.clock()))
        except Exception as error:  # handled from memory (and held there while it is down)
            if database_unreachable(error):
                log.warning(
                    "could not keep %d polled Zalo events: database unreachable", len(events)
                )
            else:
                log.exception("could not keep %d polled Zalo events", len(events))
            return [None] * len(events)

    async def _handle_left_over(self) -> None:
        """Events a poller took and did not finish (it was killed): handled first, in order."""
        async with transaction(self.deps.sessions) as session:
            found = await inbox.left(session, CHANNEL)
        if found:
            log.warning("handling %d Zalo events a stopped poller left", len(found))
        self._held.extend((body, kept_id) for kept_id, body in found)
        if not await self._handle_held():
            await self._wait_for_database()

    async def _handle_polled(self, body: dict[str, Any], kept_id: int | None) -> bool:
        """False when the database could not be reached: the event is to be handled again
        (if it was, its message id skips it)."""
        try:
            event = parse_event(body)
        except NotAnEvent:
            log.warning("Zalo getUpdates returned something that is not an event")
            event = None
        try:
            if event is not None:
                try:
                    await self.handle_event(event)
                except Exception as error:
                    if database_unreachable(error):
                        raise
                    log.exception("handling a polled Zalo event failed")
            if kept_id is not None:
                async with transaction(self.deps.sessions) as session:
                    await inbox.done(session, kept_id)
        except Exception as error:
            if database_unreachable(error):
                return False
            raise
        return True

    async def _remove_webhook(self) -> None:
        try:
            await self.api.delete_webhook()
        except zalo_api.ZaloError as exc:
            log.warning("Zalo deleteWebhook failed: %s", exc)

    async def _pause(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_polling.wait(), seconds)


class _NotNow(Exception):
    """Zalo stayed busy or unreachable through every attempt: send it later."""


def _outcome(exc: zalo_api.ZaloError) -> Result:
    """What a failed send means for the outbox."""
    detail = f"zalo {exc.kind}: {exc.description}"[:300]
    if exc.kind == zalo_api.UNREACHABLE:
        return Result(Outcome.BLOCKED, error=detail)
    if exc.kind == zalo_api.RATE_LIMITED:
        return Result(Outcome.RETRY_AFTER, retry_after=exc.retry_after or 5.0, error=detail)
    if exc.kind in (zalo_api.SERVER, zalo_api.NETWORK):
        return Result(Outcome.TRANSIENT, error=detail)
    if exc.kind == zalo_api.INVALID_TOKEN:
        # Every Zalo send fails until an operator fixes ZALO_BOT_TOKEN: keep the row for
        # the retries (with backoff) rather than drop it at once.
        log.error("Zalo refused the bot token: check ZALO_BOT_TOKEN (%s)", exc.description)
        return Result(Outcome.TRANSIENT, error=detail)
    if exc.kind == zalo_api.QUOTA:
        # The plan's monthly messages are used up: a reminder sent next month is no use.
        log.error("Zalo's monthly message quota is used up: %s", exc.description)
        return Result(Outcome.REJECTED, error=detail)
    return Result(Outcome.REJECTED, error=detail)


# One poller per token: in this process a set, across replicas a PostgreSQL advisory lock.
_POLLING: set[int] = set()


def _token_key(api: zalo_api.ZaloApi) -> int:
    digest = hashlib.sha256(b"vbsp-zalo-poll:" + api._token.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@asynccontextmanager
async def _poll_lock(engine: AsyncEngine | None, key: int) -> AsyncIterator[bool]:
    """True while this process is the only poller of the token (always without PostgreSQL)."""
    if engine is None or engine.dialect.name != "postgresql":
        yield True
        return
    async with engine.connect() as conn:
        got = (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})).scalar()
        await conn.commit()
        try:
            yield bool(got)
        finally:
            if got:
                with contextlib.suppress(Exception):
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    await conn.commit()

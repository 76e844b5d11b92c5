"""Zalo Official Account channel: signed webhook events in, channel-neutral replies out.

Zalo POSTs each event to ``POST /zalo-oa/webhook`` (bot/webhook.py), signed with
``X-ZEvent-Signature: mac=<hex>``, where ``mac = sha256(app_id + raw body + timestamp + OA
secret key)``: a plain SHA-256, not an HMAC, with the ``timestamp`` of the body (facts:
shared/facts/zalo-api.md §2.3). :func:`verified_timestamp` checks it on the raw bytes
before anything is parsed as JSON; :func:`parse_event` then reads the event.

:meth:`ZaloOaChannel.handle_event` handles each event in its user's order, once (a replayed
``msg_id``, or the same event, sender and time when there is none, is skipped; an event
older than 36 hours is not handled, since its id may have left the replay memory):

- ``user_send_text``: a pressed ``oa.query.hide`` button (its payload comes back as the
  text, bot/zalo_oa_render.py), a number or the words of a choice, a command word, or text
  for the dialogs;
- ``user_send_image``: downloaded at once (the URL expires) and handed over as an attachment;
- ``follow``: the welcome (``/start``); ``unfollow``: the person is marked blocked;
- ``user_submit_info``: the OA's "share your details" form, handed to ``on_submit_info``;
- stickers, voice and other kinds get a kind "please type"; ``oa_send_*`` (echoes of the
  OA's own messages) and receipts are ignored.

Every event a person sends records their last interaction (storage/zalo_oa_contacts.py):
the OA may send them customer-service messages for 7 days after it.

Zalo wants the webhook's answer within 2 seconds and sends the event again otherwise.
:meth:`ZaloOaChannel.take` keeps each event in the inbox (storage/inbox.py) before handling
it, lets the request wait for the handling at most ``ANSWER_WITHIN`` seconds, and finishes
it in the background when it takes longer (a slow picture download). An event kept but not
handled (a crash, a restart mid-handling) is handled when the channel starts again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from aiolimiter import AsyncLimiter

from bot import zalo_oa_api, zalo_oa_render, zalo_render
from bot.delivery import Outcome, Result
from bot.kept_pictures import KeptPictures
from bot.logs import chat_tag
from bot.metrics import Metrics
from bot.turns import ChatTurns
from handlers.core import routes
from handlers.core.dispatch import Deps, handle, kind_answer
from handlers.core.types import (
    Attachment,
    Button,
    Incoming,
    Reply,
)
from storage import inbox, outbox, people, users, zalo_oa_contacts
from storage.db import transaction
from storage.errors import database_unreachable

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
TEXT = "user_send_text"
IMAGE = "user_send_image"
FOLLOW = "follow"
UNFOLLOW = "unfollow"
SUBMIT_INFO = "user_submit_info"
# What a person sends that the dialogs cannot read, and the kind answer each gets.
KIND_ANSWERS = {
    "user_send_sticker": "zalo.sticker",
    "user_send_gif": "zalo.sticker",
    "user_send_audio": "zalo.voice",
    "user_send_video": "zalo.please_type",
    "user_send_file": "zalo.please_type",
    "user_send_location": "zalo.please_type",
    "user_send_link": "zalo.please_type",
    "user_send_business_card": "zalo.please_type",
}
USER_EVENTS = frozenset({TEXT, IMAGE, FOLLOW, UNFOLLOW, SUBMIT_INFO, *KIND_ANSWERS})

SIGNATURE_HEADER = "X-ZEvent-Signature"
TIMESTAMP_HEADER = "X-ZEvent-Timestamp"
# The body's timestamp, found without parsing the JSON: a quote inside a string value is
# escaped (\"), so only a real key matches. A few candidates are tried (a nested field of the
# same name could come first); the one that verifies must be the body's own (parse_event).
_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"?(\d{1,20})"?')
MAX_TIMESTAMP_CANDIDATES = 4
# Signed events older than this are not handled: their ids may have been pruned from the
# replay memory (two days, bot/scheduler.py), and Zalo itself stops retrying after ~12 h.
MAX_EVENT_AGE = dt.timedelta(hours=36)

# Interactive replies are retried this many times after a 5xx or a network error.
SEND_ATTEMPTS = 3
# Zalo publishes no per-second limit for the OA API (facts §2.5): bulk sends stay under this.
MAX_SEND_RATE = 20.0
MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024  # a report takes at most 5 MB of evidence
# The webhook answers after at most this long (Zalo allows 2 s); handling goes on after it.
ANSWER_WITHIN = 1.5
# An inbox event older than this at start was left by a process that stopped (a live replica
# finishes its own within seconds).
LEFT_OVER_AGE = dt.timedelta(minutes=2)
# On the way out, handling in the background gets this long to finish; what is cut off stays
# in the inbox for the next start.
STOP_GRACE = 10.0
MAX_REMEMBERED = 40  # choices remembered per person when notices add theirs
# A press whose action is not among the choices last shown: an action no dialog has, so the
# dialogs answer "this button no longer works" with the way back to the menu.
STALE_PRESS = "zalo_oa_stale"

Sleep = Callable[[float], Awaitable[None]]
# What the channel does with the OA's "share your details" form (the phone for ZNS).
SubmitInfo = Callable[["OaEvent", Deps], Awaitable[list[Reply]]]


class NotAnEvent(ValueError):
    """A signed body that is not an OA event we can read (answered 400)."""


# ---- signature ----------------------------------------------------------------------------


def mac(app_id: str, raw: bytes, timestamp: str, secret_key: str) -> str:
    """The signature Zalo sends for ``raw``: hex SHA-256 of the four parts, in this order."""
    digest = hashlib.sha256(app_id.encode() + raw + timestamp.encode() + secret_key.encode())
    return digest.hexdigest()


def verified_timestamp(
    raw: bytes, signature: bytes, header_timestamp: bytes | None, app_id: str, secret_key: str
) -> str | None:
    """The timestamp with which ``signature`` signs ``raw``, or None when it does not.

    Works on bytes only: nothing is parsed as JSON before the body is known to be Zalo's.
    ``X-ZEvent-Timestamp``, when sent, is the only timestamp tried."""
    given = signature.strip()
    if given[:4].lower() == b"mac=":
        given = given[4:].strip()
    given = given.lower()
    if header_timestamp is not None:
        stamp = header_timestamp.strip()
        candidates = [stamp.decode()] if stamp.isdigit() and len(stamp) <= 20 else []
    else:
        candidates = []
        for found in _TIMESTAMP.finditer(raw):
            stamp_text = found[1].decode()
            if stamp_text not in candidates:
                candidates.append(stamp_text)
            if len(candidates) == MAX_TIMESTAMP_CANDIDATES:
                break
    ok = None
    for stamp_text in candidates:  # every candidate is compared: no early exit on a match
        wanted = mac(app_id, raw, stamp_text, secret_key).encode()
        if hmac.compare_digest(wanted, given) and ok is None:
            ok = stamp_text
    return ok


# ---- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OaEvent:
    name: str
    user_id: str
    timestamp: int  # milliseconds since the epoch, as Zalo sends it
    message_id: str | None = None
    text: str | None = None
    image_url: str | None = None
    # user_submit_info: the form's fields (name, phone, address, city, district, ward)
    info: dict[str, str] | None = None

    @property
    def at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.timestamp / 1000, dt.UTC)

    def update_id(self) -> int:
        """The replay key: Zalo's message id, or the event, sender and time without one."""
        if self.message_id is not None:
            return users.update_key(f"{CHANNEL}:{self.message_id}")
        return users.update_key(f"{CHANNEL}:{self.name}:{self.user_id}:{self.timestamp}")


# Zalo's user and message ids are digit or hex strings; nothing else is taken for one.
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _id(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return str(value)
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def parse_event(body: Any, timestamp: str) -> OaEvent | None:
    """The event in a verified body; None for one the bot does not act on (echoes of the
    OA's own sends, receipts, new kinds). ``timestamp`` is the one the signature covered:
    the body's own must be the same."""
    if not isinstance(body, dict) or not isinstance(body.get("event_name"), str):
        raise NotAnEvent("no event_name")
    own = body.get("timestamp")
    if isinstance(own, bool) or str(own) != timestamp:
        raise NotAnEvent("the signed timestamp is not the event's")
    name = body["event_name"]
    if name not in USER_EVENTS:
        return None  # oa_send_* echoes, user_seen_message, and kinds Zalo adds later
    who = body.get("follower") if name in (FOLLOW, UNFOLLOW) else body.get("sender")
    user_id = _id(who.get("id")) if isinstance(who, dict) else None
    if user_id is None:
        raise NotAnEvent("no user id")
    found = body.get("message")
    message: dict[str, Any] = found if isinstance(found, dict) else {}
    message_id = _id(message.get("msg_id")) if message.get("msg_id") is not None else None
    text = message.get("text")
    image = None
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, dict) and attachment.get("type") == "image":
            payload = attachment.get("payload")
            url = payload.get("url") if isinstance(payload, dict) else None
            if isinstance(url, str) and url:
                image = url
                break
    info = None
    if name == SUBMIT_INFO:
        fields = body.get("info")
        if not isinstance(fields, dict):
            raise NotAnEvent("a form without info")
        info = {k: v for k, v in fields.items() if isinstance(k, str) and isinstance(v, str)}
    return OaEvent(
        name=name,
        user_id=user_id,
        timestamp=int(timestamp),
        message_id=message_id,
        text=text if isinstance(text, str) else None,
        image_url=image,
        info=info,
    )


# ---- the channel --------------------------------------------------------------------------


class ZaloOaChannel:
    """Receives OA events (webhook) and sends the dialogs' replies as OA messages."""

    def __init__(
        self,
        api: zalo_oa_api.ZaloOaApi,
        deps: Deps,
        metrics: Metrics,
        *,
        send_rate: float = MAX_SEND_RATE,
        sleep: Sleep = asyncio.sleep,
        on_submit_info: SubmitInfo | None = None,
    ) -> None:
        self.api = api
        # The dialogs get this channel's way to read a picture the user sent.
        self.pictures = KeptPictures()
        self.deps = replace(deps, fetch_file=self.pictures.fetch)
        self.metrics = metrics
        self.sleep = sleep
        # The hook for the OA's "share your details" form (the phone for ZNS reminders).
        self.on_submit_info = on_submit_info
        self._limiter = AsyncLimiter(min(send_rate, MAX_SEND_RATE), 1)
        self._chat_turns = ChatTurns()
        self._background: set[asyncio.Task[None]] = set()
        self.answer_within = ANSWER_WITHIN
        self.stop_grace = STOP_GRACE
        self.events_handled = 0  # events taken in, replays and ignored ones included

    # ---- inbound ------------------------------------------------------------------------

    async def take(self, event: OaEvent, body: dict[str, Any]) -> None:
        """Keep a webhook event, then handle it; returns when it is handled or after
        ``answer_within`` seconds, whichever is first (the handling goes on). Raises when the
        event could not be kept or its handling failed in time (the webhook answers 503 to
        a database that is down, and Zalo sends the event again)."""
        kept = {"stamp": str(event.timestamp), "body": body}
        async with transaction(self.deps.sessions) as session:
            [kept_id] = await inbox.keep(session, CHANNEL, [kept], self.deps.clock())
        task = asyncio.create_task(self._handle_kept(event, kept_id), name="zalo-oa-event")
        self._background.add(task)
        task.add_done_callback(self._finished)
        done, _ = await asyncio.wait({task}, timeout=self.answer_within)
        if task in done:
            task.result()
        else:
            log.info("Zalo OA event %s answered before it was handled", event.name)

    async def _handle_kept(self, event: OaEvent, kept_id: int) -> None:
        await self.handle_event(event)
        async with transaction(self.deps.sessions) as session:
            await inbox.done(session, kept_id)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        if database_unreachable(error):  # kept: handled at the next start, or sent again
            log.warning("a Zalo OA event waits in the inbox: the database is unreachable")
        else:
            log.error("handling a Zalo OA event failed", exc_info=error)

    def start(self) -> None:
        """Handle in the background the events a stopped process kept and did not finish."""
        task = asyncio.create_task(self._handle_left_over(), name="zalo-oa-left-over")
        self._background.add(task)
        task.add_done_callback(self._finished)

    async def _handle_left_over(self) -> None:
        before = self.deps.clock() - LEFT_OVER_AGE
        async with transaction(self.deps.sessions) as session:
            found = await inbox.left(session, CHANNEL, before=before)
        if found:
            log.warning("handling %d Zalo OA events a stopped process left", len(found))
        for kept_id, kept in found:
            try:
                event = parse_event(kept.get("body"), str(kept.get("stamp")))
            except NotAnEvent:
                event = None
            if event is None:
                async with transaction(self.deps.sessions) as session:
                    await inbox.done(session, kept_id)
                continue
            await self._handle_kept(event, kept_id)

    async def idle(self) -> None:
        """Returns when no event is being handled in the background."""
        while self._background:
            await asyncio.wait(set(self._background))

    async def stop(self) -> None:
        """Let handling in the background finish (``stop_grace`` seconds at most)."""
        tasks = set(self._background)
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=self.stop_grace)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
            log.warning("%d Zalo OA events stay in the inbox for the next start", len(late))

    async def handle_event(self, event: OaEvent) -> None:
        """Handle one event in its user's order, and send what the dialogs reply."""
        self.metrics.updates.labels(CHANNEL).inc()
        try:
            if self.deps.clock() - event.at > MAX_EVENT_AGE:
                log.warning(
                    "Zalo OA event %s older than %s: not handled", event.name, MAX_EVENT_AGE
                )
                return
            async with self._chat_turns.turn(event.user_id):
                started = time.perf_counter()
                replies = await self._replies_to(event)
                elapsed = time.perf_counter() - started
                self.metrics.handler_seconds.labels(CHANNEL).observe(elapsed)
                if event.name != UNFOLLOW:
                    await self._record_interaction(event)
                if replies is None:
                    return  # a replay: handled and answered the first time, or nothing to say
                # What the dialogs cannot read gets a kind word; the choices shown stay.
                remember = event.name in (TEXT, IMAGE, FOLLOW, SUBMIT_INFO)
                await self.send_replies(event.user_id, replies, remember=remember)
        finally:
            self.events_handled += 1

    async def _replies_to(self, event: OaEvent) -> list[Reply] | None:
        if event.name == TEXT:
            incoming = await self._understand(event)
            return await handle(incoming, self.deps, event.update_id())
        if event.name == IMAGE:
            return await self._picture(event)
        if event.name == FOLLOW:  # the welcome: language and consent first, or the menu
            incoming = Incoming(CHANNEL, event.user_id, text="/start")
            return await handle(incoming, self.deps, event.update_id())
        if event.name == UNFOLLOW:
            await self._unfollowed(event)
            return None
        if event.name == SUBMIT_INFO:
            return await self._submitted_info(event)
        return await self._kind_answer(event, KIND_ANSWERS.get(event.name, "zalo.please_type"))

    async def _understand(self, event: OaEvent) -> Incoming:
        """Text as the dialogs expect it: a pressed button is its action (when it is one of
        the choices last shown); a number or a choice's words press that choice; a command
        word typed alone is the command."""
        typed = (event.text or "").strip()
        choices, numbered, flow = await self._memory(event.user_id)

        def press(action: str) -> Incoming:
            return Incoming(CHANNEL, event.user_id, action=action)

        pressed = zalo_oa_render.pressed_action(typed)
        if pressed is not None:
            shown = {action for _, action in choices}
            return press(pressed if pressed in shown else STALE_PRESS)
        number = zalo_render.typed_number(typed)
        if number is not None and 1 <= number <= len(numbered):
            # Inside a flow that waits for typed text with nothing to pick but the way out
            # (calculator amounts, a day of the month), a number is the answer, not a choice.
            real = [action for _, action in numbered if action != "menu"]
            if not routes.takes_text(flow) or len(real) >= 2:
                return press(numbered[number - 1][1])
        command = zalo_render.as_command(typed, set(routes.COMMANDS))
        if command is not None and command[1:] in routes.ALWAYS:  # "menu", "huy" alone
            return Incoming(CHANNEL, event.user_id, text=command)
        action = zalo_render.exact_choice(typed, choices)
        if action is not None:
            return press(action)
        if command is not None:
            return Incoming(CHANNEL, event.user_id, text=command)
        action = zalo_render.partial_choice(typed, choices)
        if action is not None:
            return press(action)
        return Incoming(CHANNEL, event.user_id, text=typed)

    async def _memory(
        self, user_id: str
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]], str | None]:
        """The choices last shown to this user, those of them shown with a number, and the
        flow the person is in."""
        async with transaction(self.deps.sessions) as session:
            identity = await users.find_user(session, CHANNEL, user_id)
            if identity is None:
                return [], [], None
            choices = await people.recall_choices(session, identity.id or 0)
            holder = await people.holder(session, identity)
            state = await users.get_state(session, holder.id or 0)
        numbered = [c for c in choices if not c[0].startswith(_BUTTON_MARK)]
        return [(_unmark(label), action) for label, action in choices], numbered, state.flow

    async def _picture(self, event: OaEvent) -> list[Reply] | None:
        """Download the picture now (its URL expires) and hand it to the dialogs."""
        caption = (event.text or "").strip() or None
        if event.image_url is None:
            return await self._kind_answer(event, "zalo.please_type")
        async with self.deps.sessions() as session:  # a replay is not downloaded again
            if await users.seen_update(session, CHANNEL, event.update_id()):
                return None
        try:
            got = await self.api.download(event.image_url, MAX_DOWNLOAD_BYTES)
        except zalo_oa_api.OaError as exc:
            log.warning("could not download a Zalo OA picture: %s", exc.kind)
            return await self._kind_answer(event, "zalo.image_failed")
        key = event.message_id or str(event.update_id())
        file_id = f"zalo-oa-{hashlib.sha256(key.encode()).hexdigest()[:24]}"
        self.pictures.keep(file_id, got.data)
        mime = got.content_type if got.content_type.startswith("image/") else "image/jpeg"
        size = MAX_DOWNLOAD_BYTES + 1 if got.truncated else len(got.data)
        attachment = Attachment("photo", file_id, size=size, mime_type=mime)
        incoming = Incoming(CHANNEL, event.user_id, text=caption, attachments=(attachment,))
        return await handle(incoming, self.deps, event.update_id())

    async def _unfollowed(self, event: OaEvent) -> None:
        """They left the OA: nothing more is sent to them until they write again."""
        async with transaction(self.deps.sessions) as session:
            await users.set_blocked(session, CHANNEL, event.user_id, True)
            identity = await users.find_user(session, CHANNEL, event.user_id)
            if identity is not None:
                await zalo_oa_contacts.record_interaction(
                    session, identity.id or 0, event.at, follower=False
                )

    async def _submitted_info(self, event: OaEvent) -> list[Reply] | None:
        """The OA's form: handed to ``on_submit_info`` (which asks for consent before it
        keeps the phone); without one, a kind word that nothing was kept."""
        if self.on_submit_info is not None:
            async with transaction(self.deps.sessions) as session:
                if not await users.remember_update(
                    session, CHANNEL, event.update_id(), self.deps.clock()
                ):
                    return None
            return await self.on_submit_info(event, self.deps)
        return await self._kind_answer(event, "zalo_oa.info_not_kept")

    async def _record_interaction(self, event: OaEvent) -> None:
        """The person wrote (or pressed, followed, sent the form): the window starts again."""
        async with transaction(self.deps.sessions) as session:
            identity = await users.find_user(session, CHANNEL, event.user_id)
            if identity is None:  # a sticker from someone the bot never met: nothing kept
                return
            follower = True if event.name == FOLLOW else None
            await zalo_oa_contacts.record_interaction(
                session, identity.id or 0, self.deps.clock(), follower=follower
            )

    async def _kind_answer(self, event: OaEvent, key: str) -> list[Reply] | None:
        return await kind_answer(self.deps, CHANNEL, event.user_id, event.update_id(), key)

    # ---- outbound -----------------------------------------------------------------------

    async def _render(
        self, user_id: str, replies: list[Reply], remember: bool = True, *, add: bool = False
    ) -> zalo_oa_render.Rendered:
        """Render for this user (their language for the hint) and remember the choices:
        instead of those shown before, or (``add``: a reminder or a notice arriving in the
        middle of a dialog) beside them, so the dialog's buttons still work."""
        content = self.deps.content
        now = self.deps.clock()
        async with transaction(self.deps.sessions) as session:
            identity = await users.find_user(session, CHANNEL, user_id)
            lang = (await people.holder(session, identity)).language if identity else None

            hint = zalo_render.choose_hint(content, lang)

            def media_note(count: int) -> str:
                return content.text("zalo_oa.media_not_shown", lang or "vi", count=count)

            if lang is None:
                more = " / ".join(content.text("zalo_oa.more_choices", x) for x in ("vi", "en"))
            else:
                more = content.text("zalo_oa.more_choices", lang)
            rendered = zalo_oa_render.render(replies, hint, media_note, more)
            if identity is not None and remember:
                shown = _marked(rendered)
                if add and not rendered.numbered:
                    before = await people.recall_choices(session, identity.id or 0)
                    new = {action for _, action in shown}
                    kept = [c for c in before if c[1] not in new]
                    # The numbered ones stay whole (their numbers were shown); the oldest
                    # buttons make room.
                    numbered = [c for c in kept if not c[0].startswith(_BUTTON_MARK)]
                    pressed = [c for c in kept if c[0].startswith(_BUTTON_MARK)]
                    room = max(0, MAX_REMEMBERED - len(numbered) - len(shown))
                    shown = numbered + (pressed[-room:] if room else []) + shown
                await people.remember_choices(session, identity.id or 0, shown, now)
        return rendered

    async def send_replies(
        self, user_id: str, replies: list[Reply], *, remember: bool = True
    ) -> bool:
        """Send replies in order (retrying 5xx and network trouble); False when the user
        cannot be reached (they are marked) or the channel cannot send at all. What Zalo
        would still not take after the retries goes to the outbox: the event is already
        recorded as handled, so dropping it would lose the answer."""
        rendered = await self._render(user_id, replies, remember)
        for index, message in enumerate(rendered.messages):
            try:
                if not await self._send(user_id, message):
                    return False
            except _NotNow:
                await self._send_later(user_id, rendered.messages[index:])
                return True
        return True

    async def _send_later(self, user_id: str, messages: list[zalo_oa_render.OaMessage]) -> None:
        later = [_as_reply(m).to_payload() for m in messages]
        async with transaction(self.deps.sessions) as session:
            await outbox.enqueue_later(session, CHANNEL, user_id, later, self.deps.clock())
        tag = chat_tag(CHANNEL, user_id)
        log.warning("Zalo OA took no reply to %s now; %d queued", tag, len(messages))

    async def _send(self, user_id: str, message: zalo_oa_render.OaMessage) -> bool:
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await self.api.send_cs(user_id, message.to_api())
                self.metrics.replies.labels(CHANNEL).inc()
                return True
            except zalo_oa_api.OaError as exc:
                self.metrics.send_errors.labels(CHANNEL, exc.kind).inc()
                if exc.kind == zalo_oa_api.UNREACHABLE:
                    async with transaction(self.deps.sessions) as session:
                        await users.set_blocked(session, CHANNEL, user_id, True)
                    return False
                if exc.kind in (zalo_oa_api.TOKEN, zalo_oa_api.QUOTA, zalo_oa_api.WINDOW):
                    log.error("Zalo OA cannot send (%s): %s", exc.kind, exc.description)
                    return False
                if exc.kind in (zalo_oa_api.BAD_REQUEST, zalo_oa_api.OTHER):
                    log.error(  # a bug, or a rule of Zalo's we do not know
                        "Zalo OA refused a reply to %s: %s", chat_tag(CHANNEL, user_id), exc
                    )
                    return True
                if attempt == SEND_ATTEMPTS:
                    raise _NotNow from exc
                await self.sleep(attempt)
        return True

    async def deliver(self, chat_id: str, replies: list[Reply]) -> Result:
        """Send for the outbox as customer-service messages: no retry here; the sender
        decides from the outcome. A -230 (no interaction in 7 days) closes the window."""
        rendered = await self._render(chat_id, replies, add=True)
        for index, message in enumerate(rendered.messages):
            async with self._limiter:
                try:
                    await self.api.send_cs(chat_id, message.to_api())
                except zalo_oa_api.OaError as exc:
                    self.metrics.send_errors.labels(CHANNEL, exc.kind).inc()
                    if exc.kind == zalo_oa_api.WINDOW:
                        async with transaction(self.deps.sessions) as session:
                            await zalo_oa_contacts.close_window_of(
                                session, chat_id, self.deps.clock()
                            )
                    result = _outcome(exc)
                    if index:  # the first parts went out: the retry sends only the rest
                        rest = [_as_reply(m) for m in rendered.messages[index:]]
                        result = replace(result, rest=_joined(rest))
                    return result
            self.metrics.replies.labels(CHANNEL).inc()
        return Result(Outcome.SENT)


class _NotNow(Exception):
    """Zalo stayed busy or unreachable through every attempt: send it later."""


# Choices shown as buttons are remembered with this mark before their label, so a typed
# number picks only a choice that was shown with a number (the people table keeps pairs).
_BUTTON_MARK = "\u2063"  # INVISIBLE SEPARATOR: never typed, never shown


def _marked(rendered: zalo_oa_render.Rendered) -> list[tuple[str, str]]:
    return [
        (label if index < rendered.numbered else _BUTTON_MARK + label, action)
        for index, (label, action) in enumerate(rendered.choices)
    ]


def _unmark(label: str) -> str:
    return label.removeprefix(_BUTTON_MARK)


def _as_reply(message: zalo_oa_render.OaMessage) -> Reply:
    """A rendered message as a reply again (for the outbox): buttons stay buttons."""
    rows = tuple((Button(title, action),) for title, action in message.buttons)
    return Reply(html.escape(message.text, quote=False), rows)


def _joined(replies: list[Reply]) -> Reply:
    """Several rendered messages as one reply for ``Result.rest`` (re-split when sent)."""
    text = "\n\n".join(r.text for r in replies)
    rows = tuple(row for r in replies for row in r.buttons)
    return Reply(text, rows)


def _outcome(exc: zalo_oa_api.OaError) -> Result:
    """What a failed customer-service send means for the outbox."""
    detail = f"zalo_oa {exc.kind}: {exc.description}"[:300]
    if exc.kind == zalo_oa_api.WINDOW:
        return Result(Outcome.REJECTED, error=f"window closed (no interaction in 7 days); {detail}")
    if exc.kind == zalo_oa_api.UNREACHABLE:
        return Result(Outcome.BLOCKED, error=detail)
    if exc.kind == zalo_oa_api.RATE_LIMITED:
        retry = getattr(exc, "retry_after", None) or 5.0
        return Result(Outcome.RETRY_AFTER, retry_after=retry, error=detail)
    if exc.kind in (zalo_oa_api.SERVER, zalo_oa_api.NETWORK):
        return Result(Outcome.TRANSIENT, error=detail)
    if exc.kind == zalo_oa_api.TOKEN:
        # The token could not be refreshed (bot/zalo_oa_tokens.py alerts): keep the row for
        # the retries, with backoff, rather than drop it.
        return Result(Outcome.TRANSIENT, error=detail)
    return Result(Outcome.REJECTED, error=detail)

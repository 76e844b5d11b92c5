"""Turns one incoming message into replies: finds the user, routes, persists, and never crashes."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from content.normalize import fold
from handlers.account import linking, start
from handlers.core import roles, routes
from handlers.core.actions import SEPARATOR, Action, ActionError
from handlers.core.context import Clock, Context, system_clock
from handlers.core.flows import Flow
from handlers.core.types import Button, FetchFile, FileFetchError, FileTooLarge, Incoming, Reply
from handlers.questions import loan_question
from handlers.reports import evidence
from handlers.reports.evidence import CleanFile
from storage import people, users
from storage.db import SessionFactory, transaction
from storage.errors import database_unreachable
from storage.models import ConversationState, User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deps:
    """What the dialogs need from the running process."""

    content: Content
    sessions: SessionFactory
    clock: Clock = field(default=system_clock)
    timezone: ZoneInfo = field(default=ZoneInfo("Asia/Ho_Chi_Minh"))
    # Downloads a user's attachment; set by channels that can (Telegram), None elsewhere.
    fetch_file: FetchFile | None = None
    send_rate: float = 25.0  # SEND_RATE_PER_SECOND
    report_limit_key: str | None = None  # REPORT_LIMIT_KEY (storage/report_limits.py)
    public_base_url: str | None = None  # PUBLIC_BASE_URL: the staff console's sign-in links
    # The channels on which /caidat offers ZNS notices to a phone number (account/zns.py):
    # the Zalo OA's, when it runs ("zalo_oa"); ZNS reaches a person only through it.
    zns_channels: frozenset[str] = frozenset()


def parse_command(text: str) -> tuple[str, tuple[str, ...]] | None:
    """'/start@vbsp_bot abc' -> ('start', ('abc',)); None when the text is not a command.
    A command word typed alone ("hủy", "quay lại", "menu") is its command too."""
    if len(text) <= 20 and (word := routes.COMMAND_WORDS.get(fold(text))) is not None:
        return word, ()
    if not text.startswith("/") or len(text) < 2:
        return None
    head, *rest = text[1:].split()
    return head.split("@", 1)[0].lower(), tuple(rest)


async def _may(ctx: Context, role: str | None) -> bool:
    """A privileged command or button is, to someone without the role, one that does not exist.

    This first check (the role anywhere) keeps even the conversation state as for an unknown
    command; each handler checks the role for the area it touches when it acts.
    """
    return role is None or await roles.allowed(ctx, role)


async def press(ctx: Context, data: str) -> list[Reply]:
    """A pressed button: unpacked into its typed action, checked, and handed to its handler.

    Bytes that are no action of ours, or an action whose role the user lacks, get the one
    "this button no longer works" reply; a flow's button pressed outside its steps gets the
    flow's own "start again" reply."""
    cls = Action.registry.get(data.partition(SEPARATOR)[0])
    if cls is None:
        return roles.unknown_action(ctx)
    try:
        action = cls.unpack(data)
    except ActionError:
        return roles.unknown_action(ctx)
    if not await _may(ctx, cls.role):
        return roles.unknown_action(ctx)
    if ctx.user.language is None and not cls.before_onboarding:
        return await start.start(ctx)
    if cls.steps and not (ctx.flow == cls.flow and ctx.state.step in cls.steps):
        return Flow.registry[cls.flow or ""].stale(ctx)
    return await routes.ACTIONS[cls](ctx, action)


async def route(ctx: Context, incoming: Incoming) -> list[Reply]:
    if incoming.action:
        return await press(ctx, incoming.action)

    text = (incoming.text or "").strip()
    command = parse_command(text)
    if command is not None:
        name, args = command
        if ctx.user.language is None and name not in routes.ALWAYS:
            return await start.start(ctx)
        found = routes.COMMANDS.get(name)
        if found is None or not await _may(ctx, found.role):
            return roles.unknown_command(ctx, name)
        if name not in routes.ALWAYS and ctx.flow is not None:
            await ctx.leave_flow()  # a command starts something new
        return await found.handler(ctx, " ".join(args))

    if ctx.user.language is None and ctx.flow != linking.FLOW.name:
        return await start.start(ctx)
    flow = Flow.registry.get(ctx.flow or "")
    if flow is not None and (on_text := flow.text_handler(ctx)) is not None:
        return await on_text(ctx, text)
    if not text:
        return [ctx.reply("ask.only_text", [ctx.menu_row()])]
    return await loan_question.ask(ctx, text)  # a loan's cost with its figure: the calculator


async def handle(
    incoming: Incoming, deps: Deps, update_id: int | None = None
) -> list[Reply] | None:
    """Replies to ``incoming``; None when ``update_id`` was already handled (a redelivery).

    When the database cannot be reached and the platform can send the update again (it has
    an ``update_id``), the error is raised for the channel to answer "try later" (503): no
    apology, since the message was never handled. Any other error gets the apology."""
    now = deps.clock()
    language = "vi"
    try:
        if update_id is not None and incoming.attachments and deps.fetch_file is not None:
            async with deps.sessions() as session:  # a replay must not download again
                if await users.seen_update(session, incoming.channel, update_id):
                    return None
        prepared = await _prepare_files(incoming, deps)
        async with transaction(deps.sessions) as session:
            # Recorded in the same transaction as the handling: a crash mid-way leaves the
            # update unmarked, so the platform's redelivery is handled rather than dropped.
            if update_id is not None and not await users.remember_update(
                session, incoming.channel, update_id, deps.clock()
            ):
                return None
            identity, user, state = await _person(session, incoming, now)
            language = user.language or language
            ctx = Context(
                session, deps.content, user, state, now, timezone=deps.timezone,
                identity=identity if identity is not user else None,
                attachments=incoming.attachments, fetch_file=deps.fetch_file, prepared=prepared,
                send_rate=deps.send_rate, report_limit_key=deps.report_limit_key,
                public_base_url=deps.public_base_url,
                zns_offered=incoming.channel in deps.zns_channels,
            )  # fmt: skip
            replies = await route(ctx, incoming)
            if not ctx.deleted:
                session.add(ctx.user)
            return replies
    except Exception as error:
        if update_id is not None and database_unreachable(error):
            raise
        log.exception("dialog failed for %s user", incoming.channel)
        return await _apology(deps, incoming, language, update_id)


async def kind_answer(
    deps: Deps, channel: str, user_id: str, update_key: int, key: str
) -> list[Reply] | None:
    """The text ``key`` as the answer to what the dialogs cannot read (a sticker, a voice
    message), once per update: None for a replay. In both languages while the person's is not
    known."""
    async with transaction(deps.sessions) as session:
        if not await users.remember_update(session, channel, update_key, deps.clock()):
            return None
        identity = await users.find_user(session, channel, user_id)
        lang = (await people.holder(session, identity)).language if identity else None
    if lang is None:
        both = deps.content.text(key, "vi") + "\n\n" + deps.content.text(key, "en")
        return [Reply(both)]
    return [Reply(deps.content.text(key, lang))]


async def staff_context(
    session: AsyncSession, deps: Deps, channel: str, channel_user_id: str, lang: str
) -> Context | None:
    """The Context of a staff member acting from the web console: the same person, roles and
    rules as when they write in chat, in the console's language. None when the bot has never
    met this identity. The console must not enter chat flows with it."""
    identity = await users.find_user(session, channel, channel_user_id)
    if identity is None:
        return None
    user = await people.holder(session, identity)
    state = await users.get_state(session, user.id or 0)
    return Context(
        session, deps.content, user, state, deps.clock(), timezone=deps.timezone,
        identity=identity if identity is not user else None, send_rate=deps.send_rate,
        report_limit_key=deps.report_limit_key, public_base_url=deps.public_base_url,
        lang_override=lang,
    )  # fmt: skip


async def _person(
    session: AsyncSession, incoming: Incoming, now: dt.datetime
) -> tuple[User, User, ConversationState]:
    """The identity that wrote, the row holding its person, and the person's state.

    Linked channels: the dialogs see the row holding the person's data. One person's
    updates, from any of their channels, are handled one after the other: their holder's
    row stays locked until the transaction ends (PostgreSQL; SQLite has one writer at a
    time). Locked before this identity's own row is written, so that every transaction
    takes the two in the same order."""
    channel, user_id = incoming.channel, incoming.user_id
    own = await users.own_person(session, channel, user_id)
    if own is not None:  # most updates: one row, locked and read with its state at once
        identity, state = own
        users.seen(identity, now, incoming.display_name)  # written with the commit
        return identity, identity, state
    known = await users.find_user(session, channel, user_id)
    if known is not None:
        await users.lock_person(session, known)
    identity = await users.get_or_create_user(session, channel, user_id, now, incoming.display_name)
    if known is None:  # new here (or just created by another replica)
        await users.lock_person(session, identity)
    user = await people.holder(session, identity)
    return identity, user, await users.get_state(session, user.id or 0)


async def _prepare_files(incoming: Incoming, deps: Deps) -> dict[str, CleanFile | Exception]:
    """Files sent at a step that takes them, downloaded and cleaned before the transaction:
    a download of megabytes must not hold the database (SQLite's one writer) meanwhile. The
    step is read again inside the transaction; files sent anywhere else are never fetched."""
    if not incoming.attachments or deps.fetch_file is None:
        return {}
    async with deps.sessions() as session:
        step = await users.step_of(session, incoming.channel, incoming.user_id)
    if step not in routes.FILE_STEPS:
        return {}
    prepared: dict[str, CleanFile | Exception] = {}
    for attachment in incoming.attachments[: evidence.MAX_FILES]:
        try:
            prepared[attachment.file_id] = await evidence.prepare(attachment, deps.fetch_file)
        except (evidence.EvidenceRefused, FileTooLarge, FileFetchError) as problem:
            prepared[attachment.file_id] = problem
    return prepared


async def _apology(
    deps: Deps, incoming: Incoming, language: str, update_id: int | None
) -> list[Reply]:
    """A kind message and the way back to the menu after an internal error."""
    content = deps.content
    try:
        async with transaction(deps.sessions) as session:
            if update_id is not None:
                await users.remember_update(session, incoming.channel, update_id, deps.clock())
    except Exception:
        log.exception("could not record update after a failure")
    text = content.text("error.internal", language)
    return [Reply(text, ((Button(content.text("button.menu", language), "menu"),),))]

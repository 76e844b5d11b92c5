"""The composition root: reading this file tells you the whole running program.

`running()` loads the content, opens the database, builds the channels and the scheduler,
and closes all of them again, in one place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import ConfigError, Settings
from bot.delivery import OutboxSender, RowTransport, Transport
from bot.metrics import Metrics
from bot.scheduler import build_scheduler
from bot.telegram import TelegramChannel, build_application
from bot.telegram_polling import TelegramPoller
from bot.zalo import ZaloChannel
from bot.zalo_oa import ZaloOaChannel
from bot.zalo_oa_reach import OaReach, offer_submitted_phone
from content.loader import Content, load_content
from handlers.broadcasts.jobs import BroadcastJobs
from handlers.core.context import Clock, system_clock
from handlers.core.dispatch import Deps
from storage.db import create_engine, is_sqlite, needs_upgrade, session_factory, upgrade

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    content: Content
    engine: AsyncEngine
    deps: Deps
    metrics: Metrics
    sender: OutboxSender
    telegram: TelegramChannel | None = None
    zalo: ZaloChannel | None = None
    zalo_oa: ZaloOaChannel | None = None
    scheduler: AsyncIOScheduler | None = None


async def open_database(settings: Settings) -> AsyncEngine:
    """The engine, with SQLite migrated on the spot and PostgreSQL checked to be migrated."""
    engine = create_engine(settings.database_url)
    try:
        if is_sqlite(settings.database_url):
            await upgrade(engine)
        elif await needs_upgrade(engine):
            raise ConfigError("DATABASE_URL: database is not migrated; run `vbsp-bot db upgrade`")
    except ConfigError:
        await engine.dispose()
        raise
    except Exception as exc:
        await engine.dispose()
        raise ConfigError(f"DATABASE_URL: cannot open the database ({one_line(exc)})") from None
    return engine


def one_line(exc: BaseException) -> str:
    """An error as one line: SQLAlchemy adds a "(Background on this error…)" line."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{exc.__class__.__name__}: {first}" if first else exc.__class__.__name__


async def open_zalo(
    settings: Settings,
    mode: str,
    deps: Deps,
    metrics: Metrics,
    engine: AsyncEngine,
    stack: AsyncExitStack,
) -> ZaloChannel:
    """The Zalo channel ("webhook", "polling" or "send"); getMe checks the token first."""
    from bot import zalo_api

    if settings.zalo_bot_token is None:
        raise ConfigError("ZALO_BOT_TOKEN: required to run the Zalo channel")
    secret = settings.zalo_webhook_secret
    if mode == "webhook" and (secret is None or len(secret.get_secret_value()) < 8):
        raise ConfigError("ZALO_WEBHOOK_SECRET: required in webhook mode, 8-256 characters")
    api = zalo_api.ZaloApi(settings.zalo_bot_token.get_secret_value(), settings.zalo_api_base_url)
    await api.open()
    stack.push_async_callback(api.close)
    try:
        me = await api.get_me()
    except zalo_api.ZaloError as exc:
        if exc.kind == zalo_api.INVALID_TOKEN:
            raise ConfigError(
                f"ZALO_BOT_TOKEN: Zalo refused the token ({exc.description})"
            ) from None
        raise ConfigError(f"ZALO_API_BASE_URL: Zalo did not answer getMe ({exc})") from None
    log.info("Zalo bot %s (%s)", me.get("account_name", "?"), mode)
    channel = ZaloChannel(api, deps, metrics, send_rate=settings.send_rate_per_second)
    if mode == "polling":
        await channel.start_polling(engine)
        stack.push_async_callback(channel.stop_polling)
    return channel


async def open_zalo_oa(
    settings: Settings, deps: Deps, metrics: Metrics, stack: AsyncExitStack
) -> ZaloOaChannel | None:
    """The Zalo Official Account channel: its API client and the keeper of its tokens (kept
    in the database; ZALO_OA_REFRESH_TOKEN seeds them the first time). None, with a warning,
    when no refresh token is known yet (`vbsp-bot zalo-oa authorize` gives one)."""
    from bot.zalo_oa_tokens import oa_client, oa_enabled

    if not settings.zalo_oa_configured:
        raise ConfigError(
            "ZALO_OA_APP_ID: the OA channel needs ZALO_OA_APP_ID, ZALO_OA_APP_SECRET "
            "and ZALO_OA_SECRET_KEY"
        )
    if not await oa_enabled(settings, deps.sessions):
        log.warning(
            "Zalo OA channel off: no refresh token is known; run `vbsp-bot zalo-oa authorize` "
            "or set ZALO_OA_REFRESH_TOKEN"
        )
        return None
    api = oa_client(settings, deps.sessions, metrics=metrics, clock=deps.clock)
    await api.open()
    stack.push_async_callback(api.close)
    log.info("Zalo Official Account channel on (app %s)", settings.zalo_oa_app_id)
    return ZaloOaChannel(api, deps, metrics, send_rate=settings.send_rate_per_second)


@asynccontextmanager
async def running(
    settings: Settings,
    *,
    telegram: str | None = None,  # None, "webhook", "polling", or "send" (outbound only)
    zalo: str | None = None,  # the same for the Zalo channel
    zalo_oa: str | None = None,  # the Zalo Official Account: "webhook" or "send" (no polling)
    scheduler: bool = False,
    clock: Clock = system_clock,
) -> AsyncIterator[Runtime]:
    """Everything the process needs, started in order and stopped in reverse."""
    async with AsyncExitStack() as stack:
        content = load_content()
        if {telegram, zalo, zalo_oa} & {"webhook", "polling"}:
            # the topic model trains from content/data/training (about a second): before the
            # first message, so no one waits for it, and off the event loop
            await asyncio.to_thread(lambda: content.matcher)
        engine = await open_database(settings)
        stack.push_async_callback(engine.dispose)
        deps = Deps(
            content=content,
            sessions=session_factory(engine),
            clock=clock,
            timezone=settings.timezone,
            send_rate=settings.send_rate_per_second,
            report_limit_key=(
                settings.report_limit_key.get_secret_value() if settings.report_limit_key else None
            ),
            public_base_url=settings.public_base_url,
            # /caidat offers ZNS to people writing on the OA (handlers/account/zns.py).
            zns_channels=frozenset({"zalo_oa"}) if zalo_oa is not None else frozenset(),
        )
        metrics = Metrics()
        transports: dict[str, Transport] = {}
        channel: TelegramChannel | None = None

        if telegram is not None:
            if settings.telegram_bot_token is None:
                raise ConfigError("TELEGRAM_BOT_TOKEN: required to run the Telegram channel")
            if telegram == "webhook" and settings.telegram_webhook_secret is None:
                raise ConfigError("TELEGRAM_WEBHOOK_SECRET: required in webhook mode")
            application = build_application(
                settings.telegram_bot_token.get_secret_value(),
                settings.telegram_api_base_url,
                send_rate=settings.send_rate_per_second,
            )
            channel = TelegramChannel(application, deps, metrics)
            transports["telegram"] = channel.deliver
            await application.initialize()  # calls getMe: a wrong token stops us here
            stack.push_async_callback(application.shutdown)
            await application.start()
            stack.push_async_callback(application.stop)
            if telegram == "polling":
                poller = TelegramPoller(application.bot, channel.handle_update)
                await poller.start()
                stack.push_async_callback(poller.stop)  # before the client closes

        zalo_channel: ZaloChannel | None = None
        if zalo is not None:
            zalo_channel = await open_zalo(settings, zalo, deps, metrics, engine, stack)
            transports["zalo"] = zalo_channel.deliver

        oa_channel: ZaloOaChannel | None = None
        if zalo_oa is not None:
            oa_channel = await open_zalo_oa(settings, deps, metrics, stack)
        row_transports: dict[str, RowTransport] = {}
        if oa_channel is not None:
            transports["zalo_oa"] = oa_channel.deliver
            # Each row: a customer-service message inside the 7-day window, ZNS outside it
            # (consent and a template), else unreachable (bot/zalo_oa_reach.py).
            row_transports["zalo_oa"] = OaReach(
                deps.sessions, oa_channel.deliver, oa_channel.api.send_zns,
                settings.zns_templates(), clock, settings.timezone,
                on_outcome=lambda route: metrics.oa_routes.labels(route).inc(),
            )  # fmt: skip
            # The OA's "share your details" form hands its phone to /caidat's ZNS step.
            oa_channel.on_submit_info = offer_submitted_phone
            if zalo_oa == "webhook":
                # events a stopped process kept and did not finish; on the way out, the
                # events still in hand finish before the client closes
                oa_channel.start()
                stack.push_async_callback(oa_channel.stop)

        # One delivery engine for reminders, notices and broadcasts (bot/delivery.py); the
        # broadcasts' own work (start, progress, reports) runs on whichever process sends.
        jobs = BroadcastJobs(
            deps.sessions, content, clock, settings.timezone, settings.send_rate_per_second
        )
        sender = OutboxSender(
            engine, deps.sessions, transports, settings.send_rate_per_second, clock,
            active_broadcasts=jobs.active, tick=jobs, row_transports=row_transports,
        )  # fmt: skip
        runtime = Runtime(
            settings, content, engine, deps, metrics, sender,
            telegram=channel, zalo=zalo_channel, zalo_oa=oa_channel,
        )  # fmt: skip
        if scheduler:
            runtime.scheduler = build_scheduler(
                deps.sessions, clock, settings.timezone, content, runtime.sender
            )
            runtime.scheduler.start()
            stack.callback(runtime.scheduler.shutdown, wait=False)
            # Sends in the background from now on; on the way out (SIGTERM) the sends in
            # flight finish and the rest go back to the queue, before the channels close.
            sender.start()
            stack.push_async_callback(sender.stop)

        log.info(
            "vbsp-bot ready: %d programs, %d answers, telegram=%s, zalo=%s, zalo_oa=%s",
            len(content.programs),
            len(content.answers),
            telegram or "off",
            zalo or "off",
            zalo_oa if oa_channel is not None else "off",
        )
        yield runtime

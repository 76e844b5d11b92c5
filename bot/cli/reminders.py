"""`vbsp-bot reminders run [--now ISO-DATETIME]`: send every reminder due at a moment, once."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import time

from bot.cli import common
from bot.config import ConfigError, Settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reminders = sub.add_parser("reminders", help="transaction-day reminders")
    reminders_sub = reminders.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = reminders_sub.add_parser("run", help="send every reminder due at a moment")
    run.add_argument(
        "--now", metavar="ISO-DATETIME", help="the moment (local time unless an offset is given)"
    )
    run.set_defaults(func=run_reminders)


def run_reminders(args: argparse.Namespace) -> int:
    asyncio.run(reminders_run(common.settings(), args.now))
    return 0


def parse_moment(text: str | None, settings: Settings) -> dt.datetime:
    """An ISO date-time; without an offset it is local time in BOT_TIMEZONE."""
    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--now: not an ISO date-time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.timezone)
    return moment.astimezone(dt.UTC)


async def reminders_run(settings: Settings, now_text: str | None) -> None:
    """Record and send every reminder due at that moment; repeating it sends nothing twice."""
    from bot.app import running
    from bot.scheduler import remind_and_deliver

    moment = parse_moment(now_text, settings)
    started = time.monotonic()

    def clock() -> dt.datetime:  # starts at --now and runs on, so retry_after waits elapse
        return moment + dt.timedelta(seconds=time.monotonic() - started)

    oa = settings.zalo_oa_configured
    if settings.telegram_bot_token is None and settings.zalo_bot_token is None and not oa:
        raise ConfigError("TELEGRAM_BOT_TOKEN: required to send reminders (or ZALO_BOT_TOKEN)")
    telegram = "send" if settings.telegram_bot_token else None
    zalo = "send" if settings.zalo_bot_token else None
    zalo_oa = "send" if oa else None
    async with running(
        settings, telegram=telegram, zalo=zalo, zalo_oa=zalo_oa, clock=clock
    ) as runtime:
        planned, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), settings.timezone
        )
    local = moment.astimezone(settings.timezone).isoformat(timespec="minutes")
    # Zalo OA: people out of the 7-day window with no ZNS; ZNS held for the morning.
    oa = f", unreachable {stats.unreachable}" if stats.unreachable else ""
    oa += f", held till morning {stats.held}" if stats.held else ""
    print(
        f"reminders at {local}: {planned} recorded; sent {stats.sent}, "
        f"blocked {stats.blocked}, failed {stats.failed}, to retry {stats.retried}{oa}"
    )

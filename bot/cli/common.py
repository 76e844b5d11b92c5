"""What several commands share: settings and logging, the database session, dates, ports."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup as setup_logging

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from handlers.core.context import Clock


def settings(quiet: bool = False) -> Settings:
    """The configuration, with logging set up; `quiet` when the output is the result."""
    found = load_settings()
    setup_logging(found)
    if quiet:
        logging.getLogger().setLevel(logging.WARNING)
    return found


def process_clock() -> Clock:
    from bot.clock import process_clock as clock

    try:
        return clock()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


async def wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


@asynccontextmanager
async def database(found: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction on the configured database (SQLite migrated, PostgreSQL checked)."""
    from bot.app import open_database
    from storage.db import session_factory, transaction

    engine = await open_database(found)
    try:
        async with transaction(session_factory(engine)) as session:
            yield session
    finally:
        await engine.dispose()


def port(text: str) -> int:
    """argparse type for --port: refused with one line, like every bad input."""
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return int(text)


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{what}: not a date (YYYY-MM-DD): {text!r}") from None

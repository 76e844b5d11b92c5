"""`vbsp-bot db upgrade` and `vbsp-bot content check`: the database schema, the content files."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt

from bot.cli import common
from bot.config import ConfigError, Settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply every migration").set_defaults(func=run_upgrade)

    content = sub.add_parser("content", help="content files")
    content_sub = content.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = content_sub.add_parser("check", help="validate every content file")
    check.set_defaults(func=run_content_check)


def run_upgrade(args: argparse.Namespace) -> int:
    asyncio.run(upgrade(common.settings()))
    return 0


async def upgrade(settings: Settings) -> None:
    from bot.app import one_line
    from storage.db import create_engine
    from storage.db import upgrade as migrate

    try:
        engine = create_engine(settings.database_url)
    except Exception as exc:
        raise ConfigError(f"DATABASE_URL: {one_line(exc)}") from None
    try:
        await migrate(engine)
    except Exception as exc:
        raise ConfigError(f"DATABASE_URL: cannot migrate the database ({one_line(exc)})") from None
    finally:
        await engine.dispose()
    print("database is up to date")


def run_content_check(args: argparse.Namespace) -> int:
    """Every content file loaded and checked; stale figures are warnings, not errors."""
    from content.loader import load_content

    content = load_content()
    _ = content.matcher  # the matcher's data is content too
    warnings = content.stale(dt.date.today())
    for warning in warnings:
        print(f"warning: stale: {warning}")
    print(
        f"content ok: {len(content.programs)} programs, {len(content.answers)} answers, "
        f"{len(content.messages)} messages, {len(warnings)} warnings"
    )
    return 0

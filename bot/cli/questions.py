"""`vbsp-bot questions export|stats`: the messages the bot could not answer well, masked."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from bot.cli import common
from bot.config import ConfigError, Settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    questions = sub.add_parser("questions", help="messages the bot could not answer well")
    questions_sub = questions.add_subparsers(dest="action", required=True, metavar="ACTION")
    questions_export = questions_sub.add_parser(
        "export", help="TSV of kept questions, masked, without user ids"
    )
    questions_export.add_argument("--since", metavar="DATE", help="kept on or after YYYY-MM-DD")
    stats = questions_sub.add_parser("stats", help="counts by topic, and answered none per week")
    stats.set_defaults(since=None)
    for command in (questions_export, stats):
        command.set_defaults(func=run_questions)


def run_questions(args: argparse.Namespace) -> int:
    """`questions export` (TSV, masked, no user id) and `questions stats`."""
    from handlers.reports.export import ExportError, parse_since

    settings = common.settings(quiet=True)  # the output is the result
    try:
        start = parse_since(args.since, settings.timezone)
    except ExportError as exc:
        raise ConfigError(f"questions export: {exc}") from None
    sys.stdout.write(asyncio.run(_questions(settings, args.action, start)))
    return 0


async def _questions(settings: Settings, action: str, since: dt.datetime | None) -> str:
    from handlers.questions import kept_questions

    async with common.database(settings) as session:
        if action == "export":
            return await kept_questions.export(session, since, settings.timezone)
        return await kept_questions.stats(session, settings.timezone)

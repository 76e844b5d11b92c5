"""`vbsp-bot reports export`: a CSV of reports for officials, without the reporter's identity."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from bot.cli import common
from bot.config import ConfigError, Settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reports = sub.add_parser("reports", help="citizens' reports")
    reports_sub = reports.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = reports_sub.add_parser(
        "export", help="CSV of reports for officials (reporter identity withheld)"
    )
    export.add_argument("--status", metavar="S", help="only reports in this state")
    export.add_argument("--since", metavar="DATE", help="created on or after YYYY-MM-DD")
    export.set_defaults(func=run_reports_export)


def run_reports_export(args: argparse.Namespace) -> int:
    """CSV of reports for officials; the reporter's identity is withheld."""
    from handlers.reports.export import ExportError, parse_since, parse_status

    settings = common.settings(quiet=True)  # the output is the result
    try:
        wanted = parse_status(args.status)
        start = parse_since(args.since, settings.timezone)
    except ExportError as exc:
        raise ConfigError(f"reports export: {exc}") from None
    sys.stdout.write(asyncio.run(_reports_export(settings, wanted, start)))
    return 0


async def _reports_export(settings: Settings, status: str | None, since: dt.datetime | None) -> str:
    from handlers.reports.export import export

    async with common.database(settings) as session:
        return await export(session, status, since, settings.timezone)

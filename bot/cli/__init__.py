"""The `vbsp-bot` command line (also `python -m bot`): noun, then verb; one clear line on error.

One module per noun adds its commands with `set_defaults(func=…)`; a command's function takes
the parsed arguments and returns the exit code. The commands' logic lives beside their parsing
so that tests can call it on an open session.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from telegram.error import TelegramError

from bot.cli import (
    admin,
    broadcast,
    chat,
    db,
    questions,
    reminders,
    reports,
    schedule,
    serve,
    zalo_oa,
)
from bot.config import ConfigError
from bot.zalo_api import ZaloError
from bot.zalo_oa_api import OaError
from content.loader import ContentError

# In the order `vbsp-bot --help` lists them.
_NOUNS = (chat, serve, reminders, db, schedule, broadcast, reports, questions, admin, zalo_oa)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vbsp-bot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for noun in _NOUNS:
        noun.add_parsers(sub)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except (ConfigError, ContentError) as exc:
        print(f"vbsp-bot: {exc}", file=sys.stderr)
        return 2
    except TelegramError as exc:
        print(f"vbsp-bot: Telegram answered: {exc}", file=sys.stderr)
        return 1
    except ZaloError as exc:
        print(f"vbsp-bot: Zalo answered: {exc}", file=sys.stderr)
        return 1
    except OaError as exc:  # never carries a token (bot/zalo_oa_api.py)
        print(f"vbsp-bot: Zalo OA answered: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def main() -> None:
    sys.exit(run())

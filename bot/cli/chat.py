"""`vbsp-bot chat` and `vbsp-bot ask`: the dialogs in a terminal, one question answered."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from bot.cli import common
from bot.config import ConfigError, Settings
from bot.render import to_plain

if TYPE_CHECKING:
    from content.loader import Content


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = sub.add_parser("chat", help="talk to the bot in the terminal (SQLite, no network)")
    chat.add_argument("--user", default="local", help="your id on the terminal channel")
    chat.add_argument(
        "--as-role",
        choices=("admin", "official", "moderator"),
        help="act with this role, for the whole country, in the local database",
    )
    chat.set_defaults(func=run_chat)

    ask = sub.add_parser("ask", help="answer one free-text question and exit")
    ask.add_argument("--json", action="store_true", help="print the contract's JSON")
    ask.add_argument("--lang", choices=("vi", "en"), default="vi")
    ask.add_argument("text", metavar="TEXT", help="the question, or - to read one per line")
    ask.set_defaults(func=run_ask)


def run_chat(args: argparse.Namespace) -> int:
    asyncio.run(chat(common.settings(quiet=True), args.user, args.as_role))  # readable
    return 0


async def chat(settings: Settings, user_id: str, as_role: str | None) -> None:
    from bot.app import running
    from bot.terminal import CHANNEL
    from bot.terminal import chat as terminal_chat
    from handlers.core.roles import grant_role
    from storage.db import transaction

    async with running(settings, clock=common.process_clock()) as runtime:
        if as_role is not None:
            # Try the officials' and moderators' dialogs locally: the terminal user gets the
            # role for the whole country in this database (audited like any grant).
            async with transaction(runtime.deps.sessions) as session:
                await grant_role(session, CHANNEL, user_id, as_role, None, "cli")
        await terminal_chat(runtime.deps, user_id, sys.stdin, sys.stdout, sys.stdin.isatty())


def answer_question(content: Content, question: str, lang: str) -> dict[str, object]:
    """The contract's JSON answer to one question."""
    match = content.matcher.match(question) if question.strip() else None
    if match is None or match.topic == "none" or match.topic not in content.answers:
        return {
            "topic": "none",
            "score": round(match.score, 4) if match else 0.0,
            "answer": to_plain(content.text("ask.unknown", lang)),
            "alternatives": list(match.alternatives) if match else [],
        }
    return {
        "topic": match.topic,
        "score": round(match.score, 4),
        "answer": to_plain(content.answers[match.topic].text.get(lang)),
        "alternatives": list(match.alternatives),
    }


def run_ask(args: argparse.Namespace) -> int:
    from content.loader import load_content

    text: str = args.text
    if text != "-" and not text.strip():
        raise ConfigError("ask: the question is empty")
    content = load_content()
    questions = [line.rstrip("\n") for line in sys.stdin] if text == "-" else [text]
    for question in questions:
        result = answer_question(content, question, args.lang)
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            print(f"[{result['topic']}] {result['answer']}\n", flush=True)
    return 0

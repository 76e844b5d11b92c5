"""`vbsp-bot chat`: the same dialogs in a terminal, buttons shown as numbered choices."""

from __future__ import annotations

import asyncio
import re
from typing import TextIO

from bot.render import numbered_buttons, to_plain
from content.loader import Content
from handlers.core.dispatch import Deps, handle, parse_command
from handlers.core.types import Button, Incoming, Reply
from storage import people, users

CHANNEL = "terminal"

# The dialogs say "tap" (bấm) for a button; here a choice is made by typing its number, so
# the verb becomes "choose" and each list of choices ends with how to choose by number.
_TAP = re.compile(r"\b(?:(B)|b)ấm\b|\b(?:(T)|t)ap\b|\b(?:(P)|p)ress\b")


def _choose(match: re.Match[str]) -> str:
    if match.group(1):
        return "Chọn"
    if match.group(2) or match.group(3):
        return "Choose"
    return "chọn" if match.group(0) == "bấm" else "choose"


def as_typed(text: str) -> str:
    """A reply's text with the verbs for tapping a button made "choose"."""
    return _TAP.sub(_choose, text)


def hint(content: Content, count: int, lang: str | None) -> str:
    """How to choose, in the user's language (both before they have chosen one)."""
    langs = (lang,) if lang else ("vi", "en")
    return "\n".join(content.text("chat.choose_hint", each, count=count) for each in langs)


def render(
    replies: list[Reply], out: TextIO, content: Content | None = None, lang: str | None = None
) -> list[Button]:
    """Print replies; return the buttons of the last reply that had any, numbered from 1.
    With ``content``, each list of choices ends with how to pick one by its number."""
    buttons: list[Button] = []
    for reply in replies:
        if reply.photo:
            out.write("[🖼]\n")
        for media in reply.media:  # the terminal shows that a file is there, not the file
            out.write(f"[{media.kind}: {media.file_name}, {len(media.data) // 1024 + 1} KB]\n")
        if reply.text:
            out.write(as_typed(to_plain(reply.text)).rstrip() + "\n")
        if reply.buttons:
            buttons = numbered_buttons(reply)
            for number, button in enumerate(buttons, start=1):
                out.write(f"  [{number}] {button.label}\n")
            if content is not None:
                out.write(hint(content, len(buttons), lang) + "\n")
        out.write("\n")
    out.flush()
    return buttons


def to_incoming(line: str, user_id: str, buttons: list[Button]) -> Incoming:
    """A number presses that button; anything else is typed text."""
    text = line.strip()
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        return Incoming(CHANNEL, user_id, action=buttons[int(text) - 1].action)
    return Incoming(CHANNEL, user_id, text=text)


async def language(deps: Deps, user_id: str) -> str | None:
    """The terminal user's language, None until they have chosen one."""
    async with deps.sessions() as session:
        identity = await users.find_user(session, CHANNEL, user_id)
        return (await people.holder(session, identity)).language if identity else None


async def _say(deps: Deps, user_id: str, incoming: Incoming, out: TextIO) -> list[Button]:
    replies = await handle(incoming, deps) or []
    return render(replies, out, deps.content, await language(deps, user_id))


async def chat(deps: Deps, user_id: str, lines: TextIO, out: TextIO, interactive: bool) -> None:
    """Talk until the input ends. The first message is /start, as on Telegram."""
    content = deps.content
    out.write(content.text("chat.intro", "vi") + "\n" + content.text("chat.intro", "en") + "\n\n")
    buttons = await _say(deps, user_id, Incoming(CHANNEL, user_id, text="/start"), out)
    # A /start typed first, out of habit, would show the same prompt a second time.
    started = True
    while True:
        if interactive:
            out.write("> ")
            out.flush()
        line = await asyncio.to_thread(lines.readline)
        if not line:
            break
        if not line.strip():
            continue
        if started and parse_command(line.strip()) == ("start", ()):
            started = False
            if buttons:  # the prompt is on the screen already: say how to answer it
                out.write(hint(content, len(buttons), await language(deps, user_id)) + "\n\n")
            continue
        started = False
        buttons = await _say(deps, user_id, to_incoming(line, user_id, buttons), out)

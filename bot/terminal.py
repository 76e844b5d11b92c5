"""`vbsp-bot chat`: the same dialogs in a terminal, buttons shown as numbered choices."""

from __future__ import annotations

import asyncio
from typing import TextIO

from bot.render import numbered_buttons, to_plain
from handlers.dispatch import Deps, handle
from handlers.types import Button, Incoming, Reply

CHANNEL = "terminal"


def render(replies: list[Reply], out: TextIO) -> list[Button]:
    """Print replies; return the buttons of the last reply that had any, numbered from 1."""
    buttons: list[Button] = []
    for reply in replies:
        if reply.photo:
            out.write("[🖼]\n")
        for media in reply.media:  # the terminal shows that a file is there, not the file
            out.write(f"[{media.kind}: {media.file_name}, {len(media.data) // 1024 + 1} KB]\n")
        if reply.text:
            out.write(to_plain(reply.text).rstrip() + "\n")
        if reply.buttons:
            buttons = numbered_buttons(reply)
            for number, button in enumerate(buttons, start=1):
                out.write(f"  [{number}] {button.label}\n")
        out.write("\n")
    out.flush()
    return buttons


def to_incoming(line: str, user_id: str, buttons: list[Button]) -> Incoming:
    """A number presses that button; anything else is typed text."""
    text = line.strip()
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        return Incoming(CHANNEL, user_id, action=buttons[int(text) - 1].action)
    return Incoming(CHANNEL, user_id, text=text)


async def chat(deps: Deps, user_id: str, lines: TextIO, out: TextIO, interactive: bool) -> None:
    """Talk until the input ends. The first message is /start, as on Telegram."""
    content = deps.content
    out.write(content.text("chat.intro", "vi") + "\n" + content.text("chat.intro", "en") + "\n\n")
    buttons = render(await handle(Incoming(CHANNEL, user_id, text="/start"), deps) or [], out)
    while True:
        if interactive:
            out.write("> ")
            out.flush()
        line = await asyncio.to_thread(lines.readline)
        if not line:
            break
        if not line.strip():
            continue
        replies = await handle(to_incoming(line, user_id, buttons), deps) or []
        buttons = render(replies, out)

"""Rendering replies for a channel: splitting long texts, and plain text for the terminal."""

from __future__ import annotations

import html
import re

from handlers.core.types import Button, Reply

TELEGRAM_TEXT_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


def visible_length(text: str) -> int:
    """Length as Telegram counts it: after tags and entities, in UTF-16 code units."""
    plain = html.unescape(_TAG.sub("", text))
    return len(plain.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Cut ``text`` into messages under ``limit``, at paragraph boundaries where possible.

    Content keeps tags inside one paragraph (the content check enforces it), so a cut
    between paragraphs never breaks markup. A single paragraph over the limit is cut at
    line ends, then at spaces, with its tags removed so no half tag is sent.
    """
    if visible_length(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        pieces = (
            [paragraph] if visible_length(paragraph) <= limit else _hard_split(paragraph, limit)
        )
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if visible_length(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def utf16_fit(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units (an emoji takes two)."""
    used = 0
    for count, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return count
    return len(text)


def _hard_split(paragraph: str, limit: int) -> list[str]:
    plain = html.unescape(_TAG.sub("", paragraph))
    pieces: list[str] = []
    while visible_length(html.escape(plain, quote=False)) > limit:
        window = plain[: utf16_fit(plain, limit)]
        cut = max(window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > len(window) // 2 else len(window)
        head = window[:cut]
        pieces.append(html.escape(head, quote=False))
        plain = plain[len(head) :].lstrip()
    if plain:
        pieces.append(html.escape(plain, quote=False))
    return pieces


def to_plain(text: str) -> str:
    """The HTML subset as terminal text: bold and italic dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def numbered_buttons(reply: Reply) -> list[Button]:
    """Buttons in reading order; the terminal and Zalo's text mode number them from 1."""
    return [button for row in reply.buttons for button in row]

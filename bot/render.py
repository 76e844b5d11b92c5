"""Rendering replies for a channel: splitting long texts, and plain text for the terminal."""

from __future__ import annotations

import html
import re

from handlers.types import Button, Reply

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
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _hard_split(paragraph: str, limit: int) -> list[str]:
    plain = html.escape(html.unescape(_TAG.sub("", paragraph)), quote=False)
    pieces: list[str] = []
    while visible_length(plain) > limit:
        window = html.unescape(plain)[:limit]
        cut = max(window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        head = window[:cut]
        pieces.append(html.escape(head, quote=False))
        plain = html.escape(html.unescape(plain)[len(head) :].lstrip(), quote=False)
    pieces.append(plain)
    return pieces


def to_plain(text: str) -> str:
    """The HTML subset as terminal text: bold and italic dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def numbered_buttons(reply: Reply) -> list[Button]:
    """Buttons in reading order; the terminal and Zalo's text mode number them from 1."""
    return [button for row in reply.buttons for button in row]

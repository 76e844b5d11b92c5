"""Replies as Zalo shows them, and what a Zalo user types back.

The Bot Platform has no keyboards and takes plain text of at most 2,000 characters
(facts: shared/facts/zalo-api.md §1.3, §1.6). So:

- the dialogs' HTML subset (b, i, u, s, code) becomes plain text: tags dropped, entities
  decoded (Zalo's ``text_styles`` are new and documented by one source only; plain text is
  what every client agrees on);
- buttons become a numbered list, numbered on across the replies of one answer, and the
  user answers with the number or the words of a choice;
- a long text is split at paragraph boundaries, then lines, then spaces, counting UTF-16
  code units (at least as strict as counting characters) and never cutting an emoji apart;
- a command word typed alone ("lich", "Hủy", "cài đặt") is the command, without its slash.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from bot.render import utf16_fit
from content.loader import Content
from content.normalize import fold
from handlers.core.types import Reply

TEXT_LIMIT = 2000
# Commands typed with arguments after the word ("tracuu AB12CD", "lienket ABCD-2345").
COMMANDS_WITH_ARGS = frozenset({"tracuu", "lienket"})

_LINK = re.compile(r'<a\s[^>]*href\s*=\s*"([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_NUMBER = re.compile(r"^\s*(?:số\s*|so\s*|#)?[(\[]?\s*(\d{1,3})\s*[.)\]]?\s*$", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"^\s*\d{1,3}\s*[.)]\s+")
_JOINERS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}


def choose_hint(content: Content, lang: str | None) -> Callable[[int], str]:
    """The line under numbered choices, in the person's language (both while not known)."""

    def hint(count: int) -> str:
        if lang is None:
            return content.text("zalo.choose_hint_both", "vi", count=count)
        key = "zalo.choose_hint_one" if count == 1 else "zalo.choose_hint"
        return content.text(key, lang, count=count)

    return hint


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def to_plain(text: str) -> str:
    """The HTML subset as Zalo plain text; a link keeps its address in brackets."""

    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match[1]), _TAG.sub("", match[2])
        return label if html.unescape(label) == url else f"{label} ({url})"

    text = _LINK.sub(link, text)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def split_message(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` as messages of at most ``limit`` UTF-16 units, cut between paragraphs first."""
    if utf16_len(text) <= limit:
        return [text] if text.strip() else []
    chunks: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        pieces = [paragraph] if utf16_len(paragraph) <= limit else _split_long(paragraph, limit)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
            if utf16_len(candidate) <= limit:
                current = candidate
            else:
                if current.strip():
                    chunks.append(current)
                current = piece
    if current.strip():
        chunks.append(current)
    return chunks


def _split_long(paragraph: str, limit: int) -> list[str]:
    pieces: list[str] = []
    rest = paragraph
    while utf16_len(rest) > limit:
        fits = utf16_fit(rest, limit)
        window = rest[:fits]
        cut = window.rfind("\n")
        if cut <= fits // 2:
            cut = window.rfind(" ")
        if cut <= fits // 2:
            cut = _safe_cut(rest, fits)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


def _safe_cut(text: str, cut: int) -> int:
    """Move a hard cut back so it falls between two whole characters as people see them."""
    start = cut
    while cut > 1 and (
        unicodedata.combining(text[cut])
        or text[cut] in _JOINERS
        or text[cut - 1] == "\u200d"
        or 0x1F3FB <= ord(text[cut]) <= 0x1F3FF  # skin tone modifiers
    ):
        cut -= 1
    return cut if cut > start // 2 else start


@dataclass
class Rendered:
    """What to send, in order, and the choices it shows (number n is ``choices[n - 1]``)."""

    messages: list[str] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)  # (label, action)


def render(
    replies: list[Reply],
    hint: Callable[[int], str],
    media_note: Callable[[int], str] | None = None,
) -> Rendered:
    """Replies as Zalo messages; ``hint(n)`` is the line that says how to answer n choices,
    ``media_note(n)`` the line that stands for n files (the Bot Platform cannot upload)."""
    rendered = Rendered()
    last = max((i for i, r in enumerate(replies) if r.buttons), default=-1)
    for index, reply in enumerate(replies):
        text = to_plain(reply.text).strip()
        # Files uploaded with a reply, or a picture held by another channel (a broadcast's).
        files = len(getattr(reply, "media", ()) or ()) + (1 if getattr(reply, "photo", None) else 0)
        if files and media_note is not None:
            text = f"{media_note(files)}\n\n{text}" if text else media_note(files)
        if reply.buttons:
            lines = []
            for row in reply.buttons:
                for button in row:
                    number = _number_of(rendered.choices, button.action)
                    if number is None:
                        rendered.choices.append((button.label, button.action))
                        number = len(rendered.choices)
                    lines.append(f"{number}. {button.label}")
            block = "\n".join(lines)
            if index == last:
                block = f"{block}\n\n{hint(len(rendered.choices))}"
            text = f"{text}\n\n{block}" if text else block
        rendered.messages.extend(split_message(text))
    return rendered


def _number_of(choices: list[tuple[str, str]], action: str) -> int | None:
    for number, (_, known) in enumerate(choices, start=1):
        if known == action:
            return number
    return None


def typed_number(text: str) -> int | None:
    """'2', '2.', '(2)', 'số 2' -> 2; None for anything else."""
    match = _NUMBER.match(text)
    return int(match[1]) if match else None


def exact_choice(text: str, choices: list[tuple[str, str]]) -> str | None:
    """The action of the choice whose words were typed (case, accents, emoji aside)."""
    wanted = fold(_LEADING_NUMBER.sub("", text))
    if not wanted:
        return None
    found = {action for label, action in choices if fold(label) == wanted}
    return found.pop() if len(found) == 1 else None


def partial_choice(text: str, choices: list[tuple[str, str]]) -> str | None:
    """The one choice that contains the two or more words typed, in order ('dieu kien')."""
    words = fold(text).split()
    if len(words) < 2:
        return None
    found = {action for label, action in choices if _has_run(fold(label).split(), words)}
    return found.pop() if len(found) == 1 else None


def _has_run(haystack: list[str], words: list[str]) -> bool:
    size = len(words)
    return any(haystack[i : i + size] == words for i in range(len(haystack) - size + 1))


def as_command(text: str, commands: Collection[str]) -> str | None:
    """A command word typed without its slash, as the command: 'Lịch' -> '/lich',
    'cài đặt' -> '/caidat', 'tra cuu AB12CD' -> '/tracuu AB12CD'; None otherwise."""
    stripped = text.strip()
    if not stripped or stripped.startswith("/"):
        return None
    words = fold(stripped).split()
    if 1 <= len(words) <= 3 and "".join(words) in commands:
        return "/" + "".join(words)
    parts = stripped.split()
    for size in (1, 2):
        head = "".join(fold(p) for p in parts[:size])
        if head in COMMANDS_WITH_ARGS and head in commands and len(parts) > size:
            return f"/{head} " + " ".join(parts[size:])
    return None

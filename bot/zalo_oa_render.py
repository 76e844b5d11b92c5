"""Replies as Zalo Official Account messages, and what an OA user sends back.

An OA customer-service message (``POST /v3.0/oa/message/cs``) is plain text of at most
2,000 characters, optionally with a ``template`` attachment carrying buttons. A dialog's
buttons become ``oa.query.hide`` buttons: the person sees the label, and pressing it makes
Zalo send the OA a ``user_send_text`` event whose text is the button's payload, hidden
from the chat. The payload is ``PRESS_PREFIX`` + the action, so the bot can tell a press
from typed text (the channel then checks the action against the choices last shown).

Limits (bot/zalo_oa_api.py holds them; sources and certainty in docs/zalo-oa.md §6; check
them in Zalo's console before going live):

- text: 2,000 characters per message (certain: facts §2.4; several clients);
- buttons per message: **5** (a Zalo partner's example sends 5 in one message; no source
  shows more; uncertain);
- a button's ``title``: 100 characters, an ``oa.query.hide`` ``payload``: 1,000
  characters (quoted alike by a partner's and an SDK's documentation; uncertain).

Six to ten choices go as buttons spread over two messages (the second with a short
"or choose" text). More than that (the 13 loan programs) are shown the way the Bot Platform
shows them (bot/zalo_render.py): a numbered list in the text, answered with the number or
the words of a choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.render import utf16_fit
from bot.zalo_oa_api import BUTTON_TITLE_LIMIT as TITLE_LIMIT
from bot.zalo_oa_api import MAX_BUTTONS, TEXT_LIMIT
from bot.zalo_render import split_message, to_plain, utf16_len
from handlers.core.types import Reply

# Up to this many messages of buttons for one reply; more choices than that (the 13 loan
# programs) are shown as a numbered list. Zalo gives 8 free replies to each message a person
# sends (a press included; facts §2.5), and an answer takes 1-4 messages.
MAX_BUTTON_MESSAGES = 2
BUTTON_TYPE = "oa.query.hide"
# Not "#...": an OA's own automatic replies ("truy vấn tự động") answer "#word" messages.
PRESS_PREFIX = "vbsp:"


@dataclass
class OaMessage:
    """One message to send: its text and the buttons under it, as (title, action)."""

    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        """The ``message`` object of a customer-service send."""
        message: dict[str, Any] = {"text": self.text}
        if self.buttons:
            message["attachment"] = {
                "type": "template",
                "payload": {
                    "buttons": [
                        {"title": title, "type": BUTTON_TYPE, "payload": PRESS_PREFIX + action}
                        for title, action in self.buttons
                    ]
                },
            }
        return message


@dataclass
class Rendered:
    """What to send, in order, and the choices it offers: number n is ``choices[n - 1]``
    for the numbered ones, which come first; the choices shown as buttons follow."""

    messages: list[OaMessage] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)  # (label, action)
    numbered: int = 0  # how many of the choices were shown with a number


def title_of(label: str) -> str:
    """A button's label as a title Zalo takes (cut with an ellipsis when too long)."""
    label = " ".join(label.split())  # a title is one line
    if utf16_len(label) <= TITLE_LIMIT:
        return label
    return label[: utf16_fit(label, TITLE_LIMIT - 1)].rstrip() + "…"


def render(
    replies: list[Reply],
    hint: Callable[[int], str],
    media_note: Callable[[int], str] | None = None,
    more: str = "👇",
) -> Rendered:
    """Replies as OA messages. ``hint(n)`` says how to answer n numbered choices (added
    after the last numbered list), ``media_note(n)`` stands for n files the OA channel does
    not send, ``more`` is the text of a message that carries only further buttons."""
    rendered = Rendered()
    numbered: list[tuple[str, str]] = []
    pressed: list[tuple[str, str]] = []
    last_numbered = max((i for i, r in enumerate(replies) if _numbered(r)), default=-1)
    for index, reply in enumerate(replies):
        text = to_plain(reply.text).strip()
        files = len(reply.media) + (1 if reply.photo else 0)
        if files and media_note is not None:
            text = f"{media_note(files)}\n\n{text}" if text else media_note(files)
        every = [(b.label, b.action) for row in reply.buttons for b in row]
        buttons = _unique(every)
        if _numbered(reply):
            lines = []
            for label, action in every:
                number = _number_of(numbered, action)
                if number is None:
                    numbered.append((label, action))
                    number = len(numbered)
                lines.append(f"{number}. {label}")
            block = "\n".join(lines)
            if index == last_numbered:
                block = f"{block}\n\n{hint(len(numbered))}"
            text = f"{text}\n\n{block}" if text else block
            buttons = []
        parts = split_message(text, TEXT_LIMIT)
        if not buttons:
            rendered.messages.extend(OaMessage(part) for part in parts)
            continue
        parts = parts or [more]
        pressed.extend(buttons)
        groups = _groups(buttons)
        rendered.messages.extend(OaMessage(part) for part in parts[:-1])
        rendered.messages.append(OaMessage(parts[-1], _titled(groups[0])))
        rendered.messages.extend(OaMessage(more, _titled(group)) for group in groups[1:])
    buttons_only = [c for c in _unique(pressed) if _number_of(numbered, c[1]) is None]
    rendered.choices = numbered + buttons_only
    rendered.numbered = len(numbered)
    return rendered


def _numbered(reply: Reply) -> bool:
    """Too many choices for buttons: they are shown as a numbered list."""
    count = len(_unique([(b.label, b.action) for row in reply.buttons for b in row]))
    return count > MAX_BUTTONS * MAX_BUTTON_MESSAGES


def _groups(buttons: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Buttons in as few messages as hold them, spread evenly (7 as 4 and 3, not 5 and 2)."""
    count = -(-len(buttons) // MAX_BUTTONS)
    size = -(-len(buttons) // count)
    return [buttons[i : i + size] for i in range(0, len(buttons), size)]


def _titled(buttons: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(title_of(label), action) for label, action in buttons]


def _unique(buttons: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One button per action (the first label): the same action twice is one choice."""
    seen: set[str] = set()
    kept = []
    for label, action in buttons:
        if action not in seen:
            seen.add(action)
            kept.append((label, action))
    return kept


def _number_of(choices: list[tuple[str, str]], action: str) -> int | None:
    for number, (_, known) in enumerate(choices, start=1):
        if known == action:
            return number
    return None


def pressed_action(text: str | None) -> str | None:
    """The action a pressed button carries (``vbsp:menu`` -> ``menu``); None for text that
    is not a press."""
    if text is None or not text.startswith(PRESS_PREFIX):
        return None
    action = text[len(PRESS_PREFIX) :]
    return action or None

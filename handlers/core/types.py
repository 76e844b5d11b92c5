"""The two channel-neutral types every dialog speaks: an incoming message and a reply."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

# Telegram refuses callback data over 64 bytes; every action we emit stays within it.
MAX_ACTION_BYTES = 64
MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer; a larger "id" cannot name a row


def digits(text: str) -> bool:
    """Plain ASCII digits only: ``str.isdigit`` also takes "²" and other scripts' digits,
    which ``int()`` refuses."""
    return text.isascii() and text.isdigit()


def row_id(text: str) -> int | None:
    """The row id a button or a user typed, or None for anything that cannot be one."""
    if not digits(text) or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ROW_ID else None


# Control characters other than newline and tab, and UTF-16 halves without their pair: a
# platform passes them on from the user as they are, and the database (PostgreSQL's text
# refuses NUL; UTF-8 has no lone surrogate) or the platform would refuse to store or send them.
_UNSENDABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str | None) -> str | None:
    """What a user typed, minus the characters no database or channel takes."""
    return _UNSENDABLE.sub("", value) if value else value


def _clean_fields(obj: object, *names: str) -> None:
    for name in names:  # frozen dataclasses: set once, while being made
        object.__setattr__(obj, name, clean_text(getattr(obj, name)))


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # "photo" or "document"
    file_id: str
    # What the channel says about the file before it is downloaded (None when it does not).
    size: int | None = None
    mime_type: str | None = None
    file_name: str | None = None

    def __post_init__(self) -> None:
        _clean_fields(self, "mime_type", "file_name")


class FileFetchError(Exception):
    """The channel could not hand over a file's bytes (gone, network trouble)."""


class FileTooLarge(FileFetchError):
    """The file is larger than the caller accepts; nothing more was downloaded."""


# A channel's way to get an attachment's bytes, refusing files over ``max_bytes``.
FetchFile = Callable[[Attachment, int], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class Media:
    """A file to show with a reply: sent by upload (never by someone else's file id)."""

    kind: str  # "photo" or "document"
    file_name: str
    data: bytes = field(repr=False)
    caption: str = ""  # the HTML subset, already escaped


@dataclass(frozen=True, slots=True)
class Incoming:
    """What a user sent: typed text or a pressed button's action, on some channel."""

    channel: str
    user_id: str
    text: str | None = None
    action: str | None = None
    display_name: str | None = None
    language_hint: str | None = None
    attachments: tuple[Attachment, ...] = ()

    def __post_init__(self) -> None:
        _clean_fields(self, "text", "action", "display_name", "language_hint")


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str

    def __post_init__(self) -> None:
        if len(self.action.encode()) > MAX_ACTION_BYTES:
            raise ValueError(f"action over {MAX_ACTION_BYTES} bytes: {self.action!r}")


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show: text in the small HTML subset (b, i, u, s, code) and button rows."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=())
    # Files shown before the text (an empty text sends the files alone). Not for the outbox.
    media: tuple[Media, ...] = field(default=())
    # A photo the channel already holds (its file id), shown with the text as its caption:
    # how a broadcast's picture reaches every recipient without uploading it again.
    photo: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """As JSON, for replies stored before they are sent (the outbox)."""
        if self.media:
            raise ValueError("a reply with files cannot be stored in the outbox")
        rows = [[{"label": b.label, "action": b.action} for b in row] for row in self.buttons]
        payload: dict[str, Any] = {"text": self.text, "buttons": rows}
        if self.photo:
            payload["photo"] = self.photo
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Reply:
        rows = payload.get("buttons", [])
        return cls(
            payload["text"],
            tuple(tuple(Button(b["label"], b["action"]) for b in r) for r in rows),
            photo=payload.get("photo"),
        )

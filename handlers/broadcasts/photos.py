"""A photo uploaded for an announcement (from the staff console): checked and cleaned the
way a report's evidence is (handlers/reports/evidence.py): a new picture made of its pixels
alone, so no position, camera or time goes out to a province's citizens.

In chat, an official's photo is the one Telegram already holds (its file id, recompressed by
Telegram); an uploaded one is cleaned here and then handed to the channel once, which gives
back the file id every recipient's message uses.
"""

from __future__ import annotations

import asyncio

from handlers.core.types import Attachment
from handlers.reports.evidence import MAX_FILE_BYTES, CleanFile, EvidenceRefused, clean

MAX_PHOTO_BYTES = MAX_FILE_BYTES


class PhotoRefused(ValueError):
    """Not a photo an announcement can carry; ``reason``: "too_large", "type", "unreadable",
    or "shape" (too large or too long a picture for the channel to show as a photo)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _clean(data: bytes) -> CleanFile:
    if data.startswith(b"%PDF-"):
        raise PhotoRefused("type")
    try:
        cleaned = clean(data, Attachment("photo", "upload"))
    except EvidenceRefused as refused:
        raise PhotoRefused(refused.reason if refused.reason in ("too_large", "type") else
                           "unreadable") from None  # fmt: skip
    if cleaned.kind != "photo":
        raise PhotoRefused("shape")
    return cleaned


async def clean_photo(data: bytes) -> CleanFile:
    """The cleaned copy (JPEG or PNG) of an uploaded picture; raises PhotoRefused. Runs in
    a thread: decoding a large picture must not stop the chats."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused("too_large")
    return await asyncio.to_thread(_clean, data)

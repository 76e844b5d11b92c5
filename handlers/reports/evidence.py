"""Evidence files: what a report accepts, and the cleaned copy that is stored.

A cleaned copy is built from what is known to be safe, never stripped of what is known to be
bad. A photo is decoded and a new picture is made from its pixels alone (the first frame,
turned upright by its EXIF orientation first), then encoded again: EXIF (GPS position,
camera, time), XMP, comments, ICC profiles and every other chunk have nowhere to go. A PDF
is drawn page by page into pictures and a new PDF is written around them
(handlers/reports/evidence_pdf.py): its metadata, attachments, forms, scripts and annotations are
never read into the copy.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from handlers.core.types import Attachment, FetchFile
from handlers.reports import evidence_pdf

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024  # per file, as received and as stored
MAX_PIXELS = 40_000_000  # larger pictures are refused before they are decoded
MAX_PDF_PAGES = evidence_pdf.MAX_PAGES
JPEG_QUALITY = 88
# Telegram's sendPhoto limits: larger or longer pictures are re-sent as documents.
PHOTO_MAX_SIDES, PHOTO_MAX_RATIO = 10_000, 20
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}


class EvidenceRefused(ValueError):
    """A file the report cannot take; ``reason`` names the kind message to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # "too_large", "type", "unreadable"; for a PDF "pdf_unreadable", "too_many_pages",
        # "pdf_too_large" (it would not fit even drawn small)
        self.reason = reason


@dataclass(frozen=True)
class CleanFile:
    kind: str  # "photo" (shown as a picture) or "document"
    mime_type: str
    extension: str
    data: bytes

    def file_name(self, number: int) -> str:
        """The name moderators see: "bang-chung-2.jpg", never the reporter's own."""
        return f"bang-chung-{number}.{self.extension}"


def precheck(attachment: Attachment) -> None:
    """Refuse from what the channel tells before anything is downloaded."""
    if attachment.kind not in ("photo", "document"):
        raise EvidenceRefused("type")
    if attachment.size is not None and attachment.size > MAX_FILE_BYTES:
        raise EvidenceRefused("too_large")
    if attachment.kind == "document":
        mime = (attachment.mime_type or "").lower()
        name = (attachment.file_name or "").lower()
        known_name = name.rsplit(".", 1)[-1] in ("pdf", "jpg", "jpeg", "png") if name else False
        if mime not in DOCUMENT_TYPES and not (not mime and known_name):
            raise EvidenceRefused("type")


async def prepare(attachment: Attachment, fetch: FetchFile) -> CleanFile:
    """Check, download and clean one file. Raises EvidenceRefused, FileTooLarge or
    FileFetchError. The cleaning runs in a thread: a large photo or PDF takes a moment of
    CPU that must not stop the other chats."""
    precheck(attachment)
    data = await fetch(attachment, MAX_FILE_BYTES)
    return await asyncio.to_thread(clean, data, attachment)


def clean(data: bytes, attachment: Attachment) -> CleanFile:
    """The stored copy of a received file."""
    if len(data) > MAX_FILE_BYTES:
        raise EvidenceRefused("too_large")
    if data.startswith(b"%PDF-"):
        if attachment.kind != "document":
            raise EvidenceRefused("type")
        try:
            cleaned = evidence_pdf.clean_pdf(data, MAX_FILE_BYTES)
        except evidence_pdf.PdfRefused as refused:
            raise EvidenceRefused(refused.reason) from None
        return CleanFile("document", "application/pdf", "pdf", cleaned)
    return _clean_image(data)


def _clean_image(data: bytes) -> CleanFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # A phone's two-picture MPO opens as JPEG too; only its first frame is read.
            image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])
            if image.width * image.height > MAX_PIXELS:
                raise EvidenceRefused("too_large")
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = _pixels_only(upright, as_jpeg=image.format in ("JPEG", "MPO"))
    except EvidenceRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EvidenceRefused("type") from None
    except (OSError, ValueError, SyntaxError):
        raise EvidenceRefused("unreadable") from None
    out = io.BytesIO()
    if pixels.mode in ("RGB", "L") and image.format in ("JPEG", "MPO"):
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        mime, ext = "image/jpeg", "jpg"
    else:
        pixels.save(out, "PNG", optimize=True)
        mime, ext = "image/png", "png"
    cleaned = out.getvalue()
    if len(cleaned) > MAX_FILE_BYTES:
        raise EvidenceRefused("too_large")
    width, height = pixels.size
    fits = width + height <= PHOTO_MAX_SIDES and max(width, height) <= PHOTO_MAX_RATIO * max(
        1, min(width, height)
    )
    return CleanFile("photo" if fits else "document", mime, ext, cleaned)


def _pixels_only(image: Image.Image, as_jpeg: bool) -> Image.Image:
    """A new picture made of the decoded pixels and nothing else: grey, colour, or colour
    with transparency (a PNG's, kept as an alpha channel)."""
    if image.mode.startswith("I"):  # 16-bit grey (PNG): to 8 bits by scale, not by clipping
        image = image.convert("I").point(lambda value: value * (1 / 256))
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if transparent and not as_jpeg and image.mode != "I":
        mode = "RGBA"
    elif image.mode in ("1", "L", "I"):
        mode = "L"
    else:
        mode = "RGB"
    decoded = image.convert(mode) if image.mode != mode else image
    return Image.frombytes(mode, decoded.size, decoded.tobytes())

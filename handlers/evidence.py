"""Evidence files: what a report accepts, and the cleaned copy that is stored.

Photos are decoded and encoded again with Pillow, so nothing but the pixels survives: EXIF
(GPS position, camera, time), XMP, comments and ICC profiles are dropped. The picture is first
turned upright by its EXIF orientation, since that tag goes too. PDF documents are kept as
they came (after a check that they are PDFs); their own metadata is not rewritten.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from handlers.types import Attachment

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024  # per file, as received and as stored
MAX_PIXELS = 40_000_000  # larger pictures are refused before they are decoded
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
        self.reason = reason  # "too_large", "type", "unreadable"


@dataclass(frozen=True)
class CleanFile:
    kind: str  # "photo" (shown as a picture) or "document"
    mime_type: str
    file_name: str
    data: bytes


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


def clean(data: bytes, attachment: Attachment, number: int) -> CleanFile:
    """The stored copy of a received file; ``number`` names it ("bang-chung-2.jpg")."""
    if len(data) > MAX_FILE_BYTES:
        raise EvidenceRefused("too_large")
    if data.startswith(b"%PDF-"):
        if attachment.kind != "document":
            raise EvidenceRefused("type")
        return CleanFile("document", "application/pdf", f"bang-chung-{number}.pdf", data)
    return _clean_image(data, number)


def _clean_image(data: bytes, number: int) -> CleanFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])
            if image.width * image.height > MAX_PIXELS:
                raise EvidenceRefused("too_large")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except EvidenceRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EvidenceRefused("type") from None
    except (OSError, ValueError, SyntaxError):
        raise EvidenceRefused("unreadable") from None
    fmt = image.format
    transparency = upright.info.get("transparency")
    upright.info = {}  # every ancillary chunk and tag: EXIF, XMP, comments, ICC profile
    out = io.BytesIO()
    if fmt == "JPEG":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        mime, ext = "image/jpeg", "jpg"
    else:
        extra = {"transparency": transparency} if transparency is not None else {}
        upright.save(out, "PNG", optimize=True, **extra)
        mime, ext = "image/png", "png"
    cleaned = out.getvalue()
    if len(cleaned) > MAX_FILE_BYTES:
        raise EvidenceRefused("too_large")
    width, height = upright.size
    fits = width + height <= PHOTO_MAX_SIDES and max(width, height) <= PHOTO_MAX_RATIO * max(
        1, min(width, height)
    )
    return CleanFile("photo" if fits else "document", mime, f"bang-chung-{number}.{ext}", cleaned)

"""Evidence files: what a report accepts, and the cleaned copy that is stored.

Photos are decoded and encoded again with Pillow, so nothing but the pixels survives: EXIF
(GPS position, camera, time), XMP, comments and ICC profiles are dropped. The picture is first
turned upright by its EXIF orientation, since that tag goes too.

PDF documents are written again with pypdf, page by page, so what names their maker stays
behind: the document information (author, creator, dates), XMP metadata, page-level
metadata, the authors of comments, and whatever is not a page (scripts run on opening,
attached files, forms' data). An encrypted or broken PDF is refused with a kind word.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import NameObject, StreamObject

from handlers.types import Attachment, FetchFile

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024  # per file, as received and as stored
MAX_PIXELS = 40_000_000  # larger pictures are refused before they are decoded
MAX_PDF_PAGES = 200
# Keys of a page that can carry who made it or run something; the page's text and pictures
# are in its contents and resources, which are kept.
PAGE_KEYS_DROPPED = ("/Metadata", "/PieceInfo", "/AA", "/LastModified")
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
        return CleanFile("document", "application/pdf", "pdf", _clean_pdf(data))
    return _clean_image(data)


def _clean_pdf(data: bytes) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise EvidenceRefused("unreadable")  # we could not read it, nor could moderators
        if len(reader.pages) > MAX_PDF_PAGES:
            raise EvidenceRefused("too_large")
        writer = PdfWriter()
        for page in reader.pages:
            kept = writer.add_page(page)  # only the page: no catalog, info or XMP of the file
            for key in PAGE_KEYS_DROPPED:
                kept.pop(NameObject(key), None)
            _clean_pictures(kept)
            for annotation in kept.get("/Annots", None) or []:
                note = annotation.get_object()
                if note.get("/Subtype") != "/Widget":  # a comment's /T is its author
                    for key in ("/T", "/M", "/CreationDate", "/NM", "/RC"):
                        note.pop(NameObject(key), None)
        writer.add_metadata({"/Producer": "vbsp-bot"})
        out = io.BytesIO()
        writer.write(out)
    except EvidenceRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise EvidenceRefused("unreadable") from None
    cleaned = out.getvalue()
    if len(cleaned) > MAX_FILE_BYTES:
        raise EvidenceRefused("too_large")
    return cleaned


def _clean_pictures(page: Any) -> None:
    """A photo placed in a PDF is a JPEG stream that keeps its EXIF (GPS): drop its metadata
    segments, and the XMP of every picture."""
    resources = page.get("/Resources")
    objects = resources.get_object().get("/XObject") if resources is not None else None
    for ref in objects.get_object().values() if objects is not None else []:
        picture = ref.get_object()
        picture.pop(NameObject("/Metadata"), None)
        if picture.get("/Subtype") == "/Image" and picture.get("/Filter") == "/DCTDecode":
            # The stream's bytes are the JPEG file (DCT data is not decoded by pypdf); pypdf
            # re-encodes only Flate streams, so the stripped bytes are set as they are.
            StreamObject.set_data(picture, strip_jpeg_metadata(picture.get_data()))


# APP1 (EXIF, XMP), APP2 (ICC, FlashPix), APP12, APP13 (Photoshop, IPTC), COM: who, where,
# with what. APP0 (JFIF) and APP14 (Adobe, needed to read CMYK colours right) stay.
_JPEG_DROPPED = {0xE1, 0xE2, 0xEC, 0xED, 0xFE}


def strip_jpeg_metadata(data: bytes) -> bytes:
    """The same JPEG (not re-encoded) without its metadata segments."""
    if not data.startswith(b"\xff\xd8"):
        return data
    out, at = bytearray(data[:2]), 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xDA:  # start of scan: the picture itself, to the end
            break
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if marker not in _JPEG_DROPPED:
            out += data[at : at + 2 + length]
        at += 2 + length
    return bytes(out + data[at:])


def _clean_image(data: bytes) -> CleanFile:
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
    return CleanFile("photo" if fits else "document", mime, ext, cleaned)

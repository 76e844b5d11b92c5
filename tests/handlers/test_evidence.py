"""Evidence files: metadata (GPS above all) is gone from the stored copy; limits and types."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from handlers import evidence
from handlers.types import Attachment

PHOTO = Attachment("photo", "f1")
DOC = Attachment("document", "f2", mime_type="application/pdf", file_name="hop-dong.pdf")


def jpeg_with_gps(size=(80, 60), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:11:20 21:15:00"  # DateTime
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (15.0, 7.0, 12.5), 3: "E", 4: (108.0, 48.0, 3.2)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"Nguyen Van A's phone")
    return out.getvalue()


def test_gps_exif_is_gone_from_the_stored_photo():
    raw = jpeg_with_gps()
    original = Image.open(io.BytesIO(raw)).getexif()
    assert original.get_ifd(0x8825), "the test photo must carry a GPS position"
    assert b"PhoneMaker" in raw and b"Nguyen Van A" in raw

    cleaned = evidence.clean(raw, PHOTO, 1)

    assert (cleaned.kind, cleaned.mime_type, cleaned.file_name) == (
        "photo",
        "image/jpeg",
        "bang-chung-1.jpg",
    )
    stored = Image.open(io.BytesIO(cleaned.data))
    assert not stored.getexif().get_ifd(0x8825)
    assert len(stored.getexif()) == 0
    assert b"Exif" not in cleaned.data and b"PhoneMaker" not in cleaned.data
    assert b"Nguyen Van A" not in cleaned.data
    assert stored.size == (80, 60)


def test_the_picture_is_turned_upright_before_its_orientation_tag_goes():
    cleaned = evidence.clean(jpeg_with_gps((80, 60), orientation=6), PHOTO, 1)
    assert Image.open(io.BytesIO(cleaned.data)).size == (60, 80)


def test_png_text_chunks_are_dropped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Tran Thi B")
    info.add_text("GPS", "15.12,108.80")
    out = io.BytesIO()
    Image.new("RGB", (30, 30), "white").save(out, "PNG", pnginfo=info)
    assert b"Tran Thi B" in out.getvalue()
    cleaned = evidence.clean(out.getvalue(), Attachment("document", "x", None, "image/png"), 2)
    assert cleaned.mime_type == "image/png" and cleaned.file_name == "bang-chung-2.png"
    assert b"Tran Thi B" not in cleaned.data and b"15.12" not in cleaned.data


def test_a_pdf_is_a_document_and_never_a_photo():
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
    cleaned = evidence.clean(pdf, DOC, 3)
    assert (cleaned.kind, cleaned.mime_type, cleaned.data) == ("document", "application/pdf", pdf)
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.clean(pdf, PHOTO, 3)
    assert refused.value.reason == "type"


def _truncated_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 200), "red").save(out, "JPEG")
    return out.getvalue()[:300]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"MZ\x90\x00 an executable", "type"),
        (b"GIF89a" + b"\x00" * 20, "type"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 10, "type"),
        (_truncated_jpeg(), "unreadable"),
    ],
)
def test_files_that_are_not_pictures_or_pdfs_are_refused(data: bytes, reason: str):
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.clean(data, Attachment("document", "x", None, "image/jpeg", "a.jpg"), 1)
    assert refused.value.reason == reason


def test_huge_pictures_are_refused_before_decoding():
    out = io.BytesIO()
    Image.new("L", (8000, 6000)).save(out, "PNG")  # 48 million pixels, a small file
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.clean(out.getvalue(), PHOTO, 1)
    assert refused.value.reason == "too_large"


def test_precheck_uses_what_the_channel_says():
    evidence.precheck(PHOTO)
    evidence.precheck(DOC)
    evidence.precheck(Attachment("document", "x", 100, None, "anh.PNG"))
    for attachment, reason in [
        (Attachment("photo", "x", evidence.MAX_FILE_BYTES + 1), "too_large"),
        (Attachment("document", "x", 100, "application/zip", "a.zip"), "type"),
        (Attachment("document", "x", 100, "application/x-msdownload", "a.exe"), "type"),
        (Attachment("document", "x", 100, None, "virus.exe"), "type"),
        (Attachment("video", "x", 100), "type"),
    ]:
        with pytest.raises(evidence.EvidenceRefused) as refused:
            evidence.precheck(attachment)
        assert refused.value.reason == reason


def test_long_screenshots_are_shown_as_documents():
    out = io.BytesIO()
    Image.new("RGB", (100, 2500)).save(out, "PNG")
    assert evidence.clean(out.getvalue(), PHOTO, 1).kind == "document"

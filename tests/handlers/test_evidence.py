"""Evidence files: metadata (GPS above all) is gone from the stored copy; limits and types."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Text
from pypdf.generic import DictionaryObject, NameObject, NumberObject, StreamObject, TextStringObject

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

    cleaned = evidence.clean(raw, PHOTO)

    assert (cleaned.kind, cleaned.mime_type, cleaned.file_name(1)) == (
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
    cleaned = evidence.clean(jpeg_with_gps((80, 60), orientation=6), PHOTO)
    assert Image.open(io.BytesIO(cleaned.data)).size == (60, 80)


def test_png_text_chunks_are_dropped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Tran Thi B")
    info.add_text("GPS", "15.12,108.80")
    out = io.BytesIO()
    Image.new("RGB", (30, 30), "white").save(out, "PNG", pnginfo=info)
    assert b"Tran Thi B" in out.getvalue()
    cleaned = evidence.clean(out.getvalue(), Attachment("document", "x", None, "image/png"))
    assert cleaned.mime_type == "image/png" and cleaned.file_name(2) == "bang-chung-2.png"
    assert b"Tran Thi B" not in cleaned.data and b"15.12" not in cleaned.data


def pdf_with_its_maker(author: str = "Nguyen Van An") -> bytes:
    """A one-page PDF that names its maker every way a phone or office app does."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    photo = jpeg_with_gps()
    picture = StreamObject()
    picture.set_data(photo)
    picture.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(80),
            NameObject("/Height"): NumberObject(60),
            NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
            NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): NameObject("/DCTDecode"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {
            NameObject("/XObject"): DictionaryObject(
                {NameObject("/Im0"): writer._add_object(picture)}
            )
        }
    )
    contents = StreamObject()
    contents.set_data(b"q 80 0 0 60 10 10 cm /Im0 Do Q")
    page[NameObject("/Contents")] = writer._add_object(contents)
    writer.add_annotation(0, Text(rect=(10, 150, 30, 170), text="xem lai"))
    page["/Annots"][0].get_object()[NameObject("/T")] = TextStringObject(author)
    writer.add_metadata({"/Author": author, "/Creator": "Phone Office"})
    xmp = StreamObject()
    xmp.set_data(f"<x:xmpmeta><dc:creator>{author}</dc:creator></x:xmpmeta>".encode())
    writer._root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_keeps_its_pages_and_loses_who_made_it():
    raw = pdf_with_its_maker()
    assert raw.count(b"Nguyen Van An") >= 3 and b"PhoneMaker" in raw  # info, XMP, comment

    cleaned = evidence.clean(raw, DOC)

    assert (cleaned.kind, cleaned.mime_type, cleaned.file_name(3)) == (
        "document",
        "application/pdf",
        "bang-chung-3.pdf",
    )
    assert b"Nguyen Van An" not in cleaned.data and b"Phone Office" not in cleaned.data
    reader = PdfReader(io.BytesIO(cleaned.data))
    assert len(reader.pages) == 1
    assert set(reader.metadata or {}) <= {"/Producer"}
    assert reader.xmp_metadata is None
    (picture,) = reader.pages[0].images
    assert b"PhoneMaker" not in picture.data and b"Exif" not in picture.data
    shown = Image.open(io.BytesIO(picture.data))
    assert shown.size == (80, 60) and not shown.getexif()
    (comment,) = reader.pages[0]["/Annots"]
    assert comment.get_object()["/Contents"] == "xem lai"  # what it says stays; who, not


def test_a_pdf_is_a_document_and_never_a_photo():
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.clean(pdf_with_its_maker(), PHOTO)
    assert refused.value.reason == "type"


def test_a_broken_or_locked_pdf_is_refused_kindly():
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.clean(b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n", DOC)
    assert refused.value.reason == "unreadable"
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("mat-khau")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.clean(out.getvalue(), DOC)
    assert refused.value.reason == "unreadable"


def test_jpeg_metadata_segments_go_and_the_picture_stays_byte_for_byte():
    raw = jpeg_with_gps()
    stripped = evidence.strip_jpeg_metadata(raw)
    assert b"Exif" not in stripped and b"Nguyen Van A" not in stripped
    assert raw.endswith(stripped[stripped.index(b"\xff\xda") :])  # the scan is untouched
    assert Image.open(io.BytesIO(stripped)).tobytes() == Image.open(io.BytesIO(raw)).tobytes()
    assert evidence.strip_jpeg_metadata(b"not a jpeg") == b"not a jpeg"


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
        evidence.clean(data, Attachment("document", "x", None, "image/jpeg", "a.jpg"))
    assert refused.value.reason == reason


def test_huge_pictures_are_refused_before_decoding():
    out = io.BytesIO()
    Image.new("L", (8000, 6000)).save(out, "PNG")  # 48 million pixels, a small file
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.clean(out.getvalue(), PHOTO)
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
    assert evidence.clean(out.getvalue(), PHOTO).kind == "document"

"""Evidence files: the stored copy is built from pixels, so nothing that names the maker (GPS
above all) survives; what a cleaned PDF and photo contain, the limits and the kind refusals."""

from __future__ import annotations

import asyncio
import io
import math
import random

import pypdfium2 as pdfium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

from handlers.core.types import Attachment
from handlers.reports import evidence, evidence_pdf
from tests.handlers.evidence_samples import (
    ATTACHMENT_AT,
    COMMENT_AT,
    PICTURES,
    PLANTED,
    WIDGET_AT,
    _stream,
    jpeg_with_gps,
    leaked,
    pdf_with_its_maker,
)

PHOTO = Attachment("photo", "f1")
DOC = Attachment("document", "f2", mime_type="application/pdf", file_name="hop-dong.pdf")


# --- photos ----------------------------------------------------------------------------------


def jpeg_segments(data: bytes) -> list[int]:
    """The markers of a JPEG's segments before its picture data (APPn, COM, DQT, SOF, ...)."""
    markers, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF and data[at + 1] != 0xDA:
        markers.append(data[at + 1])
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return markers


def only_pixels(data: bytes) -> None:
    """A JPEG that holds a JFIF header and the picture, and nothing else."""
    segments = jpeg_segments(data)
    assert all(m == 0xE0 or not (0xE1 <= m <= 0xEF or m == 0xFE) for m in segments), segments
    stored = Image.open(io.BytesIO(data))
    assert not stored.getexif()
    assert set(stored.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}


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
    assert b"Exif" not in cleaned.data and b"PhoneMaker" not in cleaned.data
    assert b"Nguyen Van A" not in cleaned.data
    only_pixels(cleaned.data)
    assert Image.open(io.BytesIO(cleaned.data)).size == (80, 60)


def test_xmp_icc_and_comments_of_a_photo_stay_behind():
    xmp = b"<x:xmpmeta><dc:creator>XMP-Tran-Van-C</dc:creator></x:xmpmeta>"
    out = io.BytesIO()
    icc = b"ICC-made-on-Tran-Van-C-laptop" * 4
    picture = Image.new("RGB", (40, 40), (10, 120, 200))
    picture.save(out, "JPEG", xmp=xmp, icc_profile=icc, comment=b"COM-Tran-Van-C")
    raw = out.getvalue()
    assert raw.count(b"Tran-Van-C") >= 3

    cleaned = evidence.clean(raw, PHOTO).data

    assert b"Tran-Van-C" not in cleaned
    only_pixels(cleaned)


def test_a_two_picture_mpo_becomes_one_jpeg_with_the_first_picture_only():
    first = Image.new("RGB", (48, 32), (250, 10, 10))
    second = Image.new("RGB", (48, 32), (10, 10, 250))
    exif = Image.Exif()
    exif[0x013B] = "MPO-Artist-Le-Van-D"
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second], exif=exif.tobytes())
    raw = out.getvalue()
    assert Image.open(io.BytesIO(raw)).format == "MPO" and b"Le-Van-D" in raw

    cleaned = evidence.clean(raw, Attachment("document", "x", None, "image/jpeg", "a.jpg"))

    assert (cleaned.mime_type, cleaned.file_name(1)) == ("image/jpeg", "bang-chung-1.jpg")
    assert b"Le-Van-D" not in cleaned.data and b"MPF" not in cleaned.data
    stored = Image.open(io.BytesIO(cleaned.data))
    assert stored.format == "JPEG" and getattr(stored, "n_frames", 1) == 1
    red, _, blue = stored.getpixel((24, 16))
    assert red > 200 and blue < 50  # the first picture, not the second
    only_pixels(cleaned.data)


def test_the_picture_is_turned_upright_before_its_orientation_tag_goes():
    cleaned = evidence.clean(jpeg_with_gps((80, 60), orientation=6), PHOTO)
    assert Image.open(io.BytesIO(cleaned.data)).size == (60, 80)


def test_png_chunks_are_dropped_and_transparency_kept():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Tran Thi B")
    info.add_text("GPS", "15.12,108.80")
    info.add_itxt("Comment", "iTXt-Tran-Thi-B", zip=True)
    picture = Image.new("RGBA", (30, 30), (255, 255, 255, 0))
    picture.paste((200, 0, 0, 255), (0, 0, 10, 10))
    out = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture.save(out, "PNG", pnginfo=info, icc_profile=srgb)
    assert b"Tran Thi B" in out.getvalue()

    cleaned = evidence.clean(out.getvalue(), Attachment("document", "x", None, "image/png"))

    assert cleaned.mime_type == "image/png" and cleaned.file_name(2) == "bang-chung-2.png"
    assert b"Tran Thi B" not in cleaned.data and b"15.12" not in cleaned.data
    assert b"iTXt" not in cleaned.data and b"iCCP" not in cleaned.data
    stored = Image.open(io.BytesIO(cleaned.data))
    assert stored.info == {} or set(stored.info) <= {"dpi"}
    assert stored.mode == "RGBA" and stored.getpixel((5, 5)) == (200, 0, 0, 255)
    assert stored.getpixel((20, 20))[3] == 0


def test_sixteen_bit_grey_is_scaled_to_eight_bits_not_clipped():
    out = io.BytesIO()
    Image.new("I;16", (8, 8), 0x8000).save(out, "PNG")
    cleaned = evidence.clean(out.getvalue(), PHOTO)
    assert Image.open(io.BytesIO(cleaned.data)).getpixel((0, 0)) == 128


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


# --- PDF documents ---------------------------------------------------------------------------


def test_the_planted_pdf_names_its_maker_everywhere():
    """The sample itself: every planted string is in it, and a full viewer shows its pictures
    and its three annotations (drawn black)."""
    raw = pdf_with_its_maker()
    assert leaked(raw) == list(PLANTED)
    document = pdfium.PdfDocument(raw)
    document.init_forms()
    shown = document[0].render(may_draw_forms=True, draw_annots=True).to_pil()
    for at, colour in PICTURES.values():
        assert _near(_colour_at(shown, at), colour)
    for at in (WIDGET_AT, ATTACHMENT_AT, COMMENT_AT):
        assert _colour_at(shown, at) == (0, 0, 0)


def test_a_pdf_keeps_what_its_pages_show_and_nothing_of_who_made_it():
    cleaned = evidence.clean(pdf_with_its_maker(), DOC)

    assert (cleaned.kind, cleaned.mime_type, cleaned.file_name(3)) == (
        "document",
        "application/pdf",
        "bang-chung-3.pdf",
    )
    assert leaked(cleaned.data) == []
    assert b"Exif" not in cleaned.data and b"JavaScript" not in cleaned.data
    document = pdfium.PdfDocument(cleaned.data)
    assert len(document) == 1 and document[0].get_size() == (300, 300)
    shown = document[0].render().to_pil()
    for at, colour in PICTURES.values():  # each picture, wherever it was drawn from
        assert _near(_colour_at(shown, at), colour)
    for at in (WIDGET_AT, ATTACHMENT_AT, COMMENT_AT):  # no form value, attachment, comment
        assert _colour_at(shown, at) == (255, 255, 255)


def test_a_cleaned_pdf_holds_a_catalog_pages_and_one_jpeg_per_page_only():
    """What a cleaned PDF may contain, checked object by object."""
    writer = PdfWriter()
    for size in ((300, 300), (595, 842)):
        writer.add_blank_page(*size)
    writer.pages[1].rotate(90)
    three_pages = _with_pages(pdf_with_its_maker(), _pdf_bytes(writer))
    cleaned = evidence.clean(three_pages, DOC).data

    reader = PdfReader(io.BytesIO(cleaned), strict=True)  # the xref table is exact
    assert set(reader.trailer) == {"/Size", "/Root"}
    assert reader.metadata is None and reader.xmp_metadata is None
    catalog = reader.trailer["/Root"]
    assert set(catalog) == {"/Type", "/Pages"} and catalog["/Type"] == "/Catalog"
    pages = catalog["/Pages"]
    assert set(pages) == {"/Type", "/Kids", "/Count"} and pages["/Count"] == 3
    assert int(reader.trailer["/Size"]) == 3 + 3 * 3  # catalog, pages; 3 objects a page
    for page, size in zip(reader.pages, ((300, 300), (300, 300), (842, 595)), strict=True):
        assert set(page) == {"/Type", "/Parent", "/MediaBox", "/Resources", "/Contents"}
        assert [float(v) for v in page["/MediaBox"]] == [0, 0, *size]
        assert list(page["/Resources"]) == ["/XObject"]
        (picture,) = page["/Resources"]["/XObject"].values()
        picture = picture.get_object()
        assert set(picture) == {
            "/Type",
            "/Subtype",
            "/Width",
            "/Height",
            "/ColorSpace",
            "/BitsPerComponent",
            "/Filter",
        }  # and /Length, which pypdf hides
        assert picture["/Filter"] == "/DCTDecode"
        only_pixels(picture.get_data())
        width, height = size
        assert page.get_contents().get_data() == (
            f"q {width:.3f} 0 0 {height:.3f} 0 0 cm /Im0 Do Q".encode()
        )
    assert len(pdfium.PdfDocument(cleaned)) == 3


def test_a_locked_or_broken_pdf_is_refused_kindly():
    for data in (b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n", b"%PDF-1.7\n" + b"\x00" * 100):
        with pytest.raises(evidence.EvidenceRefused) as refused:
            evidence.clean(data, DOC)
        assert refused.value.reason == "pdf_unreadable"
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("mat-khau")
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.clean(_pdf_bytes(writer), DOC)
    assert refused.value.reason == "pdf_unreadable"


def test_a_pdf_is_a_document_and_never_a_photo():
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.clean(pdf_with_its_maker(), PHOTO)
    assert refused.value.reason == "type"


def test_more_than_twenty_pages_are_refused_before_any_is_drawn(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("a page was drawn")

    monkeypatch.setattr(pdfium.PdfPage, "render", never)
    with pytest.raises(evidence.EvidenceRefused) as refused:
        evidence.clean(_blank_pages(evidence.MAX_PDF_PAGES + 1), DOC)
    assert refused.value.reason == "too_many_pages"
    monkeypatch.undo()
    assert len(pdfium.PdfDocument(evidence.clean(_blank_pages(20), DOC).data)) == 20


def test_a_huge_page_is_drawn_with_at_most_four_million_pixels():
    writer = PdfWriter()
    writer.add_blank_page(5000, 2500)  # 70 × 35 inches: 72 million pixels at 150 dpi
    writer.add_blank_page(30000, 20)  # longer than any reader shows
    writer.add_blank_page(1_000_000, 1)  # a thread
    cleaned = evidence.clean(_pdf_bytes(writer), DOC).data

    reader = PdfReader(io.BytesIO(cleaned))
    large, thin, thread = (page["/Resources"]["/XObject"]["/Im0"] for page in reader.pages)
    assert large["/Width"] * large["/Height"] <= evidence_pdf.MAX_PAGE_PIXELS
    assert abs(large["/Width"] - 2 * large["/Height"]) <= 2  # the page's shape
    assert [float(v) for v in reader.pages[0]["/MediaBox"]] == [0, 0, 5000, 2500]
    assert thin["/Width"] <= evidence_pdf.MAX_PAGE_SIDE
    assert [float(v) for v in reader.pages[1]["/MediaBox"]] == [0, 0, 14400, 9.6]
    assert (thread["/Width"], thread["/Height"]) == (evidence_pdf.MAX_PAGE_SIDE, 1)
    assert [float(v) for v in reader.pages[2]["/MediaBox"]] == [0, 0, 14400, 1]
    assert len(pdfium.PdfDocument(cleaned)) == 3


def test_the_quality_goes_down_a_step_at_a_time_and_each_page_is_drawn_once(monkeypatch):
    noise = _noise_pdf(pages=2)
    drawn = []
    draw = pdfium.PdfPage.render

    def render(page, *args, **kwargs):
        drawn.append(kwargs["scale"])
        return draw(page, *args, **kwargs)

    monkeypatch.setattr(pdfium.PdfPage, "render", render)
    # The 400-point pages at 150, 120, 100 and 72 dpi.
    widths = [math.ceil(400 * dpi / 72) for dpi, _ in evidence_pdf.QUALITY_LADDER]
    limit = evidence.MAX_FILE_BYTES
    for width in widths:
        drawn.clear()
        cleaned = evidence_pdf.clean_pdf(noise, max_bytes=limit)
        assert len(cleaned) <= limit and len(drawn) == 2
        shown = [page["/Resources"]["/XObject"]["/Im0"]["/Width"] for page in _pages(cleaned)]
        assert shown == [width, width]
        limit = len(cleaned) - 1  # the next step down must be taken
    with pytest.raises(evidence_pdf.PdfRefused) as refused:  # no step fits
        evidence_pdf.clean_pdf(noise, max_bytes=limit)
    assert refused.value.reason == "pdf_too_large"


def test_pdfium_is_only_used_under_the_lock(monkeypatch):
    held = []
    draw = pdfium.PdfPage.render

    def render(page, *args, **kwargs):
        held.append(evidence_pdf._PDFIUM.locked())
        return draw(page, *args, **kwargs)

    monkeypatch.setattr(pdfium.PdfPage, "render", render)
    evidence.clean(_blank_pages(3), DOC)
    assert held == [True, True, True]


async def test_pdfs_cleaned_at_once_in_threads_come_out_whole():
    async def fetch(attachment: Attachment, limit: int) -> bytes:
        return pdf_with_its_maker()

    cleaned = await asyncio.gather(*(evidence.prepare(DOC, fetch) for _ in range(4)))
    assert len({c.data for c in cleaned}) == 1 and leaked(cleaned[0].data) == []


SAMPLE = pdf_with_its_maker()


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same damaged files on every run
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), min_size=1, max_size=30
    ),
    keep=st.one_of(st.just(len(SAMPLE)), st.integers(len(SAMPLE) // 3, len(SAMPLE))),
)
def test_a_damaged_pdf_is_cleaned_or_refused_kindly_never_anything_else(edits, keep):
    """Bytes changed at random, the end cut off: PDFium reads most such files (it mends a
    broken cross-reference table); whatever it makes of them, nothing planted comes out."""
    damaged = bytearray(SAMPLE)
    for at, byte in edits:
        damaged[at] = byte
    try:
        cleaned = evidence.clean(bytes(damaged[:keep]), DOC)
    except evidence.EvidenceRefused:
        return
    assert leaked(cleaned.data) == []
    assert len(pdfium.PdfDocument(cleaned.data)) >= 1


# --- helpers ---------------------------------------------------------------------------------


def _colour_at(shown: Image.Image, at: tuple[int, int]) -> tuple[int, int, int]:
    """The colour in the middle of the 60-point square whose lower left corner is ``at`` on
    a 300-point page drawn at any scale."""
    scale = shown.width / 300
    x, y = at
    return shown.convert("RGB").getpixel((int((x + 30) * scale), int((300 - y - 30) * scale)))


def _near(colour: tuple[int, ...], wanted: tuple[int, ...]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(colour, wanted, strict=True))


def _pdf_bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _with_pages(first: bytes, more: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(first)))
    writer.append(PdfReader(io.BytesIO(more)))
    return _pdf_bytes(writer)


def _blank_pages(count: int) -> bytes:
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(200, 200)
    return _pdf_bytes(writer)


def _pages(data: bytes) -> list:
    return list(PdfReader(io.BytesIO(data)).pages)


def _noise_pdf(pages: int = 1) -> bytes:
    """Pages covered by a picture of random pixels: what JPEG compresses worst."""
    pixels = random.Random(7).randbytes(300 * 300 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (300, 300), pixels).save(out, "JPEG", quality=95)
    writer = PdfWriter()
    picture = _stream(
        out.getvalue(),
        Type=NameObject("/XObject"),
        Subtype=NameObject("/Image"),
        Width=NumberObject(300),
        Height=NumberObject(300),
        ColorSpace=NameObject("/DeviceRGB"),
        BitsPerComponent=NumberObject(8),
        Filter=ArrayObject([NameObject("/DCTDecode")]),
    )
    shown = writer._add_object(picture)
    draw = writer._add_object(_stream(b"q 400 0 0 400 0 0 cm /Im0 Do Q"))
    for _ in range(pages):
        page = writer.add_blank_page(400, 400)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): shown})}
        )
        page[NameObject("/Contents")] = draw
    return _pdf_bytes(writer)

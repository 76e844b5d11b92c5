"""A PDF sent as evidence, rebuilt from pictures of its pages.

Nothing of the received file is copied: each page is drawn by PDFium into pixels (forms not
loaded, annotations not drawn, so filled-in values, attached files and comments stay
behind), the pixels are encoded as a new JPEG, and a PDF of our own is written around them.
That PDF holds a catalog, a page tree and, per page, one page, one picture and the one line
that draws it: no document information, XMP, names, attachments, scripts, outlines or
annotations, because the writer below has no way to write them.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image

MAX_PAGES = 20  # counted before anything is drawn
MAX_PAGE_PIXELS = 4_000_000  # a page drawn larger is drawn smaller
MAX_PAGE_SIDE = 10_000  # pixels: a very long, thin page must still make a JPEG
MAX_PAGE_POINTS = 14_400  # the largest page PDF readers are asked to show (200 inches)
# Stepped down until the whole document fits in the size limit: (dots per inch, JPEG quality).
QUALITY_LADDER = ((150, 80), (120, 70), (100, 60), (72, 35))

# PDFium is not thread-safe, even across documents; cleaning runs in worker threads.
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class PageImage:
    """One page of the written PDF: its JPEG, the JPEG's size in pixels, the page's in points."""

    jpeg: bytes
    pixel_width: int
    pixel_height: int
    width: float
    height: float


class PdfRefused(ValueError):
    """``reason``: "pdf_unreadable", "too_many_pages" or "pdf_too_large"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean_pdf(data: bytes, max_bytes: int) -> bytes:
    """A new PDF showing the pages of ``data``, at most ``max_bytes`` long."""
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)  # a password-locked file fails here
        except (pdfium.PdfiumError, ValueError):
            raise PdfRefused("pdf_unreadable") from None
    try:
        return _draw_and_write(document, _page_sizes(document), max_bytes)
    finally:
        with _PDFIUM:
            document.close()


def _draw_and_write(
    document: pdfium.PdfDocument, sizes: list[tuple[float, float]], max_bytes: int
) -> bytes:
    """Each page is drawn once, at the ladder's step of the moment. When the pictures stop
    fitting, the step goes down and the pages already done are made smaller from their own
    JPEGs, so a page costly to draw is never drawn twice."""
    step, pages = 0, []
    for index, size in enumerate(sizes):
        picture = _render(document, index, _scale(*size, QUALITY_LADDER[step][0]))
        pages.append(_page(picture, size, QUALITY_LADDER[step][1]))
        while sum(len(page.jpeg) for page in pages) > max_bytes:
            step = _next(step)
            pages = [_smaller(page, sizes[n], step) for n, page in enumerate(pages)]
    while len(written := write_pdf(pages)) > max_bytes:
        step = _next(step)
        pages = [_smaller(page, sizes[n], step) for n, page in enumerate(pages)]
    return written


def _next(step: int) -> int:
    if step + 1 == len(QUALITY_LADDER):
        raise PdfRefused("pdf_too_large")
    return step + 1


def _page(picture: Image.Image, size: tuple[float, float], quality: int) -> PageImage:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality, optimize=True)
    width, height = size
    fit = min(1.0, MAX_PAGE_POINTS / max(width, height))  # the same shape, if smaller
    width, height = max(1.0, width * fit), max(1.0, height * fit)  # never a page of no size
    return PageImage(out.getvalue(), picture.width, picture.height, width, height)


def _smaller(page: PageImage, size: tuple[float, float], step: int) -> PageImage:
    """The page at a lower step of the ladder, made from the JPEG we wrote for it."""
    dpi, quality = QUALITY_LADDER[step]
    scale = _scale(*size, dpi)
    target = (_pixels(size[0], scale), _pixels(size[1], scale))
    with Image.open(io.BytesIO(page.jpeg), formats=["JPEG"]) as ours:
        resized = ours.convert("RGB").resize(target, Image.Resampling.LANCZOS)
    return _page(Image.frombytes("RGB", resized.size, resized.tobytes()), size, quality)


def _page_sizes(document: pdfium.PdfDocument) -> list[tuple[float, float]]:
    """Each page's width and height in points, as shown (rotation applied)."""
    with _PDFIUM:
        count = len(document)
        if count > MAX_PAGES:
            raise PdfRefused("too_many_pages")
        if count == 0:
            raise PdfRefused("pdf_unreadable")
        sizes = []
        for index in range(count):
            page = _load(document, index)
            try:
                width, height = page.get_width(), page.get_height()
            finally:
                page.close()
            if not (0 < width < math.inf and 0 < height < math.inf):
                raise PdfRefused("pdf_unreadable")
            sizes.append((width, height))
    return sizes


def _load(document: pdfium.PdfDocument, index: int) -> pdfium.PdfPage:
    try:
        return document[index]
    except (pdfium.PdfiumError, ValueError):
        raise PdfRefused("pdf_unreadable") from None


def _scale(width: float, height: float, dpi: int) -> float:
    """Pixels per point: the ladder's resolution, less for a page too large to draw at it."""
    scale = min(dpi / 72, math.sqrt(MAX_PAGE_PIXELS / (width * height)))
    scale = min(scale, MAX_PAGE_SIDE / max(width, height))
    while (
        _pixels(width, scale) * _pixels(height, scale) > MAX_PAGE_PIXELS
        or max(_pixels(width, scale), _pixels(height, scale)) > MAX_PAGE_SIDE
    ):  # the renderer rounds each side up
        scale *= 0.995
    return scale


def _pixels(points: float, scale: float) -> int:
    return math.ceil(points * scale)


def _render(document: pdfium.PdfDocument, index: int, scale: float) -> Image.Image:
    """The page's pixels in a new picture that owns them and nothing else."""
    with _PDFIUM:
        page = _load(document, index)
        try:
            # Forms are never initialised (init_forms), so widgets and their values are not
            # drawn; draw_annots=False leaves every other annotation out as well.
            bitmap = page.render(
                scale=scale, may_draw_forms=False, draw_annots=False, rev_byteorder=True
            )
            try:
                drawn = bitmap.to_pil()
                pixels = Image.frombytes("RGB", drawn.size, drawn.convert("RGB").tobytes())
            finally:
                bitmap.close()
        except (pdfium.PdfiumError, ValueError):
            raise PdfRefused("pdf_unreadable") from None
        finally:
            page.close()
    return pixels


def write_pdf(pages: list[PageImage]) -> bytes:
    """The whole PDF: objects 1 (catalog) and 2 (pages), then per page a page, its picture
    and its contents. The trailer names the catalog only: no /Info, /ID or /Encrypt."""
    kids = " ".join(f"{3 + 3 * n} 0 R" for n in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
    ]
    for n, page in enumerate(pages):
        objects.extend(_page_objects(page, 3 + 3 * n))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _page_objects(page: PageImage, number: int) -> list[bytes]:
    """The page (object ``number``), its picture and the line that draws the picture over
    the whole page."""
    width, height = f"{page.width:.3f}", f"{page.height:.3f}"
    draw = f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode()
    picture = (
        f"<< /Type /XObject /Subtype /Image /Width {page.pixel_width} "
        f"/Height {page.pixel_height} /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        f"/Filter /DCTDecode /Length {len(page.jpeg)} >>\nstream\n"
    ).encode()
    return [
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            f"/Resources << /XObject << /Im0 {number + 1} 0 R >> >> /Contents {number + 2} 0 R >>"
        ).encode(),
        picture + page.jpeg + b"\nendstream",
        f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream",
    ]


# --- showing a stored copy -------------------------------------------------------------------

VIEW_DPI = 110  # pages shown in the staff console: readable on a desktop, light on a phone


def page_count(data: bytes) -> int:
    """The pages of a stored (cleaned) PDF; 0 when it cannot be read."""
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except (pdfium.PdfiumError, ValueError):
            return 0
        try:
            return len(document)
        finally:
            document.close()


def page_picture(data: bytes, index: int, dpi: int = VIEW_DPI) -> bytes:
    """Page ``index`` (from 0) of a stored PDF as a JPEG, to show it inline. Raises
    :class:`PdfRefused` when the file or the page cannot be read."""
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except (pdfium.PdfiumError, ValueError):
            raise PdfRefused("pdf_unreadable") from None
    try:
        sizes = _page_sizes(document)
        if not 0 <= index < len(sizes):
            raise PdfRefused("pdf_unreadable")
        picture = _render(document, index, _scale(*sizes[index], dpi))
    finally:
        with _PDFIUM:
            document.close()
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()

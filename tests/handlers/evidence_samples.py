"""Evidence files that name their maker every way we know, made here with the identifying
bytes planted, and a scanner that finds any of those bytes in what comes out.

Each planted string is unique, so a leak names the place it came from. The PDF plants them
in its document information, XMP (plain and compressed), photos inside it (EXIF with GPS,
camera and artist, a JPEG comment) placed directly, with a ``[/DCTDecode]`` array filter,
inside a Form XObject and as an inline image, a FileAttachment annotation, the EmbeddedFiles
name tree, a form field's value, JavaScript run on opening, page-level /PieceInfo, an
outline, a comment's author and a comment in the page's drawing instructions.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

# Where each picture sits on the 300 × 300 point page of ``pdf_with_its_maker``, and its colour:
# the cleaned copy must still show each of them.
PICTURES = {
    "direct": ((20, 220), (220, 30, 30)),
    "array_filter": ((100, 220), (30, 200, 30)),
    "form_xobject": ((180, 220), (30, 30, 220)),
    "inline": ((20, 120), (230, 200, 20)),
}
WIDGET_AT, ATTACHMENT_AT, COMMENT_AT = (100, 120), (180, 120), (20, 20)  # 60 × 60 each


def _plant(place: str) -> str:
    return f"PLANTED-{place.upper().replace('_', '-')}-7Q4Z"


PLACES = [
    "info_author",
    "info_creator",
    "info_producer",
    "info_title",
    "info_subject",
    "xmp_catalog",
    "xmp_page_compressed",
    *(
        f"{picture}_{what}"
        for picture in PICTURES
        for what in ("exif_make", "exif_model", "exif_artist", "exif_gps", "jpeg_comment")
    ),
    "attachment_file",
    "attachment_name",
    "attachment_description",
    "embedded_file",
    "embedded_file_name",
    "widget_value",
    "widget_name",
    "javascript_open",
    "javascript_names",
    "piece_info",
    "outline_title",
    "comment_author",
    "comment_text",
    "content_comment",
]
PLANTED = {place: _plant(place) for place in PLACES}


def jpeg_with_gps(
    size: tuple[int, int] = (80, 60),
    orientation: int | None = None,
    colour: tuple[int, int, int] = (200, 30, 30),
    planted: str | None = None,
) -> bytes:
    """A photo as a phone makes it: camera, time, GPS position and a comment; with
    ``planted``, every text of it is that place's planted string."""

    def text(what: str, default: str) -> str:
        return PLANTED[f"{planted}_{what}"] if planted else default

    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = text("exif_make", "PhoneMaker")  # Make
    exif[0x0110] = text("exif_model", "Phone 12")  # Model
    exif[0x013B] = text("exif_artist", "Nguyen Van A")  # Artist
    exif[0x0132] = "2026:11:20 21:15:00"  # DateTime
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (15.0, 7.0, 12.5), 3: "E", 4: (108.0, 48.0, 3.2)})
    gps[18] = text("exif_gps", "WGS-84")  # GPSMapDatum: a text in the GPS block
    out = io.BytesIO()
    comment = text("jpeg_comment", "Nguyen Van A's phone").encode()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=comment)
    return out.getvalue()


def _stream(data: bytes, **entries: PdfObject) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    stream.update({NameObject(f"/{key}"): value for key, value in entries.items()})
    return stream


def _image(writer: PdfWriter, jpeg: bytes, filter_: PdfObject) -> IndirectObject:
    width, height = Image.open(io.BytesIO(jpeg)).size
    # A DCT picture's stream is the JPEG file itself, EXIF and comment included.
    stream = _stream(
        jpeg,
        Type=NameObject("/XObject"),
        Subtype=NameObject("/Image"),
        Width=NumberObject(width),
        Height=NumberObject(height),
        ColorSpace=NameObject("/DeviceRGB"),
        BitsPerComponent=NumberObject(8),
        Filter=filter_,
    )
    return writer._add_object(stream)


def _rect(at: tuple[int, int]) -> ArrayObject:
    x, y = at
    return ArrayObject([FloatObject(x), FloatObject(y), FloatObject(x + 60), FloatObject(y + 60)])


def _text(place: str) -> TextStringObject:
    return TextStringObject(PLANTED[place])


def _name(text: str) -> NameObject:
    return NameObject(text)


def pdf_with_its_maker() -> bytes:
    """A one-page PDF that names its maker in every place listed in ``PLACES``."""
    writer = PdfWriter()
    page = writer.add_blank_page(300, 300)

    def picture(name: str) -> bytes:
        return jpeg_with_gps((32, 32), colour=PICTURES[name][1], planted=name)

    direct = _image(writer, picture("direct"), _name("/DCTDecode"))
    array = _image(writer, picture("array_filter"), ArrayObject([_name("/DCTDecode")]))
    inner = _image(writer, picture("form_xobject"), _name("/DCTDecode"))
    form = _stream(
        b"q 60 0 0 60 0 0 cm /ImInner Do Q",
        Type=_name("/XObject"),
        Subtype=_name("/Form"),
        BBox=_rect((0, 0)),
        Resources=DictionaryObject(
            {_name("/XObject"): DictionaryObject({_name("/ImInner"): inner})}
        ),
    )
    inline = picture("inline")
    inline_size = Image.open(io.BytesIO(inline)).size
    positions = {name: at for name, (at, _) in PICTURES.items()}
    (dx, dy), (ax, ay), (fx, fy), (ix, iy) = (positions[n] for n in PICTURES)
    contents = (
        (
            f"% {PLANTED['content_comment']}\n"
            f"q 60 0 0 60 {dx} {dy} cm /ImDirect Do Q\n"
            f"q 60 0 0 60 {ax} {ay} cm /ImArray Do Q\n"
            f"q 1 0 0 1 {fx} {fy} cm /Fm0 Do Q\n"
            f"q 60 0 0 60 {ix} {iy} cm\n"
            f"BI /W {inline_size[0]} /H {inline_size[1]} /CS /RGB /BPC 8 /F /DCT ID\n"
        ).encode()
        + inline
        + b"\nEI Q\n"
    )
    page[_name("/Contents")] = writer._add_object(_stream(contents))
    page[_name("/Resources")] = DictionaryObject(
        {
            _name("/XObject"): DictionaryObject(
                {
                    _name("/ImDirect"): direct,
                    _name("/ImArray"): array,
                    _name("/Fm0"): writer._add_object(form),
                }
            )
        }
    )
    page_xmp = _stream(
        f"<x:xmpmeta><dc:creator>{PLANTED['xmp_page_compressed']}</dc:creator></x:xmpmeta>".encode(),
        Type=_name("/Metadata"),
        Subtype=_name("/XML"),
    ).flate_encode()
    page[_name("/Metadata")] = writer._add_object(page_xmp)
    page[_name("/PieceInfo")] = DictionaryObject(
        {_name("/PhoneOffice"): DictionaryObject({_name("/Private"): _text("piece_info")})}
    )

    # Annotations, each drawn black by its appearance where a viewer shows it: a form field
    # with a value, an attached file, and a comment with its author.
    black = writer._add_object(
        _stream(
            b"0 g 0 0 60 60 re f",
            Type=_name("/XObject"),
            Subtype=_name("/Form"),
            BBox=_rect((0, 0)),
        )
    )
    shown = DictionaryObject({_name("/N"): black})
    widget = writer._add_object(
        DictionaryObject(
            {
                _name("/Type"): _name("/Annot"),
                _name("/Subtype"): _name("/Widget"),
                _name("/FT"): _name("/Tx"),
                _name("/T"): _text("widget_name"),
                _name("/V"): _text("widget_value"),
                _name("/Rect"): _rect(WIDGET_AT),
                _name("/AP"): shown,
                _name("/F"): NumberObject(4),
            }
        )
    )
    attached = _stream(
        f"the reporter's notes: {PLANTED['attachment_file']}".encode(),
        Type=_name("/EmbeddedFile"),
    )
    attachment = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/FileAttachment"),
            _name("/Rect"): _rect(ATTACHMENT_AT),
            _name("/AP"): shown,
            _name("/Contents"): _text("attachment_description"),
            _name("/FS"): DictionaryObject(
                {
                    _name("/Type"): _name("/Filespec"),
                    _name("/F"): _text("attachment_name"),
                    _name("/EF"): DictionaryObject({_name("/F"): writer._add_object(attached)}),
                }
            ),
        }
    )
    comment = DictionaryObject(
        {
            _name("/Type"): _name("/Annot"),
            _name("/Subtype"): _name("/Text"),
            _name("/Rect"): _rect(COMMENT_AT),
            _name("/AP"): shown,
            _name("/T"): _text("comment_author"),
            _name("/Contents"): _text("comment_text"),
            _name("/Open"): NumberObject(1),
        }
    )
    page[_name("/Annots")] = ArrayObject(
        [widget, writer._add_object(attachment), writer._add_object(comment)]
    )

    # The document: information, XMP, a form, attached files, scripts and an outline.
    writer.add_metadata(
        {
            "/Author": PLANTED["info_author"],
            "/Creator": PLANTED["info_creator"],
            "/Producer": PLANTED["info_producer"],
            "/Title": PLANTED["info_title"],
            "/Subject": PLANTED["info_subject"],
        }
    )
    root = writer._root_object
    catalog_xmp = _stream(
        f"<x:xmpmeta><dc:creator>{PLANTED['xmp_catalog']}</dc:creator></x:xmpmeta>".encode(),
        Type=_name("/Metadata"),
        Subtype=_name("/XML"),
    )
    root[_name("/Metadata")] = writer._add_object(catalog_xmp)
    root[_name("/AcroForm")] = DictionaryObject({_name("/Fields"): ArrayObject([widget])})
    writer.add_attachment(PLANTED["embedded_file_name"], PLANTED["embedded_file"].encode())
    root[_name("/OpenAction")] = DictionaryObject(
        {_name("/S"): _name("/JavaScript"), _name("/JS"): _text("javascript_open")}
    )
    script = DictionaryObject(
        {_name("/S"): _name("/JavaScript"), _name("/JS"): _text("javascript_names")}
    )
    names = root[_name("/Names")]
    names[_name("/JavaScript")] = DictionaryObject(
        {_name("/Names"): ArrayObject([TextStringObject("init"), writer._add_object(script)])}
    )
    writer.add_outline_item(title=PLANTED["outline_title"], page_number=0)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def leaked(data: bytes) -> list[str]:
    """The places whose planted string is in ``data``: in its raw bytes, or, if it is a PDF,
    in any of its objects once decoded (compressed streams, hex strings)."""
    texts = [data, *_decoded(data)]
    found = []
    for place, secret in PLANTED.items():
        raw = secret.encode()
        forms = (raw, raw.hex().encode(), raw.hex().upper().encode(), secret.encode("utf-16-be"))
        if any(form in text for text in texts for form in forms):
            found.append(place)
    return found


def _decoded(data: bytes) -> list[bytes]:
    if not data.startswith(b"%PDF-"):
        return []
    reader = PdfReader(io.BytesIO(data))
    parts: list[bytes] = []
    seen: set[int] = set()
    for number in range(1, int(reader.trailer.get("/Size", 0))):
        try:
            found = reader.get_object(number)
        except Exception:  # a free or broken entry: the raw bytes are searched anyway
            continue
        parts.extend(_texts_in(found, seen))
    parts.extend(_texts_in(reader.trailer, seen))
    return parts


def _texts_in(value: object, seen: set[int]) -> Iterator[bytes]:
    if value is None or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, IndirectObject):
        return  # every object is visited by its number
    if isinstance(value, StreamObject):
        try:
            yield value.get_data()
        except Exception:
            yield value._data
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key).encode()
            yield from _texts_in(item, seen)
    elif isinstance(value, list):
        for item in value:
            yield from _texts_in(item, seen)
    elif isinstance(value, bytes):
        yield value
    elif isinstance(value, str):
        yield value.encode("utf-8", "replace")

"""Cleaning PDF evidence: the time and peak memory of drawing a PDF's pages and writing the
new PDF, for the hardest inputs a reporter can send under the 5 MB limit.

    python bench/evidence.py                 # every case, each in a fresh process
    python bench/evidence.py --case noise-20 # one case (repeat --case for more)

Cases: "noise-N" is N A4 pages, each covered by its own picture of random pixels (what JPEG
compresses worst, so the quality ladder goes down to its last step); "big-N" is N A4 pages
that each draw the same 24-megapixel photo (a small file that is costly to draw). Prints
the wall and CPU time of ``evidence.clean`` (CPU time varies less on a busy machine), the
growth of the process's peak resident memory during it, the input and output sizes and the
resolution the ladder settled on.
"""

from __future__ import annotations

import argparse
import gc
import io
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

from handlers.core.types import Attachment
from handlers.reports import evidence

A4 = (595, 842)
CASES = ("noise-10", "noise-20", "big-10", "big-20")


def _jpeg(picture: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def noise_picture(seed: int, budget: int) -> bytes:
    """Random pixels, as large as fits in ``budget`` bytes at quality 50."""
    rng = random.Random(seed)
    width = 700
    while True:
        height = width * A4[1] // A4[0]
        data = _jpeg(Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3)), 50)
        if len(data) <= budget:
            return data
        width -= 50


def big_picture() -> bytes:
    """A 6000 × 4000 photo-like picture: gradients, shapes and a little noise."""
    picture = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    rng = random.Random(3)
    for _ in range(400):
        x, y = rng.randrange(6000), rng.randrange(4000)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x, y, x + rng.randrange(50, 600), y + rng.randrange(50, 600)), fill=colour)
    return _jpeg(picture, 80)


def pdf_of(pictures: list[bytes]) -> bytes:
    """A PDF of A4 pages, page n drawing pictures[n] over the whole page (the same picture
    object is shared when the list repeats it)."""
    objects: list[bytes] = []
    kids, seen = [], {}
    for picture in pictures:
        if id(picture) not in seen:
            width, height = Image.open(io.BytesIO(picture)).size
            objects.append(
                f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
                f"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode "
                f"/Length {len(picture)} >>\nstream\n".encode()
                + picture
                + b"\nendstream"
            )
            seen[id(picture)] = len(objects) + 2
        draw = f"q {A4[0]} 0 0 {A4[1]} 0 0 cm /Im0 Do Q".encode()
        objects.append(f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {A4[0]} {A4[1]}] "
            f"/Resources << /XObject << /Im0 {seen[id(picture)]} 0 R >> >> "
            f"/Contents {len(objects) + 2} 0 R >>".encode()
        )
        kids.append(len(objects) + 2)
    pages = " ".join(f"{kid} 0 R" for kid in kids)
    head = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{pages}] /Count {len(kids)} >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(head + objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def build(case: str) -> bytes:
    kind, count = case.split("-")
    pages = int(count)
    if kind == "noise":
        budget = (evidence.MAX_FILE_BYTES - 4096) // pages
        return pdf_of([noise_picture(seed, budget) for seed in range(pages)])
    shared = big_picture()
    return pdf_of([shared] * pages)


def run_case(case: str, path: Path) -> None:
    """Clean the PDF in ``path`` (made by the parent, so building it costs no memory here)."""
    data = path.read_bytes()
    gc.collect()
    # Linux keeps the peak across exec (the parent's, here): start it again from now.
    Path("/proc/self/clear_refs").write_text("5")
    before = _resident_kib("VmRSS")
    started, cpu = time.perf_counter(), time.process_time()
    cleaned = evidence.clean(data, Attachment("document", "x", None, "application/pdf"))
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = _resident_kib("VmHWM")
    width = int(cleaned.data.split(b"/Width ", 1)[1].split(b" ", 1)[0])
    dpi = round(width / (A4[0] / 72))
    print(
        f"{case:<9} {took:5.2f} s ({cpu:5.2f} s CPU)   "
        f"peak memory +{(peak - before) / 1024:4.0f} MiB (process {peak / 1024:4.0f} MiB)   "
        f"in {len(data) / 2**20:4.1f} MB -> "
        f"out {len(cleaned.data) / 2**20:4.1f} MB at {dpi} dpi"
    )


def _resident_kib(field: str) -> int:
    """Resident memory now (VmRSS) or at its peak (VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=CASES, action="append")
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.input:
        run_case(args.case[0], args.input)
        return
    with tempfile.TemporaryDirectory() as folder:
        for case in args.case or CASES:  # a fresh process each, so each peak is its own
            path = Path(folder) / f"{case}.pdf"
            path.write_bytes(build(case))
            command = [sys.executable, __file__, "--case", case, "--input", str(path)]
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()

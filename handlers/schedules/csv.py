"""Schedule files: the CSV of transaction points that offices send, read and written.

The format is in docs/schedule-files.md. Reading checks every
row and reports every problem at once, each as ``line N: column: problem``; a file with any
problem is refused as a whole, so an import is all-or-nothing.

A file is read a line at a time (``read_schedule_file``), never whole, within stated limits
(``MAX_FILE_BYTES``, ``MAX_ROWS``, ``MAX_LINE_BYTES``): past one, reading stops with a single
line saying which, so neither a huge file nor an endless stream (``/dev/zero``, a pipe) can
fill the memory. Cells a spreadsheet would run as formulas are refused (core/spreadsheet.py)
and neutralised on export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from content.places import province_of
from handlers.core.spreadsheet import is_formula, safe_row
from storage.models import TransactionPoint

COLUMNS = (
    "point_id",
    "commune_code",
    "name",
    "address",
    "day_of_month",
    "start_time",
    "end_time",
    "office",
    "phone",
)
HEADER = ",".join(COLUMNS)

# The widths of the columns in storage.models.TransactionPoint, except point_id: it travels
# in button actions ("lxo:POINT:YYYYMMDD" in /lichxa, "unsub:POINT" in reminders; see
# handlers/schedules/actions.py), and Telegram refuses callback data over 64 bytes
# (handlers.core.types.MAX_ACTION_BYTES), so ids stay at 48 characters (ASCII only, see
# POINT_ID) to leave room for the longest action around one.
MAX_LENGTH = {"point_id": 48, "name": 200, "address": 300, "office": 200, "phone": 32}

POINT_ID = r"[A-Za-z0-9._-]+"  # also the shape buttons accept
_POINT_ID = re.compile(POINT_ID)
_COMMUNE = re.compile(r"[0-9]{5}")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_PHONE = re.compile(r"[0-9 +.-]+")
# +84 is Vietnam's country code: "+84 912 345 678" is kept as "0912 345 678", which a
# spreadsheet reads as text rather than as a formula (a cell may not begin with +).
_PHONE_84 = re.compile(r"\A\+84[ .-]*")

MiB = 1024 * 1024
# A national file of every transaction point is about 10,000 rows and 1.5 MiB: these limits
# leave room for it twice over, and bound what an import can cost the machine.
MAX_FILE_BYTES = 16 * MiB
MAX_ROWS = 20_000  # rows of points, the header not counted
MAX_LINE_BYTES = 4 * 1024  # a row's fields are at most 48 + 5 + 200 + 300 + ... characters


# What each problem says, in the command line's English (``line N: column: ...`` before it).
# The console says the same in the page's language: content messages
# ``console.points.csv_<code>`` with the same {fields}.
ENGLISH = {
    "file_size": "{size} MiB; at most {max} MiB; split it by province",
    "not_utf8": "not UTF-8 (byte 0x{byte}); save it as UTF-8 CSV",
    "file_bytes": "more than {max} MiB; split it by province",
    "line_bytes": "longer than {max} bytes; is this a schedule CSV file?",
    "header_missing": "missing; the header must be exactly {header}",
    "header_column_missing": "missing column {name}",
    "header_column_unknown": "unknown column {name!r}",
    "header_column_twice": "column {name} appears {count} times",
    "header_order": "columns out of order; the header must be exactly {header}",
    "semicolons": "the columns are separated by semicolons; save the file as CSV with commas",
    "formula": "begins with {char!r}, which a spreadsheet runs as a formula; remove it",
    "empty": "is empty",
    "too_long": "is {length} characters long; at most {max}",
    "line_break": "has a line break or control character; keep it on one line",
    "point_id": "{value!r} may contain only letters A-Z, digits and . _ -",
    "commune_digits": "must be 5 digits, got {value!r}",
    "commune_unknown": "unknown commune code {value}",
    "day": "must be a whole number from 1 to 31, got {value!r}",
    "time": "must be HH:MM from 00:00 to 23:59, got {value!r}",
    "end_before_start": "{end} must be after start_time {start}",
    "phone": "{value!r} may contain only digits, spaces and + - .",
    "rows": "more than {max} rows; split it by province",
    "blank_line": "blank line (only the end may have blank lines)",
    "fields": "{count} fields; expected {expected}",
    "duplicate": "{value} is already on line {first}",
    "not_csv": "not valid CSV ({detail})",
}


@dataclass(frozen=True, slots=True)
class FileProblem:
    """One problem of a schedule file: where (``line``, None for the whole file; ``column``,
    or "file", "row", "header"), what (``code``, a key of ENGLISH) and its values."""

    line: int | None
    column: str
    code: str
    values: tuple[tuple[str, str | int], ...] = ()

    def __str__(self) -> str:
        text = ENGLISH[self.code].format(**dict(self.values))
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.column}: {text}"


def _problem(line: int | None, column: str, code: str, **values: str | int) -> FileProblem:
    return FileProblem(line, column, code, tuple(values.items()))


class ScheduleFileError(Exception):
    """A schedule file that cannot be applied; ``found`` lists every problem found, and
    ``problems`` says each in English (``line N: column: problem``)."""

    def __init__(self, found: list[FileProblem]) -> None:
        self.found = found
        self.problems = [str(problem) for problem in found]
        super().__init__("\n".join(self.problems))


class ScheduleFileTooLarge(ScheduleFileError):
    """A file past one of the limits: reading stopped there; one problem says which."""

    def __init__(self, problem: FileProblem) -> None:
        super().__init__([problem])


def too_large(size: int) -> ScheduleFileTooLarge:
    return ScheduleFileTooLarge(
        _problem(None, "file", "file_size", size=f"{size / MiB:.1f}", max=MAX_FILE_BYTES // MiB)
    )


@dataclass(frozen=True, slots=True)
class PointRow:
    """One row of a schedule file: a transaction point and its monthly day."""

    point_id: str
    commune_code: str
    name: str
    address: str
    day_of_month: int
    start_time: dt.time
    end_time: dt.time
    office: str
    phone: str

    @classmethod
    def from_point(cls, point: TransactionPoint) -> PointRow:
        return cls(
            point_id=point.id,
            commune_code=point.commune_code,
            name=point.name,
            address=point.address,
            day_of_month=point.day_of_month,
            start_time=point.start_time,
            end_time=point.end_time,
            office=point.office,
            phone=point.phone,
        )

    def to_point(self) -> TransactionPoint:
        return TransactionPoint(
            id=self.point_id,
            commune_code=self.commune_code,
            name=self.name,
            address=self.address,
            day_of_month=self.day_of_month,
            start_time=self.start_time,
            end_time=self.end_time,
            office=self.office,
            phone=self.phone,
        )


def known_commune(code: str) -> bool:
    """True for the code of a post-2025 commune or ward (vietnam-provinces)."""
    return province_of(code) is not None


def decode_schedule_file(data: bytes) -> str:
    """The file's text: UTF-8, with or without a byte order mark."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = f"{data[exc.start]:02x}"
        raise ScheduleFileError([_problem(line, "file", "not_utf8", byte=byte)]) from None


def _text_lines(stream: BinaryIO) -> Iterator[str]:
    """The file's lines as text, read one at a time within the byte and line limits."""
    total = line = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)  # room for the line's own CR LF
        if not raw:
            return
        line += 1
        total += len(raw)
        if total > MAX_FILE_BYTES:
            raise ScheduleFileTooLarge(
                _problem(line, "file", "file_bytes", max=MAX_FILE_BYTES // MiB)
            )
        if len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            raise ScheduleFileTooLarge(_problem(line, "row", "line_bytes", max=MAX_LINE_BYTES))
        try:
            yield raw.decode("utf-8-sig" if line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            byte = f"{raw[exc.start]:02x}"
            raise ScheduleFileError([_problem(line, "file", "not_utf8", byte=byte)]) from None


def _parse_time(value: str) -> dt.time | None:
    match = _TIME.fullmatch(value)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _check_header(fields: list[str] | None) -> list[FileProblem]:
    if fields is None or not any(f.strip() for f in fields):
        return [_problem(1, "header", "header_missing", header=HEADER)]
    got = [f.strip() for f in fields]
    if tuple(got) == COLUMNS:
        return []
    # A spreadsheet set to a language that writes decimal commas saves CSV with semicolons.
    if len(got) == 1 and tuple(c.strip() for c in got[0].split(";")) == COLUMNS:
        return [_problem(1, "header", "semicolons")]
    problems = [
        _problem(1, "header", "header_column_missing", name=name)
        for name in COLUMNS
        if name not in got
    ]
    problems += [
        _problem(1, "header", "header_column_unknown", name=name)
        for name in got
        if name not in COLUMNS
    ]
    problems += [
        _problem(1, "header", "header_column_twice", name=name, count=got.count(name))
        for name in COLUMNS
        if got.count(name) > 1
    ]
    if not problems:
        problems.append(_problem(1, "header", "header_order", header=HEADER))
    return problems


def _check_row(
    line: int, values: dict[str, str], known: Callable[[str], bool]
) -> tuple[PointRow | None, list[FileProblem]]:
    problems: list[FileProblem] = []

    values = dict(values, phone=_PHONE_84.sub("0", values["phone"], count=1))
    formulas = [c for c in COLUMNS if is_formula(values[c])]
    for column in formulas:
        problems.append(_problem(line, column, "formula", char=values[column][0]))

    def problem(column: str, code: str, **found: str | int) -> None:
        if column not in formulas:  # one problem is enough for such a value
            problems.append(_problem(line, column, code, **found))

    for column in ("point_id", "name", "address", "office", "phone"):
        value = values[column]
        if not value:
            problem(column, "empty")
        elif len(value) > MAX_LENGTH[column]:
            problem(column, "too_long", length=len(value), max=MAX_LENGTH[column])
        elif column in ("name", "address", "office") and any(ord(c) < 32 for c in value):
            problem(column, "line_break")

    point_id = values["point_id"]
    if point_id and not _POINT_ID.fullmatch(point_id):
        problem("point_id", "point_id", value=point_id)

    commune = values["commune_code"]
    if not _COMMUNE.fullmatch(commune):
        problem("commune_code", "commune_digits", value=commune)
    elif not known(commune):
        problem("commune_code", "commune_unknown", value=commune)

    day_text = values["day_of_month"]
    day = int(day_text) if re.fullmatch(r"[0-9]{1,2}", day_text) else None
    if day is None or not 1 <= day <= 31:
        problem("day_of_month", "day", value=day_text)

    times: dict[str, dt.time | None] = {}
    for column in ("start_time", "end_time"):
        times[column] = _parse_time(values[column])
        if times[column] is None:
            problem(column, "time", value=values[column])
    start, end = times["start_time"], times["end_time"]
    if start is not None and end is not None and end <= start:
        problem("end_time", "end_before_start", end=f"{end:%H:%M}", start=f"{start:%H:%M}")

    phone = values["phone"]
    if phone and not (_PHONE.fullmatch(phone) and any(c.isdigit() for c in phone)):
        problem("phone", "phone", value=phone)

    if problems:
        return None, problems
    assert day is not None and start is not None and end is not None
    row = PointRow(
        point_id=point_id,
        commune_code=commune,
        name=values["name"],
        address=values["address"],
        day_of_month=day,
        start_time=start,
        end_time=end,
        office=values["office"],
        phone=phone,
    )
    return row, []


def parse_schedule_csv(
    text: str, known_commune: Callable[[str], bool] = known_commune
) -> list[PointRow]:
    """Every row of a schedule file's text, or ScheduleFileError listing every problem in it.

    Values are trimmed of surrounding spaces. Blank lines at the end are fine; anywhere else
    they are an error, as is a row with the wrong number of fields.
    """
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    return [row for _, row in _parse_lines(lines, known_commune)]


def read_schedule_file(
    stream: BinaryIO, known_commune: Callable[[str], bool] = known_commune
) -> list[PointRow]:
    """The rows of a schedule file, read a line at a time within the limits (see above)."""
    return [row for _, row in _parse_lines(_text_lines(stream), known_commune)]


def read_schedule_lines(
    stream: BinaryIO, known_commune: Callable[[str], bool] = known_commune
) -> list[tuple[int, PointRow]]:
    """As :func:`read_schedule_file`, each row with the line of the file it begins on."""
    return _parse_lines(_text_lines(stream), known_commune)


def _blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _parse_lines(lines: Iterable[str], known: Callable[[str], bool]) -> list[tuple[int, PointRow]]:
    reader = csv.reader(lines, strict=True)
    problems: list[FileProblem] = []
    rows: list[tuple[int, PointRow]] = []
    first_line: dict[str, int] = {}
    header: list[str] | None = None
    blanks: list[int] = []  # blank lines so far: an error unless only the end follows
    count = 0
    try:
        line = 1
        for fields in reader:
            if header is None:
                header = fields
                if not _blank(fields):
                    header_problems = _check_header(fields)
                    if header_problems:
                        raise ScheduleFileError(header_problems)
            elif _blank(fields):
                blanks.append(line)
            else:
                count += 1
                if count > MAX_ROWS:
                    raise ScheduleFileTooLarge(_problem(line, "file", "rows", max=f"{MAX_ROWS:,}"))
                problems += [_problem(b, "row", "blank_line") for b in blanks]
                blanks.clear()
                problems += _take_row(line, fields, known, rows, first_line)
            line = reader.line_num + 1
    except csv.Error as exc:
        problem = _problem(reader.line_num, "row", "not_csv", detail=str(exc))
        raise ScheduleFileError([problem]) from None
    if header is None or (_blank(header) and count == 0):
        raise ScheduleFileError(_check_header(None))
    if _blank(header):  # blank first line, rows after it
        raise ScheduleFileError(_check_header(header))
    if problems:
        raise ScheduleFileError(problems)
    return rows


def _take_row(
    line: int,
    fields: list[str],
    known: Callable[[str], bool],
    rows: list[tuple[int, PointRow]],
    first_line: dict[str, int],
) -> list[FileProblem]:
    """Check one row; keep it in ``rows`` when it is sound, and return its problems."""
    if len(fields) != len(COLUMNS):
        return [_problem(line, "row", "fields", count=len(fields), expected=len(COLUMNS))]
    values = {name: value.strip() for name, value in zip(COLUMNS, fields, strict=True)}
    row, row_problems = _check_row(line, values, known)
    point_id = values["point_id"]
    if point_id in first_line:
        row_problems.append(
            _problem(line, "point_id", "duplicate", value=point_id, first=first_line[point_id])
        )
    elif point_id:
        first_line[point_id] = line
    if row is not None and not row_problems:
        rows.append((line, row))
    return row_problems


def export_schedule_csv(points: Iterable[PointRow | TransactionPoint]) -> str:
    """A schedule file of these points, by commune code then point id."""
    rows = [p if isinstance(p, PointRow) else PointRow.from_point(p) for p in points]
    rows.sort(key=lambda r: (r.commune_code, r.point_id))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            safe_row(
                [
                    row.point_id,
                    row.commune_code,
                    row.name,
                    row.address,
                    row.day_of_month,
                    f"{row.start_time:%H:%M}",
                    f"{row.end_time:%H:%M}",
                    row.office,
                    _PHONE_84.sub("0", row.phone, count=1),
                ]
            )
        )
    return out.getvalue()

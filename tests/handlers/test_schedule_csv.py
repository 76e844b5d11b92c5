"""Schedule files: every problem reported with its line, all at once; export round-trips."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from handlers.schedules.csv import (
    HEADER,
    MAX_LENGTH,
    PointRow,
    ScheduleFileError,
    decode_schedule_file,
    export_schedule_csv,
    parse_schedule_csv,
)

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
# Point ids travel in button actions, so they are kept shorter than the 64-character column.
MAX_ID = MAX_LENGTH["point_id"]
GOOD = "p1,21220,Điểm Tịnh Hà,Nhà văn hóa thôn 1,10,07:30,11:00,PGD Sơn Tịnh,0255 0000 101"


def row(**changes: str) -> str:
    values = dict(
        zip(
            HEADER.split(","),
            [
                "p1",
                "21220",
                "Điểm Tịnh Hà",
                "Nhà văn hóa thôn 1",
                "10",
                "07:30",
                "11:00",
                "PGD Sơn Tịnh",
                "0255 0000 101",
            ],
            strict=True,
        )
    )
    values.update(changes)
    return ",".join(quote(v) for v in values.values())


def quote(value: str) -> str:
    if "," in value and not value.startswith('"'):
        return '"' + value.replace('"', '""') + '"'
    return value


def problems(text: str) -> list[str]:
    with pytest.raises(ScheduleFileError) as caught:
        parse_schedule_csv(text)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def one_problem(*rows: str) -> str:
    found = problems("\n".join([HEADER, *rows]) + "\n")
    assert len(found) == 1, found
    return found[0]


def test_a_good_file():
    rows = parse_schedule_csv(f"{HEADER}\n{GOOD}\n")
    assert rows == [
        PointRow(
            point_id="p1",
            commune_code="21220",
            name="Điểm Tịnh Hà",
            address="Nhà văn hóa thôn 1",
            day_of_month=10,
            start_time=dt.time(7, 30),
            end_time=dt.time(11, 0),
            office="PGD Sơn Tịnh",
            phone="0255 0000 101",
        )
    ]


def test_bom_crlf_quotes_and_trailing_blank_lines_are_fine():
    text = f"\ufeff{HEADER}\r\n{row(address='Thôn 1, xã Sơn Tịnh')}\r\n\r\n\n"
    [point] = parse_schedule_csv(text)
    assert point.address == "Thôn 1, xã Sơn Tịnh"
    assert parse_schedule_csv(f"{HEADER}\n") == []
    assert parse_schedule_csv(HEADER) == []
    assert len(parse_schedule_csv(f"{HEADER}\n{GOOD}")) == 1  # no final newline


def test_values_are_trimmed_and_single_digit_hours_accepted():
    [point] = parse_schedule_csv(f"{HEADER}\n{row(name='  Điểm A ', start_time='7:30')}\n")
    assert point.name == "Điểm A" and point.start_time == dt.time(7, 30)


def test_decode_tolerates_a_bom_and_names_the_line_of_a_bad_byte():
    assert decode_schedule_file("\ufeffa,b\n".encode()) == "a,b\n"
    with pytest.raises(ScheduleFileError) as caught:
        decode_schedule_file(b"a\nb\n\xff\n")
    assert caught.value.problems[0].startswith("line 3: file: not UTF-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"commune_code": "2122"}, "line 2: commune_code: must be 5 digits, got '2122'"),
        ({"commune_code": "2122x"}, "line 2: commune_code: must be 5 digits, got '2122x'"),
        ({"commune_code": "99999"}, "line 2: commune_code: unknown commune code 99999"),
        (
            {"day_of_month": "0"},
            "line 2: day_of_month: must be a whole number from 1 to 31, got '0'",
        ),
        (
            {"day_of_month": "32"},
            "line 2: day_of_month: must be a whole number from 1 to 31, got '32'",
        ),
        (
            {"day_of_month": "1.5"},
            "line 2: day_of_month: must be a whole number from 1 to 31, got '1.5'",
        ),
        ({"day_of_month": ""}, "line 2: day_of_month: must be a whole number from 1 to 31, got ''"),
        (
            {"start_time": "7h30"},
            "line 2: start_time: must be HH:MM from 00:00 to 23:59, got '7h30'",
        ),
        (
            {"end_time": "25:00"},
            "line 2: end_time: must be HH:MM from 00:00 to 23:59, got '25:00'",
        ),
        (
            {"end_time": "10:60"},
            "line 2: end_time: must be HH:MM from 00:00 to 23:59, got '10:60'",
        ),
        (
            {"start_time": "11:00", "end_time": "07:30"},
            "line 2: end_time: 07:30 must be after start_time 11:00",
        ),
        (
            {"start_time": "07:30", "end_time": "07:30"},
            "line 2: end_time: 07:30 must be after start_time 07:30",
        ),
        ({"point_id": ""}, "line 2: point_id: is empty"),
        (
            {"point_id": "a b"},
            "line 2: point_id: 'a b' may contain only letters A-Z, digits and . _ -",
        ),
        (
            {"point_id": "điểm-1"},
            "line 2: point_id: 'điểm-1' may contain only letters A-Z, digits and . _ -",
        ),
        (
            {"point_id": "x" * (MAX_ID + 1)},
            f"line 2: point_id: is {MAX_ID + 1} characters long; at most {MAX_ID}",
        ),
        ({"name": ""}, "line 2: name: is empty"),
        ({"name": "n" * 201}, "line 2: name: is 201 characters long; at most 200"),
        ({"address": " "}, "line 2: address: is empty"),
        ({"address": "a" * 301}, "line 2: address: is 301 characters long; at most 300"),
        ({"office": ""}, "line 2: office: is empty"),
        ({"office": "o" * 201}, "line 2: office: is 201 characters long; at most 200"),
        ({"phone": ""}, "line 2: phone: is empty"),
        (
            {"phone": "0255 ABC"},
            "line 2: phone: '0255 ABC' may contain only digits, spaces and + - .",
        ),
        ({"phone": ".."}, "line 2: phone: '..' may contain only digits, spaces and + - ."),
        ({"phone": "1" * 33}, "line 2: phone: is 33 characters long; at most 32"),
    ],
)
def test_each_problem_with_its_line_and_column(change, expected):
    assert one_problem(row(**change)) == expected


def test_limits_that_are_fine():
    text = "\n".join(
        [
            HEADER,
            row(point_id="A.b_c-9" + "x" * (MAX_ID - 7), day_of_month="1", phone="+84 255-000.101"),
            row(point_id="p2", day_of_month="31", start_time="00:00", end_time="23:59"),
            row(point_id="p3", name="n" * 200, address="a" * 300, office="o" * 200),
        ]
    )
    rows = parse_schedule_csv(text)
    assert [r.day_of_month for r in rows] == [1, 31, 10]
    assert len(rows[0].point_id) == MAX_ID


def test_the_line_number_counts_file_lines():
    text = "\n".join([HEADER, row(point_id="a"), row(point_id="b", day_of_month="0")])
    assert problems(text) == [
        "line 3: day_of_month: must be a whole number from 1 to 31, got '0'",
    ]
    # a quoted value over two lines is refused, and the lines after it keep their numbers
    text = "\n".join(
        [HEADER, row(point_id="a", name='"two\nlines"'), row(point_id="b", day_of_month="0")]
    )
    assert problems(text) == [
        "line 2: name: has a line break or control character; keep it on one line",
        "line 4: day_of_month: must be a whole number from 1 to 31, got '0'",
    ]


def test_a_duplicate_point_id_names_the_first_line():
    text = "\n".join([HEADER, row(point_id="a"), row(point_id="b"), row(point_id="a")])
    assert problems(text) == ["line 4: point_id: a is already on line 2"]


def test_too_many_and_too_few_fields():
    assert one_problem(GOOD + ",extra") == "line 2: row: 10 fields; expected 9"
    assert one_problem("p1,21220,Điểm") == "line 2: row: 3 fields; expected 9"


def test_a_blank_line_inside_the_file():
    text = "\n".join([HEADER, row(point_id="a"), "", row(point_id="b")])
    assert problems(text) == [
        "line 3: row: blank line (only the end may have blank lines)",
    ]


def test_missing_header():
    assert problems(f"{GOOD}\n") == [
        "line 1: header: missing column point_id",
        "line 1: header: missing column commune_code",
        "line 1: header: missing column name",
        "line 1: header: missing column address",
        "line 1: header: missing column day_of_month",
        "line 1: header: missing column start_time",
        "line 1: header: missing column end_time",
        "line 1: header: missing column office",
        "line 1: header: missing column phone",
        "line 1: header: unknown column 'p1'",
        "line 1: header: unknown column '21220'",
        "line 1: header: unknown column 'Điểm Tịnh Hà'",
        "line 1: header: unknown column 'Nhà văn hóa thôn 1'",
        "line 1: header: unknown column '10'",
        "line 1: header: unknown column '07:30'",
        "line 1: header: unknown column '11:00'",
        "line 1: header: unknown column 'PGD Sơn Tịnh'",
        "line 1: header: unknown column '0255 0000 101'",
    ]
    assert problems("") == [f"line 1: header: missing; the header must be exactly {HEADER}"]
    assert problems("\n\n") == [f"line 1: header: missing; the header must be exactly {HEADER}"]


def test_header_with_a_missing_extra_or_misplaced_column():
    without_phone = HEADER.removesuffix(",phone")
    assert problems(f"{without_phone}\n{GOOD}\n") == ["line 1: header: missing column phone"]
    assert problems(f"{HEADER},note\n") == ["line 1: header: unknown column 'note'"]
    swapped = HEADER.replace("start_time,end_time", "end_time,start_time")
    assert problems(f"{swapped}\n") == [
        f"line 1: header: columns out of order; the header must be exactly {HEADER}"
    ]
    assert problems(f"{HEADER},phone\n") == ["line 1: header: column phone appears 2 times"]


def test_every_problem_is_reported_together():
    text = "\n".join(
        [
            HEADER,
            row(point_id="ok1"),
            row(point_id="bad1", commune_code="2122", day_of_month="0"),
            row(point_id="bad2", commune_code="99999", start_time="7h30", end_time="25:00"),
            row(point_id="bad3", day_of_month="32", start_time="11:00", end_time="07:30"),
            row(point_id="ok1"),
            GOOD + ",too,many",
            "",
        ]
    )
    assert problems(text) == [
        "line 3: commune_code: must be 5 digits, got '2122'",
        "line 3: day_of_month: must be a whole number from 1 to 31, got '0'",
        "line 4: commune_code: unknown commune code 99999",
        "line 4: start_time: must be HH:MM from 00:00 to 23:59, got '7h30'",
        "line 4: end_time: must be HH:MM from 00:00 to 23:59, got '25:00'",
        "line 5: day_of_month: must be a whole number from 1 to 31, got '32'",
        "line 5: end_time: 07:30 must be after start_time 11:00",
        "line 6: point_id: ok1 is already on line 2",
        "line 7: row: 11 fields; expected 9",
    ]


def test_the_commune_check_can_be_replaced():
    assert parse_schedule_csv(f"{HEADER}\n{row(commune_code='99999')}", lambda code: True)
    with pytest.raises(ScheduleFileError):
        parse_schedule_csv(f"{HEADER}\n{GOOD}", lambda code: False)


def test_a_ward_of_ha_noi_has_a_zero_padded_code():
    [point] = parse_schedule_csv(f"{HEADER}\n{row(commune_code='00004')}")
    assert point.commune_code == "00004"
    assert one_problem(row(commune_code="4")) == "line 2: commune_code: must be 5 digits, got '4'"


def test_export_sorts_by_commune_then_point_and_round_trips():
    text = "\n".join(
        [
            HEADER,
            row(point_id="z", commune_code="21220"),
            row(point_id="b", commune_code="00004", address='Số 1, phố "Lớn"'),
            row(point_id="a", commune_code="21220", name="Tên, có dấu phẩy"),
        ]
    )
    rows = parse_schedule_csv(text)
    exported = export_schedule_csv(rows)
    assert exported.splitlines()[0] == HEADER
    assert [line.split(",")[0] for line in exported.splitlines()[1:]] == ["b", "a", "z"]
    assert '"Tên, có dấu phẩy"' in exported and '"Số 1, phố ""Lớn"""' in exported
    again = parse_schedule_csv(exported)
    assert sorted(again, key=lambda r: r.point_id) == sorted(rows, key=lambda r: r.point_id)
    assert export_schedule_csv(again) == exported


def test_export_of_storage_models_and_of_nothing():
    assert export_schedule_csv([]) == HEADER + "\n"
    [point] = parse_schedule_csv(f"{HEADER}\n{GOOD}\n")
    assert export_schedule_csv([point.to_point()]) == f"{HEADER}\n{GOOD}\n"
    assert PointRow.from_point(point.to_point()) == point


def test_the_sample_file_is_valid_marked_as_sample_and_canonical():
    text = SAMPLE.read_text(encoding="utf-8")
    rows = parse_schedule_csv(text)
    assert len(rows) >= 5
    assert {"21220", "00004"} <= {r.commune_code for r in rows}
    for point in rows:
        assert "dữ liệu mẫu" in point.name and "dữ liệu mẫu" in point.office
        assert point.point_id.startswith("SAMPLE-")
    assert export_schedule_csv(rows) == text


def test_the_documented_header_is_the_one_the_import_reads() -> None:
    from pathlib import Path

    from handlers.schedules.csv import HEADER

    doc = Path(__file__).resolve().parents[2] / "docs" / "schedule-files.md"
    assert f"\n{HEADER}\n" in doc.read_text(encoding="utf-8")

"""Spreadsheet formula injection: what we export opens in Excel as text, and what officials
feed in (schedule files, /lichxa, `schedule exception --reason`) may not begin like a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import build_parser
from bot.cli.schedule import schedule_exception
from bot.config import ConfigError
from handlers.core.spreadsheet import safe_cell
from handlers.reports.export import export_csv
from handlers.schedules.csv import (
    HEADER,
    PointRow,
    ScheduleFileError,
    export_schedule_csv,
    parse_schedule_csv,
)
from storage import schedules
from storage.db import session_factory, transaction
from storage.report_models import Report
from tests.handlers.test_crafted_input import grant, tap

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
GOOD = "P1,21220,Điểm A,Thôn 1,15,07:30,11:00,PGD Sơn Tịnh,0255 3843 123"
FORMULAS = ('=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx")
POINT = "SAMPLE-21220-TINHHA"


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("formula", FORMULAS)
def test_safe_cell_prefixes_what_a_spreadsheet_would_run(formula: str):
    assert safe_cell(formula) == "'" + formula
    assert safe_cell("Điểm A") == "Điểm A" and safe_cell(15) == 15


def test_schedule_export_neutralises_formula_cells():
    row = PointRow(
        point_id="P1", commune_code="21220", name="=HYPERLINK(\"http://x\",\"y\")",
        address="+1+1", day_of_month=15, start_time=dt.time(7, 30), end_time=dt.time(11),
        office="@SUM(A1)", phone="+84 912 345 678",
    )  # fmt: skip
    header, data = cells(export_schedule_csv([row]))
    values = dict(zip(header, data, strict=True))
    assert values["name"] == '\'=HYPERLINK("http://x","y")'
    assert values["address"] == "'+1+1" and values["office"] == "'@SUM(A1)"
    assert values["phone"] == "0912 345 678"  # a Vietnamese number, as text, not '+84…
    assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in data)


def test_reports_export_neutralises_formula_cells():
    now = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)
    report = Report(
        id=1, code="ABCD2345", handle="H1", category="usury", description="x",
        consent_at=now, created_at=now, touched_at=now, status="forwarded",
        forwarded_to="=cmd|' /C calc'!A0", reason="-1+1",
    )  # fmt: skip
    rows = cells(export_csv([report], {}, ZoneInfo("Asia/Ho_Chi_Minh")))
    data = dict(zip(rows[0], rows[1], strict=True))
    assert data["forwarded_to"] == "'=cmd|' /C calc'!A0" and data["reason"] == "'-1+1"
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row)


@pytest.mark.parametrize("column", ["name", "address", "office"])
@pytest.mark.parametrize("formula", ["=1+1", "+1", "-1", "@SUM(A1)"])
def test_schedule_import_refuses_formula_cells_naming_row_and_column(column: str, formula: str):
    fields = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    fields[column] = formula
    with pytest.raises(ScheduleFileError) as refused:
        parse_schedule_csv(f"{HEADER}\n{GOOD.replace('P1', 'P0')}\n{','.join(fields.values())}\n")
    assert refused.value.problems == [
        f"line 3: {column}: begins with {formula[0]!r}, which a spreadsheet runs as a formula; "
        "remove it"
    ]


def test_schedule_import_keeps_a_plus84_phone_as_a_local_number():
    [point] = parse_schedule_csv(f"{HEADER}\n{GOOD.replace('0255 3843 123', '+84 912 345 678')}\n")
    assert point.phone == "0912 345 678"
    [point] = parse_schedule_csv(f"{HEADER}\n{GOOD.replace('0255 3843 123', '+84912345678')}\n")
    assert point.phone == "0912345678"
    with pytest.raises(ScheduleFileError, match="line 2: phone: begins with '-'"):
        parse_schedule_csv(f"{HEADER}\n{GOOD.replace('0255 3843 123', '-0255 3843')}\n")


async def _official_at_point(deps):
    async with transaction(deps.sessions) as session:
        rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    official = await grant(deps, "7003", "official", None)
    await tap(official, f"lxp:{POINT}")
    return official


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://x")', "+84 họp", "- họp xã", "@x y"])
async def test_lichxa_refuses_a_reason_that_begins_like_a_formula(deps, formula: str):
    official = await _official_at_point(deps)
    day = next(b.action for b in official.buttons if b.action.startswith("lxo:"))
    await tap(official, day)
    await tap(official, next(b.action for b in official.buttons if b.action.startswith("lxx:")))
    await official.send(formula)
    assert "công thức" in official.text
    assert not any(b.action == "lxok" for b in official.buttons)
    await official.send("Trùng lịch họp của xã")  # the step stays: a plain reason goes on
    assert any(b.action == "lxok" for b in official.buttons)


async def test_lichxa_refuses_an_address_that_begins_like_a_formula(deps):
    official = await _official_at_point(deps)
    await tap(official, f"lxe:{POINT}:addr")
    await official.send('=HYPERLINK("http://x","Nhà văn hóa")')
    assert "công thức" in official.text
    assert not any(b.action == "lxok" for b in official.buttons)


async def test_cli_exception_refuses_a_formula_reason(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    args = build_parser().parse_args(
        ["schedule", "exception", POINT, "2027-01-10", "--cancelled", "--reason", "=1+1"]
    )
    with pytest.raises(ConfigError, match="--reason begins with '='"):
        async with transaction(sessions) as session:
            await schedule_exception(session, args)
    async with transaction(sessions) as session:
        day = dt.date(2027, 1, 10)
        assert await schedules.exceptions_between(session, [POINT], day, day) == []

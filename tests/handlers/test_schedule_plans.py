"""What the staff console asks of the schedules feature, without the web: the points of an
area by commune, a point's month with its exceptions and holidays, a move onto a holiday
refused unless kept, and a schedule file's import as a plan (add, change, remove, out of
area) that applies exactly what it showed."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from content.normalize import fold
from handlers.schedules import area, changes, imports, month, rules
from handlers.schedules.csv import HEADER, export_schedule_csv, read_schedule_lines
from handlers.schedules.imports import AreaProblem
from handlers.schedules.rules import DayChange, DayState, Refusal
from storage import audit, schedules, subscriptions, users
from storage.db import transaction

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
TINH_HA = "SAMPLE-21220-TINHHA"  # day 10 of each month, in 21220 (Quảng Ngãi, 51)
TINH_GIANG = "SAMPLE-21220-TINHGIANG"  # day 31
TODAY = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def lines(text: str) -> list[tuple[int, imports.PointRow]]:
    return read_schedule_lines(io.BytesIO(text.encode()))


@pytest.fixture
async def sessions(deps):
    async with transaction(deps.sessions) as session:
        rows = [row for _, row in lines(SAMPLE.read_text(encoding="utf-8"))]
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    return deps.sessions


async def test_points_of_an_area_by_commune_with_their_next_days(sessions):
    async with transaction(sessions) as session:
        points = await area.points_in_areas(session, ["51"])
        assert {p.commune_code for p in points} == {"21220"}
        everywhere = await area.points_in_areas(session, [None])
        assert len(everywhere) > len(points)
        await schedules.set_exception(session, TINH_HA, dt.date(2026, 12, 10), None, "Bão", NOW)
        groups = await area.points_by_commune(session, everywhere, TODAY)
        names = [fold(g.commune.name) for g in groups if g.commune]
        assert names == sorted(names) and len(names) == len(groups)
        [son_tinh] = await area.points_by_commune(session, everywhere, TODAY, "21220")
        assert son_tinh.commune is not None and son_tinh.commune.name == "Xã Sơn Tịnh"
        tinh_ha = next(d for d in son_tinh.points if d.point.id == TINH_HA)
        # 10/12 is cancelled: the next day it works is 10/01
        assert tinh_ha.upcoming[0].cancelled
        assert tinh_ha.next_day is not None and tinh_ha.next_day.date == dt.date(2027, 1, 10)


async def test_a_month_shows_moves_cancels_holidays_and_what_each_day_allows(sessions):
    async with transaction(sessions) as session:
        point = await schedules.get_point(session, TINH_HA)
        assert point is not None
        moved = await changes.change_day(
            session, _content(), point, dt.date(2026, 12, 10), DayChange.MOVE,
            new=dt.date(2026, 12, 12), reason="Họp dân", today=TODAY, now=NOW, actor="t",
        )  # fmt: skip
        assert moved == 0
        december = await month.point_month(session, point, 2026, 12, TODAY, "vi")
        cells = {c.date: c for week in december.weeks for c in week}
        assert all(len(week) == 7 for week in december.weeks)
        assert december.weeks[0][0].date.weekday() == 0  # Monday first
        assert [o.regular_date for o in cells[dt.date(2026, 12, 10)].moved_away] == [
            dt.date(2026, 12, 10)
        ]
        assert [o.date for o in cells[dt.date(2026, 12, 12)].works] == [dt.date(2026, 12, 12)]
        [only] = december.days
        assert only.state is DayState.MOVED and only.changes == tuple(DayChange)
        assert (december.previous, december.next) == ((2026, 11), (2027, 1))
        # November's day (10/11) has passed: shown, but nothing can be done to it
        november = await month.point_month(session, point, 2026, 11, TODAY, "vi")
        assert [d.changes for d in november.days] == [()]
        assert cells[dt.date(2026, 12, 1)].holiday is None
        # Tết 2027 (6 to 10 February) and 2 September are marked
        february = await month.point_month(session, point, 2027, 2, TODAY, "en")
        holidays = {c.date for w in february.weeks for c in w if c.holiday}
        assert dt.date(2027, 2, 6) in holidays
    assert month.in_range(2027, 11, TODAY) and not month.in_range(2027, 12, TODAY)
    assert month.in_range(2025, 11, TODAY) and not month.in_range(2025, 10, TODAY)
    assert not month.in_range(2026, 13, TODAY)


def _content():
    from content.loader import load_content

    return load_content()


async def test_a_move_onto_a_holiday_is_made_only_when_kept(sessions):
    tet = dt.date(2027, 1, 1)  # New Year's Day
    assert rules.holiday_name(tet) is not None
    regular = dt.date(2027, 1, 10)
    assert rules.refuse_date(regular, tet, TODAY, holiday_ok=False) is Refusal.HOLIDAY
    assert rules.refuse_date(regular, tet, TODAY) is None
    assert rules.parse_day("2027-01-01", regular) == tet
    assert rules.parse_day("2027-02-30", regular) is None
    async with transaction(sessions) as session:
        point = await schedules.get_point(session, TINH_HA)
        assert point is not None
        common = {"reason": "Họp", "today": TODAY, "now": NOW, "actor": "t", "new": tet}
        content = _content()
        refused = await changes.change_day(
            session, content, point, regular, DayChange.MOVE, **common
        )
        assert refused is Refusal.HOLIDAY
        assert await schedules.exceptions_between(session, [TINH_HA], regular, regular) == []
        made = await changes.change_day(
            session, content, point, regular, DayChange.MOVE, holiday_ok=True, **common
        )
        assert made == 0
        assert await schedules.effective_date(session, TINH_HA, regular) == tet


def _edited_export(text: str) -> str:
    """The Sơn Tịnh rows of an export: Tịnh Hà's hours changed, Tịnh Giang left out, one
    point added."""
    kept = [line for line in text.splitlines()[1:] if ",21220," in line]
    out = []
    for line in kept:
        if line.startswith(TINH_GIANG):
            continue
        out.append(line.replace(",07:30,11:00,", ",08:00,11:00,") if TINH_HA in line else line)
    out.append("NEW-21220-1,21220,Điểm mới,Nhà văn hóa thôn 3,12,07:30,11:00,PGD Sơn Tịnh,0255 1")
    return "\n".join([HEADER, *out]) + "\n"


async def test_an_import_plan_shows_what_it_adds_changes_and_removes_and_applies_exactly(
    sessions,
):
    async with transaction(sessions) as session:
        user = await users.get_or_create_user(session, "telegram", "77", NOW)
        await subscriptions.subscribe(session, user.id or 0, TINH_GIANG, NOW)
        export = export_schedule_csv(await area.points_in_areas(session, ["51"]))
        # an export, imported back, changes nothing
        same = await imports.plan_import(session, lines(export), ["51"], remove_missing=True)
        assert same.empty and not same.problems and same.unchanged == 3
        plan = await imports.plan_import(
            session, lines(_edited_export(export)), ["51"], remove_missing=True
        )
        assert [(line, row.point_id) for line, row in plan.added] == [(4, "NEW-21220-1")]
        [change] = plan.changed
        assert change.row.point_id == TINH_HA and change.line == 2
        assert [(f.name, f.old, f.new) for f in change.fields] == [("start_time", "07:30", "08:00")]
        assert [(r.row.point_id, r.subscribers) for r in plan.removed] == [(TINH_GIANG, 1)]
        # the same file against the same points: the same digest
        again = await imports.plan_import(
            session, lines(_edited_export(export)), ["51"], remove_missing=True
        )
        assert again.digest() == plan.digest() != same.digest()
        await imports.apply_import(
            session, plan, actor="telegram:1", now=NOW, source="f.csv", content=_content(), tz=TZ
        )
    async with transaction(sessions) as session:
        assert await schedules.get_point(session, TINH_GIANG) is None
        assert await schedules.get_point(session, "NEW-21220-1") is not None
        point = await schedules.get_point(session, TINH_HA)
        assert point is not None and point.start_time == dt.time(8, 0)
        [entry] = [e for e in await audit.entries(session) if e.action == "schedule.import"]
        assert entry.detail["added_ids"] == ["NEW-21220-1"] and entry.detail["removed"] == 1
        # other communes were not touched by a file about Sơn Tịnh
        assert len(await area.points_in_areas(session, [None])) == len(
            lines(SAMPLE.read_text(encoding="utf-8"))
        )


async def test_rows_outside_the_area_are_problems_of_the_file(sessions):
    async with transaction(sessions) as session:
        everything = export_schedule_csv(await schedules.all_points(session))
        plan = await imports.plan_import(session, lines(everything), ["21220"], remove_missing=True)
        assert plan.problems and {p.problem for p in plan.problems} == {AreaProblem.COMMUNE}
        assert all(p.value != "21220" for p in plan.problems)
        # a point id of another area, claimed for this commune
        stolen = f"{HEADER}\nSAMPLE-00004-QUANTHANH,21220,X,Thôn 1 xã Sơn Tịnh,10,07:30,11:00,O,1\n"
        plan = await imports.plan_import(session, lines(stolen), ["21220"], remove_missing=True)
        assert [(p.line, p.problem, p.value) for p in plan.problems] == [
            (2, AreaProblem.POINT, "SAMPLE-00004-QUANTHANH")
        ]
        with pytest.raises(ValueError):
            await imports.apply_import(session, plan, actor="t", now=NOW, source="x")


def test_a_file_saved_with_semicolons_is_told_so():
    from handlers.schedules.csv import COLUMNS, ScheduleFileError

    text = ";".join(COLUMNS) + "\nA;21220;X;Thôn 1 xã Sơn Tịnh;10;07:30;11:00;PGD;0255 1\n"
    with pytest.raises(ScheduleFileError) as refused:
        lines(text)
    assert refused.value.problems == [
        "line 1: header: the columns are separated by semicolons; save the file as CSV with commas"
    ]
    assert refused.value.found[0].code == "semicolons"

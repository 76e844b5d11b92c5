"""Transaction days as dates: month ends, leap years, moves across months, cancellations."""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from dataclasses import dataclass

import pytest

from handlers.schedules.calendar import (
    Occurrence,
    add_months,
    is_regular_date,
    next_occurrences,
    occurrences,
    regular_date,
)

D = dt.date


@dataclass
class Point:
    id: str
    day_of_month: int


@dataclass
class Exc:
    point_id: str
    regular_date: dt.date
    moved_to: dt.date | None
    reason: str


def regular(point_id: str, day: dt.date) -> Occurrence:
    return Occurrence(point_id, day, day, cancelled=False, reason=None)


@pytest.mark.parametrize(
    ("day", "year", "month", "expected"),
    [
        (15, 2026, 11, D(2026, 11, 15)),
        (31, 2026, 1, D(2026, 1, 31)),
        (31, 2026, 4, D(2026, 4, 30)),
        (31, 2026, 6, D(2026, 6, 30)),
        (31, 2026, 9, D(2026, 9, 30)),
        (31, 2026, 11, D(2026, 11, 30)),
        (31, 2026, 12, D(2026, 12, 31)),
        (30, 2026, 2, D(2026, 2, 28)),
        (29, 2026, 2, D(2026, 2, 28)),
        (29, 2028, 2, D(2028, 2, 29)),
        (31, 2028, 2, D(2028, 2, 29)),
        (28, 2028, 2, D(2028, 2, 28)),
        (29, 2100, 2, D(2100, 2, 28)),  # not a leap year: divisible by 100
        (29, 2000, 2, D(2000, 2, 29)),  # leap: divisible by 400
        (1, 2026, 2, D(2026, 2, 1)),
    ],
)
def test_regular_date_falls_back_to_the_months_last_day(day, year, month, expected):
    assert regular_date(day, year, month) == expected


def test_regular_date_for_every_day_and_month_of_two_years():
    for year in (2027, 2028):
        for month in range(1, 13):
            last = stdlib_calendar.monthrange(year, month)[1]
            for day in range(1, 32):
                got = regular_date(day, year, month)
                assert got == D(year, month, min(day, last))


@pytest.mark.parametrize("day", [0, 32, -1])
def test_regular_date_refuses_a_day_outside_1_to_31(day):
    with pytest.raises(ValueError):
        regular_date(day, 2026, 1)


def test_is_regular_date():
    assert is_regular_date(31, D(2026, 4, 30))
    assert not is_regular_date(30, D(2026, 5, 31))
    assert is_regular_date(30, D(2026, 5, 30))
    assert not is_regular_date(15, D(2026, 5, 16))


def test_add_months_crosses_years():
    assert add_months(2026, 11, 1) == (2026, 12)
    assert add_months(2026, 12, 1) == (2027, 1)
    assert add_months(2026, 1, -1) == (2025, 12)
    assert add_months(2026, 11, 14) == (2028, 1)


def test_occurrences_without_exceptions_one_per_month_in_range():
    point = Point("p", 31)
    found = occurrences(point, [], D(2026, 1, 1), D(2026, 12, 31))
    assert [o.date for o in found] == [
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 5, 31),
        D(2026, 6, 30),
        D(2026, 7, 31),
        D(2026, 8, 31),
        D(2026, 9, 30),
        D(2026, 10, 31),
        D(2026, 11, 30),
        D(2026, 12, 31),
    ]
    assert all(o == regular("p", o.regular_date) for o in found)


def test_leap_february_for_days_29_to_31():
    for day in (29, 30, 31):
        found = occurrences(Point("p", day), [], D(2028, 2, 1), D(2028, 2, 29))
        assert [o.date for o in found] == [D(2028, 2, 29)]
        found = occurrences(Point("p", day), [], D(2027, 2, 1), D(2027, 2, 28))
        assert [o.date for o in found] == [D(2027, 2, 28)]


def test_range_bounds_are_inclusive():
    point = Point("p", 10)
    assert [o.date for o in occurrences(point, [], D(2026, 3, 10), D(2026, 4, 10))] == [
        D(2026, 3, 10),
        D(2026, 4, 10),
    ]
    assert occurrences(point, [], D(2026, 3, 11), D(2026, 4, 9)) == []
    assert occurrences(point, [], D(2026, 4, 10), D(2026, 3, 10)) == []


def test_a_single_day_range():
    point = Point("p", 31)
    assert [o.date for o in occurrences(point, [], D(2026, 4, 30), D(2026, 4, 30))] == [
        D(2026, 4, 30)
    ]
    assert occurrences(point, [], D(2026, 4, 29), D(2026, 4, 29)) == []


def test_cancelled_day():
    point = Point("p", 10)
    cancel = Exc("p", D(2026, 12, 10), None, "Mưa bão")
    found = occurrences(point, [cancel], D(2026, 12, 1), D(2027, 1, 31))
    assert found == [
        Occurrence("p", D(2026, 12, 10), None, cancelled=True, reason="Mưa bão"),
        regular("p", D(2027, 1, 10)),
    ]
    assert not found[0].moved


def test_moved_within_the_month():
    point = Point("p", 10)
    move = Exc("p", D(2026, 12, 10), D(2026, 12, 14), "Trùng lịch họp")
    [found] = occurrences(point, [move], D(2026, 12, 1), D(2026, 12, 31))
    assert found == Occurrence("p", D(2026, 12, 10), D(2026, 12, 14), False, "Trùng lịch họp")
    assert found.moved


def test_moved_into_the_range_from_a_regular_date_outside_it():
    point = Point("p", 31)
    # 31 December moved to 2 January: asked about January, the day is there.
    move = Exc("p", D(2026, 12, 31), D(2027, 1, 2), "Nghỉ Tết dương lịch")
    found = occurrences(point, [move], D(2027, 1, 1), D(2027, 1, 31))
    assert found == [
        Occurrence("p", D(2026, 12, 31), D(2027, 1, 2), False, "Nghỉ Tết dương lịch"),
        regular("p", D(2027, 1, 31)),
    ]


def test_moved_out_of_the_range_is_still_listed_with_its_new_date():
    point = Point("p", 28)
    move = Exc("p", D(2027, 1, 28), D(2027, 2, 3), "Tết")
    found = occurrences(point, [move], D(2027, 1, 1), D(2027, 1, 31))
    assert found == [Occurrence("p", D(2027, 1, 28), D(2027, 2, 3), False, "Tết")]
    # ... and asked about February, both that day and February's own are there, by date.
    february = occurrences(point, [move], D(2027, 2, 1), D(2027, 2, 28))
    assert [(o.regular_date, o.date) for o in february] == [
        (D(2027, 1, 28), D(2027, 2, 3)),
        (D(2027, 2, 28), D(2027, 2, 28)),
    ]


def test_moved_backwards_into_the_previous_month():
    point = Point("p", 1)
    move = Exc("p", D(2027, 2, 1), D(2027, 1, 29), "Tết")
    found = occurrences(point, [move], D(2027, 1, 1), D(2027, 1, 31))
    assert [(o.regular_date, o.date) for o in found] == [
        (D(2027, 1, 1), D(2027, 1, 1)),
        (D(2027, 2, 1), D(2027, 1, 29)),
    ]


def test_moved_far_away_is_found_from_either_end():
    point = Point("p", 15)
    move = Exc("p", D(2026, 3, 15), D(2026, 6, 2), "Sửa trụ sở")
    in_june = occurrences(point, [move], D(2026, 6, 1), D(2026, 6, 30))
    assert [(o.regular_date, o.date) for o in in_june] == [
        (D(2026, 3, 15), D(2026, 6, 2)),
        (D(2026, 6, 15), D(2026, 6, 15)),
    ]
    in_april = occurrences(point, [move], D(2026, 4, 1), D(2026, 4, 30))
    assert [(o.regular_date, o.date) for o in in_april] == [(D(2026, 4, 15), D(2026, 4, 15))]


def test_month_end_regular_day_moved_and_cancelled():
    point = Point("p", 31)
    exceptions = [
        Exc("p", D(2026, 4, 30), D(2026, 5, 4), "Nghỉ lễ 30/4"),
        Exc("p", D(2026, 2, 28), None, "Tết"),
    ]
    found = occurrences(point, exceptions, D(2026, 2, 1), D(2026, 5, 31))
    assert [(o.regular_date, o.date, o.cancelled) for o in found] == [
        (D(2026, 2, 28), None, True),
        (D(2026, 3, 31), D(2026, 3, 31), False),
        (D(2026, 4, 30), D(2026, 5, 4), False),
        (D(2026, 5, 31), D(2026, 5, 31), False),
    ]


def test_exceptions_of_other_points_and_other_dates_are_ignored():
    point = Point("p", 10)
    exceptions = [
        Exc("other", D(2026, 12, 10), None, "not ours"),
        Exc("p", D(2026, 12, 11), None, "not a regular day of p"),
        Exc("p", D(2026, 11, 30), D(2026, 12, 5), "not a regular day either"),
    ]
    found = occurrences(point, exceptions, D(2026, 12, 1), D(2026, 12, 31))
    assert found == [regular("p", D(2026, 12, 10))]


def test_of_two_exceptions_for_one_day_the_last_counts():
    point = Point("p", 10)
    exceptions = [
        Exc("p", D(2026, 12, 10), D(2026, 12, 12), "first"),
        Exc("p", D(2026, 12, 10), None, "second"),
    ]
    [found] = occurrences(point, exceptions, D(2026, 12, 1), D(2026, 12, 31))
    assert found.cancelled and found.reason == "second"


def test_next_occurrences_this_month_and_next_from_today():
    point = Point("p", 10)
    assert [o.date for o in next_occurrences(point, [], D(2026, 11, 5))] == [
        D(2026, 11, 10),
        D(2026, 12, 10),
    ]
    # the day itself still counts; past days of this month do not
    assert [o.date for o in next_occurrences(point, [], D(2026, 11, 10))] == [
        D(2026, 11, 10),
        D(2026, 12, 10),
    ]
    assert [o.date for o in next_occurrences(point, [], D(2026, 11, 22))] == [D(2026, 12, 10)]


def test_next_occurrences_across_the_year_end_and_more_months():
    point = Point("p", 31)
    assert [o.date for o in next_occurrences(point, [], D(2026, 12, 1))] == [
        D(2026, 12, 31),
        D(2027, 1, 31),
    ]
    assert [o.date for o in next_occurrences(point, [], D(2027, 1, 1), months=3)] == [
        D(2027, 1, 31),
        D(2027, 2, 28),
        D(2027, 3, 31),
    ]
    assert [o.date for o in next_occurrences(point, [], D(2027, 1, 1), months=1)] == [
        D(2027, 1, 31)
    ]
    with pytest.raises(ValueError):
        next_occurrences(point, [], D(2027, 1, 1), months=0)


def test_next_occurrences_with_moves_around_today():
    point = Point("p", 10)
    exceptions = [
        # a past regular day moved to after today: still to come
        Exc("p", D(2026, 11, 10), D(2026, 11, 25), "Hoãn"),
        # next month's day moved into the month after next: listed with its new date
        Exc("p", D(2026, 12, 10), D(2027, 1, 5), "Dời"),
    ]
    found = next_occurrences(point, exceptions, D(2026, 11, 22))
    assert [(o.regular_date, o.date) for o in found] == [
        (D(2026, 11, 10), D(2026, 11, 25)),
        (D(2026, 12, 10), D(2027, 1, 5)),
    ]


def test_next_occurrences_leaves_out_a_day_moved_to_the_past():
    point = Point("p", 25)
    moved_earlier = Exc("p", D(2026, 11, 25), D(2026, 11, 20), "Sớm hơn")
    found = next_occurrences(point, [moved_earlier], D(2026, 11, 22))
    assert [o.date for o in found] == [D(2026, 12, 25)]


def test_next_occurrences_keeps_a_cancelled_day_until_it_has_passed():
    point = Point("p", 25)
    cancel = Exc("p", D(2026, 11, 25), None, "Bão")
    found = next_occurrences(point, [cancel], D(2026, 11, 22))
    assert [(o.regular_date, o.cancelled) for o in found] == [
        (D(2026, 11, 25), True),
        (D(2026, 12, 25), False),
    ]
    assert next_occurrences(point, [cancel], D(2026, 11, 26))[0].regular_date == D(2026, 12, 25)


def test_works_with_the_storage_models():
    from storage.models import ScheduleException, TransactionPoint

    point = TransactionPoint(
        id="x",
        commune_code="21220",
        name="n",
        address="a",
        day_of_month=30,
        start_time=dt.time(7, 30),
        end_time=dt.time(11),
        office="o",
        phone="1",
    )
    exception = ScheduleException(
        point_id="x", regular_date=D(2027, 2, 28), moved_to=D(2027, 3, 1), reason="r"
    )
    found = occurrences(point, [exception], D(2027, 2, 1), D(2027, 3, 31))
    assert [(o.regular_date, o.date) for o in found] == [
        (D(2027, 2, 28), D(2027, 3, 1)),
        (D(2027, 3, 30), D(2027, 3, 30)),
    ]

"""The dashboard's period picker and its numbers for people: the ready choices, every way a
typed range is refused, weeks and months, Vietnamese and English number forms."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from handlers.stats.numbers import Kind, csv_value, display, share
from handlers.stats.period import Choice, DayRange, PeriodError, choose
from handlers.stats.scope import area_codes_in, communes_in

TODAY = dt.date(2026, 12, 7)  # a Monday
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_ready_choices_start_on_a_monday_or_a_first_of_the_month():
    assert choose({}, TODAY) == DayRange(Choice.WEEKS_4, dt.date(2026, 11, 16), TODAY)
    assert choose({"period": "4w"}, dt.date(2026, 12, 13)).first == dt.date(2026, 11, 16)
    assert choose({"period": "3m"}, TODAY).first == dt.date(2026, 10, 1)
    assert choose({"period": "12m"}, TODAY).first == dt.date(2026, 1, 1)
    assert choose({"period": "12m"}, dt.date(2027, 1, 31)).first == dt.date(2026, 2, 1)


def test_a_typed_range_is_whole_local_days():
    days = choose({"period": "custom", "from": "2026-11-02", "to": "2026-11-29"}, TODAY)
    period = days.period(VN)
    assert period.start == dt.datetime(2026, 11, 1, 17, 0, tzinfo=dt.UTC)
    assert period.end == dt.datetime(2026, 11, 29, 17, 0, tzinfo=dt.UTC)
    assert period.offset_minutes == 420
    assert days.query() == {"period": "custom", "from": "2026-11-02", "to": "2026-11-29"}
    assert days.weeks() == [dt.date(2026, 11, d) for d in (2, 9, 16, 23)]
    assert DayRange(Choice.CUSTOM, dt.date(2025, 11, 30), dt.date(2026, 1, 1)).months() == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ({"period": "week"}, "console.dashboard.period.unknown"),
        ({"period": "custom", "to": "2026-11-01"}, "console.dashboard.period.from_missing"),
        (
            {"period": "custom", "from": "2026-11-01", "to": " "},
            "console.dashboard.period.to_missing",
        ),
        (
            {"period": "custom", "from": "1/11/2026", "to": "2026-11-02"},
            "console.dashboard.period.bad_date",
        ),
        (
            {"period": "custom", "from": "2026-02-30", "to": "2026-03-02"},
            "console.dashboard.period.bad_date",
        ),
        (
            {"period": "custom", "from": "2026-11-09", "to": "2026-11-02"},
            "console.dashboard.period.reversed",
        ),
        (
            {"period": "custom", "from": "2026-11-09", "to": "2026-12-08"},
            "console.dashboard.period.future",
        ),
        (
            {"period": "custom", "from": "2023-12-31", "to": "2024-02-01"},
            "console.dashboard.period.too_early",
        ),
        (
            {"period": "custom", "from": "2024-01-01", "to": "2026-01-02"},
            "console.dashboard.period.too_long",
        ),
    ],
)
def test_a_range_that_cannot_be_used_says_why(query, key, content):
    with pytest.raises(PeriodError) as refused:
        choose(query, TODAY)
    assert refused.value.key == key
    for lang in ("vi", "en"):  # every refusal has its words
        assert content.text(key, lang, **refused.value.values)


def test_the_longest_range_and_today_are_allowed():
    days = choose({"period": "custom", "from": "2024-12-08", "to": "2026-12-07"}, TODAY)
    assert (days.first, days.last) == (dt.date(2024, 12, 8), TODAY)


def test_numbers_for_people_and_for_spreadsheets():
    assert display(1234567, Kind.COUNT, "vi") == "1.234.567"
    assert display(1234567, Kind.COUNT, "en") == "1,234,567"
    assert display(0, Kind.COUNT, "vi") == "0"
    assert display(12.345, Kind.PERCENT, "vi") == "12,3\u00a0%"  # no-break space
    assert display(12.5, Kind.PERCENT, "en") == "12.5%"
    assert display(1234.56, Kind.HOURS, "vi") == "1.234,6"
    assert display(None, Kind.HOURS, "vi") == "–"
    assert csv_value(1234.56, Kind.HOURS) == "1234.6"
    assert csv_value(12.345, Kind.PERCENT) == "12.3"
    assert csv_value(None, Kind.COUNT) == ""
    assert share(1, 3) == pytest.approx(33.333, abs=0.001)
    assert share(1, 0) is None


def test_areas_become_communes():
    assert communes_in([None, "51"]) is None
    assert communes_in(["21220"]) == ["21220"]
    province = communes_in(["51"])
    assert province is not None and "21220" in province and "00004" not in province
    assert all(len(code) == 5 for code in province)
    assert area_codes_in(["51"]) == sorted({"51", *province})
    assert communes_in([]) == []


def test_the_dashboard_knows_how_long_messages_are_kept():
    """Reminders of months the outbox no longer holds are shown unknown, not zero: the
    dashboard's figure for that is the scheduler's."""
    from bot.scheduler import OUTBOX_RETENTION
    from handlers.stats.figures import MESSAGES_KEPT

    assert MESSAGES_KEPT == OUTBOX_RETENTION

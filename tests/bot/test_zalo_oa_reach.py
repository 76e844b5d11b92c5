"""The rule that picks customer-service message, ZNS, a night's hold or unreachable; and the
ZNS template settings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_settings
from bot.zalo_oa_reach import Decision, Route, decide, in_window, next_day_start
from bot.zns_templates import ZnsTemplate, parse_template
from handlers.core import zns
from handlers.schedules.reminders import change_zns
from storage.models import TransactionPoint
from storage.zalo_oa_contacts import Reach

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOON = dt.datetime(2026, 12, 7, 12, 0, tzinfo=VN).astimezone(dt.UTC)
PHONE = "84912345678"


def reach(days_ago: float | None, closed: bool = False, phone: str | None = PHONE) -> Reach:
    last = None if days_ago is None else NOON - dt.timedelta(days=days_ago)
    return Reach(last, closed, phone)


def test_the_window_is_seven_days_from_the_last_interaction_unless_zalo_closed_it():
    assert in_window(reach(0), NOON)
    assert in_window(reach(6.99), NOON)
    assert not in_window(reach(7), NOON)
    assert not in_window(reach(None), NOON)  # never interacted (or not since we record it)
    assert not in_window(reach(1, closed=True), NOON)


@pytest.mark.parametrize(
    ("person", "kind", "template", "expected"),
    [
        (reach(1), "reply", False, Route.CS),  # inside: everything as a chat message
        (reach(1, phone=None), "reminder_eve", False, Route.CS),
        (reach(8), "reminder_eve", True, Route.ZNS),
        (reach(8), "reminder_day", True, Route.ZNS),
        (reach(8), "schedule_change", True, Route.ZNS),
        (reach(8), "broadcast_urgent", True, Route.ZNS),
        (reach(1, closed=True), "broadcast", True, Route.ZNS),
        (reach(8, phone=None), "reminder_eve", True, Route.UNREACHABLE),  # no consent
        (reach(8), "reminder_eve", False, Route.UNREACHABLE),  # no template
        (reach(8), "reply", True, Route.UNREACHABLE),  # a late reply has no template kind
        (reach(8), "report", True, Route.UNREACHABLE),
    ],
)
def test_the_route(person: Reach, kind: str, template: bool, expected: Route):
    assert decide(person, kind, template, True, NOON, VN).route is expected


def test_unreachable_says_why_and_rows_without_fields_are_unreachable():
    assert decide(reach(8, phone=None), "reminder_eve", True, True, NOON, VN) == Decision(
        Route.UNREACHABLE, "outside the 7-day window; no phone given for ZNS"
    )
    assert decide(reach(8), "reminder_eve", True, False, NOON, VN).route is Route.UNREACHABLE


def test_a_minus_230_overrides_our_own_record():
    assert decide(reach(1), "reminder_eve", True, True, NOON, VN, window_open=False).route is (
        Route.ZNS
    )


@pytest.mark.parametrize(
    ("local", "held_until"),
    [
        (dt.datetime(2026, 12, 7, 5, 59), dt.datetime(2026, 12, 7, 6, 0)),
        (dt.datetime(2026, 12, 7, 6, 0), None),
        (dt.datetime(2026, 12, 7, 21, 59), None),
        (dt.datetime(2026, 12, 7, 22, 0), dt.datetime(2026, 12, 8, 6, 0)),
        (dt.datetime(2026, 12, 31, 23, 30), dt.datetime(2027, 1, 1, 6, 0)),
        (dt.datetime(2026, 12, 8, 0, 0), dt.datetime(2026, 12, 8, 6, 0)),
    ],
)
def test_zns_is_never_sent_at_night(local: dt.datetime, held_until: dt.datetime | None):
    now = local.replace(tzinfo=VN).astimezone(dt.UTC)
    until = held_until.replace(tzinfo=VN).astimezone(dt.UTC) if held_until else None
    assert next_day_start(now, VN) == until
    decision = decide(reach(8), "reminder_day", True, True, now, VN)
    assert decision == (Decision(Route.HOLD, until=until) if until else Decision(Route.ZNS))
    # A customer-service message inside the window is not held: the person just wrote.
    just_wrote = Reach(now - dt.timedelta(hours=1), False, None)
    assert decide(just_wrote, "reply", False, False, now, VN).route is Route.CS


def test_a_template_without_mapping_takes_every_field_by_its_own_name():
    template = parse_template(" 250001 ", zns.NOTICE)
    assert template == ZnsTemplate("250001", (("area", "area"), ("summary", "summary")))
    assert template.data({"area": "Xã A", "summary": "Họp"}) == {"area": "Xã A", "summary": "Họp"}


def test_a_mapping_names_the_templates_parameters():
    template = parse_template("250002:ten_diem=point_name, ngay = date", zns.REMINDER)
    assert template.params == (("ten_diem", "point_name"), ("ngay", "date"))
    assert template.data({"point_name": "Điểm A", "date": "15/12/2026", "office": "x"}) == {
        "ten_diem": "Điểm A",
        "ngay": "15/12/2026",
    }


def test_a_parameters_maximum_length_cuts_its_value():
    template = parse_template("250003:khu_vuc=area/12,noi_dung=summary", zns.NOTICE)
    assert template.limits == (("khu_vuc", 12),)
    data = template.data({"area": "Xã Sơn Tịnh, Quảng Ngãi", "summary": "Họp tổ"})
    assert data == {"khu_vuc": "Xã Sơn Tịnh…", "noi_dung": "Họp tổ"}


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("", "template id"),
        ("25 0001", "template id"),
        ("250001:ten_diem", "not param=field"),
        ("250001:ten_diem=nowhere", "unknown field 'nowhere'"),
        ("250001:a=date,a=address", "mapped twice"),
        ("250001:1a=date", "not param=field"),
        ("250001:a=date/0", "the length after / must be 1 to 1000"),
        ("250001:a=date/x", "the length after / must be 1 to 1000"),
    ],
)
def test_wrong_template_settings_are_refused(value: str, complaint: str):
    with pytest.raises(ValueError, match=complaint):
        parse_template(value, zns.REMINDER)


def test_settings_stop_with_one_line_naming_the_variable(monkeypatch):
    monkeypatch.setenv("ZALO_ZNS_TEMPLATE_DAY_CHANGED", "250002:ngay=date")
    with pytest.raises(ConfigError) as error:
        load_settings()
    message = str(error.value)
    assert "ZALO_ZNS_TEMPLATE_DAY_CHANGED" in message and "unknown field 'date'" in message
    assert "\n" not in message
    monkeypatch.setenv("ZALO_ZNS_TEMPLATE_DAY_CHANGED", "250002:ngay=new_date")
    monkeypatch.setenv("ZALO_ZNS_TEMPLATE_REMINDER", "250001")
    templates = load_settings().zns_templates()
    assert set(templates) == {zns.REMINDER, zns.DAY_CHANGED}
    assert templates[zns.DAY_CHANGED].params == (("ngay", "new_date"),)


def test_fields_are_checked_and_clipped():
    fields = zns.zns_fields(zns.NOTICE, area="Xã A", summary="Dòng một\n" + "chữ " * 60)
    assert "\n" not in fields["fields"]["summary"]
    assert len(fields["fields"]["summary"]) == zns.MAX_VALUE
    assert fields["fields"]["summary"].endswith("…")
    with pytest.raises(ValueError):
        zns.zns_fields(zns.NOTICE, area="Xã A")


def test_no_value_is_ever_empty_zalo_refuses_those():
    point = TransactionPoint(
        id="P1", commune_code="21220", name="Điểm Tịnh Hà", address="", day_of_month=15,
        start_time=dt.time(7, 30), end_time=dt.time(11, 0), office="PGD Sơn Tịnh", phone="0255",
    )  # fmt: skip
    cancelled = change_zns(point, dt.date(2026, 12, 15), None, "Mưa lũ", restored=False)
    assert cancelled["fields"]["new_date"] == "đã hủy"
    assert cancelled["fields"]["change"] == "hủy"
    template = parse_template("250002:dia_chi=address,ngay_moi=new_date", zns.DAY_CHANGED)
    assert template.data(cancelled["fields"]) == {"dia_chi": "-", "ngay_moi": "đã hủy"}

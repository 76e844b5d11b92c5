"""What a ZNS template can be filled with: the kinds of notice, and the fields each carries.

ZNS (Zalo's notification service) sends a template approved by Zalo, filled with values, to a
phone number: the way the Official Account reaches a person who has not written for more than
7 days (bot/zalo_oa_reach.py). The dialogs that queue notices put these fields in the outbox
row's payload under ``"zns"`` (``{"kind": …, "fields": {…}}``), beside the text the chat gets;
a deployment maps its templates' parameter names onto them (``ZALO_ZNS_TEMPLATE_*``,
bot/zns_templates.py). Values are plain text, Vietnamese (ZNS templates are approved in
Vietnamese), and short: each is cut to ``MAX_VALUE`` characters, since Zalo refuses a value
longer than its template allows (the limit is set per parameter when the template is
approved: check it in Zalo's console).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

REMINDER, DAY_CHANGED, NOTICE = "reminder", "day_changed", "notice"

# Every field of each kind, in the order the README lists them.
FIELDS: dict[str, tuple[str, ...]] = {
    # A transaction-day reminder (the evening before, or the morning of the day).
    REMINDER: (
        "point_name",  # the transaction point ("Điểm Tịnh Hà")
        "address",  # where it is
        "date",  # the day, dd/mm/yyyy
        "start_time",  # HH:MM
        "end_time",  # HH:MM
        "office",  # the transaction office that runs it
        "office_phone",  # its phone number
    ),
    # A transaction day moved, cancelled, or back on its regular date.
    DAY_CHANGED: (
        "point_name",
        "address",
        "old_date",  # the date it stood on, dd/mm/yyyy
        "new_date",  # where it stands now, dd/mm/yyyy; "đã hủy" when cancelled
        "change",  # "dời ngày", "hủy" or "trở lại ngày cũ"
        "reason",  # the official's reason
        "start_time",
        "end_time",
        "office",
        "office_phone",
    ),
    # An official's announcement to an area.
    NOTICE: (
        "area",  # the area's name ("Xã Sơn Tịnh, Quảng Ngãi", or "toàn quốc")
        "summary",  # the announcement's text, cut to MAX_VALUE characters
    ),
}
MAX_VALUE = 100
CHANGE_WORDS = {"moved": "dời ngày", "cancelled": "hủy", "restored": "trở lại ngày cũ"}
CANCELLED_DATE = "đã hủy"  # ``new_date`` of a cancelled day: Zalo refuses an empty value
EMPTY = "-"  # any other value that is empty (Zalo refuses empty parameters)


def vn_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def clip(value: str, limit: int = MAX_VALUE) -> str:
    """One line, at most ``limit`` characters (an ellipsis marks a cut)."""
    flat = " ".join(value.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…" if limit > 1 else flat[:limit]


def zns_fields(kind: str, **values: str) -> dict[str, Any]:
    """The ``"zns"`` entry of a payload: every field of ``kind``, each one line and short."""
    expected = FIELDS[kind]
    if set(values) != set(expected):
        raise ValueError(f"ZNS {kind}: fields {sorted(values)} are not {sorted(expected)}")
    return {"kind": kind, "fields": {name: clip(values[name]) for name in expected}}

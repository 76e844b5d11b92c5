"""The deployment's approved ZNS templates, one per kind of notice, read from the settings.

``ZALO_ZNS_TEMPLATE_REMINDER``, ``ZALO_ZNS_TEMPLATE_DAY_CHANGED`` and
``ZALO_ZNS_TEMPLATE_NOTICE`` each hold ``TEMPLATE_ID`` or
``TEMPLATE_ID:param=field,param=field``: the template Zalo approved, and which of our fields
(handlers/core/zns.py ``FIELDS``) fills each of its parameters. With no mapping the template's
parameters are taken to be named exactly as our fields, all of them. Zalo refuses a message
whose data lacks a parameter of the template or has one it does not know, so the mapping must
name every parameter of the approved template, and nothing else.

Each parameter of an approved template has a maximum length (its "technical setting" in Zalo
Cloud, e.g. 30 characters); a value over it is refused (-112). ``param=field/30`` cuts the
value to 30 characters (an ellipsis marks the cut); without it, values are cut at
``zns.MAX_VALUE``. Example: ``250001:ten_diem=point_name/40,ngay=date,gio=start_time``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from handlers.core import zns

_TEMPLATE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PARAM = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# The setting of each kind, as the environment names it.
SETTING = {
    zns.REMINDER: "ZALO_ZNS_TEMPLATE_REMINDER",
    zns.DAY_CHANGED: "ZALO_ZNS_TEMPLATE_DAY_CHANGED",
    zns.NOTICE: "ZALO_ZNS_TEMPLATE_NOTICE",
}


@dataclass(frozen=True)
class ZnsTemplate:
    template_id: str
    params: tuple[tuple[str, str], ...]  # (template parameter, our field), in the given order
    limits: tuple[tuple[str, int], ...] = ()  # (template parameter, its maximum length)

    def data(self, fields: dict[str, Any]) -> dict[str, str]:
        """``template_data`` from a row's fields; KeyError when one is missing (an old row)."""
        limits = dict(self.limits)
        return {
            param: zns.clip(str(fields[field]), limits.get(param, zns.MAX_VALUE)) or zns.EMPTY
            for param, field in self.params
        }


def parse_template(value: str, kind: str) -> ZnsTemplate:
    """``value`` of the setting for ``kind``; ValueError with one clear sentence if wrong."""
    known = zns.FIELDS[kind]
    head, sep, mapping = value.strip().partition(":")
    template_id = head.strip()
    if not _TEMPLATE_ID.fullmatch(template_id):
        raise ValueError(
            "must be the template id Zalo approved (letters, digits, _ or -), optionally "
            "followed by :param=field,param=field"
        )
    if not sep:
        return ZnsTemplate(template_id, tuple((name, name) for name in known))
    params: list[tuple[str, str]] = []
    limits: list[tuple[str, int]] = []
    for part in mapping.split(","):
        param, eq, field = (piece.strip() for piece in part.partition("="))
        if not eq or not _PARAM.fullmatch(param):
            raise ValueError(f"{part.strip()!r} is not param=field")
        field, slash, limit = (piece.strip() for piece in field.partition("/"))
        if slash:
            if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 1000):
                raise ValueError(f"{part.strip()!r}: the length after / must be 1 to 1000")
            limits.append((param, int(limit)))
        if field not in known:
            raise ValueError(f"unknown field {field!r}; the fields are {', '.join(known)}")
        if any(param == seen for seen, _ in params):
            raise ValueError(f"parameter {param!r} is mapped twice")
        params.append((param, field))
    return ZnsTemplate(template_id, tuple(params), tuple(limits))

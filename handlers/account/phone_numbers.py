"""Vietnamese mobile numbers as people type them, checked and written one way (84…).

Since the 2018 renumbering a mobile number is ten digits: 0, then 3, 5, 7, 8 or 9, then eight
more (the networks' prefixes 03x, 05x, 07x, 08x, 09x). People also write it with +84, 84 or
0084 in front, with spaces, dots, dashes or brackets between the digits. ZNS wants it as 84
and the nine digits after the 0. Landlines (02x) and the retired eleven-digit numbers (01x…)
cannot receive ZNS: they are refused, with the reason, so the person can correct it.
"""

from __future__ import annotations

import enum
import re

_SEPARATORS = re.compile(r"[\s.\-()]")
# The second digit of a mobile number after the 0 (the first of the nine after 84).
MOBILE_FIRST = frozenset("35789")


class PhoneProblem(enum.StrEnum):
    """Why a typed number was refused: the key of a kind message (zns.phone_<problem>)."""

    NOT_A_NUMBER = "not_a_number"  # letters or other signs in it
    LENGTH = "length"  # too few or too many digits
    NOT_MOBILE = "not_mobile"  # a landline or an old 11-digit number


def normalize_phone(typed: str) -> str | PhoneProblem:
    """'0912 345 678', '+84 912-345-678', '(84) 912.345.678' -> '84912345678'; else why not."""
    text = _SEPARATORS.sub("", typed.strip())
    if text.startswith("+"):
        text = text[1:]
    if not text or not (text.isascii() and text.isdigit()):
        return PhoneProblem.NOT_A_NUMBER
    if text.startswith("0084"):
        national = text[4:]
    elif text.startswith("84") and len(text) == 11:
        national = text[2:]
    elif text.startswith("0"):
        national = text[1:]
    else:
        national = text  # nine digits typed without the 0
    if len(national) != 9:
        if len(national) == 10 and national[0] in "12":
            return PhoneProblem.NOT_MOBILE  # a landline (02x), or 01xx renumbered in 2018
        return PhoneProblem.LENGTH
    if national[0] not in MOBILE_FIRST:
        return PhoneProblem.NOT_MOBILE
    return "84" + national


def mask_phone(phone: str) -> str:
    """'84912345678' -> '0912 *** 678': enough to recognise one's own, not to read it off."""
    local = "0" + phone[2:] if phone.startswith("84") else phone
    return f"{local[:4]} *** {local[-3:]}"

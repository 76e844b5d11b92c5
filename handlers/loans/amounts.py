"""Reading money amounts and loan terms the way Vietnamese people type them; pure functions.

Amounts, in đồng (None when the text is not an amount):

>>> [parse_amount(t) for t in ("50 triệu", "50 trieu", "50tr", "50t", "50 củ", "50m")]
[50000000, 50000000, 50000000, 50000000, 50000000, 50000000]
>>> [parse_amount(t) for t in ("50.000.000", "50,000,000", "50 000 000", "50000000đ")]
[50000000, 50000000, 50000000, 50000000]
>>> [parse_amount(t) for t in ("1,5 tỷ", "1.5 ty", "1 tỷ 5", "1 tỷ 200 triệu", "2tr5")]
[1500000000, 1500000000, 1500000000, 1200000000, 2500000]
>>> [parse_amount(t) for t in ("500 nghìn", "500k", "500 ngàn", "5 trăm nghìn")]
[500000, 500000, 500000, 500000]
>>> [parse_amount(t) for t in ("năm mươi triệu", "hai triệu rưỡi", "tôi muốn vay 50 triệu nhé")]
[50000000, 2500000, 50000000]
>>> [parse_amount(t) for t in ("abc", "", "-5", "50 triệu 100 triệu", "5 tháng")]
[None, None, None, None, None]
>>> parse_amount("0"), parse_amount("50")  # read, and left for the caller to judge
(0, 50)

Terms, in months (None when the text is not a term):

>>> [parse_term(t) for t in ("36", "36 tháng", "36 thang", "36th", "3 năm", "3 nam")]
[36, 36, 36, 36, 36, 36]
>>> [parse_term(t) for t in ("5 năm 6 tháng", "5 năm 6", "2 năm rưỡi", "1,5 năm", "ba năm")]
[66, 66, 30, 18, 36]
>>> [parse_term(t) for t in ("abc", "", "-5", "2,5 tháng", "6 tháng 2 năm", "50 triệu")]
[None, None, None, None, None, None]

A trailing number after a unit is the colloquial shorthand: one digit is tenths of that unit
("1 tỷ 5" is 1,5 tỷ, "2tr5" is 2,5 triệu), two or three digits count the next unit down
("1 tỷ 250" is 1 tỷ 250 triệu); after years it counts months ("5 năm 6").
Words before the number are skipped ("vay khoảng 50 triệu"); a few particles may follow it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from content.normalize import strip_diacritics
from handlers.core.types import digits

__all__ = ["amount_and_term", "group_digits", "parse_amount", "parse_term"]

# Unit words, without diacritics, and what one of them is worth.
AMOUNT_UNITS: dict[str, int] = {
    **dict.fromkeys(("k", "nghin", "ngan", "thousand"), 1_000),
    **dict.fromkeys(("trieu", "tr", "t", "cu", "m", "mil", "million", "millions"), 1_000_000),
    **dict.fromkeys(("ty", "ti", "b", "bn", "billion", "billions"), 1_000_000_000),
}
TERM_UNITS: dict[str, int] = {
    **dict.fromkeys(("thang", "th", "t", "month", "months", "mo", "m"), 1),
    **dict.fromkeys(("nam", "n", "year", "years", "yr", "yrs", "y"), 12),
}
CURRENCY = frozenset({"dong", "d", "vnd", "vn"})
# Words that may follow a complete answer: "50 triệu nhé", "3 năm thôi ạ".
PARTICLES = frozenset({"a", "ah", "nhe", "nha", "thoi", "thui", "ok", "oke"})
HALF = "ruoi"  # rưỡi: and a half

# Number words ("năm mươi", "một trăm hai mươi lăm"), without diacritics.
DIGIT_WORDS = {
    "mot": 1, "mots": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
    "sau": 6, "bay": 7, "tam": 8, "chin": 9,
}  # fmt: skip
TENS, HUNDRED, DOZEN_TEN, ZERO_LINK = "muoi", "tram", "chuc", frozenset({"linh", "le"})

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+")
_NEGATIVE = re.compile(r"(?:^|[^\w])-\s*\d|\bam\s+\d")
_SPACED_THOUSANDS = re.compile(r"(?<=\d) (?=\d{3}(?!\d))")
_THOUSANDS = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
_DECIMAL = re.compile(r"\d+[.,]\d+")
_THOUSANDS_AND_DECIMAL = re.compile(r"(\d{1,3}(?:([.,])\d{3})+)(?!\2)[.,](\d+)")


def _fold(text: str) -> str:
    """Lowercase, without diacritics ('Triệu' -> 'trieu', 'đ' -> 'd')."""
    return strip_diacritics(text.strip().lower())


def _number(token: str) -> Decimal | None:
    """'50.000.000' and '50,000,000' -> 50000000; '1,5' and '1.5' -> 1.5."""
    if digits(token):
        return Decimal(token)
    if _THOUSANDS.fullmatch(token):
        return Decimal(re.sub(r"[.,]", "", token))
    if _DECIMAL.fullmatch(token):
        return Decimal(token.replace(",", "."))
    mixed = _THOUSANDS_AND_DECIMAL.fullmatch(token)
    if mixed:
        return Decimal(re.sub(r"[.,]", "", mixed.group(1)) + "." + mixed.group(3))
    return None


def _starts_number(token: str) -> bool:
    return token[0].isdigit() or token in DIGIT_WORDS or token == TENS


def _read_number(tokens: list[str], i: int) -> tuple[Decimal, int, str] | None:
    """The number starting at ``tokens[i]``: (value, index after it, its digits when it is
    one typed number and nothing else, for the "1 tỷ 5" shorthand)."""
    group, pending, typed = 0, None, ""
    if tokens[i][0].isdigit():
        value = _number(tokens[i])
        if value is None:
            return None
        typed, i = tokens[i], i + 1
        if value != value.to_integral_value():
            return value, i, ""  # "1,5 tỷ": a decimal takes no number words
        pending = int(value)
    start, after_tens = i, False
    while i < len(tokens):
        word = tokens[i]
        if word in DIGIT_WORDS and pending is None and not (after_tens and word == "nam"):
            pending = DIGIT_WORDS[word]  # after "mươi", five is "lăm": "mười năm" is 10 years
        elif word == TENS:
            group += 10 * (pending if pending is not None else 1)
            pending = None
        elif word in (HUNDRED, DOZEN_TEN):
            group += (100 if word == HUNDRED else 10) * (pending if pending is not None else 1)
            pending = None
        elif not (word in ZERO_LINK and group):
            break
        after_tens = word == TENS
        i += 1
    if i > start:
        typed = ""  # "5 trăm": not a bare typed number
    return Decimal(group + (pending or 0)), i, typed


def _tokens(folded: str) -> list[str]:
    return _TOKEN.findall(folded)


def _starts(tokens: list[str]) -> list[int]:
    """Where the number may start: words before it are skipped ("vay tầm 50 triệu"), even
    number words, which may be other words without their diacritics ("bà" is "ba"); but
    never past typed digits ("6 tháng 2 năm" is not "2 năm")."""
    starts = []
    for i, token in enumerate(tokens):
        if _starts_number(token):
            starts.append(i)
        if token[0].isdigit():
            break
    return starts


def _tail_ok(tokens: list[str], i: int, allowed: frozenset[str]) -> bool:
    return all(t in allowed for t in tokens[i:])


def _amount_from(tokens: list[str]) -> Decimal | None:
    total, last_unit, i = Decimal(0), 0, 0
    while i < len(tokens) and _starts_number(tokens[i]):
        read = _read_number(tokens, i)
        if read is None:
            return None
        value, i, typed = read
        unit = AMOUNT_UNITS.get(tokens[i]) if i < len(tokens) else None
        if unit is not None:
            if last_unit and unit >= last_unit:
                return None  # "50 triệu 100 triệu", "5 triệu 2 tỷ"
            total += value * unit
            last_unit, i = unit, i + 1
            if i < len(tokens) and tokens[i] == HALF:
                total += Decimal(unit) / 2
                i += 1
            continue
        if last_unit == 1:
            return None  # two bare numbers
        if last_unit:  # the colloquial shorthand: "1 tỷ 5", "2tr5", "1 tỷ 250"
            if not digits(typed) or len(typed) > 3:
                return None
            total += value * last_unit / (10 if len(typed) == 1 else 1000)
        else:
            total += value
        last_unit = 1
    if i == 0 or not _tail_ok(tokens, i, CURRENCY | PARTICLES):
        return None
    return total


def parse_amount(text: str) -> int | None:
    """The amount in ``text`` in whole đồng; None when it is not one (see the module's doc)."""
    folded = _fold(text)
    if _NEGATIVE.search(folded):
        return None
    tokens = _tokens(_SPACED_THOUSANDS.sub("", folded))
    for start in _starts(tokens):
        value = _amount_from(tokens[start:])
        if value is not None:
            return int(value.to_integral_value(ROUND_HALF_UP))
    return None


def _term_from(tokens: list[str]) -> Decimal | None:
    total, last_unit, i = Decimal(0), 0, 0
    while i < len(tokens) and _starts_number(tokens[i]):
        read = _read_number(tokens, i)
        if read is None:
            return None
        value, i, _ = read
        unit = TERM_UNITS.get(tokens[i]) if i < len(tokens) else None
        if unit is None:  # a bare number is months: "36", or "5 năm 6"
            if last_unit == 1:
                return None
            unit = 1
        elif last_unit and unit >= last_unit:
            return None  # "6 tháng 2 năm"
        else:
            i += 1
        total += value * unit
        last_unit = unit
        if i < len(tokens) and tokens[i] == HALF and unit == 12:
            total += 6
            i += 1
    if i == 0 or not _tail_ok(tokens, i, PARTICLES):
        return None
    return total


def parse_term(text: str) -> int | None:
    """The loan term in ``text`` in whole months; None when it is not one."""
    folded = _fold(text)
    if _NEGATIVE.search(folded):
        return None
    tokens = _tokens(folded)
    for start in _starts(tokens):
        value = _term_from(tokens[start:])
        if value is not None:
            # "2,5 tháng" is refused: months are whole.
            return int(value) if value == value.to_integral_value() else None
    return None


# In a sentence, a figure counts only with its unit: "vay 50tr 3 năm lãi bao nhiêu". Single
# letters ("t", "m", "n") are units only right after an amount's or a term's own number.
_AMOUNT_ENDS = frozenset(AMOUNT_UNITS) | CURRENCY
_TERM_ENDS = frozenset({"thang", "th", "month", "months", "nam", "year", "years", "yr", "yrs"})
_LONGEST_FIGURE = 8  # tokens: "1 tỷ 200 triệu đồng" is 5


def amount_and_term(text: str) -> tuple[int | None, int | None]:
    """An amount (đồng) and a term (months) said inside a sentence; None for what is not
    there. Each starts with typed digits and ends with its unit word, or is a bare number of
    a million or more:

    >>> amount_and_term("vay 50tr tra gop moi thang bao nhieu")
    (50000000, None)
    >>> amount_and_term("vay 50 triệu 3 năm lãi bao nhiêu")
    (50000000, 36)
    >>> amount_and_term("Vay 1 tỷ 200 triệu đồng trong 60 tháng thì trả bao nhiêu?")
    (1200000000, 60)
    >>> amount_and_term("vay 30000000 trong 2 nam"), amount_and_term("vay von ho ngheo")
    ((30000000, 24), (None, None))
    >>> amount_and_term("vay 2tr5 trong 6 thang"), amount_and_term("50 trieu 3 nam")
    ((2500000, 6), (50000000, 36))
    """
    folded = _fold(text)
    if _NEGATIVE.search(folded):
        return None, None
    tokens = _tokens(_SPACED_THOUSANDS.sub("", folded))
    numbers = [i for i, token in enumerate(tokens) if token[0].isdigit()]
    amount, used = None, range(0)
    for start in numbers:
        found = _figure(tokens, start, _AMOUNT_ENDS, _amount_from)
        if found is None:
            bare = _number(tokens[start])
            next_unit = start + 1 < len(tokens) and tokens[start + 1] in TERM_UNITS
            if bare is not None and bare >= 1_000_000 and not next_unit:
                found = bare, start + 1
        if found is not None and found[0] > 0:
            amount, used = int(found[0].to_integral_value(ROUND_HALF_UP)), range(start, found[1])
            break
    for start in numbers:
        found = _figure(tokens, start, _TERM_ENDS, _term_from)
        if found is not None and start not in used and found[0] > 0:
            value = found[0]
            if value == value.to_integral_value():
                return amount, int(value)
    return amount, None


def _figure(
    tokens: list[str],
    start: int,
    ends: frozenset[str],
    read: Callable[[list[str]], Decimal | None],
) -> tuple[Decimal, int] | None:
    """The longest figure from ``start`` ending with one of ``ends``, and where it ends."""
    for end in range(min(len(tokens), start + _LONGEST_FIGURE), start, -1):
        if (tokens[end - 1] in ends or _shorthand_end(tokens, start, end, ends)) and (
            value := read(tokens[start:end])
        ) is not None:
            return value, end
    return None


def _shorthand_end(tokens: list[str], start: int, end: int, ends: frozenset[str]) -> bool:
    """ "2tr5 trong 6 tháng": an amount may end with the shorthand's digits, unless they are
    the number of a term ("50 triệu 3 năm")."""
    return (
        ends is _AMOUNT_ENDS
        and end - start >= 3
        and tokens[end - 2] in AMOUNT_UNITS
        and digits(tokens[end - 1])
        and (end == len(tokens) or tokens[end] not in TERM_UNITS)
    )


def group_digits(value: int, lang: str) -> str:
    """50000000 -> '50.000.000' in Vietnamese, '50,000,000' in English."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text

"""Numbers written for people: Vietnamese groups thousands with '.' and writes decimals with
','; English the other way round. Percentages and hours keep one decimal. CSV files get the
plain numbers instead (``csv_value``), so that a spreadsheet reads them in any language.
"""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    """What a table column holds."""

    TEXT = "text"
    COUNT = "count"
    PERCENT = "percent"
    HOURS = "hours"


Cell = str | int | float | None


def _grouped(text: str, lang: str) -> str:
    """'1234567.5' -> '1.234.567,5' (vi) or '1,234,567.5' (en)."""
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups = []
    while digits:
        groups.append(digits[-3:])
        digits = digits[:-3]
    thousands, decimal = (".", ",") if lang == "vi" else (",", ".")
    out = sign + thousands.join(reversed(groups or ["0"]))
    return f"{out}{decimal}{fraction}" if fraction else out


def count(value: int, lang: str) -> str:
    return _grouped(str(int(value)), lang)


def one_decimal(value: float, lang: str) -> str:
    return _grouped(f"{value:.1f}", lang)


def display(value: Cell, kind: Kind, lang: str) -> str:
    """A cell as a person reads it; an empty cell is a dash."""
    if value is None:
        return "–"
    if kind is Kind.TEXT or isinstance(value, str):
        return str(value)
    if kind is Kind.COUNT:
        return count(int(value), lang)
    if kind is Kind.PERCENT:
        # Vietnamese writes a space before the sign: a no-break one, kept on the number's line
        return one_decimal(float(value), lang) + ("\u00a0%" if lang == "vi" else "%")
    return one_decimal(float(value), lang)


def csv_value(value: Cell, kind: Kind) -> str:
    """A cell as a spreadsheet reads it: plain digits and a '.' for decimals."""
    if value is None:
        return ""
    if kind is Kind.TEXT or isinstance(value, str):
        return str(value)
    if kind is Kind.COUNT:
        return str(int(value))
    return f"{float(value):.1f}"  # as the table shows it: the file is the table


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent; None when there is nothing to share."""
    return None if whole == 0 else 100.0 * part / whole

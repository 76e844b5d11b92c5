"""Cells that a spreadsheet would run as a formula: neutralised on export, refused on input.

Officials open our CSV files in Excel or LibreOffice, which treat a cell that begins with
``=``, ``+``, ``-`` or ``@`` (and, after a tab or carriage return, the same) as a formula:
``=HYPERLINK(...)`` in a point's name would run on an official's machine. OWASP's rule for
CSV injection is to prefix such a cell with ``'``, which the spreadsheet shows as text.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula(value: str) -> bool:
    """True for text a spreadsheet could take for a formula."""
    return value.startswith(FORMULA_START)


def safe_cell(value: object) -> object:
    """The value as a spreadsheet shows it as text: a formula-like string gets a leading '."""
    if isinstance(value, str) and is_formula(value):
        return "'" + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    return [safe_cell(v) for v in values]

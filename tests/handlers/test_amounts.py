"""Amounts and terms as Vietnamese people type them (handlers/loans/amounts.py)."""

from __future__ import annotations

import doctest

import pytest

from handlers.loans import amounts
from handlers.loans.amounts import group_digits, parse_amount, parse_term

MILLION = 1_000_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50 triệu", 50 * MILLION),
        ("50 trieu", 50 * MILLION),
        ("50 Triệu", 50 * MILLION),
        ("50tr", 50 * MILLION),
        ("50 tr", 50 * MILLION),
        ("50t", 50 * MILLION),
        ("50 củ", 50 * MILLION),
        ("50 cu", 50 * MILLION),
        ("50m", 50 * MILLION),
        ("50 million", 50 * MILLION),
        ("50.000.000", 50 * MILLION),
        ("50,000,000", 50 * MILLION),
        ("50000000", 50 * MILLION),
        ("50 000 000", 50 * MILLION),
        ("50.000.000đ", 50 * MILLION),
        ("50.000.000 đồng", 50 * MILLION),
        ("50,000,000 VND", 50 * MILLION),
        ("50 triệu đồng", 50 * MILLION),
        ("50 trieu dong", 50 * MILLION),
        ("50 triệu.", 50 * MILLION),
        ("  50 triệu  ", 50 * MILLION),
        ("1,5 tỷ", 1_500 * MILLION),
        ("1.5 ty", 1_500 * MILLION),
        ("1,5 tỉ", 1_500 * MILLION),
        ("1 tỷ", 1_000 * MILLION),
        ("1 tỷ 5", 1_500 * MILLION),
        ("1 tỷ 250", 1_250 * MILLION),
        ("1 tỷ 200 triệu", 1_200 * MILLION),
        ("2tr5", 2_500_000),
        ("2.5tr", 2_500_000),
        ("3tr500", 3_500_000),
        ("2 triệu rưỡi", 2_500_000),
        ("500 nghìn", 500_000),
        ("500 nghin", 500_000),
        ("500k", 500_000),
        ("500 ngàn", 500_000),
        ("5 trăm nghìn", 500_000),
        ("năm mươi triệu", 50 * MILLION),
        ("nam muoi trieu", 50 * MILLION),
        ("hai mươi lăm triệu", 25 * MILLION),
        ("mười lăm triệu", 15 * MILLION),
        ("một trăm triệu", 100 * MILLION),
        ("một trăm năm mươi triệu", 150 * MILLION),
        ("tôi muốn vay 50 triệu", 50 * MILLION),
        ("vay tầm 50 triệu nhé", 50 * MILLION),
        ("bà cần 50 triệu", 50 * MILLION),
        ("từ 50 triệu", 50 * MILLION),
        # Read, and left to the caller to judge: zero, too small, too big.
        ("0", 0),
        ("50", 50),
        ("50 tỷ", 50_000 * MILLION),
    ],
)
def test_amounts_as_people_type_them(text: str, expected: int):
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "triệu",
        "-5",
        "-50 triệu",
        "âm 5 triệu",
        "50 abc",
        "50 triệu 100 triệu",
        "5 triệu 2 tỷ",
        "50 hay 100",
        "36 tháng",
        "1.2.3",
        "😀",
    ],
)
def test_what_is_not_an_amount(text: str):
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("36", 36),
        ("36 tháng", 36),
        ("36 thang", 36),
        ("36 Tháng", 36),
        ("36th", 36),
        ("36t", 36),
        ("36 months", 36),
        ("3 năm", 36),
        ("3 nam", 36),
        ("3 years", 36),
        ("3y", 36),
        ("5 năm 6 tháng", 66),
        ("5 nam 6 thang", 66),
        ("5 năm 6", 66),
        ("2 năm rưỡi", 30),
        ("1,5 năm", 18),
        ("1.5 nam", 18),
        ("ba năm", 36),
        ("năm năm", 60),
        ("mười năm", 120),
        ("mười hai tháng", 12),
        ("hai năm sáu tháng", 30),
        ("trong 3 năm", 36),
        ("36 tháng nhé", 36),
        ("0", 0),
        ("600 tháng", 600),
    ],
)
def test_terms_as_people_type_them(text: str, expected: int):
    assert parse_term(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "tháng",
        "-5",
        "-36 tháng",
        "2,5 tháng",
        "6 tháng 2 năm",
        "3 tháng 5 ngày",
        "50 triệu",
        "36 hay 48",
    ],
)
def test_what_is_not_a_term(text: str):
    assert parse_term(text) is None


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (50_000_000, "vi", "50.000.000"),
        (50_000_000, "en", "50,000,000"),
        (999, "vi", "999"),
        (1_500_000_000, "vi", "1.500.000.000"),
        (0, "en", "0"),
    ],
)
def test_digits_grouped_the_vietnamese_or_english_way(value: int, lang: str, expected: str):
    assert group_digits(value, lang) == expected


def test_the_examples_in_the_docstring_hold():
    failures, tried = doctest.testmod(amounts)
    assert tried > 5 and failures == 0

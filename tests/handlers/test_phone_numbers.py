"""Vietnamese mobile numbers: the ways people type them, and the ones refused."""

from __future__ import annotations

import pytest

from handlers.account.phone_numbers import PhoneProblem, mask_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "0084912345678",
        "(+84) 912 345 678",
        "912345678",
        " 0912345678 ",
    ],
)
def test_the_ways_people_write_a_mobile_number(typed: str) -> None:
    assert normalize_phone(typed) == "84912345678"


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", PhoneProblem.NOT_A_NUMBER),
        ("số tôi là 0912345678", PhoneProblem.NOT_A_NUMBER),
        ("０９１２３４５６７８", PhoneProblem.NOT_A_NUMBER),  # full-width digits
        ("09123456", PhoneProblem.LENGTH),
        ("091234567890", PhoneProblem.LENGTH),
        ("849123456789", PhoneProblem.LENGTH),
        ("02438251234", PhoneProblem.NOT_MOBILE),  # a Hà Nội landline
        ("01234567890", PhoneProblem.NOT_MOBILE),  # an old 11-digit mobile
        ("0112345678", PhoneProblem.NOT_MOBILE),
        ("0612345678", PhoneProblem.NOT_MOBILE),
    ],
)
def test_what_is_refused_and_why(typed: str, problem: PhoneProblem) -> None:
    assert normalize_phone(typed) is problem


def test_masked_for_showing_back() -> None:
    assert mask_phone("84912345678") == "0912 *** 678"

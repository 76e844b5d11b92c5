"""The arithmetic of the loan calculator (handlers/loans/calculator.py), with no dialog.

The schedule it assumes: interest every month on the principal still owed; principal in
equal parts at a fixed interval (calculator.yaml gives the interval). All arithmetic is in
whole đồng: each month's interest is rounded to the đồng, and the last instalment takes
what the equal parts leave, so the table adds up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Period:
    """Months ``first``..``last`` between two principal repayments: the same principal is owed
    all along, so the same interest is paid each month; ``principal`` is repaid at the end."""

    first: int
    last: int
    owed: int
    monthly_interest: int
    principal: int

    @property
    def months(self) -> int:
        return self.last - self.first + 1

    @property
    def interest(self) -> int:
        return self.monthly_interest * self.months


@dataclass(frozen=True)
class Plan:
    amount: int
    months: int
    every: int
    periods: tuple[Period, ...]

    @property
    def first_month_interest(self) -> int:
        return self.periods[0].monthly_interest

    @property
    def total_interest(self) -> int:
        return sum(p.interest for p in self.periods)

    @property
    def total(self) -> int:
        return self.amount + self.total_interest


def monthly_interest(owed: int, rate_month_pct: float) -> int:
    """One month's interest on ``owed`` đồng, rounded to the đồng (half up)."""
    exact = Decimal(owed) * Decimal(str(rate_month_pct)) / 100
    return int(exact.to_integral_value(ROUND_HALF_UP))


def plan(amount: int, months: int, rate_month_pct: float, every: int) -> Plan:
    """Interest monthly on what is owed; principal in equal parts every ``every`` months (the
    last part at the end of the term, taking the remainder of the division)."""
    every = max(1, min(every, months))
    dues = [*range(every, months, every), months]
    part = amount // len(dues)
    periods: list[Period] = []
    owed, first = amount, 1
    for index, due in enumerate(dues):
        principal = owed if index == len(dues) - 1 else part
        periods.append(Period(first, due, owed, monthly_interest(owed, rate_month_pct), principal))
        owed, first = owed - principal, due + 1
    return Plan(amount, months, every, tuple(periods))

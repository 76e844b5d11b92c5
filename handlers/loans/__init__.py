"""Loans: programs, the calculator, amounts, eligibility."""

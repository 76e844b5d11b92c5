"""The loans feature's buttons: the program browser, the calculator, the eligibility check.

Each carries the bytes it has always carried, so that buttons already in people's chats keep
working: ``progs``, ``prog:poor``, ``pp:poor:d``, ``calc``, ``calc:poor:50000000:36``,
``calc:ethnic_minority:housing``, ``calc_cancel``, ``cp:poor::50000000:36:t``, ``el``,
``el:sppb``, ``el:sppbtn:l``. The fields are typed as the content defines them (ids,
one-letter codes) and the figures as the bot writes them (digits, no leading zero): any
other bytes are no button of ours and get dispatch's one "out of date" reply.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, ValidationError, model_validator

from handlers.core.actions import SEPARATOR, Action, ActionError
from handlers.core.types import MAX_ACTION_BYTES, digits

# As content/models.py defines them: a program (or a rule's program), a calculator line.
ProgramId = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,23}$")]
LineId = Annotated[str, Field(pattern=r"^(?:[a-z][a-z_]{0,15})?$")]  # "": a one-line program
# The parts of a program's card (handlers/loans/programs.py PARTS) and of a result
# (handlers/loans/calculator.py PARTS).
ProgramPart = Literal["c", "r", "d", "s", "l"]
EstimatePart = Literal["t", "l"]
# The answers so far of the eligibility check, a pair of one-letter codes per question
# (handlers/loans/eligibility_rules.py: a question's code, then its answer's or "-").
AnswerPairs = Annotated[str, Field(pattern=r"^(?:[a-z][a-z0-9-])*$")]

# A typed question's figures that ride on a "calc" button: today's presses read up to 15
# digits; a result's figures within the calculator's caps (13 digits, a term of 3).
TYPED_FIGURE_DIGITS = 15
AMOUNT_DIGITS = 13
MONTHS_DIGITS = 3


def _figure(most_digits: int) -> BeforeValidator:
    """An integer as the bot writes it in a button: ASCII digits, no sign, no leading zero,
    at most ``most_digits`` of them ("050", "+5", " 5" and "5_000" are not ours)."""
    written = re.compile(rf"0|[1-9][0-9]{{0,{most_digits - 1}}}")

    def check(value: object) -> int:
        if isinstance(value, bool):
            raise ValueError("not a figure")
        if isinstance(value, int) and value >= 0 and len(str(value)) <= most_digits:
            return value
        if isinstance(value, str) and written.fullmatch(value):
            return int(value)
        raise ValueError(f"not a figure of at most {most_digits} digits")

    return BeforeValidator(check)


TypedFigure = Annotated[int, _figure(TYPED_FIGURE_DIGITS)]
Amount = Annotated[int, _figure(AMOUNT_DIGITS)]
Months = Annotated[int, _figure(MONTHS_DIGITS)]


# --- the program browser ---------------------------------------------------------------


class ListPrograms(Action, prefix="progs"):
    """Every lending program as a button."""


class ShowProgram(Action, prefix="prog"):
    """One program's short card."""

    program: ProgramId


class ShowProgramPart(Action, prefix="pp"):
    """One part of a program's card: conditions, rate, documents, steps, legal basis."""

    program: ProgramId
    part: ProgramPart


# --- the calculator ----------------------------------------------------------------------


class Calculate(Action, prefix="calc"):
    """The calculator: ``calc`` (which program?), ``calc:<program>[:<line>]`` (that loan,
    from the amount), with a typed question's figures ``[:<amount>[:<months>]]`` filled in.

    The line sits between the program and the figures only when there is one: a program
    of one line has none, and no ``::`` is written for it (``calc:poor:50000000:36``). A
    line id begins with a letter, so it is never taken for an amount."""

    program: ProgramId | None = None
    line: LineId = ""
    amount: TypedFigure | None = None
    months: TypedFigure | None = None

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.program is None and (self.line or self.amount is not None):
            raise ValueError("a line or figures without a program")
        if self.amount is None and self.months is not None:
            raise ValueError("a term without an amount")
        return self

    def pack(self) -> str:
        fields = [
            self.program or "",
            self.line,
            "" if self.amount is None else str(self.amount),
            "" if self.months is None else str(self.months),
        ]
        packed = SEPARATOR.join((self.prefix, *(field for field in fields if field)))
        if len(packed.encode()) > MAX_ACTION_BYTES:
            raise ValueError(f"action over {MAX_ACTION_BYTES} bytes: {packed!r}")
        return packed

    @classmethod
    def unpack(cls, data: str) -> Self:
        prefix, _, rest = data.partition(SEPARATOR)
        if prefix != cls.prefix:
            raise ActionError(f"not a {cls.__name__}: {data!r}")
        parts = rest.split(SEPARATOR) if rest else []
        given: dict[str, str] = {}
        if parts:
            given["program"] = parts.pop(0)
        if parts and not digits(parts[0]):
            given["line"] = parts.pop(0)
        if len(parts) > 2:
            raise ActionError(f"too many fields for {cls.__name__}: {data!r}")
        given.update(zip(("amount", "months"), parts, strict=False))
        try:
            action = cls.model_validate(given)
        except ValidationError as error:
            raise ActionError(f"bad {cls.__name__}: {data!r}") from error
        if action.pack() != data:  # "calc:", "calc:poor::50000000": never written so
            raise ActionError(f"bad {cls.__name__}: {data!r}")
        return action


class CancelCalculation(Action, prefix="calc_cancel"):
    """Leave the calculator (pressed anywhere: it only says so outside it)."""


class ShowEstimatePart(Action, prefix="cp"):
    """One part of a result, rebuilt from the button alone: the repayment table or the legal
    basis. At the longest (program 24, line 16, amount 13 and term 3 characters) 64 bytes."""

    program: ProgramId
    line: LineId = ""
    amount: Amount
    months: Months
    part: EstimatePart


# --- the eligibility check ---------------------------------------------------------------


class CheckEligibility(Action, prefix="el"):
    """``el``: the first question; ``el:<pairs>``: the next for these answers, or the
    result; ``el:<pairs>:l``: the result's legal basis. No answer is stored anywhere: the
    button carries them all."""

    answers: AnswerPairs = ""
    part: Literal["l"] | None = None

"""What may happen to a report, in which state, by whom: the one table every change goes by.

The chat dialogs (moderation.py for moderators, report.py for reporters) and the staff console
ask the same questions here: which moves ``who`` may make on a report now (the buttons to
show), why a move is refused (the reply to give), and :func:`apply`, the only writer of a
report's state, which checks the table again before it writes. Nothing here speaks to a user.

A moderator acts on the reports of their areas (``common.visible_to``: the commune's,
the province's, the whole country's; misconduct of the commune apparatus is kept from the
commune); a reporter acts on their own report, and only by withdrawing it or answering a
question. The states are storage's (storage/reports.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.reports.common import (
    FORWARD_TARGETS,
    REJECT_REASONS,
    REPORTER,
    change_status,
    visible_to,
)
from storage import reports
from storage.report_models import Report, ReportEvent
from storage.reports import FORWARDED, IN_REVIEW, NEW, REJECTED, RESOLVED, WAITING, WITHDRAWN


class Move(enum.StrEnum):
    """Something done to a report that may change its state."""

    TAKE = "take"  # a moderator reviews it
    ASK = "ask"  # a moderator's question, relayed to the reporter
    FORWARD = "forward"  # to the police, the transaction office or the association, with a note
    RESOLVE = "resolve"  # with a note on what was done
    REJECT = "reject"  # with a reason: spam, a duplicate, nothing to act on
    WITHDRAW = "withdraw"  # the reporter takes it back
    ANSWER = "answer"  # the reporter answers; back to the moderator who asked
    # The reporter answers, but who asked no longer sees the report (role revoked or moved):
    # the answer stays with the report, which goes back to the queue, nobody's.
    ANSWER_REQUEUE = "answer_requeue"


class Party(enum.StrEnum):
    MODERATOR = "moderator"
    REPORTER = "reporter"


# state -> move -> the state after it. A move missing from a state's row is not allowed there.
TABLE: Mapping[str, Mapping[Move, str]] = {
    NEW: {
        Move.TAKE: IN_REVIEW,
        Move.REJECT: REJECTED,
        Move.WITHDRAW: WITHDRAWN,
    },
    IN_REVIEW: {
        Move.ASK: WAITING,
        Move.FORWARD: FORWARDED,
        Move.RESOLVE: RESOLVED,
        Move.REJECT: REJECTED,
        Move.WITHDRAW: WITHDRAWN,
    },
    WAITING: {
        Move.ASK: WAITING,
        Move.FORWARD: FORWARDED,
        Move.RESOLVE: RESOLVED,
        Move.REJECT: REJECTED,
        Move.WITHDRAW: WITHDRAWN,
        Move.ANSWER: IN_REVIEW,
        Move.ANSWER_REQUEUE: NEW,
    },
    FORWARDED: {
        Move.ASK: WAITING,
        Move.RESOLVE: RESOLVED,
        Move.REJECT: REJECTED,
        Move.WITHDRAW: WITHDRAWN,
    },
    RESOLVED: {},
    REJECTED: {},
    WITHDRAWN: {},
}


@dataclass(frozen=True)
class Rule:
    """What a move is, whatever the state: who makes it and what it writes besides the state."""

    by: Party
    audit: str  # the action's name in the audit log
    # The values it needs one of (a reason, a target) and the report's column that keeps it.
    choices: tuple[str, ...] = ()
    column: str | None = None
    # It asks the reporter: they must have agreed to be asked and still be reachable.
    asks_reporter: bool = False
    claims: bool = False  # the moderator who makes it becomes the one handling the report
    releases: bool = False  # nobody handles it any more


RULES: Mapping[Move, Rule] = {
    Move.TAKE: Rule(Party.MODERATOR, "report.take", claims=True),
    Move.ASK: Rule(Party.MODERATOR, "report.ask", asks_reporter=True, claims=True),
    Move.FORWARD: Rule(
        Party.MODERATOR, "report.forward", choices=FORWARD_TARGETS, column="forwarded_to"
    ),
    Move.RESOLVE: Rule(Party.MODERATOR, "report.resolve"),
    Move.REJECT: Rule(Party.MODERATOR, "report.reject", choices=REJECT_REASONS, column="reason"),
    Move.WITHDRAW: Rule(Party.REPORTER, "report.withdraw"),
    Move.ANSWER: Rule(Party.REPORTER, "report.answer"),
    Move.ANSWER_REQUEUE: Rule(Party.REPORTER, "report.answer", releases=True),
}


# --- who -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moderator:
    """A moderator (or an admin) with the areas they hold as one, read when they act."""

    actor: str  # "telegram:123", for the audit log
    areas: tuple[str | None, ...]

    @classmethod
    def of(cls, actor: str, areas: Sequence[str | None]) -> Moderator:
        return cls(actor, tuple(areas))


@dataclass(frozen=True)
class Reporter:
    """The person who sent a report (the row holding their data: linked channels share it)."""

    user_id: int


Who = Moderator | Reporter


def party(who: Who) -> Party:
    return Party.MODERATOR if isinstance(who, Moderator) else Party.REPORTER


def sees(who: Who, report: Report) -> bool:
    """May ``who`` see the report at all: one of the moderator's areas, or the reporter's own."""
    if isinstance(who, Moderator):
        return any(visible_to(area, report) for area in who.areas)
    return report.reporter_id is not None and report.reporter_id == who.user_id


# --- the questions ---------------------------------------------------------------------------


class Refusal(enum.StrEnum):
    """Why a move is not allowed, in the order it is checked."""

    NOT_YOURS = "not_yours"  # not of the moderator's areas, not the reporter's, not their move
    WRONG_STATE = "wrong_state"  # the report's state does not allow it (any more)
    NO_REPORTER = "no_reporter"  # it asks the reporter, who did not agree or cannot be reached
    BAD_CHOICE = "bad_choice"  # the reason or target it needs is missing or not one of them


def next_state(state: str, move: Move) -> str | None:
    """The state after ``move`` made in ``state``; None when the table does not allow it."""
    return TABLE.get(state, {}).get(move)


def refusal(who: Who, report: Report, move: Move, *, reachable: bool = True) -> Refusal | None:
    """Why ``who`` may not make ``move`` on ``report`` now; None when they may (a move with
    choices still needs one of them: :func:`apply` checks it). ``reachable``: the reporter
    can still be written to (their data not deleted; see :func:`reachable`)."""
    rule = RULES[move]
    if party(who) is not rule.by or not sees(who, report):
        return Refusal.NOT_YOURS
    if next_state(report.status, move) is None:
        return Refusal.WRONG_STATE
    if rule.asks_reporter and not (report.contact_ok and reachable):
        return Refusal.NO_REPORTER
    return None


def moves(who: Who, report: Report, *, reachable: bool = True) -> tuple[Move, ...]:
    """The moves ``who`` may make on ``report`` now, in the order of :class:`Move`."""
    return tuple(m for m in Move if refusal(who, report, m, reachable=reachable) is None)


async def reachable(session: AsyncSession, report: Report) -> bool:
    """Can the reporter still be written to (they have not deleted their data)?"""
    return await reports.reporter_of(session, report) is not None


async def check(session: AsyncSession, who: Who, report: Report, move: Move) -> Refusal | None:
    """:func:`refusal` now, reading whether the reporter can be reached when the move asks
    them (the guard of a button, before anything is typed or written)."""
    can_reach = await reachable(session, report) if RULES[move].asks_reporter else True
    return refusal(who, report, move, reachable=can_reach)


# --- the change ------------------------------------------------------------------------------


class NotAllowed(Exception):
    """:func:`apply` was asked for a move the table refuses."""

    def __init__(self, move: Move, why: Refusal) -> None:
        super().__init__(f"{move}: {why}")
        self.move, self.why = move, why


async def apply(
    session: AsyncSession,
    report: Report,
    move: Move,
    who: Who,
    now: dt.datetime,
    *,
    note: str | None = None,
    choice: str | None = None,
) -> ReportEvent:
    """Make ``move``: checked against the table, then the report, its history and the audit
    log written in the caller's transaction (``report`` read with ``lock=True``, so that two
    people acting at once take turns). Raises :class:`NotAllowed` when refused."""
    rule = RULES[move]
    why = await check(session, who, report, move)
    if why is None and (choice not in rule.choices if rule.choices else choice is not None):
        why = Refusal.BAD_CHOICE
    to = next_state(report.status, move)
    if why is not None or to is None:
        raise NotAllowed(move, why or Refusal.WRONG_STATE)
    actor = who.actor if isinstance(who, Moderator) else REPORTER
    fields: dict[str, Any] = {}
    if rule.column is not None:
        fields[rule.column] = choice
    if rule.claims:
        fields["taken_by"] = actor
    if rule.releases:
        fields["taken_by"] = None
    return await change_status(
        session, report, to, actor, rule.audit, now, note=note, public_detail=choice, **fields
    )

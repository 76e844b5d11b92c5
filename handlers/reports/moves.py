"""A moderator's move on a report, whatever the way in: chat (/xuly) or the staff console.

:func:`perform` is the one place a moderator's move is made: the transition table's check
(a refusal comes back as the :class:`~handlers.reports.transitions.Refusal`, for the caller to
put in words), the question kept with the report, the change itself (transitions.apply: state,
history, audit), a week's pause for a reporter whose report is rejected as spam, and the notice
the reporter gets through the outbox. The notes and questions moderators type are checked here
too (:func:`clean_text`), so chat and the console accept and refuse the same texts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from handlers.reports import transitions
from handlers.reports.actions import AnswerQuestion, ShowMyReport
from handlers.reports.common import FORWARD_TARGETS, REJECT_REASONS, notify_reporter
from handlers.reports.transitions import Moderator, Move, Refusal
from storage import report_limits, reports
from storage.report_models import Report, ReportEvent

# What a moderator types: a note with a forward or a resolution, a question for the reporter.
MIN_NOTE, MAX_NOTE = 3, 500
MIN_QUESTION, MAX_QUESTION = 5, 500

# The moves a moderator makes, with what each needs typed: (min, max) or None (nothing).
TYPED: dict[Move, tuple[int, int] | None] = {
    Move.TAKE: None,
    Move.ASK: (MIN_QUESTION, MAX_QUESTION),
    Move.FORWARD: (MIN_NOTE, MAX_NOTE),
    Move.RESOLVE: (MIN_NOTE, MAX_NOTE),
    Move.REJECT: None,
}
MODERATOR_MOVES = tuple(TYPED)
# The choice a move needs: where a report is forwarded, why it is rejected.
CHOICES: dict[Move, tuple[str, ...]] = {Move.FORWARD: FORWARD_TARGETS, Move.REJECT: REJECT_REASONS}

# The message each move sends the reporter (the question has its own, with an answer button).
_NOTICE: dict[Move, str] = {
    Move.TAKE: "report.note.in_review",
    Move.ASK: "report.note.question",
    Move.FORWARD: "report.note.forwarded",
    Move.RESOLVE: "report.note.resolved",
    Move.REJECT: "report.note.rejected",
}


@dataclass(frozen=True)
class TextProblem:
    """Why a typed text will not do: too short (below ``low``) or too long (above ``high``)."""

    too_long: bool
    low: int
    high: int
    length: int


def clean_text(move: Move, text: str) -> str | TextProblem:
    """The note or question typed for ``move``, with its spaces folded; or why it will not do."""
    bounds = TYPED.get(move)
    typed = " ".join(text.split())
    if bounds is None:
        return typed
    low, high = bounds
    if len(typed) < low or len(typed) > high:
        return TextProblem(len(typed) > high, low, high, len(typed))
    return typed


@dataclass(frozen=True)
class Done:
    """The move was made: the report's history entry it wrote."""

    event: ReportEvent


async def perform(
    session: AsyncSession,
    content: Content,
    me: Moderator,
    report: Report,
    move: Move,
    now: dt.datetime,
    *,
    text: str | None = None,
    choice: str | None = None,
    limit_key: str | None = None,
) -> Done | Refusal:
    """Make ``move`` on ``report`` (read with ``lock=True``) as ``me``, and tell the reporter.

    ``text``: the question (ASK) or the note (FORWARD, RESOLVE), already checked with
    :func:`clean_text`; ``choice``: the target (FORWARD) or the reason (REJECT);
    ``limit_key``: REPORT_LIMIT_KEY, for the pause after spam. Returns the refusal when the
    table does not allow it now (nothing written)."""
    if move not in TYPED:
        return Refusal.NOT_YOURS
    if (why := await transitions.check(session, me, report, move)) is not None:
        return why
    if move in CHOICES and choice not in CHOICES[move]:
        return Refusal.BAD_CHOICE
    if TYPED[move] is not None and not text:
        return Refusal.BAD_CHOICE
    report_id = report.id or 0
    view = (("report.button.view", ShowMyReport(report_id=report_id).pack()),)
    if move is Move.ASK:
        question = await reports.add_event(session, report_id, "question", now, detail=text)
        await transitions.apply(session, report, move, me, now, note=text)
        await notify_reporter(
            session,
            content,
            report,
            _NOTICE[move],
            question.id or 0,
            now,
            buttons=(("report.button.answer", AnswerQuestion(report_id=report_id).pack()),),
            question=text,
        )
        return Done(question)
    note = text if move in (Move.FORWARD, Move.RESOLVE) else None
    event = await transitions.apply(session, report, move, me, now, note=note, choice=choice)
    labels: dict[str, str] = {}
    if move is Move.FORWARD:
        labels["target"] = f"report.target.{choice}"
    if move is Move.REJECT:
        labels["reason"] = f"report.reason.{choice}"
        if choice == "spam":
            await _pause_reporter(session, report, now, limit_key)
    await notify_reporter(
        session,
        content,
        report,
        _NOTICE[move],
        event.id or 0,
        now,
        buttons=view,
        labels=labels or None,
    )
    return Done(event)


async def _pause_reporter(
    session: AsyncSession, report: Report, now: dt.datetime, limit_key: str | None
) -> None:
    """A week without new reports, for every channel the reporter linked."""
    reporter = await reports.reporter_of(session, report)
    if reporter is None:
        return
    key = await report_limits.limit_key(session, limit_key)
    hashes = await report_limits.person_hashes(session, key, reporter)
    await report_limits.record(session, hashes, report_limits.SPAM, now)

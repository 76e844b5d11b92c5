"""A report's story as moderators see it: every change of state, note, question, answer and
file, oldest first, whatever the channel that shows it (chat's /xuly or the staff console).

The changes come from the audit log (``report:<id>``: who, from, to, the note, the target or
the reason), the questions and answers from the report's history, the files from its evidence.
The reporter appears only as a party (:attr:`Entry.by_reporter`), never as a person: the page
or message names them by the report's pseudonymous handle.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.reports.common import REPORTER
from storage import audit, reports
from storage.report_models import Report

# The newest audit entries read: far more than a report ever has.
MAX_CHANGES = 200


class Kind(enum.StrEnum):
    CREATED = "created"  # the reporter sent it
    STATE = "state"  # a move changed its state (the note, target or reason with it)
    QUESTION = "question"  # a moderator's question, relayed to the reporter
    ANSWER = "answer"  # the reporter's answer
    FILE = "file"  # evidence sent with it


@dataclass(frozen=True)
class Entry:
    """One line of the story."""

    at: dt.datetime
    kind: Kind
    by_reporter: bool = False
    actor: str | None = None  # a moderator's "telegram:123"; None for the reporter
    before: str | None = None  # the state before (STATE)
    state: str | None = None  # the state after (CREATED, STATE)
    note: str | None = None  # the note typed with a forward or a resolution
    choice: str | None = None  # the forward's target or the rejection's reason
    text: str | None = None  # the question or the answer
    file: reports.FileInfo | None = None


async def of_report(session: AsyncSession, report: Report) -> list[Entry]:
    """Every entry of the report's story, oldest first."""
    report_id = report.id or 0
    found: list[Entry] = []
    for change in reversed(await audit.entries(session, f"report:{report_id}", limit=MAX_CHANGES)):
        detail = change.detail or {}
        by_reporter = change.actor == REPORTER
        actor = None if by_reporter else change.actor
        if change.action == "report.create":
            found.append(Entry(change.at, Kind.CREATED, True, state=str(detail.get("to", ""))))
            continue
        # An ask's note is the question, which is its own entry (below).
        note = None if change.action == "report.ask" else detail.get("note")
        choice = detail.get("forwarded_to") or detail.get("reason")
        found.append(
            Entry(
                change.at,
                Kind.STATE,
                by_reporter,
                actor,
                before=_text(detail.get("from")),
                state=_text(detail.get("to")),
                note=_text(note),
                choice=_text(choice),
            )
        )
    # A question is written at the very moment of its ask's audit entry, which says who asked.
    askers = {e.at: e.actor for e in found if e.kind is Kind.STATE and e.state == "waiting"}
    for event in await reports.events(session, report_id):
        if event.kind == "question":
            asker = askers.get(event.at)
            found.append(Entry(event.at, Kind.QUESTION, actor=asker, text=event.detail or ""))
        elif event.kind == "answer":
            found.append(Entry(event.at, Kind.ANSWER, True, text=event.detail or ""))
    for info, added in await reports.file_list(session, report_id):
        # Evidence is sent before the report is: shown with it, not before it.
        found.append(Entry(max(added, report.created_at), Kind.FILE, True, file=info))
    # At one moment: the report, its files, then a question or an answer, then the change.
    order = {Kind.CREATED: 0, Kind.FILE: 1, Kind.QUESTION: 2, Kind.ANSWER: 2, Kind.STATE: 3}
    found.sort(key=lambda e: (e.at, order[e.kind]))
    return found


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None

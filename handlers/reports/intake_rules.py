"""The rules of a citizen's report, with no dialog in them: its questions and their order, its
draft, what comes next, the daily cap and the cooldown after spam, a likely duplicate, danger
words, and the report a finished draft becomes (handlers/reports/intake.py asks the questions).

The step and draft values are the ones stored in ``conversation_states`` (flow ``report``): a
user in the middle of a report when the bot is upgraded goes on where they were.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from content.normalize import fold
from handlers.reports.common import (
    ACCUSED,
    CATEGORIES,
    REPORTER,
    WHEN_KEYS,
    escalated,
    is_misconduct,
    province_code,
)
from storage import audit, report_limits, reports
from storage.models import User
from storage.report_models import Report

FLOW_NAME = "report"


class Step(enum.StrEnum):
    """The report's questions, in the order they are asked: this order is the flow's."""

    DANGER = "danger"
    CONSENT = "consent"
    CATEGORY = "category"
    ACCUSED = "accused"
    PLACE = "place"
    WHEN = "when"
    STORY = "story"
    EVIDENCE = "evidence"
    CONTACT = "contact"
    SUMMARY = "summary"


ORDER: tuple[Step, ...] = tuple(Step)
# Asked before anything of the report is kept: not answers the summary offers to change.
PREAMBLE = frozenset({Step.DANGER, Step.CONSENT})
# Completes the answer before it: asked (and changed) together with that one.
FOLLOW_UPS = frozenset({Step.ACCUSED})
# The answers the summary offers to change, in the order they were asked.
EDITABLE: tuple[Step, ...] = tuple(
    step for step in ORDER if step not in PREAMBLE | FOLLOW_UPS and step is not Step.SUMMARY
)


def _one_of(*allowed: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{value!r} is none of {allowed}")
        return value

    return check


def _editable(step: Step) -> Step:
    if step not in EDITABLE:
        raise ValueError(f"{step} is no answer to change")
    return step


Category = Annotated[str, AfterValidator(_one_of(*CATEGORIES))]
Accused = Annotated[str, AfterValidator(_one_of(*ACCUSED))]
WhenChoice = Annotated[str, AfterValidator(_one_of(*WHEN_KEYS, "skip"))]
EditableStep = Annotated[Step, AfterValidator(_editable)]
YesNo = Literal["yes", "no"]


class Draft(BaseModel):
    """What the reporter entered so far, under the keys stored today."""

    danger: bool | None = None
    consent_at: dt.datetime | None = None
    category: Category | None = None
    accused: Accused | None = None
    commune: str | None = None  # a commune code from the directory
    place_text: str | None = None  # the place as typed, when the directory has no match
    pending_place: str | None = None  # typed, waiting for "keep as I typed"
    happened: str | None = None  # ":week" for a button's answer, or as typed
    story: str | None = None
    warned: bool = False  # the danger words' 113 advice was given once
    files: list[int] = []  # draft evidence files (storage/reports.py)
    contact: bool | None = None
    editing: bool = False  # changing one answer from the summary
    # A story told as free text before "Báo cáo việc này" (handlers/questions/story.py),
    # waiting for the story step, and when it was told (handlers/questions/kept_story.py).
    offered_story: str | None = None
    told_at: str | None = None


def applies(step: Step, draft: Draft) -> bool:
    """Is ``step`` asked of this draft? The category not when a story chose it already; who
    did it only for misconduct."""
    if step is Step.CATEGORY:
        return draft.category is None
    if step is Step.ACCUSED:
        return draft.category is not None and is_misconduct(draft.category)
    return True


def next_step(step: Step, draft: Draft) -> Step:
    """The question after ``step``: the next one in order that applies; back to the summary
    when the reporter was changing one answer (its follow-up, if it has one, comes first)."""
    following = next(s for s in ORDER[ORDER.index(step) + 1 :] if applies(s, draft))
    if draft.editing and following not in FOLLOW_UPS:
        return Step.SUMMARY
    return following


# --- what is typed ---------------------------------------------------------------------------

MIN_STORY, MAX_STORY = 20, 2000
MAX_PLACE = MAX_WHEN = 100
# Typed at the evidence step instead of pressing "done" (folded).
DONE_WORDS = ("xong", "done", "bo qua", "skip")

# Words that suggest someone is in danger now: the bot then repeats the 113 advice.
DANGER_WORDS = (
    "giet",
    "danh dap",
    "bi danh",
    "danh toi",
    "chem",
    "dam chet",
    "bat coc",
    "giu nguoi",
    "nhot",
    "tu tu",
    "tu sat",
    "dot nha",
    "axit",
    "sung",
    "kill",
    "beat",
    "kidnap",
    "suicide",
    "weapon",
    "gun",
)


def has_danger_words(text: str) -> bool:
    folded = f" {fold(text)} "
    return any(f" {word} " in folded for word in DANGER_WORDS)


def means_done(text: str) -> bool:
    return fold(text) in DONE_WORDS


# --- limits ----------------------------------------------------------------------------------

MAX_REPORTS_PER_DAY = 3  # within any 24 hours (report_limits.REPORT_WINDOW)
SPAM_COOLDOWN = report_limits.SPAM_PAUSE  # a week after a report rejected as spam


@dataclass(frozen=True)
class Refusal:
    """Why no report may be started or sent now: the daily cap, or the cooldown after a report
    rejected as spam, which ends at ``until``."""

    kind: Literal["cap", "cooldown"]
    until: dt.datetime | None = None


async def limit_hashes(session: AsyncSession, configured_key: str | None, user: User) -> list[str]:
    """The keyed hashes of the person's channel identities, which the limits count by."""
    key = await report_limits.limit_key(session, configured_key)
    return await report_limits.person_hashes(session, key, user)


async def refusal(session: AsyncSession, hashes: list[str], now: dt.datetime) -> Refusal | None:
    """The daily cap or the cooldown after spam; None when a report is welcome.

    Counted by keyed hashes of the person's identities, not by user id: deleting one's data
    (/dulieu) or writing from a linked channel resets neither (storage/report_limits.py).
    """
    since = now - report_limits.REPORT_WINDOW
    if await report_limits.reports_since(session, hashes, since) >= MAX_REPORTS_PER_DAY:
        return Refusal("cap")
    spam = await report_limits.last_spam(session, hashes, now - SPAM_COOLDOWN)
    if spam is not None:
        return Refusal("cooldown", spam + SPAM_COOLDOWN)
    return None


# --- duplicates ------------------------------------------------------------------------------

DUPLICATE_WINDOW = dt.timedelta(days=7)
DUPLICATE_SIMILARITY = 0.6  # of the folded texts (difflib ratio)


def similar(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, fold(a), fold(b)).ratio() >= DUPLICATE_SIMILARITY


def twin_of(report: Report, earlier: Iterable[Report]) -> Report | None:
    """The first of ``earlier`` telling much the same as ``report``."""
    return next(
        (r for r in earlier if r.id != report.id and similar(r.description, report.description)),
        None,
    )


# --- sending ---------------------------------------------------------------------------------


def is_complete(draft: Draft) -> bool:
    """Has the draft what a report must have (a restart or an old button may leave less)?"""
    return bool(draft.category and draft.story and draft.consent_at)


def new_report(draft: Draft, reporter_id: int, now: dt.datetime) -> Report:
    """The report a complete draft becomes (its codes are given when it is stored)."""
    category, story, consent_at = draft.category, draft.story, draft.consent_at
    if not (category and story and consent_at):
        raise ValueError("an incomplete draft is no report")
    code = draft.commune
    return Report(
        code="",
        handle="",
        reporter_id=reporter_id,
        category=category,
        accused=draft.accused if is_misconduct(category) else None,
        escalated=escalated(category, draft.accused),
        commune_code=code,
        province_code=province_code(code),
        place_text=draft.place_text,
        happened=draft.happened,
        description=story,
        danger=bool(draft.danger),
        contact_ok=bool(draft.contact),
        status=reports.NEW,
        consent_at=consent_at,
        created_at=now,
        touched_at=now,
    )


async def submit(
    session: AsyncSession, draft: Draft, reporter_id: int, hashes: list[str], now: dt.datetime
) -> Report:
    """Keep a complete draft as a new report: its files, the mark the daily cap counts, a link
    to a likely duplicate of the week in the same commune, its history and its audit entry."""
    report = new_report(draft, reporter_id, now)
    await reports.create(session, report)
    await report_limits.record(session, hashes, report_limits.REPORT, now)
    await reports.attach_files(session, report.id or 0, reporter_id, draft.files)
    if report.commune_code:
        earlier = await reports.recent_in_commune(
            session, report.commune_code, report.category, now - DUPLICATE_WINDOW
        )
        twin = twin_of(report, earlier)
        if twin is not None:
            await reports.touch(session, report, now, duplicate_of=twin.duplicate_of or twin.id)
    await reports.add_event(session, report.id or 0, "status", now, status=reports.NEW)
    # The report's first audit entry: no reporter identity, as in every other.
    await audit.record(
        session,
        REPORTER,
        "report.create",
        f"report:{report.id}",
        {
            "to": reports.NEW,
            "category": report.category,
            "commune": report.commune_code,
            "escalated": report.escalated,
            "duplicate_of": report.duplicate_of,
        },
        now,
    )
    return report

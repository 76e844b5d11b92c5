"""/xuly: moderators review the reports of their area.

The queue lists open reports of the moderator's areas, oldest first, with counts by state,
filters by state and category, and a mark on reports untouched for three days. A report opens
with its evidence re-sent (the stored, cleaned copy, uploaded again) and the moves the state
allows now (handlers/reports/transitions.py: take, ask, forward, resolve, reject; a reporter
may withdraw). Each change is checked against the moderator's areas when it is made, written
to the audit log, and told to the reporter in plain words through the outbox. Moderators see a
pseudonymous handle, never who the reporter is. The buttons are in moderation_actions.py; each
move is made by moves.py, which the staff console calls too, and a report's story is read by
timeline.py.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from handlers.account.console_link import console_button
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.flows import Flow
from handlers.core.types import Button, Media, Reply
from handlers.reports import desk, moves, timeline, transitions
from handlers.reports.common import (
    CATEGORIES,
    category_label,
    notify_person,
    place_label,
    short_date,
    untouched_days,
    when_label,
)
from handlers.reports.moderation_actions import (
    AskReporter,
    Category,
    ForwardReport,
    ForwardTarget,
    OneReport,
    OpenReport,
    PickCategory,
    QueueFilter,
    RejectReason,
    RejectReport,
    ResolveReport,
    ShowQueue,
    TakeReport,
)
from handlers.reports.moves import MAX_NOTE, MAX_QUESTION
from handlers.reports.transitions import Moderator, Move, Refusal
from storage import report_queue, reports
from storage import roles as role_store
from storage.report_models import Report

ROLE = "moderator"
PAGE = 8
DRAFT_RETENTION = dt.timedelta(days=1)  # evidence of reports never sent
FILTERS = get_args(QueueFilter)  # "open", "closed" and each state
# The states the queue has a button for, with their counts.
_STATE_TABS: tuple[QueueFilter, ...] = ("new", "in_review", "waiting", "forwarded")


class Step(enum.StrEnum):
    """What the moderator is typing: a question for the reporter, or a note."""

    ASK = "ask"
    FORWARD = "forward"
    RESOLVE = "resolve"


class Draft(BaseModel):
    report: int | None = None
    target: ForwardTarget | None = None  # where a forwarded report goes


# Each step is entered from a button of one report and left once its text is taken.
FLOW = Flow("xuly", Step, Draft, order=(Step.ASK, Step.FORWARD, Step.RESOLVE))

# The button of each move a moderator makes, in the order they are shown.
_BUTTONS: tuple[tuple[Move, str, type[OneReport]], ...] = (
    (Move.TAKE, "moderation.button.take", TakeReport),
    (Move.ASK, "moderation.button.ask", AskReporter),
    (Move.FORWARD, "moderation.button.forward", ForwardReport),
    (Move.RESOLVE, "moderation.button.resolve", ResolveReport),
    (Move.REJECT, "moderation.button.reject", RejectReport),
)


# --- access ----------------------------------------------------------------------------------


async def _me(ctx: Context) -> Moderator:
    """The moderator with the areas they hold now (read at each press: a revoke is at once)."""
    return Moderator.of(roles.actor(ctx), await roles.areas_of(ctx, ROLE))


async def _report(ctx: Context, report_id: int | None) -> tuple[Report, Moderator] | None:
    """The report, if one of the moderator's areas sees it (checked now), and the moderator."""
    report = await reports.get(ctx.session, report_id, lock=True) if report_id else None
    if report is None:
        return None
    me = await _me(ctx)
    return (report, me) if transitions.sees(me, report) else None


def _label(ctx: Context, status: str) -> str:
    return ctx.t(f"moderation.state.{status}")


def _queue_button(ctx: Context) -> tuple[Button, ...]:
    return (ctx.button("moderation.button.queue", ShowQueue()),)


# --- the queue -------------------------------------------------------------------------------


async def queue_command(ctx: Context, text: str) -> list[Reply]:
    """/xuly [STATE [CATEGORY]]: the queue of my areas."""
    words = text.split()
    query = ShowQueue.model_validate(
        {
            "state": words[0] if words and words[0] in FILTERS else None,
            "category": words[1] if len(words) > 1 and words[1] in CATEGORIES else None,
        }
    )
    if not await roles.areas_of(ctx, ROLE):
        return roles.unknown_command(ctx, "xuly")
    return await _queue(ctx, query)


async def show_queue(ctx: Context, action: ShowQueue) -> list[Reply]:
    """The queue, filtered, a page at a time."""
    if not await roles.areas_of(ctx, ROLE):
        return roles.unknown_action(ctx)
    return await _queue(ctx, action)


async def _queue(ctx: Context, query: ShowQueue) -> list[Reply]:
    """The reports of my areas in the state asked for, oldest first, after the report
    ``query.after``."""
    wanted, category, after_id = query.state or "open", query.category, query.after
    areas = await roles.areas_of(ctx, ROLE)
    if FLOW.active(ctx):
        await ctx.leave_flow()
    statuses = desk.statuses(wanted)
    # The next page follows the last report shown; one gone meanwhile (deleted with its
    # reporter's data) just starts the queue again.
    # The same queue the staff console reads (storage/report_queue.py), eight at a time.
    after = await reports.get(ctx.session, after_id) if after_id is not None else None
    wanted_reports = report_queue.Filter(areas=areas, statuses=statuses, category=category)
    counts = await report_queue.counts(ctx.session, wanted_reports)
    cursor = report_queue.Cursor(after.created_at, after.id or 0) if after else None
    page = await report_queue.page(ctx.session, wanted_reports, after=cursor, size=PAGE)
    more, found = page.more_after, page.reports
    shown_before = (
        await report_queue.position(ctx.session, wanted_reports, found[0]) if found else 0
    )
    names = ", ".join(
        roles.area_name(a, ctx.t("officials.whole_country"), with_code=False) for a in areas
    )
    lines = [
        ctx.t(
            "moderation.queue_title",
            areas=names,
            counts=" · ".join(f"{_label(ctx, s)}: {counts.get(s, 0)}" for s in reports.OPEN),
        ),
        ctx.t(
            "moderation.queue_filter",
            state=_label(ctx, wanted),
            category=category_label(ctx.content, category, ctx.lang)
            if category
            else ctx.t("moderation.all_categories"),
        ),
    ]
    rows: list[tuple[Button, ...]] = []
    for report in found:
        idle = untouched_days(report, ctx.now)
        flag = ctx.t("moderation.untouched", days=idle) if idle is not None else ""
        lines.append(
            ctx.t(
                "moderation.queue_line",
                id=report.id,
                state=_label(ctx, report.status),
                category=category_label(ctx.content, report.category, ctx.lang),
                place=place_label(ctx.content, report, ctx.lang),
                date=short_date(report.created_at, ctx.timezone, ctx.lang),
            )
            + (f" {flag}" if flag else "")
        )
        label = f"#{report.id} · {category_label(ctx.content, report.category, ctx.lang)}"
        rows.append((Button(label[:60], OpenReport(report=report.id or 0).pack()),))
    if not found:
        lines.append(ctx.t("moderation.queue_empty"))
    elif more or after:
        total = sum(counts.get(s, 0) for s in statuses)
        first = shown_before + 1
        lines.append(
            ctx.t("moderation.queue_page", first=first, last=first + len(found) - 1, total=total)
        )
    paging: list[Button] = []
    if after:
        first_page = ShowQueue(state=wanted, category=category)
        paging.append(ctx.button("moderation.button.first_page", first_page))
    if more:
        next_page = ShowQueue(state=wanted, category=category, after=found[-1].id)
        paging.append(ctx.button("moderation.button.next_page", next_page))
    if paging:
        rows.append(tuple(paging))
    rows.append(
        tuple(
            Button(
                f"{_label(ctx, s)} ({counts.get(s, 0)})",
                ShowQueue(state=s, category=category).pack(),
            )
            for s in _STATE_TABS
        )
    )
    rows.append(
        (
            ctx.button("moderation.button.all_open", ShowQueue(state="open", category=category)),
            ctx.button("moderation.button.closed", ShowQueue(state="closed", category=category)),
        )
    )
    rows.append((ctx.button("moderation.button.by_category", PickCategory(state=wanted)),))
    rows.append(console_button(ctx))
    rows.append(ctx.menu_row())
    return [Reply("\n".join(lines), tuple(rows))]


async def choose_category(ctx: Context, action: PickCategory) -> list[Reply]:
    """Pick a category to filter the queue of a state by."""
    if not await roles.areas_of(ctx, ROLE):
        return roles.unknown_action(ctx)
    wanted = action.state or "open"
    rows = [
        (
            Button(
                category_label(ctx.content, c, ctx.lang),
                ShowQueue(state=wanted, category=c).pack(),
            ),
        )
        for c in get_args(Category)
    ]
    rows.append((ctx.button("moderation.all_categories", ShowQueue(state=wanted)),))
    return [ctx.reply("moderation.pick_category", rows)]


# --- one report ------------------------------------------------------------------------------


def _back(ctx: Context, report: Report) -> tuple[Button, ...]:
    return (ctx.button("moderation.button.back_report", OpenReport(report=report.id or 0)),)


def _actions(
    ctx: Context, report: Report, me: Moderator, reachable: bool
) -> list[tuple[Button, ...]]:
    """A button for each move the table allows this moderator now, then the way back."""
    allowed = transitions.moves(me, report, reachable=reachable)
    rows: list[tuple[Button, ...]] = [
        (ctx.button(key, button(report=report.id or 0)),)
        for move, key, button in _BUTTONS
        if move in allowed
    ]
    rows.append(_queue_button(ctx))
    return rows


async def _report_text(ctx: Context, report: Report, me: Moderator, reachable: bool) -> str:
    lang = ctx.lang
    parts = [
        ctx.t(
            "moderation.report",
            id=report.id,
            state=_label(ctx, report.status),
            handle=report.handle,
            category=category_label(ctx.content, report.category, lang),
            place=place_label(ctx.content, report, lang),
            when=when_label(ctx.content, report.happened, lang),
            date=short_date(report.created_at, ctx.timezone, lang),
        )
    ]
    if report.accused:
        parts.append(ctx.t("moderation.accused", accused=ctx.t(f"report.accused.{report.accused}")))
    if report.escalated:
        parts.append(ctx.t("moderation.escalated"))
    if report.danger:
        parts.append(ctx.t("moderation.danger"))
    if report.duplicate_of:
        # Named only to whom may open it: the twin may be misconduct kept from the commune.
        twin = await reports.get(ctx.session, report.duplicate_of)
        if twin is not None and transitions.sees(me, twin):
            parts.append(ctx.t("moderation.duplicate", other=report.duplicate_of))
    if not reachable:
        parts.append(ctx.t("moderation.unreachable"))
    elif report.contact_ok:
        parts.append(ctx.t("moderation.contact_yes"))
    else:
        parts.append(ctx.t("moderation.contact_no"))
    if (idle := untouched_days(report, ctx.now)) is not None:
        parts.append(ctx.t("moderation.untouched", days=idle))
    text = "\n".join(parts) + "\n\n" + ctx.t("moderation.story", story=report.description)
    history = []
    for entry in await timeline.of_report(ctx.session, report):
        date = short_date(entry.at, ctx.timezone, lang)
        if entry.kind is timeline.Kind.QUESTION:
            history.append(ctx.t("moderation.history.question", date=date, text=entry.text or ""))
        elif entry.kind is timeline.Kind.ANSWER:
            history.append(ctx.t("moderation.history.answer", date=date, text=entry.text or ""))
        elif entry.kind is timeline.Kind.STATE and entry.note:
            state = _label(ctx, entry.state or "")
            history.append(
                ctx.t("moderation.history.note", date=date, state=state, text=entry.note)
            )
    if history:
        text += "\n\n" + "\n".join(history)
    return text


async def show_report(ctx: Context, action: OpenReport) -> list[Reply]:
    """The report, its evidence re-sent, and what can be done now."""
    found = await _report(ctx, action.report)
    if found is None:
        return roles.unknown_action(ctx)
    report, me = found
    if FLOW.active(ctx):
        await ctx.leave_flow()
    reachable = await transitions.reachable(ctx.session, report)
    replies = [Reply(await _report_text(ctx, report, me, reachable))]
    files = await reports.files_of(ctx.session, report.id or 0)
    if files:
        media = tuple(
            Media(
                f.kind,
                f.file_name,
                f.data,
                ctx.t("moderation.file_caption", id=report.id, n=i, total=len(files)),
            )
            for i, f in enumerate(files, start=1)
        )
        replies.append(Reply("", media=media))
    replies.append(
        ctx.reply(
            "moderation.what_now",
            _actions(ctx, report, me, reachable),
            files=len(files),
        )
    )
    return replies


def _refused(ctx: Context, report: Report, why: Refusal) -> list[Reply]:
    """The table's refusal in words."""
    if why is Refusal.NOT_YOURS:
        return roles.unknown_action(ctx)
    if why is Refusal.NO_REPORTER:
        return [ctx.reply("moderation.cannot_ask", [_back(ctx, report)], id=report.id)]
    return [
        ctx.reply(
            "moderation.wrong_state",
            [_back(ctx, report)],
            id=report.id,
            state=_label(ctx, report.status),
        )
    ]


async def _may_move(
    ctx: Context, report_id: int, move: Move
) -> tuple[Report, Moderator] | list[Reply]:
    """The report and the moderator when the table allows ``move`` now; else the reply."""
    found = await _report(ctx, report_id)
    if found is None:
        return roles.unknown_action(ctx)
    report, me = found
    if (why := await transitions.check(ctx.session, me, report, move)) is not None:
        return _refused(ctx, report, why)
    return report, me


async def take(ctx: Context, action: TakeReport) -> list[Reply]:
    """I review this report."""
    checked = await _may_move(ctx, action.report, Move.TAKE)
    if isinstance(checked, list):
        return checked
    report, me = checked
    done = await _perform(ctx, me, report, Move.TAKE)
    if isinstance(done, list):
        return done
    return [ctx.reply("moderation.taken", [_back(ctx, report), ctx.menu_row()], id=report.id)]


async def ask(ctx: Context, action: AskReporter) -> list[Reply]:
    """Type a question; the bot relays it to the reporter."""
    checked = await _may_move(ctx, action.report, Move.ASK)
    if isinstance(checked, list):
        return checked
    report, _ = checked
    await FLOW.enter(ctx, Step.ASK, Draft(report=report.id))
    return [ctx.reply("moderation.ask_prompt", [_back(ctx, report)], max=MAX_QUESTION)]


async def forward(ctx: Context, action: ForwardReport) -> list[Reply]:
    """Where to; with a target: then a note."""
    checked = await _may_move(ctx, action.report, Move.FORWARD)
    if isinstance(checked, list):
        return checked
    report, _ = checked
    if action.target is None:
        rows = [
            [ctx.button(f"report.target.{t}", ForwardReport(report=action.report, target=t))]
            for t in get_args(ForwardTarget)
        ]
        return [ctx.reply("moderation.pick_target", [*rows, _back(ctx, report)], id=report.id)]
    await FLOW.enter(ctx, Step.FORWARD, Draft(report=report.id, target=action.target))
    return [
        ctx.reply(
            "moderation.note_prompt_forward",
            [_back(ctx, report)],
            target=ctx.t(f"report.target.{action.target}"),
            max=MAX_NOTE,
        )
    ]


async def resolve(ctx: Context, action: ResolveReport) -> list[Reply]:
    """A note on what was done, then resolved."""
    checked = await _may_move(ctx, action.report, Move.RESOLVE)
    if isinstance(checked, list):
        return checked
    report, _ = checked
    await FLOW.enter(ctx, Step.RESOLVE, Draft(report=report.id))
    return [ctx.reply("moderation.note_prompt_resolve", [_back(ctx, report)], max=MAX_NOTE)]


async def reject(ctx: Context, action: RejectReport) -> list[Reply]:
    """Why; with a reason: rejected at once."""
    checked = await _may_move(ctx, action.report, Move.REJECT)
    if isinstance(checked, list):
        return checked
    report, me = checked
    reason = action.reason
    if reason is None:
        rows = [
            [ctx.button(f"moderation.reason.{r}", RejectReport(report=action.report, reason=r))]
            for r in get_args(RejectReason)
        ]
        return [ctx.reply("moderation.pick_reason", [*rows, _back(ctx, report)], id=report.id)]
    done = await _perform(ctx, me, report, Move.REJECT, choice=reason)
    if isinstance(done, list):
        return done
    return [ctx.reply("moderation.rejected", [_queue_button(ctx), ctx.menu_row()], id=report.id)]


async def _perform(
    ctx: Context,
    me: Moderator,
    report: Report,
    move: Move,
    text: str | None = None,
    choice: str | None = None,
) -> moves.Done | list[Reply]:
    """The move made by the service chat and the console share; or the refusal in words."""
    done = await moves.perform(
        ctx.session,
        ctx.content,
        me,
        report,
        move,
        ctx.now,
        text=text,
        choice=choice,
        limit_key=ctx.report_limit_key,
    )
    if isinstance(done, Refusal):
        if FLOW.active(ctx):
            await ctx.leave_flow()
        return _refused(ctx, report, done)
    return done


# --- what the moderator types --------------------------------------------------------------


async def _typed(
    ctx: Context, text: str, move: Move
) -> tuple[str, Report, Moderator] | list[Reply]:
    """The text of the step, with its report; or the reply when either will not do."""
    found = await _report(ctx, FLOW.draft(ctx).report)
    if found is None:
        await ctx.leave_flow()
        return roles.unknown_action(ctx)
    report, me = found
    typed = moves.clean_text(move, text)
    if isinstance(typed, moves.TextProblem):
        if typed.too_long:
            return [
                ctx.reply(
                    "moderation.text_long",
                    [_back(ctx, report)],
                    max=typed.high,
                    length=typed.length,
                )
            ]
        return [ctx.reply("moderation.text_short", [_back(ctx, report)], min=typed.low)]
    return typed, report, me


@FLOW.on_text(Step.ASK)
async def question_text(ctx: Context, text: str) -> list[Reply]:
    """The moderator's question: relayed to the reporter, who may answer."""
    got = await _typed(ctx, text, Move.ASK)
    if isinstance(got, list):
        return got
    typed, report, me = got
    done = await _perform(ctx, me, report, Move.ASK, text=typed)
    if isinstance(done, list):
        return done
    await ctx.leave_flow()
    return [ctx.reply("moderation.asked", [_back(ctx, report), ctx.menu_row()], id=report.id)]


@FLOW.on_text(Step.FORWARD)
async def forward_text(ctx: Context, text: str) -> list[Reply]:
    """The note that goes with a forwarded report; the reporter learns where it went."""
    got = await _typed(ctx, text, Move.FORWARD)
    if isinstance(got, list):
        return got
    typed, report, me = got
    target = FLOW.draft(ctx).target
    if target is None:
        await ctx.leave_flow()
        return _refused(ctx, report, Refusal.WRONG_STATE)
    done = await _perform(ctx, me, report, Move.FORWARD, text=typed, choice=target)
    if isinstance(done, list):
        return done
    await ctx.leave_flow()
    return [ctx.reply("moderation.forwarded", [_back(ctx, report), ctx.menu_row()], id=report.id)]


@FLOW.on_text(Step.RESOLVE)
async def resolve_text(ctx: Context, text: str) -> list[Reply]:
    """The note on what was done; the report is resolved."""
    got = await _typed(ctx, text, Move.RESOLVE)
    if isinstance(got, list):
        return got
    typed, report, me = got
    done = await _perform(ctx, me, report, Move.RESOLVE, text=typed)
    if isinstance(done, list):
        return done
    await ctx.leave_flow()
    return [ctx.reply("moderation.resolved", [_queue_button(ctx), ctx.menu_row()], id=report.id)]


@FLOW.on_text()
async def other_text(ctx: Context, text: str) -> list[Reply]:
    """Text at a step this version does not know: the flow is over."""
    await ctx.leave_flow()
    return roles.unknown_action(ctx)


# --- the daily digest --------------------------------------------------------------------------


async def plan_digest(
    session: AsyncSession, content: Content, now: dt.datetime, tz: ZoneInfo
) -> int:
    """Queue, once per local day, each moderator's count of new reports in their areas."""
    today = now.astimezone(tz).date()
    areas: dict[str, set[str | None]] = {}
    for grant in await role_store.list_roles(session):
        if grant.role == ROLE:
            areas.setdefault(f"{grant.channel}:{grant.channel_user_id}", set()).add(grant.area_code)
    queued = 0
    for who, held in sorted(areas.items()):
        count, oldest = await reports.new_in_areas(session, sorted(held, key=lambda a: a or ""))
        if not count or oldest is None:
            continue
        if await notify_person(
            session,
            content,
            who,
            f"report-digest:{today.isoformat()}:{who}",
            "moderation.digest",
            now,
            buttons=(("moderation.button.open_queue", ShowQueue(state="new").pack()),),
            count=count,
            oldest=oldest.astimezone(tz).strftime("%d/%m/%Y"),
        ):
            queued += 1
    await reports.prune_drafts(session, now - DRAFT_RETENTION)
    return queued

"""/tracuu and a reporter's own report: its state, withdrawing it, answering a moderator.

``/tracuu CODE`` shows the state and the history to the reporter and only the state to anybody
else; with no code, my reports and a prompt for one (flow ``tracuu``). The reporter can withdraw
an open report, and answers moderators' questions through the bot (flow ``report_answer``),
which relays them without saying who anyone is.
"""

from __future__ import annotations

import enum

from pydantic import BaseModel

from handlers.core.context import Context
from handlers.core.flows import Flow, NoDraft
from handlers.core.types import Button, Reply
from handlers.questions import answers
from handlers.reports import transitions
from handlers.reports.actions import (
    AnswerQuestion,
    ConfirmWithdraw,
    RowId,
    ShowMyReport,
    WithdrawReport,
)
from handlers.reports.common import (
    category_label,
    handling_moderator,
    notify_person,
    place_label,
    short_date,
    state_label,
)
from handlers.reports.moderation_actions import OpenReport
from handlers.reports.transitions import Move
from storage import reports
from storage.report_models import Report, ReportEvent

MIN_ANSWER, MAX_ANSWER = 2, 1000


class TrackStep(enum.StrEnum):
    CODE = "code"


class AnswerStep(enum.StrEnum):
    ANSWER = "answer"


class AnswerDraft(BaseModel):
    report: RowId | None = None  # the id of the report whose question is answered


TRACK = Flow("tracuu", TrackStep, NoDraft, order=(TrackStep.CODE,))
ANSWER = Flow("report_answer", AnswerStep, AnswerDraft, order=(AnswerStep.ANSWER,))


def _stale_button(ctx: Context) -> list[Reply]:
    return [ctx.reply("error.stale_button", [ctx.menu_row()])]


# --- /tracuu ---------------------------------------------------------------------------------


async def command(ctx: Context, text: str) -> list[Reply]:
    """/tracuu [CODE]: a report's state; with no code, my reports and a prompt for one."""
    if text:
        return await _by_code(ctx, text)
    mine = await reports.of_reporter(ctx.session, ctx.user.id or 0)
    await TRACK.enter(ctx, TrackStep.CODE)
    rows = [
        (
            Button(
                f"{r.code} · {state_label(ctx.content, r.status, ctx.lang)}"[:60],
                ShowMyReport(report_id=r.id or 0).pack(),
            ),
        )
        for r in mine
    ]
    key = "report.track_ask_mine" if mine else "report.track_ask"
    return [ctx.reply(key, [*rows, ctx.menu_row()])]


@TRACK.on_text(TrackStep.CODE)
async def code_text(ctx: Context, typed: str) -> list[Reply]:
    """A code typed after /tracuu; a question instead goes to the answers, not lost here."""
    if reports.normalize_code(typed) is None and (
        len(typed.split()) > 2 or answers.is_question(ctx, typed)
    ):
        await ctx.leave_flow()
        return await answers.ask(ctx, typed)
    return await _by_code(ctx, typed)


async def _by_code(ctx: Context, typed: str) -> list[Reply]:
    code = reports.normalize_code(typed)
    report = await reports.by_code(ctx.session, code) if code else None
    if report is None:
        await TRACK.enter(ctx, TrackStep.CODE)
        return [ctx.reply("report.code_unknown", [ctx.menu_row()], length=reports.CODE_LENGTH)]
    await ctx.leave_flow()
    if report.reporter_id is not None and report.reporter_id == ctx.user.id:
        return await _reporter_view(ctx, report)
    # Anybody else holding a code learns the state, nothing more.
    return [
        ctx.reply(
            "report.code_state",
            [ctx.menu_row()],
            code=report.code,
            state=state_label(ctx.content, report.status, ctx.lang),
        )
    ]


# --- my report -------------------------------------------------------------------------------


async def _mine(ctx: Context, report_id: int | None) -> Report | None:
    """The report of this id, locked, if this user sent it."""
    report = await reports.get(ctx.session, report_id, lock=True) if report_id else None
    if report is None or report.reporter_id is None or report.reporter_id != ctx.user.id:
        return None
    return report


async def show_mine(ctx: Context, action: ShowMyReport) -> list[Reply]:
    """My report with its history."""
    report = await _mine(ctx, action.report_id)
    if report is None:
        return _stale_button(ctx)
    return await _reporter_view(ctx, report)


def _history_line(ctx: Context, event: ReportEvent) -> str:
    date = short_date(event.at, ctx.timezone, ctx.lang)
    if event.kind == "question":
        return ctx.t("report.history.question", date=date, question=event.detail or "")
    if event.kind == "answer":
        return ctx.t("report.history.answer", date=date)
    if event.status == reports.FORWARDED and event.detail:
        target = ctx.content.text(f"report.target.{event.detail}", ctx.lang)
        return ctx.t("report.history.forwarded", date=date, target=target)
    if event.status == reports.REJECTED and event.detail:
        reason = ctx.content.text(f"report.reason.{event.detail}", ctx.lang)
        return ctx.t("report.history.rejected", date=date, reason=reason)
    state = state_label(ctx.content, event.status or "", ctx.lang)
    return ctx.t("report.history.status", date=date, state=state)


def _me(ctx: Context) -> transitions.Reporter:
    return transitions.Reporter(ctx.user.id or 0)


async def _reporter_view(ctx: Context, report: Report) -> list[Reply]:
    history = await reports.events(ctx.session, report.id or 0)
    lines = "\n".join(_history_line(ctx, e) for e in history)
    text = ctx.t(
        "report.mine",
        code=report.code,
        category=category_label(ctx.content, report.category, ctx.lang),
        place=place_label(ctx.content, report, ctx.lang),
        date=short_date(report.created_at, ctx.timezone, ctx.lang),
        state=state_label(ctx.content, report.status, ctx.lang),
    )
    report_id = report.id or 0
    rows: list[tuple[Button, ...]] = []
    allowed = transitions.moves(_me(ctx), report)
    if Move.ANSWER in allowed:
        rows.append((ctx.button("report.button.answer", AnswerQuestion(report_id=report_id)),))
    if Move.WITHDRAW in allowed:
        rows.append((ctx.button("report.button.withdraw", WithdrawReport(report_id=report_id)),))
    rows.append(ctx.menu_row())
    return [Reply(f"{text}\n\n{lines}", tuple(rows))]


# --- withdrawing -----------------------------------------------------------------------------


async def withdraw(ctx: Context, action: WithdrawReport) -> list[Reply]:
    """Ask once more before withdrawing."""
    report = await _mine(ctx, action.report_id)
    if report is None:
        return _stale_button(ctx)
    if transitions.refusal(_me(ctx), report, Move.WITHDRAW) is not None:
        return await _reporter_view(ctx, report)
    report_id = report.id or 0
    return [
        ctx.reply(
            "report.withdraw_confirm",
            [
                [ctx.button("report.button.withdraw_yes", ConfirmWithdraw(report_id=report_id))],
                [ctx.button("report.button.withdraw_no", ShowMyReport(report_id=report_id))],
            ],
            code=report.code,
        )
    ]


async def withdraw_confirmed(ctx: Context, action: ConfirmWithdraw) -> list[Reply]:
    """The report is closed as withdrawn; its moderator hears of it."""
    report = await _mine(ctx, action.report_id)
    if report is None:
        return _stale_button(ctx)
    if transitions.refusal(_me(ctx), report, Move.WITHDRAW) is not None:
        return await _reporter_view(ctx, report)
    event = await transitions.apply(ctx.session, report, Move.WITHDRAW, _me(ctx), ctx.now)
    moderator = await handling_moderator(ctx.session, report)
    if moderator is not None:
        await notify_person(
            ctx.session,
            ctx.content,
            moderator,
            f"report:{report.id}:ev{event.id}:moderator",
            "moderation.note.withdrawn",
            ctx.now,
            buttons=(("moderation.button.open", OpenReport(report=report.id or 0).pack()),),
            id=report.id,
            handle=report.handle,
        )
    if ANSWER.active(ctx) or TRACK.active(ctx):
        await ctx.leave_flow()
    return [ctx.reply("report.withdrawn", [ctx.menu_row()], code=report.code)]


# --- answering a moderator's question --------------------------------------------------------


async def answer(ctx: Context, action: AnswerQuestion) -> list[Reply]:
    """Answer a moderator's question; the bot relays it."""
    report = await _mine(ctx, action.report_id)
    if report is None:
        return _stale_button(ctx)
    if transitions.refusal(_me(ctx), report, Move.ANSWER) is not None:
        return [ctx.reply("report.no_question", [ctx.menu_row()], code=report.code)]
    await ANSWER.enter(ctx, AnswerStep.ANSWER, AnswerDraft(report=report.id))
    return [ctx.reply("report.ask_answer", [ctx.menu_row()], max=MAX_ANSWER)]


@ANSWER.on_text(AnswerStep.ANSWER)
async def answer_text(ctx: Context, typed: str) -> list[Reply]:
    """The reporter's answer: stored with the report, relayed to the moderator who asked."""
    typed = typed.strip()
    report = await _mine(ctx, ANSWER.draft(ctx).report)
    if report is None or transitions.refusal(_me(ctx), report, Move.ANSWER) is not None:
        await ctx.leave_flow()
        return _stale_button(ctx)
    if len(typed) < MIN_ANSWER:
        return [ctx.reply("report.answer_empty", [ctx.menu_row()])]
    if len(typed) > MAX_ANSWER:
        return [
            ctx.reply("report.answer_long", [ctx.menu_row()], max=MAX_ANSWER, length=len(typed))
        ]
    answered = await reports.add_event(ctx.session, report.id or 0, "answer", ctx.now, detail=typed)
    moderator = await handling_moderator(ctx.session, report)
    # Who asked may have lost the role: then the report goes back to the queue.
    move = Move.ANSWER if moderator is not None else Move.ANSWER_REQUEUE
    await transitions.apply(ctx.session, report, move, _me(ctx), ctx.now)
    if moderator is not None:
        await notify_person(
            ctx.session,
            ctx.content,
            moderator,
            f"report:{report.id}:ev{answered.id}:moderator",
            "moderation.note.answer",
            ctx.now,
            buttons=(("moderation.button.open", OpenReport(report=report.id or 0).pack()),),
            id=report.id,
            handle=report.handle,
            answer=typed,
        )
    await ctx.leave_flow()
    return [ctx.reply("report.answer_sent", [ctx.menu_row()], code=report.code)]

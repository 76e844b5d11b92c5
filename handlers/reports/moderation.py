"""/xuly: moderators review the reports of their area.

The queue lists open reports of the moderator's areas, oldest first, with counts by state,
filters by state and category, and a mark on reports untouched for three days. A report opens
with its evidence re-sent (the stored, cleaned copy, uploaded again). States: new -> in review
(taken) -> waiting (a question relayed to the reporter) -> forwarded (police, transaction
office, association; with a note) -> resolved (with a note) or rejected (spam, duplicate, not
actionable); a reporter may withdraw. Each change is checked against the moderator's areas
when it is made, written to the audit log, and told to the reporter in plain words through
the outbox. Moderators see a pseudonymous handle, never who the reporter is.

Button actions: ``xl[:STATE[:CAT]]`` queue, ``xk:STATE`` category filter, ``xo:ID`` open,
``xt:ID`` take, ``xa:ID`` ask, ``xf:ID[:TARGET]`` forward, ``xr:ID`` resolve,
``xj:ID[:REASON]`` reject.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.types import Button, Media, Reply, row_id
from handlers.reports.report_common import (
    CATEGORIES,
    FORWARD_TARGETS,
    REJECT_REASONS,
    category_label,
    change_status,
    notify_person,
    notify_reporter,
    place_label,
    short_date,
    visible_to,
    when_label,
)
from storage import audit, report_limits, reports
from storage import roles as role_store
from storage.report_models import Report

FLOW = "xuly"
ROLE = "moderator"
STALE_AFTER = dt.timedelta(days=3)
PAGE = 8
MIN_NOTE, MAX_NOTE = 3, 500
MIN_QUESTION, MAX_QUESTION = 5, 500
DRAFT_RETENTION = dt.timedelta(days=1)  # evidence of reports never sent
FILTERS = ("open", "closed", *reports.STATES)


# --- access ----------------------------------------------------------------------------------


async def _areas(ctx: Context) -> list[str | None]:
    return await roles.areas_of(ctx, ROLE)


async def _report(ctx: Context) -> Report | None:
    """The button's report, if one of the moderator's areas sees it (checked now)."""
    arg = ctx.args[0] if ctx.args else ""
    found = row_id(arg)
    report = await reports.get(ctx.session, found, lock=True) if found is not None else None
    if report is None:
        return None
    areas = await _areas(ctx)
    return report if any(visible_to(a, report) for a in areas) else None


def _statuses(name: str) -> tuple[str, ...]:
    if name == "open":
        return reports.OPEN
    if name == "closed":
        return reports.CLOSED
    return (name,)


def _label(ctx: Context, status: str) -> str:
    return ctx.t(f"moderation.state.{status}")


# --- the queue -------------------------------------------------------------------------------


async def queue(ctx: Context) -> list[Reply]:
    """/xuly and xl[:STATE[:CAT[:AFTER]]]: the reports of my areas, oldest first, a page at
    a time."""
    areas = await _areas(ctx)
    if not areas:
        return roles.unknown_action(ctx) if ctx.args else roles.unknown_command(ctx, "xuly")
    if ctx.flow == FLOW:
        await ctx.leave_flow()
    wanted = ctx.args[0] if ctx.args and ctx.args[0] in FILTERS else "open"
    category = ctx.args[1] if len(ctx.args) > 1 and ctx.args[1] in CATEGORIES else None
    statuses = _statuses(wanted)
    # The next page follows the last report shown (xl:STATE:CAT:ID); one gone meanwhile
    # (deleted with its reporter's data) just starts the queue again.
    after_id = row_id(ctx.args[2]) if len(ctx.args) > 2 else None
    after = await reports.get(ctx.session, after_id) if after_id is not None else None
    counts = await reports.counts(ctx.session, areas, category)
    found = await reports.queue(ctx.session, areas, statuses, category, PAGE + 1, after)
    more, found = len(found) > PAGE, found[:PAGE]
    shown_before = (
        await reports.position(ctx.session, areas, statuses, category, after) if after else 0
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
        idle = (ctx.now - report.touched_at).days
        flag = (
            ctx.t("moderation.untouched", days=idle)
            if (report.status in reports.OPEN and ctx.now - report.touched_at >= STALE_AFTER)
            else ""
        )
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
        rows.append((Button(label[:60], f"xo:{report.id}"),))
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
        paging.append(ctx.button("moderation.button.first_page", f"xl:{wanted}:{category or ''}"))
    if more:
        next_page = f"xl:{wanted}:{category or ''}:{found[-1].id}"
        paging.append(ctx.button("moderation.button.next_page", next_page))
    if paging:
        rows.append(tuple(paging))
    suffix = f":{category}" if category else ""
    rows.append(
        tuple(
            Button(f"{_label(ctx, s)} ({counts.get(s, 0)})", f"xl:{s}{suffix}")
            for s in (reports.NEW, reports.IN_REVIEW, reports.WAITING, reports.FORWARDED)
        )
    )
    rows.append(
        (
            ctx.button("moderation.button.all_open", f"xl:open{suffix}"),
            ctx.button("moderation.button.closed", f"xl:closed{suffix}"),
        )
    )
    rows.append((ctx.button("moderation.button.by_category", f"xk:{wanted}"),))
    rows.append(ctx.menu_row())
    return [Reply("\n".join(lines), tuple(rows))]


async def choose_category(ctx: Context) -> list[Reply]:
    """xk:STATE: pick a category to filter the queue by."""
    if not await _areas(ctx):
        return roles.unknown_action(ctx)
    wanted = ctx.args[0] if ctx.args and ctx.args[0] in FILTERS else "open"
    rows = [
        (Button(category_label(ctx.content, c, ctx.lang), f"xl:{wanted}:{c}"),) for c in CATEGORIES
    ]
    rows.append((ctx.button("moderation.all_categories", f"xl:{wanted}"),))
    return [ctx.reply("moderation.pick_category", rows)]


# --- one report ------------------------------------------------------------------------------


def _back(ctx: Context, report: Report) -> tuple[Button, ...]:
    return (ctx.button("moderation.button.back_report", f"xo:{report.id}"),)


def _actions(ctx: Context, report: Report, reachable: bool) -> list[tuple[Button, ...]]:
    rid = report.id
    rows: list[tuple[Button, ...]] = []
    status = report.status
    if status == reports.NEW:
        rows.append((ctx.button("moderation.button.take", f"xt:{rid}"),))
    if status in (reports.IN_REVIEW, reports.WAITING, reports.FORWARDED) and (
        report.contact_ok and reachable
    ):
        rows.append((ctx.button("moderation.button.ask", f"xa:{rid}"),))
    if status in (reports.IN_REVIEW, reports.WAITING):
        rows.append((ctx.button("moderation.button.forward", f"xf:{rid}"),))
    if status in (reports.IN_REVIEW, reports.WAITING, reports.FORWARDED):
        rows.append((ctx.button("moderation.button.resolve", f"xr:{rid}"),))
    if status in reports.OPEN:
        rows.append((ctx.button("moderation.button.reject", f"xj:{rid}"),))
    rows.append((ctx.button("moderation.button.queue", "xl"),))
    return rows


async def _report_text(ctx: Context, report: Report, reachable: bool) -> str:
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
        areas = await _areas(ctx)
        if twin is not None and any(visible_to(a, twin) for a in areas):
            parts.append(ctx.t("moderation.duplicate", other=report.duplicate_of))
    if not reachable:
        parts.append(ctx.t("moderation.unreachable"))
    elif report.contact_ok:
        parts.append(ctx.t("moderation.contact_yes"))
    else:
        parts.append(ctx.t("moderation.contact_no"))
    if report.status in reports.OPEN and ctx.now - report.touched_at >= STALE_AFTER:
        parts.append(ctx.t("moderation.untouched", days=(ctx.now - report.touched_at).days))
    text = "\n".join(parts) + "\n\n" + ctx.t("moderation.story", story=report.description)
    history = []
    for event in await reports.events(ctx.session, report.id or 0):
        date = short_date(event.at, ctx.timezone, lang)
        if event.kind == "question":
            history.append(ctx.t("moderation.history.question", date=date, text=event.detail or ""))
        elif event.kind == "answer":
            history.append(ctx.t("moderation.history.answer", date=date, text=event.detail or ""))
    for entry in reversed(await audit.entries(ctx.session, f"report:{report.id}", limit=50)):
        note = entry.detail.get("note")
        if note and entry.action != "report.ask":
            history.append(
                ctx.t(
                    "moderation.history.note",
                    date=short_date(entry.at, ctx.timezone, lang),
                    state=_label(ctx, str(entry.detail.get("to", ""))),
                    text=note,
                )
            )
    if history:
        text += "\n\n" + "\n".join(history)
    return text


async def show_report(ctx: Context) -> list[Reply]:
    """xo:ID: the report, its evidence re-sent, and what can be done now."""
    report = await _report(ctx)
    if report is None:
        return roles.unknown_action(ctx)
    if ctx.flow == FLOW:
        await ctx.leave_flow()
    reachable = await reports.reporter_of(ctx.session, report) is not None
    replies = [Reply(await _report_text(ctx, report, reachable))]
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
            _actions(ctx, report, reachable),
            files=len(files),
        )
    )
    return replies


async def _wrong_state(ctx: Context, report: Report) -> list[Reply]:
    return [
        ctx.reply(
            "moderation.wrong_state",
            [_back(ctx, report)],
            id=report.id,
            state=_label(ctx, report.status),
        )
    ]


async def take(ctx: Context) -> list[Reply]:
    """xt:ID: I review this report."""
    report = await _report(ctx)
    if report is None:
        return roles.unknown_action(ctx)
    if report.status != reports.NEW:
        return await _wrong_state(ctx, report)
    me = roles.actor(ctx)
    event = await change_status(
        ctx.session, report, reports.IN_REVIEW, me, "report.take", ctx.now, taken_by=me
    )
    await notify_reporter(
        ctx.session,
        ctx.content,
        report,
        "report.note.in_review",
        event.id or 0,
        ctx.now,
        buttons=(("report.button.view", f"rv:{report.id}"),),
    )
    return [ctx.reply("moderation.taken", [_back(ctx, report), ctx.menu_row()], id=report.id)]


async def ask(ctx: Context) -> list[Reply]:
    """xa:ID: type a question; the bot relays it to the reporter."""
    report = await _report(ctx)
    if report is None:
        return roles.unknown_action(ctx)
    if report.status not in (reports.IN_REVIEW, reports.WAITING, reports.FORWARDED):
        return await _wrong_state(ctx, report)
    if not report.contact_ok or await reports.reporter_of(ctx.session, report) is None:
        return [ctx.reply("moderation.cannot_ask", [_back(ctx, report)], id=report.id)]
    await ctx.enter(FLOW, "ask", report=report.id)
    return [ctx.reply("moderation.ask_prompt", [_back(ctx, report)], max=MAX_QUESTION)]


async def forward(ctx: Context) -> list[Reply]:
    """xf:ID: where to; xf:ID:TARGET: then a note."""
    report = await _report(ctx)
    if report is None:
        return roles.unknown_action(ctx)
    if report.status not in (reports.IN_REVIEW, reports.WAITING):
        return await _wrong_state(ctx, report)
    target = ctx.args[1] if len(ctx.args) > 1 else ""
    if target not in FORWARD_TARGETS:
        rows = [[ctx.button(f"report.target.{t}", f"xf:{report.id}:{t}")] for t in FORWARD_TARGETS]
        return [ctx.reply("moderation.pick_target", [*rows, _back(ctx, report)], id=report.id)]
    await ctx.enter(FLOW, "forward", report=report.id, target=target)
    return [
        ctx.reply(
            "moderation.note_prompt_forward",
            [_back(ctx, report)],
            target=ctx.t(f"report.target.{target}"),
            max=MAX_NOTE,
        )
    ]


async def resolve(ctx: Context) -> list[Reply]:
    """xr:ID: a note on what was done, then resolved."""
    report = await _report(ctx)
    if report is None:
        return roles.unknown_action(ctx)
    if report.status not in (reports.IN_REVIEW, reports.WAITING, reports.FORWARDED):
        return await _wrong_state(ctx, report)
    await ctx.enter(FLOW, "resolve", report=report.id)
    return [ctx.reply("moderation.note_prompt_resolve", [_back(ctx, report)], max=MAX_NOTE)]


async def reject(ctx: Context) -> list[Reply]:
    """xj:ID: why; xj:ID:REASON: rejected at once."""
    report = await _report(ctx)
    if report is None:
        return roles.unknown_action(ctx)
    if report.status not in reports.OPEN:
        return await _wrong_state(ctx, report)
    reason = ctx.args[1] if len(ctx.args) > 1 else ""
    if reason not in REJECT_REASONS:
        rows = [
            [ctx.button(f"moderation.reason.{r}", f"xj:{report.id}:{r}")] for r in REJECT_REASONS
        ]
        return [ctx.reply("moderation.pick_reason", [*rows, _back(ctx, report)], id=report.id)]
    event = await change_status(
        ctx.session,
        report,
        reports.REJECTED,
        roles.actor(ctx),
        "report.reject",
        ctx.now,
        public_detail=reason,
        reason=reason,
    )
    reporter = await reports.reporter_of(ctx.session, report)
    if reason == "spam" and reporter is not None:  # a week's pause, for every linked channel
        key = await report_limits.limit_key(ctx.session, ctx.report_limit_key)
        hashes = await report_limits.person_hashes(ctx.session, key, reporter)
        await report_limits.record(ctx.session, hashes, report_limits.SPAM, ctx.now)
    await notify_reporter(
        ctx.session,
        ctx.content,
        report,
        "report.note.rejected",
        event.id or 0,
        ctx.now,
        buttons=(("report.button.view", f"rv:{report.id}"),),
        labels={"reason": f"report.reason.{reason}"},
    )
    return [
        ctx.reply(
            "moderation.rejected",
            [(ctx.button("moderation.button.queue", "xl"),), ctx.menu_row()],
            id=report.id,
        )
    ]


async def flow_text(ctx: Context) -> list[Reply]:
    """The moderator's typed question or note."""
    typed = " ".join((ctx.args[0] if ctx.args else "").split())
    step = ctx.state.step
    report_id = ctx.state.data.get("report")
    ctx.args = (str(report_id),) if report_id else ()
    report = await _report(ctx)
    if report is None:
        await ctx.leave_flow()
        return roles.unknown_action(ctx)
    low, high = (MIN_QUESTION, MAX_QUESTION) if step == "ask" else (MIN_NOTE, MAX_NOTE)
    if len(typed) < low:
        return [ctx.reply("moderation.text_short", [_back(ctx, report)], min=low)]
    if len(typed) > high:
        return [
            ctx.reply("moderation.text_long", [_back(ctx, report)], max=high, length=len(typed))
        ]
    me = roles.actor(ctx)
    if step == "ask":
        if report.status not in (reports.IN_REVIEW, reports.WAITING, reports.FORWARDED):
            await ctx.leave_flow()
            return await _wrong_state(ctx, report)
        if not report.contact_ok or await reports.reporter_of(ctx.session, report) is None:
            await ctx.leave_flow()
            return [ctx.reply("moderation.cannot_ask", [_back(ctx, report)], id=report.id)]
        question = await reports.add_event(
            ctx.session, report.id or 0, "question", ctx.now, detail=typed
        )
        await change_status(
            ctx.session, report, reports.WAITING, me, "report.ask", ctx.now, note=typed,
            taken_by=me,
        )  # fmt: skip
        await notify_reporter(
            ctx.session,
            ctx.content,
            report,
            "report.note.question",
            question.id or 0,
            ctx.now,
            buttons=(("report.button.answer", f"rq:{report.id}"),),
            question=typed,
        )
        await ctx.leave_flow()
        return [ctx.reply("moderation.asked", [_back(ctx, report), ctx.menu_row()], id=report.id)]
    if step == "forward":
        target = ctx.state.data.get("target")
        if target not in FORWARD_TARGETS or report.status not in (
            reports.IN_REVIEW,
            reports.WAITING,
        ):
            await ctx.leave_flow()
            return await _wrong_state(ctx, report)
        event = await change_status(
            ctx.session, report, reports.FORWARDED, me, "report.forward", ctx.now,
            note=typed, public_detail=target, forwarded_to=target,
        )  # fmt: skip
        await notify_reporter(
            ctx.session,
            ctx.content,
            report,
            "report.note.forwarded",
            event.id or 0,
            ctx.now,
            buttons=(("report.button.view", f"rv:{report.id}"),),
            labels={"target": f"report.target.{target}"},
        )
        await ctx.leave_flow()
        return [
            ctx.reply("moderation.forwarded", [_back(ctx, report), ctx.menu_row()], id=report.id)
        ]
    if step == "resolve":
        if report.status not in (reports.IN_REVIEW, reports.WAITING, reports.FORWARDED):
            await ctx.leave_flow()
            return await _wrong_state(ctx, report)
        event = await change_status(
            ctx.session, report, reports.RESOLVED, me, "report.resolve", ctx.now, note=typed
        )
        await notify_reporter(
            ctx.session,
            ctx.content,
            report,
            "report.note.resolved",
            event.id or 0,
            ctx.now,
            buttons=(("report.button.view", f"rv:{report.id}"),),
        )
        await ctx.leave_flow()
        return [
            ctx.reply(
                "moderation.resolved",
                [(ctx.button("moderation.button.queue", "xl"),), ctx.menu_row()],
                id=report.id,
            )
        ]
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
            buttons=(("moderation.button.open_queue", "xl:new"),),
            count=count,
            oldest=oldest.astimezone(tz).strftime("%d/%m/%Y"),
        ):
            queued += 1
    await reports.prune_drafts(session, now - DRAFT_RETENTION)
    return queued

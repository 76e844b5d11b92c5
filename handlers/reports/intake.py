"""/baocao: citizens report black credit or misconduct safely, one question per message.

The draft waits in the conversation state (flow ``report``), so a restart loses nothing. The
questions are ``intake_rules.Step``, in their order: is someone in danger now (113 first) ->
consent to keep a report -> category -> who (misconduct only) -> where (commune from the
directory, or as typed) -> when -> what happened -> evidence (up to five photos or PDFs, stored
cleaned) -> may moderators ask through the bot -> a summary to send, change or drop. Each step
is asked by the one function registered for it (``@_asks``), which "next" and "change this
answer" both call; what is typed at a step goes to its ``@FLOW.on_text`` handler. On sending,
the reporter gets a tracking code (handlers/reports/tracking.py follows it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from content.places import commune, find_communes
from handlers.core.context import Context
from handlers.core.flows import Flow
from handlers.core.types import Button, FileFetchError, FileTooLarge, Reply
from handlers.questions import kept_story
from handlers.reports import evidence
from handlers.reports.actions import (
    AnswerDanger,
    ChooseAccused,
    ChooseCategory,
    ChooseContact,
    ChoosePlace,
    ChooseWhen,
    DropReport,
    EditReport,
    EvidenceDone,
    GiveConsent,
    SendReport,
    ShowMyReport,
    StartReport,
)
from handlers.reports.common import (
    ACCUSED,
    CATEGORIES,
    WHEN_KEYS,
    alert_moderators,
    category_label,
    is_misconduct,
    place_label,
    short_date,
    when_label,
)
from handlers.reports.intake_rules import (
    EDITABLE,
    FLOW_NAME,
    MAX_PLACE,
    MAX_REPORTS_PER_DAY,
    MAX_STORY,
    MAX_WHEN,
    MIN_STORY,
    ORDER,
    Draft,
    Step,
    has_danger_words,
    is_complete,
    limit_hashes,
    means_done,
    next_step,
    refusal,
    submit,
)
from storage import reports

log = logging.getLogger(__name__)

MAX_PLACE_CHOICES = 6


def _stale(ctx: Context) -> list[Reply]:
    """A report button pressed out of turn: say so and offer a fresh start."""
    start_again = ctx.button("report.button.start", StartReport())
    return [ctx.reply("report.stale", [[start_again], ctx.menu_row()])]


FLOW: Flow[Step, Draft] = Flow(FLOW_NAME, Step, Draft, order=ORDER, stale=_stale)

Ask = Callable[[Context], Awaitable[list[Reply]]]
# The question of each step, moving the user to it: what "next" and "change" both ask.
ASK: dict[Step, Ask] = {}


def _asks(step: Step) -> Callable[[Ask], Ask]:
    def register(ask: Ask) -> Ask:
        if step in ASK:
            raise TypeError(f"step {step} is asked twice")
        ASK[step] = ask
        return ask

    return register


async def _next(ctx: Context, after: Step) -> list[Reply]:
    """The question after ``after`` (intake_rules.next_step), or the summary again."""
    return await ASK[next_step(after, FLOW.draft(ctx))](ctx)


def _cancel_row(ctx: Context) -> tuple[Button, ...]:
    return (ctx.button("report.button.cancel", DropReport()),)


async def _hashes(ctx: Context) -> list[str]:
    return await limit_hashes(ctx.session, ctx.report_limit_key, ctx.user)


async def _refusal(ctx: Context, hashes: list[str]) -> list[Reply] | None:
    """The daily cap and the cooldown after spam, explained kindly; None when all is well."""
    refused = await refusal(ctx.session, hashes, ctx.now)
    if refused is None:
        return None
    if refused.until is None:  # the daily cap
        return [ctx.reply("report.cap", [ctx.menu_row()], max=MAX_REPORTS_PER_DAY)]
    until = short_date(refused.until, ctx.timezone, ctx.lang)
    return [ctx.reply("report.cooldown", [ctx.menu_row()], date=until)]


# --- the start -------------------------------------------------------------------------------


async def command(ctx: Context, text: str) -> list[Reply]:
    """/baocao."""
    return await begin(ctx)


async def start(ctx: Context, action: StartReport) -> list[Reply]:
    """The report buttons of the menu, the black-credit pages and a stale report button."""
    return await begin(ctx)


async def begin(ctx: Context) -> list[Reply]:
    """A new report from its first question (an older draft and its files are dropped), or
    why none may be sent now; handlers/questions/story.py starts one from a story too."""
    refused = await _refusal(ctx, await _hashes(ctx))
    if refused is not None:
        return refused
    await reports.drop_drafts(ctx.session, ctx.user.id or 0)
    return await ASK[Step.DANGER](ctx)


# --- the questions ---------------------------------------------------------------------------


@_asks(Step.DANGER)
async def _ask_danger(ctx: Context) -> list[Reply]:
    await FLOW.enter(ctx, Step.DANGER, Draft())
    return [
        ctx.reply("report.intro"),
        ctx.reply(
            "report.ask_danger",
            [
                [ctx.button("report.button.danger_yes", AnswerDanger(choice="yes"))],
                [ctx.button("report.button.danger_no", AnswerDanger(choice="no"))],
                ctx.menu_row(),
            ],
        ),
    ]


async def answer_danger(ctx: Context, action: AnswerDanger) -> list[Reply]:
    """Someone in danger now gets 113 before anything else."""
    if action.choice == "yes":
        await FLOW.update(ctx, danger=True)
        go_on = ctx.button("report.button.continue", AnswerDanger(choice="go"))
        return [ctx.reply("report.danger", [[go_on], ctx.menu_row()])]
    if action.choice == "no":
        await FLOW.update(ctx, danger=False)
    return await _next(ctx, Step.DANGER)


@_asks(Step.CONSENT)
async def _ask_consent(ctx: Context) -> list[Reply]:
    await FLOW.enter(ctx, Step.CONSENT)
    text = ctx.t("report.ask_consent")
    if _offered(ctx, FLOW.draft(ctx)):  # the one consent covers the story they already told
        text += "\n\n" + ctx.t("report.story_offered")
    return [
        Reply(
            text,
            (
                (ctx.button("report.button.consent_yes", GiveConsent(answer="yes")),),
                (ctx.button("report.button.consent_no", GiveConsent(answer="no")),),
            ),
        )
    ]


async def answer_consent(ctx: Context, action: GiveConsent) -> list[Reply]:
    """Consent for this purpose, asked before anything of the report is kept; a category
    chosen already from a story is not asked again (intake_rules.applies)."""
    if action.answer != "yes":
        await ctx.leave_flow()
        return [ctx.reply("report.consent_declined", [ctx.menu_row()])]
    await FLOW.update(ctx, consent_at=ctx.now)
    return await _next(ctx, Step.CONSENT)


@_asks(Step.CATEGORY)
async def _ask_category(ctx: Context) -> list[Reply]:
    await FLOW.enter(ctx, Step.CATEGORY)
    rows = [
        (Button(category_label(ctx.content, c, ctx.lang), ChooseCategory(category=c).pack()),)
        for c in CATEGORIES
    ]
    return [ctx.reply("report.ask_category", [*rows, _cancel_row(ctx)])]


async def choose_category(ctx: Context, action: ChooseCategory) -> list[Reply]:
    """Misconduct asks who did it next; black credit goes on to the place."""
    if is_misconduct(action.category):
        await FLOW.update(ctx, category=action.category)
    else:
        await FLOW.update(ctx, category=action.category, accused=None)
    return await _next(ctx, Step.CATEGORY)


@_asks(Step.ACCUSED)
async def _ask_accused(ctx: Context) -> list[Reply]:
    await FLOW.enter(ctx, Step.ACCUSED)
    rows = [[ctx.button(f"report.accused.{who}", ChooseAccused(accused=who))] for who in ACCUSED]
    return [ctx.reply("report.ask_accused", [*rows, _cancel_row(ctx)])]


async def choose_accused(ctx: Context, action: ChooseAccused) -> list[Reply]:
    """Who did it; the commune apparatus means the province handles the report."""
    await FLOW.update(ctx, accused=action.accused)
    return await _next(ctx, Step.ACCUSED)


@_asks(Step.PLACE)
async def _ask_place(ctx: Context) -> list[Reply]:
    await FLOW.enter(ctx, Step.PLACE)
    rows: list[tuple[Button, ...]] = []
    mine = commune(ctx.user.commune_code) if ctx.user.commune_code else None
    if mine is not None:
        rows.append(
            (ctx.button("report.button.my_commune", ChoosePlace(choice="mine"), commune=mine.name),)
        )
    rows.append((ctx.button("report.button.skip", ChoosePlace(choice="skip")),))
    return [ctx.reply("report.ask_place", [*rows, _cancel_row(ctx)])]


async def _set_place(ctx: Context, code: str | None, typed: str | None) -> list[Reply]:
    await FLOW.update(ctx, commune=code, place_text=typed, pending_place=None)
    return await _next(ctx, Step.PLACE)


async def choose_place(ctx: Context, action: ChoosePlace) -> list[Reply]:
    """A commune offered, my own, the place as I typed it, or none."""
    if action.choice == "skip":
        return await _set_place(ctx, None, None)
    if action.choice == "typed":
        typed = FLOW.draft(ctx).pending_place
        return await _set_place(ctx, None, typed) if typed else _stale(ctx)
    code = ctx.user.commune_code if action.choice == "mine" else action.choice
    found = commune(code) if code else None
    if found is None:
        return _stale(ctx)
    return await _set_place(ctx, found.code, None)


@FLOW.on_text(Step.PLACE)
async def place_text(ctx: Context, typed: str) -> list[Reply]:
    """A commune's name typed: one match is taken, several are offered, none is kept as typed
    if the reporter wishes."""
    query = " ".join(typed.split())
    if not query:
        return await _ask_place(ctx)
    if len(query) > MAX_PLACE:
        return [ctx.reply("report.place_too_long", [_cancel_row(ctx)], max=MAX_PLACE)]
    matches = find_communes(query, limit=MAX_PLACE_CHOICES)
    if len(matches) == 1:
        return await _set_place(ctx, matches[0].code, None)
    await FLOW.update(ctx, pending_place=query)
    keep = (ctx.button("report.button.keep_typed", ChoosePlace(choice="typed"), place=query),)
    skip = (ctx.button("report.button.skip", ChoosePlace(choice="skip")),)
    if not matches:
        return [ctx.reply("report.place_not_found", [keep, skip, _cancel_row(ctx)], query=query)]
    rows = [
        (Button(f"{c.name} ({c.province_name})", ChoosePlace(choice=c.code).pack()),)
        for c in matches
    ]
    return [ctx.reply("report.place_pick", [*rows, keep, _cancel_row(ctx)])]


@_asks(Step.WHEN)
async def _ask_when(ctx: Context) -> list[Reply]:
    await FLOW.enter(ctx, Step.WHEN)
    rows = [[ctx.button(f"report.when.{key}", ChooseWhen(when=key))] for key in WHEN_KEYS]
    rows.append([ctx.button("report.button.skip", ChooseWhen(when="skip"))])
    return [ctx.reply("report.ask_when", [*rows, _cancel_row(ctx)])]


async def choose_when(ctx: Context, action: ChooseWhen) -> list[Reply]:
    """Today, this week, ... (stored as ":week"), or not said."""
    await FLOW.update(ctx, happened=None if action.when == "skip" else f":{action.when}")
    return await _next(ctx, Step.WHEN)


@FLOW.on_text(Step.WHEN)
async def when_text(ctx: Context, typed: str) -> list[Reply]:
    when = " ".join(typed.split())
    if not when:
        return await _ask_when(ctx)
    if len(when) > MAX_WHEN:
        return [ctx.reply("report.when_too_long", [_cancel_row(ctx)], max=MAX_WHEN)]
    await FLOW.update(ctx, happened=when.lstrip(":"))  # ":" starts a button's answer only
    return await _next(ctx, Step.WHEN)


def _offered(ctx: Context, draft: Draft) -> str | None:
    """The story told before "Báo cáo việc này" (handlers/questions/story.py), while kept."""
    kept = draft.offered_story and kept_story.still_kept(draft.model_dump(), ctx.now)
    return draft.offered_story if kept else None


@_asks(Step.STORY)
async def _ask_story(ctx: Context) -> list[Reply]:
    draft = FLOW.draft(ctx)
    offered, expired = _offered(ctx, draft), bool(draft.offered_story)
    # used once, or forgotten
    draft = draft.model_copy(update={"offered_story": None, "told_at": None})
    if offered and MIN_STORY <= len(offered) <= MAX_STORY:
        await FLOW.enter(ctx, Step.STORY, draft.model_copy(update={"story": offered}))
        return [ctx.reply("report.story_used"), *await _next(ctx, Step.STORY)]
    await FLOW.enter(ctx, Step.STORY, draft)
    ask = ctx.reply("report.ask_story", [_cancel_row(ctx)], min=MIN_STORY, max=MAX_STORY)
    if expired and not offered:  # it waited too long at the steps before
        return [ctx.reply("story.not_kept", minutes=kept_story.kept_minutes()), ask]
    return [ask]


@FLOW.on_text(Step.STORY)
async def story_text(ctx: Context, typed: str) -> list[Reply]:
    story = typed.strip()
    if not story and ctx.attachments:
        return [ctx.reply("report.story_needs_text", [_cancel_row(ctx)])]
    if len(story) < MIN_STORY:
        return [
            ctx.reply("report.story_short", [_cancel_row(ctx)], min=MIN_STORY, length=len(story))
        ]
    if len(story) > MAX_STORY:
        return [
            ctx.reply("report.story_long", [_cancel_row(ctx)], max=MAX_STORY, length=len(story))
        ]
    draft = await FLOW.update(ctx, story=story)
    warning = []
    if has_danger_words(story) and not draft.warned:
        await FLOW.update(ctx, warned=True)
        warning = [ctx.reply("report.danger_words")]
    if ctx.attachments:  # a photo with the story as its caption: kept at the next step
        warning.append(ctx.reply("report.files_next_step"))
    return warning + await _next(ctx, Step.STORY)


@_asks(Step.EVIDENCE)
async def _ask_evidence(ctx: Context) -> list[Reply]:
    await FLOW.enter(ctx, Step.EVIDENCE)
    count = len(FLOW.draft(ctx).files)
    if ctx.fetch_file is None:
        return [
            ctx.reply(
                "report.evidence_unavailable",
                [[ctx.button("report.button.continue", EvidenceDone())], _cancel_row(ctx)],
            )
        ]
    done = "report.button.done" if count else "report.button.skip"
    return [
        ctx.reply(
            "report.ask_evidence",
            [[ctx.button(done, EvidenceDone())], _cancel_row(ctx)],
            max=evidence.MAX_FILES,
            mb=evidence.MAX_FILE_BYTES // (1024 * 1024),
            count=count,
        )
    ]


async def evidence_done(ctx: Context, action: EvidenceDone) -> list[Reply]:
    return await _next(ctx, Step.EVIDENCE)


@FLOW.on_text(Step.EVIDENCE)
async def evidence_message(ctx: Context, typed: str) -> list[Reply]:
    """Files sent at the evidence step: checked, downloaded, cleaned and kept as drafts."""
    if not ctx.attachments:
        if means_done(typed):
            return await _next(ctx, Step.EVIDENCE)
        return [
            ctx.reply(
                "report.evidence_waiting",
                [[ctx.button("report.button.done", EvidenceDone())], _cancel_row(ctx)],
            )
        ]
    if ctx.fetch_file is None:
        return await _ask_evidence(ctx)
    files = list(FLOW.draft(ctx).files)
    problems: list[Reply] = []
    for attachment in ctx.attachments:
        if len(files) >= evidence.MAX_FILES:
            problems.append(ctx.reply("report.evidence_full", max=evidence.MAX_FILES))
            break
        try:
            cleaned = ctx.prepared.get(attachment.file_id)
            if cleaned is None:  # not fetched ahead (the step changed meanwhile)
                cleaned = await evidence.prepare(attachment, ctx.fetch_file)
            if isinstance(cleaned, Exception):
                raise cleaned
        except evidence.EvidenceRefused as refused:
            problems.append(_refused(ctx, refused.reason))
            continue
        except FileTooLarge:
            problems.append(_refused(ctx, "too_large"))
            continue
        except FileFetchError:
            problems.append(ctx.reply("report.evidence_failed"))
            continue
        file_id = await reports.add_draft_file(
            ctx.session,
            ctx.user.id or 0,
            cleaned.kind,
            cleaned.mime_type,
            cleaned.file_name(len(files) + 1),
            cleaned.data,
            ctx.now,
        )
        files.append(file_id)
    await FLOW.update(ctx, files=files)
    status = ctx.reply(
        "report.evidence_received",
        [[ctx.button("report.button.done", EvidenceDone())], _cancel_row(ctx)],
        count=len(files),
        max=evidence.MAX_FILES,
    )
    return [*problems, status]


def _refused(ctx: Context, reason: str) -> Reply:
    return ctx.reply(
        f"report.evidence_{reason}",
        mb=evidence.MAX_FILE_BYTES // (1024 * 1024),
        pages=evidence.MAX_PDF_PAGES,
    )


@_asks(Step.CONTACT)
async def _ask_contact(ctx: Context) -> list[Reply]:
    await FLOW.enter(ctx, Step.CONTACT)
    return [
        ctx.reply(
            "report.ask_contact",
            [
                [ctx.button("report.button.contact_yes", ChooseContact(answer="yes"))],
                [ctx.button("report.button.contact_no", ChooseContact(answer="no"))],
                _cancel_row(ctx),
            ],
        )
    ]


async def choose_contact(ctx: Context, action: ChooseContact) -> list[Reply]:
    """May moderators ask through the bot."""
    await FLOW.update(ctx, contact=action.answer == "yes")
    return await _next(ctx, Step.CONTACT)


# --- the summary -----------------------------------------------------------------------------


@_asks(Step.SUMMARY)
async def _summary(ctx: Context) -> list[Reply]:
    draft = FLOW.draft(ctx).model_copy(update={"editing": False})
    await FLOW.enter(ctx, Step.SUMMARY, draft)
    files = await reports.draft_files(ctx.session, ctx.user.id or 0, draft.files)
    lang, content = ctx.lang, ctx.content
    text = ctx.t(
        "report.summary",
        category=category_label(content, draft.category or "other", lang),
        place=place_label(content, None, lang, draft.model_dump()),
        when=when_label(content, draft.happened, lang),
        story=draft.story or "",
        files=len(files),
        contact=ctx.t("report.yes" if draft.contact else "report.no"),
        danger=ctx.t("report.yes" if draft.danger else "report.no"),
    )
    if draft.accused:
        accused = ctx.t(f"report.accused.{draft.accused}")
        text += "\n" + ctx.t("report.summary_accused", accused=accused)
    return [
        Reply(
            text,
            (
                (ctx.button("report.button.send", SendReport()),),
                (ctx.button("report.button.edit", EditReport()),),
                _cancel_row(ctx),
            ),
        )
    ]


async def edit(ctx: Context, action: EditReport) -> list[Reply]:
    """Which answer to change; then that question again, and back to the summary."""
    if isinstance(action.answer, Step):
        await FLOW.update(ctx, editing=True)
        return await ASK[action.answer](ctx)
    if action.answer == "back":
        return await _summary(ctx)
    rows = [[ctx.button(f"report.edit.{s}", EditReport(answer=s))] for s in EDITABLE]
    rows.append([ctx.button("report.button.back_summary", EditReport(answer="back"))])
    return [ctx.reply("report.ask_edit", rows)]


async def drop(ctx: Context, action: DropReport) -> list[Reply]:
    """Forget the draft, files included, and a story offered for it."""
    await reports.drop_drafts(ctx.session, ctx.user.id or 0)
    if FLOW.active(ctx):
        await ctx.leave_flow()
    return [ctx.reply("report.dropped", [ctx.menu_row()])]


async def send(ctx: Context, action: SendReport) -> list[Reply]:
    """Keep the report and give its tracking code; someone in danger: moderators are alerted."""
    draft = FLOW.draft(ctx)
    if not is_complete(draft):
        return _stale(ctx)
    hashes = await _hashes(ctx)  # reports sent meanwhile (from a linked channel) count too
    refused = await _refusal(ctx, hashes)
    if refused is not None:
        await reports.drop_drafts(ctx.session, ctx.user.id or 0)
        await ctx.leave_flow()
        return refused
    report = await submit(ctx.session, draft, ctx.user.id or 0, hashes, ctx.now)
    await ctx.leave_flow()
    log.info("report %s received (%s)", report.id, report.category)
    track = ctx.button("report.button.track", ShowMyReport(report_id=report.id or 0))
    replies = [ctx.reply("report.sent", [[track], ctx.menu_row()], code=report.code)]
    if report.danger:
        replies.insert(0, ctx.reply("report.danger_again"))
        alerted = await alert_moderators(ctx.session, ctx.content, report, ctx.now)
        log.info("report %s: someone in danger; %d moderators alerted", report.id, alerted)
    return replies


@FLOW.on_text()
async def other_text(ctx: Context, typed: str) -> list[Reply]:
    """Typed where a button is expected."""
    return [ctx.reply("report.use_buttons", [_cancel_row(ctx)])]


if _unasked := set(Step) - set(ASK):
    raise TypeError(f"report steps nobody asks: {sorted(_unasked)}")

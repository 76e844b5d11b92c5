"""/baocao and /tracuu: citizens report black credit or misconduct safely, and follow it.

The report is a guided flow, one question per message, kept in the conversation state so a
restart loses nothing: is someone in danger now (113 first) -> consent to keep a report ->
category -> who (misconduct only) -> where (commune from the directory, or as typed) -> when
-> what happened -> evidence (up to five photos or PDFs, stored cleaned) -> may moderators ask
through the bot -> a summary to send, edit or drop. On sending, the reporter gets a tracking
code; `/tracuu CODE` shows the state and the history to the reporter and only the state to
anybody else. The reporter can withdraw a report, and answers moderators' questions through
the bot, which relays them without saying who anyone is.

Button actions: ``rp`` start; ``rpd:yes|no|go`` danger; ``rpy:yes|no`` consent;
``rpk:CAT`` category; ``rpa:WHO`` accused; ``rpc:CODE|mine|typed|skip`` place;
``rpt:KEY|skip`` when; ``rpe:done`` evidence; ``rpo:yes|no`` contact; ``rps`` send;
``rpx[:FIELD]`` edit; ``rpn`` drop; ``rpf:CAT`` start from a story told as free text, the
category chosen and the story offered as the description (handlers/questions/story.py). Tracking:
``rv:ID`` my report; ``rw:ID``/``rwy:ID`` withdraw; ``rq:ID`` answer a question.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging

from content.normalize import fold
from content.places import commune, find_communes
from handlers.core.context import Context
from handlers.core.types import Button, FileFetchError, FileTooLarge, Reply, row_id
from handlers.questions import answers, kept_story
from handlers.reports import evidence
from handlers.reports.report_common import (
    ACCUSED,
    CATEGORIES,
    REPORTER,
    WHEN_KEYS,
    alert_moderators,
    category_label,
    change_status,
    escalated,
    handling_moderator,
    is_misconduct,
    notify_person,
    place_label,
    province_code,
    short_date,
    state_label,
    when_label,
)
from storage import audit, report_limits, reports
from storage.report_models import Report, ReportEvent

log = logging.getLogger(__name__)

FLOW = "report"
TRACK_FLOW = "tracuu"
ANSWER_FLOW = "report_answer"

MIN_STORY, MAX_STORY = 20, 2000
MAX_PLACE = MAX_WHEN = 100
MIN_ANSWER, MAX_ANSWER = 2, 1000
MAX_REPORTS_PER_DAY = 3  # within any 24 hours (report_limits.REPORT_WINDOW)
SPAM_COOLDOWN = report_limits.SPAM_PAUSE  # a week after a report rejected as spam
DUPLICATE_WINDOW = dt.timedelta(days=7)
DUPLICATE_SIMILARITY = 0.6  # of the folded texts (difflib ratio)
MAX_PLACE_CHOICES = 6
EDITABLE = ("category", "place", "when", "story", "evidence", "contact")

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


# --- helpers ---------------------------------------------------------------------------------


def _data(ctx: Context) -> dict:
    return ctx.state.data if ctx.flow == FLOW else {}


def _cancel_row(ctx: Context) -> tuple[Button, ...]:
    return (ctx.button("report.button.cancel", "rpn"),)


def _stale(ctx: Context) -> list[Reply]:
    """A report button pressed out of turn: say so and offer a fresh start."""
    return [ctx.reply("report.stale", [[ctx.button("report.button.start", "rp")], ctx.menu_row()])]


def _in_step(ctx: Context, *steps: str) -> bool:
    return ctx.flow == FLOW and ctx.state.step in steps


def _arg(ctx: Context, index: int = 0) -> str:
    return ctx.args[index] if len(ctx.args) > index else ""


def has_danger_words(text: str) -> bool:
    folded = f" {fold(text)} "
    return any(f" {word} " in folded for word in DANGER_WORDS)


def similar(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, fold(a), fold(b)).ratio() >= DUPLICATE_SIMILARITY


async def limit_hashes(ctx: Context) -> list[str]:
    """The keyed hashes of the person's channel identities, which the limits count by."""
    key = await report_limits.limit_key(ctx.session, ctx.report_limit_key)
    return await report_limits.person_hashes(ctx.session, key, ctx.user)


async def _refusal(ctx: Context) -> list[Reply] | None:
    """The daily cap and the cooldown after spam, explained kindly; None when all is well.

    Counted by keyed hashes of the person's identities, not by user id: deleting one's data
    (/dulieu) or writing from a linked channel resets neither (storage/report_limits.py).
    """
    hashes = await limit_hashes(ctx)
    since = ctx.now - report_limits.REPORT_WINDOW
    if await report_limits.reports_since(ctx.session, hashes, since) >= MAX_REPORTS_PER_DAY:
        return [ctx.reply("report.cap", [ctx.menu_row()], max=MAX_REPORTS_PER_DAY)]
    spam = await report_limits.last_spam(ctx.session, hashes, ctx.now - SPAM_COOLDOWN)
    if spam is not None:
        until = short_date(spam + SPAM_COOLDOWN, ctx.timezone, ctx.lang)
        return [ctx.reply("report.cooldown", [ctx.menu_row()], date=until)]
    return None


# --- the report flow -------------------------------------------------------------------------


async def start(ctx: Context) -> list[Reply]:
    """/baocao, and the report buttons of the menu and the black-credit pages."""
    refusal = await _refusal(ctx)
    if refusal is not None:
        return refusal
    await reports.drop_drafts(ctx.session, ctx.user.id or 0)
    await ctx.leave_flow()
    await ctx.enter(FLOW, "danger")
    return [
        ctx.reply("report.intro"),
        ctx.reply(
            "report.ask_danger",
            [
                [ctx.button("report.button.danger_yes", "rpd:yes")],
                [ctx.button("report.button.danger_no", "rpd:no")],
                ctx.menu_row(),
            ],
        ),
    ]


async def answer_danger(ctx: Context) -> list[Reply]:
    """rpd:yes|no|go: someone in danger now gets 113 before anything else."""
    if not _in_step(ctx, "danger"):
        return _stale(ctx)
    choice = _arg(ctx)
    if choice == "yes":
        await ctx.enter(FLOW, "danger", danger=True)
        return [
            ctx.reply(
                "report.danger",
                [[ctx.button("report.button.continue", "rpd:go")], ctx.menu_row()],
            )
        ]
    if choice == "no":
        await ctx.enter(FLOW, "danger", danger=False)
    elif choice != "go":
        return _stale(ctx)
    return await _ask_consent(ctx)


async def _ask_consent(ctx: Context) -> list[Reply]:
    await ctx.enter(FLOW, "consent")
    text = ctx.t("report.ask_consent")
    if _offered(ctx):  # the one consent covers the story they already told
        text += "\n\n" + ctx.t("report.story_offered")
    return [
        Reply(
            text,
            (
                (ctx.button("report.button.consent_yes", "rpy:yes"),),
                (ctx.button("report.button.consent_no", "rpy:no"),),
            ),
        )
    ]


async def answer_consent(ctx: Context) -> list[Reply]:
    """rpy:yes|no: consent for this purpose, asked before anything of the report is kept."""
    if not _in_step(ctx, "consent"):
        return _stale(ctx)
    if _arg(ctx) != "yes":
        await ctx.leave_flow()
        return [ctx.reply("report.consent_declined", [ctx.menu_row()])]
    await ctx.enter(FLOW, "consent", consent_at=ctx.now.isoformat())
    chosen = _data(ctx).get("category")  # chosen already from a story (``rpf:CAT``)
    if chosen in CATEGORIES:
        return await _set_category(ctx, chosen)
    return await _ask_category(ctx)


async def _ask_category(ctx: Context) -> list[Reply]:
    await ctx.enter(FLOW, "category")
    rows = [(Button(category_label(ctx.content, c, ctx.lang), f"rpk:{c}"),) for c in CATEGORIES]
    return [ctx.reply("report.ask_category", [*rows, _cancel_row(ctx)])]


async def choose_category(ctx: Context) -> list[Reply]:
    """rpk:CAT."""
    category = _arg(ctx)
    if not _in_step(ctx, "category") or category not in CATEGORIES:
        return _stale(ctx)
    return await _set_category(ctx, category)


async def _set_category(ctx: Context, category: str) -> list[Reply]:
    """Misconduct asks who did it next; black credit goes on to the place."""
    if is_misconduct(category):
        await ctx.enter(FLOW, "accused", category=category)
        rows = [[ctx.button(f"report.accused.{who}", f"rpa:{who}")] for who in ACCUSED]
        return [ctx.reply("report.ask_accused", [*rows, _cancel_row(ctx)])]
    await ctx.enter(FLOW, "category", category=category, accused=None)
    return await _after(ctx, "category")


async def choose_accused(ctx: Context) -> list[Reply]:
    """rpa:WHO: who did it; the commune apparatus means the province handles the report."""
    who = _arg(ctx)
    if not _in_step(ctx, "accused") or who not in ACCUSED:
        return _stale(ctx)
    await ctx.enter(FLOW, "accused", accused=who)
    return await _after(ctx, "category")


async def _after(ctx: Context, step: str) -> list[Reply]:
    """The next question, or back to the summary when the user was editing one answer."""
    if _data(ctx).get("editing"):
        return await _summary(ctx)
    following = {
        "category": _ask_place,
        "place": _ask_when,
        "when": _ask_story,
        "story": _ask_evidence,
        "evidence": _ask_contact,
        "contact": _summary,
    }
    return await following[step](ctx)


async def _ask_place(ctx: Context) -> list[Reply]:
    await ctx.enter(FLOW, "place")
    rows: list[tuple[Button, ...]] = []
    mine = commune(ctx.user.commune_code) if ctx.user.commune_code else None
    if mine is not None:
        rows.append((ctx.button("report.button.my_commune", "rpc:mine", commune=mine.name),))
    rows.append((ctx.button("report.button.skip", "rpc:skip"),))
    return [ctx.reply("report.ask_place", [*rows, _cancel_row(ctx)])]


async def _set_place(ctx: Context, code: str | None, typed: str | None) -> list[Reply]:
    await ctx.enter(FLOW, "place", commune=code, place_text=typed, pending_place=None)
    return await _after(ctx, "place")


async def choose_place(ctx: Context) -> list[Reply]:
    """rpc:CODE|mine|typed|skip."""
    if not _in_step(ctx, "place"):
        return _stale(ctx)
    choice = _arg(ctx)
    if choice == "skip":
        return await _set_place(ctx, None, None)
    if choice == "typed":
        typed = _data(ctx).get("pending_place")
        return await _set_place(ctx, None, typed) if typed else _stale(ctx)
    code = ctx.user.commune_code if choice == "mine" else choice
    found = commune(code) if code else None
    if found is None:
        return _stale(ctx)
    return await _set_place(ctx, found.code, None)


async def _place_text(ctx: Context, typed: str) -> list[Reply]:
    query = " ".join(typed.split())
    if not query:
        return await _ask_place(ctx)
    if len(query) > MAX_PLACE:
        return [ctx.reply("report.place_too_long", [_cancel_row(ctx)], max=MAX_PLACE)]
    matches = find_communes(query, limit=MAX_PLACE_CHOICES)
    if len(matches) == 1:
        return await _set_place(ctx, matches[0].code, None)
    await ctx.enter(FLOW, "place", pending_place=query)
    keep = (ctx.button("report.button.keep_typed", "rpc:typed", place=query),)
    if not matches:
        return [
            ctx.reply(
                "report.place_not_found",
                [keep, (ctx.button("report.button.skip", "rpc:skip"),), _cancel_row(ctx)],
                query=query,
            )
        ]
    rows = [(Button(f"{c.name} ({c.province_name})", f"rpc:{c.code}"),) for c in matches]
    return [ctx.reply("report.place_pick", [*rows, keep, _cancel_row(ctx)])]


async def _ask_when(ctx: Context) -> list[Reply]:
    await ctx.enter(FLOW, "when")
    rows = [[ctx.button(f"report.when.{key}", f"rpt:{key}")] for key in WHEN_KEYS]
    rows.append([ctx.button("report.button.skip", "rpt:skip")])
    return [ctx.reply("report.ask_when", [*rows, _cancel_row(ctx)])]


async def choose_when(ctx: Context) -> list[Reply]:
    """rpt:KEY|skip."""
    key = _arg(ctx)
    if not _in_step(ctx, "when") or key not in (*WHEN_KEYS, "skip"):
        return _stale(ctx)
    await ctx.enter(FLOW, "when", happened=None if key == "skip" else f":{key}")
    return await _after(ctx, "when")


async def _when_text(ctx: Context, typed: str) -> list[Reply]:
    when = " ".join(typed.split())
    if not when:
        return await _ask_when(ctx)
    if len(when) > MAX_WHEN:
        return [ctx.reply("report.when_too_long", [_cancel_row(ctx)], max=MAX_WHEN)]
    await ctx.enter(FLOW, "when", happened=when.lstrip(":"))
    return await _after(ctx, "when")


def _offered(ctx: Context) -> str | None:
    """The story told before "Báo cáo việc này" (handlers/questions/story.py), while it is kept."""
    offered = _data(ctx).get("offered_story")
    return offered if offered and kept_story.still_kept(_data(ctx), ctx.now) else None


async def _ask_story(ctx: Context) -> list[Reply]:
    offered, expired = _offered(ctx), bool(_data(ctx).get("offered_story"))
    # used once, or forgotten
    await ctx.enter(FLOW, "story", offered_story=None, **{kept_story.TOLD_AT: None})
    if offered and MIN_STORY <= len(offered) <= MAX_STORY:
        await ctx.enter(FLOW, "story", story=offered)
        return [ctx.reply("report.story_used"), *await _after(ctx, "story")]
    ask = ctx.reply("report.ask_story", [_cancel_row(ctx)], min=MIN_STORY, max=MAX_STORY)
    if expired and not offered:  # it waited too long at the steps before
        return [ctx.reply("story.not_kept", minutes=kept_story.kept_minutes()), ask]
    return [ask]


async def _story_text(ctx: Context, typed: str) -> list[Reply]:
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
    await ctx.enter(FLOW, "story", story=story)
    warning = []
    if has_danger_words(story) and not _data(ctx).get("warned"):
        await ctx.enter(FLOW, "story", warned=True)
        warning = [ctx.reply("report.danger_words")]
    if ctx.attachments:  # a photo with the story as its caption: kept at the next step
        warning.append(ctx.reply("report.files_next_step"))
    return warning + await _after(ctx, "story")


async def _ask_evidence(ctx: Context) -> list[Reply]:
    await ctx.enter(FLOW, "evidence")
    count = len(_data(ctx).get("files") or [])
    if ctx.fetch_file is None:
        return [
            ctx.reply(
                "report.evidence_unavailable",
                [[ctx.button("report.button.continue", "rpe:done")], _cancel_row(ctx)],
            )
        ]
    done = "report.button.done" if count else "report.button.skip"
    return [
        ctx.reply(
            "report.ask_evidence",
            [[ctx.button(done, "rpe:done")], _cancel_row(ctx)],
            max=evidence.MAX_FILES,
            mb=evidence.MAX_FILE_BYTES // (1024 * 1024),
            count=count,
        )
    ]


async def evidence_done(ctx: Context) -> list[Reply]:
    """rpe:done."""
    if not _in_step(ctx, "evidence"):
        return _stale(ctx)
    return await _after(ctx, "evidence")


async def _evidence_message(ctx: Context, typed: str) -> list[Reply]:
    """Files sent at the evidence step: checked, downloaded, cleaned and kept as drafts."""
    if not ctx.attachments:
        if fold(typed) in ("xong", "done", "bo qua", "skip"):
            return await _after(ctx, "evidence")
        return [
            ctx.reply(
                "report.evidence_waiting",
                [[ctx.button("report.button.done", "rpe:done")], _cancel_row(ctx)],
            )
        ]
    if ctx.fetch_file is None:
        return await _ask_evidence(ctx)
    files: list[int] = list(_data(ctx).get("files") or [])
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
    await ctx.enter(FLOW, "evidence", files=files)
    status = ctx.reply(
        "report.evidence_received",
        [[ctx.button("report.button.done", "rpe:done")], _cancel_row(ctx)],
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


async def _ask_contact(ctx: Context) -> list[Reply]:
    await ctx.enter(FLOW, "contact")
    return [
        ctx.reply(
            "report.ask_contact",
            [
                [ctx.button("report.button.contact_yes", "rpo:yes")],
                [ctx.button("report.button.contact_no", "rpo:no")],
                _cancel_row(ctx),
            ],
        )
    ]


async def choose_contact(ctx: Context) -> list[Reply]:
    """rpo:yes|no."""
    choice = _arg(ctx)
    if not _in_step(ctx, "contact") or choice not in ("yes", "no"):
        return _stale(ctx)
    await ctx.enter(FLOW, "contact", contact=choice == "yes")
    return await _after(ctx, "contact")


async def _summary(ctx: Context) -> list[Reply]:
    await ctx.enter(FLOW, "summary", editing=False)
    data = _data(ctx)
    files = await reports.draft_files(ctx.session, ctx.user.id or 0, data.get("files") or [])
    lang, content = ctx.lang, ctx.content
    accused = data.get("accused")
    text = ctx.t(
        "report.summary",
        category=category_label(content, data.get("category", "other"), lang),
        place=place_label(content, None, lang, data),
        when=when_label(content, data.get("happened"), lang),
        story=data.get("story", ""),
        files=len(files),
        contact=ctx.t("report.yes" if data.get("contact") else "report.no"),
        danger=ctx.t("report.yes" if data.get("danger") else "report.no"),
    )
    if accused:
        text += "\n" + ctx.t("report.summary_accused", accused=ctx.t(f"report.accused.{accused}"))
    return [
        Reply(
            text,
            (
                (ctx.button("report.button.send", "rps"),),
                (ctx.button("report.button.edit", "rpx"),),
                _cancel_row(ctx),
            ),
        )
    ]


async def edit(ctx: Context) -> list[Reply]:
    """rpx: which answer to change; rpx:FIELD: ask that question again."""
    if not _in_step(ctx, "summary"):
        return _stale(ctx)
    field = _arg(ctx)
    if not field:
        rows = [[ctx.button(f"report.edit.{f}", f"rpx:{f}")] for f in EDITABLE]
        rows.append([ctx.button("report.button.back_summary", "rpx:back")])
        return [ctx.reply("report.ask_edit", rows)]
    if field == "back":
        return await _summary(ctx)
    asks = {
        "category": _ask_category,
        "place": _ask_place,
        "when": _ask_when,
        "story": _ask_story,
        "evidence": _ask_evidence,
        "contact": _ask_contact,
    }
    if field not in asks:
        return _stale(ctx)
    await ctx.enter(FLOW, "summary", editing=True)
    return await asks[field](ctx)


async def drop(ctx: Context) -> list[Reply]:
    """rpn: forget the draft, files included, and a story offered for it."""
    await reports.drop_drafts(ctx.session, ctx.user.id or 0)
    if ctx.flow == FLOW:
        await ctx.leave_flow()
    return [ctx.reply("report.dropped", [ctx.menu_row()])]


async def send(ctx: Context) -> list[Reply]:
    """rps: keep the report, give the tracking code, link a likely duplicate."""
    if not _in_step(ctx, "summary"):
        return _stale(ctx)
    data = dict(_data(ctx))
    if not data.get("category") or not data.get("story") or not data.get("consent_at"):
        return _stale(ctx)
    refusal = await _refusal(ctx)
    if refusal is not None:
        await reports.drop_drafts(ctx.session, ctx.user.id or 0)
        await ctx.leave_flow()
        return refusal
    category = data["category"]
    code = data.get("commune")
    report = Report(
        code="",
        handle="",
        reporter_id=ctx.user.id,
        category=category,
        accused=data.get("accused") if is_misconduct(category) else None,
        escalated=escalated(category, data.get("accused")),
        commune_code=code,
        province_code=province_code(code),
        place_text=data.get("place_text"),
        happened=data.get("happened"),
        description=data["story"],
        danger=bool(data.get("danger")),
        contact_ok=bool(data.get("contact")),
        status=reports.NEW,
        consent_at=dt.datetime.fromisoformat(data["consent_at"]),
        created_at=ctx.now,
        touched_at=ctx.now,
    )
    await reports.create(ctx.session, report)
    await report_limits.record(ctx.session, await limit_hashes(ctx), report_limits.REPORT, ctx.now)
    await reports.attach_files(
        ctx.session, report.id or 0, ctx.user.id or 0, data.get("files") or []
    )
    if code:
        earlier = await reports.recent_in_commune(
            ctx.session, code, category, ctx.now - DUPLICATE_WINDOW
        )
        twin = next(
            (
                r
                for r in earlier
                if r.id != report.id and similar(r.description, report.description)
            ),
            None,
        )
        if twin is not None:
            await reports.touch(
                ctx.session, report, ctx.now, duplicate_of=twin.duplicate_of or twin.id
            )
    await reports.add_event(ctx.session, report.id or 0, "status", ctx.now, status=reports.NEW)
    # The report's first audit entry: no reporter identity, as in every other.
    await audit.record(
        ctx.session,
        REPORTER,
        "report.create",
        f"report:{report.id}",
        {
            "to": reports.NEW,
            "category": category,
            "commune": code,
            "escalated": report.escalated,
            "duplicate_of": report.duplicate_of,
        },
        ctx.now,
    )
    await ctx.leave_flow()
    log.info("report %s received (%s)", report.id, category)
    replies = [
        ctx.reply(
            "report.sent",
            [[ctx.button("report.button.track", f"rv:{report.id}")], ctx.menu_row()],
            code=report.code,
        )
    ]
    if report.danger:
        replies.insert(0, ctx.reply("report.danger_again"))
        alerted = await alert_moderators(ctx.session, ctx.content, report, ctx.now)
        log.info("report %s: someone in danger; %d moderators alerted", report.id, alerted)
    return replies


async def flow_text(ctx: Context) -> list[Reply]:
    """Typed text (or files) inside the report flow, for the step the user is at."""
    typed = ctx.args[0] if ctx.args else ""
    step = ctx.state.step
    if step == "place":
        return await _place_text(ctx, typed)
    if step == "when":
        return await _when_text(ctx, typed)
    if step == "story":
        return await _story_text(ctx, typed)
    if step == "evidence":
        return await _evidence_message(ctx, typed)
    return [ctx.reply("report.use_buttons", [_cancel_row(ctx)])]


# --- tracking, withdrawal and answers ----------------------------------------------------------


async def track(ctx: Context) -> list[Reply]:
    """/tracuu [CODE]: a report's state; with no code, my reports and a prompt for one."""
    if ctx.args:
        return await _by_code(ctx, " ".join(ctx.args))
    mine = await reports.of_reporter(ctx.session, ctx.user.id or 0)
    await ctx.enter(TRACK_FLOW, "code")
    rows = [
        (
            Button(
                f"{r.code} · {state_label(ctx.content, r.status, ctx.lang)}"[:60],
                f"rv:{r.id}",
            ),
        )
        for r in mine
    ]
    key = "report.track_ask_mine" if mine else "report.track_ask"
    return [ctx.reply(key, [*rows, ctx.menu_row()])]


async def track_text(ctx: Context) -> list[Reply]:
    """A code typed after /tracuu; a question instead goes to the answers, not lost here."""
    typed = ctx.args[0] if ctx.args else ""
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
        await ctx.enter(TRACK_FLOW, "code")
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


async def _mine(ctx: Context) -> Report | None:
    """The report of the button's id, if this user sent it."""
    arg = _arg(ctx)
    found = row_id(arg)
    report = await reports.get(ctx.session, found, lock=True) if found is not None else None
    if report is None or report.reporter_id is None or report.reporter_id != ctx.user.id:
        return None
    return report


async def show_mine(ctx: Context) -> list[Reply]:
    """rv:ID: my report with its history."""
    report = await _mine(ctx)
    if report is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
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
    rows: list[tuple[Button, ...]] = []
    if report.status == reports.WAITING:
        rows.append((ctx.button("report.button.answer", f"rq:{report.id}"),))
    if report.status in reports.OPEN:
        rows.append((ctx.button("report.button.withdraw", f"rw:{report.id}"),))
    rows.append(ctx.menu_row())
    return [Reply(f"{text}\n\n{lines}", tuple(rows))]


async def withdraw(ctx: Context) -> list[Reply]:
    """rw:ID: ask once more before withdrawing."""
    report = await _mine(ctx)
    if report is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    if report.status not in reports.OPEN:
        return await _reporter_view(ctx, report)
    return [
        ctx.reply(
            "report.withdraw_confirm",
            [
                [ctx.button("report.button.withdraw_yes", f"rwy:{report.id}")],
                [ctx.button("report.button.withdraw_no", f"rv:{report.id}")],
            ],
            code=report.code,
        )
    ]


async def withdraw_confirmed(ctx: Context) -> list[Reply]:
    """rwy:ID: the report is closed as withdrawn; its moderator hears of it."""
    report = await _mine(ctx)
    if report is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    if report.status not in reports.OPEN:
        return await _reporter_view(ctx, report)
    event = await change_status(
        ctx.session, report, reports.WITHDRAWN, REPORTER, "report.withdraw", ctx.now
    )
    moderator = await handling_moderator(ctx.session, report)
    if moderator is not None:
        await notify_person(
            ctx.session,
            ctx.content,
            moderator,
            f"report:{report.id}:ev{event.id}:moderator",
            "moderation.note.withdrawn",
            ctx.now,
            buttons=(("moderation.button.open", f"xo:{report.id}"),),
            id=report.id,
            handle=report.handle,
        )
    if ctx.flow in (ANSWER_FLOW, TRACK_FLOW):
        await ctx.leave_flow()
    return [ctx.reply("report.withdrawn", [ctx.menu_row()], code=report.code)]


async def answer(ctx: Context) -> list[Reply]:
    """rq:ID: answer a moderator's question; the bot relays it."""
    report = await _mine(ctx)
    if report is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    if report.status != reports.WAITING:
        return [ctx.reply("report.no_question", [ctx.menu_row()], code=report.code)]
    await ctx.enter(ANSWER_FLOW, "answer", report=report.id)
    return [ctx.reply("report.ask_answer", [ctx.menu_row()], max=MAX_ANSWER)]


async def answer_text(ctx: Context) -> list[Reply]:
    """The reporter's answer: stored with the report, relayed to the moderator who asked."""
    typed = (ctx.args[0] if ctx.args else "").strip()
    report_id = ctx.state.data.get("report")
    found = row_id(str(report_id)) if report_id else None
    report = await reports.get(ctx.session, found, lock=True) if found is not None else None
    if report is None or report.reporter_id != ctx.user.id or report.status != reports.WAITING:
        await ctx.leave_flow()
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    if len(typed) < MIN_ANSWER:
        return [ctx.reply("report.answer_empty", [ctx.menu_row()])]
    if len(typed) > MAX_ANSWER:
        return [
            ctx.reply("report.answer_long", [ctx.menu_row()], max=MAX_ANSWER, length=len(typed))
        ]
    answered = await reports.add_event(ctx.session, report.id or 0, "answer", ctx.now, detail=typed)
    moderator = await handling_moderator(ctx.session, report)
    if moderator is None:  # who asked has lost the role: the report goes back to the queue
        await change_status(
            ctx.session, report, reports.NEW, REPORTER, "report.answer", ctx.now, taken_by=None
        )
    else:
        await change_status(
            ctx.session, report, reports.IN_REVIEW, REPORTER, "report.answer", ctx.now
        )
        await notify_person(
            ctx.session,
            ctx.content,
            moderator,
            f"report:{report.id}:ev{answered.id}:moderator",
            "moderation.note.answer",
            ctx.now,
            buttons=(("moderation.button.open", f"xo:{report.id}"),),
            id=report.id,
            handle=report.handle,
            answer=typed,
        )
    await ctx.leave_flow()
    return [ctx.reply("report.answer_sent", [ctx.menu_row()], code=report.code)]

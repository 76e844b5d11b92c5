"""Moderators' pages: the queue of their areas and one report, its evidence and its moves.

Every rule is the chat's: which reports a moderator sees (handlers/reports/desk.py, through
``transitions.sees`` and the same area clauses), which moves the state allows and why one is
refused (handlers/reports/transitions.py), and the move itself with what the reporter is told
(handlers/reports/moves.py, the service chat's /xuly calls). The pages show the report's
pseudonymous handle, never who sent it. A report, or a file of one, outside the moderator's
areas is a 404.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.console.staff import Staff, render, see_other, staff_page
from content.places import commune
from handlers.reports import desk, evidence_pdf, moves, timeline, transitions
from handlers.reports.common import (
    FORWARD_TARGETS,
    REJECT_REASONS,
    category_label,
    place_label,
    short_date,
    untouched_days,
    when_label,
)
from handlers.reports.transitions import Moderator, Move, Refusal
from storage import reports
from storage.report_models import Report, ReportFile

routes = web.RouteTableDef()
ROLE = desk.ROLE
_DIGITS = re.compile(r"\d{1,9}")  # an id the database can hold (its integers are 32-bit)
_COMMUNE = re.compile(r"\d{5}")
# The files a page shows inline; anything else is offered as a download.
_PICTURES = frozenset({"image/jpeg", "image/png"})
_PDF = "application/pdf"
_BINARY = "application/octet-stream"
_MOVES = {m.value: m for m in moves.MODERATOR_MOVES}


async def _me(staff: Staff) -> Moderator:
    """This moderator with the areas they hold now (read at each request, as chat does)."""
    return Moderator.of(staff.actor, await staff.areas(ROLE))


def _report_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not _DIGITS.fullmatch(raw):
        raise web.HTTPNotFound()
    return int(raw)


# --- the queue -------------------------------------------------------------------------------


@dataclass
class QueueForm:
    """The queue's filter as typed in the address, checked value by value."""

    query: desk.QueueQuery = field(default_factory=desk.QueueQuery)
    after: int | None = None
    before: int | None = None
    errors: dict[str, str] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)  # what the form shows again


def read_queue_form(staff: Staff, params: Any) -> QueueForm:
    """The filters of the address; a value that is not one of the choices is left out, with a
    message saying why."""
    form = QueueForm()
    values: dict[str, Any] = {}
    typed = {k: str(params.get(k, "")).strip() for k in ("state", "kind", "commune", "age", "q")}
    form.typed = typed
    if typed["state"]:
        if typed["state"] in desk.STATE_FILTERS:
            values["state"] = typed["state"]
        else:
            form.errors["state"] = staff.t("console.reports.error.state")
    if typed["kind"]:
        if typed["kind"] in desk.KINDS:
            values["kind"] = typed["kind"]
        else:
            form.errors["kind"] = staff.t("console.reports.error.kind")
    if typed["commune"]:
        if _COMMUNE.fullmatch(typed["commune"]) and commune(typed["commune"]) is not None:
            values["commune"] = typed["commune"]
        else:
            form.errors["commune"] = staff.t("console.reports.error.commune")
    if typed["age"]:
        if typed["age"] in desk.AGES:
            values["age"] = typed["age"]
        else:
            form.errors["age"] = staff.t("console.reports.error.age")
    if typed["q"]:
        code = reports.normalize_code(typed["q"])
        if code is not None:
            values["code"] = code
        else:
            form.errors["q"] = staff.t("console.reports.error.code", length=reports.CODE_LENGTH)
    for name in ("after", "before"):
        raw = str(params.get(name, "")).strip()
        if raw and _DIGITS.fullmatch(raw):
            setattr(form, name, int(raw))
    form.query = desk.QueueQuery(**values)
    return form


def queue_link(query: desk.QueueQuery, **more: Any) -> str:
    """The address of the queue with these filters (and a page cursor)."""
    params = {
        "state": query.state if query.state != "open" else None,
        "kind": query.kind,
        "commune": query.commune,
        "age": query.age,
        "q": query.code,
        **more,
    }
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return "/staff/reports" + (f"?{urlencode(kept)}" if kept else "")


def commune_label(code: str | None) -> str:
    found = commune(code) if code else None
    return f"{found.name} ({found.province_name})" if found else (code or "")


@routes.get("/staff/reports")
@staff_page(ROLE)
async def queue_page(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The queue of my areas: filters, counts per state, a page of reports, oldest first."""
    form = read_queue_form(staff, request.query)
    areas = await staff.areas(ROLE)
    view = await desk.queue(
        staff.session, areas, form.query, staff.now, after=form.after, before=form.before
    )
    content, lang = staff.deps.content, staff.lang
    rows = [
        {
            "row": row,
            "report": row.report,
            "kind": category_label(content, row.report.category, lang),
            "place": place_label(content, row.report, lang),
            "date": short_date(row.report.created_at, staff.ctx.timezone, lang),
        }
        for row in view.rows
    ]
    query = form.query
    pages = {
        "next": queue_link(query, after=view.rows[-1].report.id)
        if view.more_after and view.rows
        else None,
        "previous": queue_link(query, before=view.rows[0].report.id)
        if view.more_before and view.rows
        else None,
        "first": queue_link(query) if view.more_before else None,
    }
    tabs = [
        {
            "state": state,
            "count": sum(view.counts.get(s, 0) for s in desk.statuses(state)),
            "link": queue_link(replace(query, state=state, code=None)),
            "current": state == query.state and query.code is None,
        }
        for state in ("open", *reports.OPEN, "closed")
    ]
    return render(
        staff,
        "reports/queue.html",
        {
            "form": form,
            "query": query,
            "view": view,
            "rows": rows,
            "pages": pages,
            "tabs": tabs,
            "states": desk.STATE_FILTERS,
            "kinds": [(k, category_label(content, k, lang)) for k in desk.KINDS],
            "communes": [(c, commune_label(c)) for c in view.communes],
            "ages": desk.AGES,
            "last": view.first + len(view.rows) - 1,
        },
    )


# --- one report ------------------------------------------------------------------------------


async def _find(staff: Staff, *, lock: bool = False) -> tuple[Report, Moderator]:
    me = await _me(staff)
    report = await desk.find(staff.session, me, _report_id(staff.request), lock=lock)
    if report is None:
        raise web.HTTPNotFound()
    return report, me


@routes.get(r"/staff/reports/{id:\d+}")
@staff_page(ROLE)
async def report_page(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The report, its evidence, its story and the moves its state allows now."""
    report, me = await _find(staff)
    return await _show(staff, report, me)


def _who(staff: Staff, report: Report, entry: timeline.Entry, names: dict[str, str]) -> str:
    """The reporter by the report's handle; a moderator as "you", by name, or as "a moderator"
    (never by a channel id)."""
    if entry.by_reporter:
        return staff.t("console.reports.who.reporter", handle=report.handle)
    return _moderator(staff, entry.actor, names)


def _moderator(staff: Staff, actor: str | None, names: dict[str, str]) -> str:
    if actor is not None and actor == staff.actor:
        return staff.t("console.reports.who.me")
    if actor is not None and actor in names:
        return staff.t("console.reports.who.moderator", name=names[actor])
    return staff.t("console.reports.who.someone")


def _choice(staff: Staff, entry: timeline.Entry) -> str | None:
    if entry.choice is None:
        return None
    if entry.state == reports.FORWARDED and entry.choice in FORWARD_TARGETS:
        return staff.t(f"console.reports.target.{entry.choice}")
    if entry.state == reports.REJECTED and entry.choice in REJECT_REASONS:
        return staff.t(f"moderation.reason.{entry.choice}")
    return entry.choice


async def _show(
    staff: Staff,
    report: Report,
    me: Moderator,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    problem: str | None = None,
) -> web.Response:
    """The report page; after a form that would not do, with what was typed and why (shown
    with 200: it is the page the person is working on, with a message, not a broken one)."""
    content, lang, tz = staff.deps.content, staff.lang, staff.ctx.timezone
    reachable = await transitions.reachable(staff.session, report)
    allowed = transitions.moves(me, report, reachable=reachable)
    files = []
    for f in await reports.files_of(staff.session, report.id or 0):
        pages = 0
        if f.mime_type == _PDF:
            pages = await asyncio.to_thread(evidence_pdf.page_count, f.data)
        files.append({"file": f, "picture": f.mime_type in _PICTURES, "pages": pages})
    entries = await timeline.of_report(staff.session, report)
    actors = {e.actor for e in entries if e.actor} | (
        {report.taken_by} if report.taken_by else set()
    )
    names = await desk.staff_names(staff.session, actors)
    story = [
        {
            "entry": e,
            "date": short_date(e.at, tz, lang),
            "time": e.at.astimezone(tz).strftime("%H:%M"),
            "iso": e.at.isoformat(),
            "who": _who(staff, report, e, names),
            "state": staff.t(f"moderation.state.{e.state}") if e.state else "",
            "before": staff.t(f"moderation.state.{e.before}") if e.before else "",
            "choice": _choice(staff, e),
        }
        for e in entries
    ]
    taken_by = _moderator(staff, report.taken_by, names) if report.taken_by else None
    values = {
        "report": report,
        "state": staff.t(f"moderation.state.{report.status}"),
        "kind": category_label(content, report.category, lang),
        "accused": staff.t(f"report.accused.{report.accused}") if report.accused else None,
        "place": place_label(content, report, lang),
        "when": when_label(content, report.happened, lang),
        "created": short_date(report.created_at, tz, lang),
        "touched": short_date(report.touched_at, tz, lang),
        "closed": short_date(report.closed_at, tz, lang) if report.closed_at else None,
        "untouched": untouched_days(report, staff.now),
        "taken_by": taken_by,
        "target": staff.t(f"console.reports.target.{report.forwarded_to}")
        if report.forwarded_to in FORWARD_TARGETS
        else None,
        "reason": staff.t(f"moderation.reason.{report.reason}")
        if report.reason in REJECT_REASONS
        else None,
        "reachable": reachable,
        "twin": await desk.twin(staff.session, me, report),
        "twins": await desk.twins(staff.session, me, report),
        "files": files,
        "story": story,
        "allowed": [m.value for m in allowed],
        # The table would allow a question now, but nobody can be asked: say why.
        "cannot_ask": transitions.refusal(me, report, Move.ASK, reachable=reachable)
        is Refusal.NO_REPORTER,
        "targets": FORWARD_TARGETS,
        "reasons": REJECT_REASONS,
        "limits": {
            "question": (moves.MIN_QUESTION, moves.MAX_QUESTION),
            "note": (moves.MIN_NOTE, moves.MAX_NOTE),
        },
        "errors": errors or {},
        "typed": typed or {},
        "problem": problem,
    }
    return render(staff, "reports/report.html", values)


# --- moves -----------------------------------------------------------------------------------

# The form field each move's typed text comes in, and the one its choice comes in.
_TEXT_FIELD = {Move.ASK: "question", Move.FORWARD: "note", Move.RESOLVE: "note"}
_CHOICE_FIELD = {Move.FORWARD: "target", Move.REJECT: "reason"}
_DONE_KEY = {
    Move.TAKE: "console.reports.done.take",
    Move.ASK: "console.reports.done.ask",
    Move.FORWARD: "console.reports.done.forward",
    Move.RESOLVE: "console.reports.done.resolve",
    Move.REJECT: "console.reports.done.reject",
}


def refusal_text(staff: Staff, report: Report, why: Refusal) -> str:
    """A refusal of the table, in words."""
    if why is Refusal.NO_REPORTER:
        return staff.t("console.reports.refused.no_reporter")
    if why is Refusal.BAD_CHOICE:
        return staff.t("console.reports.refused.bad_choice")
    return staff.t(
        "console.reports.refused.wrong_state", state=staff.t(f"moderation.state.{report.status}")
    )


@routes.post(r"/staff/reports/{id:\d+}/{move:[a-z]+}")
@staff_page(ROLE)
async def make_move(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Take, ask, forward, resolve or reject: checked, made and told to the reporter exactly
    as from chat; then back to the report (POST, redirect, GET)."""
    move = _MOVES.get(request.match_info["move"])
    if move is None:
        raise web.HTTPNotFound()
    report, me = await _find(staff, lock=True)
    form = await request.post()
    typed = {k: str(v) for k, v in form.items() if k in ("question", "note", "target", "reason")}
    errors: dict[str, str] = {}
    text: str | None = None
    choice: str | None = None
    if (name := _CHOICE_FIELD.get(move)) is not None:
        choice = typed.get(name, "")
        options = FORWARD_TARGETS if move is Move.FORWARD else REJECT_REASONS
        if choice not in options:
            errors[name] = staff.t(f"console.reports.error.{name}")
    if (name := _TEXT_FIELD.get(move)) is not None:
        cleaned = moves.clean_text(move, typed.get(name, ""))
        if isinstance(cleaned, moves.TextProblem):
            errors[f"{move.value}_{name}"] = (
                staff.t("console.reports.error.too_long", max=cleaned.high, length=cleaned.length)
                if cleaned.too_long
                else staff.t("console.reports.error.too_short", min=cleaned.low)
            )
        else:
            text = cleaned
    if errors:
        return await _show(staff, report, me, errors=errors, typed={"move": move.value, **typed})
    done = await moves.perform(
        staff.session,
        staff.deps.content,
        me,
        report,
        move,
        staff.now,
        text=text,
        choice=choice,
        limit_key=staff.deps.report_limit_key,
    )
    if isinstance(done, Refusal):
        if done is Refusal.NOT_YOURS:
            raise web.HTTPNotFound()
        return await _show(staff, report, me, problem=refusal_text(staff, report, done))
    staff.flash(staff.t(_DONE_KEY[move], id=report.id))
    raise see_other(f"/staff/reports/{report.id}")


# --- evidence --------------------------------------------------------------------------------


@routes.get(r"/staff/reports/{id:\d+}/files/{file:\d+}")
@staff_page(ROLE)
async def evidence_file(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The stored, cleaned copy of a file: a picture shown inline, a PDF downloaded."""
    found = await _file(staff)
    picture = found.mime_type in _PICTURES
    disposition = "inline" if picture else "attachment"
    return web.Response(
        body=found.data,
        content_type=found.mime_type
        if picture or found.mime_type == _PDF
        else "application/octet-stream",
        headers=_file_headers(f'{disposition}; filename="{_safe_name(found.file_name)}"'),
    )


@routes.get(r"/staff/reports/{id:\d+}/files/{file:\d+}/pages/{page:\d+}")
@staff_page(ROLE)
async def evidence_page(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Page N (from 1) of a stored PDF, drawn as a picture to show it in the page."""
    found = await _file(staff)
    number = int(request.match_info["page"]) if _DIGITS.fullmatch(request.match_info["page"]) else 0
    if found.mime_type != _PDF or number < 1:
        raise web.HTTPNotFound()
    try:
        jpeg = await asyncio.to_thread(evidence_pdf.page_picture, found.data, number - 1)
    except evidence_pdf.PdfRefused:
        raise web.HTTPNotFound() from None
    name = f"{_safe_name(found.file_name).rsplit('.', 1)[0]}-{number}.jpg"
    return web.Response(
        body=jpeg,
        content_type="image/jpeg",
        headers=_file_headers(f'inline; filename="{name}"'),
    )


async def _file(staff: Staff) -> ReportFile:
    me = await _me(staff)
    raw = staff.request.match_info["file"]
    if not _DIGITS.fullmatch(raw):
        raise web.HTTPNotFound()
    found = await desk.evidence(staff.session, me, _report_id(staff.request), int(raw))
    if found is None:
        raise web.HTTPNotFound()
    return found


def _safe_name(name: str) -> str:
    """Our own file names ("bang-chung-2.jpg"), kept to safe characters for the header."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80] or "file"


def _file_headers(disposition: str) -> dict[str, str]:
    return {
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        # A file opened on its own still runs nothing and embeds nothing.
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
    }

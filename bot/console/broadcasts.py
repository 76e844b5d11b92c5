"""The broadcasts pages of the staff console (officials; admins count): the list, the compose
form with its live recipient count, the draft's preview exactly as citizens get it (a test
copy to oneself, urgent, send or schedule), the approval of a province-wide one by a second
person, and where one stands: progress and the final report.

Who may do what, in which state, is handlers/broadcasts/transitions.py's table, read here
through ``transitions.find``/``allowed`` exactly as the chat buttons read it; a broadcast the
staff member may not even see is a 404.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.console import broadcast_view as view
from bot.console.staff import RUNTIME, Staff, render, see_other, staff_page
from handlers.broadcasts import services, transitions
from handlers.broadcasts.photos import PhotoRefused
from handlers.broadcasts.transitions import Act, Who
from handlers.core import roles
from handlers.core.types import Attachment, FileFetchError
from storage import broadcasts as store
from storage import users
from storage.models import Broadcast

routes = web.RouteTableDef()
ROLE = view.ROLE
STATES = (
    store.AWAITING, store.QUEUED, store.SCHEDULED, store.SENDING, store.DONE,
    store.CANCELLED, store.REJECTED, store.DRAFT,
)  # fmt: skip
_DIGITS = re.compile(r"\d{1,9}")  # an id the database can hold (its integers are 32-bit)
ACTS = (Act.EDIT, Act.SEND, Act.APPROVE, Act.REJECT, Act.CANCEL)


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if len(raw) > 12:
        raise web.HTTPNotFound()
    return int(raw)


def area_label(staff: Staff, area_code: str | None) -> str:
    return roles.area_name(area_code, staff.t("officials.whole_country"), with_code=False)


async def _seen(staff: Staff, broadcast_id: int) -> tuple[Broadcast, frozenset[Who]]:
    """The broadcast and who the staff member is to it; 404 unless they may see it (its
    author, an admin of its area, or an official of its whole area once it is confirmed)."""
    broadcast = await store.get(staff.session, broadcast_id)
    if broadcast is None:
        raise web.HTTPNotFound()
    who = await transitions.standing(staff.session, staff.actor, broadcast)
    if not any(transitions.allowed(broadcast, act, who) for act in (Act.VIEW, Act.REVIEW)):
        raise web.HTTPNotFound()
    return broadcast, who


async def _acting(staff: Staff, request: web.Request, act: Act) -> Broadcast | None:
    """The broadcast if the staff member may ``act`` on it now; None (with a kind line on the
    next page) when they may see it but not do that; 404 when they may not see it."""
    broadcast, _ = await _seen(staff, _id(request))
    found = await transitions.find(staff.session, broadcast.id or 0, act, staff.actor)
    if found is None:
        staff.flash(staff.t("console.broadcasts.not_now"))
    return found


def _back(broadcast_id: int) -> web.HTTPSeeOther:
    return see_other(f"/staff/broadcasts/{broadcast_id}")


# --- the list ----------------------------------------------------------------------------------


def list_link(state: str, **more: Any) -> str:
    """The address of the list with this state filter (and a page cursor)."""
    kept = {k: v for k, v in {"state": state, **more}.items() if v not in (None, "")}
    return "/staff/broadcasts" + (f"?{urlencode(kept)}" if kept else "")


def _cursor_id(params: Any, name: str) -> tuple[int | None, bool]:
    """A page cursor of the address: (its id, whether something unreadable was typed)."""
    raw = str(params.get(name, "")).strip()
    if not raw:
        return None, False
    return (int(raw), False) if _DIGITS.fullmatch(raw) else (None, True)


@routes.get("/staff/broadcasts")
@staff_page(role=ROLE)
async def index(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Mine and my area's, newest first, a page at a time, by state; what awaits my approval
    on top of the first page."""
    typed = str(request.query.get("state", "")).strip()
    state = typed if typed in STATES else ""
    errors = [staff.t("console.broadcasts.error.state")] if typed and not state else []
    after, bad_after = _cursor_id(request.query, "after")
    before, bad_before = _cursor_id(request.query, "before")
    if after is not None:
        before = None
    areas = await staff.areas(ROLE)
    found = await services.list_page(
        staff.session, staff.actor, areas, (state,) if state else None,
        after=after, before=before,
    )  # fmt: skip
    if found.cursor_lost or bad_after or bad_before:
        errors.append(staff.t("console.broadcasts.error.page"))
    first_page = not found.more_before
    waiting = await services.awaiting_approval(staff.session, staff.actor) if first_page else []
    pages = {
        "next": list_link(state, after=found.last) if found.more_after and found.last else None,
        "previous": list_link(state, before=found.first)
        if found.more_before and found.first
        else None,
        "first": list_link(state) if found.more_before else None,
    }
    return render(
        staff,
        "broadcasts/index.html",
        {
            "rows": [_row(staff, b) for b in found.rows],
            "waiting": [_row(staff, b) for b in waiting],
            "states": STATES,
            "state": state,
            "pages": pages,
            "errors": errors,
        },
    )


def _row(staff: Staff, b: Broadcast) -> dict[str, Any]:
    who = "broadcast.who.subscribers" if b.subscribers_only else "broadcast.who.everyone"
    return {
        "id": b.id,
        "status": b.status,
        "status_text": staff.t(f"broadcast.status.{b.status}"),
        "area": area_label(staff, b.area_code),
        "who": staff.t(who),
        "mine": b.author == staff.actor,
        "created": services.local_time(b.created_at, staff.ctx.timezone),
        "recipients": b.recipients,
        "urgent": b.urgent,
        "excerpt": b.text[:80] + ("…" if len(b.text) > 80 else ""),
    }


# --- composing ---------------------------------------------------------------------------------


async def _area_options(staff: Staff, extra: list[str]) -> list[tuple[str, str]]:
    """(value, label) of the areas the official may write to: their whole areas, and the
    communes of a province they hold (the whole country is too long a list: typed)."""
    areas = await staff.areas(ROLE)
    options = [(a or view.WHOLE, area_label(staff, a)) for a in services.audience_areas(areas)]
    for area in areas:
        if area is not None and len(area) == 2:
            options += [
                (c, roles.area_name(c, with_code=False)) for c in services.area_communes(area) or []
            ]
    options += [(c, roles.area_name(c, with_code=False)) for c in extra]
    return list(dict.fromkeys(options))


async def _compose_page(
    staff: Staff, form: view.Compose, figures: str | None = None
) -> web.Response:
    """The form (again, with what is wrong, answered 200: a browser logs a 4xx page as a
    failed load, and nothing failed but the typing)."""
    areas = await staff.areas(ROLE)
    return render(
        staff,
        "broadcasts/new.html",
        {
            "form": form,
            "options": await _area_options(staff, form.choices),
            "may_pick_commune": services.may_pick_commune(areas),
            "figures": figures,
            "max_text": services.MAX_TEXT,
            "max_caption": services.MAX_CAPTION,
            "photo_ok": staff.ctx.me.channel == "telegram",
            "example": services.example_when(staff.now, staff.ctx.timezone),
        },
    )


@routes.get("/staff/broadcasts/new")
@staff_page(role=ROLE)
async def new(request: web.Request, staff: Staff) -> web.StreamResponse:
    areas = await staff.areas(ROLE)
    first = areas[0] if areas else None
    return await _compose_page(staff, view.Compose(area=first or view.WHOLE))


async def _figures(staff: Staff, area: str | None, subscribers_only: bool) -> services.Figures:
    return await services.audience_figures(
        staff.session, area, subscribers_only, staff.deps.send_rate
    )


@routes.post("/staff/broadcasts/new")
@staff_page(role=ROLE)
async def create(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The form sent. Its "count" button: the form again with the audience's recipients;
    "preview": the draft written, and its page (the preview) shown."""
    form = await view.read_compose(await request.post())
    counting = (await request.post()).get("do") == "count"
    await view.check_compose(staff.ctx, form, staff.t, full=not counting)
    figures = None
    if "area" not in form.errors and "commune" not in form.errors:
        found = await _figures(staff, form.area_code, form.subscribers_only)
        figures = view.figures_text(staff.t, staff.deps.content, staff.lang, found,
                                    staff.deps.send_rate)  # fmt: skip
    if counting or form.errors:
        return await _compose_page(staff, form, figures)
    photo = None
    if form.photo is not None:
        try:
            photo = await view.photo_file_id(
                request.app[RUNTIME], staff.ctx.me, form.photo,
                staff.t("console.broadcasts.photo_caption"),
            )  # fmt: skip
        except PhotoRefused as refused:
            form.errors["photo"] = staff.t(f"console.broadcasts.photo.{refused.reason}")
            return await _compose_page(staff, form, figures)
    broadcast = await services.create_draft(
        staff.session,
        staff.deps.content,
        Broadcast(
            author=staff.actor,
            author_language=staff.ctx.user.language or staff.lang,
            area_code=form.area_code,
            subscribers_only=form.subscribers_only,
            urgent=form.urgent,
            text=form.text,
            photo=photo,
            not_before=form.moment,
            created_at=staff.now,
        ),
    )
    if broadcast is None:  # the role went between the check and now
        raise web.HTTPNotFound()
    raise _back(broadcast.id or 0)


@routes.get("/staff/broadcasts/count")
@staff_page(role=ROLE)
async def count(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The compose form's live count (its script): the audience's recipients and time."""
    form = view.Compose(
        area=request.query.get("area", "")[:10],
        commune_query=request.query.get("commune", "")[:200].strip(),
        who="subscribers" if request.query.get("who") == "subscribers" else "everyone",
    )
    await view.check_compose(staff.ctx, form, staff.t, full=False)
    if form.errors:
        return web.json_response({"ok": False, "text": " ".join(form.errors.values())})
    found = await _figures(staff, form.area_code, form.subscribers_only)
    text = view.figures_text(staff.t, staff.deps.content, staff.lang, found, staff.deps.send_rate)
    return web.json_response({"ok": True, "recipients": found.recipients, "text": text})


# --- one broadcast -----------------------------------------------------------------------------


@routes.get(r"/staff/broadcasts/{id:\d+}")
@staff_page(role=ROLE)
async def show(request: web.Request, staff: Staff) -> web.StreamResponse:
    broadcast, who = await _seen(staff, _id(request))
    allowed = {act.value for act in ACTS if transitions.allowed(broadcast, act, who)}
    content, tz = staff.deps.content, staff.ctx.timezone
    previews = [
        view.shown(services.render(content, broadcast, lang), lang)
        for lang in (staff.lang, *[x for x in services.LANGUAGES if x != staff.lang])
    ]
    pending = broadcast.status in (store.DRAFT, store.AWAITING)  # its audience still to count
    found = services.Figures(broadcast.recipients, 0.0)
    if pending:
        found = await _figures(staff, broadcast.area_code, broadcast.subscribers_only)
    values: dict[str, Any] = {
        "b": broadcast,
        "row": _row(staff, broadcast),
        "allowed": allowed,
        "previews": previews,
        "figures": view.figures_text(staff.t, content, staff.lang, found, staff.deps.send_rate)
        if pending
        else "",
        "notes": [
            staff.t(n.key, **n.values)
            for n in services.notes(broadcast, found.seconds, staff.now, tz)
        ]
        if broadcast.status == store.DRAFT
        else [],
        "wide": transitions.needs_approval(broadcast.area_code),
        "author_is_me": Who.AUTHOR in who,
        "author": await _person_name(staff, broadcast.author),
        "approver": await _person_name(staff, broadcast.approved_by)
        if broadcast.approved_by
        else "",
        "at": view.local_input(broadcast.not_before, tz),
        "when_text": services.local_time(broadcast.not_before, tz) if broadcast.not_before else "",
        "progress": None,
        "live": broadcast.status in (store.QUEUED, store.SCHEDULED, store.SENDING),
        "times": _times(staff, broadcast),
    }
    if not pending:
        values["progress"] = await services.progress(staff.session, broadcast.id or 0)
    return render(staff, "broadcasts/show.html", values)


async def _person_name(staff: Staff, actor: str) -> str:
    """'An (telegram:123)': the name the bot knows a staff member by, and their identity."""
    channel, _, user_id = actor.partition(":")
    found = await users.find_user(staff.session, channel, user_id)
    name = found.display_name if found is not None else None
    return f"{name} ({actor})" if name else actor


def _times(staff: Staff, b: Broadcast) -> list[tuple[str, str]]:
    tz = staff.ctx.timezone
    moments = [
        ("created", b.created_at), ("confirmed", b.confirmed_at), ("approved", b.approved_at),
        ("started", b.started_at), ("finished", b.finished_at),
    ]  # fmt: skip
    shown = [
        (staff.t(f"console.broadcasts.time.{name}"), services.local_time(at, tz))
        for name, at in moments
        if at is not None
    ]
    if b.started_at and b.finished_at:
        seconds = (b.finished_at - b.started_at).total_seconds()
        taken = services.duration(staff.deps.content, seconds, staff.lang)
        shown.append((staff.t("console.broadcasts.time.taken"), taken))
    return shown


@routes.get(r"/staff/broadcasts/{id:\d+}/progress")
@staff_page(role=ROLE)
async def progress(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Where its messages stand, for the page's script (the page itself shows the same)."""
    broadcast, _ = await _seen(staff, _id(request))
    figures = await services.progress(staff.session, broadcast.id or 0)
    return web.json_response(
        {
            "status": broadcast.status,
            "status_text": staff.t(f"broadcast.status.{broadcast.status}"),
            "recipients": broadcast.recipients,
            **figures._asdict(),
        }
    )


@routes.get(r"/staff/broadcasts/{id:\d+}/photo")
@staff_page(role=ROLE)
async def photo(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Its picture, fetched from Telegram (which holds the copy every recipient gets)."""
    broadcast, _ = await _seen(staff, _id(request))
    telegram = request.app[RUNTIME].telegram
    if not broadcast.photo or telegram is None:
        raise web.HTTPNotFound()
    try:
        data = await telegram.fetch_file(Attachment("photo", broadcast.photo), view.MAX_PHOTO_BYTES)
    except FileFetchError:
        raise web.HTTPNotFound() from None
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return web.Response(
        body=data,
        content_type=kind,
        headers={"Cache-Control": "private, max-age=600", "X-Content-Type-Options": "nosniff"},
    )


# --- acting on one -----------------------------------------------------------------------------


@routes.post(r"/staff/broadcasts/{id:\d+}/test")
@staff_page(role=ROLE)
async def test_copy(request: web.Request, staff: Staff) -> web.StreamResponse:
    """A test copy to one's own chat, exactly as citizens get it (through the outbox)."""
    broadcast = await _acting(staff, request, Act.EDIT)
    if broadcast is not None:
        lang = staff.ctx.user.language or staff.lang
        await services.queue_test_copy(staff.session, broadcast, staff.actor, lang, staff.now)
        staff.flash(staff.t("console.broadcasts.test_sent"))
    raise _back(_id(request))


@routes.post(r"/staff/broadcasts/{id:\d+}/urgent")
@staff_page(role=ROLE)
async def urgent(request: web.Request, staff: Staff) -> web.StreamResponse:
    broadcast = await _acting(staff, request, Act.EDIT)
    if broadcast is not None:
        on = (await request.post()).get("urgent") == "1"
        await services.set_urgent(staff.session, broadcast, staff.actor, on)
    raise _back(_id(request))


@routes.post(r"/staff/broadcasts/{id:\d+}/send")
@staff_page(role=ROLE)
async def send(request: web.Request, staff: Staff) -> web.StreamResponse:
    """Send now or at the time chosen (a province or the country: to the approvers first)."""
    broadcast = await _acting(staff, request, Act.SEND)
    if broadcast is None:
        raise _back(_id(request))
    form = await request.post()
    moment = None
    if form.get("when") == "at":
        raw = form.get("at")
        moment = view.parse_local(raw if isinstance(raw, str) else "", staff.ctx.timezone)
        if moment is None or not services.check_when(moment, staff.now):
            key = "when_unreadable" if moment is None else "when_range"
            staff.flash(staff.t(f"console.broadcasts.error.{key}", days=services.MAX_AHEAD.days))
            raise _back(broadcast.id or 0)
    await services.set_when(staff.session, broadcast, staff.actor, moment)
    sent = await services.send(
        staff.session, staff.deps.content, broadcast, staff.actor, staff.now, moment
    )
    if sent is None:
        staff.flash(staff.t("console.broadcasts.not_now"))
    elif sent.state == store.AWAITING:
        staff.flash(staff.t("console.broadcasts.submitted", approvers=sent.asked))
    else:
        start = services.starts_at(broadcast, moment, staff.now, staff.ctx.timezone)
        at = services.local_time(start, staff.ctx.timezone)
        staff.flash(staff.t("console.broadcasts.confirmed", at=at))
    raise _back(broadcast.id or 0)


async def _decide(request: web.Request, staff: Staff, act: Act) -> web.StreamResponse:
    broadcast = await _acting(staff, request, act)
    if broadcast is not None:
        approved = act == Act.APPROVE
        state = await services.decide(
            staff.session, staff.deps.content, broadcast, staff.actor, staff.now, approved
        )
        if state is None:
            staff.flash(staff.t("console.broadcasts.not_now"))
        else:
            staff.flash(staff.t("console.broadcasts.approved" if approved
                                else "console.broadcasts.rejected"))  # fmt: skip
    raise _back(_id(request))


@routes.post(r"/staff/broadcasts/{id:\d+}/approve")
@staff_page(role=ROLE)
async def approve(request: web.Request, staff: Staff) -> web.StreamResponse:
    return await _decide(request, staff, Act.APPROVE)


@routes.post(r"/staff/broadcasts/{id:\d+}/reject")
@staff_page(role=ROLE)
async def reject(request: web.Request, staff: Staff) -> web.StreamResponse:
    return await _decide(request, staff, Act.REJECT)


@routes.post(r"/staff/broadcasts/{id:\d+}/cancel")
@staff_page(role=ROLE)
async def cancel(request: web.Request, staff: Staff) -> web.StreamResponse:
    broadcast = await _acting(staff, request, Act.CANCEL)
    if broadcast is not None:
        was = await services.cancel(staff.session, broadcast, staff.actor, staff.now)
        if was is None:
            staff.flash(staff.t("console.broadcasts.not_now"))
        elif was == store.DRAFT:
            staff.flash(staff.t("console.broadcasts.discarded"))
            raise see_other("/staff/broadcasts")
        else:
            staff.flash(staff.t("console.broadcasts.cancelled"))
    raise _back(_id(request))

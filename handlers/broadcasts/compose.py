"""/thongbao: an official writes an announcement to the citizens of their area.

The text (a photo may come with it, the text as its caption) -> the audience: the
official's whole area, or a commune in it (typed by name or code) -> everyone there, or only
those who follow a transaction point there -> the preview, exactly as citizens get it, with
the number of recipients and the time it takes at the current rate -> send (a whole province
or the whole country first needs a second official or an admin of it to approve: see
approval.py), schedule for later, a test copy to oneself, urgent on/off (urgent ones go out
in the quiet hours too), or cancel (status.py).

Role and area are checked again when each button runs, against the broadcast's own area
(transitions.py); every submission, approval, rejection, schedule and cancellation goes to
the audit log (services.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from content.places import commune
from handlers.account.console_link import console_button
from handlers.broadcasts import services, transitions
from handlers.broadcasts.actions import (
    WHOLE,
    AskCommune,
    AskWhen,
    Audience,
    CancelBroadcast,
    ChooseAudience,
    ChooseCommune,
    ChooseWholeArea,
    MyBroadcasts,
    ReviewBroadcast,
    SendBroadcast,
    SendTestCopy,
    ShowBroadcast,
    StartBroadcast,
    ToggleUrgent,
)
from handlers.broadcasts.flow import FLOW, Draft, Step
from handlers.broadcasts.services import local_time
from handlers.broadcasts.transitions import Act, needs_approval
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.flows import TextHandler
from handlers.core.types import Button, Reply
from storage import broadcasts as store
from storage.models import Broadcast

COMMAND = "thongbao"
ROLE = "official"
MAX_TEXT, MAX_CAPTION = services.MAX_TEXT, services.MAX_CAPTION
MAX_LISTED = 10


def area_label(ctx: Context, area_code: str | None) -> str:
    return roles.area_name(area_code, ctx.t("officials.whole_country"), with_code=False)


def summary_values(ctx: Context, broadcast: Broadcast) -> dict[str, Any]:
    """What the preview, the review and the status line say of a broadcast."""
    who = "broadcast.who.subscribers" if broadcast.subscribers_only else "broadcast.who.everyone"
    return {
        "id": broadcast.id,
        "area": area_label(ctx, broadcast.area_code),
        "who": ctx.t(who),
        "urgent": ctx.t("broadcast.urgent.yes" if broadcast.urgent else "broadcast.urgent.no"),
    }


def _menu_rows(ctx: Context) -> list[tuple[Button, ...]]:
    return [
        (ctx.button("broadcast.button.mine", MyBroadcasts()),),
        console_button(ctx),
        ctx.menu_row(),
    ]


# --- the start ---------------------------------------------------------------------------------


async def command(ctx: Context, text: str) -> list[Reply]:
    """/thongbao (what follows the command is not used)."""
    return await start(ctx)


async def start_button(ctx: Context, action: StartBroadcast) -> list[Reply]:
    return await start(ctx)


async def start(ctx: Context) -> list[Reply]:
    """Ask for the text; list what awaits this official's approval."""
    await FLOW.enter(ctx, Step.TEXT, Draft())
    replies = [ctx.reply("broadcast.ask_text", _menu_rows(ctx), max=MAX_TEXT)]
    waiting = await services.awaiting_approval(ctx.session, roles.actor(ctx))
    if waiting:
        rows = [
            (Button(ctx.t("broadcast.button.review", id=b.id, area=area_label(ctx, b.area_code)),
                    ReviewBroadcast(id=b.id or 0).pack()),)
            for b in waiting[:MAX_LISTED]
        ]  # fmt: skip
        replies.append(ctx.reply("broadcast.awaiting_you", rows, count=len(waiting)))
    return replies


def _officials_only(handler: TextHandler) -> TextHandler:
    """Text typed in the flow by someone no longer an official: as if it never was theirs."""

    @functools.wraps(handler)
    async def checked(ctx: Context, text: str) -> list[Reply]:
        if not await roles.allowed(ctx, ROLE):
            await ctx.leave_flow()
            return roles.unknown_command(ctx, COMMAND)
        return await handler(ctx, text)

    return checked


# --- the text ----------------------------------------------------------------------------------


@FLOW.on_text(Step.TEXT)
@_officials_only
async def typed_text(ctx: Context, text: str) -> list[Reply]:
    """The announcement (or a photo, its caption the text)."""
    draft = FLOW.draft(ctx)
    # A photo is kept by its Telegram file id, which only Telegram can resend; a photo sent
    # from another channel (Zalo) is left out rather than fail for every Telegram recipient.
    photos = [a for a in ctx.attachments if a.kind == "photo" and ctx.me.channel == "telegram"]
    photo = photos[-1].file_id if photos else draft.photo
    if photos and len(photos[-1].file_id) > 256:
        photo = None
    if not text:
        if photo:
            await FLOW.enter(ctx, Step.TEXT, draft.model_copy(update={"photo": photo}))
            return [ctx.reply("broadcast.photo_needs_text", [ctx.menu_row()], max=MAX_CAPTION)]
        return [ctx.reply("broadcast.ask_text", _menu_rows(ctx), max=MAX_TEXT)]
    problem = services.check_text(text, with_photo=bool(photo))
    if problem is not None:
        return [ctx.reply(problem.key, [ctx.menu_row()], **problem.values)]
    await FLOW.enter(ctx, Step.AREA, draft.model_copy(update={"text": text, "photo": photo}))
    areas = await roles.areas_of(ctx, ROLE)
    rows = [
        (ctx.button("broadcast.button.whole", ChooseWholeArea(area=a or WHOLE),
                    area=area_label(ctx, a)),)
        for a in services.audience_areas(areas)
    ]  # fmt: skip
    if services.may_pick_commune(areas):
        rows.append((ctx.button("broadcast.button.commune", AskCommune()),))
    return [ctx.reply("broadcast.ask_area", [*rows, ctx.menu_row()])]


# --- the area ----------------------------------------------------------------------------------


async def choose_whole(ctx: Context, action: ChooseWholeArea) -> list[Reply]:
    return await _chosen_area(ctx, None if action.area == WHOLE else action.area)


async def ask_commune(ctx: Context, action: AskCommune) -> list[Reply]:
    await FLOW.enter(ctx, Step.COMMUNE)
    return [ctx.reply("broadcast.ask_commune", [ctx.menu_row()])]


@FLOW.on_text(Step.COMMUNE)
@_officials_only
async def typed_commune(ctx: Context, text: str) -> list[Reply]:
    """A commune's name or code, within the official's area: the matches to pick from."""
    areas = await roles.areas_of(ctx, ROLE)
    choices = services.matching_communes(areas, text)
    if not choices:
        query = text[: services.MAX_QUERY]
        return [ctx.reply("broadcast.commune_not_found", [ctx.menu_row()], query=query)]
    rows = [
        (Button(roles.area_name(c, with_code=False), ChooseCommune(code=c).pack()),)
        for c in choices
    ]
    return [ctx.reply("broadcast.pick_commune", [*rows, ctx.menu_row()])]


async def choose_commune(ctx: Context, action: ChooseCommune) -> list[Reply]:
    found = commune(action.code)
    if found is None:
        return roles.unknown_action(ctx)
    return await _chosen_area(ctx, found.code)  # its own code, never what the button said


async def _chosen_area(ctx: Context, area: str | None) -> list[Reply]:
    if not await roles.allowed_area(ctx, ROLE, area):
        return [ctx.reply("broadcast.area_outside", [ctx.menu_row()])]
    await FLOW.enter(ctx, Step.WHO, FLOW.draft(ctx).model_copy(update={"area": area}))
    rows = [
        (ctx.button("broadcast.button.everyone", ChooseAudience(audience=Audience.EVERYONE)),),
        (ctx.button("broadcast.button.subscribers",
                    ChooseAudience(audience=Audience.SUBSCRIBERS)),),
        ctx.menu_row(),
    ]  # fmt: skip
    return [ctx.reply("broadcast.ask_who", rows, area=area_label(ctx, area))]


async def choose_audience(ctx: Context, action: ChooseAudience) -> list[Reply]:
    """Everyone there or the subscribers: the draft is written, and its preview shown."""
    draft = FLOW.draft(ctx)
    if not draft.text:
        return roles.unknown_action(ctx)
    broadcast = await services.create_draft(
        ctx.session,
        ctx.content,
        Broadcast(
            author=roles.actor(ctx),
            author_language=ctx.lang,
            area_code=draft.area,
            subscribers_only=action.audience == Audience.SUBSCRIBERS,
            text=draft.text,
            photo=draft.photo,
            created_at=ctx.now,
        ),
    )
    if broadcast is None:
        return roles.unknown_action(ctx)
    await ctx.leave_flow()
    return await preview(ctx, broadcast)


# @FLOW.on_text() for the steps that wait for a button: at the end of this module.


# --- the draft: preview, test copy, urgent, send, schedule -------------------------------------


async def preview(ctx: Context, broadcast: Broadcast) -> list[Reply]:
    """The announcement as citizens get it, its figures, and what may be done with it."""
    count, seconds = await services.audience_figures(
        ctx.session, broadcast.area_code, broadcast.subscribers_only, ctx.send_rate
    )
    lines = [
        ctx.t(
            "broadcast.summary",
            recipients=f"{count:,}".replace(",", "."),
            time=services.duration(ctx.content, seconds, ctx.lang),
            rate=f"{ctx.send_rate:g}",
            **summary_values(ctx, broadcast),
        )
    ]
    lines += [
        ctx.t(note.key, **note.values)
        for note in services.notes(broadcast, seconds, ctx.now, ctx.timezone)
    ]
    wide = needs_approval(broadcast.area_code)
    send_key = "broadcast.button.submit" if wide else "broadcast.button.send"
    bid = broadcast.id or 0
    urgent_key = "broadcast.button.urgent_" + ("off" if broadcast.urgent else "on")
    rows = [
        (ctx.button(send_key, SendBroadcast(id=bid)),),
        (ctx.button("broadcast.button.schedule", AskWhen(id=bid)),
         ctx.button("broadcast.button.test", SendTestCopy(id=bid))),
        (ctx.button(urgent_key, ToggleUrgent(id=bid)),),
        (ctx.button("broadcast.button.cancel", CancelBroadcast(id=bid)),),
    ]  # fmt: skip
    shown = services.render(ctx.content, broadcast, ctx.lang)
    inert = Reply(shown.text, (), photo=shown.photo)  # its button would act: shown inert
    return [ctx.reply("broadcast.preview_title"), inert, Reply("\n\n".join(lines), tuple(rows))]


async def _draft(ctx: Context, broadcast_id: int, act: Act) -> Broadcast | None:
    return await transitions.find(ctx.session, broadcast_id, act, roles.actor(ctx))


async def send_test_copy(ctx: Context, action: SendTestCopy) -> list[Reply]:
    """The announcement, sent to its author exactly as citizens get it."""
    broadcast = await _draft(ctx, action.id, Act.EDIT)
    if broadcast is None:
        return roles.unknown_action(ctx)
    copy = services.test_copy(broadcast, ctx.lang)
    back = ctx.button("broadcast.button.back", ShowBroadcast(id=action.id))
    return [copy, ctx.reply("broadcast.test_sent", [(back,)])]


async def toggle_urgent(ctx: Context, action: ToggleUrgent) -> list[Reply]:
    broadcast = await _draft(ctx, action.id, Act.EDIT)
    if broadcast is None or not await services.set_urgent(
        ctx.session, broadcast, roles.actor(ctx), not broadcast.urgent
    ):
        return roles.unknown_action(ctx)
    return await preview(ctx, broadcast)


async def confirm(ctx: Context, action: SendBroadcast) -> list[Reply]:
    """Send now (or after approval)."""
    broadcast = await _draft(ctx, action.id, Act.SEND)
    if broadcast is None:
        return roles.unknown_action(ctx)
    return await _send(ctx, broadcast, None)


async def ask_when(ctx: Context, action: AskWhen) -> list[Reply]:
    broadcast = await _draft(ctx, action.id, Act.SEND)
    if broadcast is None:
        return roles.unknown_action(ctx)
    await FLOW.enter(ctx, Step.WHEN, Draft(id=action.id))
    example = services.example_when(ctx.now, ctx.timezone)
    return [ctx.reply("broadcast.ask_when", [ctx.menu_row()], example=example)]


@FLOW.on_text(Step.WHEN)
@_officials_only
async def typed_when(ctx: Context, text: str) -> list[Reply]:
    """The time to send the draft at, in local time, within 60 days."""
    broadcast_id = FLOW.draft(ctx).id
    broadcast = None if broadcast_id is None else await _draft(ctx, broadcast_id, Act.SEND)
    if broadcast is None:
        await ctx.leave_flow()
        return roles.unknown_action(ctx)
    moment = services.parse_when(text, ctx.now, ctx.timezone)
    if moment is None or not services.check_when(moment, ctx.now):
        example = services.example_when(ctx.now, ctx.timezone)
        return [ctx.reply("broadcast.bad_when", [ctx.menu_row()], example=example)]
    await ctx.leave_flow()
    return await _send(ctx, broadcast, moment)


async def _send(ctx: Context, broadcast: Broadcast, when: dt.datetime | None) -> list[Reply]:
    sent = await services.send(ctx.session, ctx.content, broadcast, roles.actor(ctx), ctx.now, when)
    if sent is None:
        return roles.unknown_action(ctx)
    rows = [(ctx.button("broadcast.button.show", ShowBroadcast(id=broadcast.id or 0)),),
            ctx.menu_row()]  # fmt: skip
    if sent.state == store.AWAITING:
        return [ctx.reply("broadcast.submitted", rows, id=broadcast.id, approvers=sent.asked)]
    start_at = services.starts_at(broadcast, when, ctx.now, ctx.timezone)
    key = "broadcast.scheduled" if when or start_at != ctx.now else "broadcast.confirmed"
    return [ctx.reply(key, rows, id=broadcast.id, at=local_time(start_at, ctx.timezone))]


@FLOW.on_text()
@_officials_only
async def typed_elsewhere(ctx: Context, text: str) -> list[Reply]:
    """Text where a button is awaited (the area, the audience)."""
    return [ctx.reply("broadcast.press_button", [ctx.menu_row()])]

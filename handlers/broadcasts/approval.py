"""A broadcast to a whole province (or the country) waits for a second official or an admin
of it: they are asked (services.ask_approvers), /thongbao lists what awaits them, and here
they review it, approve or reject. Never its author, from any of their linked channels."""

from __future__ import annotations

from handlers.broadcasts import services, transitions
from handlers.broadcasts.actions import ApproveBroadcast, RejectBroadcast, ReviewBroadcast
from handlers.broadcasts.compose import summary_values
from handlers.broadcasts.services import local_time
from handlers.broadcasts.transitions import Act
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.types import Reply


async def review(ctx: Context, action: ReviewBroadcast) -> list[Reply]:
    """What an approver sees: the announcement, its audience, approve or reject."""
    broadcast = await transitions.find(ctx.session, action.id, Act.REVIEW, roles.actor(ctx))
    if broadcast is None:
        return roles.unknown_action(ctx)
    shown = services.render(ctx.content, broadcast, ctx.lang)
    count, _ = await services.audience_figures(
        ctx.session, broadcast.area_code, broadcast.subscribers_only, ctx.send_rate
    )
    rows = (
        (ctx.button("broadcast.button.approve", ApproveBroadcast(id=action.id)),
         ctx.button("broadcast.button.reject", RejectBroadcast(id=action.id))),
    )  # fmt: skip
    text = ctx.t(
        "broadcast.review",
        author=broadcast.author,
        recipients=f"{count:,}".replace(",", "."),
        at=local_time(broadcast.not_before, ctx.timezone) if broadcast.not_before else "—",
        **summary_values(ctx, broadcast),
    )
    return [Reply(shown.text, (), photo=shown.photo), Reply(text, rows)]


async def approve(ctx: Context, action: ApproveBroadcast) -> list[Reply]:
    return await _decide(ctx, action.id, Act.APPROVE)


async def reject(ctx: Context, action: RejectBroadcast) -> list[Reply]:
    return await _decide(ctx, action.id, Act.REJECT)


async def _decide(ctx: Context, broadcast_id: int, act: Act) -> list[Reply]:
    me = roles.actor(ctx)
    broadcast = await transitions.find(ctx.session, broadcast_id, act, me)
    approved = act == Act.APPROVE
    if (
        broadcast is None
        or await services.decide(ctx.session, ctx.content, broadcast, me, ctx.now, approved) is None
    ):
        return roles.unknown_action(ctx)
    done = "broadcast.approved" if approved else "broadcast.rejected"
    return [ctx.reply(done, [ctx.menu_row()], id=broadcast_id)]

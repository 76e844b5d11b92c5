"""An official's broadcasts: the recent ones, where one stands (sent, blocked, failed, left),
and cancelling one until it has finished (its author, or an admin of its area)."""

from __future__ import annotations

from handlers.broadcasts import services, transitions
from handlers.broadcasts.actions import CancelBroadcast, MyBroadcasts, ShowBroadcast
from handlers.broadcasts.compose import MAX_LISTED, area_label, preview, summary_values
from handlers.broadcasts.flow import FLOW
from handlers.broadcasts.transitions import Act
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.types import Button, Reply
from storage import broadcasts as store


async def mine(ctx: Context, action: MyBroadcasts) -> list[Reply]:
    """The author's recent broadcasts."""
    found = await store.recent(ctx.session, MAX_LISTED, author=roles.actor(ctx))
    if not found:
        return [ctx.reply("broadcast.none_yet", [ctx.menu_row()])]
    rows = [
        (Button(ctx.t("broadcast.line", id=b.id, status=ctx.t(f"broadcast.status.{b.status}"),
                      area=area_label(ctx, b.area_code)), ShowBroadcast(id=b.id or 0).pack()),)
        for b in found
    ]  # fmt: skip
    return [ctx.reply("broadcast.mine", [*rows, ctx.menu_row()])]


async def show(ctx: Context, action: ShowBroadcast) -> list[Reply]:
    """Where a broadcast stands, with cancel while it has not finished (a draft: its
    preview)."""
    broadcast = await transitions.find(ctx.session, action.id, Act.VIEW, roles.actor(ctx))
    if broadcast is None:
        return roles.unknown_action(ctx)
    if broadcast.status == store.DRAFT:
        return await preview(ctx, broadcast)
    figures = await services.progress(ctx.session, action.id)
    text = ctx.t(
        "broadcast.status_line",
        status=ctx.t(f"broadcast.status.{broadcast.status}"),
        recipients=broadcast.recipients,
        sent=figures.sent,
        blocked=figures.blocked,
        failed=figures.failed,
        left=figures.left,
        **summary_values(ctx, broadcast),
    )
    if figures.unreachable:  # Zalo OA: out of the 7-day window, no ZNS for them
        text += "\n" + ctx.t("broadcast.status_unreachable", unreachable=figures.unreachable)
    rows: list[tuple[Button, ...]] = []
    who = await transitions.standing(ctx.session, roles.actor(ctx), broadcast)
    if transitions.allowed(broadcast, Act.CANCEL, who) is not None:  # theirs, or an admin's
        rows.append((ctx.button("broadcast.button.cancel", CancelBroadcast(id=action.id)),))
    rows.append(ctx.menu_row())
    return [Reply(text, tuple(rows))]


async def cancel(ctx: Context, action: CancelBroadcast) -> list[Reply]:
    """Until it has finished, by its author or an admin of the area."""
    me = roles.actor(ctx)
    broadcast = await transitions.find(ctx.session, action.id, Act.CANCEL, me)
    was = None if broadcast is None else await services.cancel(ctx.session, broadcast, me, ctx.now)
    if was is None:
        return roles.unknown_action(ctx)
    if FLOW.active(ctx):
        await ctx.leave_flow()
    key = "broadcast.cancelled_sending" if was == store.SENDING else "broadcast.cancelled"
    return [ctx.reply(key, [ctx.menu_row()], id=action.id)]

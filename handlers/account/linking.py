"""One person, two channels: a linking code shown in one channel and typed in the other.

From /caidat (or /lienket): see whether this account is linked, get a code, or type the
code the other channel showed ("lienket ABCD-2345" works as one message too). Once linked,
settings, reminders and reports are the person's, on both channels (storage/people.py);
reminders and announcements go to one channel, which the person can change; either side can
unlink.
"""

from __future__ import annotations

import enum

from handlers.account.actions import (
    AnswerConsent,
    EnterLinkCode,
    ReceiveHere,
    ShowLinkCode,
    ShowLinks,
    Unlink,
)
from handlers.core.context import Context
from handlers.core.flows import Flow, NoDraft
from handlers.core.types import Button, Reply
from storage import people


class Step(enum.StrEnum):
    CODE = "code"


# Its buttons work before onboarding (no language yet; see account/actions.py), with the code
# typed in this flow after them: a person who set the bot up on the other channel links here
# without setting it up again. A code of one's own needs the consent onboarding asks for.
FLOW = Flow("link", Step, NoDraft, order=(Step.CODE,))
CHANNEL_NAMES = {
    "telegram": "Telegram",
    "zalo": "Zalo",
    "zalo_oa": "Zalo OA",
    "terminal": "Terminal",
}


def channel_name(channel: str) -> str:
    return CHANNEL_NAMES.get(channel, channel)


async def show(ctx: Context, action: ShowLinks | None = None) -> list[Reply]:
    """This account's links and what can be done about them."""
    await ctx.leave_flow()
    me = ctx.me
    linked = await people.identities(ctx.session, ctx.user.id or 0)
    rows: list[list[Button]] = []
    if len(linked) > 1:
        status = ctx.t(
            "link.status_linked",
            channels=", ".join(channel_name(u.channel) for u in linked),
            holder=channel_name(ctx.user.channel),
        )
        if me.id != ctx.user.id:
            rows.append([ctx.button("button.link_here", ReceiveHere())])
        rows.append([ctx.button("button.link_unlink", Unlink())])
    else:
        status = ctx.t("link.status_none", channel=channel_name(me.channel))
        rows.append([ctx.button("button.link_code", ShowLinkCode())])
        rows.append([ctx.button("button.link_enter", EnterLinkCode())])
    rows.append(list(ctx.menu_row()))
    return [Reply(ctx.t("link.title") + "\n\n" + status, tuple(tuple(r) for r in rows))]


async def show_code(ctx: Context, action: ShowLinkCode) -> list[Reply]:
    """A fresh code to type in the other channel (needs consent: it keeps data)."""
    await ctx.leave_flow()
    if ctx.user.consent_at is None:
        return [
            ctx.reply(
                "link.needs_consent",
                [[ctx.button("button.give_consent", AnswerConsent(answer="yes"))], ctx.menu_row()],
            )
        ]
    code = await people.new_code(ctx.session, ctx.me.id or 0, ctx.now)
    minutes = int(people.CODE_TTL.total_seconds() // 60)
    return [
        ctx.reply("link.code", [ctx.menu_row()], code=people.format_code(code), minutes=minutes)
    ]


async def ask_code(ctx: Context, action: EnterLinkCode) -> list[Reply]:
    """Wait for the code the other channel showed."""
    await FLOW.enter(ctx, Step.CODE)
    return [ctx.reply("link.ask_code", [ctx.menu_row()])]


async def command(ctx: Context, text: str) -> list[Reply]:
    """/lienket [CODE]: link with the code, or show the links."""
    if not text:
        return await show(ctx)
    return await _link(ctx, text)


@FLOW.on_text(Step.CODE)
async def code_text(ctx: Context, text: str) -> list[Reply]:
    """The code, typed while the link flow waits for it."""
    return await _link(ctx, text)


async def _link(ctx: Context, typed: str) -> list[Reply]:
    me = ctx.me
    try:
        holder = await people.link(ctx.session, typed, me, ctx.now)
    except people.LinkError as exc:
        if exc.reason != "invalid" or not FLOW.active(ctx):
            await ctx.leave_flow()
        return [ctx.reply(f"link.{exc.reason}", [ctx.menu_row()], channel=channel_name(me.channel))]
    # The typing identity's own state went with linking; from here on it speaks as the person.
    ctx.user, ctx.identity = holder, me
    linked = await people.identities(ctx.session, holder.id or 0)
    return [
        ctx.reply(
            "link.done",
            [ctx.menu_row()],
            channels=", ".join(channel_name(u.channel) for u in linked),
            holder=channel_name(holder.channel),
        )
    ]


async def unlink(ctx: Context, action: Unlink) -> list[Reply]:
    """Separate this account (or, from the holder, the others) again."""
    await ctx.leave_flow()
    holder = ctx.user
    await people.unlink(ctx.session, ctx.me)
    return [ctx.reply("link.unlinked", [ctx.menu_row()], holder=channel_name(holder.channel))]


async def receive_here(ctx: Context, action: ReceiveHere) -> list[Reply]:
    """Reminders and announcements come to the channel this was pressed on."""
    me = ctx.me
    if me.id != ctx.user.id:
        await people.make_holder(ctx.session, me)
        ctx.user, ctx.identity = me, None
    return [ctx.reply("link.here_done", [ctx.menu_row()], channel=channel_name(me.channel))]

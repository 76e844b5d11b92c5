"""/web: a single-use link that signs a staff member in to the web console.

Only people holding a role get one; to anyone else /web does not exist. The link works once,
for ten minutes, for the person who asked; a person may ask for a few per hour (a lost phone
cannot be made to mint links without end). The token is shown here once and kept only as a
hash (storage/console.py).
"""

from __future__ import annotations

import datetime as dt

from handlers.account.actions import OpenConsole
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.types import Button, Reply
from storage import console

LINK_TTL = dt.timedelta(minutes=10)
LINKS_PER_HOUR = 5
SIGNIN_PATH = "/staff/signin/"


async def command(ctx: Context, text: str) -> list[Reply]:
    """/web."""
    if not await roles.roles_of(ctx):
        return roles.unknown_command(ctx, "web")
    return await _link(ctx)


async def open_console(ctx: Context, action: OpenConsole) -> list[Reply]:
    """The console button in the staff menus."""
    if not await roles.roles_of(ctx):
        return roles.unknown_action(ctx)
    return await _link(ctx)


async def _link(ctx: Context) -> list[Reply]:
    if not ctx.public_base_url:
        return [ctx.reply("web.not_configured", [ctx.menu_row()])]
    me = ctx.me
    asked = await console.links_since(
        ctx.session, me.channel, me.channel_user_id, ctx.now - dt.timedelta(hours=1)
    )
    if asked >= LINKS_PER_HOUR:
        return [ctx.reply("web.too_many", [ctx.menu_row()], limit=LINKS_PER_HOUR)]
    token = await console.create_link(
        ctx.session, me.channel, me.channel_user_id, ctx.now, LINK_TTL
    )
    url = f"{ctx.public_base_url.rstrip('/')}{SIGNIN_PATH}{token}"
    minutes = int(LINK_TTL.total_seconds() // 60)
    return [ctx.reply("web.link", [ctx.menu_row()], url=url, minutes=minutes)]


def console_button(ctx: Context) -> tuple[Button, ...]:
    """The row with the console button, for the staff menus."""
    return (ctx.button("button.console", OpenConsole()),)

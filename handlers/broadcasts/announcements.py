"""Every citizen's switch: officials' announcements on or off (the button under each
announcement, and /caidat). Reminders of transaction days are not touched."""

from __future__ import annotations

from handlers.broadcasts.actions import SwitchAnnouncements
from handlers.core.context import Context
from handlers.core.types import Reply


async def switch(ctx: Context, action: SwitchAnnouncements) -> list[Reply]:
    on = action.switch == "on"
    ctx.user.announcements = on
    if on:
        return [ctx.reply("broadcast.announcements_on", [ctx.menu_row()])]
    rows = [(ctx.button("broadcast.button.turn_on", SwitchAnnouncements(switch="on")),)]
    return [ctx.reply("broadcast.announcements_off", [*rows, ctx.menu_row()])]

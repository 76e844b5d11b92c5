"""/caidat: the user's settings: language, commune, linked channels, announcements, and
ZNS reminders to a phone number where the Zalo OA channel is on (account/zns.py)."""

from __future__ import annotations

from content.places import commune
from handlers.account.actions import ShowLinks, ShowSettings, ShowZns
from handlers.account.start import language_row
from handlers.broadcasts.actions import SwitchAnnouncements
from handlers.core.context import Context
from handlers.core.types import Reply
from handlers.schedules.actions import AskCommune


async def command(ctx: Context, text: str) -> list[Reply]:
    """/caidat."""
    return await show_settings(ctx)


async def show_settings(ctx: Context, action: ShowSettings | None = None) -> list[Reply]:
    """Current settings and the buttons to change them."""
    await ctx.leave_flow()
    language = ctx.t("settings.language_name")
    on = ctx.user.announcements
    # Reminders by ZNS where the OA channel is on (handlers/account/zns.py).
    zns_rows = [[ctx.button("zns.button.open", ShowZns())]] if ctx.zns_offered else []
    reply = ctx.reply(
        "settings.title",
        [
            list(language_row(ctx)),
            *zns_rows,
            [ctx.button("settings.commune", AskCommune())],
            [ctx.button("button.link", ShowLinks())],
            # Officials' announcements on or off; reminders are set per point in /lich.
            [
                ctx.button(
                    "broadcast.button.turn_off" if on else "broadcast.button.turn_on",
                    SwitchAnnouncements(switch="off" if on else "on"),
                )
            ],
            ctx.menu_row(),
        ],
        language=language,
        commune=_commune_name(ctx),
    )
    state = ctx.t("broadcast.setting_on" if on else "broadcast.setting_off")
    return [Reply(f"{reply.text}\n\n{state}", reply.buttons)]


def _commune_name(ctx: Context) -> str:
    found = commune(ctx.user.commune_code) if ctx.user.commune_code else None
    return f"{found.name}, {found.province_name}" if found else ctx.t("data.not_set")

"""The main menu, help, and honest answers for features that are not built yet."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.types import Reply

# Menu entries whose feature arrives in a later release, keyed by their action argument.
COMING_SOON: tuple[str, ...] = ()


def main_menu(ctx: Context) -> Reply:
    return ctx.reply(
        "menu.title",
        [
            [ctx.button("menu.programs", "progs")],
            [ctx.button("menu.eligibility", "el")],
            [ctx.button("menu.schedule", "lich")],
            [ctx.button("menu.blackcredit", "blackcredit")],
            [ctx.button("menu.report", "rp")],
            [ctx.button("menu.help", "help"), ctx.button("menu.settings", "settings")],
        ],
    )


async def show_menu(ctx: Context) -> list[Reply]:
    """The main menu; also leaves any flow the user was in."""
    await ctx.leave_flow()
    return [main_menu(ctx)]


async def show_help(ctx: Context) -> list[Reply]:
    """What the bot can do and the short commands."""
    return [ctx.reply("help.text", [ctx.menu_row()])]


async def coming_soon(ctx: Context) -> list[Reply]:
    """A feature of a later release: say so plainly, say what to do meanwhile, offer the menu."""
    feature = ctx.args[0] if ctx.args and ctx.args[0] in COMING_SOON else "generic"
    return [ctx.reply(f"soon.{feature}", [ctx.menu_row()])]


async def cancel(ctx: Context) -> list[Reply]:
    """/huy: leave whatever flow the user is in."""
    had_flow = ctx.flow is not None
    await ctx.leave_flow()
    return [ctx.reply("cancel.done" if had_flow else "cancel.nothing"), main_menu(ctx)]

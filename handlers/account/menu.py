"""The main menu, help, and /huy."""

from __future__ import annotations

from handlers.account.actions import ShowHelp, ShowSettings
from handlers.core.actions import ShowMenu
from handlers.core.context import Context
from handlers.core.types import Reply
from handlers.loans.actions import CheckEligibility, ListPrograms
from handlers.questions.actions import ShowBlackCredit
from handlers.reports.actions import StartReport
from handlers.schedules.actions import ShowSchedule


def main_menu(ctx: Context) -> Reply:
    return ctx.reply(
        "menu.title",
        [
            [ctx.button("menu.programs", ListPrograms())],
            [ctx.button("menu.eligibility", CheckEligibility())],
            [ctx.button("menu.schedule", ShowSchedule())],
            [ctx.button("menu.blackcredit", ShowBlackCredit())],
            [ctx.button("menu.report", StartReport())],
            [ctx.button("menu.help", ShowHelp()), ctx.button("menu.settings", ShowSettings())],
        ],
    )


async def show_menu(ctx: Context, action: ShowMenu) -> list[Reply]:
    """The main menu; also leaves any flow the user was in."""
    await ctx.leave_flow()
    return [main_menu(ctx)]


async def show_help(ctx: Context, action: ShowHelp | None = None) -> list[Reply]:
    """What the bot can do and the short commands."""
    return [ctx.reply("help.text", [ctx.menu_row()])]


async def help_command(ctx: Context, text: str) -> list[Reply]:
    """/help."""
    return await show_help(ctx)


async def cancel(ctx: Context, text: str = "") -> list[Reply]:
    """/huy: leave whatever flow the user is in."""
    had_flow = ctx.flow is not None
    await ctx.leave_flow()
    return [ctx.reply("cancel.done" if had_flow else "cancel.nothing"), main_menu(ctx)]

"""The program browser: the list of lending programs, each program's short card, and the
card's parts one tap away (conditions, rate and term, documents, steps, legal basis)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from content.models import LocalOverride, Program
from handlers.core.context import Context
from handlers.core.formatting import day, legal_list, legal_refs, percent
from handlers.core.types import Button, Reply
from handlers.loans.actions import (
    Calculate,
    ListPrograms,
    ProgramPart,
    ShowProgram,
    ShowProgramPart,
)

# The parts of a card behind its buttons (ShowProgramPart, "pp:<program id>:<code>"): code ->
# (button label key, message key). Codes are one letter so the action stays far below
# Telegram's 64 bytes (a program id is at most 24 characters).
PARTS: dict[ProgramPart, tuple[str, str]] = {
    "c": ("button.part_conditions", "program.part_conditions"),
    "r": ("button.part_rate", "program.part_rate"),
    "d": ("button.part_documents", "program.part_documents"),
    "s": ("button.part_steps", "program.part_steps"),
    "l": ("button.legal", "program.part_legal"),
}


async def command(ctx: Context, text: str) -> list[Reply]:
    """/chuongtrinh (words after it are not used)."""
    return await list_programs(ctx)


async def list_programs(ctx: Context, action: ListPrograms | None = None) -> list[Reply]:
    """progs: every lending program as a button."""
    rows = [
        [ctx.button("programs.item", ShowProgram(program=p.id), name=p.name.get(ctx.lang))]
        for p in ctx.content.programs_for(ctx.province).values()
    ]
    if ctx.content.calculator is not None:
        rows.append([ctx.button("button.calc", Calculate())])
    return [ctx.reply("programs.title", [*rows, ctx.menu_row()])]


def local_terms(ctx: Context, program: Program, override: LocalOverride | None) -> str:
    """What the user's province adds to a national program, or where other provinces do."""
    lang = ctx.lang
    if override is not None and ctx.province in ctx.content.local:
        province = ctx.content.local[ctx.province].province_name.get(lang)
        key = "program.local_applied" if override.verified else "program.local_note"
        return "\n\n" + ctx.content.text(
            key, lang, province=province, note=override.note.get(lang),
            basis=legal_refs(override.legal_basis, lang),
        )  # fmt: skip
    elsewhere = ctx.content.provinces_with_terms(program.id)
    if ctx.province is None and elsewhere:
        names = ", ".join(local.province_name.get(lang) for local in elsewhere)
        return "\n\n" + ctx.content.text("program.local_elsewhere", lang, provinces=names)
    return ""


def content_text(ctx: Context, key: str, **values: str) -> str:
    """A message filled with content texts, which carry their own markup (not escaped)."""
    return ctx.content.text(key, ctx.lang, **values)


def rate_line(ctx: Context, program: Program) -> str:
    """The rate in one line: the summary's own line where the program has several rates."""
    if program.summary.rate is not None:
        return program.summary.rate.get(ctx.lang)
    return ctx.t(
        "program.rate_short",
        year=percent(program.rate_year_pct, ctx.lang),
        month=percent(program.rate_month_pct, ctx.lang),
    )


def part_buttons(
    ctx: Context, program_id: str, codes: Sequence[ProgramPart] = tuple(PARTS)
) -> list[tuple[Button, ...]]:
    """The card's part buttons, two to a row so that they fit a narrow screen."""
    buttons = [
        ctx.button(PARTS[code][0], ShowProgramPart(program=program_id, part=code)) for code in codes
    ]
    return [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def program_card(
    ctx: Context, program: Program, override: LocalOverride | None = None
) -> list[Reply]:
    """The card's first message, short enough for one phone screen: who can borrow, how
    much, the rate and the first step, then the other parts as buttons (the legal basis
    always among them) and the calculator, the other programs and the menu.

    ``program`` already carries a verified local override's figures (Content.program_for).
    A province's own note is added for its users: it is about them.
    """
    lang = ctx.lang
    summary = program.summary
    text = content_text(
        ctx,
        "program.summary",
        name=program.name.get(lang),
        who=summary.who.get(lang),
        amount=summary.amount.get(lang),
        rate=rate_line(ctx, program),
        next_step=summary.next_step.get(lang),
    ) + local_terms(ctx, program, override)
    calc = (ctx.button("button.calc", Calculate(program=program.id)),)
    buttons = (
        *part_buttons(ctx, program.id),
        *((calc,) if ctx.content.calculator is not None and program.calculator_lines() else ()),
        (ctx.button("button.all_programs", ListPrograms()),),
        ctx.menu_row(),
    )
    return [Reply(text, buttons)]


def part_text(ctx: Context, program: Program, code: ProgramPart) -> str:
    """One part of the card as its own message."""
    lang = ctx.lang
    name = program.name.get(lang)
    key = PARTS[code][1]
    if code == "c":
        conditions = program.conditions.get(lang) if program.conditions else ""
        return content_text(ctx, key, name=name, who=program.who.get(lang)) + (
            "\n\n" + content_text(ctx, "program.conditions", conditions=conditions)
            if conditions
            else ""
        )
    if code == "r":
        rate = ctx.t(
            "program.rate",
            year=percent(program.rate_year_pct, lang),
            month=percent(program.rate_month_pct, lang),
            overdue=percent(program.overdue_rate_pct_of_rate, lang),
        )
        if program.rate_note:
            note = program.rate_note.get(lang)
            # A note that states the rate itself says it once, with its source: the figures
            # line would repeat it. A rate changed by a local override keeps both.
            rate = note if f"{percent(program.rate_year_pct, lang)}%" in note else f"{rate}\n{note}"
        return content_text(
            ctx,
            key,
            name=name,
            rate=rate,
            term=program.term.get(lang),
            collateral=program.collateral.get(lang),
        )
    if code == "d":
        return content_text(ctx, key, name=name, documents=program.documents.get(lang))
    if code == "s":
        return content_text(ctx, key, name=name, steps=program.how_to_apply.get(lang))
    return content_text(
        ctx,
        key,
        name=name,
        basis=html.escape(legal_list(program.legal_basis, lang), quote=False),
        date=day(program.checked_on, lang),
    )


async def show_program(ctx: Context, action: ShowProgram) -> list[Reply]:
    """prog:<id>: one program's card."""
    found = ctx.content.program_for(action.program, ctx.province)
    if found is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    return program_card(ctx, *found)


async def show_part(ctx: Context, action: ShowProgramPart) -> list[Reply]:
    """pp:<id>:<part>: one part of a program's card, with the other parts and a way back."""
    found = ctx.content.program_for(action.program, ctx.province)
    if found is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    program, _ = found
    others = [code for code in PARTS if code != action.part]
    buttons = (
        *part_buttons(ctx, program.id, others),
        (ctx.button("button.back_to_card", ShowProgram(program=program.id)),),
        ctx.menu_row(),
    )
    return [Reply(part_text(ctx, program, action.part), buttons)]

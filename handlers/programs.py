"""The program browser: the list of lending programs and each program's card."""

from __future__ import annotations

from content.models import LocalOverride, Program
from handlers.context import Context
from handlers.formatting import day, legal_refs, percent
from handlers.types import Reply


async def list_programs(ctx: Context) -> list[Reply]:
    """/chuongtrinh: every lending program as a button."""
    rows = [
        [ctx.button("programs.item", f"prog:{p.id}", name=p.name.get(ctx.lang))]
        for p in ctx.content.programs_for(ctx.province).values()
    ]
    if ctx.content.calculator is not None:
        rows.append([ctx.button("button.calc", "calc")])
    return [ctx.reply("programs.title", [*rows, ctx.menu_row()])]


def local_terms(ctx: Context, program: Program, override: LocalOverride | None) -> str:
    """What the user's province adds to a national program, or where other provinces do."""
    lang = ctx.lang
    if override is not None and ctx.province in ctx.content.local:
        province = ctx.content.local[ctx.province].province_name.get(lang)
        key = "program.local_applied" if override.verified else "program.local_note"
        return "\n\n" + ctx.content.text(
            key, lang, province=province, note=override.note.get(lang),
            basis=legal_refs(override.legal_basis),
        )  # fmt: skip
    elsewhere = ctx.content.provinces_with_terms(program.id)
    if ctx.province is None and elsewhere:
        names = ", ".join(local.province_name.get(lang) for local in elsewhere)
        return "\n\n" + ctx.content.text("program.local_elsewhere", lang, provinces=names)
    return ""


def program_card(
    ctx: Context, program: Program, override: LocalOverride | None = None
) -> list[Reply]:
    """A card in three short messages: the terms, how to apply, and the legal basis.

    ``program`` already carries a verified local override's figures (Content.program_for).
    """
    lang = ctx.lang
    year = percent(program.rate_year_pct, lang)
    rate = ctx.t(
        "program.rate",
        year=year,
        month=percent(program.rate_month_pct, lang),
        overdue=percent(program.overdue_rate_pct_of_rate, lang),
    )
    if program.rate_note:
        note = program.rate_note.get(lang)
        # A note that states the rate itself says it once, with its source: the figures
        # line would repeat it. A rate changed by a local override keeps both.
        rate = note if f"{year}%" in note else f"{rate}\n{note}"
    terms = ctx.content.text(
        "program.card",
        lang,
        name=program.name.get(lang),
        who=program.who.get(lang)
        + (f"\n\n{program.conditions.get(lang)}" if program.conditions else ""),
        amount=program.max_amount.get(lang),
        rate=rate,
        term=program.term.get(lang),
        collateral=program.collateral.get(lang),
    )
    apply = ctx.content.text(
        "program.apply",
        lang,
        documents=program.documents.get(lang),
        steps=program.how_to_apply.get(lang),
    )
    basis = ctx.t(
        "program.basis",
        basis=legal_refs(program.legal_basis),
        date=day(program.checked_on, lang),
    ) + local_terms(ctx, program, override)
    calc = (ctx.button("button.calc", f"calc:{program.id}"),)
    buttons = (
        *((calc,) if ctx.content.calculator is not None and program.calculator_lines() else ()),
        (ctx.button("button.all_programs", "progs"),),
        ctx.menu_row(),
    )
    return [Reply(terms), Reply(apply), Reply(basis, buttons)]


async def show_program(ctx: Context) -> list[Reply]:
    """prog:<id>: one program's card."""
    found = ctx.content.program_for(ctx.args[0] if ctx.args else "", ctx.province)
    if found is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    return program_card(ctx, *found)

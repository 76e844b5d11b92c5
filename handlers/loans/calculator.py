"""The loan calculator: a program, an amount, a term, then an estimate of the interest.

The flow asks one question per message and keeps each answer in the conversation state, so a
restart between steps loses nothing. The schedule it assumes (handlers/loans/repayment.py:
interest every month on the principal still owed; principal in equal parts at a fixed
interval) comes from calculator.yaml; every result says the real schedule is agreed with the
bank.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from content.models import Calculator, Program
from handlers.core.context import Context
from handlers.core.flows import Flow
from handlers.core.formatting import percent
from handlers.core.types import Button, Reply
from handlers.loans import programs
from handlers.loans.actions import (
    TYPED_FIGURE_DIGITS,
    Calculate,
    CancelCalculation,
    EstimatePart,
    ShowEstimatePart,
    ShowProgram,
)
from handlers.loans.amounts import group_digits, parse_amount, parse_term
from handlers.loans.repayment import Plan, plan


class Step(enum.StrEnum):
    AMOUNT = "amount"
    TERM = "term"


class Draft(BaseModel):
    """What the calculator keeps between messages: the loan chosen, then the amount."""

    program: str = ""
    line: str = ""  # "" for a program of one line
    amount: int | None = None


CALC = Flow("calc", Step, Draft, order=(Step.AMOUNT, Step.TERM))

# Examples in the questions: this much, unless the program's cap is lower.
EXAMPLE_MILLIONS = 50
EXAMPLE_MONTHS = 36
# A bare number this small ("50") was most likely meant in millions.
DID_YOU_MEAN_BELOW = 10_000
# Beyond any loan (10 nghìn tỷ đồng): refused even where a program has no cap, so that the
# figures always fit in a button's action (ShowEstimatePart).
MAX_AMOUNT_DIGITS = 13
# The result's parts behind its buttons, ShowEstimatePart
# ("cp:<program>:<line>:<amount>:<months>:<code>"): code -> button label key. The action
# carries everything the estimate is computed from (the line is empty for a program of one
# line), so a part and the way back to the result (Calculate,
# "calc:<program>[:<line>]:<amount>:<months>") are rebuilt from the button alone, on any
# device and after any restart. At the longest (program id 24, line id 16, amount 13 and
# term 3 characters) it is 64 bytes, Telegram's limit.
PARTS: dict[EstimatePart, str] = {"t": "button.calc_schedule", "l": "button.legal"}


# ------------------------------------------------------------------------ wording


def _t(ctx: Context, key: str, **values: Any) -> str:
    """A text filled with figures and content (never what the user typed), unescaped."""
    return ctx.content.text(key, ctx.lang, **values)


def money(ctx: Context, amount: int) -> str:
    """'50.000.000 đ' in Vietnamese, '50,000,000 VND' in English."""
    return _t(ctx, "calc.money", amount=group_digits(amount, ctx.lang))


def term_text(ctx: Context, months: int) -> str:
    """'36 tháng (3 năm)', '18 tháng', '1 tháng'."""
    if months % 12 == 0:
        return _t(ctx, "calc.months_years", n=months, years=months // 12)
    return _t(ctx, "calc.months", n=months)


# ``program`` below is always one calculator line (Program.calculator_lines): it carries that
# line's own caps, and there is no general cap to fall back to.


def _term_cap(program: Program) -> int:
    assert program.max_term_months, "calculator lines always have a term cap"
    return program.max_term_months


def _example_millions(calc: Calculator, program: Program) -> int:
    cap = program.max_amount_vnd
    return max(1, min(EXAMPLE_MILLIONS, cap // 1_000_000)) if cap else EXAMPLE_MILLIONS


def _example_amount(ctx: Context, calc: Calculator, program: Program) -> str:
    return _t(ctx, "calc.example_amount", n=_example_millions(calc, program))


def _example_term(ctx: Context, calc: Calculator, program: Program) -> str:
    months = min(EXAMPLE_MONTHS, _term_cap(program))
    return _t(ctx, "calc.months", n=months)


def _example_years(ctx: Context, calc: Calculator, program: Program) -> str:
    years = min(EXAMPLE_MONTHS // 12, _term_cap(program) // 12)
    if years < 1:
        return _example_term(ctx, calc, program)
    return _t(ctx, "calc.years", years=years)


def _question_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    return ((ctx.button("button.calc_cancel", CancelCalculation()),), ctx.menu_row())


def ask_amount(ctx: Context, calc: Calculator, program: Program) -> Reply:
    cap = (
        _t(ctx, "calc.cap_amount", cap=money(ctx, program.max_amount_vnd))
        if program.max_amount_vnd
        else program.max_amount.get(ctx.lang)  # the line says why there is no one figure
    )
    text = _t(
        ctx,
        "calc.ask_amount",
        program=program.name.get(ctx.lang),
        cap=cap,
        example=_example_amount(ctx, calc, program),
    )
    return Reply(text, _question_buttons(ctx))


def ask_term(ctx: Context, calc: Calculator, program: Program, amount: int) -> Reply:
    cap = _t(ctx, "calc.cap_term", cap=term_text(ctx, _term_cap(program)))
    text = _t(
        ctx,
        "calc.ask_term",
        amount=money(ctx, amount),
        cap=cap,
        example=_example_term(ctx, calc, program),
    )
    return Reply(text, _question_buttons(ctx))


def amount_problem(ctx: Context, calc: Calculator, program: Program, amount: int | None) -> str:
    """What is wrong with the typed amount and what to type instead; '' when it is fine."""
    example = _example_amount(ctx, calc, program)
    if amount is None or amount <= 0:
        digits = group_digits(_example_millions(calc, program) * 1_000_000, ctx.lang)
        return _t(ctx, "calc.amount_unclear", example=example, example_digits=digits)
    if amount < calc.min_amount_vnd:
        text = _t(
            ctx, "calc.amount_too_small", min=money(ctx, calc.min_amount_vnd), example=example
        )
        meant = amount * 1_000_000
        if amount < DID_YOU_MEAN_BELOW and meant <= (program.max_amount_vnd or meant):
            text += "\n" + _t(
                ctx, "calc.amount_did_you_mean", suggest=_t(ctx, "calc.example_amount", n=amount)
            )
        return text
    if program.max_amount_vnd and amount > program.max_amount_vnd:
        return _t(
            ctx, "calc.amount_too_big", cap=money(ctx, program.max_amount_vnd), example=example
        )
    if len(str(amount)) > MAX_AMOUNT_DIGITS:
        return _t(ctx, "calc.amount_too_big_any", example=example)
    return ""


def term_problem(ctx: Context, calc: Calculator, program: Program, months: int | None) -> str:
    """What is wrong with the typed term and what to type instead; '' when it is fine."""
    example = _example_term(ctx, calc, program)
    if months is None or months <= 0:
        return _t(
            ctx,
            "calc.term_unclear",
            example=example,
            example_years=_example_years(ctx, calc, program),
        )
    if months > _term_cap(program):
        cap = term_text(ctx, _term_cap(program))
        return _t(ctx, "calc.term_too_long", cap=cap, example=example)
    return ""


@dataclass(frozen=True)
class Estimate:
    """What a result is computed from, as its buttons carry it."""

    program_id: str
    line_id: str  # "" for a program of one line
    line: Program  # the program as that line: its caps, rate and name
    plan: Plan

    @property
    def back(self) -> Calculate:
        """The action that shows the result again (calc:<id>[:<line>]:<amount>:<months>)."""
        return Calculate(
            program=self.program_id,
            line=self.line_id,
            amount=self.plan.amount,
            months=self.plan.months,
        )

    def part(self, code: EstimatePart) -> ShowEstimatePart:
        return ShowEstimatePart(
            program=self.program_id,
            line=self.line_id,
            amount=self.plan.amount,
            months=self.plan.months,
            part=code,
        )


def part_buttons(
    ctx: Context, estimate: Estimate, codes: Sequence[EstimatePart]
) -> tuple[Button, ...]:
    """The result's part buttons in one row (two short labels fit a narrow screen)."""
    return tuple(ctx.button(PARTS[code], estimate.part(code)) for code in codes)


def first_principal(ctx: Context, estimate: Plan) -> str:
    """When the first principal is repaid and how much: the whole of it at the end of a short
    loan, else the first of the equal parts."""
    first = estimate.periods[0]
    key = "calc.result_principal_once" if len(estimate.periods) == 1 else "calc.result_principal"
    return _t(ctx, key, principal=money(ctx, first.principal), month=first.last)


def result(ctx: Context, estimate: Estimate) -> list[Reply]:
    """The estimate in one short message: the loan and the rate it is worked out with, the
    interest of the first month and in total, the total to repay and the first repayment of
    principal, that it is an estimate; the repayment table and the legal basis behind
    buttons (PARTS), each its own message with the way back to this one."""
    lang, line, figures = ctx.lang, estimate.line, estimate.plan
    term = term_text(ctx, figures.months)
    text = _t(
        ctx,
        "calc.result",
        program=line.name.get(lang),
        amount=money(ctx, figures.amount),
        term=term,
        year=percent(line.rate_year_pct, lang),
        month=percent(line.rate_month_pct, lang),
        interest=money(ctx, figures.first_month_interest),
        total_interest=money(ctx, figures.total_interest),
        total=money(ctx, figures.total),
        principal=first_principal(ctx, figures),
    )
    buttons = (
        part_buttons(ctx, estimate, tuple(PARTS)),
        (ctx.button("button.calc_again", _again(estimate.program_id, estimate.line_id)),),
        (ctx.button("button.program_card", ShowProgram(program=estimate.program_id)),),
        ctx.menu_row(),
    )
    return [Reply(text, buttons)]


def _part_rows(
    ctx: Context, estimate: Estimate, code: EstimatePart
) -> tuple[tuple[Button, ...], ...]:
    others = [other for other in PARTS if other != code]
    return (
        (*part_buttons(ctx, estimate, others), ctx.button("button.back_to_result", estimate.back)),
        ctx.menu_row(),
    )


def schedule_part(ctx: Context, calc: Calculator, estimate: Estimate) -> list[Reply]:
    """The repayment table, then what the real schedule and paying late mean."""
    line, lang = estimate.line, ctx.lang
    overdue = line.overdue_rate_pct_of_rate / 100
    note = _t(
        ctx,
        "calc.schedule_note",
        overdue_year=percent(line.rate_year_pct * overdue, lang),
        overdue_month=percent(line.rate_month_pct * overdue, lang),
        overdue_pct=percent(line.overdue_rate_pct_of_rate, lang),
    )
    texts = table(ctx, calc, estimate.plan, line)
    texts[-1] += "\n\n" + note
    rows = _part_rows(ctx, estimate, "t")
    return [*(Reply(text) for text in texts[:-1]), Reply(texts[-1], rows)]


def legal_part(ctx: Context, estimate: Estimate) -> list[Reply]:
    """The legal basis, in the program card's own words (programs.part_text)."""
    text = programs.part_text(ctx, estimate.line, "l")
    return [Reply(text, _part_rows(ctx, estimate, "l"))]


def table(ctx: Context, calc: Calculator, estimate: Plan, line: Program) -> list[str]:
    """The repayment table, one line per period between principal repayments, in messages of
    at most ``calc.table_rows_per_message`` lines; the first names the loan it is for."""
    every = (
        _t(ctx, "calc.every_end")
        if estimate.every >= estimate.months
        else _t(ctx, "calc.every_months", n=estimate.every)
    )
    rows = [
        _t(
            ctx,
            "calc.table_row_one" if p.first == p.last else "calc.table_row",
            first=p.first,
            last=p.last,
            interest=money(ctx, p.monthly_interest),
            principal=money(ctx, p.principal),
        )
        for p in estimate.periods
    ]
    rows.append(
        _t(
            ctx,
            "calc.table_total",
            principal=money(ctx, sum(p.principal for p in estimate.periods)),
            interest=money(ctx, estimate.total_interest),
        )
    )
    size = calc.table_rows_per_message
    chunks = [rows[i : i + size] for i in range(0, len(rows), size)]
    title = _t(
        ctx,
        "calc.table_title",
        every=every,
        amount=money(ctx, estimate.amount),
        term=term_text(ctx, estimate.months),
        month=percent(line.rate_month_pct, ctx.lang),
    )
    titles = [title] + [_t(ctx, "calc.table_title_more")] * (len(chunks) - 1)
    return ["\n".join([title, *chunk]) for title, chunk in zip(titles, chunks, strict=True)]


# ------------------------------------------------------------------------ dialogs


def calculable(program: Program) -> bool:
    """Whether the calculator offers ``program``: only with caps of its own."""
    return bool(program.calculator_lines())


def _carried(figure: int | None) -> int | None:
    """A typed question's figure as it rides on a button; one too long to be read back
    (pressed, the calculator would ask for it again) is left off."""
    return figure if figure is None or len(str(figure)) <= TYPED_FIGURE_DIGITS else None


def _with_figures(
    program_id: str, line_id: str, amount: int | None, months: int | None
) -> Calculate:
    """The calculator for a loan, the figures of a typed question filled in: one tap gives
    the result ("calc:poor:50000000:36")."""
    amount = _carried(amount)
    months = _carried(months) if amount is not None and months else None
    return Calculate(program=program_id, line=line_id, amount=amount, months=months)


def choose_program(ctx: Context, amount: int | None = None, months: int | None = None) -> Reply:
    """Which program. The figures of a typed question ride on each button."""
    rows = [
        [
            ctx.button(
                "programs.item",
                _with_figures(p.id, "", amount, months),
                name=p.name.get(ctx.lang),
            )
        ]
        for p in ctx.content.programs_for(ctx.province).values()
        if calculable(p)
    ]
    if amount is None:
        return ctx.reply("calc.choose_program", [*rows, ctx.menu_row()])
    term = _t(ctx, "calc.question_term", term=term_text(ctx, months)) if months else ""
    text = _t(ctx, "calc.choose_program_for", amount=money(ctx, amount), term=term)
    return Reply(text, tuple(tuple(row) for row in [*rows, ctx.menu_row()]))


def choose_line(
    ctx: Context, program: Program, amount: int | None = None, months: int | None = None
) -> Reply:
    rows = [
        [
            ctx.button(
                "programs.item",
                _with_figures(program.id, line.id, amount, months),
                name=line.name.get(ctx.lang),
            )
        ]
        for line in program.calculator
    ]
    return ctx.reply(
        "calc.choose_line", [*rows, ctx.menu_row()], program=program.name.get(ctx.lang)
    )


def _lines(ctx: Context, program_id: str) -> tuple[Program, list[tuple[str, Program]]] | None:
    found = ctx.content.program_for(program_id, ctx.province)
    return (found[0], found[0].calculator_lines()) if found else None


def _program(ctx: Context, program_id: str, line_id: str = "") -> Program | None:
    """The program ``program_id`` as its calculator line ``line_id``; None if either is gone."""
    found = _lines(ctx, program_id)
    return next((p for lid, p in found[1] if lid == line_id), None) if found else None


def _again(program_id: str, line_id: str) -> Calculate:
    return Calculate(program=program_id, line=line_id)


def _stale(ctx: Context) -> list[Reply]:
    return [ctx.reply("error.stale_button", [ctx.menu_row()])]


async def start(ctx: Context, action: Calculate) -> list[Reply]:
    """calc: which program?  calc:<id>: which kind of loan, if it has several;
    calc:<id>[:<line>]: that loan's calculation, from the amount;
    calc:<id>[:<line>]:<amount>[:<months>]: with the figures of a typed question filled in."""
    calc = ctx.content.calculator
    if calc is None:
        return _stale(ctx)
    if action.program is None:
        return [choose_program(ctx)]
    found = _lines(ctx, action.program)
    if found is None:
        return _stale(ctx)
    program, lines = found
    if not lines:  # no cap of its own: no estimate rather than a made-up limit
        card = (ctx.button("button.program_card", ShowProgram(program=program.id)),)
        return [ctx.reply("calc.not_available", [card, ctx.menu_row()],
                          program=program.name.get(ctx.lang))]  # fmt: skip
    amount, months = action.amount, action.months
    if not action.line and len(lines) > 1:
        return [choose_line(ctx, program, amount, months)]
    line_id = action.line or lines[0][0]
    line = next((p for lid, p in lines if lid == line_id), None)
    if line is None:
        return _stale(ctx)
    return await calculate(ctx, program.id, line_id, line, amount, months)


async def for_program(
    ctx: Context, program: Program, amount: int | None = None, months: int | None = None
) -> list[Reply]:
    """The calculator for a program it offers (``calculable``), figures filled in if given."""
    lines = program.calculator_lines()
    if len(lines) > 1:
        return [choose_line(ctx, program, amount, months)]
    line_id, line = lines[0]
    return await calculate(ctx, program.id, line_id, line, amount, months)


async def calculate(
    ctx: Context,
    program_id: str,
    line_id: str,
    line: Program,
    amount: int | None = None,
    months: int | None = None,
) -> list[Reply]:
    """The calculator for one kind of loan (``line``: the program with that loan's caps) from
    the first figure not given or not right: the result when both are given and fit."""
    calc = ctx.content.calculator
    assert calc is not None
    draft = Draft(program=program_id, line=line_id)
    await CALC.enter(ctx, Step.AMOUNT, draft)
    if amount is None:
        return [ask_amount(ctx, calc, line)]
    problem = amount_problem(ctx, calc, line, amount)
    if problem:
        return [Reply(problem), ask_amount(ctx, calc, line)]
    await CALC.enter(ctx, Step.TERM, draft.model_copy(update={"amount": amount}))
    if months is None:
        return [ask_term(ctx, calc, line, amount)]
    problem = term_problem(ctx, calc, line, months)
    if problem:
        return [Reply(problem), ask_term(ctx, calc, line, amount)]
    await ctx.leave_flow()
    estimate = plan(amount, months, line.rate_month_pct, calc.every_months(months))
    return result(ctx, Estimate(program_id, line_id, line, estimate))


async def _line_of_flow(ctx: Context) -> tuple[Calculator, Draft, Program] | None:
    """The calculator and the loan the user is working out; None (and the flow left) when
    the content changed under them."""
    calc = ctx.content.calculator
    draft = CALC.draft(ctx)
    program = _program(ctx, draft.program, draft.line)
    if calc is None or program is None:
        await ctx.leave_flow()
        return None
    return calc, draft, program


@CALC.on_text(Step.TERM)
async def term_text_typed(ctx: Context, text: str) -> list[Reply]:
    """The term typed: the result, or a kind correction that keeps the step."""
    found = await _line_of_flow(ctx)
    if found is None:
        return _stale(ctx)
    calc, draft, program = found
    amount = draft.amount
    if amount is None:  # no amount kept (an older state): it is asked for first
        return await amount_typed(ctx, text)
    months = parse_term(text)
    problem = term_problem(ctx, calc, program, months)
    if problem or months is None:
        return [Reply(problem), ask_term(ctx, calc, program, amount)]
    await ctx.leave_flow()
    estimate = plan(amount, months, program.rate_month_pct, calc.every_months(months))
    return result(ctx, Estimate(draft.program, draft.line, program, estimate))


@CALC.on_text(Step.AMOUNT)
async def amount_typed(ctx: Context, text: str) -> list[Reply]:
    """The amount typed: on to the term, or a kind correction that keeps the step."""
    found = await _line_of_flow(ctx)
    if found is None:
        return _stale(ctx)
    calc, draft, program = found
    typed = parse_amount(text)
    problem = amount_problem(ctx, calc, program, typed)
    if problem or typed is None:
        return [Reply(problem), ask_amount(ctx, calc, program)]
    await CALC.enter(ctx, Step.TERM, draft.model_copy(update={"amount": typed}))
    return [ask_term(ctx, calc, program, typed)]


async def cancel(ctx: Context, action: CancelCalculation) -> list[Reply]:
    """calc_cancel: leave the calculator; offer the program's card and the menu."""
    program_id = CALC.draft(ctx).program if CALC.active(ctx) else ""
    if CALC.active(ctx):
        await ctx.leave_flow()
    rows: list[tuple[Button, ...]] = []
    if program_id and _lines(ctx, program_id) is not None:
        rows.append((ctx.button("button.program_card", ShowProgram(program=program_id)),))
    return [ctx.reply("calc.cancelled", [*rows, ctx.menu_row()])]


async def show_part(ctx: Context, action: ShowEstimatePart) -> list[Reply]:
    """cp:<program>:<line>:<amount>:<months>:<part>: one part of a result, rebuilt from the
    action alone. Every field is checked as the result itself would be (the program and its
    line still offered, the amount and term within the line's caps): anything else is an
    old or forged button."""
    calc = ctx.content.calculator
    line = _program(ctx, action.program, action.line)
    if (
        calc is None
        or line is None
        or amount_problem(ctx, calc, line, action.amount)
        or term_problem(ctx, calc, line, action.months)
    ):
        return _stale(ctx)
    figures = plan(
        action.amount, action.months, line.rate_month_pct, calc.every_months(action.months)
    )
    estimate = Estimate(action.program, action.line, line, figures)
    if action.part == "t":
        return schedule_part(ctx, calc, estimate)
    return legal_part(ctx, estimate)

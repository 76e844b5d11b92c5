"""The eligibility self-check (/dieukien): a few questions, then the programs one MAY qualify for.

Privacy by design: nothing of the answers is stored. Every button carries all the answers so
far in its action (CheckEligibility), ``el:<pairs>``, each pair a question code then an
answer code (``-`` for "skip"), e.g. ``el:sppbtn`` = status poor, purpose business, student
no. The next press brings everything back, so no database row holds the answers, and an old
button or a restart in the middle still works. The questions, codes and rules are content
(eligibility.yaml; the rules: handlers/loans/eligibility_rules.py); the pairs must be exactly
those the questionnaire would ask in order, anything else is stale or forged and gets the
"button out of date" reply. The result's legal basis is ``el:<pairs>:l``: the same answers,
so it is rebuilt the same way.

Because there is no flow state, text typed during the questionnaire is an ordinary free-text
question (dispatch sends it to the matcher): remembering that the user is "in" the
questionnaire would mean storing where they are, and the buttons already above keep working.
"""

from __future__ import annotations

import html

from content.models import Eligibility, EligibilityQuestion, EligibilityRule
from handlers.core.context import Context
from handlers.core.formatting import day, legal_list
from handlers.core.types import Button, Reply
from handlers.loans.actions import CheckEligibility, ListPrograms, ShowProgramPart
from handlers.loans.eligibility_rules import (
    SKIP_CODE,
    Answers,
    matching_rules,
    next_question,
    parse,
)

RESTART = CheckEligibility()  # "el": the first question again


def _rows(rows: list[list[Button]]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(row) for row in rows)


def control_rows(ctx: Context, code: str, question: EligibilityQuestion) -> list[list[Button]]:
    """Skip and restart, then the way back to the menu."""
    return [
        [
            ctx.button(
                "eligibility.button.skip",
                CheckEligibility(answers=f"{code}{question.code}{SKIP_CODE}"),
            ),
            ctx.button("eligibility.button.restart", RESTART),
        ],
        list(ctx.menu_row()),
    ]


def ask(ctx: Context, code: str, question: EligibilityQuestion) -> Reply:
    """One question with a button per answer; each button carries the answers so far."""
    number = len(code) // 2 + 1
    text = ctx.content.text(
        "eligibility.question", ctx.lang, number=number, question=question.text.get(ctx.lang)
    )
    rows = [
        [
            Button(
                a.label.get(ctx.lang),
                CheckEligibility(answers=f"{code}{question.code}{a.code}").pack(),
            )
        ]
        for a in question.answers
    ]
    return Reply(text, _rows([*rows, *control_rows(ctx, code, question)]))


def notes(ctx: Context, spec: Eligibility, answers: Answers) -> list[str]:
    """The notes of the answers given, e.g. where to learn one's household status."""
    found = []
    for question in spec.questions:
        for answer in question.answers:
            if answers.get(question.id) == answer.id and answer.note is not None:
                found.append(answer.note.get(ctx.lang))
    return found


def nothing_fits(ctx: Context, spec: Eligibility, answers: Answers) -> list[Reply]:
    """No rule holds: say so kindly, and point to the offices and the program list."""
    text = "\n\n".join([ctx.t("eligibility.nothing"), *notes(ctx, spec, answers)])
    rows = [
        [ctx.button("eligibility.button.programs", ListPrograms())],
        [ctx.button("eligibility.button.restart", RESTART)],
        list(ctx.menu_row()),
    ]
    return [Reply(text, _rows(rows))]


# Programs the district office handles itself, not the village group: named in the next step
# only when one of them is in the result.
OFFICE_PROGRAMS = ("social_housing", "labor_abroad")


def next_step(ctx: Context, rules: list[EligibilityRule]) -> str:
    """The one thing to do next: see the village loan group's leader, and for a program the
    district office handles itself, the office."""
    found = {r.program for r in rules}
    what = [ctx.t(f"eligibility.result.office.{p}") for p in OFFICE_PROGRAMS if p in found]
    text = ctx.t("eligibility.result.next")
    if what:
        text += ctx.content.text("eligibility.result.next_office", ctx.lang, what=", ".join(what))
    return text


def result(ctx: Context, spec: Eligibility, code: str, answers: Answers) -> list[Reply]:
    """One short message: the programs one may qualify for, a line each with why, the
    answers' notes, the single next step and that it is only a suggestion. Each program's
    documents are its card's part (pp:<id>:d, one place for them); the legal basis of the
    rules that held is behind "Căn cứ pháp lý" (el:<pairs>:l)."""
    rules = matching_rules(spec, answers)
    if not rules:
        return nothing_fits(ctx, spec, answers)
    lang = ctx.lang
    items = [
        ctx.content.text(
            "eligibility.result.item", lang, name=r.title.get(lang), why=r.why.get(lang)
        )
        for r in rules
    ]
    text = (
        "\n".join([ctx.t("eligibility.result.title"), *items, *notes(ctx, spec, answers)])
        + "\n\n"
        + "\n".join([next_step(ctx, rules), ctx.t("eligibility.result.suggestion")])
    )
    rows = [
        [
            ctx.button(
                "eligibility.button.documents",
                ShowProgramPart(program=r.program, part="d"),
                title=r.title.get(lang),
            )
        ]
        for r in rules
    ]
    rows += [
        [ctx.button("button.legal", CheckEligibility(answers=code, part="l"))],
        [ctx.button("eligibility.button.restart", RESTART)],
        list(ctx.menu_row()),
    ]
    return [Reply(text, _rows(rows))]


def legal(ctx: Context, spec: Eligibility, code: str, answers: Answers) -> list[Reply]:
    """el:<pairs>:l: who decides, and the legal basis of each rule of the result."""
    rules = matching_rules(spec, answers)
    if not rules:  # no result with programs has this button
        return _stale(ctx)
    lang = ctx.lang
    programs = "\n\n".join(
        ctx.content.text(
            "eligibility.legal.program",
            lang,
            name=r.title.get(lang),
            basis=html.escape(legal_list(r.legal_basis, lang), quote=False),
        )
        for r in rules
    )
    text = ctx.content.text(
        "eligibility.legal", lang, programs=programs, date=day(spec.checked_on, lang)
    )
    back = CheckEligibility(answers=code)
    rows = [[ctx.button("button.back_to_result", back)], list(ctx.menu_row())]
    return [Reply(text, _rows(rows))]


def _stale(ctx: Context) -> list[Reply]:
    return [ctx.reply("error.stale_button", [ctx.menu_row()])]


async def command(ctx: Context, text: str) -> list[Reply]:
    """/dieukien (words after it are not used)."""
    return await start(ctx)


async def start(ctx: Context) -> list[Reply]:
    """/dieukien and the menu button: what this is, that nothing is kept, the first question."""
    spec = ctx.content.eligibility
    if spec is None:  # a deployment without eligibility.yaml
        return [ctx.reply("eligibility.unavailable", [ctx.menu_row()])]
    await ctx.leave_flow()  # writes only if the user was in another flow
    question = next_question(spec, {})
    if question is None:  # content without a question that is always asked
        return result(ctx, spec, "", {})
    return [ctx.reply("eligibility.intro"), ask(ctx, "", question)]


async def step(ctx: Context, action: CheckEligibility) -> list[Reply]:
    """el / el:<pairs>: the next question for the answers the button carries, or the result;
    el:<pairs>:l, the result's legal basis (only for answers that are all given)."""
    spec = ctx.content.eligibility
    if spec is None:
        return _stale(ctx)
    code = action.answers
    if not code and action.part is None:
        return await start(ctx)
    answers = parse(spec, code)
    if answers is None:
        return _stale(ctx)
    await ctx.leave_flow()  # writes only if the user was in another flow
    question = next_question(spec, answers)
    if action.part == "l":
        if question is not None:  # not a result yet: no legal button was ever sent
            return _stale(ctx)
        return legal(ctx, spec, code, answers)
    if question is None:
        return result(ctx, spec, code, answers)
    return [ask(ctx, code, question)]

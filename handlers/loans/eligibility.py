"""The eligibility self-check (/dieukien): a few questions, then the programs one MAY qualify for.

Privacy by design: nothing of the answers is stored. Every button carries all the answers so
far in its action, ``el:<pairs>``, each pair a question code then an answer code (``-`` for
"skip"), e.g. ``el:sppbtn`` = status poor, purpose business, student no. The next press
brings everything back, so no database row holds the answers, and an old button or a
restart in the middle still works. The questions, codes and rules are content
(eligibility.yaml); the pairs must be exactly those the questionnaire would ask in order,
anything else is stale or forged and gets the "button out of date" reply. The result's legal
basis is ``el:<pairs>:l``: the same answers, so it is rebuilt the same way.

Because there is no flow state, text typed during the questionnaire is an ordinary free-text
question (dispatch sends it to the matcher): remembering that the user is "in" the
questionnaire would mean storing where they are, and the buttons already above keep working.
"""

from __future__ import annotations

import html

from content.models import (
    SKIP_ANSWER,
    Clause,
    Eligibility,
    EligibilityQuestion,
    EligibilityRule,
    NotIn,
)
from handlers.account import menu
from handlers.core.context import Context
from handlers.core.formatting import day, legal_list
from handlers.core.types import Button, Reply

ACTION = "el"
SKIP_CODE = "-"
# The result's legal basis: "el:<pairs>:l" (the answers, then the part).
LEGAL = "l"

# question id -> answer id ("skip" for the skip button); questions not asked are absent.
Answers = dict[str, str]


def holds(clauses: list[Clause], answers: Answers) -> bool:
    """Whether any clause has all its conditions met; no clauses at all always holds."""
    if not clauses:
        return True
    return any(
        all(_condition_holds(condition, answers.get(question)) for question, condition in c.items())
        for c in clauses
    )


def _condition_holds(condition: list[str] | NotIn, answer: str | None) -> bool:
    if isinstance(condition, NotIn):
        return answer not in condition.not_in
    return answer in condition


def next_question(spec: Eligibility, answers: Answers) -> EligibilityQuestion | None:
    """The first question not yet answered that matters given the answers; None when done."""
    return next(
        (q for q in spec.questions if q.id not in answers and holds(q.ask_when, answers)),
        None,
    )


def parse(spec: Eligibility, code: str) -> Answers | None:
    """The answers a button carries, or None unless ``code`` is exactly what we would emit."""
    if len(code) % 2 or len(code) > 2 * len(spec.questions):
        return None
    answers: Answers = {}
    for i in range(0, len(code), 2):
        question = next_question(spec, answers)
        if question is None or code[i] != question.code:
            return None
        if code[i + 1] == SKIP_CODE:
            answers[question.id] = SKIP_ANSWER
            continue
        answer = question.by_code(code[i + 1])
        if answer is None:
            return None
        answers[question.id] = answer.id
    return answers


def matching_rules(spec: Eligibility, answers: Answers) -> list[EligibilityRule]:
    """The first rule that holds for each program, in the order of the file."""
    found: dict[str, EligibilityRule] = {}
    for rule in spec.rules:
        if rule.program not in found and holds(rule.when, answers):
            found[rule.program] = rule
    return list(found.values())


def _rows(rows: list[list[Button]]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(row) for row in rows)


def control_rows(ctx: Context, code: str, question: EligibilityQuestion) -> list[list[Button]]:
    """Skip and restart, then the way back to the menu."""
    return [
        [
            ctx.button("eligibility.button.skip", f"{ACTION}:{code}{question.code}{SKIP_CODE}"),
            ctx.button("eligibility.button.restart", ACTION),
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
        [Button(a.label.get(ctx.lang), f"{ACTION}:{code}{question.code}{a.code}")]
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
        [ctx.button("eligibility.button.programs", "progs")],
        [ctx.button("eligibility.button.restart", ACTION)],
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
        [ctx.button("eligibility.button.documents", f"pp:{r.program}:d", title=r.title.get(lang))]
        for r in rules
    ]
    rows += [
        [ctx.button("button.legal", f"{ACTION}:{code}:{LEGAL}")],
        [ctx.button("eligibility.button.restart", ACTION)],
        list(ctx.menu_row()),
    ]
    return [Reply(text, _rows(rows))]


def legal(ctx: Context, spec: Eligibility, code: str, answers: Answers) -> list[Reply]:
    """el:<pairs>:l: who decides, and the legal basis of each rule of the result."""
    rules = matching_rules(spec, answers)
    if not rules:  # no result with programs has this button
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
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
    rows = [[ctx.button("button.back_to_result", f"{ACTION}:{code}")], list(ctx.menu_row())]
    return [Reply(text, _rows(rows))]


async def start(ctx: Context) -> list[Reply]:
    """/dieukien and the menu button: what this is, that nothing is kept, the first question."""
    spec = ctx.content.eligibility
    if spec is None:  # a deployment without eligibility.yaml
        return await menu.coming_soon(ctx)
    await ctx.leave_flow()  # writes only if the user was in another flow
    question = next_question(spec, {})
    if question is None:  # content without a question that is always asked
        return result(ctx, spec, "", {})
    return [ctx.reply("eligibility.intro"), ask(ctx, "", question)]


async def step(ctx: Context) -> list[Reply]:
    """el / el:<pairs>: the next question for the answers the button carries, or the result;
    el:<pairs>:l, the result's legal basis (only for answers that are all given)."""
    spec = ctx.content.eligibility
    part = ctx.args[1] if len(ctx.args) == 2 else None
    if len(ctx.args) > 2 or spec is None or part not in (None, LEGAL):
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    code = ctx.args[0] if ctx.args else ""
    if not code and part is None:
        return await start(ctx)
    answers = parse(spec, code)
    if answers is None:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    await ctx.leave_flow()  # writes only if the user was in another flow
    question = next_question(spec, answers)
    if part == LEGAL:
        if question is not None:  # not a result yet: no legal button was ever sent
            return [ctx.reply("error.stale_button", [ctx.menu_row()])]
        return legal(ctx, spec, code, answers)
    if question is None:
        return result(ctx, spec, code, answers)
    return [ask(ctx, code, question)]

"""A typed question about what a loan costs, with the figure in it ("vay 50tr trả góp mỗi
tháng bao nhiêu", "vay 50 triệu 3 năm lãi bao nhiêu"): the calculator with the figures filled
in, rather than a topic's general answer. Everything else goes to the answers as before."""

from __future__ import annotations

from content.normalize import fold
from handlers.core.context import Context
from handlers.core.types import Reply
from handlers.loans import calculator
from handlers.loans.amounts import amount_and_term
from handlers.questions import answers, story

# Folded words: the question is about interest or repayment...
COST_WORDS = ("lai", "tra", "gop", "interest", "repay", "repayment", "instalment", "monthly")
# ...and asks for a figure.
FIGURE_WORDS = ("bao nhieu", "how much", "tinh lai", "tinh giup", "tinh thu", "calculate")
# Topics where a figure is part of a story, not a loan to price: "an app lent me 5 million and
# now wants 9" is about loan sharks; a fee a group leader asked for is misconduct.
NOT_PRICING = ("blackcredit.", "misconduct.", "report")
MAX_WORDS = 30  # a longer message is a story; the matcher reads it


def _has(padded: str, words: tuple[str, ...]) -> bool:
    return any(f" {word} " in padded for word in words)


def figures(ctx: Context, text: str) -> tuple[int, int | None] | None:
    """The amount (and the term, if said) of a short question about a loan's cost."""
    words = fold(text).split()
    if ctx.content.calculator is None or len(words) > MAX_WORDS:
        return None
    padded = f" {' '.join(words)} "
    if not (_has(padded, COST_WORDS) and _has(padded, FIGURE_WORDS)):
        return None
    amount, months = amount_and_term(text)
    return (amount, months) if amount is not None else None


async def ask(ctx: Context, text: str) -> list[Reply]:
    """Free text: the calculator for a question about a loan's cost, a victim's story made
    into help and a report (handlers/questions/story.py), else the answers."""
    found = figures(ctx, text[: answers.MAX_QUESTION_CHARS])
    told = await story.answer(ctx, text[: answers.MAX_QUESTION_CHARS])
    if told is not None:
        return told
    if found is None:
        return await answers.ask(ctx, text)
    topic = ctx.content.matcher.match(text).topic
    if topic.startswith(NOT_PRICING):
        return await answers.ask(ctx, text)
    answer = ctx.content.answers.get(topic)
    program = (
        ctx.content.program_for(answer.program, ctx.province) if answer and answer.program else None
    )
    if program is None or not calculator.calculable(program[0]):
        # The rate and the caps depend on the program: one tap on it gives the result.
        return [calculator.choose_program(ctx, *found)]
    return await calculator.for_program(ctx, program[0], *found)

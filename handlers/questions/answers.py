"""Topic answers: free-text questions, 'did you mean' choices, and the black-credit pages."""

from __future__ import annotations

import html

from content.loader import Content
from handlers.core.context import Context
from handlers.core.formatting import day, legal_list, legal_refs, short_title
from handlers.core.types import Button, Reply
from handlers.loans import programs
from handlers.loans.actions import CheckEligibility, ShowProgram
from handlers.questions import kept_questions, split
from handlers.questions.actions import ShowBlackCredit, ShowTopic, ShowTopicLegal
from handlers.reports.actions import StartReport
from handlers.schedules.actions import ShowSchedule

# Longest question we hand to the matcher; a story longer than this is cut, not refused.
MAX_QUESTION_CHARS = 2000
BLACKCREDIT_TOPICS = ("blackcredit.apps", "blackcredit.victim", "blackcredit.law")
# About one screen of a cheap phone (some 20 lines of 40 characters): an answer whose legal
# footer would push it past this shows the legal basis behind a button instead.
ONE_SCREEN_CHARS = 800
# Another question of the same message is offered when the matcher, reading it alone, is
# this sure of it. On the tune halves of the message sets, 0.4 offers one in 271 messages that
# ask one thing a button they did not need, and reads 4 of 21 messages that ask several
# (0.3: 4 in 271; 0.5: 0 and 2 of 21).
CONFIDENT_OTHER = 0.4
MAX_OTHERS = 3
# A program's answer says who may borrow, how much, the rate, the term and the collateral,
# and its card the documents and the steps: under it, "Lãi suất thế nào?" or "Hồ sơ gồm gì?"
# is answered already (topics.yaml, rule 1: a question naming a program belongs to it,
# whatever it asks about it).
COVERED_BY_PROGRAM = frozenset(
    {"loan.amount", "loan.interest", "loan.term", "loan.collateral"}
    | {"loan.documents", "loan.procedure"}  # in the card, one tap away
)


def _answered_by(main: str, topic: str) -> bool:
    """``topic``, read in a sentence alone, is part of the answer on ``main``: a program's
    terms under its answer, or a loan shark's rate or due date in a story about them (the
    outside lender's terms, not the bank's)."""
    if main.startswith("program."):
        return topic in COVERED_BY_PROGRAM
    return main.startswith("blackcredit.") and topic.startswith("loan.")


def other_questions(content: Content, text: str, main: str) -> list[str]:
    """Topics of the other questions ``text`` asks besides ``main`` (its whole-message
    match): none for a message that asks one thing, whatever story comes with it."""
    asked = split.questions(text)
    if len(asked) < 2:
        return []
    found: list[str] = []
    for question in asked:
        match = content.matcher.match(question)
        topic = match.topic
        if (
            match.score < CONFIDENT_OTHER
            or topic in (main, "none", *found)
            or topic not in content.answers
            or _answered_by(main, topic)
        ):
            continue
        found.append(topic)
    return found[:MAX_OTHERS]


def other_rows(ctx: Context, others: list[str]) -> list[tuple[Button, ...]]:
    """One "Câu hỏi khác của bạn: ..." button per other question."""
    # A button's label is plain text on every channel: the title is not HTML-escaped.
    return [
        (ctx.button("button.other_question", ShowTopic(topic=other), topic=_title(ctx, other)),)
        for other in others
    ]


def _title(ctx: Context, topic: str) -> str:
    return short_title(ctx.content.topics[topic].title(ctx.lang))


def topic_replies(
    ctx: Context,
    topic: str,
    alternatives: list[str] | tuple[str, ...] = (),
    others: list[str] | tuple[str, ...] = (),
) -> list[Reply]:
    """The answer to ``topic``, then the date it was checked and what to do next, as buttons:
    the message's other questions (``others``), then the other guesses (``alternatives``).

    Where the legal basis goes, one rule: it is written under the answer only when the
    answer belongs to no program and the answer with that footer fits one phone screen
    (ONE_SCREEN_CHARS); otherwise it is one tap away behind "Căn cứ pháp lý" (tl:<topic>).
    An answer that belongs to a program is that program's short summary: its documents and
    steps are buttons too (pp:<program>:d / :s), like on the program's own card.
    """
    lang = ctx.lang
    answer = ctx.content.answers[topic]
    text = answer.text.get(lang)
    footer = ctx.t("answer.checked", date=day(answer.checked_on, lang))
    rows: list[tuple[Button, ...]] = []
    if answer.program:
        rows += programs.part_buttons(ctx, answer.program, ("d", "s"))
    if answer.legal_basis:
        basis = ctx.t("answer.basis", basis=legal_refs(answer.legal_basis, lang))
        if answer.program is None and len(text) + len(basis) + len(footer) <= ONE_SCREEN_CHARS:
            footer = basis + "\n" + footer
        else:
            rows.append((ctx.button("button.legal", ShowTopicLegal(topic=topic)),))
    if answer.program:
        rows.append((ctx.button("button.program_card", ShowProgram(program=answer.program)),))
    if topic == "eligibility" and ctx.content.eligibility is not None:
        rows.append((ctx.button("menu.eligibility", CheckEligibility()),))
    if topic.startswith("schedule."):
        rows.append((ctx.button("menu.schedule", ShowSchedule()),))
    if topic.startswith("blackcredit."):
        rows.append((ctx.button("button.report", StartReport()),))
    rows += other_rows(ctx, list(others))
    for other in [t for t in alternatives if t not in others][:3]:
        rows.append(
            (
                Button(
                    ctx.t("button.did_you_mean", topic=_title(ctx, other)),
                    ShowTopic(topic=other).pack(),
                ),
            )
        )
    rows.append(ctx.menu_row())
    return [Reply(text), Reply(f"<i>{footer}</i>", tuple(rows))]


async def show_legal(ctx: Context, action: ShowTopicLegal) -> list[Reply]:
    """tl:<topic>: the legal basis of a topic's answer and the date it was checked."""
    topic = action.topic
    answer = ctx.content.answers.get(topic)
    if answer is None or not answer.legal_basis:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    rows = [(ctx.button("button.back_to_answer", ShowTopic(topic=topic)),), ctx.menu_row()]
    return [
        ctx.reply(
            "answer.legal",
            rows,
            topic=short_title(ctx.content.topics[topic].title(ctx.lang)),
            basis=legal_list(answer.legal_basis, ctx.lang),
            date=day(answer.checked_on, ctx.lang),
        )
    ]


def is_question(ctx: Context, text: str) -> bool:
    """Text typed where a flow waits for a value (a code, a commune) that is plainly one of
    the questions the bot answers: it is answered rather than refused as a bad value. A cue
    phrase must say so: the model alone would also read a misspelt commune as some question."""
    if not text.strip():
        return False
    match = ctx.content.matcher.match(text)
    return match.topic != "none" and match.cue > 0


async def ask(ctx: Context, text: str) -> list[Reply]:
    """Free text: the best topic's answer, the message's other questions and up to three
    other guesses, or a kind fallback."""
    question = text.strip()[:MAX_QUESTION_CHARS]
    if not question:
        return [ctx.reply("ask.empty", [ctx.menu_row()])]
    match = ctx.content.matcher.match(question)
    await kept_questions.keep(ctx, question, match)  # with consent, when the bot was unsure
    others = other_questions(ctx.content, question, match.topic)
    if match.topic == "none" or match.topic not in ctx.content.answers:
        # No main answer: the questions it could read alone come first among the choices.
        choices = [*others, *(t for t in match.alternatives if t not in others)]
        rows = [
            (Button(_title(ctx, t), ShowTopic(topic=t).pack()),)
            for t in [t for t in choices if t in ctx.content.answers][:MAX_OTHERS]
        ]
        return [ctx.reply("ask.unknown", [*rows, ctx.menu_row()])]
    return topic_replies(ctx, match.topic, match.alternatives, others)


async def show_topic(ctx: Context, action: ShowTopic) -> list[Reply]:
    """topic:<id>: a pressed 'did you mean' choice."""
    if action.topic not in ctx.content.answers:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    return topic_replies(ctx, action.topic)


async def black_credit_command(ctx: Context, text: str) -> list[Reply]:
    """/tindungden (words after it are not used)."""
    return await black_credit(ctx)


async def black_credit(ctx: Context, action: ShowBlackCredit | None = None) -> list[Reply]:
    """blackcredit: how to recognise loan sharks, with the related pages one tap away."""
    replies = topic_replies(ctx, "blackcredit.signs")
    last = replies[-1]
    more = tuple(
        (Button(short_title(ctx.content.topics[t].title(ctx.lang)), ShowTopic(topic=t).pack()),)
        for t in BLACKCREDIT_TOPICS
    )
    replies[-1] = Reply(last.text, more + last.buttons)
    return replies


def quote(text: str) -> str:
    """User text shown back to them, made safe for the HTML subset."""
    return html.escape(text, quote=False)

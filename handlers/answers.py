"""Topic answers: free-text questions, 'did you mean' choices, and the black-credit pages."""

from __future__ import annotations

import html

from handlers import kept_questions, programs
from handlers.context import Context
from handlers.formatting import day, legal_list, legal_refs, short_title
from handlers.types import Button, Reply

# Longest question we hand to the matcher; a story longer than this is cut, not refused.
MAX_QUESTION_CHARS = 2000
BLACKCREDIT_TOPICS = ("blackcredit.apps", "blackcredit.victim", "blackcredit.law")
# About one screen of a cheap phone (some 20 lines of 40 characters): an answer whose legal
# footer would push it past this shows the legal basis behind a button instead.
ONE_SCREEN_CHARS = 800


def topic_replies(
    ctx: Context, topic: str, alternatives: list[str] | tuple[str, ...] = ()
) -> list[Reply]:
    """The answer to ``topic``, then the date it was checked and what to do next, as buttons.

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
        rows += programs.part_buttons(ctx, answer.program, "ds")
    if answer.legal_basis:
        basis = ctx.t("answer.basis", basis=legal_refs(answer.legal_basis, lang))
        if answer.program is None and len(text) + len(basis) + len(footer) <= ONE_SCREEN_CHARS:
            footer = basis + "\n" + footer
        else:
            rows.append((ctx.button("button.legal", f"tl:{topic}"),))
    if answer.program:
        rows.append((ctx.button("button.program_card", f"prog:{answer.program}"),))
    if topic == "eligibility" and ctx.content.eligibility is not None:
        rows.append((ctx.button("menu.eligibility", "el"),))
    if topic.startswith("schedule."):
        rows.append((ctx.button("menu.schedule", "lich"),))
    if topic.startswith("blackcredit."):
        rows.append((ctx.button("button.report", "rp"),))
    for other in alternatives[:3]:
        title = short_title(ctx.content.topics[other].title(lang))
        rows.append((Button(ctx.t("button.did_you_mean", topic=title), f"topic:{other}"),))
    rows.append(ctx.menu_row())
    return [Reply(text), Reply(f"<i>{footer}</i>", tuple(rows))]


async def show_legal(ctx: Context) -> list[Reply]:
    """tl:<topic>: the legal basis of a topic's answer and the date it was checked."""
    topic = ctx.args[0] if len(ctx.args) == 1 else ""
    answer = ctx.content.answers.get(topic)
    if answer is None or not answer.legal_basis:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    rows = [(ctx.button("button.back_to_answer", f"topic:{topic}"),), ctx.menu_row()]
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
    """Free text: the best topic's answer and up to three other guesses, or a kind fallback."""
    question = text.strip()[:MAX_QUESTION_CHARS]
    if not question:
        return [ctx.reply("ask.empty", [ctx.menu_row()])]
    match = ctx.content.matcher.match(question)
    await kept_questions.keep(ctx, question, match)  # with consent, when the bot was unsure
    if match.topic == "none" or match.topic not in ctx.content.answers:
        rows = [
            (Button(short_title(ctx.content.topics[t].title(ctx.lang)), f"topic:{t}"),)
            for t in match.alternatives[:3]
            if t in ctx.content.answers
        ]
        return [ctx.reply("ask.unknown", [*rows, ctx.menu_row()])]
    return topic_replies(ctx, match.topic, match.alternatives)


async def show_topic(ctx: Context) -> list[Reply]:
    """topic:<id>: a pressed 'did you mean' choice."""
    topic = ctx.args[0] if ctx.args else ""
    if topic not in ctx.content.answers:
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]
    return topic_replies(ctx, topic)


async def black_credit(ctx: Context) -> list[Reply]:
    """/tindungden: how to recognise loan sharks, with the related pages one tap away."""
    replies = topic_replies(ctx, "blackcredit.signs")
    last = replies[-1]
    more = tuple(
        (Button(short_title(ctx.content.topics[t].title(ctx.lang)), f"topic:{t}"),)
        for t in BLACKCREDIT_TOPICS
    )
    replies[-1] = Reply(last.text, more + last.buttons)
    return replies


def quote(text: str) -> str:
    """User text shown back to them, made safe for the HTML subset."""
    return html.escape(text, quote=False)

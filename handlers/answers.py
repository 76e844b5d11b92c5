"""Topic answers: free-text questions, 'did you mean' choices, and the black-credit pages."""

from __future__ import annotations

import html

from handlers import kept_questions
from handlers.context import Context
from handlers.formatting import day, legal_refs, short_title
from handlers.types import Button, Reply

# Longest question we hand to the matcher; a story longer than this is cut, not refused.
MAX_QUESTION_CHARS = 2000
BLACKCREDIT_TOPICS = ("blackcredit.apps", "blackcredit.victim", "blackcredit.law")


def topic_replies(
    ctx: Context, topic: str, alternatives: list[str] | tuple[str, ...] = ()
) -> list[Reply]:
    """The answer to ``topic``, its legal basis and check date, then what to do next."""
    answer = ctx.content.answers[topic]
    replies = [Reply(answer.text.get(ctx.lang))]
    footer = ctx.t("answer.checked", date=day(answer.checked_on, ctx.lang))
    if answer.legal_basis:
        footer = ctx.t("answer.basis", basis=legal_refs(answer.legal_basis)) + "\n" + footer
    rows: list[tuple[Button, ...]] = []
    if answer.program:
        rows.append((ctx.button("button.program_card", f"prog:{answer.program}"),))
    if topic == "eligibility" and ctx.content.eligibility is not None:
        rows.append((ctx.button("menu.eligibility", "el"),))
    if topic.startswith("schedule."):
        rows.append((ctx.button("menu.schedule", "lich"),))
    if topic.startswith("blackcredit."):
        rows.append((ctx.button("button.report", "rp"),))
    for other in alternatives[:3]:
        title = short_title(ctx.content.topics[other].title(ctx.lang))
        rows.append((Button(ctx.t("button.did_you_mean", topic=title), f"topic:{other}"),))
    rows.append(ctx.menu_row())
    replies.append(Reply(f"<i>{footer}</i>", tuple(rows)))
    return replies


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

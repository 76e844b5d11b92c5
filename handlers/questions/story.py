"""A victim's story typed as free text: taken seriously, made safe, answered, and one tap from a
report that already holds it.

"Tụi nó gọi cho cả họ hàng tôi, đăng ảnh tôi lên mạng, dọa đến nhà..." or "tổ trưởng thu tiền
lãi của nhà tôi mà không nộp" gets, in this order: one line that takes the person seriously,
the safety step (113, the commune police) only when the story tells of a threat, violence or
harassment, what to do now (the topic's answer, shortened), and a button "Báo cáo việc này"
that starts /baocao with the category chosen (``rpf:CAT``; handlers/reports/intake.py). The story
itself never travels in the button: it waits in the conversation state (flow ``story``) and,
once the person agrees on the report's consent step, becomes the report's description. Any
command, the menu, another message or dropping the report forgets it; it is never logged; and
it waits 30 minutes at most (handlers/questions/kept_story.py).
"""

from __future__ import annotations

import enum

from pydantic import BaseModel

from content.normalize import fold
from handlers.core.context import Context
from handlers.core.flows import Flow
from handlers.core.types import Reply
from handlers.questions import answers, kept_story
from handlers.questions.actions import ShowTopic
from handlers.reports import intake
from handlers.reports.actions import ReportStory
from handlers.reports.common import CATEGORIES
from handlers.reports.intake_rules import DANGER_WORDS


class Step(enum.StrEnum):
    OFFERED = "offered"  # the story told, "Báo cáo việc này" not yet pressed


class Draft(BaseModel):
    """The story waiting for the button (handlers/questions/kept_story.py)."""

    text: str = ""
    category: str = ""
    told_at: str = ""  # kept_story.TOLD_AT: the ISO time it was told


# No typed text of its own: a new message is read afresh (``answer``), forgetting the story.
STORY = Flow("story", Step, Draft, order=(Step.OFFERED,))

# Topic -> report category. Only topics about something done to the person: "how to recognise
# loan sharks" or "what is the legal rate" are questions, and a story of lending to a friend
# (blackcredit.law) has no victim to report for, unless it tells of a threat (then: threats);
# so does "I want to report..." (report) when it tells of one.
CATEGORY_OF_TOPIC: dict[str, str] = {
    "blackcredit.victim": "threats",
    "blackcredit.apps": "app",
    "misconduct.proxy": "vay_ke",
    "misconduct.embezzle": "keeps_repayment",
    "misconduct.fees": "fees",
}
THREAT_ONLY_TOPICS = ("blackcredit.law", "blackcredit.signs", "report")
# Folded words: a group leader or officer taking the principal, not only keeping repayments.
PRINCIPAL_WORDS = ("tien goc", "no goc", "principal")

# Folded words of a threat, violence or harassment: the safety step (113) comes first.
THREAT_WORDS = (
    "doa",
    "de doa",
    "khung bo",
    "chui",
    "beu rieu",
    "boi nho",
    "dang anh",
    "dang hinh",
    "den nha",
    "toi nha",
    "tat son",
    "nem chat ban",
    "mam tom",
    "dap pha",
    "hanh hung",
    "quay roi",
    "goi cho ca",
    "goi cho ho hang",
    "goi cho nguoi than",
    "goi lien tuc",
    "goi suot",
    "ngay nao cung goi",
    "ngay nao no cung goi",
    "truoc cua",
    "door",
    "threat",
    "threaten",
    "threatened",
    "threatening",
    "harass",
    "harassed",
    "harassing",
    "shamed",
    *DANGER_WORDS,
)
# A message that tells what happened (rather than asks in general) has one of these.
TOLD_WORDS = (
    "toi",
    "em",
    "minh",
    "nha toi",
    "chung toi",
    "gia dinh",
    "bi",
    "da",
    "roi",
    "dang",
    "van con",
    "i",
    "my",
    "me",
    "we",
    "our",
)
STORY_MIN_WORDS = 8
SHORT_ANSWER_CHARS = 700  # what to do now: a phone screen; the rest is one tap away


def _has(padded: str, words: tuple[str, ...]) -> bool:
    return any(f" {word} " in padded for word in words)


def threatened(text: str) -> bool:
    """The story tells of a threat, violence or harassment."""
    return _has(f" {fold(text)} ", THREAT_WORDS)


def category_for(topic: str, text: str) -> str | None:
    """The report category of a story on ``topic``; None when the message is no story."""
    padded = f" {fold(text)} "
    threat = _has(padded, THREAT_WORDS)
    if topic in THREAT_ONLY_TOPICS:
        return "threats" if threat else None
    category = CATEGORY_OF_TOPIC.get(topic)
    if category is None:
        return None
    if not threat and (len(padded.split()) < STORY_MIN_WORDS or not _has(padded, TOLD_WORDS)):
        return None  # a tidy question on the topic: its answer, as before
    if category == "keeps_repayment" and _has(padded, PRINCIPAL_WORDS):
        return "collects_principal"
    return category


def what_to_do(answer: str, safety_shown: bool) -> str:
    """The topic's answer, shortened to a screen: whole paragraphs, and no second 113 line
    when the safety step has just said it."""
    kept: list[str] = []
    for paragraph in answer.split("\n\n"):
        lines = [line for line in paragraph.split("\n") if not (safety_shown and "113" in line)]
        if not lines:
            continue
        text = "\n".join(lines)
        if kept and len("\n\n".join([*kept, text])) > SHORT_ANSWER_CHARS:
            break
        kept.append(text)
    return "\n\n".join(kept)


async def answer(ctx: Context, text: str) -> list[Reply] | None:
    """The reply to a story, or None when the message is not one (the caller answers it)."""
    if STORY.active(ctx):
        await ctx.leave_flow()  # a new message: the story offered before is forgotten
    story = text.strip()
    topic = ctx.content.matcher.match(story).topic
    category = category_for(topic, story)
    if category is None or topic not in ctx.content.answers:
        return None
    safety = threatened(story)
    group = CATEGORIES[category]
    parts = [ctx.t(f"story.serious.{group}")]
    if safety:
        parts.append(ctx.t("story.safety"))
    parts.append(what_to_do(ctx.content.answers[topic].text.get(ctx.lang), safety))
    told_at = kept_story.told_at(ctx.now)  # kept_story.STORY_KEPT_FOR from now, no longer
    await STORY.enter(ctx, Step.OFFERED, Draft(text=story, category=category, told_at=told_at))
    buttons = [
        [ctx.button("story.button.report", ReportStory(category=category))],
        [ctx.button("story.button.more", ShowTopic(topic=topic))],
        *answers.other_rows(ctx, answers.other_questions(ctx.content, story, topic)),  # asked too
        ctx.menu_row(),
    ]
    return [Reply("\n\n".join(parts), tuple(tuple(row) for row in buttons))]


async def start_report(ctx: Context, action: ReportStory) -> list[Reply]:
    """rpf:CAT: /baocao with the category chosen and the story kept for its description; once
    the story has waited too long (or was forgotten), without it, and the person is told."""
    story = STORY.draft(ctx)
    kept = bool(story.text) and kept_story.still_kept(story.model_dump(), ctx.now)
    replies = await intake.begin(ctx)
    if not intake.FLOW.active(ctx):  # refused (the daily cap): nothing of the story is kept
        await ctx.leave_flow()
        return replies
    await intake.FLOW.update(
        ctx,
        category=action.category,
        offered_story=story.text if kept else None,
        told_at=story.told_at if kept else None,
    )
    if not kept:
        return [not_kept(ctx), *replies]
    return replies


def not_kept(ctx: Context) -> Reply:
    """The story typed before is no longer kept: kindly, and what to do instead."""
    return ctx.reply("story.not_kept", minutes=kept_story.kept_minutes())

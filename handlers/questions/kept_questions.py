"""Questions the bot could not answer well, kept masked for the people who improve it.

With the person's consent, a message answered ``none`` or below ``LOW_CONFIDENCE`` is kept
for 90 days (storage/kept_questions.py), masked first (handlers/questions/masking.py), so that a
content editor can label it and add it to the question sets. ``vbsp-bot questions export``
writes them as TSV without any user id; ``questions stats`` counts them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from content.matcher import Match
from handlers.core.context import Context
from handlers.core.spreadsheet import safe_row
from handlers.questions.masking import mask
from storage import kept_questions
from storage.question_models import KeptQuestion

# Measured by 5-fold cross-validation over content/data/training (cues plus the topic model):
# below 0.3 fall 17 % of the answers, 30 % of them wrong; of the answers at 0.3 and above,
# 0.2 % are wrong. So these are the ones worth an editor's look (0.6 would keep over half).
LOW_CONFIDENCE = 0.3
# A person who pastes the same text again and again fills nothing: a day's worth is plenty.
MAX_PER_DAY = 20
COLUMNS = ("text", "best_topic", "score", "date", "channel")


def worth_keeping(match: Match) -> bool:
    return match.topic == "none" or match.score < LOW_CONFIDENCE


async def keep(ctx: Context, question: str, match: Match) -> bool:
    """Keep ``question`` masked when the person agreed and the bot was unsure; True if kept."""
    if ctx.user.consent_at is None or ctx.user.id is None or not worth_keeping(match):
        return False
    day_ago = ctx.now - dt.timedelta(days=1)
    if await kept_questions.count_of(ctx.session, ctx.user.id, day_ago) >= MAX_PER_DAY:
        return False
    await kept_questions.add(
        ctx.session, ctx.user.id, ctx.me.channel, mask(question), match.topic, match.score, ctx.now
    )
    return True


def export_tsv(rows: Sequence[KeptQuestion], tz: ZoneInfo) -> str:
    """One line per kept question; a tab or a line break in the text becomes a space."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        text = " ".join(row.text.split())
        day = row.created_at.astimezone(tz).date().isoformat()
        writer.writerow(safe_row([text, row.topic, f"{row.score:.4f}", day, row.channel]))
    return out.getvalue()


def stats_text(rows: Sequence[KeptQuestion], tz: ZoneInfo) -> str:
    """Counts by topic, then per ISO week how many were answered ``none`` of how many."""
    lines = [f"kept questions: {len(rows)}", "by topic:"]
    by_topic = Counter(row.topic for row in rows)
    lines += [
        f"  {topic}\t{n}" for topic, n in sorted(by_topic.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    weeks: dict[str, list[int]] = {}
    for row in rows:
        year, week, _ = row.created_at.astimezone(tz).isocalendar()
        counts = weeks.setdefault(f"{year}-W{week:02d}", [0, 0])
        counts[0] += row.topic == "none"
        counts[1] += 1
    lines.append("none per week (none / all):")
    lines += [f"  {week}\t{none} / {total}" for week, (none, total) in sorted(weeks.items())]
    return "\n".join(lines) + "\n"


async def export(session: AsyncSession, since: dt.datetime | None, tz: ZoneInfo) -> str:
    return export_tsv(await kept_questions.since(session, since), tz)


async def stats(session: AsyncSession, tz: ZoneInfo) -> str:
    return stats_text(await kept_questions.since(session, None), tz)

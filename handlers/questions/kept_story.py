"""How long a victim's story typed as free text waits for "Báo cáo việc này"
(handlers/questions/story.py), and forgetting it afterwards.

The story waits in the conversation state, in the database, so a restart or a second replica
still has it when the button is pressed. It waits ``STORY_KEPT_FOR`` from the moment it was
told: pressed later, the button starts /baocao with the category but without the story, and
says so. A periodic job (bot/scheduler.py) erases the stories nobody came back for, so that
none lies in the database longer than that (plus the job's interval).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import users

# Long enough to read the advice, call 113 or a relative, and come back; short enough that a
# phone picked up later by someone else does not reopen the story in a report.
STORY_KEPT_FOR = dt.timedelta(minutes=30)
# Where the story waits: flow "story" (offered, before the button) as ``text``; flow
# "report" (after the button, until the report's story step takes it) as ``offered_story``.
STORY_FLOW, REPORT_FLOW = "story", "report"
TOLD_AT = "told_at"


def kept_minutes() -> int:
    """``STORY_KEPT_FOR`` in whole minutes, as the person is told."""
    return int(STORY_KEPT_FOR.total_seconds() // 60)


def told_at(now: dt.datetime) -> str:
    return now.isoformat()


def still_kept(data: dict[str, Any], now: dt.datetime) -> bool:
    """The story in ``data`` was told less than ``STORY_KEPT_FOR`` ago (no time: not kept)."""
    try:
        told = dt.datetime.fromisoformat(str(data.get(TOLD_AT)))
    except ValueError:
        return False
    if told.tzinfo is None:
        return False
    return now - told < STORY_KEPT_FOR


async def forget_old_stories(session: AsyncSession, now: dt.datetime) -> int:
    """Erase the stories told more than ``STORY_KEPT_FOR`` ago; how many."""
    before = now - STORY_KEPT_FOR
    forgotten = await users.forget_flow_before(session, STORY_FLOW, before)
    # A state last written before ``before`` holds a story told before it too.
    for state in await users.states_in_flow_before(session, REPORT_FLOW, before):
        if state.data.get("offered_story"):
            data = {**state.data, "offered_story": None, TOLD_AT: None}
            forgotten += await users.replace_data_if_unchanged(session, state, data)
    return forgotten

"""Periodic jobs for every channel, on APScheduler 3's asyncio scheduler.

Jobs hold no state of their own: reminders are rows in the outbox, so a job that runs late,
twice, or on two replicas does no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.delivery import OutboxSender, SendStats
from content.loader import Content
from handlers.core.context import Clock
from handlers.questions.kept_story import forget_old_stories
from handlers.reports.moderation import plan_digest
from handlers.schedules.reminders import plan_reminders
from storage import console, kept_questions, outbox, report_limits, stats, users
from storage.db import SessionFactory, transaction

log = logging.getLogger(__name__)

# Telegram keeps undelivered updates for 24 hours; two days of ids is a safe margin.
PROCESSED_UPDATE_RETENTION = dt.timedelta(days=2)


async def prune_processed_updates(sessions: SessionFactory, clock: Clock) -> int:
    """Forget update ids no platform can redeliver any more."""
    async with transaction(sessions) as session:
        removed = await users.prune_processed_updates(session, clock() - PROCESSED_UPDATE_RETENTION)
    log.info("pruned %d processed update ids", removed)
    return removed


async def prune_report_limits(sessions: SessionFactory, clock: Clock) -> int:
    """Forget the report-limit marks no limit needs any more (storage/report_limits.py)."""
    async with transaction(sessions) as session:
        removed = await report_limits.prune(session, clock())
    if removed:
        log.info("pruned %d report-limit marks", removed)
    return removed


# Handled outbox rows hold the texts sent to each person: kept a season for the reports and
# any complaint, then deleted (a broadcast keeps its counts).
OUTBOX_RETENTION = dt.timedelta(days=90)
PRUNE_BATCH = 5000  # rows per transaction: short turns of SQLite's single writer


async def prune_outbox(sessions: SessionFactory, clock: Clock) -> int:
    """Delete outbox rows handled more than ``OUTBOX_RETENTION`` ago, a batch at a time."""
    before, removed = clock() - OUTBOX_RETENTION, 0
    while True:
        async with transaction(sessions) as session:
            batch = await outbox.prune(session, before, PRUNE_BATCH)
        removed += batch
        if batch < PRUNE_BATCH:
            break
    if removed:
        log.info("pruned %d outbox rows handled before %s", removed, before.date())
    return removed


async def tally_reminders(sessions: SessionFactory, clock: Clock) -> int:
    """Count the reminders of each settled day once, for the dashboard (storage/stats.py):
    idempotent, and on two replicas the second waits for the first and finds nothing left."""
    async with transaction(sessions) as session:
        days = await stats.tally_settled_reminders(session, clock())
    if days:
        log.info("tallied the reminders of %d days", days)
    return days


async def prune_kept_questions(sessions: SessionFactory, clock: Clock) -> int:
    """Delete the questions kept for the editors once their 90 days are over."""
    async with transaction(sessions) as session:
        removed = await kept_questions.prune(session, clock())
    if removed:
        log.info("pruned %d kept questions", removed)
    return removed


# Links are kept a day after they were made, for the per-hour limit and nothing else.
CONSOLE_LINK_RETENTION = dt.timedelta(days=1)


async def prune_console(sessions: SessionFactory, clock: Clock) -> int:
    """Forget the staff console's expired sessions and old sign-in links."""
    async with transaction(sessions) as session:
        removed = await console.prune(session, clock(), CONSOLE_LINK_RETENTION)
    if removed:
        log.info("pruned %d expired console sessions and links", removed)
    return removed


async def forget_stories(sessions: SessionFactory, clock: Clock) -> int:
    """Erase the victims' stories that waited too long for a report (kept_story.py)."""
    async with transaction(sessions) as session:
        forgotten = await forget_old_stories(session, clock())
    if forgotten:
        log.info("forgot %d stories kept for a report", forgotten)
    return forgotten


async def remind_and_deliver(
    sessions: SessionFactory,
    content: Content,
    sender: OutboxSender,
    now: dt.datetime,
    tz: ZoneInfo,
) -> tuple[int, SendStats]:
    """Record the reminders due at ``now``, then send everything due in the outbox."""
    async with transaction(sessions) as session:
        planned = await plan_reminders(session, content, now, tz)
    stats = await sender.run_once()
    if planned or stats.handled:
        log.info(
            "reminders: %d planned; sent %d, blocked %d, failed %d, unreachable %d, retrying %d",
            planned, stats.sent, stats.blocked, stats.failed, stats.unreachable, stats.retried,
        )  # fmt: skip
    return planned, stats


# Moderators' daily digest of their area's new reports, in local time.
DIGEST_HOUR, DIGEST_MINUTE = 7, 30


async def report_digest(
    sessions: SessionFactory, content: Content, clock: Clock, tz: ZoneInfo
) -> int:
    """Queue each moderator's digest of new reports (once a day: the key holds the date)."""
    async with transaction(sessions) as session:
        queued = await plan_digest(session, content, clock(), tz)
    if queued:
        log.info("report digest: %d moderators", queued)
    return queued


def build_scheduler(
    sessions: SessionFactory,
    clock: Clock,
    timezone: ZoneInfo,
    content: Content,
    sender: OutboxSender,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=timezone)

    def hourly(job: Callable[[SessionFactory, Clock], Awaitable[int]]) -> None:
        scheduler.add_job(
            job,
            "interval",
            hours=1,
            args=(sessions, clock),
            id=job.__name__,
            coalesce=True,
            max_instances=1,
        )

    hourly(prune_processed_updates)

    # Hourly: a mark outlives its limit by an hour at most.
    hourly(prune_report_limits)

    scheduler.add_job(
        prune_outbox,
        "cron",
        hour=3,
        minute=15,
        args=(sessions, clock),
        id="prune_outbox",
        coalesce=True,
        max_instances=1,
    )

    # Hourly: a day's reminders are counted an hour or two after it ends (storage/stats.py).
    hourly(tally_reminders)

    scheduler.add_job(
        prune_kept_questions,
        "cron",
        hour=3,
        minute=45,
        args=(sessions, clock),
        id="prune_kept_questions",
        coalesce=True,
        max_instances=1,
    )

    hourly(prune_console)

    # Every 5 minutes: a story lies in the database 35 minutes at most.
    scheduler.add_job(
        forget_stories,
        "interval",
        minutes=5,
        args=(sessions, clock),
        id="forget_stories",
        coalesce=True,
        max_instances=1,
    )

    async def every_minute() -> None:
        # Plans only: the sender runs in the background and is woken to send what is due.
        async with transaction(sessions) as session:
            planned = await plan_reminders(session, content, clock(), timezone)
        if planned:
            log.info("reminders: %d planned", planned)
        sender.wake()

    # Every minute: reminders fall due at 18:00 and 06:30, and the outbox may hold retries.
    scheduler.add_job(
        every_minute, "interval", minutes=1, id="reminders", coalesce=True, max_instances=1
    )
    # Once a day; the outbox sends it with the next minute's run.
    scheduler.add_job(
        report_digest,
        "cron",
        hour=DIGEST_HOUR,
        minute=DIGEST_MINUTE,
        args=(sessions, content, clock, timezone),
        id="report_digest",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
    return scheduler

"""The report limits (3 reports a day, a week's pause after spam), kept without identity.

Counting a person's reports by ``reporter_id`` let anyone reset the limits by deleting their
data (/dulieu clears it). Instead, each report sent leaves a *mark*: an HMAC-SHA256 of the
channel identity ("telegram:12345") under a secret key, the kind (report or spam), the time
and a random id shared by the marks of one report; nothing else. A person who linked
channels leaves the same mark under each identity, and the limits read the marks of all of
them, so switching channel resets nothing either. Without the key a mark cannot be tied to
anyone; marks are deleted once no limit needs them (``prune``, hourly).

The key is REPORT_LIMIT_KEY; when it is not configured the bot makes one and keeps it in the
database (``stored_secrets``), so the limits still hold, with a warning: a key kept next to
the marks protects them less than one kept apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence

from sqlalchemy import delete, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import people
from storage.limit_models import ReportLimitMark, StoredSecret
from storage.models import User

log = logging.getLogger(__name__)

REPORT, SPAM = "report", "spam"
REPORT_WINDOW = dt.timedelta(days=1)  # the daily cap counts reports of the last 24 hours
SPAM_PAUSE = dt.timedelta(days=7)  # no new report for a week after one rejected as spam
KEY_NAME = "report_limit_key"

_warned = False  # the warning about a stored key, once per process


async def limit_key(session: AsyncSession, configured: str | None) -> bytes:
    """The configured key, or the one kept in the database (made on first use)."""
    global _warned
    if configured:
        return configured.encode()
    row = await session.get(StoredSecret, KEY_NAME)
    if row is None:
        try:
            async with session.begin_nested():
                row = StoredSecret(
                    name=KEY_NAME,
                    value=secrets.token_hex(32),
                    created_at=dt.datetime.now(dt.UTC),
                )
                session.add(row)
        except IntegrityError:  # another process made it first: use theirs
            row = await session.get(StoredSecret, KEY_NAME)
            assert row is not None
    if not _warned:
        _warned = True
        log.warning(
            "REPORT_LIMIT_KEY is not set: the report limits use a key kept in the database; "
            "set one of at least 32 characters to keep it apart"
        )
    return row.value.encode()


def identity_hash(key: bytes, channel: str, channel_user_id: str) -> str:
    return hmac.new(key, f"{channel}:{channel_user_id}".encode(), hashlib.sha256).hexdigest()


async def person_hashes(session: AsyncSession, key: bytes, person: User) -> list[str]:
    """The hashes of every channel identity of this person (linked channels included)."""
    holder = await people.holder(session, person)
    return [
        identity_hash(key, u.channel, u.channel_user_id)
        for u in await people.identities(session, holder.id or 0)
    ]


async def record(session: AsyncSession, hashes: Sequence[str], kind: str, at: dt.datetime) -> None:
    """One mark per identity, all with one random event id: one report counts once."""
    event = secrets.token_hex(8)
    session.add_all(ReportLimitMark(key_hash=h, kind=kind, event=event, at=at) for h in set(hashes))
    await session.flush()


async def reports_since(session: AsyncSession, hashes: Sequence[str], since: dt.datetime) -> int:
    """Reports sent from any of these identities since ``since``; one report, one count."""
    result = await session.exec(
        select(func.count(func.distinct(ReportLimitMark.event))).where(
            col(ReportLimitMark.key_hash).in_(list(hashes)),
            ReportLimitMark.kind == REPORT,
            ReportLimitMark.at >= since,
        )
    )
    return int(result.one())


async def last_spam(
    session: AsyncSession, hashes: Sequence[str], since: dt.datetime
) -> dt.datetime | None:
    """When one of these identities' reports was last rejected as spam, if after ``since``."""
    result = await session.exec(
        select(func.max(ReportLimitMark.at)).where(
            col(ReportLimitMark.key_hash).in_(list(hashes)),
            ReportLimitMark.kind == SPAM,
            ReportLimitMark.at >= since,
        )
    )
    found = result.one()
    if found is not None and found.tzinfo is None:  # SQLite's max() gives the bare value
        found = found.replace(tzinfo=dt.UTC)
    return found


async def prune(session: AsyncSession, now: dt.datetime) -> int:
    """Delete the marks no limit needs any more; returns how many."""
    result = await session.exec(
        delete(ReportLimitMark).where(
            or_(
                (ReportLimitMark.kind == REPORT) & (ReportLimitMark.at < now - REPORT_WINDOW),
                (ReportLimitMark.kind == SPAM) & (ReportLimitMark.at < now - SPAM_PAUSE),
                col(ReportLimitMark.kind).not_in((REPORT, SPAM)),
            )
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

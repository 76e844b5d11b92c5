"""Sign-in links and sessions of the staff console.

A link is made for one person (a channel identity), works once and for a short time; using it
opens a session whose token lives in the browser's cookie. Tokens are random (256 bits) and
only their SHA-256 is stored, so a copy of the database, a backup or a log line with a hash
signs nobody in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.console_models import StaffLink, StaffSession


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def create_link(
    session: AsyncSession, channel: str, channel_user_id: str, now: dt.datetime, ttl: dt.timedelta
) -> str:
    """A new single-use link token for this person; the caller shows it once."""
    token = new_token()
    session.add(
        StaffLink(
            token_hash=token_hash(token),
            channel=channel,
            channel_user_id=channel_user_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return token


async def links_since(
    session: AsyncSession, channel: str, channel_user_id: str, since: dt.datetime
) -> int:
    """How many links this person asked for since ``since`` (the rate limit)."""
    result = await session.exec(
        select(func.count())
        .select_from(StaffLink)
        .where(
            StaffLink.channel == channel,
            StaffLink.channel_user_id == channel_user_id,
            col(StaffLink.created_at) >= since,
        )
    )
    return int(result.one())


async def peek_link(session: AsyncSession, token: str, now: dt.datetime) -> StaffLink | None:
    """The link if it can still be used (not used, not expired); nothing is changed."""
    result = await session.exec(select(StaffLink).where(StaffLink.token_hash == token_hash(token)))
    link = result.first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link


async def use_link(session: AsyncSession, token: str, now: dt.datetime) -> StaffLink | None:
    """Spend the link: its person when it was unused and unexpired, else None. The row is
    locked, so two browsers opening the same link at once get one session between them."""
    result = await session.exec(
        select(StaffLink).where(StaffLink.token_hash == token_hash(token)).with_for_update()
    )
    link = result.first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    link.used_at = now
    session.add(link)
    await session.flush()
    return link


async def open_session(
    session: AsyncSession,
    channel: str,
    channel_user_id: str,
    now: dt.datetime,
    ttl: dt.timedelta,
    lang: str = "vi",
) -> tuple[str, StaffSession]:
    """A new session for this person: the cookie's token (shown once) and the row."""
    token = new_token()
    row = StaffSession(
        token_hash=token_hash(token),
        channel=channel,
        channel_user_id=channel_user_id,
        csrf=secrets.token_urlsafe(32),
        lang=lang,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    await session.flush()
    return token, row


async def find_session(session: AsyncSession, token: str, now: dt.datetime) -> StaffSession | None:
    """The live session the cookie names; None when unknown or expired."""
    result = await session.exec(
        select(StaffSession).where(StaffSession.token_hash == token_hash(token))
    )
    row = result.first()
    if row is None or row.expires_at <= now:
        return None
    return row


async def end_session(session: AsyncSession, token: str) -> None:
    await session.exec(
        delete(StaffSession).where(col(StaffSession.token_hash) == token_hash(token))
    )


async def end_sessions(session: AsyncSession, channel: str, channel_user_id: str) -> int:
    """Sign this person out everywhere (a role was revoked); how many sessions ended."""
    result = await session.exec(
        delete(StaffSession).where(
            col(StaffSession.channel) == channel,
            col(StaffSession.channel_user_id) == channel_user_id,
        )
    )
    await session.exec(
        delete(StaffLink).where(
            col(StaffLink.channel) == channel,
            col(StaffLink.channel_user_id) == channel_user_id,
            col(StaffLink.used_at).is_(None),
        )
    )
    return int(result.rowcount or 0)


async def prune(session: AsyncSession, now: dt.datetime, keep_links: dt.timedelta) -> int:
    """Forget expired sessions, and links older than ``keep_links`` (kept that long for the
    rate limit)."""
    gone = await session.exec(delete(StaffSession).where(col(StaffSession.expires_at) <= now))
    old = await session.exec(delete(StaffLink).where(col(StaffLink.created_at) <= now - keep_links))
    return int((gone.rowcount or 0) + (old.rowcount or 0))

"""The Zalo OA app's tokens: read, take in a refresh token from the settings, lock, store.

bot/zalo_oa_tokens.py decides when to refresh; this module only reads and writes the row
(storage/zalo_oa_models.py). On PostgreSQL ``locked=True`` reads it ``FOR UPDATE``, so the
transaction that refreshes holds the row until it commits the new tokens.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.zalo_oa_models import ZaloOaToken

# Zalo: a refresh token lasts three months (facts §2.1); the answer does not say, so we count.
REFRESH_LIFE = dt.timedelta(days=90)
ERROR_LIMIT = 500


def seed_hash(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


async def get(session: AsyncSession, app_id: str, *, locked: bool = False) -> ZaloOaToken | None:
    query = select(ZaloOaToken).where(ZaloOaToken.app_id == app_id)
    if locked:
        query = query.with_for_update()  # nothing on SQLite: one process, the caller's lock
    return (await session.exec(query)).first()


async def prepare(
    session: AsyncSession,
    app_id: str,
    seed: str | None,
    now: dt.datetime,
    *,
    locked: bool = False,
) -> ZaloOaToken:
    """The app's row, made if missing (two replicas may both try: one insert wins), with the
    settings' refresh token taken in when it is one this row has not seen."""
    values = {
        "app_id": app_id,
        "updated_at": now,
        "refresh_token": seed,
        "refresh_expires_at": now + REFRESH_LIFE if seed else None,
        "seed_hash": seed_hash(seed) if seed else None,
        "failures": 0,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.exec(
        insert(ZaloOaToken).values(**values).on_conflict_do_nothing(index_elements=["app_id"])
    )
    row = await get(session, app_id, locked=locked)
    assert row is not None
    if seed and row.seed_hash != seed_hash(seed):
        row.refresh_token = seed
        row.refresh_expires_at = now + REFRESH_LIFE
        row.seed_hash = seed_hash(seed)
        row.updated_at = now
        session.add(row)
    return row


def store(row: ZaloOaToken, access: str, refresh: str, expires_in: int, now: dt.datetime) -> None:
    """New tokens from a grant or a refresh; the error record is cleared."""
    row.access_token = access
    row.access_expires_at = now + dt.timedelta(seconds=expires_in)
    row.refresh_token = refresh
    row.refresh_expires_at = now + REFRESH_LIFE
    row.refreshed_at = now
    row.updated_at = now
    row.last_error = None
    row.last_error_at = None
    row.failures = 0


def record_failure(row: ZaloOaToken, error: str, now: dt.datetime) -> None:
    """A refresh failed; ``error`` must already be free of any token."""
    row.last_error = error[:ERROR_LIMIT]
    row.last_error_at = now
    row.failures = (row.failures or 0) + 1
    row.updated_at = now


async def save_grant(
    session: AsyncSession,
    app_id: str,
    access: str,
    refresh: str,
    expires_in: int,
    now: dt.datetime,
    *,
    seed: str | None = None,
) -> ZaloOaToken:
    """Tokens from the first grant (``vbsp-bot zalo-oa authorize``) replace whatever was kept.

    ``seed`` is the settings' ZALO_OA_REFRESH_TOKEN, if any: marked as seen, so that it does
    not replace the new grant later."""
    row = await prepare(session, app_id, None, now, locked=True)
    store(row, access, refresh, expires_in, now)
    if seed:
        row.seed_hash = seed_hash(seed)
    session.add(row)
    return row

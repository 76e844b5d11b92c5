"""The staff console's links and sessions on both databases: single use, expiry, hashes only."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import text

from storage import console
from storage.db import session_factory, transaction

NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
TEN_MINUTES = dt.timedelta(minutes=10)


async def test_a_link_is_spent_once_and_expires(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        token = await console.create_link(s, "telegram", "42", NOW, TEN_MINUTES)
        late = await console.create_link(s, "telegram", "42", NOW, TEN_MINUTES)
    async with transaction(sessions) as s:
        assert await console.peek_link(s, token, NOW) is not None
        link = await console.use_link(s, token, NOW + dt.timedelta(minutes=9))
        assert link is not None and (link.channel, link.channel_user_id) == ("telegram", "42")
    async with transaction(sessions) as s:
        assert await console.use_link(s, token, NOW + dt.timedelta(minutes=9)) is None
        assert await console.peek_link(s, token, NOW) is None
        assert await console.use_link(s, late, NOW + TEN_MINUTES) is None  # expired
        assert await console.use_link(s, "not-a-token", NOW) is None
        assert await console.links_since(s, "telegram", "42", NOW) == 2
        assert await console.links_since(s, "telegram", "43", NOW) == 0


async def test_two_browsers_spending_one_link_at_once_get_one_session(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        token = await console.create_link(s, "telegram", "42", NOW, TEN_MINUTES)

    async def spend() -> bool:
        async with transaction(sessions) as s:
            return await console.use_link(s, token, NOW) is not None

    results = await asyncio.gather(spend(), spend(), return_exceptions=True)
    assert [r for r in results if r is True] == [True]


async def test_only_hashes_of_tokens_are_stored(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        link = await console.create_link(s, "telegram", "42", NOW, TEN_MINUTES)
        cookie, row = await console.open_session(s, "telegram", "42", NOW, dt.timedelta(hours=12))
    async with engine.connect() as conn:
        rows = [
            str(tuple(r))
            for table in ("staff_links", "staff_sessions")
            for r in await conn.execute(text(f"SELECT * FROM {table}"))
        ]
    dump = " ".join(rows)
    assert link not in dump and cookie not in dump
    assert console.token_hash(link) in dump and console.token_hash(cookie) in dump
    assert row.csrf and row.csrf != cookie


async def test_sessions_expire_end_and_are_pruned(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        one, _ = await console.open_session(s, "telegram", "42", NOW, dt.timedelta(hours=12))
        two, _ = await console.open_session(s, "telegram", "42", NOW, dt.timedelta(hours=1))
        other, _ = await console.open_session(s, "zalo", "42", NOW, dt.timedelta(hours=12))
        await console.create_link(s, "telegram", "42", NOW, TEN_MINUTES)
    async with transaction(sessions) as s:
        later = NOW + dt.timedelta(hours=2)
        assert await console.find_session(s, one, later) is not None
        assert await console.find_session(s, two, later) is None  # its hour is over
        assert await console.prune(s, later, dt.timedelta(days=1)) == 1
        assert await console.end_sessions(s, "telegram", "42") == 1
        assert await console.find_session(s, one, NOW) is None
        assert await console.find_session(s, other, NOW) is not None  # someone else's
        assert await console.links_since(s, "telegram", "42", NOW) == 0  # unused links go too

"""The outbox on both databases: set-based enqueue once per key, claims, leases, marks."""

from __future__ import annotations

import asyncio
import datetime as dt

from storage import outbox, users
from storage.db import session_factory, transaction
from storage.models import Subscription, TransactionPoint

NOW = dt.datetime(2026, 12, 14, 11, 0, tzinfo=dt.UTC)
PAYLOADS = {"vi": {"text": "Nhắc lịch"}, "en": {"text": "Reminder"}}


async def seed(sessions, subscribers: int = 5) -> list[int]:
    async with transaction(sessions) as s:
        s.add(
            TransactionPoint(
                id="P1", commune_code="21220", name="Tịnh Hà", address="UBND xã cũ",
                day_of_month=15, start_time=dt.time(7, 30), end_time=dt.time(11, 0),
                office="PGD Sơn Tịnh", phone="0255 000 000",
            )
        )  # fmt: skip
        ids = []
        for n in range(subscribers):
            user = await users.get_or_create_user(s, "telegram", str(100 + n), NOW)
            user.language = "en" if n == 0 else "vi"
            ids.append(user.id)
            s.add(Subscription(user_id=user.id, point_id="P1"))
        await s.flush()
        await users.set_blocked(s, "telegram", "104", True)
    return ids


async def test_enqueue_is_once_per_key_in_each_users_language(engine):
    sessions = session_factory(engine)
    await seed(sessions)
    async with transaction(sessions) as s:
        added = await outbox.enqueue_subscribers(
            s, "P1", "reminder_eve", "r:P1:d:eve:", PAYLOADS, NOW
        )
    assert added == 4  # the user who blocked the bot is skipped
    async with transaction(sessions) as s:
        again = await outbox.enqueue_subscribers(
            s, "P1", "reminder_eve", "r:P1:d:eve:", PAYLOADS, NOW
        )
        assert again == 0
        rows = await outbox.claim(s, ["telegram"], NOW, dt.timedelta(minutes=5), 100)
    texts = {row.channel_user_id: row.payload["text"] for row in rows}
    assert texts == {"100": "Reminder", "101": "Nhắc lịch", "102": "Nhắc lịch", "103": "Nhắc lịch"}


async def test_claimed_rows_are_not_claimed_again_until_the_lease_ends(engine):
    sessions = session_factory(engine)
    await seed(sessions)
    async with transaction(sessions) as s:
        await outbox.enqueue_subscribers(s, "P1", "k", "x:", PAYLOADS, NOW)
    lease = dt.timedelta(minutes=5)
    async with transaction(sessions) as s:
        first = await outbox.claim(s, ["telegram"], NOW, lease, 2)
    async with transaction(sessions) as s:
        second = await outbox.claim(s, ["telegram"], NOW, lease, 10)
    assert len(first) == 2 and len(second) == 2
    assert not {r.id for r in first} & {r.id for r in second}
    async with transaction(sessions) as s:
        await outbox.mark(s, first[0].id, outbox.SENT, NOW)
    async with transaction(sessions) as s:
        assert await outbox.claim(s, ["telegram"], NOW + dt.timedelta(minutes=1), lease, 10) == []
        # The sender holding the other three died: after the lease they are taken again.
        late = await outbox.claim(s, ["telegram"], NOW + dt.timedelta(minutes=6), lease, 10)
    assert len(late) == 3
    async with transaction(sessions) as s:
        assert await outbox.counts(s) == {"sent": 1, "sending": 3}


async def test_rows_wait_for_not_before_and_other_channels_are_left(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        await outbox.enqueue_one(s, "a", "telegram", "1", "k", {"text": "x"}, NOW)
        await outbox.enqueue_one(s, "b", "zalo", "1", "k", {"text": "x"}, NOW)
        assert not await outbox.enqueue_one(s, "a", "telegram", "1", "k", {"text": "x"}, NOW)
    async with transaction(sessions) as s:
        rows = await outbox.claim(s, ["telegram"], NOW, dt.timedelta(minutes=5), 10)
        await outbox.mark(
            s, rows[0].id, outbox.PENDING, NOW, not_before=NOW + dt.timedelta(seconds=30)
        )
    async with transaction(sessions) as s:
        assert await outbox.claim(s, ["telegram"], NOW, dt.timedelta(minutes=5), 10) == []
        later = NOW + dt.timedelta(seconds=31)
        assert len(await outbox.claim(s, ["telegram"], later, dt.timedelta(minutes=5), 10)) == 1


async def test_concurrent_claims_never_share_a_row(engine):
    sessions = session_factory(engine)
    await seed(sessions, subscribers=40)
    async with transaction(sessions) as s:
        await outbox.enqueue_subscribers(s, "P1", "k", "c:", PAYLOADS, NOW)

    async def claimer() -> list[int]:
        taken: list[int] = []
        while True:
            async with transaction(sessions) as s:
                rows = await outbox.claim(s, ["telegram"], NOW, dt.timedelta(minutes=5), 3)
            if not rows:
                return taken
            taken += [r.id for r in rows]

    results = await asyncio.gather(*(claimer() for _ in range(4)))
    flat = [row for result in results for row in result]
    assert len(flat) == len(set(flat)) == 39


async def test_a_key_prefix_is_matched_exactly_on_both_databases(engine):
    """Point ids may hold "_" and capitals: "rem:P_1:" must not match "rem:PX1:", nor
    "rem:QN-01:" match "rem:qn-01:" (SQLite's LIKE ignores case)."""
    sessions = session_factory(engine)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    async with transaction(sessions) as s:
        for key in ("rem:PX1:2026-12-15:eve:1", "rem:qn-01:2026-12-15:eve:1"):
            await outbox.enqueue_one(s, key, "telegram", "1", "reminder_eve", {}, now)
        await outbox.mark(s, 1, outbox.SENT, now)
        await outbox.mark(s, 2, outbox.SENT, now)
    async with transaction(sessions) as s:
        assert await outbox.any_sent_with_prefix(s, "rem:PX1:")
        assert not await outbox.any_sent_with_prefix(s, "rem:P_1:")
        assert not await outbox.any_sent_with_prefix(s, "rem:QN-01:")
        assert await outbox.any_sent_with_prefix(s, "rem:qn-01:2026-12-15:")
        assert await outbox.counts(s, "rem:P%") == {}
        assert await outbox.counts(s, "rem:") == {"sent": 2}

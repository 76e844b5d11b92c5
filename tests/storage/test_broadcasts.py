"""Broadcast storage on both databases: the audience, the one-statement expansion under
`b:{broadcast}:{user}`, claims that put reminders first, and rows a dead sender held."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from storage import broadcasts as store
from storage import outbox, users
from storage.db import session_factory, transaction
from storage.models import Broadcast, Subscription, TransactionPoint

NOW = dt.datetime(2026, 12, 14, 3, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)


async def seed(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Users by name: in 21220 (one English, one blocked, one without announcements), in
    21025 (one following a point in 21220), and one elsewhere."""
    people = {
        "a": "21220", "b": "21220", "en": "21220", "blocked": "21220", "quiet": "21220",
        "follower": "21025", "neighbour": "21025", "far": "03325",
    }  # fmt: skip
    ids = {}
    async with transaction(sessions) as s:
        s.add(
            TransactionPoint(
                id="P1", commune_code="21220", name="Tịnh Hà", address="UBND xã cũ",
                day_of_month=15, start_time=dt.time(7, 30), end_time=dt.time(11, 0),
                office="PGD Sơn Tịnh", phone="0255 000 000",
            )
        )  # fmt: skip
        for n, (name, commune) in enumerate(people.items()):
            user = await users.get_or_create_user(s, "telegram", str(900 + n), NOW)
            user.language = "en" if name == "en" else "vi"
            user.commune_code = commune
            user.announcements = name != "quiet"
            await s.flush()
            ids[name] = user.id
        s.add(Subscription(user_id=ids["follower"], point_id="P1"))
        s.add(Subscription(user_id=ids["a"], point_id="P1"))
        await users.set_blocked(s, "telegram", str(900 + list(people).index("blocked")), True)
    return ids


async def test_audience_and_one_statement_expansion_once_per_key(engine):
    sessions = session_factory(engine)
    ids = await seed(sessions)
    async with transaction(sessions) as s:
        assert await store.count_audience(s, ["21220"], False) == 4  # a, b, en, follower
        assert await store.count_audience(s, ["21220"], True) == 2  # a, follower
        assert await store.count_audience(s, ["21220", "21025"], False) == 5
        assert await store.count_audience(s, None, False) == 6
        broadcast = await store.create(
            s, Broadcast(author="telegram:1", area_code="21220", text="x", status=store.SENDING)
        )
        added = await store.expand(s, broadcast, ["21220"], ("vi", "en"), NOW)
        assert added == 4
        assert await store.expand(s, broadcast, ["21220"], ("vi", "en"), NOW) == 0
        rows = await outbox.claim_due(s, ["telegram"], NOW, LEASE, 10, [broadcast.id])
    by_key = {f"b:{broadcast.id}:{ids[n]}" for n in ("a", "b", "en", "follower")}
    keys = set()
    async with transaction(sessions) as s:
        for row in rows:
            found = await s.get(outbox.Outbox, row[0])
            keys.add(found.dedup_key)
    assert keys == by_key
    assert sorted(row[4]["lang"] for row in rows) == ["en", "vi", "vi", "vi"]
    assert all(row[6] == broadcast.id and row[3] == "broadcast" for row in rows)


async def test_a_linked_account_is_in_no_audience_its_holder_hears_for_the_person(engine):
    """One person on two channels is counted and reached once, through the holder's row,
    whatever the audience (and whatever a linked row still has on it)."""
    sessions = session_factory(engine)
    ids = await seed(sessions)
    async with transaction(sessions) as s:
        linked = await users.get_or_create_user(s, "zalo", "z-1", NOW)
        linked.language, linked.commune_code, linked.person_id = "vi", "21220", ids["a"]
        await s.flush()
        s.add(Subscription(user_id=linked.id, point_id="P1"))
    async with transaction(sessions) as s:
        assert await store.count_audience(s, None, False) == 6
        assert await store.count_audience(s, ["21220"], False) == 4
        assert await store.count_audience(s, ["21220"], True) == 2
        broadcast = await store.create(
            s, Broadcast(author="telegram:1", area_code=None, text="x", status=store.SENDING)
        )
        assert await store.expand(s, broadcast, None, ("vi", "en"), NOW) == 6
        found = await s.exec(select(outbox.Outbox.channel).where(outbox.Outbox.channel == "zalo"))
        assert found.all() == []


async def test_claims_put_reminders_first_and_skip_inactive_broadcasts(engine):
    sessions = session_factory(engine)
    await seed(sessions)
    async with transaction(sessions) as s:
        broadcast = await store.create(
            s, Broadcast(author="telegram:1", area_code="21220", text="x", status=store.SENDING)
        )
        await store.expand(s, broadcast, ["21220"], ("vi", "en"), NOW)
        await outbox.enqueue_one(s, "rem:1", "telegram", "900", "reminder_eve", {"text": "r"}, NOW)
    async with transaction(sessions) as s:
        assert await outbox.claim_due(s, ["telegram"], NOW, LEASE, 10, []) != []
    async with transaction(sessions) as s:
        first = await outbox.claim_due(s, ["telegram"], NOW, LEASE, 10, [])
        assert first == []  # the reminder was taken; the broadcast is not active here
        rows = await outbox.claim_due(s, ["telegram"], NOW, LEASE, 2, [broadcast.id])
        assert len(rows) == 2
    # A sender died holding three rows: the next one finds them and marks them in doubt.
    async with transaction(sessions) as s:
        assert await outbox.recover_in_flight(s, ["telegram"]) == 3
    async with transaction(sessions) as s:
        counts = await outbox.broadcast_counts(s, broadcast.id)
        assert counts == {"pending": 4, "in_doubt": 2}
        assert await outbox.broadcast_unfinished(s, broadcast.id)
        assert await outbox.cancel_broadcast_rows(s, broadcast.id, 3) == 3
        assert await outbox.cancel_broadcast_rows(s, broadcast.id, 3) == 1
        assert not await outbox.broadcast_unfinished(s, broadcast.id)


async def test_state_changes_are_conditional(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        broadcast = await store.create(s, Broadcast(author="telegram:1", text="x"))
        assert await store.move(s, broadcast.id, (store.DRAFT,), store.QUEUED)
        assert not await store.move(s, broadcast.id, (store.DRAFT,), store.QUEUED)
        assert [b.id for b in await store.due(s, NOW)] == [broadcast.id]
        assert await store.move(
            s, broadcast.id, (store.QUEUED,), store.SCHEDULED, not_before=NOW + LEASE
        )
        assert await store.due(s, NOW) == []
        assert [b.id for b in await store.due(s, NOW + LEASE)] == [broadcast.id]


async def test_old_handled_rows_are_pruned_and_a_broadcast_keeps_its_counts(engine):
    """Handled rows hold what was sent to each person: they go after the retention period,
    in batches; pending rows and recent ones stay; a broadcast's report stays whole."""
    sessions = session_factory(engine)
    await seed(sessions)
    async with transaction(sessions) as s:
        broadcast = await store.create(
            s, Broadcast(author="telegram:1", area_code="21220", text="x", status=store.SENDING)
        )
        assert await store.expand(s, broadcast, ["21220"], ("vi", "en"), NOW) == 4
        await outbox.enqueue_one(s, "rem:old", "telegram", "900", "reminder_eve", {}, NOW)
        await outbox.enqueue_one(s, "rem:new", "telegram", "901", "reminder_eve", {}, NOW)
        await outbox.enqueue_one(s, "rem:waiting", "telegram", "902", "reminder_eve", {}, NOW)
        rows = {r.dedup_key: r for r in (await s.exec(select(outbox.Outbox))).all()}
        ours = sorted(k for k in rows if k.startswith("b:"))
        marks = [(ours[0], "sent", False), (ours[1], "sent", True), (ours[2], "blocked", False)]
        for key, status, doubt in marks:  # the fourth recipient is still pending
            rows[key].status, rows[key].sent_at, rows[key].in_doubt = status, NOW, doubt
        rows["rem:old"].status, rows["rem:old"].sent_at = "sent", NOW
        rows["rem:new"].status, rows["rem:new"].sent_at = "sent", NOW + dt.timedelta(days=60)
        for row in rows.values():
            s.add(row)
    before = await _counts(sessions, broadcast.id)
    assert before == {"sent": 2, "blocked": 1, "pending": 1, "in_doubt": 1}

    cutoff = NOW + dt.timedelta(days=1)
    async with transaction(sessions) as s:
        assert await outbox.prune(s, cutoff, limit=2) == 2  # a batch at a time
    async with transaction(sessions) as s:
        assert await outbox.prune(s, cutoff, limit=2) == 2
    async with transaction(sessions) as s:
        assert await outbox.prune(s, cutoff, limit=2) == 0
        left = sorted(r.dedup_key for r in (await s.exec(select(outbox.Outbox))).all())
    assert left == sorted([ours[3], "rem:new", "rem:waiting"])
    assert await _counts(sessions, broadcast.id) == before  # the report is unchanged


async def _counts(sessions, broadcast_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with transaction(sessions) as s:
        return await outbox.broadcast_counts(s, broadcast_id)

"""Storage on both databases: users, conversation state, processed updates, migrations."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import inspect

from storage import users
from storage.db import needs_upgrade, session_factory, transaction

NOW = dt.datetime(2026, 11, 22, 1, 2, 3, tzinfo=dt.UTC)
BIG_ID = "7999999999999"  # Telegram ids outgrow 32 bits


async def test_migrations_create_the_tables(engine):
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"users", "conversation_states", "processed_updates", "alembic_version"} <= tables
    assert not await needs_upgrade(engine)


async def test_get_or_create_is_idempotent_and_tracks_last_seen(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        first = await users.get_or_create_user(s, "telegram", BIG_ID, NOW)
    later = NOW + dt.timedelta(days=3)
    async with transaction(sessions) as s:
        again = await users.get_or_create_user(s, "telegram", BIG_ID, later)
        other_channel = await users.get_or_create_user(s, "zalo", BIG_ID, later)
    assert again.id == first.id != other_channel.id
    async with transaction(sessions) as s:
        user = await users.find_user(s, "telegram", BIG_ID)
        assert user.created_at == NOW and user.last_seen_at == later
        assert user.created_at.tzinfo is not None
        assert await users.count_users(s) == 2


async def test_last_seen_is_written_again_past_the_hour_or_on_another_day(engine):
    sessions = session_factory(engine)
    late = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
    async with transaction(sessions) as s:
        await users.get_or_create_user(s, "telegram", "8", NOW)
        await users.get_or_create_user(s, "telegram", "9", late)
    for user_id, now, expected in (
        ("8", NOW + dt.timedelta(minutes=59), NOW),  # within the hour: not written
        ("8", NOW + dt.timedelta(hours=1), NOW + dt.timedelta(hours=1)),
        ("9", late + dt.timedelta(minutes=40), late + dt.timedelta(minutes=40)),  # a new day
    ):
        async with transaction(sessions) as s:
            users.seen(await users.find_user(s, "telegram", user_id), now, None)
        async with transaction(sessions) as s:
            assert (await users.find_user(s, "telegram", user_id)).last_seen_at == expected


async def test_own_person_is_the_row_and_state_of_an_unlinked_user_only(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        holder = await users.get_or_create_user(s, "telegram", "10", NOW)
        linked = await users.get_or_create_user(s, "zalo", "z-10", NOW)
        linked.person_id = holder.id  # the Zalo account joined the Telegram one's person
        await users.save_state(s, holder.id, "report", "what", {"note": "x"}, NOW)
    async with transaction(sessions) as s:
        found = await users.own_person(s, "telegram", "10")
        assert found is not None
        user, state = found
        assert user.id == holder.id and (state.flow, state.data) == ("report", {"note": "x"})
        assert await users.own_person(s, "zalo", "z-10") is None  # the general path takes it
        assert await users.own_person(s, "telegram", "nobody") is None
        other = await users.get_or_create_user(s, "telegram", "11", NOW)
    async with transaction(sessions) as s:
        found = await users.own_person(s, "telegram", "11")  # no state stored yet
        assert found is not None and found[0].id == other.id
        assert (found[1].user_id, found[1].flow, found[1].data) == (other.id, None, {})


async def test_own_person_hands_one_persons_updates_over_one_after_the_other(engine):
    """Two updates of one person at once (two replicas, or two channels' webhooks): the
    second reads the state the first committed (PostgreSQL: the row lock, and the state
    read after it; SQLite: one writer at a time)."""
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        await users.get_or_create_user(s, "telegram", "12", NOW)

    async def count() -> None:
        async with transaction(sessions) as s:
            found = await users.own_person(s, "telegram", "12")
            assert found is not None
            user, state = found
            seen = int(state.data.get("n", 0))
            await asyncio.sleep(0.2)  # a slow moment, as under load
            await users.save_state(s, user.id or 0, "probe", "count", {"n": seen + 1}, NOW)

    await asyncio.gather(count(), count(), count())
    async with transaction(sessions) as s:
        user = await users.find_user(s, "telegram", "12")
        assert (await users.get_state(s, user.id)).data == {"n": 3}


async def test_display_name_is_kept_only_with_consent(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        user = await users.get_or_create_user(s, "telegram", "1", NOW, "Ông Ba")
        assert user.display_name is None
        user.consent_at = NOW
    async with transaction(sessions) as s:
        user = await users.get_or_create_user(s, "telegram", "1", NOW, "Ông Ba")
    assert user.display_name == "Ông Ba"


async def test_conversation_state_round_trips_json(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        user = await users.get_or_create_user(s, "telegram", "2", NOW)
        empty = await users.get_state(s, user.id)
        assert empty.flow is None and empty.data == {}
        data = {"commune": "21220", "note": "Tổ trưởng giữ sổ vay", "photos": ["a", "b"]}
        await users.save_state(s, user.id, "report", "what", data, NOW)
    async with transaction(sessions) as s:
        state = await users.get_state(s, user.id)
    assert (state.flow, state.step, state.data) == ("report", "what", data)


async def test_delete_user_removes_profile_and_state(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        user = await users.get_or_create_user(s, "telegram", "3", NOW)
        await users.save_state(s, user.id, "onboarding", "consent", {}, NOW)
    async with transaction(sessions) as s:
        await users.delete_user(s, user.id)
    async with transaction(sessions) as s:
        assert await users.find_user(s, "telegram", "3") is None
        assert (await users.get_state(s, user.id)).flow is None


async def test_remember_update_answers_once_and_prunes(engine):
    sessions = session_factory(engine)
    now = dt.datetime(2026, 12, 2, 15, 30, tzinfo=dt.UTC)  # the process's clock, not the wall's
    async with transaction(sessions) as s:
        assert await users.remember_update(s, "telegram", 10**12, now)
        assert not await users.remember_update(s, "telegram", 10**12, now)
        assert await users.remember_update(s, "zalo", 10**12, now)
    async with transaction(sessions) as s:
        assert await users.prune_processed_updates(s, now) == 0
        removed = await users.prune_processed_updates(s, now + dt.timedelta(seconds=1))
    assert removed == 2
    async with transaction(sessions) as s:
        assert await users.remember_update(s, "telegram", 10**12)


async def test_set_blocked(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        await users.get_or_create_user(s, "telegram", "4", NOW)
        await users.set_blocked(s, "telegram", "4", True)
    async with transaction(sessions) as s:
        assert (await users.find_user(s, "telegram", "4")).blocked
        # Writing to us again means they unblocked us.
        user = await users.get_or_create_user(s, "telegram", "4", NOW)
        assert not user.blocked


async def test_migrations_match_the_models(engine):
    """Autogenerate finds nothing to add: the hand-written migrations are the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_downgrade_to_nothing_and_back(engine):
    from alembic import command

    from storage.db import alembic_config, upgrade

    def down(connection):
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")

    async with engine.begin() as conn:
        await conn.run_sync(down)
    assert await needs_upgrade(engine)
    await upgrade(engine)
    assert not await needs_upgrade(engine)


async def test_the_job_that_forgets_old_stories_reads_by_index(engine):
    """Every five minutes the scheduler looks for states of one flow written before a moment
    (handlers/questions/kept_story.py): the plan uses the (flow, updated_at) index, not a
    scan of every user's state."""
    from sqlalchemy import text

    query = (
        "SELECT user_id FROM conversation_states "
        "WHERE flow = 'story' AND updated_at < '2026-12-07 00:00:00'"
    )
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(
                str(row) for row in await conn.execute(text(f"EXPLAIN QUERY PLAN {query}"))
            )
        else:  # on a near-empty table PostgreSQL would rightly scan; ask what it can use
            await conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(str(row) for row in await conn.execute(text(f"EXPLAIN {query}")))
    assert "ix_conversation_states_flow_updated" in plan

"""The OA message window and the phones kept for ZNS, on both databases."""

from __future__ import annotations

import datetime as dt

from storage import people, users, zalo_oa_contacts
from storage.db import session_factory, transaction

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


async def test_interactions_move_the_window_forward_only_and_reopen_a_closed_one(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        user = await users.get_or_create_user(s, "zalo_oa", "oa-1", NOW)
        await zalo_oa_contacts.record_interaction(s, user.id, NOW, follower=True)
    async with transaction(sessions) as s:
        reach = await zalo_oa_contacts.reach_of(s, "oa-1")
    assert reach == zalo_oa_contacts.Reach(NOW, False, None)

    later = NOW + dt.timedelta(days=2)
    async with transaction(sessions) as s:
        await zalo_oa_contacts.record_interaction(s, user.id, later)
        # An event handled late (older) does not move the time back.
        await zalo_oa_contacts.record_interaction(s, user.id, NOW + dt.timedelta(days=1))
        await zalo_oa_contacts.close_window_of(s, "oa-1", later + dt.timedelta(hours=1))
    async with transaction(sessions) as s:
        reach = await zalo_oa_contacts.reach_of(s, "oa-1")
        assert reach.last_interaction_at == later and reach.window_closed
        await zalo_oa_contacts.record_interaction(s, user.id, later + dt.timedelta(hours=2))
    async with transaction(sessions) as s:
        assert not (await zalo_oa_contacts.reach_of(s, "oa-1")).window_closed
        # Leaving the OA is no interaction: the window does not move.
        await zalo_oa_contacts.record_interaction(
            s, user.id, later + dt.timedelta(days=1), follower=False
        )
        found = await zalo_oa_contacts.contact(s, user.id)
        assert found.follower is False
        assert found.last_interaction_at == later + dt.timedelta(hours=2)


async def test_the_phone_is_the_persons_and_goes_with_consent_or_deletion(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        holder = await users.get_or_create_user(s, "telegram", "55", NOW)
        oa = await users.get_or_create_user(s, "zalo_oa", "oa-2", NOW)
        oa.person_id = holder.id  # linked: the holder keeps the person's data
        s.add(oa)
        await zalo_oa_contacts.save_phone(s, holder.id, "84912345678", NOW)
        await zalo_oa_contacts.save_phone(s, holder.id, "84987654321", NOW)  # replaces
    async with transaction(sessions) as s:
        assert (await zalo_oa_contacts.reach_of(s, "oa-2")).phone == "84987654321"
        await users.withdraw_consent(s, await users.find_user(s, "telegram", "55"))
    async with transaction(sessions) as s:
        assert await zalo_oa_contacts.phone_of(s, holder.id) is None

    async with transaction(sessions) as s:
        await zalo_oa_contacts.save_phone(s, oa.id, "84912345678", NOW)
        await zalo_oa_contacts.record_interaction(s, oa.id, NOW)
    async with transaction(sessions) as s:
        await users.delete_user(s, oa.id)
    async with transaction(sessions) as s:
        assert await zalo_oa_contacts.phone_of(s, oa.id) is None
        assert await zalo_oa_contacts.contact(s, oa.id) is None
        assert (await people.identities(s, holder.id))[0].id == holder.id


async def test_linking_keeps_the_window_with_the_oa_identity_and_moves_the_phone(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        holder = await users.get_or_create_user(s, "telegram", "77", NOW)
        holder.consent_at = NOW
        oa = await users.get_or_create_user(s, "zalo_oa", "oa-7", NOW)
        oa.consent_at = NOW
        await s.flush()
        await zalo_oa_contacts.record_interaction(s, oa.id, NOW)
        await zalo_oa_contacts.save_phone(s, oa.id, "84912345678", NOW)
        code = await people.new_code(s, holder.id, NOW)
    async with transaction(sessions) as s:
        me = await users.find_user(s, "zalo_oa", "oa-7")
        linked = await people.link(s, code, me, NOW)
        assert linked.id == holder.id
    async with transaction(sessions) as s:
        assert await zalo_oa_contacts.contact(s, oa.id) is not None  # Zalo counts it per id
        reach = await zalo_oa_contacts.reach_of(s, "oa-7")
        assert reach.last_interaction_at == NOW and reach.phone == "84912345678"
        assert await zalo_oa_contacts.phone_of(s, holder.id) == "84912345678"

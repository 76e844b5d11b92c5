"""Roles and the audit log on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError

from storage import audit, roles
from storage.db import session_factory, transaction
from storage.models import Role

NOW = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)


async def test_grant_once_per_user_role_and_area(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        first = await roles.grant(s, "telegram", "1", "official", "21220", "cli", NOW)
        assert first is not None and first.id is not None
        assert await roles.grant(s, "telegram", "1", "official", "21220", "cli", NOW) is None
        # another area, another role, the whole country: three more grants
        assert await roles.grant(s, "telegram", "1", "official", "51", "cli", NOW)
        assert await roles.grant(s, "telegram", "1", "moderator", "21220", "cli", NOW)
        assert await roles.grant(s, "telegram", "1", "admin", None, "cli", NOW)
        assert await roles.grant(s, "telegram", "1", "admin", None, "cli", NOW) is None
    async with transaction(sessions) as s:
        held = await roles.roles_of(s, "telegram", "1")
        assert [(r.role, r.area_code) for r in held] == [
            ("admin", None),
            ("moderator", "21220"),
            ("official", "21220"),
            ("official", "51"),
        ]
        assert held[0].granted_at == NOW and held[0].granted_by == "cli"
        assert await roles.roles_of(s, "zalo", "1") == []


async def test_the_database_refuses_a_second_whole_country_grant(engine):
    """NULL areas are distinct in a unique constraint: a partial index covers them."""
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        await roles.grant(s, "telegram", "1", "admin", None, "cli", NOW)
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as s:
            s.add(Role(channel="telegram", channel_user_id="1", role="admin", granted_by="x"))
            await s.flush()
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as s:
            await roles.grant(s, "telegram", "2", "official", "51", "cli", NOW)
            s.add(
                Role(
                    channel="telegram",
                    channel_user_id="2",
                    role="official",
                    area_code="51",
                    granted_by="x",
                )
            )
            await s.flush()


async def test_unknown_roles_are_refused(engine):
    async with transaction(session_factory(engine)) as s:
        with pytest.raises(ValueError, match="unknown role"):
            await roles.grant(s, "telegram", "1", "superuser", None, "cli", NOW)


async def test_revoke_takes_back_exactly_one_grant(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        await roles.grant(s, "telegram", "1", "official", "21220", "cli", NOW)
        await roles.grant(s, "telegram", "1", "official", None, "cli", NOW)
        await roles.grant(s, "zalo", "9", "moderator", "51", "cli", NOW)
    async with transaction(sessions) as s:
        assert await roles.revoke(s, "telegram", "1", "official", None)
        assert not await roles.revoke(s, "telegram", "1", "official", None)
        assert not await roles.revoke(s, "telegram", "1", "official", "51")
    async with transaction(sessions) as s:
        listed = await roles.list_roles(s)
        assert [(r.channel, r.channel_user_id, r.role, r.area_code) for r in listed] == [
            ("telegram", "1", "official", "21220"),
            ("zalo", "9", "moderator", "51"),
        ]
        assert await roles.get(s, listed[1].id) == listed[1]


async def test_audit_log_keeps_who_did_what(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        await audit.record(s, "cli", "role.grant", "telegram:1", {"role": "admin"}, NOW)
        await audit.record(
            s,
            "telegram:1",
            "schedule.move",
            "SAMPLE-21220-TINHHA",
            {"regular": "2026-12-10", "moved_to": "2026-12-12", "reason": "Họp dân"},
            NOW + dt.timedelta(minutes=5),
        )
    async with transaction(sessions) as s:
        newest, oldest = await audit.entries(s)
        assert (newest.actor, newest.action, newest.subject) == (
            "telegram:1",
            "schedule.move",
            "SAMPLE-21220-TINHHA",
        )
        assert newest.detail["reason"] == "Họp dân" and newest.at == NOW + dt.timedelta(minutes=5)
        assert (oldest.actor, oldest.detail) == ("cli", {"role": "admin"})
        assert [e.action for e in await audit.entries(s, subject="telegram:1")] == ["role.grant"]


async def test_an_audit_entry_is_rolled_back_with_its_change(engine):
    sessions = session_factory(engine)
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as s:
            await audit.record(s, "cli", "role.grant", "telegram:1", {}, NOW)
            raise RuntimeError("the change failed")
    async with transaction(sessions) as s:
        assert await audit.entries(s) == []

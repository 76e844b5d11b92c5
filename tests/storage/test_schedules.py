"""Transaction points and their exceptions, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from storage import schedules
from storage.db import session_factory, transaction
from storage.models import ScheduleException, Subscription, TransactionPoint, User

NOW = dt.datetime(2026, 11, 22, 1, 2, 3, tzinfo=dt.UTC)
D = dt.date


def point(point_id: str, commune: str = "21220", **changes: object) -> TransactionPoint:
    values: dict[str, object] = {
        "id": point_id,
        "commune_code": commune,
        "name": f"Điểm {point_id}",
        "address": "Nhà văn hóa thôn 1",
        "day_of_month": 10,
        "start_time": dt.time(7, 30),
        "end_time": dt.time(11, 0),
        "office": "PGD NHCSXH Sơn Tịnh",
        "phone": "0255 0000 101",
    }
    values.update(changes)
    return TransactionPoint(**values)


async def test_upsert_counts_and_idempotence(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        counts = await schedules.upsert_points(
            s, [point("a"), point("b"), point("c", "00004")], NOW
        )
    assert counts == schedules.UpsertCounts(added=3, changed=0, unchanged=0)

    later = NOW + dt.timedelta(days=1)
    async with transaction(sessions) as s:
        again = await schedules.upsert_points(
            s, [point("a"), point("b"), point("c", "00004")], later
        )
    assert again == schedules.UpsertCounts(added=0, changed=0, unchanged=3)

    async with transaction(sessions) as s:
        mixed = await schedules.upsert_points(
            s,
            [point("a", day_of_month=31), point("b", end_time=dt.time(11, 30)), point("d")],
            later,
        )
    assert mixed == schedules.UpsertCounts(added=1, changed=2, unchanged=0)

    async with transaction(sessions) as s:
        a = await schedules.get_point(s, "a")
        c = await schedules.get_point(s, "c")
        assert a is not None and a.day_of_month == 31 and a.updated_at == later
        assert c is not None and c.updated_at == NOW  # unchanged rows keep their time
        b = await schedules.get_point(s, "b")
        assert b is not None and b.end_time == dt.time(11, 30)
        assert b.start_time == dt.time(7, 30)
        assert await schedules.get_point(s, "nope") is None


async def test_upsert_of_nothing_and_of_a_repeated_id(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        assert await schedules.upsert_points(s, []) == schedules.UpsertCounts(0, 0, 0)
        with pytest.raises(ValueError):
            await schedules.upsert_points(s, [point("a"), point("a")])


async def test_upsert_many_points_in_chunks(engine):
    sessions = session_factory(engine)
    many = [point(f"p{i:04d}") for i in range(1203)]
    async with transaction(sessions) as s:
        assert (await schedules.upsert_points(s, many)).added == 1203
    async with transaction(sessions) as s:
        assert (await schedules.upsert_points(s, many)).unchanged == 1203


async def test_points_by_commune_and_all_points_in_order(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        await schedules.upsert_points(
            s, [point("z"), point("m", "00004"), point("a"), point("k", "03325")]
        )
    async with transaction(sessions) as s:
        assert [p.id for p in await schedules.points_of_commune(s, "21220")] == ["a", "z"]
        assert [p.id for p in await schedules.points_of_commune(s, "00004")] == ["m"]
        assert await schedules.points_of_commune(s, "99999") == []
        assert [(p.commune_code, p.id) for p in await schedules.all_points(s)] == [
            ("00004", "m"),
            ("03325", "k"),
            ("21220", "a"),
            ("21220", "z"),
        ]


async def test_set_exception_replaces_and_delete_restores(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        await schedules.upsert_points(s, [point("a"), point("b")])
    async with transaction(sessions) as s:
        moved = await schedules.set_exception(s, "a", D(2026, 12, 10), D(2026, 12, 14), "Họp", NOW)
        assert moved.moved_to == D(2026, 12, 14) and moved.reason == "Họp"
        await schedules.set_exception(s, "b", D(2026, 12, 10), None, "Bão", NOW)
    later = NOW + dt.timedelta(hours=1)
    async with transaction(sessions) as s:
        again = await schedules.set_exception(s, "a", D(2026, 12, 10), None, "Mưa lũ", later)
        assert again.moved_to is None and again.reason == "Mưa lũ" and again.created_at == later
    async with transaction(sessions) as s:
        found = await schedules.exceptions_between(s, ["a", "b"], D(2026, 12, 1), D(2026, 12, 31))
        assert [(e.point_id, e.regular_date, e.moved_to, e.reason) for e in found] == [
            ("a", D(2026, 12, 10), None, "Mưa lũ"),
            ("b", D(2026, 12, 10), None, "Bão"),
        ]
        assert await schedules.delete_exception(s, "a", D(2026, 12, 10))
        assert not await schedules.delete_exception(s, "a", D(2026, 12, 10))
    async with transaction(sessions) as s:
        found = await schedules.exceptions_between(s, ["a", "b"], D(2026, 12, 1), D(2026, 12, 31))
        assert [e.point_id for e in found] == ["b"]


async def test_exceptions_between_by_regular_or_new_date(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        await schedules.upsert_points(s, [point("a", day_of_month=31), point("b")])
        # regular day in December, moved into January
        await schedules.set_exception(s, "a", D(2026, 12, 31), D(2027, 1, 2), "Tết dương lịch")
        await schedules.set_exception(s, "a", D(2027, 3, 31), None, "later")
        await schedules.set_exception(s, "b", D(2027, 1, 10), None, "other point")
    async with transaction(sessions) as s:
        january = await schedules.exceptions_between(s, ["a"], D(2027, 1, 1), D(2027, 1, 31))
        assert [e.regular_date for e in january] == [D(2026, 12, 31)]
        december = await schedules.exceptions_between(s, ["a"], D(2026, 12, 1), D(2026, 12, 31))
        assert [e.regular_date for e in december] == [D(2026, 12, 31)]
        both = await schedules.exceptions_between(s, ["a", "b"], D(2027, 1, 1), D(2027, 3, 31))
        assert [(e.point_id, e.regular_date) for e in both] == [
            ("a", D(2026, 12, 31)),
            ("a", D(2027, 3, 31)),
            ("b", D(2027, 1, 10)),
        ]
        assert await schedules.exceptions_between(s, [], D(2027, 1, 1), D(2027, 1, 31)) == []
        assert await schedules.exceptions_between(s, ["a"], D(2027, 2, 1), D(2027, 2, 28)) == []


async def test_an_exception_needs_an_existing_point(engine):
    sessions = session_factory(engine)
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as s:
            await schedules.set_exception(s, "ghost", D(2026, 12, 10), None, "x")


async def test_deleting_a_point_cascades_to_exceptions_and_subscriptions(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        await schedules.upsert_points(s, [point("a"), point("b")])
        user = User(channel="test", channel_user_id="1")
        s.add(user)
        await s.flush()
        assert user.id is not None
        s.add(Subscription(user_id=user.id, point_id="a"))
        await schedules.set_exception(s, "a", D(2026, 12, 10), None, "Bão")
        await schedules.set_exception(s, "b", D(2026, 12, 10), None, "Bão")
    async with transaction(sessions) as s:
        assert await schedules.delete_point(s, "a")
        assert not await schedules.delete_point(s, "a")
    async with transaction(sessions) as s:
        assert await schedules.get_point(s, "a") is None
        left = await schedules.exceptions_between(s, ["a", "b"], D(2026, 1, 1), D(2027, 1, 1))
        assert [e.point_id for e in left] == ["b"]
        rows = (await s.exec(select(ScheduleException))).all()
        assert [e.point_id for e in rows] == ["b"]
        assert await s.get(Subscription, (user.id, "a")) is None

"""The SQLite connection: one trip to aiosqlite's thread per statement (storage/db.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from storage import users
from storage.db import _OneTripConnection, session_factory, transaction

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_a_statement_makes_one_trip_and_a_rollback_with_nothing_open_none(
    engine, monkeypatch
):
    trips: list[str] = []
    real = _OneTripConnection._execute

    async def counted(self: _OneTripConnection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", "?"))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(_OneTripConnection, "_execute", counted)
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        user = await users.get_or_create_user(s, "telegram", "1", dt.datetime.now(dt.UTC))
    trips.clear()
    async with transaction(sessions) as s:  # a whole update's reads: two statements
        assert await users.remember_update(s, "telegram", 1)
        found = await users.own_person(s, "telegram", "1")
        assert found is not None and found[0].id == user.id
    assert trips == ["in_thread", "in_thread", "commit"]  # the pool's rollback: no trip
    trips.clear()
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
    assert rows == [(1,), (2,)] and trips == ["in_thread"]
    trips.clear()
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as s:
            await users.remember_update(s, "telegram", 2)
            raise RuntimeError("the handler failed")
    assert trips == ["in_thread", "rollback"]  # a write was open: rolled back for real
    async with transaction(sessions) as s:
        assert await users.remember_update(s, "telegram", 2)

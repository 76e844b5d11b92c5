"""Reminder planning on both databases: the right reminders at the right local times, once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from handlers.schedules.reminders import plan_reminders
from storage import outbox, users
from storage.db import session_factory, transaction
from storage.models import Outbox, ScheduleException, Subscription, TransactionPoint

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN)


@pytest.fixture
async def sessions(engine):
    sessions = session_factory(engine)
    async with transaction(sessions) as s:
        s.add(
            TransactionPoint(
                id="QN-TINHHA", commune_code="21220", name="Tịnh Hà & Tịnh Sơn",
                address="Nhà văn hóa thôn 1", day_of_month=15, start_time=dt.time(7, 30),
                end_time=dt.time(11, 0), office="PGD Sơn Tịnh", phone="0255 000 000",
            )
        )  # fmt: skip
        await s.flush()
        for n, lang in enumerate(["vi", "en", "vi"]):
            user = await users.get_or_create_user(s, "telegram", str(900 + n), local(2026, 1, 1))
            user.language = lang
            await s.flush()
            s.add(Subscription(user_id=user.id, point_id="QN-TINHHA"))
    return sessions


async def plan(sessions, content, when: dt.datetime) -> int:
    async with transaction(sessions) as s:
        return await plan_reminders(s, content, when.astimezone(dt.UTC), VN)


async def keys(sessions) -> list[str]:
    from sqlmodel import select

    async with transaction(sessions) as s:
        return sorted((await s.exec(select(Outbox.dedup_key))).all())


@pytest.mark.parametrize(
    ("when", "kind"),
    [
        (local(2026, 12, 14, 18, 0), "eve"),
        (local(2026, 12, 14, 23, 59), "eve"),  # caught up before midnight
        (local(2026, 12, 15, 6, 30), "day"),
        (local(2026, 12, 15, 10, 59), "day"),  # caught up before closing
    ],
)
async def test_reminders_fall_due_at_local_times(sessions, content, when, kind):
    assert await plan(sessions, content, when) == 3
    assert await keys(sessions) == [f"rem:QN-TINHHA:2026-12-15:{kind}:{n}" for n in (1, 2, 3)]


@pytest.mark.parametrize(
    "when",
    [
        local(2026, 12, 14, 17, 59),  # too early
        local(2026, 12, 15, 0, 0),  # the day has started: no more "tomorrow" reminder
        local(2026, 12, 15, 6, 29),
        local(2026, 12, 15, 11, 0),  # the point has closed
        local(2026, 12, 20, 9, 0),
    ],
)
async def test_nothing_is_due_outside_the_windows(sessions, content, when):
    assert await plan(sessions, content, when) == 0


async def test_planning_twice_records_nothing_twice(sessions, content):
    assert await plan(sessions, content, local(2026, 12, 14, 18, 0)) == 3
    assert await plan(sessions, content, local(2026, 12, 14, 18, 1)) == 0
    assert await plan(sessions, content, local(2026, 12, 14, 21, 0)) == 0


async def test_reminder_is_in_each_users_language_with_unsubscribe(sessions, content):
    await plan(sessions, content, local(2026, 12, 15, 7, 0))
    async with transaction(sessions) as s:
        rows = await outbox.claim(s, ["telegram"], local(2026, 12, 15, 7, 0), dt.timedelta(1), 10)
    by_user = {row.channel_user_id: row.payload for row in rows}
    assert "Hôm nay (15/12/2026)" in by_user["900"]["text"]
    assert "Today (15 Dec 2026)" in by_user["901"]["text"]
    assert "Tịnh Hà &amp; Tịnh Sơn" in by_user["900"]["text"]  # officials' data is escaped
    assert "07:30–11:00" in by_user["900"]["text"]
    assert by_user["900"]["buttons"] == [
        [{"label": "🔕 Tắt nhắc lịch", "action": "unsub:QN-TINHHA"}]
    ]


async def test_short_month_uses_its_last_day(sessions, content):
    async with transaction(sessions) as s:
        point = await s.get(TransactionPoint, "QN-TINHHA")
        point.day_of_month = 31
    assert await plan(sessions, content, local(2027, 2, 27, 18, 30)) == 3
    assert (await keys(sessions))[0].startswith("rem:QN-TINHHA:2027-02-28:eve:")


async def test_moved_and_cancelled_days(sessions, content):
    async with transaction(sessions) as s:
        s.add(
            ScheduleException(
                point_id="QN-TINHHA", regular_date=dt.date(2026, 12, 15),
                moved_to=dt.date(2026, 12, 17), reason="Trùng lịch họp",
            )
        )  # fmt: skip
        s.add(
            ScheduleException(
                point_id="QN-TINHHA", regular_date=dt.date(2027, 1, 15), moved_to=None,
                reason="Nghỉ Tết",
            )
        )  # fmt: skip
    assert await plan(sessions, content, local(2026, 12, 14, 18, 0)) == 0
    assert await plan(sessions, content, local(2026, 12, 16, 18, 0)) == 3
    assert await plan(sessions, content, local(2027, 1, 14, 18, 0)) == 0
    assert await plan(sessions, content, local(2027, 1, 15, 7, 0)) == 0


async def test_blocked_users_are_skipped(sessions, content):
    async with transaction(sessions) as s:
        await users.set_blocked(s, "telegram", "901", True)
    assert await plan(sessions, content, local(2026, 12, 14, 18, 0)) == 2


async def test_a_late_subscriber_is_reminded_on_the_next_run(sessions, content):
    assert await plan(sessions, content, local(2026, 12, 14, 18, 0)) == 3
    async with transaction(sessions) as s:
        late = await users.get_or_create_user(s, "telegram", "999", local(2026, 12, 14, 19, 0))
        await s.flush()
        s.add(
            Subscription(user_id=late.id, point_id="QN-TINHHA", created_at=local(2026, 12, 14, 19))
        )
    assert await plan(sessions, content, local(2026, 12, 14, 19, 1)) == 1
    assert await plan(sessions, content, local(2026, 12, 14, 19, 2)) == 0

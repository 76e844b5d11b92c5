"""Reminders sent through the real Bot API client to the fake: paced, resumable, never doubled."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.app import running
from bot.config import load_settings
from bot.scheduler import remind_and_deliver
from storage import outbox, users
from storage.db import create_engine, transaction, upgrade
from storage.models import Subscription, TransactionPoint
from tests.bot.conftest import TOKEN
from tests.conftest import FakeClock

VN = ZoneInfo("Asia/Ho_Chi_Minh")
EVE = dt.datetime(2026, 12, 14, 18, 0, tzinfo=VN)
CHATS = [7001, 7002, 7003, 7004, 7005]


@pytest.fixture
async def settings(api, database_url):
    engine = create_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    return load_settings(
        database_url=database_url,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.root,
        send_rate_per_second=1000,
    )


async def seed(runtime, api) -> None:
    async with transaction(runtime.deps.sessions) as s:
        s.add(
            TransactionPoint(
                id="P1", commune_code="21220", name="Điểm Tịnh Hà", address="UBND xã cũ",
                day_of_month=15, start_time=dt.time(7, 30), end_time=dt.time(11, 0),
                office="PGD Sơn Tịnh", phone="0255 000 000",
            )
        )  # fmt: skip
        await s.flush()
        for chat in CHATS:
            api.add_chat(chat)
            user = await users.get_or_create_user(s, "telegram", str(chat), EVE)
            user.language = "vi"
            await s.flush()
            s.add(Subscription(user_id=user.id, point_id="P1"))


def reminders_sent(api, chat: int) -> int:
    return sum("Ngày mai" in m.plain_text for m in api.messages(chat))


async def test_due_reminders_are_sent_once_even_when_run_twice(api, settings):
    clock = FakeClock(EVE.astimezone(dt.UTC))
    async with running(settings, telegram="send", clock=clock) as runtime:
        await seed(runtime, api)
        planned, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
        )
        assert (planned, stats.sent) == (5, 5)
        clock.advance(minutes=1)
        planned, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
        )
        assert (planned, stats.sent) == (0, 0)
    assert all(reminders_sent(api, chat) == 1 for chat in CHATS)
    assert api.last_message(7001).buttons == [[("🔕 Tắt nhắc lịch", "unsub:P1")]]


async def test_a_restart_mid_batch_loses_nothing_and_doubles_nothing(api, settings):
    clock = FakeClock(EVE.astimezone(dt.UTC))
    async with running(settings, telegram="send", clock=clock) as runtime:
        await seed(runtime, api)
        async with transaction(runtime.deps.sessions) as s:
            from handlers.schedules.reminders import plan_reminders

            assert await plan_reminders(s, runtime.content, clock(), VN) == 5
        stats = await runtime.sender.run_once(max_rows=2)  # then the process stops
        assert stats.sent == 2
    async with running(settings, telegram="send", clock=clock) as runtime:  # restarted
        planned, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
        )
        assert (planned, stats.sent) == (0, 3)
    assert [reminders_sent(api, chat) for chat in CHATS] == [1, 1, 1, 1, 1]


@pytest.mark.slow
async def test_blocked_user_is_marked_and_skipped_afterwards(api, settings):
    clock = FakeClock(EVE.astimezone(dt.UTC))
    async with running(settings, telegram="send", clock=clock) as runtime:
        await seed(runtime, api)
        api.block(7003)
        _, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
        )
        assert (stats.sent, stats.blocked) == (4, 1)
        async with transaction(runtime.deps.sessions) as s:
            assert (await users.find_user(s, "telegram", "7003")).blocked
        clock.advance(hours=13)  # the morning reminder
        planned, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
        )
        assert (planned, stats.sent, stats.blocked) == (4, 4, 0)
    assert len(api.calls_to("sendMessage")) == 9
    api.rejected.clear()  # the one 403 was the point


@pytest.mark.slow
async def test_429_is_honoured_and_the_message_sent_after_retry_after(api, settings):
    clock = FakeClock(EVE.astimezone(dt.UTC))
    waited: list[float] = []

    async def pause(seconds: float) -> None:
        waited.append(seconds)
        clock.advance(seconds=seconds)  # time passes while the sender waits

    async with running(settings, telegram="send", clock=clock) as runtime:
        await seed(runtime, api)
        runtime.sender.sleep = pause
        api.fail_next("sendMessage", 429, retry_after=3)
        _, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
        )
        assert waited == [3.0]
        assert stats.sent == 5 and stats.retried == 1
        async with transaction(runtime.deps.sessions) as s:
            assert await outbox.counts(s) == {"sent": 5}
    assert all(reminders_sent(api, chat) == 1 for chat in CHATS)
    api.rejected.clear()


@pytest.mark.slow
async def test_transient_errors_are_retried_with_backoff(api, settings):
    clock = FakeClock(EVE.astimezone(dt.UTC))
    async with running(settings, telegram="send", clock=clock) as runtime:
        await seed(runtime, api)
        api.fail_next("sendMessage", 502, times=1)
        _, stats = await remind_and_deliver(
            runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
        )
        assert (stats.sent, stats.retried) == (4, 1)
        clock.advance(seconds=31)
        stats = await runtime.sender.run_once()
        assert stats.sent == 1
    assert all(reminders_sent(api, chat) == 1 for chat in CHATS)
    api.rejected.clear()


@pytest.mark.slow
async def test_a_long_message_cut_short_by_a_429_is_finished_not_sent_again(api, settings):
    """A message of two parts: the first goes, the second gets a 429. The retry sends the
    second part only; the reader gets each part once."""
    clock = FakeClock(EVE.astimezone(dt.UTC))

    async def pause(seconds: float) -> None:
        clock.advance(seconds=seconds)

    first, second = "PHẦN MỘT " + "a" * 3000, "PHẦN HAI " + "b" * 3000
    async with running(settings, telegram="send", clock=clock) as runtime:
        runtime.sender.sleep = pause
        api.add_chat(CHATS[0])
        async with transaction(runtime.deps.sessions) as s:
            payload = {"text": f"{first}\n\n{second}", "buttons": []}
            await outbox.enqueue_one(
                s, "long", "telegram", str(CHATS[0]), "notice", payload, clock()
            )
        api.fail_next("sendMessage", 429, retry_after=2, after=1)
        stats = await runtime.sender.run_once()
        assert stats.retried == 1
        clock.advance(seconds=3)
        await runtime.sender.run_once()
        async with transaction(runtime.deps.sessions) as s:
            assert await outbox.counts(s) == {"sent": 1}
    got = [m.plain_text for m in api.messages(CHATS[0])]
    assert got == [first, second]
    api.rejected.clear()

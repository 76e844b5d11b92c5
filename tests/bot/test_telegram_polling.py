"""The Telegram poller against the fake Bot API: errors are waited out as Telegram asks, and
an update is confirmed only after it is handled."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.telegram import build_application
from bot.telegram_polling import BACKOFF, CONFLICT_PAUSE, TelegramPoller
from tests.bot.conftest import TOKEN
from tests.fakes.telegram_api import FakeTelegramAPI


async def test_errors_are_waited_out_then_updates_handled_in_order_and_confirmed():
    async with FakeTelegramAPI(token=TOKEN) as api:
        application = build_application(TOKEN, api.root)
        await application.initialize()
        handled: list[int] = []
        waits: list[float] = []
        done = asyncio.Event()

        async def handle(update: Update) -> None:
            handled.append(update.update_id)
            if len(handled) == 3:
                done.set()

        async def sleep(seconds: float) -> None:
            waits.append(seconds)

        api.fail_next("getUpdates", 502, times=2)
        api.fail_next("getUpdates", 429, retry_after=7)
        api.fail_next("getUpdates", 409, description="Conflict: terminated by other getUpdates")
        ids = [
            api.make_message(700 + n % 2, f"tin {n}", enqueue=True)["update_id"] for n in range(3)
        ]
        poller = TelegramPoller(application.bot, handle, timeout=0, sleep=sleep)
        await poller.start()
        await asyncio.wait_for(done.wait(), 10)
        await poller.stop()
        await application.shutdown()
        assert waits[:4] == [BACKOFF[0], BACKOFF[1], 7.0, CONFLICT_PAUSE]
        assert sorted(handled) == ids  # each once; one chat's in order
        assert [i for i in handled if i != ids[1]] == [ids[0], ids[2]]
        assert not api.pending_updates  # stop() confirmed what was handled
        assert len(api.calls_to("deleteWebhook")) == 1


async def test_a_refused_token_ends_polling_and_stopping_still_works():
    async with FakeTelegramAPI(token=TOKEN) as api:
        application = build_application(TOKEN, api.root)
        await application.initialize()

        async def handle(update: Update) -> None:
            raise AssertionError("no update comes")

        api.fail_next("getUpdates", 401, description="Unauthorized")
        poller = TelegramPoller(application.bot, handle, timeout=0)
        await poller.start()
        assert poller._task is not None
        await asyncio.wait({poller._task}, timeout=10)  # it ends by itself on a 401
        assert poller._task.done()
        await poller.stop()  # does not raise: the rest of the shutdown goes on
        await application.shutdown()
        api.rejected.clear()


async def test_an_update_the_database_was_down_for_is_fetched_again_not_confirmed(caplog):
    async with FakeTelegramAPI(token=TOKEN) as api:
        application = build_application(TOKEN, api.root)
        await application.initialize()
        attempts: list[int] = []
        waits: list[float] = []
        done = asyncio.Event()

        async def handle(update: Update) -> None:
            attempts.append(update.update_id)
            if len(attempts) <= 2:  # the database is down for the first two tries
                raise ConnectionRefusedError(111, "Connect call failed")
            done.set()

        async def sleep(seconds: float) -> None:
            waits.append(seconds)

        update_id = api.make_message(701, "tin", enqueue=True)["update_id"]
        poller = TelegramPoller(application.bot, handle, timeout=0, sleep=sleep)
        await poller.start()
        await asyncio.wait_for(done.wait(), 10)
        await poller.stop()
        await application.shutdown()
        assert attempts == [update_id] * 3  # not confirmed until it was handled
        assert waits[:2] == [BACKOFF[0], BACKOFF[1]]
        assert not api.pending_updates
        assert not [r for r in caplog.records if r.exc_info], "a warning, not a traceback"

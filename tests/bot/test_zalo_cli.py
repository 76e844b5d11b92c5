"""The command line for Zalo: `webhook set|delete --channel zalo`, `poll` and `serve` checks."""

from __future__ import annotations

import asyncio

import pytest

from bot.cli.serve import webhook
from bot.config import ConfigError, load_settings
from bot.zalo import ZaloChannel
from tests.bot.test_cli import run
from tests.bot.zalo_support import ZALO_SECRET, ZALO_TOKEN, ZaloBot, migrate
from tests.fakes.zalo_api import FakeZaloAPI

URL = "https://bot.example.vn/zalo/webhook"


def settings(api: FakeZaloAPI, **extra: object):
    values = {"zalo_bot_token": ZALO_TOKEN, "zalo_api_base_url": api.root} | extra
    return load_settings(**values)


async def test_webhook_set_and_delete_on_zalo(capsys):
    async with FakeZaloAPI(token=ZALO_TOKEN) as api:
        await webhook(settings(api, zalo_webhook_secret=ZALO_SECRET), "set", URL, "zalo")
        assert api.webhook_url == URL and api.webhook_secret == ZALO_SECRET
        assert "Zalo now posts events to " + URL in capsys.readouterr().out
        await webhook(settings(api), "delete", None, "zalo")
        assert api.webhook_url == ""
        assert api.rejected == []


async def test_webhook_set_on_zalo_refuses_bad_input_before_calling():
    async with FakeZaloAPI(token=ZALO_TOKEN) as api:
        with pytest.raises(ConfigError, match="ZALO_WEBHOOK_SECRET"):
            await webhook(settings(api), "set", URL, "zalo")
        with pytest.raises(ConfigError, match="ZALO_WEBHOOK_SECRET"):
            await webhook(settings(api, zalo_webhook_secret="short"), "set", URL, "zalo")
        secret = {"zalo_webhook_secret": ZALO_SECRET}
        with pytest.raises(ConfigError, match="https"):
            await webhook(settings(api, **secret), "set", "http://x/zalo/webhook", "zalo")
        assert api.calls == []


@pytest.mark.slow
def test_webhook_command_line_channel_flag(tmp_path):
    env = {"ZALO_BOT_TOKEN": ZALO_TOKEN, "ZALO_WEBHOOK_SECRET": ZALO_SECRET}
    result = run(
        "webhook", "set", "--channel", "zalo", "http://insecure/zalo", env=env, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "vbsp-bot: webhook set: URL must start with https://"
    result = run("webhook", "set", "https://x/telegram/webhook", cwd=tmp_path)  # Telegram still
    assert result.returncode == 2 and "TELEGRAM_BOT_TOKEN" in result.stderr


@pytest.mark.slow
def test_serve_with_zalo_needs_its_secret(tmp_path):
    env = {"ZALO_BOT_TOKEN": ZALO_TOKEN, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/b.db"}
    result = run("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "ZALO_WEBHOOK_SECRET" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_poll_needs_a_channel(tmp_path):
    result = run("poll", env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/b.db"}, cwd=tmp_path)
    assert result.returncode == 2 and "TELEGRAM_BOT_TOKEN" in result.stderr


async def test_a_wrong_token_stops_the_start_with_one_line(tmp_path):
    async with FakeZaloAPI(token=ZALO_TOKEN) as api:
        bot = ZaloBot(api, f"sqlite+aiosqlite:///{tmp_path}/b.db", "polling")
        api.token = "1:another-bot"  # the bot is configured with a token Zalo does not know
        with pytest.raises(ConfigError, match="ZALO_BOT_TOKEN: Zalo refused the token"):
            await bot.start()
        api.rejected.clear()


async def test_one_poller_per_token_in_a_process(zapi_db):
    api, database_url = zapi_db
    bot = ZaloBot(api, database_url, "polling")
    await bot.start()
    try:
        second = ZaloChannel(bot.channel.api, bot.runtime.deps, bot.runtime.metrics)
        await second.start_polling()
        assert second._poller is not None
        await asyncio.wait_for(second._poller, 5)  # refused at once: it ends by itself
        await second.stop_polling()
        replies = await bot.send("start")  # the first poller goes on
        assert replies
    finally:
        await bot.stop()


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_a_second_replica_stands_by_on_postgresql(zapi_db, monkeypatch):
    """The cross-replica lock is PostgreSQL's (on SQLite there is one process)."""
    api, database_url = zapi_db
    from bot import zalo

    first = ZaloBot(api, database_url, "polling")
    await first.start()
    try:
        monkeypatch.setattr(zalo, "_POLLING", set())  # as if in another process
        monkeypatch.setattr(zalo, "STANDBY_SECONDS", 0.05)
        second = ZaloChannel(first.channel.api, first.runtime.deps, first.runtime.metrics)
        polls = len(api.calls_to("getUpdates"))
        await second.start_polling(first.runtime.engine)
        await asyncio.sleep(0.3)
        assert not second._poller.done()  # standing by, not polling
        assert len(api.calls_to("deleteWebhook")) == 1  # only the first one removed it
        await second.stop_polling()
        assert len(api.calls_to("getUpdates")) >= polls
    finally:
        await first.stop()


async def test_events_a_killed_poller_took_are_handled_first_and_once(zapi_db):
    """Zalo hands an event out once: the poller writes a batch down before handling it, so
    what a killed poller left is handled by the next one, and an event handled just before
    the kill (its row not yet deleted) is not answered twice."""
    import datetime as dt

    from storage import inbox
    from storage.db import create_engine, session_factory, transaction

    api, database_url = zapi_db
    answered, left = api.new_user(), api.new_user()
    bot = ZaloBot(api, database_url, "webhook")
    await bot.start()
    try:
        first = api.text_event(answered, "/start")
        await bot.deliver(first)  # handled, and then the poller was killed before deleting
    finally:
        await bot.stop()
    before = len(api.messages(answered))
    engine = create_engine(database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            now = dt.datetime.now(dt.UTC)
            await inbox.keep(session, "zalo", [first, api.text_event(left, "/start")], now)
    finally:
        await engine.dispose()

    bot = ZaloBot(api, database_url, "polling")
    await bot.start()
    try:
        for _ in range(500):  # the left-overs come first, before any getUpdates
            if bot.channel.events_handled >= 2:
                break
            await asyncio.sleep(0.01)
        await bot.send("xin chao", user=answered)
        assert "tiếng Việt" in "\n".join(m.text for m in api.messages(left))
        assert len(api.messages(answered)) == before + 1  # the left-over /start: not again
        for _ in range(500):  # each event's row goes once it is handled
            async with transaction(bot.runtime.deps.sessions) as session:
                if not await inbox.left(session, "zalo"):
                    break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("handled events are still in the inbox")
    finally:
        await bot.stop()


@pytest.fixture
async def zapi_db(database_url):
    await migrate(database_url)
    async with FakeZaloAPI(token=ZALO_TOKEN) as api:
        yield api, database_url
        assert api.rejected == []

"""What reaches a webhook that is not a usable update: never a 500, never a traceback.

Each case runs on both webhooks (`/telegram/webhook`, `/zalo/webhook`), through the real
aiohttp server and the real Bot API clients against the loopback fakes, on both databases:
a secret header that is not ASCII (403), bodies too deep or with absurd numbers (400),
Telegram updates whose fields have the wrong types (200, ignored), Zalo ids that are not
ids (400), a database that does not answer (503, one warning, no apology, handled when sent
again; Zalo polling holds the event until it answers), a replayed file update (downloaded
once), and a story with a NUL character (kept, minus the NUL).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from storage import reports
from storage.db import create_engine, session_factory, transaction
from tests.bot.conftest import SECRET, Bot, migrate_like_operators, plain
from tests.bot.zalo_support import ZALO_SECRET, ZaloBot
from tests.conftest import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloAPI
from tests.handlers.evidence_samples import jpeg_with_gps

REPORTER = 5550001
STORY = "Một người cho tôi vay 5 triệu, lãi 3 nghìn mỗi ngày,\x00 nay đòi 9 triệu."
TELEGRAM_PATH, ZALO_PATH = "/telegram/webhook", "/zalo/webhook"
TELEGRAM_HEADER, ZALO_HEADER = b"X-Telegram-Bot-Api-Secret-Token", b"X-Bot-Api-Secret-Token"


@pytest.fixture
def clock() -> FakeClock:
    import datetime as dt
    from zoneinfo import ZoneInfo

    return FakeClock(dt.datetime(2026, 12, 14, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))


@pytest.fixture
async def tbot(api: FakeTelegramAPI, database_url: str, clock: FakeClock) -> AsyncIterator[Bot]:
    await migrate_like_operators(database_url)
    bot = Bot(api, database_url, clock=clock)
    await bot.start()
    yield bot
    await bot.stop()


@pytest.fixture
async def zbot(zapi: FakeZaloAPI, database_url: str, clock: FakeClock) -> AsyncIterator[ZaloBot]:
    await migrate_like_operators(database_url)
    bot = ZaloBot(zapi, database_url, "webhook", clock=clock)
    await bot.start()
    yield bot
    await bot.stop()


# --- helpers -------------------------------------------------------------------------------


async def raw_post(url: str, path: str, header: bytes, value: bytes, body: bytes) -> int:
    """POST with a header of arbitrary bytes (clients refuse to send such a header)."""
    where = urlsplit(url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    try:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {where.netloc}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n"
        ).encode()
        writer.write(head + header + b": " + value + b"\r\n\r\n" + body)
        await writer.drain()
        status_line = await reader.readline()
        return int(status_line.split()[1])
    finally:
        writer.close()
        await writer.wait_closed()


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def deep(depth: int) -> bytes:
    return b'{"update_id": 7, "message": ' + b"[" * depth + b"]" * depth + b"}"


def long_number(body: str) -> bytes:
    return body.replace("NUMBER", "1" + "0" * 5000).encode()


async def telegram_status(bot: Bot, body: bytes) -> int:
    return await bot.post(None, raw=body)


async def zalo_status(bot: ZaloBot, body: bytes) -> int:
    return await bot.post(body)


def tg_update(api: FakeTelegramAPI, text: str = "/start") -> dict[str, Any]:
    return api.make_message(REPORTER, text)


async def tg_onboard(bot: Bot) -> None:
    await bot.send("/start", REPORTER)
    await bot.press("Tiếng Việt", REPORTER)
    await bot.press("Tôi đồng ý", REPORTER)


async def tg_to_evidence(bot: Bot, story: str = "Cho vay lãi nặng, đòi gấp đôi.") -> None:
    """A report up to the step that takes files."""
    await tg_onboard(bot)
    await bot.send("/baocao", REPORTER)
    await bot.press("Không", REPORTER)
    await bot.press("Đồng ý, tiếp tục", REPORTER)
    await bot.press("Cho vay lãi nặng", REPORTER)
    await bot.send("son tinh", REPORTER)
    await bot.press("Trong tuần này", REPORTER)
    await bot.send(story, REPORTER)


async def zalo_to_evidence(bot: ZaloBot, story: str = "Cho vay lãi nặng, đòi gấp đôi.") -> None:
    for text in ("start", "1", "Tôi đồng ý", "baocao", "Không", "Đồng ý, tiếp tục"):
        await bot.send(text)
    for text in ("Cho vay lãi nặng", "son tinh", "Trong tuần này", story):
        await bot.send(text)


async def stored_story(sessions) -> str:  # type: ignore[no-untyped-def]
    async with transaction(sessions) as session:
        [report] = await reports.for_export(session)
        return report.description


def broken_database_url(database_url: str, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The same kind of database, unreachable: a missing directory, or a closed port."""
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path}/gone/missing.db"
    return "postgresql+asyncpg://postgres@127.0.0.1:1/gone"


# --- 403: a secret header that is not ASCII ------------------------------------------------


@pytest.mark.parametrize("value", [b"\xff\xfe", b"s3cret-Webhook_token\xff", b"\xc3\xa9"])
async def test_telegram_secret_that_is_not_ascii_is_403(tbot: Bot, api, caplog, value):
    body = json.dumps(tg_update(api)).encode()
    assert await raw_post(tbot.url, TELEGRAM_PATH, TELEGRAM_HEADER, value, body) == 403
    assert api.messages(REPORTER) == [] and tracebacks(caplog) == []
    # The right secret, sent the same way, still works.
    assert await raw_post(tbot.url, TELEGRAM_PATH, TELEGRAM_HEADER, SECRET.encode(), body) == 200


@pytest.mark.parametrize("value", [b"\xff\xfe", b"zalo-s3cret_Webhook\xff", b"\xc3\xa9"])
async def test_zalo_secret_that_is_not_ascii_is_403(zbot: ZaloBot, zapi, caplog, value):
    body = json.dumps(zapi.text_event(zbot.user, "start")).encode()
    assert await raw_post(zbot.url, ZALO_PATH, ZALO_HEADER, value, body) == 403
    assert zapi.messages(zbot.user) == [] and tracebacks(caplog) == []
    assert await raw_post(zbot.url, ZALO_PATH, ZALO_HEADER, ZALO_SECRET.encode(), body) == 200


# --- 400: JSON too deep, numbers too long --------------------------------------------------


@pytest.mark.parametrize("depth", [33, 5000, 200_000])
async def test_telegram_deep_json_is_400(tbot: Bot, api, caplog, depth):
    assert await telegram_status(tbot, deep(depth)) == 400
    assert api.messages(REPORTER) == [] and tracebacks(caplog) == []


@pytest.mark.parametrize("depth", [33, 5000, 200_000])
async def test_zalo_deep_json_is_400(zbot: ZaloBot, zapi, caplog, depth):
    body = b'{"event_name": "message.text.received", "message": ' + deep(depth) + b"}"
    assert await zalo_status(zbot, body) == 400
    assert tracebacks(caplog) == []


@pytest.mark.parametrize(
    "body",
    ['{"update_id": NUMBER}', '{"update_id": 1, "message": {"chat": {"id": NUMBER}}}', "1e999"],
)
async def test_telegram_absurd_numbers_are_400(tbot: Bot, api, caplog, body):
    assert await telegram_status(tbot, long_number(body)) == 400
    assert tracebacks(caplog) == []


async def test_zalo_absurd_numbers_are_400(zbot: ZaloBot, zapi, caplog):
    event = json.dumps(zapi.text_event(zbot.user, "start"))
    with_long = re.sub(r'"date": \d+', '"date": NUMBER', event)
    assert await zalo_status(zbot, long_number(with_long)) == 400
    assert await zalo_status(zbot, b'{"event_name": 1e999}') == 400
    assert zapi.messages(zbot.user) == [] and tracebacks(caplog) == []


async def test_bodies_over_a_megabyte_are_413_on_both(tbot: Bot, zbot: ZaloBot, caplog):
    big = b'{"update_id": 1, "pad": "' + b"x" * (1 << 20) + b'"}'
    assert await telegram_status(tbot, big) == 413
    assert await zalo_status(zbot, big) == 413
    assert tracebacks(caplog) == []


# --- 400: fields of the wrong type ---------------------------------------------------------


def _broken_telegram_updates(api: FakeTelegramAPI, tbot: Bot) -> list[dict[str, Any]]:
    chat_list = tg_update(api)
    chat_list["message"]["chat"]["id"] = [REPORTER]
    photo = api.make_photo(REPORTER, jpeg_with_gps())
    photo["message"]["photo"][0]["width"] = None
    no_from = api.make_my_chat_member(REPORTER, "kicked")
    del no_from["my_chat_member"]["from"]
    api.unblock(REPORTER)
    user_id_text = tg_update(api)
    user_id_text["message"]["from"]["id"] = "5550001"
    text_number = tg_update(api)
    text_number["message"]["text"] = 12
    callback_without_id = tg_update(api)
    callback_without_id["callback_query"] = callback_without_id.pop("message")
    return [chat_list, photo, no_from, user_id_text, text_number, callback_without_id]


async def test_telegram_fields_of_the_wrong_type_are_taken_and_ignored(tbot: Bot, api, caplog):
    """200, not 400: Telegram would resend a 4xx for a day, holding the chat's next updates."""
    for index, update in enumerate(_broken_telegram_updates(api, tbot)):
        assert await tbot.post(update) == 200, index
    assert api.messages(REPORTER) == [] and tracebacks(caplog) == []


async def test_telegram_kinds_the_bot_ignores_are_200(tbot: Bot, api, caplog):
    edited = tg_update(api)
    edited["edited_message"] = edited.pop("message")
    assert await tbot.post(edited) == 200
    assert await tbot.post({"update_id": 9}) == 200
    assert api.messages(REPORTER) == [] and tracebacks(caplog) == []


async def test_zalo_ids_that_are_not_ids_are_400(zbot: ZaloBot, zapi, caplog):
    for bad in ("user\x00one", "two words", "x" * 65, -5, 2**70, ["list"]):
        event = zapi.text_event(zbot.user, "start")
        event["message"]["from"]["id"] = bad
        event["message"]["chat"]["id"] = bad
        assert await zalo_status(zbot, json.dumps(event).encode()) == 400, bad
    assert zapi.messages(zbot.user) == [] and tracebacks(caplog) == []


# --- 503: the database does not answer ------------------------------------------------------


@pytest.fixture
async def broken_sessions(database_url: str, tmp_path):  # type: ignore[no-untyped-def]
    engine = create_engine(broken_database_url(database_url, tmp_path))
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def test_telegram_database_down_is_503_without_apology(
    tbot: Bot, api, caplog, broken_sessions
):
    await tbot.send("/start", REPORTER)
    channel = tbot.runtime.telegram
    working = channel.deps
    channel.deps = dataclasses.replace(working, sessions=broken_sessions)
    update = tg_update(api, "/menu")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert await tbot.post(update) == 503
    assert len(api.messages(REPORTER)) == 1, "no apology: the message was not handled"
    [warning] = warnings(caplog)
    assert "database" in warning.getMessage() and warning.exc_info is None
    assert str(REPORTER) not in warning.getMessage()
    # Telegram sends it again once the database is back: handled then, once.
    channel.deps = working
    assert await tbot.post(update) == 200
    assert len(api.messages(REPORTER)) == 2
    assert await tbot.post(update) == 200
    assert len(api.messages(REPORTER)) == 2


async def test_zalo_database_down_is_503_without_apology(
    zbot: ZaloBot, zapi, caplog, broken_sessions
):
    await zbot.send("start")
    channel = zbot.channel
    working = channel.deps
    channel.deps = dataclasses.replace(working, sessions=broken_sessions)
    event = zapi.text_event(zbot.user, "menu")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert await zapi.push(event) == 503
    assert len(zapi.messages(zbot.user)) == 1
    [warning] = warnings(caplog)
    assert "database" in warning.getMessage() and warning.exc_info is None
    channel.deps = working
    assert await zapi.push(event) == 200
    assert len(zapi.messages(zbot.user)) == 2


async def test_zalo_polling_holds_events_while_the_database_is_down(
    zapi, database_url, clock, caplog, broken_sessions
):
    """Zalo's getUpdates hands an event out once: while the database cannot be reached it
    is held in memory and tried again, and no more are taken meanwhile."""
    await migrate_like_operators(database_url)
    bot = ZaloBot(zapi, database_url, "polling", clock=clock)
    await bot.start()
    try:
        await bot.send("start")
        sent, shown = len(zapi.calls_to("sendMessage")), len(zapi.messages(bot.user))
        working = bot.channel.deps
        bot.channel.deps = dataclasses.replace(working, sessions=broken_sessions)
        assert await bot.send("1") == []  # tried, and held
        assert "database is unreachable" in caplog.text
        bot.channel.deps = working
        calls = await zapi.wait_for_calls("sendMessage", count=sent + 1)
        assert calls[sent].params["chat_id"] == bot.user
        assert "Chào mừng" in zapi.messages(bot.user)[shown].text  # "1" chose Tiếng Việt
        assert tracebacks(caplog) == []
    finally:
        await bot.stop()


async def test_a_dialog_bug_still_gets_the_apology(tbot: Bot, api, caplog, monkeypatch):
    from handlers.core import routes
    from handlers.core.route_types import Command

    async def broken(ctx, text):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setitem(routes.COMMANDS, "help", Command(broken))
    await tg_onboard(tbot)
    replies = await tbot.send("/help", REPORTER)
    assert "Menu" in " ".join(t for m in replies for row in m.buttons for t, _ in row)


# --- a replayed file update is downloaded once ---------------------------------------------


async def test_telegram_replayed_photo_is_downloaded_once(tbot: Bot, api):
    await tg_to_evidence(tbot)
    update = api.make_photo(REPORTER, jpeg_with_gps())
    before = len(api.messages(REPORTER))
    for _ in range(40):
        assert await tbot.post(update) == 200
    assert len(api.downloads) == 1
    assert len(api.messages(REPORTER)) == before + 1
    assert "Đã nhận 1/5 tệp" in plain(api.messages(REPORTER)[before:])


async def test_zalo_replayed_picture_is_downloaded_once(zbot: ZaloBot, zapi):
    await zalo_to_evidence(zbot)
    url = zapi.serve_image(jpeg_with_gps())
    event = zapi.image_event(zbot.user, url)
    before = len(zapi.messages(zbot.user))
    for _ in range(40):
        assert await zapi.push(event) == 200
    assert zapi.downloads == [url]
    assert "Đã nhận 1/5 tệp" in "\n".join(m.text for m in zapi.messages(zbot.user)[before:])


# --- a NUL in a story is accepted, minus the NUL --------------------------------------------


async def test_telegram_story_with_nul_is_kept_without_it(tbot: Bot, api):
    await tg_to_evidence(tbot, STORY)
    await tbot.press("Bỏ qua", REPORTER)
    await tbot.press("Đồng ý, hỏi qua bot", REPORTER)
    sent = plain(await tbot.press("Gửi báo cáo", REPORTER))
    assert "Mã tra cứu của bạn" in sent
    assert await stored_story(tbot.runtime.deps.sessions) == STORY.replace("\x00", "")


async def test_zalo_story_with_nul_is_kept_without_it(zbot: ZaloBot, zapi):
    await zalo_to_evidence(zbot, STORY)
    await zbot.send("Bỏ qua")
    await zbot.send("Đồng ý, hỏi qua bot")
    sent = "\n".join(m.text for m in await zbot.send("Gửi báo cáo"))
    assert "Mã tra cứu của bạn" in sent
    assert await stored_story(zbot.runtime.deps.sessions) == STORY.replace("\x00", "")


# --- a picture's URL cannot reach this machine or its network (SSRF) ------------------------


async def test_zalo_picture_url_to_a_private_address_is_not_fetched(zbot: ZaloBot, zapi):
    """Whoever can post to the webhook names the picture's URL: an internal service on this
    machine (a name resolving to loopback, an IP literal, or a redirect from the trusted API
    server) is never asked, and the reporter gets the kind 'could not download' answer."""
    from aiohttp import web

    asked: list[str] = []

    async def internal(request: web.Request) -> web.Response:
        asked.append(str(request.url))
        return web.Response(body=jpeg_with_gps(), content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/{tail:.*}", internal)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await zalo_to_evidence(zbot)
        urls = [
            f"http://localhost:{port}/latest/meta-data",  # a name that resolves to loopback
            f"http://127.0.0.1:{port}/admin",  # an IP literal (aiohttp does not resolve it)
            f"http://[::ffff:127.0.0.1]:{port}/admin",
            zapi.redirect_to(f"http://127.0.0.1:{port}/via-redirect"),  # from the trusted host
        ]
        for url in urls:
            before = len(zapi.messages(zbot.user))
            assert await zapi.push(zapi.image_event(zbot.user, url)) == 200
            told = "\n".join(m.text for m in zapi.messages(zbot.user)[before:])
            assert "không tải được" in told.lower() or "could not download" in told.lower(), url
        assert asked == []
        # The same bot still fetches a picture from a public-facing host (here the trusted
        # fake, standing in for zdn.vn), so the guard is not simply refusing everything.
        good = zapi.serve_image(jpeg_with_gps())
        before = len(zapi.messages(zbot.user))
        assert await zapi.push(zapi.image_event(zbot.user, good)) == 200
        assert "Đã nhận 1/5 tệp" in "\n".join(m.text for m in zapi.messages(zbot.user)[before:])
    finally:
        await runner.cleanup()

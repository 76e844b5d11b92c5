"""What the log may say: no token or secret, no chat id, no word a citizen wrote.

bot.logs is imported inside the tests that need it, so the tests that only watch the log
(a failing insert, a 429 after a report) run, and fail, on code without it as well.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from bot.config import Settings, load_settings
from storage.db import create_engine, transaction, upgrade
from storage.report_models import Report
from tests.bot.conftest import SECRET, TOKEN, Bot, migrate_like_operators
from tests.bot.test_reports_e2e import (
    NAME,
    REPORTER,
    STORY,
    USERNAME,
    at,
    file_report,
    onboard,
    only_report,
    say,
)
from tests.conftest import FakeClock

ROOT = Path(__file__).resolve().parents[2]
ZALO_TOKEN = "zalo-TOKEN-0123456789abcdef"
ZALO_SECRET = "zalo_webhook-Secret_42"
DB_PASSWORD = "pg-Passw0rd-xyz"
PLANTED = "Lê Văn Planted ở thôn Phú Sơn kể chuyện vay 7 triệu"
LIBRARY_LOGGERS = (
    "telegram.ext.ExtBot",
    "telegram.Bot",
    "httpx",
    "httpcore.http11",
    "aiosqlite",
    "sqlalchemy.engine.Engine",
    "asyncpg",
    "apscheduler.scheduler",
    "alembic.runtime.plugins",
    "aiohttp.access",
)


def settings_for(database_url: str = "sqlite+aiosqlite:///:memory:", **extra: object) -> Settings:
    values: dict[str, object] = dict(
        database_url=database_url,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        zalo_bot_token=ZALO_TOKEN,
        zalo_webhook_secret=ZALO_SECRET,
        log_level="INFO",
        log_level_libraries=None,
    )
    values.update(extra)
    return load_settings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Each test configures logging as the program does; put back what pytest had."""
    root = logging.getLogger()
    handlers = {handler: list(handler.filters) for handler in root.handlers}
    names = [*LIBRARY_LOGGERS, *(name.split(".")[0] for name in LIBRARY_LOGGERS), "bot"]
    levels = {name: logging.getLogger(name).level for name in names}
    root_level = root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler, filters in handlers.items():
        handler.filters[:] = filters
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root.setLevel(root_level)


def production_logging(settings: Settings) -> io.StringIO:
    """The program's own logging setup, writing to a buffer the test reads."""
    from bot.logs import setup

    stream = io.StringIO()
    setup(settings, stream)
    return stream


# --- masking, tags, levels -----------------------------------------------------------------------


def test_tokens_secrets_and_the_database_password_are_masked_wherever_they_appear():
    url = f"postgresql+asyncpg://bot:{DB_PASSWORD}@db.example.vn/vbsp"
    out = production_logging(settings_for(url))
    log = logging.getLogger("bot.test")
    log.info("calling %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
    log.warning("encoded: bot%s", TOKEN.replace(":", "%3A"))
    log.warning("%(zalo)s and %(secret)s", {"zalo": ZALO_TOKEN, "secret": ZALO_SECRET})
    log.error(f"in the template itself: {SECRET} {url}")
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/sendMessage")
    except ConnectionError:
        log.exception("network")
    text = out.getvalue()
    for secret in (TOKEN, TOKEN.split(":")[1], ZALO_TOKEN, ZALO_SECRET, SECRET, DB_PASSWORD):
        assert secret not in text
    assert text.count("***") >= 6
    assert "ConnectionError: cannot reach https://api.telegram.org/bot***/sendMessage" in text


def test_a_traceback_keeps_frames_and_types_but_not_messages():
    from bot.logs import safe_traceback

    def take_story(story: str) -> None:
        try:
            {}[story]
        except KeyError as exc:
            raise ValueError(f"could not save {story!r}") from exc

    try:
        take_story(PLANTED)
    except ValueError as exc:
        text = safe_traceback(exc)
    assert PLANTED not in text
    assert "in take_story" in text and "Traceback (most recent call last)" in text
    assert "KeyError (message withheld)" in text and "ValueError (message withheld)" in text
    assert safe_traceback(TimeoutError("no answer in 10 s")) == "TimeoutError: no answer in 10 s"


@pytest.mark.slow
def test_chat_tags_follow_one_chat_within_a_process_and_name_no_one():
    from bot.logs import chat_tag

    tag = chat_tag("telegram", REPORTER)
    assert tag == chat_tag("telegram", str(REPORTER))  # the same chat, however it is spelled
    assert tag != chat_tag("zalo", REPORTER) and tag != chat_tag("telegram", REPORTER + 1)
    assert str(REPORTER) not in tag and tag.startswith("telegram#")
    code = f"from bot.logs import chat_tag; print(chat_tag('telegram', {REPORTER}))"
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert other.startswith("telegram#") and other != tag  # a new key in every process


def test_libraries_are_held_at_warning_unless_asked():
    production_logging(settings_for(log_level="DEBUG"))
    assert logging.getLogger("bot.telegram").isEnabledFor(logging.DEBUG)
    for name in LIBRARY_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING, name

    production_logging(settings_for(log_level="ERROR"))  # never louder than LOG_LEVEL
    for name in LIBRARY_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() == logging.ERROR, name

    production_logging(settings_for(log_level="INFO", log_level_libraries="debug"))
    for name in LIBRARY_LOGGERS:
        assert logging.getLogger(name).getEffectiveLevel() == logging.DEBUG, name


# --- a database error ----------------------------------------------------------------------------


async def test_a_failing_insert_logs_no_parameter(database_url: str, caplog):
    """The report's story, code, handle and reporter id are the statement's values: neither
    the error's text nor its logged traceback may carry them (PostgreSQL's DETAIL line names
    the missing reporter id itself, so the message is withheld as well)."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        caplog.set_level(logging.INFO)
        report = Report(
            code="PLNTCODE", handle="PLNTHNDL", reporter_id=987654321,  # no such user
            category="usury", description=PLANTED,
        )  # fmt: skip
        with pytest.raises(IntegrityError) as raised:
            async with transaction(session_factory_for(engine)) as session:
                session.add(report)
                await session.flush()
        for value in (PLANTED, "PLNTCODE", "PLNTHNDL"):
            assert value not in str(raised.value)
        out = production_logging(settings_for(database_url))
        try:
            raise raised.value
        except IntegrityError:
            logging.getLogger("handlers.core.dispatch").exception("dialog failed for telegram user")
    finally:
        await engine.dispose()
    for text in (out.getvalue(), caplog.text):
        assert "IntegrityError (message withheld)" in text
        for value in (PLANTED, "PLNTCODE", "PLNTHNDL", "987654321"):
            assert value not in text


def session_factory_for(engine):  # type: ignore[no-untyped-def]
    from storage.db import session_factory

    return session_factory(engine)


# --- through the real webhook --------------------------------------------------------------------


async def start_bot(api, database_url: str) -> Bot:  # type: ignore[no-untyped-def]
    await migrate_like_operators(database_url)
    bot = Bot(api, database_url, clock=FakeClock(at(2026, 12, 14, 9, 0)))
    await bot.start()
    assert bot.runtime is not None and bot.runtime.telegram is not None

    async def at_once(_seconds: float) -> None:  # the retries after a 429, without waiting
        return None

    bot.runtime.telegram.sleep = at_once
    return bot


@pytest.fixture
async def debug_bot(api, database_url: str, caplog) -> AsyncIterator[tuple[Bot, io.StringIO]]:
    """The bot with LOG_LEVEL=DEBUG set up before it starts (getMe is logged too)."""
    caplog.set_level(logging.DEBUG)
    out = production_logging(settings_for(database_url, log_level="DEBUG"))
    bot = await start_bot(api, database_url)
    yield bot, out
    await bot.stop()


async def test_debug_logs_carry_no_token_no_name_no_story(debug_bot, caplog):
    bot, out = debug_bot
    await onboard(bot)
    await say(bot, f"Tôi là {PLANTED}")
    code = await file_report(bot, story=f"{STORY} {PLANTED}")
    for text in (out.getvalue(), caplog.text):
        assert "report 1 received" in text  # the log was captured, at DEBUG
        for secret in (TOKEN, TOKEN.split(":")[1], SECRET, ZALO_TOKEN):
            assert secret not in text
        for planted in (PLANTED, STORY[:30], NAME, USERNAME, code, str(REPORTER)):
            assert planted not in text, planted


async def test_a_429_after_a_report_logs_no_chat_id(api, database_url: str, caplog):
    caplog.set_level(logging.INFO)  # LOG_LEVEL's default
    bot = await start_bot(api, database_url)
    try:
        await onboard(bot)
        await say(bot, "/baocao")
        await bot.press("Không", chat=REPORTER)
        await bot.press("Đồng ý, tiếp tục", chat=REPORTER)
        await bot.press("Cho vay lãi nặng", chat=REPORTER)
        await say(bot, "son tinh")
        await bot.press("Trong tuần này", chat=REPORTER)
        await say(bot, STORY)
        await bot.press("Bỏ qua", chat=REPORTER)
        await bot.press("Đồng ý, hỏi qua bot", chat=REPORTER)
        api.fail_next("sendMessage", 429, retry_after=1, times=3)
        await bot.press("Gửi báo cáo", chat=REPORTER)
        api.rejected[:] = [r for r in api.rejected if r.error_code != 429]
    finally:
        await bot.stop()
    messages = "\n".join(record.getMessage() for record in caplog.records)
    assert "report 1 received" in messages and "took no reply to chat" in messages
    assert str(REPORTER) not in messages
    assert str(REPORTER) not in caplog.text


async def test_a_story_with_a_nul_is_accepted_without_it(api, database_url: str, caplog):
    """PostgreSQL cannot store a NUL: the report once failed with its story in the log."""
    caplog.set_level(logging.INFO)
    bot = await start_bot(api, database_url)
    try:
        await onboard(bot)
        code = await file_report(bot, story=f"{STORY}\x00 {PLANTED}")
        report = await only_report(bot)
    finally:
        await bot.stop()
    assert report.code == code and report.description == f"{STORY} {PLANTED}"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

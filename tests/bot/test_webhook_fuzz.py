"""Fuzzing both webhooks: JSON of every shape, and real updates with one part changed.

Hypothesis generates the bodies (a fixed number of examples, derandomized, so a run is the
same every time); each goes through the real webhook server and Bot API client against the
loopback fakes. Whatever arrives: never a 500, never a traceback in the log, and no reply
for what is not an update. A changed chat id that is still a well-formed id is left out:
the platform sends updates only for chats that exist.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.bot.conftest import Bot, migrate_like_operators
from tests.bot.zalo_support import ZALO_TOKEN, ZaloBot
from tests.conftest import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_api import FakeZaloAPI
from tests.handlers.evidence_samples import jpeg_with_gps

pytestmark = pytest.mark.slow  # hypothesis: hundreds of requests through both webhooks

CHAT, EVIDENCE_CHAT = 5550101, 5550102
FUZZ = settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=24,
)
# Keys the webhooks look at, so arbitrary objects sometimes look like an update.
KEYS = st.sampled_from(
    ["update_id", "message", "callback_query", "my_chat_member", "chat", "from", "id",
     "event_name", "result", "text", "photo", "document", "photo_url", "message_id"]
)  # fmt: skip
NEAR = st.dictionaries(KEYS, JSON, max_size=5)
BODIES = JSON | NEAR | st.builds(lambda d: {"update_id": 1, **d}, NEAR)
# What JSON generators do not make: nesting past any sane depth, numbers of thousands of
# digits (Python refuses past 4,300), and bytes that are not JSON at all.
DEEP = st.integers(30, 100_000).map(lambda n: b'{"message": ' + b"[" * n + b"]" * n + b"}")
LONG = st.integers(15, 6000).map(lambda n: b'{"update_id": 1' + b"0" * n + b"}")
RAW = st.one_of(BODIES.map(lambda body: json.dumps(body).encode()), DEEP, LONG, st.binary())


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (the root included), parents before children."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def mutate(data: st.DataObject, base: dict[str, Any], is_id: Callable[[Any], bool]) -> Any:
    """``base`` with one place replaced, removed, or given an extra key."""
    body = copy.deepcopy(base)
    places = paths(body)[1:]
    path = places[data.draw(st.integers(0, len(places) - 1), label="place")]
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    action = data.draw(st.sampled_from(["replace", "remove", "add"]), label="action")
    if action == "replace":
        value = data.draw(JSON, label="value")
        assume(not (path[-2:-1] in (("chat",), ("from",)) and path[-1] == "id" and is_id(value)))
        parent[path[-1]] = value
    elif action == "remove":
        del parent[path[-1]]
    elif isinstance(parent[path[-1]], dict):
        parent[path[-1]][data.draw(KEYS, label="key")] = data.draw(JSON, label="value")
    return body


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.fixture
def clock() -> FakeClock:
    import datetime as dt
    from zoneinfo import ZoneInfo

    return FakeClock(dt.datetime(2026, 12, 14, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")))


# --- Telegram ---------------------------------------------------------------------------


@pytest.fixture
async def tbot(api: FakeTelegramAPI, database_url: str, clock: FakeClock) -> AsyncIterator[Bot]:
    await migrate_like_operators(database_url)
    bot = Bot(api, database_url, clock=clock)
    await bot.start()
    await bot.send("/start", CHAT)  # a bot message for the button presses to be on
    await to_evidence_step(bot)  # where files are downloaded
    yield bot
    await bot.stop()


async def to_evidence_step(bot: Bot) -> None:
    """EVIDENCE_CHAT writes a report up to the step that downloads files."""
    await bot.send("/start", EVIDENCE_CHAT)
    for label in ("Tiếng Việt", "Tôi đồng ý"):
        await bot.press(label, EVIDENCE_CHAT)
    await bot.send("/baocao", EVIDENCE_CHAT)
    for label in ("Không", "Đồng ý, tiếp tục", "Cho vay lãi nặng"):
        await bot.press(label, EVIDENCE_CHAT)
    await bot.send("son tinh", EVIDENCE_CHAT)
    await bot.press("Trong tuần này", EVIDENCE_CHAT)
    replies = await bot.send("Cho vay lãi nặng, đòi gấp đôi.", EVIDENCE_CHAT)
    assert any("Bỏ qua" in t for m in replies for row in m.buttons for t, _ in row)


def telegram_updates(api: FakeTelegramAPI) -> list[dict[str, Any]]:
    """Fresh real updates of each kind the bot acts on (new update ids every time)."""
    return [
        api.make_message(CHAT, "/menu"),
        api.make_message(CHAT, "vay vốn hộ nghèo"),
        api.make_photo(EVIDENCE_CHAT, jpeg_with_gps(), caption="ảnh"),
        api.make_document(EVIDENCE_CHAT, b"%PDF-1.4 x", "hop-dong.pdf", "application/pdf"),
        api.make_callback(CHAT, "menu"),
        {**api.make_my_chat_member(CHAT, "member")},
    ]


def telegram_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def sent(api: FakeTelegramAPI) -> int:
    return sum(len(api.calls_to(m)) for m in ("sendMessage", "sendPhoto", "sendDocument"))


def telegram_check(api: FakeTelegramAPI, caplog, status: int, before: int) -> None:  # type: ignore[no-untyped-def]
    assert status in (200, 400), status
    assert tracebacks(caplog) == []
    if status == 400:
        assert sent(api) == before, "a reply to a body that is not an update"
    # A changed file id is refused by Telegram's getFile: the bot's only acceptable refusal.
    assert [r for r in api.rejected if r.method != "getFile"] == []
    api.rejected.clear()


@FUZZ
@given(body=RAW)
async def test_telegram_any_json(tbot: Bot, api, caplog, body):
    caplog.clear()
    before = sent(api)
    status = await tbot.post(None, raw=body)
    telegram_check(api, caplog, status, before)
    assert sent(api) == before, "a reply to a body that is not an update"


@FUZZ
@given(data=st.data())
async def test_telegram_changed_updates(tbot: Bot, api, caplog, data):
    updates = telegram_updates(api)
    api.unblock(CHAT)
    base = updates[data.draw(st.integers(0, len(updates) - 1), label="update")]
    body = mutate(data, base, telegram_id)
    caplog.clear()
    before = sent(api)
    status = await tbot.post(None, raw=json.dumps(body).encode())
    telegram_check(api, caplog, status, before)


# --- Zalo -------------------------------------------------------------------------------


@pytest.fixture
async def zapi() -> AsyncIterator[FakeZaloAPI]:
    async with FakeZaloAPI(token=ZALO_TOKEN) as api:
        yield api


@pytest.fixture
async def zbot(zapi: FakeZaloAPI, database_url: str, clock: FakeClock) -> AsyncIterator[ZaloBot]:
    await migrate_like_operators(database_url)
    bot = ZaloBot(zapi, database_url, "webhook", clock=clock)
    await bot.start()
    yield bot
    await bot.stop()


_ZALO_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def zalo_id(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and _ZALO_ID.fullmatch(value) is not None


def zalo_events(api: FakeZaloAPI, user: str) -> list[dict[str, Any]]:
    url = api.serve_image(b"\xff\xd8\xff\xe0 picture")
    return [
        api.text_event(user, "menu"),
        api.text_event(user, "vay vốn hộ nghèo"),
        api.image_event(user, url, caption="ảnh"),
        api.sticker_event(user),
        api.voice_event(user),
        api.unsupported_event(user),
        api.wrapped(api.text_event(user, "1")),
    ]


def zalo_sent(api: FakeZaloAPI) -> int:
    return len(api.calls_to("sendMessage")) + len(api.calls_to("sendPhoto"))


def zalo_check(api: FakeZaloAPI, caplog, status: int, before: int) -> None:  # type: ignore[no-untyped-def]
    assert status in (200, 400), status
    assert tracebacks(caplog) == []
    if status == 400:
        assert zalo_sent(api) == before, "a reply to a body that is not an event"
    assert api.rejected == []


@FUZZ
@given(body=RAW)
async def test_zalo_any_json(zbot: ZaloBot, zapi, caplog, body):
    caplog.clear()
    before = zalo_sent(zapi)
    status = await zbot.post(body)
    zalo_check(zapi, caplog, status, before)
    assert zalo_sent(zapi) == before, "a reply to a body that is not an event"


@FUZZ
@given(data=st.data())
async def test_zalo_changed_events(zbot: ZaloBot, zapi, caplog, data):
    events = zalo_events(zapi, zbot.user)
    base = events[data.draw(st.integers(0, len(events) - 1), label="event")]
    body = mutate(data, base, zalo_id)
    caplog.clear()
    before = zalo_sent(zapi)
    status = await zbot.post(json.dumps(body).encode())
    zalo_check(zapi, caplog, status, before)

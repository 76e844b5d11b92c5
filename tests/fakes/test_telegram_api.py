"""The fake Bot API, driven through python-telegram-bot's real client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import warnings
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from .telegram_api import FakeTelegramAPI, parse_html, render_text, utf16_len

TOKEN = "123:ABC"
CHAT = 1001
PARSE_ERROR = r"(?i)can't parse entities"


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as fake:
        fake.add_chat(CHAT)
        yield fake


@pytest.fixture
async def bot(api: FakeTelegramAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{api.root}/bot", base_file_url=f"{api.root}/file/bot") as b:
        yield b


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(list(rows))


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns while retry_after is still an int
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


# ---- sending ----------------------------------------------------------------------------------


async def test_initialize_calls_get_me(api: FakeTelegramAPI, bot: Bot) -> None:
    assert bot.username == "vbsp_test_bot"
    assert bot.id == 123
    assert api.calls[0].method == "getMe"


async def test_valid_html_with_inline_keyboard_is_accepted_and_recorded(
    api: FakeTelegramAPI, bot: Bot
) -> None:
    text = '<b>Chào An</b> &amp; <a href="https://vbsp.org.vn/?a=1&amp;b=2">NHCSXH</a> 😀'
    markup = keyboard(
        [InlineKeyboardButton("Đăng ký", callback_data="sub:42:on")],
        [InlineKeyboardButton("Trang web", url="https://vbsp.org.vn")],
    )
    message = await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML, reply_markup=markup)

    assert message.text == "Chào An & NHCSXH 😀"
    assert message.entities[0].type == "bold" and message.entities[0].length == 7
    assert message.entities[1].url == "https://vbsp.org.vn/?a=1&b=2"
    assert message.reply_markup == markup
    sent = api.last_message(CHAT)
    assert sent is not None
    assert sent.message_id == message.message_id
    assert sent.text == text
    assert sent.parse_mode == "HTML"
    assert sent.plain_text == "Chào An & NHCSXH 😀"
    assert sent.buttons == [[("Đăng ký", "sub:42:on")], [("Trang web", None)]]
    call = api.calls_to("sendMessage")[0]
    assert call.params["chat_id"] == CHAT
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "sub:42:on"
    assert api.rejected == []


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Xin chào<br>An", 'Unsupported start tag "br" at byte offset 9'),
        ("<b>Chào", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>Chào</i>", 'Unmatched end tag at byte offset 8, expected "</b>", found "</i>"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Vay & trả", "Can't find end of the entity starting at byte offset 4"),
        ("&nbsp;", "Can't find end of the entity starting at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("Chào</b>", "Unexpected end tag at byte offset 5"),
        ("<b", "Unclosed start tag at byte offset 0"),
    ],
)
async def test_bad_html_is_rejected_like_telegram(
    api: FakeTelegramAPI, bot: Bot, text: str, detail: str
) -> None:
    with pytest.raises(BadRequest, match=PARSE_ERROR):
        await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML)
    assert api.rejected[-1].error_code == 400
    assert api.rejected[-1].description == f"Bad Request: can't parse entities: {detail}"
    assert api.messages(CHAT) == []


async def test_the_same_text_without_parse_mode_is_fine(api: FakeTelegramAPI, bot: Bot) -> None:
    await bot.send_message(CHAT, "Xin chào<br>An & 1 < 2")
    assert api.last_message(CHAT).plain_text == "Xin chào<br>An & 1 < 2"


async def test_all_supported_tags_parse(bot: Bot) -> None:
    text = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="tg://user?id=1">m</a><code>c</code><pre><code class="language-python">x</code>'
        "</pre><blockquote>q</blockquote><blockquote expandable>w</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>&#65;&#x42;&quot;&lt;&gt;'
    )
    message = await bot.send_message(CHAT, text, parse_mode=ParseMode.HTML)
    assert message.text == 'bsieunskdpqmcxqw👍AB"<>'
    types = [entity.type for entity in message.entities]
    assert "expandable_blockquote" in types and "custom_emoji" in types
    assert next(e for e in message.entities if e.type == "pre").language == "python"


async def test_length_is_counted_after_parsing_in_utf16(api: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "a" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "😀" * 2049)  # 2049 characters, 4098 UTF-16 units

    await bot.send_message(CHAT, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(CHAT, "&lt;" * 4096, parse_mode=ParseMode.HTML)
    await bot.send_message(CHAT, "😀" * 2048)
    assert [len(m.plain_text) for m in api.messages(CHAT)] == [4096, 4096, 2048]


async def test_empty_text_and_unknown_chat_are_rejected(api: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "<b> </b>\n", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "Xin chào")
    with pytest.raises(BadRequest, match=r"(?i)unsupported parse_mode"):
        await bot.send_message(CHAT, "x", parse_mode="html5")


async def test_callback_data_is_limited_in_bytes_not_characters(
    api: FakeTelegramAPI, bot: Bot
) -> None:
    fits = "ư" * 32  # 32 characters, 64 bytes
    too_long = "ư" * 32 + "a"  # 33 characters, 65 bytes
    assert len(too_long) == 33 and len(too_long.encode()) == 65

    await bot.send_message(
        CHAT, "ok", reply_markup=keyboard([InlineKeyboardButton("Có", callback_data=fits)])
    )
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(
            CHAT, "x", reply_markup=keyboard([InlineKeyboardButton("Có", callback_data=too_long)])
        )
    assert api.rejected[-1].description == "Bad Request: BUTTON_DATA_INVALID"


async def test_keyboard_shape_is_checked(bot: Bot) -> None:
    def button(n: int) -> InlineKeyboardButton:
        return InlineKeyboardButton(str(n), callback_data=str(n))

    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await bot.send_message(CHAT, "x", reply_markup=keyboard([button(n) for n in range(9)]))
    rows = [[button(r * 8 + c) for c in range(8)] for r in range(13)]  # 104 buttons
    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await bot.send_message(CHAT, "x", reply_markup=InlineKeyboardMarkup(rows))
    await bot.send_message(CHAT, "x", reply_markup=InlineKeyboardMarkup([*rows[:12], rows[12][:4]]))
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(CHAT, "x", reply_markup=keyboard([InlineKeyboardButton("only")]))


# ---- error injection --------------------------------------------------------------------------


async def test_blocked_chat_raises_forbidden(api: FakeTelegramAPI, bot: Bot) -> None:
    api.block(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "Nhắc lịch giao dịch")
    assert api.rejected[-1].error_code == 403

    api.make_my_chat_member(CHAT, status="member")  # the user unblocked the bot
    await bot.send_message(CHAT, "Chào mừng trở lại")
    api.make_my_chat_member(CHAT, status="kicked")
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "x")


@pytest.mark.filterwarnings("ignore:.*retry_after.*")  # PTB 22 announces a timedelta type
async def test_injected_429_raises_retry_after_once(api: FakeTelegramAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "x")
    assert retry_seconds(caught.value) == 7
    assert api.rejected[-1].description == "Too Many Requests: retry after 7"
    await bot.send_message(CHAT, "x")  # only the next call fails


async def test_injected_server_errors_raise_network_error(api: FakeTelegramAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", error_code=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(CHAT, "x")
    api.fail_next("sendmessage", error_code=500, description="Internal Server Error: restart")
    with pytest.raises(NetworkError, match="restart"):
        await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "x")


async def test_wrong_token_raises_invalid_token(api: FakeTelegramAPI) -> None:
    for token in ("123:WRONG", "not-a-token"):
        wrong = Bot(token, base_url=f"{api.root}/bot")
        try:
            with pytest.raises(InvalidToken):
                await wrong.initialize()
        finally:
            await wrong.shutdown()
    assert [r.error_code for r in api.rejected] == [401, 404]


async def test_closing_the_fake_releases_a_waiting_long_poll() -> None:
    fake = FakeTelegramAPI(token=TOKEN)
    await fake.start()
    async with Bot(TOKEN, base_url=f"{fake.root}/bot") as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await fake.wait_for_calls("getUpdates")
        await fake.close()
        assert await poll == ()


# ---- callback queries and edits ---------------------------------------------------------------


async def test_answer_callback_query_works_once(api: FakeTelegramAPI, bot: Bot) -> None:
    sent = await bot.send_message(
        CHAT, "Chọn", reply_markup=keyboard([InlineKeyboardButton("Có", callback_data="yes")])
    )
    update = Update.de_json(api.make_callback(CHAT, "yes"), bot)
    query = update.callback_query
    assert query.data == "yes"
    assert query.message.message_id == sent.message_id
    assert query.from_user.id == CHAT

    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await bot.answer_callback_query(query.id, text="x" * 201)
    assert await bot.answer_callback_query(query.id, text="Đã lưu")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await bot.answer_callback_query("12345")


async def test_edit_message_text(api: FakeTelegramAPI, bot: Bot) -> None:
    markup = keyboard([InlineKeyboardButton("Có", callback_data="yes")])
    sent = await bot.send_message(CHAT, "<b>Bước 1</b>", parse_mode="HTML", reply_markup=markup)

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>Bước 1</b>", CHAT, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    with pytest.raises(BadRequest, match=PARSE_ERROR):
        await bot.edit_message_text("<p>Bước 2</p>", CHAT, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", CHAT, 999)

    edited = await bot.edit_message_text("Bước 2", CHAT, sent.message_id)
    assert edited.text == "Bước 2" and edited.edit_date is not None
    record = api.last_message(CHAT)
    assert (record.text, record.buttons) == ("Bước 2", [])  # no reply_markup drops the keyboard

    await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=markup)
    assert api.last_message(CHAT).buttons == [[("Có", "yes")]]
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=markup)


# ---- updates ----------------------------------------------------------------------------------


async def test_update_builders_produce_real_updates(api: FakeTelegramAPI, bot: Bot) -> None:
    first = api.make_message(2002, "/start ref_1", first_name="Bình")
    second = api.make_my_chat_member(2002, status="kicked")
    assert second["update_id"] > first["update_id"]

    update = Update.de_json(first, bot)
    assert update.message.chat.type == "private"
    assert update.message.from_user.id == update.message.chat.id == 2002
    assert update.message.from_user.language_code == "vi"
    assert update.message.text == "/start ref_1"
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/start")
    assert isinstance(first["message"]["date"], int)

    member = Update.de_json(second, bot).my_chat_member
    assert member.new_chat_member.status == "kicked"
    assert member.new_chat_member.user.id == bot.id
    with pytest.raises(Forbidden):
        await bot.send_message(2002, "x")


async def test_get_updates_long_polls_and_honours_offset(api: FakeTelegramAPI, bot: Bot) -> None:
    assert await bot.get_updates(timeout=0) == ()

    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_for_calls("getUpdates", count=2)
    assert not poll.done()  # the request is waiting for an update
    api.enqueue(api.make_message(CHAT, "/start"))
    (first,) = await poll
    assert first.message.text == "/start"

    api.make_message(CHAT, "a", enqueue=True)
    api.make_message(CHAT, "b", enqueue=True)
    again = await bot.get_updates(timeout=0)  # not confirmed yet: served again
    assert again[0].update_id == first.update_id and len(again) == 3

    newer = await bot.get_updates(offset=first.update_id + 1, timeout=0)
    assert [u.message.text for u in newer] == ["a", "b"]
    limited = await bot.get_updates(offset=newer[0].update_id, limit=1)
    assert [u.message.text for u in limited] == ["a"]
    assert await bot.get_updates(offset=newer[-1].update_id + 1) == ()
    assert api.pending_updates == []


async def test_newer_get_updates_ends_an_older_one(api: FakeTelegramAPI) -> None:
    url = f"{api.root}/bot{TOKEN}/getUpdates"
    async with aiohttp.ClientSession() as session:

        async def poll(seconds: int) -> tuple[int, dict]:
            async with session.post(url, json={"timeout": seconds}) as response:
                return response.status, await response.json()

        older = asyncio.create_task(poll(30))
        await api.wait_for_calls("getUpdates")
        assert await poll(0) == (200, {"ok": True, "result": []})
        status, body = await older
        assert status == 409
        assert "terminated by other getUpdates request" in body["description"]


async def test_get_updates_conflicts_with_a_webhook(api: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
        await bot.set_webhook("http://example.org/hook")
    assert await bot.set_webhook("https://bot.example.org/hook", secret_token="s3cret_-")
    info = await bot.get_webhook_info()
    assert info.url == "https://bot.example.org/hook"

    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


# ---- the rest ---------------------------------------------------------------------------------


async def test_photo_upload_and_get_file_are_consistent(api: FakeTelegramAPI, bot: Bot) -> None:
    message = await bot.send_photo(
        CHAT, b"\xff\xd8fake-jpeg", caption="<i>Lịch</i>", parse_mode="HTML"
    )
    assert message.caption == "Lịch"
    file = await bot.get_file(message.photo[-1].file_id)
    assert file.file_size == len(b"\xff\xd8fake-jpeg")
    assert bytes(await file.download_as_bytearray()) == b"\xff\xd8fake-jpeg"
    assert api.last_message(CHAT).kind == "photo"

    document = await bot.send_document(CHAT, b"a,b\n1,2\n", filename="lich.csv")
    assert document.document.file_name == "lich.csv"
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(CHAT, message.photo[-1].file_id, caption="x" * 1025)


async def test_commands_round_trip(bot: Bot) -> None:
    commands = [BotCommand("start", "Bắt đầu"), BotCommand("lich_giao_dich", "Lịch giao dịch")]
    assert await bot.set_my_commands(commands, language_code="vi")
    assert await bot.get_my_commands(language_code="vi") == tuple(commands)
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Lịch", "x")])


async def test_raw_requests_json_query_and_case(api: FakeTelegramAPI) -> None:
    base = f"{api.root}/bot{TOKEN}"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/SENDMESSAGE", json={"chat_id": CHAT, "text": "hi"}) as r:
            assert r.status == 200 and (await r.json())["result"]["text"] == "hi"
        async with session.get(f"{base}/sendMessage", params={"chat_id": str(CHAT)}) as r:
            body = await r.json()
            assert body == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
        async with session.post(f"{base}/sendMessage", data={"text": "x"}) as r:
            assert (await r.json())["description"] == "Bad Request: chat_id is empty"
        async with session.post(
            f"{base}/sendMessage", data={"chat_id": CHAT, "text": "x", "reply_markup": "{"}
        ) as r:
            assert "can't parse reply keyboard markup" in (await r.json())["description"]
        async with session.post(f"{base}/sendSticker") as r:
            assert r.status == 404
            assert await r.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with session.post(f"{api.root}/bot123:WRONG/getMe") as r:
            assert r.status == 401
            assert await r.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
    assert [c.method for c in api.calls[:2]] == ["sendMessage", "sendMessage"]


async def test_reset_forgets_recordings(api: FakeTelegramAPI, bot: Bot) -> None:
    await bot.send_message(CHAT, "x")
    api.reset()
    assert api.calls == [] and api.messages(CHAT) == [] and api.last_message(CHAT) is None
    await bot.send_message(CHAT, "still a known chat")


def test_parser_helpers() -> None:
    assert utf16_len("😀a") == 3
    parsed = parse_html("<b>x</b> &amp; y")
    assert parsed.text == "x & y"
    assert parsed.entities == [{"type": "bold", "offset": 0, "length": 1}]
    assert parse_html("AT&T", strict=False).text == "AT&T"
    trimmed = render_text("  <b> Chào </b>  ", "HTML")
    assert trimmed.text == "Chào"
    assert trimmed.entities == [{"type": "bold", "offset": 0, "length": 4}]

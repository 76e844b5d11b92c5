"""PTB's requests over aiohttp (bot/telegram_http.py): errors as PTB's own HTTP layer
raises them, and never the token in their text."""

from __future__ import annotations

import asyncio
import socket

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.telegram_http import AiohttpRequest
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:TEST-token_for-vbsp"


async def test_messages_buttons_and_files_reach_the_bot_api():
    async with FakeTelegramAPI(token=TOKEN) as api:
        api.add_chat(42)
        async with Bot(TOKEN, base_url=f"{api.root}/bot", request=AiohttpRequest()) as bot:
            sent = await bot.send_message(
                42, "<b>Chào</b> bạn &amp; bạn", parse_mode="HTML",
                reply_markup={"inline_keyboard": [[{"text": "Menu", "callback_data": "menu"}]]},
            )  # fmt: skip
            await bot.send_document(42, b"%PDF-1.4 tiny", filename="bao-cao.pdf")
            with pytest.raises(BadRequest, match="Chat not found"):
                await bot.send_message(43, "ai đó")
        assert sent.message_id == api.last_message(42).message_id - 1
        first, document = api.messages(42)
        assert first.plain_text == "Chào bạn & bạn" and first.buttons == [[("Menu", "menu")]]
        assert api.file_content(document.file_id) == b"%PDF-1.4 tiny"


async def test_a_refused_connection_is_a_network_error_without_the_token():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert TOKEN not in str(raised.value) and "127.0.0.1" not in str(raised.value)


async def test_an_answer_that_never_comes_times_out():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(read_timeout=0.3)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await asyncio.wait_for(request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe"), 3)
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()

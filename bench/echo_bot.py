"""A bare python-telegram-bot echo bot behind a webhook: the yardstick of bench/dialogs.py.

    TELEGRAM_BOT_TOKEN=… TELEGRAM_API_BASE_URL=… TELEGRAM_WEBHOOK_SECRET=… \
        python bench/echo_bot.py --port 8081

PTB's own webhook server needs tornado, which the project does not install, so the updates
come through an aiohttp route shaped like the bot's (bot/webhook.py): secret header checked,
body parsed by ``Update.de_json``, handled by ``Application.process_update`` before the
answer (as the bot handles an update before it answers, so both are timed the same way).
It echoes a text message, and a button press by answering the query and sending its data.
Nothing else: no database, no rate limiter, no logging setup. With ``--aiohttp`` its Bot API
requests go over the bot's own HTTP layer (bot/telegram_http.py) instead of PTB's httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.telegram_http import AiohttpRequest

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def echo(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    await query.answer()
    await context.bot.send_message(update.effective_chat.id, query.data or "?")


@asynccontextmanager
async def echo_web_app(
    token: str, api_root: str, secret: str, aiohttp_requests: bool = False
) -> AsyncIterator[web.Application]:
    """The echo bot's webhook app (POST /telegram/webhook), its PTB application running."""
    builder = (
        Application.builder()
        .token(token)
        .base_url(f"{api_root}/bot")
        .base_file_url(f"{api_root}/file/bot")
        .updater(None)
    )
    if aiohttp_requests:
        builder = builder.request(AiohttpRequest())
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(echo_button))

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise web.HTTPForbidden()
        update = Update.de_json(await request.json(), application.bot)
        await application.process_update(update)
        return web.json_response({"ok": True})

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/telegram/webhook", webhook)
    app.router.add_get("/healthz", healthz)
    async with application:  # initialize (getMe) ... shutdown
        await application.start()
        try:
            yield app
        finally:
            await application.stop()


async def serve(port: int, aiohttp_requests: bool) -> None:
    env = os.environ
    token, root, secret = (
        env["TELEGRAM_BOT_TOKEN"],
        env["TELEGRAM_API_BASE_URL"],
        env["TELEGRAM_WEBHOOK_SECRET"],
    )
    async with echo_web_app(token, root, secret, aiohttp_requests) as app:
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--aiohttp", action="store_true", help="bot/telegram_http.py requests")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.aiohttp))

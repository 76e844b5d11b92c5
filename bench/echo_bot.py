"""A bare python-telegram-bot echo bot behind a webhook: the yardstick of bench/dialogs.py.

PTB's own webhook server needs tornado, which the project does not install, so the updates
come through an aiohttp route shaped like the bot's (bot/webhook.py): secret header checked,
body parsed by ``Update.de_json``, handled by ``Application.process_update`` before the
answer (as the bot handles an update before it answers, so both are timed the same way).
It echoes a text message, and a button press by answering the query and sending its data.
Nothing else: no database, no rate limiter, no logging setup.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

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
async def echo_web_app(token: str, api_root: str, secret: str) -> AsyncIterator[web.Application]:
    """The echo bot's webhook app (POST /telegram/webhook), its PTB application running."""
    application = (
        Application.builder()
        .token(token)
        .base_url(f"{api_root}/bot")
        .base_file_url(f"{api_root}/file/bot")
        .updater(None)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(echo_button))

    async def webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise web.HTTPForbidden()
        update = Update.de_json(await request.json(), application.bot)
        await application.process_update(update)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/telegram/webhook", webhook)
    async with application:  # initialize (getMe) ... shutdown
        await application.start()
        try:
            yield app
        finally:
            await application.stop()

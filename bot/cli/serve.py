"""`vbsp-bot serve`, `poll` and `webhook set|delete`: running the bot on its channels."""

from __future__ import annotations

import argparse
import asyncio
import logging

from bot.cli import common
from bot.config import ConfigError, Settings

log = logging.getLogger("bot")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="HTTP server for webhooks plus the scheduler")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=common.port, default=8080)
    serve.set_defaults(func=run_serve)

    poll = sub.add_parser("poll", help="long polling (Telegram and/or Zalo) plus the scheduler")
    poll.set_defaults(func=run_poll)

    webhook = sub.add_parser("webhook", help="register the Telegram or Zalo webhook (serve)")
    webhook_sub = webhook.add_subparsers(dest="action", required=True, metavar="ACTION")
    webhook_set = webhook_sub.add_parser("set", help="point the platform at URL")
    webhook_set.add_argument(
        "url", metavar="URL", help="public https URL of POST /telegram/webhook (or /zalo/webhook)"
    )
    webhook_delete = webhook_sub.add_parser("delete", help="remove it (before switching to poll)")
    webhook_delete.set_defaults(url=None)
    for command in (webhook_set, webhook_delete):
        command.add_argument(
            "--channel", choices=("telegram", "zalo"), default="telegram", help="default telegram"
        )
        command.set_defaults(func=run_webhook)


def run_serve(args: argparse.Namespace) -> int:
    asyncio.run(serve(common.settings(), args.host, args.port))
    return 0


def run_poll(args: argparse.Namespace) -> int:
    asyncio.run(poll(common.settings()))
    return 0


def run_webhook(args: argparse.Namespace) -> int:
    asyncio.run(webhook(common.settings(), args.action, args.url, args.channel))
    return 0


async def serve(settings: Settings, host: str, port: int) -> None:
    from aiohttp import web

    from bot.app import running
    from bot.logs import RouteAccessLogger
    from bot.webhook import build_web_app

    mode = "webhook" if settings.telegram_bot_token else None
    zalo = "webhook" if settings.zalo_bot_token else None
    zalo_oa = "webhook" if settings.zalo_oa_configured else None
    clock = common.process_clock()
    async with running(
        settings, telegram=mode, zalo=zalo, zalo_oa=zalo_oa, scheduler=True, clock=clock
    ) as runtime:
        runner = web.AppRunner(
            build_web_app(runtime), handle_signals=False, access_log_class=RouteAccessLogger
        )
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, host, port).start()
            except (OSError, OverflowError) as exc:
                raise ConfigError(
                    f"--host/--port: cannot listen on {host}:{port} ({exc})"
                ) from None
            if runtime.telegram is not None:
                await runtime.telegram.set_commands()
            channels = (
                ("telegram", runtime.telegram),
                ("zalo", runtime.zalo),
                ("zalo-oa", runtime.zalo_oa),
            )
            live = [name for name, channel in channels if channel]
            if live:
                log.info("channels on: %s", ", ".join(live))
            else:
                # The webhook paths answer 404 without their channel: say so plainly.
                log.warning(
                    "no channel is on: set TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN "
                    "or the ZALO_OA_* settings"
                )
            routes = ", ".join([*(f"POST /{name}/webhook" for name in live), "GET /healthz"])
            log.info("serving on http://%s:%d (%s)", host, port, routes)
            await common.wait_for_stop()
        finally:
            await runner.cleanup()


async def poll(settings: Settings) -> None:
    """Long polling of every configured channel (Zalo's poller removes its webhook first)."""
    from bot.app import running

    telegram = "polling" if settings.telegram_bot_token else None
    zalo = "polling" if settings.zalo_bot_token else None
    if telegram is None and zalo is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN: required to poll (or ZALO_BOT_TOKEN for Zalo)")
    # The Official Account has no polling (events come only by webhook, `serve`); its
    # people still get their reminders and announcements from here.
    zalo_oa = "send" if settings.zalo_oa_configured else None
    # Each channel's poller removes a webhook set before, and stops with the runtime.
    clock = common.process_clock()
    async with running(
        settings, telegram=telegram, zalo=zalo, zalo_oa=zalo_oa, scheduler=True, clock=clock
    ) as runtime:
        if runtime.telegram is not None:
            await runtime.telegram.set_commands()
        log.info("long polling started: telegram=%s, zalo=%s", telegram or "off", zalo or "off")
        await common.wait_for_stop()


async def webhook(
    settings: Settings, action: str, url: str | None, channel: str = "telegram"
) -> None:
    """Register (or remove) this bot's webhook with Telegram or Zalo, secret included."""
    if channel == "zalo":
        await zalo_webhook(settings, action, url)
        return
    from telegram import Bot, Update

    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN: required to manage the webhook")
    token = settings.telegram_bot_token.get_secret_value()
    async with Bot(token, base_url=f"{settings.telegram_api_base_url}/bot") as bot:
        if action == "delete":
            await bot.delete_webhook()
            print("webhook removed; use `vbsp-bot poll` or set it again")
            return
        if settings.telegram_webhook_secret is None:
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET: required to set the webhook")
        if not url or not url.startswith("https://"):
            raise ConfigError("webhook set: URL must start with https://")
        await bot.set_webhook(
            url,
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER],
        )
        print(f"webhook set: Telegram now posts updates to {url}")


async def zalo_webhook(settings: Settings, action: str, url: str | None) -> None:
    """`webhook set|delete --channel zalo`: the Zalo Bot Platform's setWebhook/deleteWebhook."""
    from bot.zalo_api import ZaloApi

    if settings.zalo_bot_token is None:
        raise ConfigError("ZALO_BOT_TOKEN: required to manage the Zalo webhook")
    token = settings.zalo_bot_token.get_secret_value()
    async with ZaloApi(token, settings.zalo_api_base_url) as api:
        if action == "delete":
            await api.delete_webhook()
            print("Zalo webhook removed; use `vbsp-bot poll` or set it again")
            return
        secret = settings.zalo_webhook_secret
        if secret is None or not 8 <= len(secret.get_secret_value()) <= 256:
            raise ConfigError("ZALO_WEBHOOK_SECRET: required to set the webhook, 8-256 characters")
        if not url or not url.startswith("https://"):
            raise ConfigError("webhook set: URL must start with https://")
        await api.set_webhook(url, secret.get_secret_value())
        print(f"webhook set: Zalo now posts events to {url}")

"""The HTTP server of `vbsp-bot serve`: platform webhooks, health and metrics."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.app import Runtime
from storage import outbox
from storage.db import ping

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", Runtime)
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"
# Updates are small; anything larger than this is not one.
MAX_BODY_BYTES = 1 << 20


async def telegram_webhook(request: web.Request) -> web.Response:
    """One Telegram update: handled before we answer, so one chat's updates stay in order."""
    runtime = request.app[RUNTIME]
    channel = runtime.telegram
    secret = runtime.settings.telegram_webhook_secret
    if channel is None or secret is None:
        raise web.HTTPNotFound()
    given = request.headers.get(TELEGRAM_SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        raise web.HTTPForbidden(text="wrong secret token")
    try:
        body = await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="body is not JSON") from None
    update_id = body.get("update_id") if isinstance(body, dict) else None
    if type(update_id) is not int or update_id < 0:  # not True, not "1", not -1
        raise web.HTTPBadRequest(text="body is not a Telegram update")
    try:
        update = Update.de_json(body, channel.bot)
    except Exception:
        raise web.HTTPBadRequest(text="body is not a Telegram update") from None
    await channel.handle_update(update)
    return web.json_response({"ok": True})


async def zalo_webhook(request: web.Request) -> web.Response:
    """One Zalo event: handled before we answer, so one chat's events stay in order."""
    from bot.zalo import NotAnEvent, parse_event

    runtime = request.app[RUNTIME]
    channel = runtime.zalo
    secret = runtime.settings.zalo_webhook_secret
    if channel is None or secret is None:
        raise web.HTTPNotFound()
    given = request.headers.get(ZALO_SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        raise web.HTTPForbidden(text="wrong secret token")
    raw = await request.read()
    if not raw.strip():
        return web.json_response({"ok": True})  # Zalo's probe when the URL is registered
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="body is not JSON") from None
    if body == {}:
        return web.json_response({"ok": True})  # the same probe, as JSON
    try:
        event = parse_event(body)
    except NotAnEvent:
        raise web.HTTPBadRequest(text="body is not a Zalo event") from None
    if event is not None:
        await channel.handle_event(event)
    return web.json_response({"ok": True})


async def healthz(request: web.Request) -> web.Response:
    ok = await ping(request.app[RUNTIME].engine)
    return web.json_response(
        {"status": "ok" if ok else "error", "db": "ok" if ok else "unreachable"},
        status=200 if ok else 503,
    )


async def metrics(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    try:  # read at scrape time: the queue is shared by every process of the deployment
        async with runtime.deps.sessions() as session:
            depth = await outbox.queue_depth(session, runtime.deps.clock())
    except Exception:  # a database down shows in /healthz; the counters still serve
        log.exception("could not read the queue depth for /metrics")
    else:
        runtime.metrics.set_queue_depth(depth, list(runtime.sender.transports))
    body = runtime.metrics.render()
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})


def build_web_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[RUNTIME] = runtime
    app.router.add_post("/telegram/webhook", telegram_webhook)
    app.router.add_post("/zalo/webhook", zalo_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app

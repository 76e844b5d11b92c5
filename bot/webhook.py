"""The HTTP server of `vbsp-bot serve`: platform webhooks, health and metrics."""

from __future__ import annotations

import hmac
import json
import logging
import math
from typing import Any

from aiohttp import web
from telegram import Update

from bot.app import Runtime
from bot.telegram_shape import MAX_ID, NotAnUpdate, check_update
from storage import outbox
from storage.db import ping
from storage.errors import database_unreachable

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", Runtime)
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"
# Updates are small; anything larger than this is not one.
MAX_BODY_BYTES = 1 << 20
# Real updates nest a few levels (a button's message in a callback query is the deepest);
# deeper JSON is not an update, and PTB's parser would recurse through all of it.
MAX_DEPTH = 32
MAX_NUMBER_DIGITS = 20  # ids fit in 64 bits; a number longer than this is not one


class NotJSON(ValueError):
    """The body is not JSON we parse (bad syntax, too deep, absurd numbers)."""


def secret_matches(request: web.Request, header: str, secret: str) -> bool:
    """The header's raw bytes against the secret, in constant time. Bytes, because a header
    that is not ASCII (bytes such as 0xFF) cannot be encoded back from the str aiohttp made."""
    wanted = header.lower().encode()
    given = next((v for k, v in request.raw_headers if k.lower() == wanted), b"")
    return hmac.compare_digest(given, secret.encode())


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise NotJSON("number too long")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotJSON("number out of range")
    return value


def _no_constant(name: str) -> Any:
    raise NotJSON(f"{name} is not JSON")


def load_body(raw: bytes) -> Any:
    """The body as JSON, or NotJSON; never a RecursionError or a number of 4,000 digits."""
    try:
        body = json.loads(
            raw, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant
        )
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        raise NotJSON("not JSON") from None
    stack = [(body, 1)]
    while stack:  # iterative: a deep body must not exhaust the stack here either
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise NotJSON("nested too deep")
            stack.extend((child, depth + 1) for child in children)
    return body


def _refused(channel: str, reason: str) -> web.HTTPBadRequest:
    # One line, with the reason's name only: never an id or what a user wrote.
    log.info("%s webhook: refused a body that is not an update (%s)", channel, reason)
    return web.HTTPBadRequest(text=f"body is not a {channel} update")


def _ignored(reason: str) -> web.Response:
    log.info("Telegram webhook: ignored an update it cannot use (%s)", reason)
    return web.json_response({"ok": True})


def _retry_later(channel: str) -> web.Response:
    """The database is down: the platform sends the update again later (both retry 5xx)."""
    log.warning("%s update not handled: the database is unreachable; answered 503", channel)
    return web.Response(status=503, text="database unavailable; send again later")


async def telegram_webhook(request: web.Request) -> web.Response:
    """One Telegram update: handled before we answer, so one chat's updates stay in order."""
    runtime = request.app[RUNTIME]
    channel = runtime.telegram
    secret = runtime.settings.telegram_webhook_secret
    if channel is None or secret is None:
        raise web.HTTPNotFound()
    if not secret_matches(request, TELEGRAM_SECRET_HEADER, secret.get_secret_value()):
        raise web.HTTPForbidden(text="wrong secret token")
    try:
        body = load_body(await request.read())
    except NotJSON as problem:
        raise _refused("Telegram", str(problem)) from None
    if not isinstance(body, dict):
        raise _refused("Telegram", "not an object")
    update_id = body.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= MAX_ID:  # not True, "1", -1
        raise _refused("Telegram", "no update_id")
    # An update whose fields are not what we read is taken (200) and ignored, not refused:
    # Telegram resends anything but a 2xx for a day, and holds that chat's later updates
    # back meanwhile, so a 4xx for a shape a new Bot API version brought would stall it.
    try:
        kind = check_update(body)
        update = Update.de_json(body, channel.bot) if kind is not None else None
    except NotAnUpdate as problem:
        return _ignored(str(problem))
    except Exception:
        return _ignored("PTB could not read it")
    if update is None:  # a kind of update the bot does not act on
        channel.metrics.updates.labels("telegram").inc()
        return web.json_response({"ok": True})
    try:
        await channel.handle_update(update)
    except Exception as error:
        if not database_unreachable(error):
            raise
        return _retry_later("Telegram")
    return web.json_response({"ok": True})


async def zalo_webhook(request: web.Request) -> web.Response:
    """One Zalo event: handled before we answer, so one chat's events stay in order."""
    from bot.zalo import NotAnEvent, parse_event

    runtime = request.app[RUNTIME]
    channel = runtime.zalo
    secret = runtime.settings.zalo_webhook_secret
    if channel is None or secret is None:
        raise web.HTTPNotFound()
    if not secret_matches(request, ZALO_SECRET_HEADER, secret.get_secret_value()):
        raise web.HTTPForbidden(text="wrong secret token")
    raw = await request.read()
    if not raw.strip():
        return web.json_response({"ok": True})  # Zalo's probe when the URL is registered
    try:
        body = load_body(raw)
    except NotJSON as problem:
        raise _refused("Zalo", str(problem)) from None
    if body == {}:
        return web.json_response({"ok": True})  # the same probe, as JSON
    try:
        event = parse_event(body)
    except NotAnEvent as problem:
        raise _refused("Zalo", str(problem)) from None
    if event is not None:
        try:
            await channel.handle_event(event)
        except Exception as error:
            if not database_unreachable(error):
                raise
            return _retry_later("Zalo")
    return web.json_response({"ok": True})


def _raw_header(request: web.Request, name: str) -> bytes | None:
    """A header's raw bytes (None when absent): compared as sent, never decoded first."""
    wanted = name.lower().encode()
    return next((v for k, v in request.raw_headers if k.lower() == wanted), None)


async def zalo_oa_webhook(request: web.Request) -> web.Response:
    """One Zalo Official Account event: its signature is checked on the raw bytes before
    anything is parsed (401 when wrong), then kept and handled, in each person's order; the
    answer waits for the handling 1.5 s at most (Zalo wants it within 2 s)."""
    from bot.zalo_oa import (
        SIGNATURE_HEADER,
        TIMESTAMP_HEADER,
        NotAnEvent,
        parse_event,
        verified_timestamp,
    )

    runtime = request.app[RUNTIME]
    channel = runtime.zalo_oa
    settings = runtime.settings
    if channel is None or settings.zalo_oa_app_id is None or settings.zalo_oa_secret_key is None:
        raise web.HTTPNotFound()
    raw = await request.read()
    signature = _raw_header(request, SIGNATURE_HEADER)
    if signature is None:
        if raw.strip() in (b"", b"{}"):
            return web.json_response({"ok": True})  # Zalo's unsigned probe of a new URL
        log.info("Zalo OA webhook: refused an unsigned body")
        raise web.HTTPUnauthorized(text="missing signature")
    stamp = verified_timestamp(
        raw,
        signature,
        _raw_header(request, TIMESTAMP_HEADER),
        settings.zalo_oa_app_id,
        settings.zalo_oa_secret_key.get_secret_value(),
    )
    if stamp is None:
        log.info("Zalo OA webhook: refused a body with a wrong signature")
        raise web.HTTPUnauthorized(text="wrong signature")
    # Signed by Zalo, yet not an event we can read (a shape a new API version brought):
    # taken (200) and ignored, as for Telegram. A 4xx would be retried for hours, and
    # Zalo switches off a webhook that keeps failing.
    try:
        body = load_body(raw)
        event = parse_event(body, stamp) if body != {} else None
    except (NotJSON, NotAnEvent) as problem:
        log.warning("Zalo OA webhook: ignored a signed body it cannot read (%s)", problem)
        channel.metrics.updates.labels("zalo_oa").inc()
        return web.json_response({"ok": True})
    if event is not None:
        try:
            await channel.take(event, body)
        except Exception as error:
            if not database_unreachable(error):
                raise
            return _retry_later("Zalo OA")
    else:
        channel.metrics.updates.labels("zalo_oa").inc()  # an echo, a receipt: taken, ignored
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
    app.router.add_post("/zalo-oa/webhook", zalo_oa_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    from bot import console  # the staff console under /staff (bot/console/)

    console.setup(app, runtime)
    return app

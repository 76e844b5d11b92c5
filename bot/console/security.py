"""What every console response carries, and the pages for errors.

The policy is an allow-list: scripts, styles, images and form targets from the console's own
origin only; no inline script; no framing; no Referer (a sign-in link's token must not leak
to another site); no caching of pages (a shared office computer's Back button must not show a
report after sign-out).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp_jinja2
from aiohttp import web

from bot.console.staff import RUNTIME, STAFF, request_lang

log = logging.getLogger(__name__)

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _lang(request: web.Request) -> str:
    staff = request.get(STAFF)
    return staff.lang if staff is not None else request_lang(request)


def error_page(request: web.Request, status: int, key: str) -> web.Response:
    lang = _lang(request)
    content = request.app[RUNTIME].content

    def t(name: str, **values: object) -> str:
        return content.text(name, lang, **values)

    return aiohttp_jinja2.render_template(
        "message.html",
        request,
        {"t": t, "lang": lang, "title": t(f"{key}_title"), "text": t(key), "nav": [],
         "staff": None, "flash": [], "path": request.path},
        status=status,
    )  # fmt: skip


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every answer; kind pages for 404, 403 and failures."""
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = error_page(request, 404, "console.not_found")
    except web.HTTPForbidden:
        response = error_page(request, 403, "console.forbidden")
    except web.HTTPRequestEntityTooLarge:
        response = error_page(request, 413, "console.too_large")
    except web.HTTPMethodNotAllowed:
        response = error_page(request, 405, "console.not_found")
    except web.HTTPException as answer:  # redirects, 400s a page chose: as they are
        answer.headers.update(HEADERS)
        raise
    except Exception:
        log.exception("console page failed: %s %s", request.method, request.match_info.route)
        response = error_page(request, 500, "console.error")
    response.headers.update(HEADERS)
    if response.content_type == "image/svg+xml":
        # A chart opened on its own: its own styles, never a script.
        response.headers["Content-Security-Policy"] = SVG_CSP
    if not request.path.startswith("/staff/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response

"""How long the server took over each console page: a ``Server-Timing: app;dur=<ms>`` header.

Measured around everything the console does for a request (the session, the roles, the page's
queries, the template, an error page), and nothing the network or the client adds: the figure
bench/console.py reports, and one a browser's developer tools show on every page in production.
It tells the time and nothing else (no query names), so it gives nothing away.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

HEADER = "Server-Timing"
METRIC = "app"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def value(seconds: float) -> str:
    """The header's value for a request that took ``seconds``."""
    return f"{METRIC};dur={seconds * 1000:.1f}"


@web.middleware
async def server_timing(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The outermost console middleware: every answer carries its time, redirects too."""
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as answer:  # a redirect or a status a page chose
        answer.headers[HEADER] = value(time.perf_counter() - started)
        raise
    if not response.prepared:  # a streamed answer has sent its headers already
        response.headers[HEADER] = value(time.perf_counter() - started)
    return response

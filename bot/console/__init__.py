"""The staff console: web pages for moderators, officials and admins, served under /staff by
the same aiohttp application as the webhooks (bot/webhook.py).

A sub-application, so that its own limits (forms with a photo or a CSV are larger than an
update) and its security headers apply to it alone. Each module lists its pages in a
``routes`` table written with their full paths (/staff/...), as they appear in links.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import aiohttp_jinja2
import jinja2
import markupsafe
from aiohttp import web

from bot.app import Runtime
from bot.console import (
    admin,
    broadcasts,
    dashboard,
    points,
    reports,
    security,
    signin,
    timing,
)
from bot.console.staff import RUNTIME

PREFIX = "/staff"
STATIC = Path(__file__).parent / "static"
MAX_FORM_BYTES = 12 << 20  # a photo for a broadcast, a schedule CSV

# The view modules, each with its ``routes``; an area of the console adds its module here.
MODULES: tuple[ModuleType, ...] = (signin, dashboard, reports, points, broadcasts, admin)


def build(runtime: Runtime) -> web.Application:
    app = web.Application(
        client_max_size=MAX_FORM_BYTES, middlewares=[timing.server_timing, security.guard]
    )
    app[RUNTIME] = runtime
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("bot.console", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["PREFIX"] = PREFIX
    env.globals["csrf_field"] = csrf_field
    for module in MODULES:
        for route in module.routes:
            assert isinstance(route, web.RouteDef), route
            path = route.path.removeprefix(PREFIX) or "/"
            app.router.add_route(route.method, path, route.handler, **route.kwargs)
    app.router.add_static("/static/", STATIC, name="static", append_version=True)
    return app


@jinja2.pass_context
def csrf_field(context: jinja2.runtime.Context) -> markupsafe.Markup:
    """The hidden form-token field every form of the console carries."""
    return markupsafe.Markup('<input type="hidden" name="csrf" value="{}">').format(context["csrf"])


async def _to_home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(f"{PREFIX}/")


def setup(app: web.Application, runtime: Runtime) -> None:
    """Serve the console under /staff in ``app`` (its first page is /staff/)."""
    app.router.add_get(PREFIX, _to_home)
    app.add_subapp(PREFIX, build(runtime))

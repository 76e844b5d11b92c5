"""One console request's view of the world, and the decorator every console page goes through.

``@staff_page(role)`` does, for every request and exactly as chat does for every message:
find the session the cookie names, read the person's roles now (a revoke takes effect at the
next click), build the handlers' Context of that person, check the role anywhere (else 404:
a section one lacks does not exist), check the form token on every POST, and run the page in
one transaction. Each page then checks the area of what it touches with the same functions
chat uses (handlers/…); what lies outside it is a 404.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import Runtime
from bot.console.nav import NAV, NavItem
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.dispatch import Deps, staff_context
from storage import console
from storage.console_models import StaffSession
from storage.db import transaction
from storage.models import Role

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("console_runtime", Runtime)
COOKIE = "vbsp_staff"
LANG_COOKIE = "vbsp_lang"
LANGS = ("vi", "en")
STAFF = web.RequestKey("staff", "Staff")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

View = Callable[[web.Request, "Staff"], Awaitable[web.StreamResponse]]


@dataclass
class Staff:
    """The signed-in person, their roles as held now, and the request's transaction."""

    request: web.Request
    deps: Deps
    session: AsyncSession
    ctx: Context
    row: StaffSession
    grants: list[Role]
    _flash: list[str] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.ctx.lang

    @property
    def now(self) -> dt.datetime:
        return self.ctx.now

    @property
    def actor(self) -> str:
        """Who acts, for the audit log: the same 'telegram:123' as in chat."""
        return roles.actor(self.ctx)

    @property
    def csrf(self) -> str:
        return self.row.csrf

    @property
    def name(self) -> str:
        me = self.ctx.me
        return me.display_name or f"{me.channel}:{me.channel_user_id}"

    def t(self, key: str, **values: Any) -> str:
        """A console text in the page's language (plain: the template escapes it)."""
        return self.deps.content.text(key, self.lang, **values)

    def holds(self, role: str | None) -> bool:
        """Does this person act as ``role`` anywhere (admins count for every role)?"""
        if role is None:
            return bool(self.grants)
        return any(g.role in (role, "admin") for g in self.grants)

    async def areas(self, role: str) -> list[str | None]:
        return await roles.areas_of(self.ctx, role)

    def flash(self, text: str) -> None:
        """A line shown once, on the next page (after a POST's redirect)."""
        self._flash.append(text)

    def nav(self) -> list[NavItem]:
        return [item for item in NAV if self.holds(item.role)]


def session_ttl(request: web.Request) -> dt.timedelta:
    return dt.timedelta(hours=request.app[RUNTIME].settings.console_session_hours)


def request_lang(request: web.Request) -> str:
    """The language of a page for someone not signed in: their switch, else Vietnamese."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LANGS else "vi"


async def form_token_ok(request: web.Request, expected: str) -> bool:
    """The form's hidden token (or the X-CSRF-Token header of a script) against the session's,
    in constant time."""
    given = request.headers.get("X-CSRF-Token")
    if given is None:
        form = await request.post()
        value = form.get("csrf")
        given = value if isinstance(value, str) else ""
    return hmac.compare_digest(given.encode(), expected.encode())


def staff_page(role: str | None = None) -> Callable[[View], Callable[[web.Request], Any]]:
    """Wrap a console view: signed in, holding ``role`` (anywhere), form token, transaction."""

    def wrap(view: View) -> Callable[[web.Request], Any]:
        @functools.wraps(view)
        async def handler(request: web.Request) -> web.StreamResponse:
            runtime = request.app[RUNTIME]
            deps = runtime.deps
            token = request.cookies.get(COOKIE)
            if not token:
                raise web.HTTPSeeOther("/staff/signin")
            async with transaction(deps.sessions) as session:
                now = deps.clock()
                row = await console.find_session(session, token, now)
                if row is None:
                    raise _signed_out()
                ctx = await staff_context(session, deps, row.channel, row.channel_user_id, row.lang)
                grants = await roles.roles_of(ctx) if ctx is not None else []
                if ctx is None or not grants:  # every role gone: so is the console
                    await console.end_session(session, token)
                    raise _signed_out()
                staff = Staff(request, deps, session, ctx, row, grants)
                if role is not None and not staff.holds(role):
                    raise web.HTTPNotFound()
                if request.method in UNSAFE_METHODS and not await form_token_ok(request, row.csrf):
                    raise web.HTTPForbidden()
                request[STAFF] = staff
                moved: web.HTTPRedirection | None = None
                try:
                    response: web.StreamResponse | None = await view(request, staff)
                except web.HTTPRedirection as redirect:  # POST, redirect, GET: keep the work
                    response, moved = None, redirect
                if staff._flash:
                    row.flash = "\n".join([*(row.flash or "").splitlines(), *staff._flash])
                    session.add(row)
            if moved is not None:
                raise moved  # after the commit
            assert response is not None
            return response

        return handler

    return wrap


def _signed_out() -> web.HTTPSeeOther:
    return web.HTTPSeeOther("/staff/signin?ended=1")


def render(
    staff: Staff, template: str, values: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    """A page from ``templates/``, with the frame's values (texts, nav, form token, flash)."""
    shown = staff.row.flash
    if shown:
        staff.row.flash = None
        staff.session.add(staff.row)
    frame = {
        "staff": staff,
        "t": staff.t,
        "lang": staff.lang,
        "csrf": staff.csrf,
        "nav": staff.nav(),
        "flash": shown.splitlines() if shown else [],
        "path": staff.request.path,
    }
    return aiohttp_jinja2.render_template(
        template, staff.request, {**frame, **(values or {})}, status=status
    )


def see_other(path: str) -> web.HTTPSeeOther:
    """After a POST: the page to show (POST, redirect, GET). Raise it or return it."""
    if not path.startswith("/staff"):
        raise ValueError(f"console redirects stay in the console: {path!r}")
    return web.HTTPSeeOther(path)

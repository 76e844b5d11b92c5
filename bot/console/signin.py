"""Signing in with the single-use link the bot sent, signing out, and the language switch.

Opening the link shows a page with one button; only pressing it spends the link. Chat apps
open links to draw a preview, and a preview must not use up (or worse, take) someone's
sign-in.
"""

from __future__ import annotations

import secrets
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.console.staff import (
    COOKIE,
    LANG_COOKIE,
    LANGS,
    RUNTIME,
    Staff,
    form_token_ok,
    render,
    request_lang,
    session_ttl,
    staff_page,
)
from storage import console
from storage.db import transaction

routes = web.RouteTableDef()
MAX_TOKEN = 64
SIGNIN_COOKIE = "vbsp_signin"


def _plain(request: web.Request, template: str, values: dict[str, Any], status: int = 200):  # type: ignore[no-untyped-def]
    """A page for someone not signed in, in the language of their switch."""
    lang = request_lang(request)
    content = request.app[RUNTIME].content

    def t(key: str, **more: Any) -> str:
        return content.text(key, lang, **more)

    frame = {"t": t, "lang": lang, "nav": [], "staff": None, "flash": [], "path": request.path}
    return aiohttp_jinja2.render_template(template, request, {**frame, **values}, status=status)


def _secure(request: web.Request) -> bool:
    base = request.app[RUNTIME].settings.public_base_url or ""
    return not base.startswith("http://")


@routes.get("/staff/signin")
async def how_to_sign_in(request: web.Request) -> web.StreamResponse:
    ended = request.query.get("ended") == "1"
    out = request.query.get("out") == "1"
    return _plain(request, "signin_help.html", {"ended": ended, "out": out})


@routes.get("/staff/signin/{token}")
async def confirm(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    deps = request.app[RUNTIME].deps
    usable = False
    if len(token) <= MAX_TOKEN:
        async with deps.sessions() as session:
            usable = await console.peek_link(session, token, deps.clock()) is not None
    if not usable:
        return _plain(request, "signin.html", {"usable": False}, status=410)
    # The form's token, also in a cookie that only this site's own pages send back: a page
    # elsewhere cannot sign a browser in to someone else's session (login CSRF).
    nonce = secrets.token_urlsafe(24)
    response = _plain(request, "signin.html", {"usable": True, "token": token, "csrf": nonce})
    response.set_cookie(
        SIGNIN_COOKIE, nonce, max_age=600, path="/staff/signin", httponly=True,
        secure=_secure(request), samesite="Strict",
    )  # fmt: skip
    return response


@routes.post("/staff/signin/{token}")
async def sign_in(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    runtime = request.app[RUNTIME]
    deps = runtime.deps
    if len(token) > MAX_TOKEN:
        return _plain(request, "signin.html", {"usable": False}, status=410)
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    if not nonce or not await form_token_ok(request, nonce):
        raise web.HTTPForbidden()
    async with transaction(deps.sessions) as session:
        now = deps.clock()
        link = await console.use_link(session, token, now)
        if link is None:
            opened = None
        else:
            opened, _ = await console.open_session(
                session,
                link.channel,
                link.channel_user_id,
                now,
                session_ttl(request),
                request_lang(request),
            )
    if opened is None:
        return _plain(request, "signin.html", {"usable": False}, status=410)
    response = web.HTTPSeeOther("/staff/")
    response.del_cookie(SIGNIN_COOKIE, path="/staff/signin")
    response.set_cookie(
        COOKIE,
        opened,
        max_age=int(session_ttl(request).total_seconds()),
        path="/staff",
        httponly=True,
        secure=_secure(request),
        samesite="Strict",
    )
    raise response


@routes.post("/staff/signout")
@staff_page()
async def sign_out(request: web.Request, staff: Staff) -> web.StreamResponse:
    await console.end_session(staff.session, request.cookies.get(COOKIE, ""))
    response = web.HTTPSeeOther("/staff/signin?out=1")
    response.del_cookie(COOKIE, path="/staff")
    raise response


@routes.get("/staff/lang/{lang}")
async def switch_language(request: web.Request) -> web.StreamResponse:
    """The Vietnamese/English switch: remembered in a cookie, and in the session if any."""
    lang = request.match_info["lang"]
    if lang not in LANGS:
        raise web.HTTPNotFound()
    back = request.query.get("next", "/staff/")
    if not back.startswith("/staff") or back.startswith("//") or "\\" in back:
        back = "/staff/"  # never a redirect off the console
    token = request.cookies.get(COOKIE)
    if token:
        deps = request.app[RUNTIME].deps
        async with transaction(deps.sessions) as session:
            row = await console.find_session(session, token, deps.clock())
            if row is not None:
                row.lang = lang
                session.add(row)
    response = web.HTTPSeeOther(back)
    response.set_cookie(
        LANG_COOKIE, lang, max_age=365 * 86400, path="/staff", samesite="Strict",
        secure=_secure(request), httponly=True,
    )  # fmt: skip
    raise response


@routes.get("/staff/")
@staff_page()
async def home(request: web.Request, staff: Staff) -> web.StreamResponse:
    """The first page: the dashboard when there is one, else the roles and the sections."""
    if any(item.path == "/staff/dashboard" for item in staff.nav()):
        raise web.HTTPSeeOther("/staff/dashboard")
    return render(staff, "home.html", {"grants": _grants(staff)})


def _grants(staff: Staff) -> list[str]:
    from handlers.core.roles import area_name

    whole = staff.t("console.whole_country")
    return [
        staff.t(
            "console.role_in",
            role=staff.t(f"console.role.{g.role}"),
            area=area_name(g.area_code, whole, with_code=False),
        )
        for g in staff.grants
    ]

"""`vbsp-bot zalo-oa authorize|status`: the Official Account's first grant, and its tokens' state.

`authorize` walks an admin through Zalo's OAuth v4 with PKCE: it makes a code verifier and its
S256 challenge and a random state, prints the permission page's address, reads back the code
(or the whole address Zalo sent the browser to, whose state must match), exchanges it for
tokens and keeps them in the database, where the running bot finds them. No token is ever
printed or logged; `status` shows only times and the last error.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import re
import secrets
import sys
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import parse_qs, urlsplit

from bot.cli import common
from bot.config import ConfigError, Settings

CALLBACK_PATH = "/zalo-oa/authorized"
ATTEMPTS = 3
_CODE_RE = re.compile(r"^[A-Za-z0-9._~-]{8,2048}$")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    noun = sub.add_parser("zalo-oa", help="the Zalo Official Account: first grant, token state")
    verbs = noun.add_subparsers(dest="action", required=True, metavar="ACTION")
    authorize = verbs.add_parser(
        "authorize", help="grant the app access to the OA (PKCE) and keep the tokens"
    )
    authorize.add_argument(
        "--redirect-uri",
        metavar="URL",
        help="the callback URL registered in the app's settings on developers.zalo.me "
        f"(default: PUBLIC_BASE_URL + {CALLBACK_PATH})",
    )
    authorize.set_defaults(func=run_authorize)
    status = verbs.add_parser("status", help="when the tokens expire, the last refresh error")
    status.set_defaults(func=run_status)


# ---- PKCE ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    state: str


def new_pkce() -> Pkce:
    """A verifier of 64 URL-safe characters (RFC 7636 allows 43-128), its S256 challenge and a
    state that ties the answer to this run."""
    verifier = secrets.token_urlsafe(48)  # 64 characters
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return Pkce(verifier, challenge, secrets.token_urlsafe(16))


class PastedError(ValueError):
    """What the admin pasted is not a code, or not the answer to this run."""


def code_from(pasted: str, state: str) -> str:
    """The code in what was pasted: the code alone, or the address Zalo redirected to."""
    text = pasted.strip()
    if not text:
        raise PastedError("nothing was pasted")
    if "code=" in text or text.startswith(("http://", "https://")):
        query = parse_qs(urlsplit(text).query if "?" in text else text)
        codes, states = query.get("code", []), query.get("state", [])
        if len(codes) != 1:
            raise PastedError("the address has no code= in it (copy the whole address bar)")
        if states != [state]:
            raise PastedError(
                "the address is not the answer to this run (its state= does not match): "
                "open the address printed above"
            )
        text = codes[0]
    if not _CODE_RE.match(text):
        raise PastedError("that does not look like a code (letters, digits, - _ . ~ only)")
    return text


def redirect_uri(settings: Settings, given: str | None) -> str:
    uri = given or (settings.public_base_url and settings.public_base_url + CALLBACK_PATH)
    if not uri:
        raise ConfigError(
            "zalo-oa authorize: give --redirect-uri (the callback URL registered for the app) "
            "or set PUBLIC_BASE_URL"
        )
    if not re.match(r"^https?://[^\s/]+", uri):
        raise ConfigError("zalo-oa authorize: --redirect-uri must be an http(s):// URL")
    return uri


def _configured(settings: Settings, command: str) -> tuple[str, str]:
    if not settings.zalo_oa_configured:
        raise ConfigError(
            f"ZALO_OA_APP_ID: zalo-oa {command} needs ZALO_OA_APP_ID, ZALO_OA_APP_SECRET and "
            "ZALO_OA_SECRET_KEY (see docs/zalo-oa.md)"
        )
    assert settings.zalo_oa_app_id is not None and settings.zalo_oa_app_secret is not None
    return settings.zalo_oa_app_id, settings.zalo_oa_app_secret.get_secret_value()


# ---- authorize -----------------------------------------------------------------------------


def run_authorize(args: argparse.Namespace) -> int:
    settings = common.settings(quiet=True)
    return asyncio.run(authorize(settings, args.redirect_uri, sys.stdin, sys.stdout))


def _ask(question: str, stdin: TextIO, stdout: TextIO) -> str | None:
    stdout.write(question)
    stdout.flush()
    line = stdin.readline()
    return line if line else None  # "" is the end of the input


async def authorize(settings: Settings, given_uri: str | None, stdin: TextIO, out: TextIO) -> int:
    from bot.zalo_oa_api import ZaloOaApi

    app_id, app_secret = _configured(settings, "authorize")
    uri = redirect_uri(settings, given_uri)
    pkce = new_pkce()
    async with ZaloOaApi(
        app_id,
        app_secret,
        api_root=settings.zalo_oa_api_base_url,
        oauth_root=settings.zalo_oa_oauth_base_url,
        zns_root=settings.zalo_zns_api_base_url,
    ) as api:
        out.write(
            "1. Sign in to Zalo as an admin of the Official Account, then open this address:\n\n"
            f"   {api.permission_url(uri, pkce.challenge, pkce.state)}\n\n"
            "2. Choose the OA and allow. Zalo sends the browser to\n"
            f"   {uri}?code=…&state=… (the page may not load: that is fine).\n"
            "3. Copy that whole address from the address bar (or just the code) and paste it "
            "here. The code is valid for 10 minutes.\n"
        )
        for attempt in range(1, ATTEMPTS + 1):
            pasted = await asyncio.to_thread(_ask, "\nAddress or code: ", stdin, out)
            if pasted is None:
                out.write("\nNothing was pasted; no change made.\n")
                return 1
            try:
                code = code_from(pasted, pkce.state)
                break
            except PastedError as exc:
                left = ATTEMPTS - attempt
                more = f" Try again ({left} left)." if left else ""
                out.write(f"{exc}.{more}\n")
        else:
            out.write("No change made. Run `vbsp-bot zalo-oa authorize` again when ready.\n")
            return 1
        tokens = await api.exchange_code(code, pkce.verifier)
    now = dt.datetime.now(dt.UTC)
    seed = settings.zalo_oa_refresh_token
    from storage import zalo_oa_tokens as stored

    async with common.database(settings) as session:
        await stored.save_grant(
            session,
            app_id,
            tokens.access_token,
            tokens.refresh_token,
            tokens.expires_in,
            now,
            seed=seed.get_secret_value() if seed else None,
        )
    until = (now + dt.timedelta(seconds=tokens.expires_in)).astimezone(settings.timezone)
    out.write(
        f"\nDone: the tokens are kept in the database for app {app_id}. The access token is "
        f"good until {until:%Y-%m-%d %H:%M %Z}; the bot refreshes it by itself.\n"
    )
    if seed:
        out.write(
            "ZALO_OA_REFRESH_TOKEN is set: it is no longer needed (and is not used again); "
            "remove it from the environment.\n"
        )
    return 0


# ---- status --------------------------------------------------------------------------------


def run_status(args: argparse.Namespace) -> int:
    settings = common.settings(quiet=True)
    return asyncio.run(status(settings, sys.stdout))


def _when(moment: dt.datetime | None, settings: Settings, now: dt.datetime) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone(settings.timezone)
    seconds = (moment - now).total_seconds()
    hours = abs(seconds) / 3600
    span = f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"
    relation = f"in {span}" if seconds >= 0 else f"{span} ago"
    return f"{local:%Y-%m-%d %H:%M %Z} ({relation})"


async def status(settings: Settings, out: TextIO, now: dt.datetime | None = None) -> int:
    """Exit code 0 when the tokens are usable, 1 when the bot needs a person's attention."""
    from storage import zalo_oa_tokens as stored

    app_id, _ = _configured(settings, "status")
    now = now or dt.datetime.now(dt.UTC)
    async with common.database(settings) as session:
        row = await stored.get(session, app_id)
    out.write(f"Zalo OA app {app_id}\n")
    if row is None or not row.refresh_token:
        if settings.zalo_oa_refresh_token is not None:
            out.write("  grant: only ZALO_OA_REFRESH_TOKEN (the bot takes it in on first use)\n")
            return 0
        out.write("  grant: none. Run `vbsp-bot zalo-oa authorize`.\n")
        return 1
    out.write(f"  access token expires:  {_when(row.access_expires_at, settings, now)}\n")
    out.write(f"  refresh token expires: {_when(row.refresh_expires_at, settings, now)}\n")
    out.write(f"  last refreshed:        {_when(row.refreshed_at, settings, now)}\n")
    if row.failures:
        out.write(
            f"  refresh failed {row.failures} time(s) in a row, last "
            f"{_when(row.last_error_at, settings, now)}: {row.last_error}\n"
        )
    refresh_alive = row.refresh_expires_at is not None and row.refresh_expires_at > now
    if not refresh_alive:
        out.write("  the refresh token has expired: run `vbsp-bot zalo-oa authorize`.\n")
    return 0 if refresh_alive and not row.failures else 1

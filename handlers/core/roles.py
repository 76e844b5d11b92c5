"""Who may do what, where: roles within areas, checked when each privileged action runs.

An area is None (the whole country), a 2-digit province code ("51") or a 5-digit commune
code ("21220"). A role covers its area; an admin of an area counts for every role there.

A user without the role is answered exactly as if the command or button did not exist
(:func:`unknown_command`, :func:`unknown_action`, also used by the dispatcher), so the
privileged commands stay invisible to citizens.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel.ext.asyncio.session import AsyncSession

from content.places import commune, communes_of_province, province_name, province_of
from handlers.core.context import Context
from handlers.core.types import Reply, digits
from storage import audit, console, roles
from storage.models import Role

ROLES = roles.ROLES
CHANNELS = ("telegram", "zalo", "zalo_oa", "terminal")
MAX_USER_ID = 64
_USER_ID = re.compile(r"[A-Za-z0-9_.@-]+")


class RoleInputError(ValueError):
    """A user, role or area that cannot be granted; the message says why, in one line (for the
    command line). ``problem`` names the case for pages that say it in the reader's language
    (the staff console), with ``values`` to fill in."""

    def __init__(self, message: str, problem: str = "invalid", **values: object) -> None:
        super().__init__(message)
        self.problem = problem
        self.values = values


# --- the refusal, identical to the dispatcher's answer for what does not exist -------------


def unknown_command(ctx: Context, name: str) -> list[Reply]:
    return [ctx.reply("error.unknown_command", [ctx.menu_row()], command=name)]


def unknown_action(ctx: Context) -> list[Reply]:
    return [ctx.reply("error.stale_button", [ctx.menu_row()])]


# --- areas -----------------------------------------------------------------------------------


def province_code_of(area_code: str) -> int | None:
    """The province of an area: the area itself (2 digits) or the commune's province."""
    if len(area_code) == 2:
        return int(area_code) if digits(area_code) else None
    return province_of(area_code)


def within(outer: str | None, inner: str | None) -> bool:
    """True when area ``inner`` lies inside area ``outer`` (or is it)."""
    if outer is None:
        return True
    if inner is None:
        return False
    if len(outer) == 2:
        return province_code_of(inner) == int(outer)
    return inner == outer


def covers(area_code: str | None, commune_code: str) -> bool:
    """Does a role in ``area_code`` reach the commune ``commune_code``?"""
    if area_code is None:
        return True
    if len(area_code) == 2:
        return province_of(commune_code) == int(area_code)
    return area_code == commune_code


def area_name(area_code: str | None, whole: str = "whole country", with_code: bool = True) -> str:
    """``whole`` for None, 'Quảng Ngãi (51)', 'Xã Sơn Tịnh, Quảng Ngãi (21220)'."""
    if area_code is None:
        return whole
    code = f" ({area_code})" if with_code else ""
    if len(area_code) == 2:
        return f"{province_name(int(area_code)) or '?'}{code}"
    found = commune(area_code)
    if found is None:
        return area_code
    return f"{found.name}, {found.province_name}{code}"


def parse_area(text: str | None) -> str | None:
    """A real province code (2 digits) or commune code (5 digits); None for no area."""
    if text is None:
        return None
    code = text.strip()
    if len(code) == 2 and digits(code):
        if province_name(int(code)) is None:
            raise RoleInputError(
                f"area {code!r}: no province has this code", "area_no_province", code=code
            )
        return code
    if len(code) == 5 and digits(code):
        if commune(code) is None:
            raise RoleInputError(
                f"area {code!r}: no commune or ward has this code", "area_no_commune", code=code
            )
        return code
    raise RoleInputError(
        f"area {text!r}: give a 2-digit province code (e.g. 51) or a 5-digit commune code "
        "(e.g. 21220)",
        "area_format",
    )


def parse_user(text: str) -> tuple[str, str]:
    """'telegram:123' -> ('telegram', '123')."""
    channel, sep, user_id = text.strip().partition(":")
    channel = channel.lower()
    channels = ", ".join(CHANNELS)
    if not sep:
        raise RoleInputError(
            f"user {text!r}: write it as CHANNEL:USER_ID, e.g. telegram:123456",
            "user_format",
            channels=channels,
        )
    if channel not in CHANNELS:
        raise RoleInputError(
            f"user {text!r}: the channel must be one of {channels}",
            "user_channel",
            channels=channels,
        )
    if not user_id:
        raise RoleInputError(
            f"user {text!r}: the user id after {channel}: is empty", "user_empty", channel=channel
        )
    if len(user_id) > MAX_USER_ID or not _USER_ID.fullmatch(user_id):
        raise RoleInputError(
            f"user {text!r}: the user id must be up to {MAX_USER_ID} letters, digits or . _ - @",
            "user_id",
            max=MAX_USER_ID,
        )
    return channel, user_id


def parse_role(text: str) -> str:
    role = text.strip().lower()
    if role not in ROLES:
        raise RoleInputError(f"role {text!r}: must be one of {', '.join(ROLES)}", "role")
    return role


def area_codes(area_code: str | None) -> frozenset[str] | None:
    """Every area code inside an area, itself included: a province and its communes, or one
    commune; None for the whole country (no limit). What the audit log is filtered by."""
    if area_code is None:
        return None
    if len(area_code) == 2:
        return frozenset({area_code, *(c.code for c in communes_of_province(int(area_code)))})
    return frozenset({area_code})


# --- the checks ------------------------------------------------------------------------------


def actor(ctx: Context) -> str:
    """Who did it, for the audit log: 'telegram:123'."""
    return f"{ctx.me.channel}:{ctx.me.channel_user_id}"


async def roles_of(ctx: Context) -> list[Role]:
    """The user's grants, read now (never cached: a revoke takes effect at once)."""
    return await roles.roles_of(ctx.session, ctx.me.channel, ctx.me.channel_user_id)


def _counts(grant: Role, role: str) -> bool:
    return grant.role == role or grant.role == "admin"


async def areas_of(ctx: Context, role: str) -> list[str | None]:
    """The areas where the user acts as ``role`` (admins included), widest first."""
    found = {g.area_code for g in await roles_of(ctx) if _counts(g, role)}
    if None in found:
        return [None]
    # an area inside another one the user holds adds nothing
    kept = [a for a in found if not any(o != a and within(o, a) for o in found)]
    return sorted(kept, key=lambda a: (len(a or ""), a or ""))


async def allowed(ctx: Context, role: str, commune_code: str | None = None) -> bool:
    """May the user act as ``role`` for ``commune_code`` (anywhere at all, when None)?"""
    for grant in await roles_of(ctx):
        if _counts(grant, role) and (commune_code is None or covers(grant.area_code, commune_code)):
            return True
    return False


async def allowed_area(ctx: Context, role: str, area_code: str | None) -> bool:
    """May the user act as ``role`` over the whole of the area ``area_code``?"""
    return any(within(a, area_code) for a in await areas_of(ctx, role))


# --- grant and revoke, written to the audit log (shared by the CLI and /quyen) ---------------


async def grant_role(
    session: AsyncSession,
    channel: str,
    channel_user_id: str,
    role: str,
    area_code: str | None,
    by: str,
    now: dt.datetime | None = None,
) -> Role | None:
    """Grant and audit; None when the same grant already existed (nothing is written)."""
    row = await roles.grant(session, channel, channel_user_id, role, area_code, by, now)
    if row is not None:
        await audit.record(
            session,
            by,
            "role.grant",
            f"{channel}:{channel_user_id}",
            {"role": role, "area": area_code},
            now,
        )
    return row


async def revoke_role(
    session: AsyncSession,
    channel: str,
    channel_user_id: str,
    role: str,
    area_code: str | None,
    by: str,
    now: dt.datetime | None = None,
) -> bool:
    """Revoke and audit; False when there was no such grant (nothing is written). The
    person's staff console sessions end too: they sign in again with what they still hold."""
    done = await roles.revoke(session, channel, channel_user_id, role, area_code)
    if done:
        await console.end_sessions(session, channel, channel_user_id)
        await audit.record(
            session,
            by,
            "role.revoke",
            f"{channel}:{channel_user_id}",
            {"role": role, "area": area_code},
            now,
        )
    return done

"""`vbsp-bot admin grant|revoke|list`: roles; the first admin comes from here."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from typing import TYPE_CHECKING

from bot.cli import common
from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

# channel, user id, role, area (None: the whole country)
Target = tuple[str, str, str, str | None]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = sub.add_parser("admin", help="roles: admin, official, moderator")
    admin_sub = admin.add_subparsers(dest="action", required=True, metavar="ACTION")
    for verb, text in (("grant", "give a role"), ("revoke", "take a role back")):
        command = admin_sub.add_parser(verb, help=text)
        command.add_argument("user", metavar="CHANNEL:USER_ID", help="e.g. telegram:123456789")
        command.add_argument("role", metavar="ROLE", help="admin, official or moderator")
        command.add_argument(
            "--area", metavar="CODE", help="province (2 digits) or commune (5 digits) code"
        )
        command.set_defaults(func=run_admin)
    admin_sub.add_parser("list", help="every role, one line each").set_defaults(func=run_admin)


def run_admin(args: argparse.Namespace) -> int:
    settings = common.settings(quiet=True)  # the output is the result
    target = _target(args) if args.action in ("grant", "revoke") else None
    asyncio.run(_on_database(settings, args.action, target))
    return 0


def _target(args: argparse.Namespace) -> Target:
    """The checked CHANNEL:USER_ID, ROLE and --area of `admin grant|revoke`."""
    from handlers.core.roles import RoleInputError, parse_area, parse_role, parse_user

    try:
        channel, user_id = parse_user(args.user)
        return channel, user_id, parse_role(args.role), parse_area(args.area)
    except RoleInputError as exc:
        raise ConfigError(f"admin {args.action}: {exc}") from None


async def _on_database(settings: Settings, action: str, target: Target | None) -> None:
    async with common.database(settings) as session:
        await admin_command(session, action, target)


async def admin_command(
    session: AsyncSession, action: str, target: Target | None, now: dt.datetime | None = None
) -> None:
    """What `vbsp-bot admin ACTION` does on an open session (tests call it too)."""
    from handlers.core.roles import area_name, grant_role, revoke_role
    from storage import audit
    from storage import roles as role_store

    if action == "list":
        found = await role_store.list_roles(session)
        for grant in found:
            print(
                f"{grant.channel}:{grant.channel_user_id} {grant.role} {grant.area_code or '*'}"
                f" ({area_name(grant.area_code, with_code=False)})"
                f" granted {grant.granted_at:%Y-%m-%d %H:%M}Z by {grant.granted_by}"
            )
        if not found:
            print("no roles granted yet", file=sys.stderr)
        return
    if target is None:
        raise ConfigError(f"admin {action}: CHANNEL:USER_ID and ROLE are required")
    channel, user_id, role, area = target
    what = f"{channel}:{user_id} {role} in {area_name(area)}"
    if action == "grant":
        done = await grant_role(session, channel, user_id, role, area, audit.CLI, now)
        print(f"granted: {what}" if done else f"already granted: {what}")
        return
    if not await revoke_role(session, channel, user_id, role, area, audit.CLI, now):
        raise ConfigError(f"admin revoke: {channel}:{user_id} has no role {role} in {area or '*'}")
    print(f"revoked: {what}")

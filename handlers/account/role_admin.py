"""/quyen: admins grant and revoke roles within their own area.

Steps: the roles of the admin's area -> grant: who (typed ``CHANNEL:USER_ID``), which role
(buttons), where (the admin's own area by button, or a province or commune within it typed
by name or code) -> summary -> confirm; revoke: pick a role (buttons) -> confirm. An area is
never wider than the admin's own. The admin role is checked again when each step runs, and
every change goes to the audit log.

The rules are the functions under "the rules" below; the staff console's roles page
(bot/console/admin.py) calls the same ones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pydantic import BaseModel

from content.normalize import fold
from content.places import commune, communes_of_province, find_communes, names_exactly, provinces
from handlers.account.actions import (
    ROLE_NAMES,
    WHOLE,
    ChooseRevoke,
    ConfirmGrant,
    ConfirmRevoke,
    DropGrant,
    Grant,
    GrantArea,
    GrantRole,
    Revoke,
    Roles,
)
from handlers.account.console_link import console_button
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.flows import Flow
from handlers.core.types import Button, Reply, digits
from storage import roles as role_store
from storage.models import Role


class Step(enum.StrEnum):
    USER = "user"
    ROLE = "role"
    AREA = "area"
    CONFIRM = "confirm"


class Draft(BaseModel):
    channel: str | None = None
    user: str | None = None
    role: str | None = None
    area: str | None = None


FLOW = Flow(
    "quyen",
    Step,
    Draft,
    order=(Step.USER, Step.ROLE, Step.AREA, Step.CONFIRM),
    stale=roles.unknown_action,
)
COMMAND = "quyen"
ROLE = "admin"
MAX_LISTED = 40
MAX_BUTTONS = 20
MAX_CHOICES = 8
MAX_QUERY = 100


def _whole(ctx: Context) -> str:
    return ctx.t("officials.whole_country")


def _role_name(ctx: Context, role: str) -> str:
    return ctx.t(f"quyen.role.{role}")


def _values(ctx: Context, grant: Role) -> dict[str, str]:
    return {
        "user": f"{grant.channel}:{grant.channel_user_id}",
        "role": _role_name(ctx, grant.role),
        "area": roles.area_name(grant.area_code, _whole(ctx)),
    }


def _line(ctx: Context, grant: Role) -> str:
    return ctx.t("quyen.line", **_values(ctx, grant))


# --- the rules (chat and the staff console) --------------------------------------------------


async def visible_grants(ctx: Context) -> list[Role]:
    """The grants inside the admin's area(s): those they may see and revoke."""
    areas = await roles.areas_of(ctx, ROLE)
    every = await role_store.list_roles(ctx.session)
    return [g for g in every if any(roles.within(a, g.area_code) for a in areas)]


async def areas_matching(ctx: Context, text: str) -> list[str]:
    """Provinces and communes within the admin's area(s) whose name matches typed text."""
    text = text[:MAX_QUERY]
    areas = await roles.areas_of(ctx, ROLE)
    wanted = fold(text)
    choices: list[str] = []
    if len(wanted) >= 2:
        for province, name in provinces():
            area = f"{province:02d}"
            if wanted in fold(name) and any(roles.within(a, area) for a in areas):
                choices.append(area)
    for found in find_communes(text, limit=200) if text else []:
        if any(roles.within(a, found.code) for a in areas):
            choices.append(found.code)
    return list(dict.fromkeys(choices))


async def areas_within(ctx: Context, limit: int = 400) -> list[tuple[str, str]]:
    """(code, name) of the admin's own areas and those within them, for a list to pick from:
    a province's communes are listed for its admins; for the whole country, the provinces
    (a commune is then found by typing its name, :func:`read_area`)."""
    found: list[tuple[str, str]] = []
    for area in await roles.areas_of(ctx, ROLE):
        if area is None:
            found += [(f"{code:02d}", name) for code, name in provinces()]
            continue
        found.append((area, roles.area_name(area, with_code=False)))
        if len(area) == 2:
            found += [
                (c.code, f"{c.name}, {c.province_name}") for c in communes_of_province(int(area))
            ]
    return list(dict.fromkeys(found))[:limit]


async def read_area(ctx: Context, text: str) -> str | None:
    """The area of a grant typed in one field: empty for the whole country, a code, or a
    name that matches exactly one province or commune within the admin's area. Raises
    :class:`roles.RoleInputError` (problem ``area_*``) otherwise."""
    text = text.strip()[:MAX_QUERY]
    if not text:
        return None
    if digits(text):
        return roles.parse_area(text)
    choices = await areas_matching(ctx, text)
    exact = [
        c for c in choices if len(c) == 5 and (found := commune(c)) and names_exactly(text, found)
    ]
    if len(choices) == 1 or len(exact) == 1:  # "Sơn Tây" is not also Sơn Tây Hạ
        return (exact or choices)[0]
    if not choices:
        raise roles.RoleInputError(f"area {text!r}: not found", "area_not_found", query=text)
    names = "; ".join(roles.area_name(c) for c in choices[:MAX_CHOICES])
    raise roles.RoleInputError(
        f"area {text!r}: several match", "area_several", query=text, names=names
    )


class Granted(enum.StrEnum):
    GRANTED = "granted"
    ALREADY = "already"  # the same grant existed: nothing written
    OUTSIDE = "outside"  # the area is not within the admin's own: nothing written


async def grant_within(
    ctx: Context, channel: str, user_id: str, role: str, area: str | None
) -> Granted:
    """Grant, if the area is within the admin's own (checked now), with its audit entry."""
    if not await roles.allowed_area(ctx, ROLE, area):
        return Granted.OUTSIDE
    row = await roles.grant_role(
        ctx.session, channel, user_id, role, area, roles.actor(ctx), ctx.now
    )
    return Granted.GRANTED if row is not None else Granted.ALREADY


async def revocable(ctx: Context, grant_id: int) -> Role | None:
    """The grant with this id, when it lies within the admin's area now."""
    grant = await role_store.get(ctx.session, grant_id)
    if grant is None or not await roles.allowed_area(ctx, ROLE, grant.area_code):
        return None
    return grant


async def revoke_grant(ctx: Context, grant: Role) -> None:
    """Take back a grant found by :func:`revocable`, with its audit entry."""
    await roles.revoke_role(
        ctx.session,
        grant.channel,
        grant.channel_user_id,
        grant.role,
        grant.area_code,
        roles.actor(ctx),
        ctx.now,
    )


@dataclass(frozen=True)
class Staff:
    """Someone holding a grant the admin can see: ``user`` is CHANNEL:USER_ID."""

    user: str
    name: str | None


async def known_staff(ctx: Context) -> list[Staff]:
    """The people holding the grants the admin can see, with the name their channel gave."""
    people = [(g.channel, g.channel_user_id) for g in await visible_grants(ctx)]
    names = await role_store.names_of(ctx.session, people)
    return [Staff(f"{c}:{u}", names.get((c, u))) for c, u in dict.fromkeys(people)]


# --- the chat dialog ---------------------------------------------------------------------------


def _back(ctx: Context) -> tuple[Button, ...]:
    return (ctx.button("quyen.button.list", Roles()),)


async def command(ctx: Context, text: str) -> list[Reply]:
    """/quyen (the role is checked by dispatch, as for the buttons)."""
    return await start(ctx)


async def start(ctx: Context, action: Roles | None = None) -> list[Reply]:
    """The roles in the admin's area."""
    await ctx.leave_flow()
    areas = await roles.areas_of(ctx, ROLE)
    grants = await visible_grants(ctx)
    lines = [_line(ctx, g) for g in grants[:MAX_LISTED]]
    if len(grants) > MAX_LISTED:
        lines.append(ctx.t("quyen.more", count=len(grants) - MAX_LISTED))
    title = ctx.t("quyen.title", area=", ".join(roles.area_name(a, _whole(ctx)) for a in areas))
    body = "\n".join(lines) if lines else ctx.t("quyen.none")
    rows = [
        (ctx.button("quyen.button.grant", Grant()), ctx.button("quyen.button.revoke", Revoke())),
        console_button(ctx),
        ctx.menu_row(),
    ]
    return [Reply(f"{title}\n\n{body}", tuple(rows))]


# --- grant -----------------------------------------------------------------------------------


async def grant(ctx: Context, action: Grant) -> list[Reply]:
    """Ask who."""
    await ctx.leave_flow()
    await FLOW.enter(ctx, Step.USER, Draft())
    return [ctx.reply("quyen.ask_user", [_back(ctx)])]


async def _still_admin(ctx: Context) -> list[Reply] | None:
    """Typed text is not a button: the role is checked here (it may have been revoked)."""
    if await roles.allowed(ctx, ROLE):
        return None
    await ctx.leave_flow()
    return roles.unknown_command(ctx, COMMAND)


@FLOW.on_text(Step.USER)
async def user_text(ctx: Context, text: str) -> list[Reply]:
    """Who gets the role, typed as CHANNEL:USER_ID."""
    if (refused := await _still_admin(ctx)) is not None:
        return refused
    try:
        channel, user_id = roles.parse_user(text.strip())
    except roles.RoleInputError:
        return [ctx.reply("quyen.bad_user", [_back(ctx)], channels=", ".join(roles.CHANNELS))]
    await FLOW.enter(ctx, Step.ROLE, Draft(channel=channel, user=user_id))
    rows = [(Button(_role_name(ctx, r), GrantRole(role_name=r).pack()),) for r in ROLE_NAMES]
    return [ctx.reply("quyen.ask_role", [*rows, _back(ctx)], user=f"{channel}:{user_id}")]


@FLOW.on_text(Step.AREA)
async def area_text(ctx: Context, text: str) -> list[Reply]:
    """The area, typed as a province or commune name or code."""
    if (refused := await _still_admin(ctx)) is not None:
        return refused
    return await _typed_area(ctx, text.strip())


@FLOW.on_text()
async def other_text(ctx: Context, text: str) -> list[Reply]:
    """Text where a button is expected."""
    if (refused := await _still_admin(ctx)) is not None:
        return refused
    return [ctx.reply("quyen.press_button", [_back(ctx)])]


async def choose_role(ctx: Context, action: GrantRole) -> list[Reply]:
    """The role to grant."""
    await FLOW.update(ctx, role=action.role_name)
    await FLOW.enter(ctx, Step.AREA)
    areas = await roles.areas_of(ctx, ROLE)
    rows = [
        (Button(roles.area_name(a, _whole(ctx)), GrantArea(area=a or WHOLE).pack()),) for a in areas
    ]
    return [ctx.reply("quyen.ask_area", [*rows, _back(ctx)])]


async def _typed_area(ctx: Context, text: str) -> list[Reply]:
    text = text[:MAX_QUERY]
    if digits(text):
        try:
            code = roles.parse_area(text)
        except roles.RoleInputError:
            return [ctx.reply("quyen.bad_area", [_back(ctx)])]
        return await _chosen_area(ctx, code)
    choices = (await areas_matching(ctx, text))[:MAX_CHOICES]
    if not choices:
        return [ctx.reply("quyen.area_not_found", [_back(ctx)], query=text)]
    rows = [(Button(roles.area_name(c), GrantArea(area=c).pack()),) for c in choices]
    return [ctx.reply("quyen.pick_area", [*rows, _back(ctx)])]


async def choose_area(ctx: Context, action: GrantArea) -> list[Reply]:
    """The area of the grant: the admin's own by button, or one found by typing."""
    if action.area == WHOLE:
        return await _chosen_area(ctx, None)
    try:
        code = roles.parse_area(action.area)
    except roles.RoleInputError:
        return roles.unknown_action(ctx)
    return await _chosen_area(ctx, code)


async def _chosen_area(ctx: Context, area: str | None) -> list[Reply]:
    if not await roles.allowed_area(ctx, ROLE, area):
        return [ctx.reply("quyen.area_outside", [_back(ctx)])]
    draft = await FLOW.update(ctx, area=area)
    await FLOW.enter(ctx, Step.CONFIRM)
    rows = (
        (
            ctx.button("quyen.button.confirm", ConfirmGrant()),
            ctx.button("quyen.button.drop", DropGrant()),
        ),
    )
    return [
        ctx.reply(
            "quyen.summary_grant",
            rows,
            user=f"{draft.channel}:{draft.user}",
            role=_role_name(ctx, draft.role or ""),
            area=roles.area_name(area, _whole(ctx)),
        )
    ]


async def confirm_grant(ctx: Context, action: ConfirmGrant) -> list[Reply]:
    """Grant, if the area is still within the admin's own."""
    draft = FLOW.draft(ctx)
    area = draft.area
    await ctx.leave_flow()
    if draft.channel is None or draft.user is None or draft.role is None:
        return roles.unknown_action(ctx)
    done = await grant_within(ctx, draft.channel, draft.user, draft.role, area)
    if done is Granted.OUTSIDE:
        return roles.unknown_action(ctx)
    values = {
        "user": f"{draft.channel}:{draft.user}",
        "role": _role_name(ctx, draft.role),
        "area": roles.area_name(area, _whole(ctx)),
    }
    key = "quyen.granted" if done is Granted.GRANTED else "quyen.already"
    return [ctx.reply(key, [_back(ctx), ctx.menu_row()], **values)]


async def drop(ctx: Context, action: DropGrant) -> list[Reply]:
    """Drop the grant or revoke being prepared."""
    if FLOW.active(ctx):
        await ctx.leave_flow()
    return [ctx.reply("quyen.dropped", [_back(ctx), ctx.menu_row()])]


# --- revoke ----------------------------------------------------------------------------------


async def revoke(ctx: Context, action: Revoke) -> list[Reply]:
    """The grants the admin may take back, as buttons."""
    await ctx.leave_flow()
    grants = await visible_grants(ctx)
    if not grants:
        return [ctx.reply("quyen.none", [_back(ctx), ctx.menu_row()])]
    rows = [
        (Button(_button_label(ctx, g), ChooseRevoke(grant=g.id or 0).pack()),)
        for g in grants[:MAX_BUTTONS]
    ]
    return [ctx.reply("quyen.pick_revoke", [*rows, _back(ctx)])]


def _button_label(ctx: Context, grant: Role) -> str:
    area = grant.area_code or _whole(ctx)
    return f"{grant.channel}:{grant.channel_user_id} · {_role_name(ctx, grant.role)} · {area}"


async def choose_revoke(ctx: Context, action: ChooseRevoke) -> list[Reply]:
    """Summary and confirm."""
    grant = await revocable(ctx, action.grant)
    if grant is None:
        return roles.unknown_action(ctx)
    rows = (
        (
            ctx.button("quyen.button.confirm_revoke", ConfirmRevoke(grant=action.grant)),
            ctx.button("quyen.button.drop", DropGrant()),
        ),
    )
    return [ctx.reply("quyen.summary_revoke", rows, **_values(ctx, grant))]


async def confirm_revoke(ctx: Context, action: ConfirmRevoke) -> list[Reply]:
    """Take the role back and tell the admin."""
    grant = await revocable(ctx, action.grant)
    if grant is None:
        return roles.unknown_action(ctx)
    values = _values(ctx, grant)
    await revoke_grant(ctx, grant)
    return [ctx.reply("quyen.revoked", [_back(ctx), ctx.menu_row()], **values)]

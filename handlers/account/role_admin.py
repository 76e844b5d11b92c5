"""/quyen: admins grant and revoke roles within their own area.

Steps: the roles of the admin's area -> grant: who (typed ``CHANNEL:USER_ID``), which role
(buttons), where (the admin's own area by button, or a province or commune within it typed
by name or code) -> summary -> confirm; revoke: pick a role (buttons) -> confirm. An area is
never wider than the admin's own. The admin role is checked again when each step runs, and
every change goes to the audit log.

Button actions: ``q`` the list, ``qg`` grant, ``qgr:ROLE``, ``qga:AREA`` (``*`` is the whole
country), ``qok`` / ``qno`` confirm or drop, ``qr`` revoke, ``qrv:ID`` and ``qrok:ID``.
"""

from __future__ import annotations

from content.normalize import fold
from content.places import find_communes, provinces
from handlers.core import roles
from handlers.core.context import Context
from handlers.core.types import Button, Reply, digits, row_id
from storage import roles as role_store
from storage.models import Role

FLOW = "quyen"
COMMAND = "quyen"
ROLE = "admin"
MAX_LISTED = 40
MAX_BUTTONS = 20
MAX_CHOICES = 8
MAX_QUERY = 100
WHOLE = "*"


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


async def _visible(ctx: Context) -> list[Role]:
    """The grants inside the admin's area(s)."""
    areas = await roles.areas_of(ctx, ROLE)
    every = await role_store.list_roles(ctx.session)
    return [g for g in every if any(roles.within(a, g.area_code) for a in areas)]


def _back(ctx: Context) -> tuple[Button, ...]:
    return (ctx.button("quyen.button.list", "q"),)


async def start(ctx: Context) -> list[Reply]:
    """/quyen (and ``q``): the roles in the admin's area."""
    if not await roles.allowed(ctx, ROLE):
        return roles.unknown_command(ctx, COMMAND)
    await ctx.leave_flow()
    areas = await roles.areas_of(ctx, ROLE)
    grants = await _visible(ctx)
    lines = [_line(ctx, g) for g in grants[:MAX_LISTED]]
    if len(grants) > MAX_LISTED:
        lines.append(ctx.t("quyen.more", count=len(grants) - MAX_LISTED))
    title = ctx.t("quyen.title", area=", ".join(roles.area_name(a, _whole(ctx)) for a in areas))
    body = "\n".join(lines) if lines else ctx.t("quyen.none")
    rows = [
        (ctx.button("quyen.button.grant", "qg"), ctx.button("quyen.button.revoke", "qr")),
        ctx.menu_row(),
    ]
    return [Reply(f"{title}\n\n{body}", tuple(rows))]


# --- grant -----------------------------------------------------------------------------------


async def grant(ctx: Context) -> list[Reply]:
    """qg: ask who."""
    if not await roles.allowed(ctx, ROLE):
        return roles.unknown_action(ctx)
    await ctx.leave_flow()
    await ctx.enter(FLOW, "user")
    return [ctx.reply("quyen.ask_user", [_back(ctx)])]


async def flow_text(ctx: Context) -> list[Reply]:
    """Typed text in the grant flow: the user, or the area."""
    if not await roles.allowed(ctx, ROLE):
        await ctx.leave_flow()
        return roles.unknown_command(ctx, COMMAND)
    text = (ctx.args[0] if ctx.args else "").strip()
    step = ctx.state.step
    if step == "user":
        try:
            channel, user_id = roles.parse_user(text)
        except roles.RoleInputError:
            return [ctx.reply("quyen.bad_user", [_back(ctx)], channels=", ".join(roles.CHANNELS))]
        await ctx.enter(FLOW, "role", channel=channel, user=user_id)
        rows = [(Button(_role_name(ctx, r), f"qgr:{r}"),) for r in roles.ROLES]
        return [ctx.reply("quyen.ask_role", [*rows, _back(ctx)], user=f"{channel}:{user_id}")]
    if step == "area":
        return await _typed_area(ctx, text)
    return [ctx.reply("quyen.press_button", [_back(ctx)])]


async def choose_role(ctx: Context) -> list[Reply]:
    """qgr:ROLE"""
    role = ctx.args[0] if ctx.args else ""
    if ctx.flow != FLOW or ctx.state.step != "role" or role not in roles.ROLES:
        return roles.unknown_action(ctx)
    if not await roles.allowed(ctx, ROLE):
        return roles.unknown_action(ctx)
    await ctx.enter(FLOW, "area", role=role)
    areas = await roles.areas_of(ctx, ROLE)
    rows = [(Button(roles.area_name(a, _whole(ctx)), f"qga:{a or WHOLE}"),) for a in areas]
    return [ctx.reply("quyen.ask_area", [*rows, _back(ctx)])]


async def _typed_area(ctx: Context, text: str) -> list[Reply]:
    text = text[:MAX_QUERY]
    areas = await roles.areas_of(ctx, ROLE)
    if digits(text):
        try:
            code = roles.parse_area(text)
        except roles.RoleInputError:
            return [ctx.reply("quyen.bad_area", [_back(ctx)])]
        return await _chosen_area(ctx, code)
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
    choices = list(dict.fromkeys(choices))[:MAX_CHOICES]
    if not choices:
        return [ctx.reply("quyen.area_not_found", [_back(ctx)], query=text)]
    rows = [(Button(roles.area_name(c), f"qga:{c}"),) for c in choices]
    return [ctx.reply("quyen.pick_area", [*rows, _back(ctx)])]


async def choose_area(ctx: Context) -> list[Reply]:
    """qga:AREA"""
    if ctx.flow != FLOW or ctx.state.step != "area" or not ctx.args:
        return roles.unknown_action(ctx)
    if ctx.args[0] == WHOLE:
        return await _chosen_area(ctx, None)
    try:
        code = roles.parse_area(ctx.args[0])
    except roles.RoleInputError:
        return roles.unknown_action(ctx)
    return await _chosen_area(ctx, code)


async def _chosen_area(ctx: Context, area: str | None) -> list[Reply]:
    if not await roles.allowed_area(ctx, ROLE, area):
        return [ctx.reply("quyen.area_outside", [_back(ctx)])]
    await ctx.enter(FLOW, "confirm", area=area)
    data = ctx.state.data
    rows = ((ctx.button("quyen.button.confirm", "qok"), ctx.button("quyen.button.drop", "qno")),)
    return [
        ctx.reply(
            "quyen.summary_grant",
            rows,
            user=f"{data['channel']}:{data['user']}",
            role=_role_name(ctx, data["role"]),
            area=roles.area_name(area, _whole(ctx)),
        )
    ]


async def confirm_grant(ctx: Context) -> list[Reply]:
    """qok: grant, if the area is still within the admin's own."""
    if ctx.flow != FLOW or ctx.state.step != "confirm":
        return roles.unknown_action(ctx)
    data = dict(ctx.state.data)
    area = data.get("area")
    await ctx.leave_flow()
    if not await roles.allowed_area(ctx, ROLE, area):
        return roles.unknown_action(ctx)
    row = await roles.grant_role(
        ctx.session, data["channel"], data["user"], data["role"], area, roles.actor(ctx), ctx.now
    )
    values = {
        "user": f"{data['channel']}:{data['user']}",
        "role": _role_name(ctx, data["role"]),
        "area": roles.area_name(area, _whole(ctx)),
    }
    key = "quyen.granted" if row is not None else "quyen.already"
    return [ctx.reply(key, [_back(ctx), ctx.menu_row()], **values)]


async def drop(ctx: Context) -> list[Reply]:
    """qno"""
    if ctx.flow == FLOW:
        await ctx.leave_flow()
    if not await roles.allowed(ctx, ROLE):
        return roles.unknown_action(ctx)
    return [ctx.reply("quyen.dropped", [_back(ctx), ctx.menu_row()])]


# --- revoke ----------------------------------------------------------------------------------


async def revoke(ctx: Context) -> list[Reply]:
    """qr: the grants the admin may take back, as buttons."""
    if not await roles.allowed(ctx, ROLE):
        return roles.unknown_action(ctx)
    await ctx.leave_flow()
    grants = await _visible(ctx)
    if not grants:
        return [ctx.reply("quyen.none", [_back(ctx), ctx.menu_row()])]
    rows = [(Button(_button_label(ctx, g), f"qrv:{g.id}"),) for g in grants[:MAX_BUTTONS]]
    return [ctx.reply("quyen.pick_revoke", [*rows, _back(ctx)])]


def _button_label(ctx: Context, grant: Role) -> str:
    area = grant.area_code or _whole(ctx)
    return f"{grant.channel}:{grant.channel_user_id} · {_role_name(ctx, grant.role)} · {area}"


async def _revocable(ctx: Context) -> Role | None:
    """The grant named by the button, when it lies within the admin's area now."""
    grant_id = row_id(ctx.args[0]) if ctx.args else None
    if grant_id is None:
        return None
    grant = await role_store.get(ctx.session, grant_id)
    if grant is None or not await roles.allowed_area(ctx, ROLE, grant.area_code):
        return None
    return grant


async def choose_revoke(ctx: Context) -> list[Reply]:
    """qrv:ID: summary and confirm."""
    grant = await _revocable(ctx)
    if grant is None:
        return roles.unknown_action(ctx)
    rows = (
        (
            ctx.button("quyen.button.confirm_revoke", f"qrok:{grant.id}"),
            ctx.button("quyen.button.drop", "qno"),
        ),
    )
    return [ctx.reply("quyen.summary_revoke", rows, **_values(ctx, grant))]


async def confirm_revoke(ctx: Context) -> list[Reply]:
    """qrok:ID"""
    grant = await _revocable(ctx)
    if grant is None:
        return roles.unknown_action(ctx)
    values = _values(ctx, grant)
    await roles.revoke_role(
        ctx.session,
        grant.channel,
        grant.channel_user_id,
        grant.role,
        grant.area_code,
        roles.actor(ctx),
        ctx.now,
    )
    return [ctx.reply("quyen.revoked", [_back(ctx), ctx.menu_row()], **values)]

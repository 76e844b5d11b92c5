"""The schedules feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command, Handler
from handlers.schedules import edit, view

COMMANDS: dict[str, Command] = {
    "lich": Command(legacy=view.show_schedule),
    "lichxa": Command(legacy=edit.start, role="official"),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {}

# Buttons still read through ctx.args, and the roles they need (declared, not derived).
LEGACY_ACTIONS: dict[str, Handler] = {
    "lich": view.show_schedule,
    "commune": view.ask_commune,
    "commune_set": view.choose_commune,
    "sub": view.subscribe,
    "unsub": view.unsubscribe,
    "lx": edit.start,
    "lxc": edit.choose_commune,
    "lxp": edit.show_point,
    "lxo": edit.show_day,
    "lxm": edit.move_day,
    "lxx": edit.cancel_day,
    "lxr": edit.restore_day,
    "lxe": edit.edit_point,
    "lxh": edit.holiday_answer,
    "lxok": edit.confirm,
    "lxno": edit.drop,
}
LEGACY_PRIVILEGED_ACTIONS: dict[str, str] = {
    "lx": "official",
    "lxc": "official",
    "lxp": "official",
    "lxo": "official",
    "lxm": "official",
    "lxx": "official",
    "lxr": "official",
    "lxe": "official",
    "lxh": "official",
    "lxok": "official",
    "lxno": "official",
}
LEGACY_FLOW_TEXT: dict[str, Handler] = {
    view.COMMUNE_FLOW: view.commune_text,
    edit.FLOW: edit.flow_text,
}

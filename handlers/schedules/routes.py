"""The schedules feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command, Handler
from handlers.schedules import schedule, schedule_edit

COMMANDS: dict[str, Command] = {
    "lich": Command(legacy=schedule.show_schedule),
    "lichxa": Command(legacy=schedule_edit.start, role="official"),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {}

# Buttons still read through ctx.args, and the roles they need (declared, not derived).
LEGACY_ACTIONS: dict[str, Handler] = {
    "lich": schedule.show_schedule,
    "commune": schedule.ask_commune,
    "commune_set": schedule.choose_commune,
    "sub": schedule.subscribe,
    "unsub": schedule.unsubscribe,
    "lx": schedule_edit.start,
    "lxc": schedule_edit.choose_commune,
    "lxp": schedule_edit.show_point,
    "lxo": schedule_edit.show_day,
    "lxm": schedule_edit.move_day,
    "lxx": schedule_edit.cancel_day,
    "lxr": schedule_edit.restore_day,
    "lxe": schedule_edit.edit_point,
    "lxh": schedule_edit.holiday_answer,
    "lxok": schedule_edit.confirm,
    "lxno": schedule_edit.drop,
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
    schedule.COMMUNE_FLOW: schedule.commune_text,
    schedule_edit.FLOW: schedule_edit.flow_text,
}

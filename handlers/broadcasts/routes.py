"""The broadcasts feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.broadcasts import broadcast
from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command, Handler

COMMANDS: dict[str, Command] = {
    "thongbao": Command(legacy=broadcast.start, role="official"),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {}

# Buttons still read through ctx.args, and the roles they need (declared, not derived).
LEGACY_ACTIONS: dict[str, Handler] = {
    "ann": broadcast.announcements,
    "tb": broadcast.start,
    "tbw": broadcast.choose_whole,
    "tbc": broadcast.ask_commune,
    "tbk": broadcast.choose_commune,
    "tbs": broadcast.choose_who,
    "tbok": broadcast.confirm,
    "tbt": broadcast.test_copy,
    "tbu": broadcast.toggle_urgent,
    "tbh": broadcast.ask_when,
    "tbx": broadcast.cancel,
    "tbv": broadcast.show,
    "tbm": broadcast.mine,
    "tbr": broadcast.review,
    "tbap": broadcast.approve,
    "tbrj": broadcast.reject,
}
LEGACY_PRIVILEGED_ACTIONS: dict[str, str] = {
    "tb": "official",
    "tbw": "official",
    "tbc": "official",
    "tbk": "official",
    "tbs": "official",
    "tbok": "official",
    "tbt": "official",
    "tbu": "official",
    "tbh": "official",
    "tbx": "official",
    "tbv": "official",
    "tbm": "official",
    "tbr": "official",
    "tbap": "official",
    "tbrj": "official",
}
LEGACY_FLOW_TEXT: dict[str, Handler] = {
    broadcast.FLOW: broadcast.flow_text,
}

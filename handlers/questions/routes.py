"""The questions feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command, Handler
from handlers.questions import answers

COMMANDS: dict[str, Command] = {
    "tindungden": Command(legacy=answers.black_credit),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {}

# Buttons still read through ctx.args, and the roles they need (declared, not derived).
LEGACY_ACTIONS: dict[str, Handler] = {
    "topic": answers.show_topic,
    "tl": answers.show_legal,
    "blackcredit": answers.black_credit,
}
LEGACY_PRIVILEGED_ACTIONS: dict[str, str] = {}
LEGACY_FLOW_TEXT: dict[str, Handler] = {}

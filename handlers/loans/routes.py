"""The loans feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command, Handler
from handlers.loans import calculator, eligibility, programs

COMMANDS: dict[str, Command] = {
    "chuongtrinh": Command(legacy=programs.list_programs),
    "dieukien": Command(legacy=eligibility.start),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {}

# Buttons still read through ctx.args, and the roles they need (declared, not derived).
LEGACY_ACTIONS: dict[str, Handler] = {
    "progs": programs.list_programs,
    "prog": programs.show_program,
    "pp": programs.show_part,
    "calc": calculator.start,
    "calc_cancel": calculator.cancel,
    "cp": calculator.show_part,
    "el": eligibility.step,
}
LEGACY_PRIVILEGED_ACTIONS: dict[str, str] = {}
LEGACY_FLOW_TEXT: dict[str, Handler] = {
    calculator.FLOW: calculator.flow_text,
}

"""The loans feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command
from handlers.loans import calculator, eligibility, programs
from handlers.loans.actions import (
    Calculate,
    CancelCalculation,
    CheckEligibility,
    ListPrograms,
    ShowEstimatePart,
    ShowProgram,
    ShowProgramPart,
)

COMMANDS: dict[str, Command] = {
    "chuongtrinh": Command(programs.command),
    "dieukien": Command(eligibility.command),
}

# Typed buttons (handlers/core/actions.py) and their handlers. Text typed in the calculator
# is routed by its flow's steps (calculator.CALC.on_text).
ACTIONS: dict[type[Action], ActionHandler] = {
    ListPrograms: programs.list_programs,
    ShowProgram: programs.show_program,
    ShowProgramPart: programs.show_part,
    Calculate: calculator.start,
    CancelCalculation: calculator.cancel,
    ShowEstimatePart: calculator.show_part,
    CheckEligibility: eligibility.step,
}

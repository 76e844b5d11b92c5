"""The schedules feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name. Typed
text is routed by the flows' own steps (flows.py; the handlers register with ``on_text``).
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command
from handlers.schedules import actions as a
from handlers.schedules import edit, view

COMMANDS: dict[str, Command] = {
    "lich": Command(view.command),
    "lichxa": Command(edit.command, role=a.OFFICIAL),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {
    a.ShowSchedule: view.show_schedule,
    a.AskCommune: view.ask_commune,
    a.ChooseCommune: view.choose_commune,
    a.Subscribe: view.subscribe,
    a.Unsubscribe: view.unsubscribe,
    a.ListPoints: edit.list_points,
    a.PickCommune: edit.pick_commune,
    a.ShowPoint: edit.show_point,
    a.ShowDay: edit.show_day,
    a.MoveDay: edit.move_day,
    a.CancelDay: edit.cancel_day,
    a.RestoreDay: edit.restore_day,
    a.EditPoint: edit.edit_point,
    a.AnswerHoliday: edit.answer_holiday,
    a.ConfirmChange: edit.confirm,
    a.DropChange: edit.drop,
}

"""The broadcasts feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name. The
flow's typed text is routed by its steps (handlers/broadcasts/flow.py, compose.py).
"""

from __future__ import annotations

from handlers.broadcasts import announcements, approval, compose, status
from handlers.broadcasts.actions import (
    ApproveBroadcast,
    AskCommune,
    AskWhen,
    CancelBroadcast,
    ChooseAudience,
    ChooseCommune,
    ChooseWholeArea,
    MyBroadcasts,
    RejectBroadcast,
    ReviewBroadcast,
    SendBroadcast,
    SendTestCopy,
    ShowBroadcast,
    StartBroadcast,
    SwitchAnnouncements,
    ToggleUrgent,
)
from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command

COMMANDS: dict[str, Command] = {
    "thongbao": Command(compose.command, role="official"),
}

# Typed buttons (handlers/core/actions.py) and their handlers; roles are declared on them.
ACTIONS: dict[type[Action], ActionHandler] = {
    StartBroadcast: compose.start_button,
    ChooseWholeArea: compose.choose_whole,
    AskCommune: compose.ask_commune,
    ChooseCommune: compose.choose_commune,
    ChooseAudience: compose.choose_audience,
    SendBroadcast: compose.confirm,
    SendTestCopy: compose.send_test_copy,
    ToggleUrgent: compose.toggle_urgent,
    AskWhen: compose.ask_when,
    CancelBroadcast: status.cancel,
    ShowBroadcast: status.show,
    MyBroadcasts: status.mine,
    ReviewBroadcast: approval.review,
    ApproveBroadcast: approval.approve,
    RejectBroadcast: approval.reject,
    SwitchAnnouncements: announcements.switch,
}

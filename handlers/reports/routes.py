"""The reports feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command, Handler
from handlers.reports import moderation, report
from handlers.reports.moderation_actions import (
    AskReporter,
    ForwardReport,
    OpenReport,
    PickCategory,
    RejectReport,
    ResolveReport,
    ShowQueue,
    TakeReport,
)

COMMANDS: dict[str, Command] = {
    "baocao": Command(legacy=report.start),
    "tracuu": Command(legacy=report.track),
    "xuly": Command(moderation.queue_command, role="moderator"),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {
    ShowQueue: moderation.show_queue,
    PickCategory: moderation.choose_category,
    OpenReport: moderation.show_report,
    TakeReport: moderation.take,
    AskReporter: moderation.ask,
    ForwardReport: moderation.forward,
    ResolveReport: moderation.resolve,
    RejectReport: moderation.reject,
}

# Buttons still read through ctx.args, and the roles they need (declared, not derived).
LEGACY_ACTIONS: dict[str, Handler] = {
    "rp": report.start,
    "rpd": report.answer_danger,
    "rpy": report.answer_consent,
    "rpk": report.choose_category,
    "rpa": report.choose_accused,
    "rpc": report.choose_place,
    "rpt": report.choose_when,
    "rpe": report.evidence_done,
    "rpo": report.choose_contact,
    "rps": report.send,
    "rpx": report.edit,
    "rpn": report.drop,
    "rv": report.show_mine,
    "rw": report.withdraw,
    "rwy": report.withdraw_confirmed,
    "rq": report.answer,
}
LEGACY_PRIVILEGED_ACTIONS: dict[str, str] = {}
LEGACY_FLOW_TEXT: dict[str, Handler] = {
    report.FLOW: report.flow_text,
    report.TRACK_FLOW: report.track_text,
    report.ANSWER_FLOW: report.answer_text,
}

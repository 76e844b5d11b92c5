"""The reports feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command, Handler
from handlers.reports import moderation, report

COMMANDS: dict[str, Command] = {
    "baocao": Command(legacy=report.start),
    "tracuu": Command(legacy=report.track),
    "xuly": Command(legacy=moderation.queue, role="moderator"),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {}

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
    "xl": moderation.queue,
    "xk": moderation.choose_category,
    "xo": moderation.show_report,
    "xt": moderation.take,
    "xa": moderation.ask,
    "xf": moderation.forward,
    "xr": moderation.resolve,
    "xj": moderation.reject,
}
LEGACY_PRIVILEGED_ACTIONS: dict[str, str] = {
    "xl": "moderator",
    "xk": "moderator",
    "xo": "moderator",
    "xt": "moderator",
    "xa": "moderator",
    "xf": "moderator",
    "xr": "moderator",
    "xj": "moderator",
}
LEGACY_FLOW_TEXT: dict[str, Handler] = {
    report.FLOW: report.flow_text,
    report.TRACK_FLOW: report.track_text,
    report.ANSWER_FLOW: report.answer_text,
    moderation.FLOW: moderation.flow_text,
}

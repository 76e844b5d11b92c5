"""The reports feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command, Handler
from handlers.questions import story
from handlers.reports import intake, moderation, tracking
from handlers.reports.actions import (
    AnswerDanger,
    AnswerQuestion,
    ChooseAccused,
    ChooseCategory,
    ChooseContact,
    ChoosePlace,
    ChooseWhen,
    ConfirmWithdraw,
    DropReport,
    EditReport,
    EvidenceDone,
    GiveConsent,
    ReportStory,
    SendReport,
    ShowMyReport,
    StartReport,
    WithdrawReport,
)

COMMANDS: dict[str, Command] = {
    "baocao": Command(intake.command),
    "tracuu": Command(tracking.command),
    "xuly": Command(legacy=moderation.queue, role="moderator"),
}

# Typed buttons (handlers/core/actions.py) and their handlers.
ACTIONS: dict[type[Action], ActionHandler] = {
    StartReport: intake.start,
    AnswerDanger: intake.answer_danger,
    GiveConsent: intake.answer_consent,
    ChooseCategory: intake.choose_category,
    ChooseAccused: intake.choose_accused,
    ChoosePlace: intake.choose_place,
    ChooseWhen: intake.choose_when,
    EvidenceDone: intake.evidence_done,
    ChooseContact: intake.choose_contact,
    SendReport: intake.send,
    EditReport: intake.edit,
    DropReport: intake.drop,
    ReportStory: story.start_report,  # a story told as free text, then "Báo cáo việc này"
    ShowMyReport: tracking.show_mine,
    WithdrawReport: tracking.withdraw,
    ConfirmWithdraw: tracking.withdraw_confirmed,
    AnswerQuestion: tracking.answer,
}

# Buttons still read through ctx.args, and the roles they need (declared, not derived).
LEGACY_ACTIONS: dict[str, Handler] = {
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
# The report, /tracuu and answer flows take typed text through their Flow (@FLOW.on_text).
LEGACY_FLOW_TEXT: dict[str, Handler] = {
    moderation.FLOW: moderation.flow_text,
}

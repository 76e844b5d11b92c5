"""The reports feature's ways in: commands, buttons and typed text.

Collected by handlers/core/routes.py, which refuses two features claiming one name.
"""

from __future__ import annotations

from handlers.core.actions import Action
from handlers.core.route_types import ActionHandler, Command
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
    "baocao": Command(intake.command),
    "tracuu": Command(tracking.command),
    "xuly": Command(moderation.queue_command, role="moderator"),
}

# Typed buttons (handlers/core/actions.py) and their handlers; roles are on the classes.
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
    ShowQueue: moderation.show_queue,
    PickCategory: moderation.choose_category,
    OpenReport: moderation.show_report,
    TakeReport: moderation.take,
    AskReporter: moderation.ask,
    ForwardReport: moderation.forward,
    ResolveReport: moderation.resolve,
    RejectReport: moderation.reject,
}

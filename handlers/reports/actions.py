"""The reports feature's buttons.

A citizen's report (handlers/reports/intake.py): each question's buttons act only at its step
of flow ``report``; pressed elsewhere, the flow's "start a new report" reply answers. Following
a report sent (handlers/reports/tracking.py): the report's id, checked against who presses.
The bytes are the ones these buttons have always carried (``rpd:yes``, ``rv:12``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from handlers.core.actions import Action, RowId
from handlers.reports.intake_rules import (
    FLOW_NAME,
    Accused,
    Category,
    EditableStep,
    Step,
    WhenChoice,
    YesNo,
)

# A commune's code from the directory ("70" is read as "00070"), the user's own commune, the
# place as they typed it, or none.
PlaceChoice = Annotated[str, StringConstraints(pattern=r"^(mine|typed|skip|[0-9]{1,5})$")]


# --- the report's questions ------------------------------------------------------------------


class StartReport(Action, prefix="rp"):
    """A new report (the menu, the black-credit pages, a stale report button)."""


class AnswerDanger(Action, prefix="rpd", flow=FLOW_NAME, steps=(Step.DANGER,)):
    choice: Literal["yes", "no", "go"]  # go: on after the 113 advice


class GiveConsent(Action, prefix="rpy", flow=FLOW_NAME, steps=(Step.CONSENT,)):
    answer: YesNo


class ChooseCategory(Action, prefix="rpk", flow=FLOW_NAME, steps=(Step.CATEGORY,)):
    category: Category


class ChooseAccused(Action, prefix="rpa", flow=FLOW_NAME, steps=(Step.ACCUSED,)):
    accused: Accused


class ChoosePlace(Action, prefix="rpc", flow=FLOW_NAME, steps=(Step.PLACE,)):
    choice: PlaceChoice


class ChooseWhen(Action, prefix="rpt", flow=FLOW_NAME, steps=(Step.WHEN,)):
    when: WhenChoice


class EvidenceDone(Action, prefix="rpe", flow=FLOW_NAME, steps=(Step.EVIDENCE,)):
    done: Literal["done"] = "done"


class ChooseContact(Action, prefix="rpo", flow=FLOW_NAME, steps=(Step.CONTACT,)):
    answer: YesNo


class SendReport(Action, prefix="rps", flow=FLOW_NAME, steps=(Step.SUMMARY,)):
    pass


class EditReport(Action, prefix="rpx", flow=FLOW_NAME, steps=(Step.SUMMARY,)):
    """No answer: which one to change; "back": the summary again."""

    answer: EditableStep | Literal["back"] | None = None


class DropReport(Action, prefix="rpn"):
    pass


class ReportStory(Action, prefix="rpf"):
    """A new report from a story told as free text (handlers/questions/story.py), its category
    chosen; the story itself waits in the conversation state, never in the button."""

    category: Category


# --- a report sent ---------------------------------------------------------------------------


class ShowMyReport(Action, prefix="rv"):
    report_id: RowId


class WithdrawReport(Action, prefix="rw"):
    report_id: RowId


class ConfirmWithdraw(Action, prefix="rwy"):
    report_id: RowId


class AnswerQuestion(Action, prefix="rq"):
    """Answer a moderator's question about the report."""

    report_id: RowId

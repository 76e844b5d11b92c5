"""The moderation queue's buttons (/xuly): one class each, at the bytes they have always had.

Every one of them is a moderator's; dispatch refuses them to anyone else with the uniform
"this button no longer works". Which report a moderator may act on, and in which state, is
decided when the handler runs (handlers/reports/transitions.py).
"""

from __future__ import annotations

from typing import Literal

from handlers.core.actions import Action, RowId

ROLE = "moderator"


# The queue's filters: every open state together, every closed one, or one state
# (storage/reports.py STATES); tests/handlers/test_moderation_actions.py keeps them in step.
QueueFilter = Literal[
    "open", "closed", "new", "in_review", "waiting", "forwarded", "resolved", "rejected",
    "withdrawn",
]  # fmt: skip
# common.CATEGORIES, FORWARD_TARGETS and REJECT_REASONS, as the buttons carry them.
Category = Literal[
    "usury", "app", "threats", "leaflets", "vay_ke", "keeps_repayment", "collects_principal",
    "fees", "other",
]  # fmt: skip
ForwardTarget = Literal["police", "office", "association"]
RejectReason = Literal["spam", "duplicate", "not_actionable"]


class ShowQueue(Action, prefix="xl", role=ROLE):
    """The queue of my areas, filtered; ``after``: the next page follows that report."""

    state: QueueFilter | None = None  # None: the open ones
    category: Category | None = None
    after: RowId | None = None


class PickCategory(Action, prefix="xk", role=ROLE):
    """Which category to filter the queue of ``state`` by."""

    state: QueueFilter | None = None


class OneReport(Action):
    """A button about one report (a base: it has no prefix of its own)."""

    report: RowId


class OpenReport(OneReport, prefix="xo", role=ROLE):
    pass


class TakeReport(OneReport, prefix="xt", role=ROLE):
    pass


class AskReporter(OneReport, prefix="xa", role=ROLE):
    pass


class ForwardReport(OneReport, prefix="xf", role=ROLE):
    """Without a target: where to; with one: then a note."""

    target: ForwardTarget | None = None


class ResolveReport(OneReport, prefix="xr", role=ROLE):
    pass


class RejectReport(OneReport, prefix="xj", role=ROLE):
    """Without a reason: why; with one: rejected at once."""

    reason: RejectReason | None = None

"""The moderation queue's buttons: the bytes they carried before they were typed still
unpack to the same meaning and pack back the same, every one is a moderator's, the longest
realistic one fits Telegram's 64 bytes, and forged bytes are no button at all."""

from __future__ import annotations

from typing import get_args

import pytest

from handlers.core.actions import Action, ActionError
from handlers.core.types import MAX_ACTION_BYTES, MAX_ROW_ID
from handlers.reports import moderation_actions as actions
from handlers.reports.common import CATEGORIES, FORWARD_TARGETS, REJECT_REASONS
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
from storage import reports

# Recorded from the code before the change (moderation.py, report_common.py, report.py).
TODAY: list[tuple[str, Action]] = [
    ("xl", ShowQueue()),
    ("xl:new", ShowQueue(state="new")),
    ("xl:in_review", ShowQueue(state="in_review")),
    ("xl:open", ShowQueue(state="open")),
    ("xl:closed:leaflets", ShowQueue(state="closed", category="leaflets")),
    ("xl:open:usury:57", ShowQueue(state="open", category="usury", after=57)),
    ("xl:open::57", ShowQueue(state="open", after=57)),
    ("xk:open", PickCategory(state="open")),
    ("xk:withdrawn", PickCategory(state="withdrawn")),
    ("xo:12", OpenReport(report=12)),
    ("xt:12", TakeReport(report=12)),
    ("xa:12", AskReporter(report=12)),
    ("xf:12", ForwardReport(report=12)),
    ("xf:12:association", ForwardReport(report=12, target="association")),
    ("xr:12", ResolveReport(report=12)),
    ("xj:12", RejectReport(report=12)),
    ("xj:12:not_actionable", RejectReport(report=12, reason="not_actionable")),
]
# The first page of a queue was "xl:open:" (an empty category last): still the same button.
OLD_ONLY = [("xl:open:", ShowQueue(state="open")), ("xl:closed:", ShowQueue(state="closed"))]
CLASSES = (
    ShowQueue,
    PickCategory,
    OpenReport,
    TakeReport,
    AskReporter,
    ForwardReport,
    ResolveReport,
    RejectReport,
)


@pytest.mark.parametrize(("data", "action"), TODAY)
def test_todays_bytes_unpack_and_pack_back(data: str, action: Action):
    assert Action.parse(data) == action
    assert action.pack() == data


@pytest.mark.parametrize(("data", "action"), OLD_ONLY)
def test_older_first_page_buttons_still_work(data: str, action: Action):
    assert Action.parse(data) == action


def test_every_button_is_a_moderators_and_of_no_flow_step():
    assert {cls.prefix for cls in CLASSES} == {"xl", "xk", "xo", "xt", "xa", "xf", "xr", "xj"}
    for cls in CLASSES:
        assert cls.role == "moderator" and not cls.steps, cls
        assert Action.registry[cls.prefix] is cls


def test_the_values_a_button_carries_are_the_features_own():
    assert get_args(actions.Category) == tuple(CATEGORIES)
    assert get_args(actions.ForwardTarget) == FORWARD_TARGETS
    assert get_args(actions.RejectReason) == REJECT_REASONS
    assert get_args(actions.QueueFilter) == ("open", "closed", *reports.STATES)


def test_the_longest_buttons_fit():
    longest = [
        ShowQueue(state="in_review", category="collects_principal", after=MAX_ROW_ID),
        PickCategory(state="in_review"),
        ForwardReport(report=MAX_ROW_ID, target="association"),
        RejectReport(report=MAX_ROW_ID, reason="not_actionable"),
        *(cls(report=MAX_ROW_ID) for cls in (OpenReport, TakeReport, AskReporter, ResolveReport)),
    ]
    for action in longest:
        packed = action.pack()
        assert len(packed.encode()) <= MAX_ACTION_BYTES, packed
        assert Action.parse(packed) == action


@pytest.mark.parametrize(
    "data",
    [
        "xo",  # no report
        "xo:",
        "xo:abc",
        "xo:+5",
        "xo: 5",
        "xo:5_0",
        "xo:0",
        "xo:-1",
        "xo:²",
        f"xo:{MAX_ROW_ID + 1}",
        "xo:5:6",  # a field too many
        "xt:5:x",
        "xl:bogus",
        "xl:open:bogus",
        "xl:open:usury:x",
        "xk:bogus",
        "xf:5:bank",
        "xj:5:rude",
    ],
)
def test_forged_bytes_are_no_button(data: str):
    with pytest.raises(ActionError):
        Action.parse(data)

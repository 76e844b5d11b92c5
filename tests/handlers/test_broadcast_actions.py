"""The broadcasts feature's buttons keep today's bytes (buttons already in people's chats go
on working), stay within Telegram's 64 bytes at their longest, and refuse forged bytes."""

from __future__ import annotations

import pytest

from handlers.broadcasts import actions
from handlers.broadcasts.actions import (
    AskCommune,
    AskWhen,
    Audience,
    ChooseAudience,
    ChooseCommune,
    ChooseWholeArea,
    StartBroadcast,
    SwitchAnnouncements,
)
from handlers.broadcasts.flow import FLOW
from handlers.core.actions import Action, ActionError
from handlers.core.types import MAX_ACTION_BYTES, MAX_ROW_ID

LONGEST_ID = MAX_ROW_ID  # 2147483647: no broadcast id is longer
ID_ACTIONS = {
    "tbok": actions.SendBroadcast,
    "tbt": actions.SendTestCopy,
    "tbu": actions.ToggleUrgent,
    "tbh": actions.AskWhen,
    "tbx": actions.CancelBroadcast,
    "tbv": actions.ShowBroadcast,
    "tbr": actions.ReviewBroadcast,
    "tbap": actions.ApproveBroadcast,
    "tbrj": actions.RejectBroadcast,
}
# Bytes as the buttons carried them before typed actions, and what they stand for.
TODAY: list[tuple[str, Action]] = [
    ("tb", StartBroadcast()),
    ("tbw:*", ChooseWholeArea(area="*")),
    ("tbw:51", ChooseWholeArea(area="51")),
    ("tbw:21220", ChooseWholeArea(area="21220")),
    ("tbc", AskCommune()),
    ("tbk:21220", ChooseCommune(code="21220")),
    ("tbk:04", ChooseCommune(code="04")),
    ("tbs:0", ChooseAudience(audience=Audience.EVERYONE)),
    ("tbs:1", ChooseAudience(audience=Audience.SUBSCRIBERS)),
    ("tbm", actions.MyBroadcasts()),
    ("ann:on", SwitchAnnouncements(switch="on")),
    ("ann:off", SwitchAnnouncements(switch="off")),
    *[(f"{prefix}:1", cls(id=1)) for prefix, cls in ID_ACTIONS.items()],
    *[(f"{prefix}:{LONGEST_ID}", cls(id=LONGEST_ID)) for prefix, cls in ID_ACTIONS.items()],
]


@pytest.mark.parametrize(("data", "action"), TODAY, ids=[data for data, _ in TODAY])
def test_todays_bytes_unpack_to_the_action_and_pack_back(data: str, action: Action):
    assert Action.parse(data) == action
    assert action.pack() == data
    assert len(data.encode()) <= MAX_ACTION_BYTES


def test_every_button_of_the_feature_is_checked_at_todays_bytes():
    mine = {cls.prefix for cls in Action.registry.values() if cls.__module__ == actions.__name__}
    assert mine == {type(action).prefix for _, action in TODAY}
    assert mine == {*ID_ACTIONS, "tb", "tbw", "tbc", "tbk", "tbs", "tbm", "ann"}


def test_the_longest_values_fit_in_64_bytes():
    longest = [
        *[cls(id=LONGEST_ID) for cls in ID_ACTIONS.values()],
        ChooseWholeArea(area="99999"),
        ChooseCommune(code="99999"),
    ]
    assert max(len(a.pack().encode()) for a in longest) <= MAX_ACTION_BYTES


@pytest.mark.parametrize(
    "forged",
    [
        "tbok:0", "tbok:²", "tbok:٣", "tbok:+1", "tbok: 1", "tbok:1_000", "tbok:1.0",
        "tbok:99999999999", f"tbok:{MAX_ROW_ID + 1}", "tbok", "tbok:1:2", "tbx:-1",
        "tbw:", "tbw:abc", "tbw:5", "tbw:512", "tbw:*:1", "tbk:x", "tbk:123456", "tbk:٠٤",
        "tbs:2", "tbs:yes", "tbs:true", "tb:1", "tbc:x", "tbm:1", "ann:maybe", "ann", "ann:ON",
    ],
)  # fmt: skip
def test_forged_bytes_are_no_action(forged: str):
    with pytest.raises(ActionError):
        Action.parse(forged)


def test_roles_and_steps_are_declared():
    for data, action in TODAY:
        cls = type(action)
        assert cls.role == (None if data.startswith("ann") else "official"), data
    assert ChooseWholeArea.steps == AskCommune.steps == {"area"}
    assert ChooseCommune.steps == {"commune"} and ChooseAudience.steps == {"who"}
    assert {ChooseWholeArea.flow, ChooseCommune.flow, ChooseAudience.flow} == {FLOW.name}
    assert not AskWhen.steps  # a draft's buttons work wherever the user is

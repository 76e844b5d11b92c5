"""The broadcasts feature's buttons: /thongbao's (officials only; admins count) and every
citizen's announcements switch. The prefixes are the bytes buttons have always carried."""

from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import Field

from handlers.broadcasts.flow import FLOW, Step
from handlers.core.actions import Action, RowId

WHOLE = "*"  # the whole country, as ``tbw`` carries it


BroadcastId = RowId
# ``*`` (the whole country), a province (2 digits) or a commune (5 digits).
AreaChoice = Annotated[str, Field(pattern=r"^(\*|[0-9]{2}|[0-9]{5})$")]


class Audience(enum.StrEnum):
    EVERYONE = "0"
    SUBSCRIBERS = "1"  # those who follow a transaction point there


# --- composing ---------------------------------------------------------------------------------


class StartBroadcast(Action, prefix="tb", role="official"):
    pass


class ChooseWholeArea(Action, prefix="tbw", role="official", flow=FLOW.name, steps=(Step.AREA,)):
    area: AreaChoice


class AskCommune(Action, prefix="tbc", role="official", flow=FLOW.name, steps=(Step.AREA,)):
    pass


class ChooseCommune(Action, prefix="tbk", role="official", flow=FLOW.name, steps=(Step.COMMUNE,)):
    code: Annotated[str, Field(pattern=r"^[0-9]{1,5}$")]  # "70" is commune 00070


class ChooseAudience(Action, prefix="tbs", role="official", flow=FLOW.name, steps=(Step.WHO,)):
    audience: Audience


# --- a draft -----------------------------------------------------------------------------------


class SendBroadcast(Action, prefix="tbok", role="official"):
    """Send now, or submit for approval (a province or the country)."""

    id: BroadcastId


class SendTestCopy(Action, prefix="tbt", role="official"):
    id: BroadcastId


class ToggleUrgent(Action, prefix="tbu", role="official"):
    id: BroadcastId


class AskWhen(Action, prefix="tbh", role="official"):
    id: BroadcastId


# --- where they stand --------------------------------------------------------------------------


class CancelBroadcast(Action, prefix="tbx", role="official"):
    id: BroadcastId


class ShowBroadcast(Action, prefix="tbv", role="official"):
    id: BroadcastId


class MyBroadcasts(Action, prefix="tbm", role="official"):
    pass


# --- approval ----------------------------------------------------------------------------------


class ReviewBroadcast(Action, prefix="tbr", role="official"):
    id: BroadcastId


class ApproveBroadcast(Action, prefix="tbap", role="official"):
    id: BroadcastId


class RejectBroadcast(Action, prefix="tbrj", role="official"):
    id: BroadcastId


# --- every citizen's ---------------------------------------------------------------------------


class SwitchAnnouncements(Action, prefix="ann"):
    """Under each announcement ("off") and in /caidat."""

    switch: Literal["on", "off"]

"""The schedules feature's buttons: the citizen's /lich, and the official's /lichxa (``lx…``).

The prefixes and the order of the fields are the bytes buttons have carried since before
typed actions: buttons in people's chats keep working. A point id is at most 48 characters
of [A-Za-z0-9._-] (schedule files refuse others), so the longest, "lxo:" + id + ":YYYYMMDD",
takes 61 of Telegram's 64 bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, StringConstraints

from handlers.core.actions import Action
from handlers.schedules.csv import MAX_LENGTH, POINT_ID
from handlers.schedules.flows import EDIT, EditStep

OFFICIAL = "official"

# A commune's code as content.places.commune reads it ("70" is 00070), kept as it came: the
# bytes pack back unchanged.
CommuneCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,5}$")]
PointId = Annotated[
    str, StringConstraints(max_length=MAX_LENGTH["point_id"], pattern=rf"^{POINT_ID}$")
]


def _real_date(text: str) -> str:
    dt.datetime.strptime(text, "%Y%m%d")  # ValueError: no such day
    return text


# A day as YYYYMMDD: eight bytes where an ISO date takes ten.
CompactDate = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$"), AfterValidator(_real_date)]


# --- /lich -----------------------------------------------------------------------------------


class ShowSchedule(Action, prefix="lich"):
    """The coming days of a commune's points: the one named, else the user's own."""

    commune: CommuneCode | None = None


class AskCommune(Action, prefix="commune"):
    """Which commune the user lives in (asked again to change it)."""


class ChooseCommune(Action, prefix="commune_set"):
    commune: CommuneCode


class Subscribe(Action, prefix="sub"):
    point: PointId


class Unsubscribe(Action, prefix="unsub"):
    point: PointId


# --- /lichxa ---------------------------------------------------------------------------------


class ListPoints(Action, prefix="lx", role=OFFICIAL):
    """The points of the official's area (or first the question which commune)."""


class PickCommune(Action, prefix="lxc", role=OFFICIAL):
    commune: CommuneCode


class ShowPoint(Action, prefix="lxp", role=OFFICIAL):
    point: PointId


class _DayAction(Action):
    """A button about one coming day of a point, named by its regular date."""

    point: PointId
    day: CompactDate

    @classmethod
    def of(cls, point_id: str, regular: dt.date) -> Self:
        return cls(point=point_id, day=f"{regular:%Y%m%d}")

    @property
    def regular(self) -> dt.date:
        return dt.datetime.strptime(self.day, "%Y%m%d").date()


class ShowDay(_DayAction, prefix="lxo", role=OFFICIAL):
    pass


class MoveDay(_DayAction, prefix="lxm", role=OFFICIAL):
    pass


class CancelDay(_DayAction, prefix="lxx", role=OFFICIAL):
    pass


class RestoreDay(_DayAction, prefix="lxr", role=OFFICIAL):
    pass


class EditPoint(Action, prefix="lxe", role=OFFICIAL):
    """Change one of the point's values; "addr" is the address (short on the wire)."""

    point: PointId
    field: Literal["day", "hours", "addr"]


class AnswerHoliday(Action, prefix="lxh", role=OFFICIAL, flow=EDIT.name, steps=(EditStep.HOLIDAY,)):
    """Keep the new date that falls on a holiday (yes), or type another (no)."""

    answer: Literal["yes", "no"]


class ConfirmChange(
    Action, prefix="lxok", role=OFFICIAL, flow=EDIT.name, steps=(EditStep.CONFIRM,)
):
    pass


class DropChange(Action, prefix="lxno", role=OFFICIAL, flow=EDIT.name, steps=tuple(EditStep)):
    pass

"""The feature's two conversations: finding one's commune (/lich) and changing a transaction
point's days (/lichxa). Flow ids, step values and draft keys are the ones stored in
``conversation_states`` before typed flows: someone mid-way when the bot is upgraded goes on.
"""

from __future__ import annotations

import datetime as dt
import enum

from pydantic import BaseModel

from handlers.core import roles
from handlers.core.flows import Flow, NoDraft
from handlers.schedules.rules import DayChange, PointField


class CommuneStep(enum.StrEnum):
    NAME = "name"  # the commune's name (or a point's) is awaited


COMMUNE = Flow("commune", CommuneStep, NoDraft)


class EditStep(enum.StrEnum):
    """/lichxa: a wide area asks for the commune first; a day's move asks for the date (and,
    on a holiday, whether to keep it), then the reason; a cancel asks for the reason; a
    point's fixed day, hours or address for the value; every change ends at the summary."""

    COMMUNE = "commune"
    MOVE_DATE = "move_date"
    HOLIDAY = "holiday"  # buttons: keep the holiday, or type another date
    REASON = "reason"
    DAY = "day"
    HOURS = "hours"
    ADDRESS = "address"
    CONFIRM = "confirm"  # buttons: confirm or drop


# The step that asks for each of a point's values: the same words.
FIELD_STEP = {field: EditStep(field.value) for field in PointField}


class EditDraft(BaseModel):
    """The change being prepared: of one day (``regular``), or of one of the point's values."""

    kind: DayChange | PointField | None = None
    point: str | None = None
    regular: dt.date | None = None  # the day's regular date
    new: dt.date | None = None  # where a move takes it
    holiday_ok: bool | None = None  # the official kept a new date on a holiday
    reason: str | None = None
    value: int | str | None = None  # the point's new fixed day, hours or address


# A button of the edit pressed out of turn is answered like any button no longer valid.
EDIT = Flow("lichxa", EditStep, EditDraft, stale=roles.unknown_action)

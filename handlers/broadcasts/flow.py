"""The /thongbao flow: its steps and its draft, as stored in ``conversation_states``.

The text (a photo may come with it) -> the area: the official's whole area, or a commune in
it, typed -> everyone there or only those who follow a transaction point there. The draft
is then written as a broadcast (storage/broadcasts.py) and the flow left; scheduling it
comes back to the flow for the typed time, with the broadcast's id.
"""

from __future__ import annotations

import enum

from pydantic import BaseModel

from handlers.core import roles
from handlers.core.flows import Flow


class Step(enum.StrEnum):
    TEXT = "text"
    AREA = "area"
    COMMUNE = "commune"
    WHO = "who"
    WHEN = "when"  # a time for the draft ``id``, typed


class Draft(BaseModel):
    text: str | None = None
    photo: str | None = None  # a Telegram file id
    area: str | None = None  # at WHO: the area chosen, None the whole country
    id: int | None = None  # at WHEN: the broadcast being scheduled


# A button of the flow pressed out of turn gets the "this button no longer works" reply.
FLOW = Flow(
    "thongbao",
    Step,
    Draft,
    order=(Step.TEXT, Step.AREA, Step.COMMUNE, Step.WHO),
    stale=roles.unknown_action,
)

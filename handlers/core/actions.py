"""Typed button actions: one small class per button, packed into the bytes a button carries.

In the manner of aiogram's ``CallbackData``: a class declares its prefix, its fields (typed,
validated by pydantic when a press comes back), the role it needs and, for a button that only
means something at certain steps of a flow, those steps::

    class AnswerDanger(Action, prefix="rpd", flow="report", steps=("danger",)):
        choice: Literal["yes", "no", "go"]

    AnswerDanger(choice="yes").pack()       # "rpd:yes"
    Action.parse("rpd:yes")                 # AnswerDanger(choice='yes')

The wire format is the one buttons have always carried, so that buttons already sitting in
people's chats (and Zalo's stored numbered choices) keep working: the prefix, then each field
in order, separated by ":"; trailing empty fields are left out, an empty middle field is "".
The last field may itself contain ":" (it takes the rest). Nothing packs over Telegram's
64 bytes: ``pack`` refuses, so a button that could not be sent is never made.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from handlers.core.types import MAX_ACTION_BYTES, MAX_ROW_ID, row_id

SEPARATOR = ":"


def _row_id(value: object) -> int:
    """Only plain digits name a row ("+5", " 5", "5_0" are no button of ours)."""
    if isinstance(value, str):
        found = row_id(value)
        if found is None:
            raise ValueError(f"not a row id: {value!r}")
        return found
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID:
        return value
    raise ValueError(f"not a row id: {value!r}")


# A database row's id in a button ("xo:42"): what ``types.row_id`` accepts, nothing else.
RowId = Annotated[int, BeforeValidator(_row_id)]


class ActionError(ValueError):
    """Bytes that are no button of ours: unknown prefix, wrong fields, or invalid values."""


class Action(BaseModel):
    """A button's meaning. Subclass with ``prefix=`` (and ``role=``, ``flow=``/``steps=``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prefix: ClassVar[str] = ""
    # The role a user needs to press it (an admin counts for every role); None: anyone.
    role: ClassVar[str | None] = None
    # Works before onboarding is done (choosing a language, consent, linking a channel).
    before_onboarding: ClassVar[bool] = False
    # The flow and steps at which the button means something; pressed elsewhere, it is stale
    # and its flow's own "start again" reply answers (handlers/core/flows.py). Empty: anywhere.
    flow: ClassVar[str | None] = None
    steps: ClassVar[frozenset[str]] = frozenset()

    # Every concrete action, by prefix: dispatch looks presses up here.
    registry: ClassVar[dict[str, type[Action]]] = {}

    def __init_subclass__(
        cls,
        prefix: str | None = None,
        role: str | None = None,
        before_onboarding: bool = False,
        flow: str | None = None,
        steps: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is None:
            return  # an abstract base of other actions
        if not prefix or SEPARATOR in prefix or prefix != prefix.strip():
            raise TypeError(f"{cls.__name__}: bad prefix {prefix!r}")
        taken = Action.registry.get(prefix)
        if taken is not None and taken.__qualname__ != cls.__qualname__:
            raise TypeError(f"prefix {prefix!r} of {cls.__name__} is {taken.__name__}'s already")
        if steps and flow is None:
            raise TypeError(f"{cls.__name__}: steps without a flow")
        cls.prefix, cls.role, cls.before_onboarding = prefix, role, before_onboarding
        cls.flow, cls.steps = flow, frozenset(steps)
        Action.registry[prefix] = cls

    # --- the wire ------------------------------------------------------------------------

    def pack(self) -> str:
        values = [_encode(getattr(self, name)) for name in type(self).model_fields]
        while values and values[-1] == "":
            values.pop()
        for value in values[:-1]:
            if SEPARATOR in value:
                raise ValueError(f"{type(self).__name__}: ':' in a field that is not the last")
        packed = SEPARATOR.join((self.prefix, *values))
        if len(packed.encode()) > MAX_ACTION_BYTES:
            raise ValueError(f"action over {MAX_ACTION_BYTES} bytes: {packed!r}")
        return packed

    @classmethod
    def unpack(cls, data: str) -> Self:
        """This class's action from its bytes; ActionError for anything else."""
        names = list(cls.model_fields)
        prefix, _, rest = data.partition(SEPARATOR)
        if prefix != cls.prefix:
            raise ActionError(f"not a {cls.__name__}: {data!r}")
        parts = rest.split(SEPARATOR, max(len(names) - 1, 0)) if rest or SEPARATOR in data else []
        if len(parts) > len(names) or (parts and not names):
            raise ActionError(f"too many fields for {cls.__name__}: {data!r}")
        given = {name: part for name, part in zip(names, parts, strict=False) if part != ""}
        try:
            return cls.model_validate(given)
        except ValidationError as error:
            raise ActionError(f"bad {cls.__name__}: {data!r}") from error

    @staticmethod
    def parse(data: str) -> Action:
        """The action a button's bytes stand for, whatever its class; ActionError if none."""
        cls = Action.registry.get(data.partition(SEPARATOR)[0])
        if cls is None:
            raise ActionError(f"unknown action: {data!r}")
        return cls.unpack(data)

    def __str__(self) -> str:
        return self.pack()


def _encode(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


class ShowMenu(Action, prefix="menu"):
    """The way back to the main menu, under almost every message (handled by account)."""

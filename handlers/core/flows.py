"""Typed flows: a flow's steps are an enum, its draft a pydantic model, its order written once.

A flow is a conversation that spans several messages (a report, a broadcast, an edit of a
transaction day). What the user entered so far is the flow's *draft*, kept in
``conversation_states.data`` as JSON between messages; here it is read back as the flow's own
model, so a handler reads ``draft.category`` rather than ``data["category"]``::

    class Step(enum.StrEnum):
        DANGER = "danger"
        CONSENT = "consent"

    class Draft(BaseModel):
        danger: bool | None = None

    REPORT = Flow("report", Step, Draft, order=(Step.DANGER, Step.CONSENT))

The step and field values are the strings stored today, so a user in the middle of a flow
when the bot is upgraded goes on where they were.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from handlers.core.context import Context
from handlers.core.types import Reply

log = logging.getLogger(__name__)

TextHandler = Callable[[Context, str], Awaitable[list[Reply]]]
StaleHandler = Callable[[Context], list[Reply]]


StepT = TypeVar("StepT", bound=enum.StrEnum)
DraftT = TypeVar("DraftT", bound=BaseModel)


class Flow(Generic[StepT, DraftT]):
    """One flow: its name (stored with the user's state), steps, draft model and order."""

    registry: ClassVar[dict[str, Flow[Any, Any]]] = {}

    def __init__(
        self,
        name: str,
        steps: type[StepT],
        draft: type[DraftT],
        order: tuple[StepT, ...] = (),
        stale: StaleHandler | None = None,
    ) -> None:
        if name in Flow.registry:
            raise TypeError(f"flow {name!r} is declared twice")
        self.name, self.steps, self.draft_model, self.order = name, steps, draft, order
        self._stale = stale
        # Typed text, by the step that waits for it (handlers/core/dispatch.py routes it);
        # ``other_text`` takes text at any other step of the flow.
        self.text: dict[StepT, TextHandler] = {}
        self.other_text: TextHandler | None = None
        Flow.registry[name] = self

    # --- where the user is -------------------------------------------------------------

    def active(self, ctx: Context) -> bool:
        return ctx.flow == self.name

    def step(self, ctx: Context) -> StepT | None:
        """The user's step in this flow; None when they are not in it (or at a step no
        longer known)."""
        if ctx.flow != self.name or ctx.state.step is None:
            return None
        try:
            return self.steps(ctx.state.step)
        except ValueError:
            return None

    def at(self, ctx: Context, *steps: StepT) -> bool:
        """Is the user in this flow, at one of ``steps`` (at any step when none are given)?"""
        step = self.step(ctx)
        return step is not None and (not steps or step in steps)

    def after(self, step: StepT) -> StepT | None:
        """The step that follows ``step`` in the flow's order; None after the last."""
        index = self.order.index(step)
        return self.order[index + 1] if index + 1 < len(self.order) else None

    # --- the draft ---------------------------------------------------------------------

    def draft(self, ctx: Context) -> DraftT:
        """What the user entered so far; an empty draft outside the flow. A draft stored by
        an older version that no longer validates starts afresh rather than crash."""
        if ctx.flow != self.name:
            return self.draft_model()
        try:
            return self.draft_model.model_validate(ctx.state.data)
        except ValidationError:
            log.warning("draft of flow %s did not validate; starting afresh", self.name)
            return self.draft_model()

    async def enter(self, ctx: Context, step: StepT, draft: DraftT | None = None) -> None:
        """Move the user to ``step``, keeping ``draft`` (or the current one)."""
        kept = draft if draft is not None else self.draft(ctx)
        data = kept.model_dump(mode="json", exclude_none=True)
        if ctx.flow != self.name:
            await ctx.leave_flow()
        ctx.state.data = {}  # the draft is written whole: a field set to None is gone
        await ctx.enter(self.name, step.value, **data)

    async def update(self, ctx: Context, **changes: Any) -> DraftT:
        """Change fields of the draft, staying at the current step."""
        step = self.step(ctx)
        if step is None:
            raise RuntimeError(f"not in flow {self.name}")
        draft = self.draft(ctx).model_copy(update=changes)
        await self.enter(ctx, step, draft)
        return draft

    def text_handler(self, ctx: Context) -> TextHandler | None:
        """Who takes text typed now in this flow: the step's handler, else the flow's other."""
        step = self.step(ctx)
        return self.text.get(step, self.other_text) if step is not None else self.other_text

    # --- out of turn -------------------------------------------------------------------

    def stale(self, ctx: Context) -> list[Reply]:
        """A button of this flow pressed out of turn: the flow's own "start again" reply."""
        if self._stale is not None:
            return self._stale(ctx)
        return [ctx.reply("error.stale_button", [ctx.menu_row()])]

    def on_text(self, *steps: StepT) -> Callable[[TextHandler], TextHandler]:
        """Decorator: the handler of text typed at ``steps`` (no steps: at every other step)."""

        def register(handler: TextHandler) -> TextHandler:
            if not steps:
                if self.other_text is not None:
                    raise TypeError(f"flow {self.name}: other text is handled twice")
                self.other_text = handler
            for step in steps:
                if step in self.text:
                    raise TypeError(f"flow {self.name}: text at {step} is handled twice")
                self.text[step] = handler
            return handler

        return register


class NoDraft(BaseModel):
    """The draft of a flow that keeps nothing between its steps."""

"""The shapes of the functions a route points at, and of a command's entry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from handlers.core.context import Context
from handlers.core.types import Reply

# A button's handler receives its typed action (handlers/core/actions.py).
ActionHandler = Callable[[Context, Any], Awaitable[list[Reply]]]
# A command's handler receives what was typed after the command, words joined by one space.
CommandHandler = Callable[[Context, str], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Command:
    """A chat command: its handler and the role it needs (None: anyone). To someone without
    the role it answers exactly as an unknown command would; handlers check the area."""

    handler: CommandHandler
    role: str | None = None

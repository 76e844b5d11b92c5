"""One update of a chat at a time, in arrival order, while other chats go on: shared by
the channels (bot/telegram.py, bot/zalo.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0  # updates of the chat in hand or waiting for their turn


class ChatTurns:
    """A lock per chat, kept only while the chat has an update in hand or waiting, so the
    table holds the chats active now, not every chat ever seen. asyncio's locks are fair:
    updates take their turns in the order they arrived."""

    def __init__(self) -> None:
        self._turns: dict[Hashable, _Turn] = {}

    def __len__(self) -> int:
        return len(self._turns)

    @asynccontextmanager
    async def turn(self, chat_id: Hashable) -> AsyncIterator[None]:
        turn = self._turns.setdefault(chat_id, _Turn())
        turn.waiting += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.waiting -= 1
            if turn.waiting == 0:
                del self._turns[chat_id]

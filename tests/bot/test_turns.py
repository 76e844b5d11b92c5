"""Chat turns (bot/turns.py): one update of a chat at a time, in arrival order."""

from __future__ import annotations

import asyncio

from bot.turns import ChatTurns


async def test_a_chats_updates_take_turns_in_arrival_order_while_other_chats_go_on():
    turns = ChatTurns()
    log: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def update(chat: int, name: str, hold: bool = False) -> None:
        async with turns.turn(chat):
            log.append(f"{name} in")
            if hold:
                first_in.set()
                await release.wait()
            log.append(f"{name} out")

    first = asyncio.create_task(update(1, "a1", hold=True))
    await first_in.wait()
    later = [asyncio.create_task(update(1, f"a{n}")) for n in (2, 3)]
    await asyncio.create_task(update(2, "b1"))  # another chat is not held up
    assert log == ["a1 in", "b1 in", "b1 out"]
    assert len(turns) == 1  # chat 2 left no lock behind; chat 1 has three updates waiting
    release.set()
    await asyncio.gather(first, *later)
    assert log[3:] == ["a1 out", "a2 in", "a2 out", "a3 in", "a3 out"]
    assert len(turns) == 0


async def test_a_failed_update_gives_the_turn_to_the_next():
    turns = ChatTurns()

    async def fail() -> None:
        async with turns.turn("chat"):
            raise RuntimeError("boom")

    results = await asyncio.gather(fail(), fail(), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    async with turns.turn("chat"):
        assert len(turns) == 1
    assert len(turns) == 0

"""`vbsp-bot poll` as a real process: an update is confirmed to Telegram only once handled,
so a process killed with updates in hand loses none of them."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.test_serve_process import TOKEN, environment
from tests.fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.slow  # a real `vbsp-bot poll` process, killed with -9


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN) as api:
        yield api


class Poll:
    """One `vbsp-bot poll` process, its log read as it comes."""

    def __init__(self, api: FakeTelegramAPI, tmp_path: Path) -> None:
        self.env = environment(api, tmp_path)
        self.cwd = tmp_path
        self.log: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> Poll:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "poll", env=self.env, cwd=self.cwd,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.log.append(line.decode(errors="replace"))

    async def stop(self, sig: int) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), 60)
        if self._reader is not None:
            await self._reader
        return code


async def until(condition, within: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def answered(api: FakeTelegramAPI, chat: int, text: str) -> int:
    return sum(text in m.plain_text for m in api.messages(chat))


def handled(tmp_path: Path) -> set[int]:
    """The update ids the bot recorded as handled (with the dialog's changes)."""
    with sqlite3.connect(tmp_path / "serve.db") as db:
        return {row[0] for row in db.execute("SELECT update_id FROM processed_updates")}


async def test_kill_9_with_updates_in_hand_loses_none_and_answers_each_once(api, tmp_path):
    alice, bob, carol = 601, 602, 603
    ids = [api.make_message(chat, "/start", enqueue=True)["update_id"] for chat in (alice, bob)]
    ids.append(api.make_message(carol, "/start", enqueue=True)["update_id"])
    # Queued behind Carol's first message, in the same batch: fetched, never handled.
    ids.append(api.make_message(carol, "/menu", enqueue=True)["update_id"])
    release = api.hold("sendMessage", carol)  # her first answer hangs; then a kill -9
    first = await Poll(api, tmp_path).start()
    await until(lambda: api.held == 1, 60, "Carol's answer to be on its way")
    await until(lambda: answered(api, bob, "Which language") == 1, 10, "Bob's answer")
    assert answered(api, alice, "Which language") == 1
    assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
    assert handled(tmp_path) == set(ids[:3])  # her "/menu" never came to be handled
    assert len(api.pending_updates) == 4, "nothing confirmed while the batch was in hand"
    release.set()

    second = await Poll(api, tmp_path).start()
    await until(lambda: not api.pending_updates, 60, "the updates to be confirmed")
    assert handled(tmp_path) == set(ids)  # Telegram sent them again; the rest was skipped
    assert await second.stop(signal.SIGTERM) == 0, "".join(second.log)
    assert answered(api, alice, "Which language") == 1  # once, not again
    assert answered(api, bob, "Which language") == 1
    assert not any("Traceback" in line for line in second.log)

"""Telegram long polling that confirms an update only once it is handled.

PTB's Updater asks for the next offset (which tells Telegram the batch was received) as soon
as it has queued a batch, before the handlers ran: a process killed meanwhile loses what it
had queued. Here the next ``getUpdates`` goes out only after the whole batch is handled and
recorded. After a kill -9 Telegram sends the unconfirmed updates again (it keeps them a
day); those already handled are skipped by their ``update_id``, which ``handle()`` records
in the same transaction as the dialog's changes. So no message is dropped.

A batch is handled chat by chat in parallel, each chat's updates in their order. While the
database cannot be reached nothing is confirmed: the batch is asked for again after a pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.telegram import retry_seconds
from storage.errors import database_unreachable

log = logging.getLogger(__name__)

POLL_TIMEOUT = 30  # seconds Telegram holds a getUpdates open when nothing is waiting
BATCH = 100  # Telegram's most per getUpdates
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)  # after network errors, one step further each time
CONFLICT_PAUSE = 15.0  # another poller or a webhook holds the bot: wait, then try again

Handler = Callable[[Update], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]


class TelegramPoller:
    """``getUpdates`` in a loop; start() and stop() around the serving process's life."""

    def __init__(
        self,
        bot,  # type: ignore[no-untyped-def]  # telegram.Bot (PTB's Bot API client)
        handle: Handler,
        timeout: int = POLL_TIMEOUT,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.handle = handle
        self.timeout = timeout
        self.sleep = sleep
        self.offset: int | None = None  # the first update not yet handled, once known
        self._task: asyncio.Task[None] | None = None
        self._waiting = False  # inside getUpdates (safe to cancel), not inside a batch
        self._stopping = False

    async def start(self) -> None:
        # A webhook set earlier would make every getUpdates fail with 409; its pending
        # updates stay and are fetched here.
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self) -> None:
        """Finish the batch in hand (nothing is cut half-way), then stop asking."""
        self._stopping = True
        if self._task is None:
            return
        if self._waiting:
            self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        except Exception:  # it ended on its own (a refused token): logged; stop the rest
            log.exception("Telegram polling had stopped with an error")
        self._task = None
        if self.offset is not None:
            # Confirm what was handled, so the next start does not fetch it again.
            with contextlib.suppress(TelegramError):
                await self.bot.get_updates(offset=self.offset, limit=1, timeout=0)

    async def _run(self) -> None:
        failures = database_failures = 0
        while not self._stopping:
            try:
                self._waiting = True
                try:
                    updates = await self.bot.get_updates(
                        offset=self.offset,
                        limit=BATCH,
                        timeout=self.timeout,
                        read_timeout=self.timeout + 10,
                    )
                finally:
                    self._waiting = False
            except InvalidToken:
                log.error("Telegram refused the token; polling stops")
                raise
            except Conflict as exc:
                log.warning("Telegram polling conflict (%s); trying again shortly", exc.message)
                await self._pause(CONFLICT_PAUSE)
                continue
            except RetryAfter as exc:
                await self._pause(retry_seconds(exc.retry_after))
                continue
            except (NetworkError, TelegramError) as exc:
                wait = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("Telegram getUpdates failed (%s); again in %.0f s", exc, wait)
                await self._pause(wait)
                continue
            failures = 0
            if not updates:
                continue
            if await self._handle_batch(updates):
                self.offset = updates[-1].update_id + 1
                database_failures = 0
                continue
            # Not confirmed: the batch comes again (what was handled is skipped by its id).
            wait = BACKOFF[min(database_failures, len(BACKOFF) - 1)]
            database_failures += 1
            log.warning("the database is unreachable; updates fetched again in %.0f s", wait)
            await self._pause(wait)

    async def _handle_batch(self, updates: list[Update]) -> bool:
        """False when the database could not be reached for some update."""
        chats: dict[object, list[Update]] = defaultdict(list)
        for update in updates:
            chat = update.effective_chat
            chats[chat.id if chat is not None else ("update", update.update_id)].append(update)
        handled = await asyncio.gather(*(self._handle_chat(queue) for queue in chats.values()))
        return all(handled)

    async def _handle_chat(self, updates: list[Update]) -> bool:
        for update in updates:
            try:
                await self.handle(update)
            except Exception as error:
                if database_unreachable(error):
                    return False  # this chat's later updates wait too, to stay in order
                # One bad update must not hold the others back for ever.
                log.exception("update %d could not be handled", update.update_id)
        return True

    async def _pause(self, seconds: float) -> None:
        self._waiting = True
        try:
            await self.sleep(seconds)
        finally:
            self._waiting = False

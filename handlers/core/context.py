"""What every dialog function receives: the user, their state, the content, a session, the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from content.loader import Content
from content.places import province_of
from handlers.core.actions import Action, ShowMenu
from handlers.core.formatting import safe_text
from handlers.core.types import Attachment, Button, FetchFile, Reply
from storage import users
from storage.models import ConversationState, User

if TYPE_CHECKING:
    from handlers.reports.evidence import CleanFile

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Context:
    """One update's view of the world. Handlers change ``user`` and the flow through it."""

    session: AsyncSession
    content: Content
    user: User
    state: ConversationState
    now: dt.datetime
    deleted: bool = field(default=False)
    timezone: ZoneInfo = field(default=ZoneInfo("Asia/Ho_Chi_Minh"))  # BOT_TIMEZONE
    # The row of the channel identity that wrote, when ``user`` is the row holding a person
    # with linked channels (storage/people.py); None when they are the same row.
    identity: User | None = None
    # Files sent with this message, and the channel's way to download them (None: it has none).
    attachments: tuple[Attachment, ...] = ()
    fetch_file: FetchFile | None = None
    # Files already downloaded and cleaned before the update's transaction (by file id):
    # the cleaned copy, or why it could not be taken (handlers/core/dispatch.py).
    prepared: dict[str, CleanFile | Exception] = field(default_factory=dict)
    send_rate: float = 25.0  # SEND_RATE_PER_SECOND: estimates of a broadcast's duration
    report_limit_key: str | None = None  # REPORT_LIMIT_KEY; None: the one kept in the database
    public_base_url: str | None = None  # PUBLIC_BASE_URL: the staff console's sign-in links
    # Written on the Zalo OA, which is on: /caidat offers ZNS to a phone (account/zns.py).
    zns_offered: bool = False
    # The staff console's language switch: pages in this language whatever the chat's is.
    lang_override: str | None = None

    @property
    def me(self) -> User:
        """The identity that wrote: roles, audit and linking are about it, not the person."""
        return self.identity or self.user

    @property
    def province(self) -> int | None:
        """The user's province, from the commune they chose; None until they choose one."""
        return province_of(self.user.commune_code)

    @property
    def lang(self) -> str:
        return self.lang_override or self.user.language or "vi"

    def t(self, key: str, **values: Any) -> str:
        """A message text in the user's language; values are HTML-escaped, since users type them."""
        return safe_text(self.content, key, self.lang, **values)

    def button(self, key: str, action: Action | str, **values: Any) -> Button:
        packed = action if isinstance(action, str) else action.pack()
        return Button(self.content.text(key, self.lang, **values), packed)

    def menu_row(self) -> tuple[Button, ...]:
        return (self.button("button.menu", ShowMenu()),)

    def reply(self, key: str, buttons: Iterable[Iterable[Button]] = (), **values: Any) -> Reply:
        return Reply(self.t(key, **values), tuple(tuple(row) for row in buttons))

    @property
    def flow(self) -> str | None:
        return self.state.flow

    async def enter(self, flow: str, step: str, **data: Any) -> None:
        """Move the user to ``flow``/``step``, keeping what they entered so far."""
        merged = {**(self.state.data if self.state.flow == flow else {}), **data}
        await users.save_state(self.session, self.user.id or 0, flow, step, merged, self.now)
        self.state.flow, self.state.step, self.state.data = flow, step, merged

    async def leave_flow(self) -> None:
        if self.state.flow is not None or self.state.data:
            await users.save_state(self.session, self.user.id or 0, None, None, {}, self.now)
        self.state.flow, self.state.step, self.state.data = None, None, {}

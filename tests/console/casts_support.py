"""What the broadcasts pages' tests share: citizens who chose their commune, staff with roles,
the time fixed at 10:00 in Vietnam (outside the quiet hours, so what is sent goes out when the
sender runs, as in tests/bot/test_broadcast_e2e.py), and the sender driven by hand."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import NamedTuple
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from storage import broadcasts as store
from storage import users
from storage.db import transaction
from storage.models import Broadcast
from tests.bot.conftest import Bot, migrate_like_operators
from tests.conftest import FakeClock
from tests.console.conftest import Console

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICIAL, PROVINCIAL, SECOND, ADMIN, OUTSIDER, MODERATOR = (
    5570001, 5570002, 5570003, 5570004, 5570005, 5570006,
)  # fmt: skip
SON_TINH, OTHER_QN, DIEN_BIEN = "21220", "21025", "03325"  # 21220, 21025 in Quảng Ngãi (51)
IN_COMMUNE = [5571001, 5571002, 5571003]
IN_PROVINCE = [5572001, 5572002]
ELSEWHERE = [5573001]
TEXT = "Lịch giao dịch tháng 12 đổi sang ngày 20 & nhớ mang theo <b>sổ vay</b>"


def vn(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN).astimezone(dt.UTC)


def ten_am_next_week() -> dt.datetime:
    day = dt.datetime.now(VN).date() + dt.timedelta(days=7)
    return vn(day.year, day.month, day.day, 10, 0)


@pytest.fixture(name="casts")
async def casts_fixture(api, database_url: str) -> AsyncIterator[Console]:
    """The console with the time fixed at a weekday's 10:00 (outside the quiet hours), and
    citizens who chose their commune."""
    await migrate_like_operators(database_url)
    clock = FakeClock(ten_am_next_week())
    bot = Bot(api, database_url, clock=clock)
    await bot.start()
    try:
        await seed_citizens(bot, api)
        async with aiohttp.ClientSession() as http:
            yield Console(bot, http)
    finally:
        await bot.stop()


async def seed_citizens(bot: Bot, api) -> None:
    now = bot.clock()
    async with transaction(bot.runtime.deps.sessions) as session:
        groups = ((IN_COMMUNE, SON_TINH), (IN_PROVINCE, OTHER_QN), (ELSEWHERE, DIEN_BIEN))
        for chats, code in groups:
            for chat in chats:
                api.add_chat(chat)
                user = await users.get_or_create_user(session, "telegram", str(chat), now)
                user.language, user.consent_at, user.commune_code = "vi", now, code
        english = await users.find_user(session, "telegram", str(IN_COMMUNE[2]))
        english.language = "en"


async def deliver(console: Console) -> None:
    """What the serving process's sender does: start what is due, send, report."""
    for _ in range(3):
        await console.runtime.sender.run_once()
        console.bot.clock.advance(seconds=2)


async def official(console: Console, chat: int, area: str | None, role: str = "official"):
    await console.grant(chat, role, area)
    return await console.client(chat)


async def state_of(console: Console, broadcast_id: int) -> Broadcast:
    async with transaction(console.runtime.deps.sessions) as session:
        found = await store.get(session, broadcast_id)
        assert found is not None
        return found


def got(api, chat: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The announcements a chat received."""
    return [m.plain_text for m in api.messages(chat) if "Thông báo của NHCSXH" in m.plain_text
            or "Announcement from VBSP" in m.plain_text]  # fmt: skip


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


class Seeded(NamedTuple):
    id: int
    created_at: dt.datetime
    status: str


async def seed_broadcasts(
    console: Console, area: str, author: int, statuses: list[str], start: dt.datetime
) -> list[Seeded]:
    """Broadcasts written straight to the database, one a minute back from ``start``, two at
    a time sharing a minute (the id breaks the tie), in an order their ids do not follow."""
    made: list[Seeded] = []
    order = list(range(len(statuses)))
    order = order[1::2] + order[::2]  # the ids are not the dates' order
    async with transaction(console.runtime.deps.sessions) as session:
        for i in order:
            at = start - dt.timedelta(minutes=i // 2)
            b = await store.create(
                session,
                Broadcast(
                    author=f"telegram:{author}",
                    area_code=area,
                    text=f"Thông báo thử {area} số {i}",
                    status=statuses[i],
                    created_at=at,
                ),
            )
            made.append(Seeded(b.id or 0, at, statuses[i]))
    return made


def newest_first(seeded: list[Seeded]) -> list[int]:
    return [s.id for s in sorted(seeded, key=lambda s: (s.created_at, s.id), reverse=True)]

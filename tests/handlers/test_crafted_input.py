"""Crafted button data and odd digits ("²", Arabic-Indic digits, ids past PostgreSQL's
integer) get the kind answer for a stale button or a bad value, never the apology for an
internal error, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from handlers.core.dispatch import Deps, handle
from handlers.core.types import Incoming, row_id
from handlers.schedules.csv import parse_schedule_csv
from storage import roles as role_store
from storage import schedules
from storage.db import transaction
from tests.conftest import Chat

APOLOGY = "bot vừa gặp lỗi"
SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
ODD = ("²", "٣", "0", "-1", "3000000000", "99999999999999999999", "1e3", "")


async def tap(chat: Chat, action: str) -> str:
    incoming = Incoming(chat.channel, chat.user_id, action=action)
    chat.replies = await handle(incoming, chat.deps) or []
    return chat.text


async def grant(deps: Deps, user: str, role: str, area: str | None) -> Chat:
    async with transaction(deps.sessions) as session:
        await role_store.grant(session, "test", user, role, area, "cli")
    chat = Chat(deps, user_id=user)
    await chat.onboard()
    return chat


def test_row_ids_are_plain_digits_in_range():
    assert [row_id(t) for t in ("1", "42", "2147483647")] == [1, 42, 2147483647]
    assert all(row_id(t) is None for t in (*ODD, "2147483648", " 1", "1 "))


@pytest.mark.parametrize("odd", ODD)
async def test_a_citizens_crafted_buttons(chat: Chat, odd: str):
    await chat.onboard()
    for action in (f"rv:{odd}", f"rw:{odd}", f"rwy:{odd}", f"rq:{odd}"):
        text = await tap(chat, action)
        assert APOLOGY not in text, (action, text)
        assert chat.buttons, action  # always a way on


@pytest.mark.parametrize("odd", ODD)
async def test_a_moderators_and_an_admins_crafted_buttons(deps: Deps, odd: str):
    moderator = await grant(deps, "7001", "moderator", "51")
    for action in (f"xo:{odd}", f"xt:{odd}", f"xl:open::{odd}", f"xl:open:usury:{odd}"):
        assert APOLOGY not in await tap(moderator, action), action
    admin = await grant(deps, "7002", "admin", None)
    assert APOLOGY not in await tap(admin, f"qr:{odd}")


@pytest.mark.parametrize("typed", ["²", "٣", "3000000000", "1²"])
async def test_odd_digits_typed_as_values(deps: Deps, typed: str):
    async with transaction(deps.sessions) as session:
        rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    official = await grant(deps, "7003", "official", None)
    await tap(official, "lxe:SAMPLE-21220-TINHHA:day")
    assert "ngày" in official.text
    await official.send(typed)  # the monthly day
    assert APOLOGY not in official.text and official.buttons
    admin = await grant(deps, "7004", "admin", None)
    await admin.send("/quyen")
    await admin.press("Cấp quyền")
    await admin.send("telegram:5550202")
    await admin.press("người xử lý phản ánh")
    await admin.send(typed)  # the area
    assert APOLOGY not in admin.text and admin.buttons
    citizen = Chat(deps, user_id="7005")
    await citizen.onboard()
    await citizen.send("/tinhlai")
    await citizen.send(typed)  # an amount
    assert APOLOGY not in citizen.text


async def test_a_crafted_commune_button_is_taken_as_the_commune_it_names(deps: Deps):
    """ "tbk:04" names commune 00004 (Ba Đình): the draft's area is that commune, never the
    two digits, which would read as a whole province."""
    from storage.models import ConversationState

    official = await grant(deps, "7006", "official", "01")
    await official.send("/thongbao")
    await official.send("Lịch giao dịch tháng này đổi sang ngày 20.")
    await tap(official, "tbc")
    await tap(official, "tbk:04")
    assert "Ba Đình" in official.text
    async with transaction(deps.sessions) as session:
        states = (await session.exec(select(ConversationState))).all()
        assert [s.data.get("area") for s in states if s.flow == "thongbao"] == ["00004"]


async def test_a_broadcast_is_measured_as_telegram_counts_it(deps: Deps):
    """Emoji are two UTF-16 units: 2,000 of them are 4,000, over the 3,000 a broadcast may
    hold (a caption of 800), though they are 2,000 characters."""
    official = await grant(deps, "7007", "official", "01")
    await official.send("/thongbao")
    await official.send("📢" * 2000)
    assert "4000" in official.text.replace(".", "") and "3000" in official.text.replace(".", "")
    await official.send("📢" * 1500)  # 3,000 units: fits
    assert "4000" not in official.text.replace(".", "") and APOLOGY not in official.text

"""Linking two channels of one person, through the dialogs (storage/people.py underneath)."""

from __future__ import annotations

import datetime as dt
import re

from storage import people, roles, subscriptions, users
from storage.db import transaction
from storage.models import TransactionPoint
from tests.conftest import Chat

CODE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")


async def add_point(deps, point_id: str = "P1") -> None:
    async with transaction(deps.sessions) as s:
        s.add(
            TransactionPoint(
                id=point_id, commune_code="21220", name="Điểm Tịnh Hà", address="UBND xã cũ",
                day_of_month=15, start_time=dt.time(7, 30), end_time=dt.time(11, 0),
                office="PGD Sơn Tịnh", phone="0255 000 000",
            )
        )  # fmt: skip


async def code_from(chat: Chat) -> str:
    await chat.send("/caidat")
    await chat.press("link")
    await chat.press("link_code")
    found = CODE.search(chat.text)
    assert found, chat.text
    return found[0]


async def test_link_merges_settings_and_subscriptions(deps):
    await add_point(deps)
    await add_point(deps, "P2")
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard("en")
    await telegram.send("/lich")
    await telegram.send("son tinh")
    zalo = Chat(deps, "z-222", "zalo")
    await zalo.onboard("vi")
    async with transaction(deps.sessions) as s:
        zrow = await users.find_user(s, "zalo", "z-222")
        trow = await users.find_user(s, "telegram", "111")
        await subscriptions.subscribe(s, zrow.id, "P2", deps.clock())
        await subscriptions.subscribe(s, trow.id, "P1", deps.clock())

    code = await code_from(telegram)
    assert "10" in telegram.text  # minutes
    await zalo.send(f"/lienket {code.lower().replace('-', ' ')}")
    assert "Linked: Telegram, Zalo" in zalo.text  # the person's language is Telegram's (en)

    async with transaction(deps.sessions) as s:
        trow = await users.find_user(s, "telegram", "111")
        zrow = await users.find_user(s, "zalo", "z-222")
        assert zrow.person_id == trow.id and trow.person_id is None
        assert zrow.commune_code is None and zrow.consent_at is None  # nothing twice
        assert trow.commune_code == "21220"
        assert await subscriptions.subscribed_points(s, trow.id) == {"P1", "P2"}
        assert await subscriptions.subscribed_points(s, zrow.id) == set()

    await zalo.send("/caidat")
    assert "Sơn Tịnh" in zalo.text  # settings follow the person


async def test_codes_are_single_use_expire_and_are_checked(deps, clock):
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard()
    zalo = Chat(deps, "z-222", "zalo")
    await zalo.onboard()
    await zalo.send("/lienket ABCD-2345")
    assert "không đúng" in zalo.text
    code = await code_from(telegram)
    clock.advance(minutes=11)
    await zalo.send(f"/lienket {code}")
    assert "hết hạn" in zalo.text
    code = await code_from(telegram)
    await telegram.send(f"/lienket {code}")  # typed where it was shown
    assert "đã liên kết với nhau rồi" in telegram.text
    other = Chat(deps, "999", "telegram")
    await other.onboard()
    await other.send(f"/lienket {code}")  # a second Telegram account for the same person
    assert "đã liên kết với một tài khoản Telegram khác" in other.text
    await zalo.send("/caidat")
    await zalo.press("link")
    await zalo.press("link_enter")
    await zalo.send("nope")
    assert "không đúng" in zalo.text
    await zalo.send(code)  # still waiting for the code: it is taken now
    assert "Đã liên kết" in zalo.text


async def test_a_code_needs_consent(deps):
    telegram = Chat(deps, "111", "telegram")
    await telegram.send("/start")
    await telegram.press("lang:vi")
    await telegram.press("consent:no")
    await telegram.send("/lienket")
    await telegram.press("link_code")
    assert "đồng ý" in telegram.text and CODE.search(telegram.text) is None


async def test_roles_stay_with_the_identity_they_were_granted_to(deps):
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard()
    async with transaction(deps.sessions) as s:
        await roles.grant(s, "telegram", "111", "admin", None, "cli", deps.clock())
    zalo = Chat(deps, "z-222", "zalo")
    code = await code_from(telegram)
    await zalo.send(f"/lienket {code}")
    await zalo.send("/quyen")
    assert "Tôi không biết lệnh /quyen" in zalo.text
    await telegram.send("/quyen")
    assert "Tôi không biết lệnh" not in telegram.text  # the admin still has it on Telegram


async def test_deleting_data_from_either_channel_erases_the_person(deps):
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard()
    zalo = Chat(deps, "z-222", "zalo")
    await zalo.send(f"/lienket {await code_from(telegram)}")
    await zalo.send("/dulieu")
    await zalo.press("data_delete")
    await zalo.press("data_delete_yes")
    async with transaction(deps.sessions) as s:
        assert await users.find_user(s, "telegram", "111") is None
        assert await users.find_user(s, "zalo", "z-222") is None


async def test_unlink_from_the_linked_side_and_make_holder(deps):
    await add_point(deps)
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard()
    zalo = Chat(deps, "z-222", "zalo")
    await zalo.send(f"/lienket {await code_from(telegram)}")
    async with transaction(deps.sessions) as s:
        trow = await users.find_user(s, "telegram", "111")
        await subscriptions.subscribe(s, trow.id, "P1", deps.clock())
    await zalo.send("/lienket")
    await zalo.press("link_here")
    async with transaction(deps.sessions) as s:
        trow = await users.find_user(s, "telegram", "111")
        zrow = await users.find_user(s, "zalo", "z-222")
        assert trow.person_id == zrow.id and zrow.person_id is None
        assert zrow.consent_at is not None and trow.consent_at is None
        assert await subscriptions.subscribed_points(s, zrow.id) == {"P1"}
    await telegram.send("/lienket")
    await telegram.press("link_unlink")
    assert "Đã hủy liên kết" in telegram.text and "Zalo" in telegram.text
    async with transaction(deps.sessions) as s:
        trow = await users.find_user(s, "telegram", "111")
        assert trow.person_id is None and trow.language == "vi"
        assert await people.identities(s, trow.id) == [trow]
    await telegram.send("/menu")  # on its own again, in the same language
    assert "Bạn cần gì?" in telegram.text

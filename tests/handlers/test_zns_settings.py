"""/caidat → ZNS: the number asked in plain words, checked, confirmed, shown, stopped, deleted."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from handlers.account.actions import OfferZnsPhone
from handlers.core.dispatch import Deps
from handlers.core.types import Incoming
from storage import users, zalo_oa_contacts
from storage.db import transaction
from tests.conftest import Chat


@pytest.fixture
def oa_chat(deps: Deps) -> Chat:
    return Chat(dataclasses.replace(deps, zns_channels=frozenset({"test"})))


async def kept_phone(deps: Deps, user_id: str = "1001") -> str | None:
    async with transaction(deps.sessions) as s:
        user = await users.find_user(s, "test", user_id)
        return await zalo_oa_contacts.phone_of(s, user.id)


async def test_not_offered_without_the_oa_channel(chat: Chat):
    await chat.onboard()
    await chat.send("/caidat")
    assert not any(b.action == "zns" for b in chat.buttons)
    await chat._handle(Incoming("test", "1001", action="zns_ask"))
    assert "chưa gửi tin nhắn Zalo (ZNS)" in chat.text


async def test_a_number_typed_wrong_then_right_confirmed_shown_and_deleted(
    oa_chat: Chat, deps: Deps
):
    await oa_chat.onboard()
    await oa_chat.send("/caidat")
    await oa_chat.press("ZNS")
    assert "Nhận nhắc lịch qua tin nhắn Zalo (ZNS) khi lâu không nhắn" in oa_chat.text
    assert "Đang tắt" in oa_chat.text
    await oa_chat.press("Cho số điện thoại")
    assert "0912 345 678" in oa_chat.text

    await oa_chat.send("số của tôi")
    assert "không phải số điện thoại" in oa_chat.text and oa_chat.find("menu")
    await oa_chat.send("0243 825 1234")
    assert "máy bàn" in oa_chat.text
    await oa_chat.send("09123")
    assert "10 chữ số" in oa_chat.text
    await oa_chat.send("+84 912-345-678")
    assert "0912 *** 678" in oa_chat.text and "912345678" not in oa_chat.text
    assert await kept_phone(deps) is None  # nothing kept before the consent is given

    await oa_chat.send("có")  # consent is a press, never a guess from typed words
    assert "«Đồng ý»" in oa_chat.text and await kept_phone(deps) is None
    await oa_chat.press("Đồng ý")
    assert "Đã lưu số 0912 *** 678" in oa_chat.text
    assert await kept_phone(deps) == "84912345678"

    await oa_chat.send("/dulieu")
    assert "Số điện thoại nhận tin ZNS: 0912 *** 678 (đồng ý ngày 22/11/2026)" in oa_chat.text
    await oa_chat.press("data_delete")
    await oa_chat.press("data_delete_yes")
    async with transaction(deps.sessions) as s:
        assert await users.find_user(s, "test", "1001") is None
        rows = await s.exec(select(zalo_oa_contacts.ZnsPhone))
        assert rows.all() == []


async def test_stopping_deletes_the_number_and_english_reads_the_same(oa_chat: Chat, deps: Deps):
    await oa_chat.onboard("en")
    await oa_chat.send("/caidat")
    await oa_chat.press("ZNS")
    await oa_chat.press("Give my phone number")
    await oa_chat.send("0987654321")
    assert "Do you agree" in oa_chat.text and "0987 *** 321" in oa_chat.text
    await oa_chat.press("Not now")
    assert await kept_phone(deps) is None and "Off" in oa_chat.text
    await oa_chat.press("Give my phone number")
    await oa_chat.send("0987654321")
    await oa_chat.press("I agree")
    assert await kept_phone(deps) == "84987654321"
    await oa_chat.send("/caidat")
    await oa_chat.press("ZNS")
    assert "On: sent to 0987 *** 321" in oa_chat.text
    await oa_chat.press("Stop and delete")
    assert "your phone number is deleted" in oa_chat.text
    assert await kept_phone(deps) is None
    assert not any(b.action == "zns_ok" for b in oa_chat.buttons)


async def test_the_oa_form_number_needs_the_same_confirmation(oa_chat: Chat, deps: Deps):
    await oa_chat.onboard()
    await oa_chat._handle(
        Incoming("test", "1001", action=OfferZnsPhone(phone="84912345678").pack())
    )
    assert "Bạn đồng ý để ngân hàng lưu số <b>0912 *** 678</b>" in oa_chat.text
    assert await kept_phone(deps) is None
    await oa_chat.press("Đồng ý")
    assert await kept_phone(deps) == "84912345678"
    # A pressed "agree" out of turn (the flow is over) stores nothing new.
    await oa_chat._handle(Incoming("test", "1001", action="zns_ok"))
    assert "nút này đã cũ" in oa_chat.text.lower()


async def test_withdrawing_consent_deletes_the_number(oa_chat: Chat, deps: Deps):
    await oa_chat.onboard()
    await oa_chat.send("/caidat")
    await oa_chat.press("ZNS")
    await oa_chat.press("Cho số điện thoại")
    await oa_chat.send("0912345678")
    await oa_chat.press("Đồng ý")
    await oa_chat.send("/dulieu")
    await oa_chat.press("data_withdraw")
    assert await kept_phone(deps) is None
    await oa_chat.send("/caidat")
    await oa_chat.press("ZNS")
    await oa_chat.press("Cho số điện thoại")
    assert "trước hết bạn cần đồng ý" in oa_chat.text

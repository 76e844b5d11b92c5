"""Linking two channels of one person, through the dialogs (storage/people.py underneath)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from sqlmodel import select

from handlers.core import routes
from handlers.core.actions import Action
from handlers.core.dispatch import handle
from handlers.core.types import Incoming, Reply
from storage import broadcasts, people, roles, subscriptions, users
from storage.db import transaction
from storage.models import Broadcast, Outbox, TransactionPoint
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


# --- one person, however many channels: announcements, approval, consent, one at a time ---


async def linked_pair(deps, telegram_id: str = "111", zalo_id: str = "z-222") -> tuple[Chat, Chat]:
    """A person set up on Telegram (the holder) who linked their Zalo account."""
    telegram = Chat(deps, telegram_id, "telegram")
    await telegram.onboard()
    zalo = Chat(deps, zalo_id, "zalo")
    await zalo.onboard()
    await zalo.send(f"/lienket {await code_from(telegram)}")
    assert "Đã liên kết" in zalo.text
    return telegram, zalo


async def act(chat: Chat, action: str) -> None:
    """A button's action, pressed whether or not the last reply showed it."""
    chat.replies = (
        await handle(Incoming(chat.channel, chat.user_id, action=action), chat.deps) or []
    )


async def audiences(deps) -> list[int]:
    """How many hear a broadcast to the whole country, to 21220, to its subscribers."""
    async with transaction(deps.sessions) as s:
        return [
            await broadcasts.count_audience(s, None, False),
            await broadcasts.count_audience(s, ["21220"], False),
            await broadcasts.count_audience(s, ["21220"], True),
        ]


async def settle_in_son_tinh(deps) -> None:  # type: ignore[no-untyped-def]
    """The Telegram side (the holder) chooses Sơn Tịnh and follows its point P1."""
    async with transaction(deps.sessions) as s:
        trow = await users.find_user(s, "telegram", "111")
        trow.commune_code = "21220"
        await subscriptions.subscribe(s, trow.id, "P1", deps.clock())


async def test_every_audience_reaches_a_linked_person_once_and_either_side_stops_it(deps):
    await add_point(deps)
    telegram, zalo = await linked_pair(deps)
    await settle_in_son_tinh(deps)
    assert await audiences(deps) == [1, 1, 1]
    async with transaction(deps.sessions) as s:
        broadcast = await broadcasts.create(
            s, Broadcast(author="telegram:1", text="x", status=broadcasts.SENDING)
        )
        assert await broadcasts.expand(s, broadcast, None, ("vi", "en"), deps.clock()) == 1
        rows = (await s.exec(select(Outbox))).all()
        assert [(r.channel, r.channel_user_id) for r in rows] == [("telegram", "111")]

    await act(zalo, "ann:off")  # "stop announcements" from the linked account
    assert await audiences(deps) == [0, 0, 0]
    await act(telegram, "ann:on")
    assert await audiences(deps) == [1, 1, 1]


async def test_announcements_off_survive_link_here_linking_and_unlinking(deps):
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard()
    async with transaction(deps.sessions) as s:
        (await users.find_user(s, "telegram", "111")).commune_code = "21220"
    await act(telegram, "ann:off")
    zalo = Chat(deps, "z-222", "zalo")
    await zalo.onboard()
    await zalo.send(f"/lienket {await code_from(telegram)}")
    await zalo.send("/lienket")
    await zalo.press("link_here")  # the person now holds on Zalo: their settings go with them
    async with transaction(deps.sessions) as s:
        zrow = await users.find_user(s, "zalo", "z-222")
        assert zrow.person_id is None and zrow.commune_code == "21220"
        assert zrow.announcements is False
    assert await audiences(deps) == [0, 0, 0]
    await zalo.send("/caidat")
    assert "đang tắt" in zalo.text
    await telegram.send("/lienket")
    await telegram.press("link_unlink")  # on its own again, still without announcements
    async with transaction(deps.sessions) as s:
        trow = await users.find_user(s, "telegram", "111")
        assert trow.person_id is None and trow.announcements is False
    assert await audiences(deps) == [0, 0, 0]

    # Turned off on the side that types the code: still off for the person it joins.
    other = Chat(deps, "333", "telegram")
    await other.onboard()
    await act(telegram, "ann:on")
    await telegram.send(f"/lienket {await code_from(zalo)}")
    async with transaction(deps.sessions) as s:
        assert (await users.find_user(s, "zalo", "z-222")).announcements is False
    assert await audiences(deps) == [1, 0, 0]  # only the other citizen


async def test_an_author_cannot_approve_their_own_broadcast_from_a_linked_account(deps):
    async with transaction(deps.sessions) as s:
        for channel, user_id in (("telegram", "900"), ("zalo", "z-900"), ("telegram", "901")):
            await roles.grant(s, channel, user_id, "official", "51", "cli", deps.clock())
    telegram, zalo = await linked_pair(deps, "900", "z-900")
    second = Chat(deps, "901", "telegram")
    await second.onboard()
    await telegram.send("/thongbao")
    await telegram.send("Thông báo cho cả tỉnh Quảng Ngãi về lịch giao dịch tháng này")
    await telegram.press("tbw:51")
    await telegram.press("tbs:0")
    await telegram.press("tbok:1")
    assert "đã báo cho 1 người có quyền duyệt" in telegram.text  # 901, not the author's Zalo
    await zalo.send("/thongbao")
    assert "đang chờ bạn duyệt" not in zalo.text
    for action in ("tbr:1", "tbap:1"):
        await act(zalo, action)
        assert "Nút này đã cũ" in zalo.text
    await second.send("/thongbao")
    assert "Có 1 thông báo đang chờ bạn duyệt" in second.text
    await act(second, "tbap:1")
    async with transaction(deps.sessions) as s:
        broadcast = await broadcasts.get(s, 1)
        assert broadcast.status == broadcasts.QUEUED and broadcast.approved_by == "telegram:901"


async def test_a_new_account_links_with_the_buttons_without_setting_up_again(deps):
    telegram = Chat(deps, "111", "telegram")
    await telegram.onboard("en")
    code = await code_from(telegram)
    zalo = Chat(deps, "z-222", "zalo")  # never wrote before: no language yet
    await zalo.send("/lienket")
    await zalo.press("link_enter")
    assert "Hãy gõ mã liên kết" in zalo.text
    await zalo.send(code)
    assert "Linked: Telegram, Zalo" in zalo.text
    await zalo.send("/menu")  # the person is set up already: the menu, in their language
    assert "What do you need?" in zalo.text
    assert not any(b.action.startswith("lang:") for b in zalo.buttons)


async def test_withdrawing_consent_on_a_linked_account_separates_the_channels(deps):
    await add_point(deps)
    _, zalo = await linked_pair(deps)
    await settle_in_son_tinh(deps)
    await zalo.send("/dulieu")
    await zalo.press("data_withdraw")
    assert "liên kết kênh" in zalo.text
    async with transaction(deps.sessions) as s:
        for channel, user_id in (("telegram", "111"), ("zalo", "z-222")):
            row = await users.find_user(s, channel, user_id)
            assert row.person_id is None and row.language == "vi"
            assert row.consent_at is None and row.commune_code is None
            assert await subscriptions.subscribed_points(s, row.id) == set()
    assert await audiences(deps) == [2, 0, 0]  # two chat accounts, each known by language


class ProbeCount(Action, prefix="probe_count"):
    """A test's own button: counts, slowly, in the person's conversation state."""


async def test_one_persons_updates_from_two_channels_are_handled_one_after_the_other(
    deps, monkeypatch
):
    """Both channels of a person share one conversation state: an update from one waits
    for the other's to finish (PostgreSQL locks the holder's row; SQLite takes turns)."""

    async def count(ctx, action):  # type: ignore[no-untyped-def]
        seen = int(ctx.state.data.get("n", 0))
        await asyncio.sleep(0.3)  # a slow moment, as under load
        await ctx.enter("probe", "count", n=seen + 1)
        return [Reply(str(seen + 1))]

    monkeypatch.setitem(routes.ACTIONS, ProbeCount, count)
    await linked_pair(deps)
    await handle(Incoming("telegram", "111", action="probe_count"), deps)
    answers = await asyncio.gather(
        handle(Incoming("telegram", "111", action="probe_count"), deps),
        handle(Incoming("zalo", "z-222", action="probe_count"), deps),
    )
    assert sorted(a[0].text for a in answers) == ["2", "3"]
    async with transaction(deps.sessions) as s:
        trow = await users.find_user(s, "telegram", "111")
        assert (await users.get_state(s, trow.id)).data == {"n": 3}

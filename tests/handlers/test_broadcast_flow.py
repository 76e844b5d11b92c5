"""The /thongbao flow by its steps: buttons pressed out of turn, text typed where a button
is awaited, an official whose role went away mid-flow, and a draft's scheduling step."""

from __future__ import annotations

from handlers.core.dispatch import Deps, handle
from handlers.core.types import Incoming
from storage import roles as role_store
from storage.db import transaction
from tests.conftest import Chat

STALE = "Nút này đã cũ"


async def official(deps: Deps, user: str = "8001", area: str | None = "51") -> Chat:
    async with transaction(deps.sessions) as session:
        await role_store.grant(session, "test", user, "official", area, "cli")
    chat = Chat(deps, user_id=user)
    await chat.onboard()
    return chat


async def tap(chat: Chat, action: str) -> str:
    chat.replies = await handle(Incoming(chat.channel, chat.user_id, action=action), chat.deps)
    return chat.text


async def test_buttons_out_of_turn_and_text_where_a_button_is_awaited(deps: Deps):
    chat = await official(deps)
    for data in ("tbw:51", "tbc", "tbk:21220", "tbs:0"):  # not in the flow at all
        assert STALE in await tap(chat, data), data
    await chat.send("/thongbao")
    assert STALE in await tap(chat, "tbs:0")  # at the text, not the audience
    await chat.send("Lịch giao dịch tháng này đổi sang ngày 20.")
    assert STALE in await tap(chat, "tbk:21220")  # at the area, not the commune
    await chat.send("21220")  # typed where a button is awaited
    assert "Hãy bấm một nút ở tin nhắn trên" in chat.text
    await tap(chat, "tbc")  # still at the area
    await chat.send("Sơn Tịnh")
    await chat.press("tbk:21220")
    await chat.press("tbs:1")
    assert "Xem trước" in chat.text and "tbok:1" in [b.action for b in chat.buttons]


async def test_an_official_revoked_mid_flow_is_answered_as_for_an_unknown_command(deps):
    chat = await official(deps)
    await chat.send("/thongbao")
    async with transaction(deps.sessions) as session:
        await role_store.revoke(session, "test", chat.user_id, "official", "51")
    await chat.send("Một thông báo")
    assert "Tôi không biết lệnh /thongbao" in chat.text
    await chat.send("Một thông báo")  # the flow was left: an ordinary question now
    assert "/thongbao" not in chat.text


async def test_a_time_is_asked_for_the_draft_and_a_bad_one_asked_again(deps: Deps):
    chat = await official(deps, area="21220")
    await chat.send("/thongbao")
    await chat.send("Thông báo hẹn giờ")
    await chat.press("tbw:21220")
    await chat.press("tbs:0")
    await chat.press("tbh:1")
    await chat.send("hôm nào đó")
    assert "Không hiểu thời điểm này" in chat.text
    await chat.send("07:30 16/12")
    assert "07:30 16/12" in chat.text and "tbv:1" in [b.action for b in chat.buttons]
    assert STALE in await tap(chat, "tbh:1")  # no longer a draft


async def test_an_official_of_the_area_sees_where_a_confirmed_one_stands_but_not_a_draft(
    deps: Deps,
):
    author = await official(deps, user="8001", area="21220")
    await author.send("/thongbao")
    await author.send("Thông báo của xã")
    await author.press("tbw:21220")
    await author.press("tbs:0")
    provincial = await official(deps, user="8002", area="51")
    assert STALE in await tap(provincial, "tbv:1")  # a draft is its author's alone
    await author.press("tbok:1")
    shown = await tap(provincial, "tbv:1")
    assert "<b>Thông báo số 1</b> — sắp gửi" in shown, shown
    # Theirs to see, not to cancel (only its author or an admin may).
    assert "tbx:1" not in [b.action for b in provincial.buttons]
    await tap(author, "tbv:1")
    assert "tbx:1" in [b.action for b in author.buttons]
    outsider = await official(deps, user="8003", area="03")
    assert STALE in await tap(outsider, "tbv:1")

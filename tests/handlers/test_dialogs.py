"""The dialogs, read as conversations: a user sends, the bot answers, the user presses."""

from __future__ import annotations

import datetime as dt
from collections import deque

import pytest
from sqlmodel import select

from content.loader import Content
from handlers.core import routes
from handlers.core.dispatch import Deps
from handlers.core.route_types import Command
from storage import broadcasts as broadcast_store
from storage import outbox, subscriptions, users
from storage.db import transaction
from storage.models import Broadcast, Outbox, TransactionPoint
from tests.conftest import Chat


async def stored_user(deps: Deps, user_id: str = "1001", channel: str = "test"):
    async with transaction(deps.sessions) as session:
        return await users.find_user(session, channel, user_id)


async def test_first_visit_asks_language_then_consent_then_shows_menu(chat: Chat, deps: Deps):
    await chat.send("/start")
    assert "tiếng Việt" in chat.text and "Which language" in chat.text
    assert [b.action for b in chat.buttons] == ["lang:vi", "lang:en"]

    await chat.press("Tiếng Việt")
    assert "Bot lưu gì về bạn?" in chat.text
    assert {b.action for b in chat.buttons} == {"consent:yes", "consent:no"}

    await chat.press("Tôi đồng ý")
    assert "Cảm ơn bạn" in chat.text
    assert "Các chương trình cho vay" in chat.buttons[0].label
    user = await stored_user(deps)
    assert user.language == "vi"
    assert user.consent_at == deps.clock()


async def test_return_visit_goes_straight_to_the_menu(chat: Chat):
    await chat.onboard()
    await chat.send("/start")
    assert chat.find("progs")
    assert "Bot lưu gì" not in chat.text


async def test_declining_consent_keeps_no_display_name(deps: Deps):
    from handlers.core.dispatch import handle
    from handlers.core.types import Incoming

    await handle(Incoming("test", "7", text="/start", display_name="Bà Tư"), deps)
    await handle(Incoming("test", "7", action="lang:vi", display_name="Bà Tư"), deps)
    replies = await handle(Incoming("test", "7", action="consent:no", display_name="Bà Tư"), deps)
    assert "Không sao" in replies[0].text
    user = await stored_user(deps, "7")
    assert user.consent_at is None and user.display_name is None
    await handle(Incoming("test", "7", text="xin chao", display_name="Bà Tư"), deps)
    assert (await stored_user(deps, "7")).display_name is None


async def test_typing_during_onboarding_repeats_the_question_kindly(chat: Chat):
    await chat.send("/start")
    await chat.send("vay von ho ngheo")
    assert [b.action for b in chat.buttons] == ["lang:vi", "lang:en"]
    await chat.press("lang:en")
    await chat.send("hello?")
    assert "Please tap one of the buttons" in chat.text
    assert {b.action for b in chat.buttons} == {"consent:yes", "consent:no"}


async def test_program_browser_list_card_and_back(chat: Chat, content: Content):
    await chat.onboard()
    await chat.send("/chuongtrinh")
    program_actions = [b.action for b in chat.buttons if b.action.startswith("prog:")]
    assert len(program_actions) == len(content.programs) == 11

    await chat.press("prog:poor")
    assert len(chat.replies) == 1  # one short message; the rest is behind its buttons
    card = chat.text
    assert "6,24%/năm" in card and "0,52%/tháng" in card
    await chat.press("pp:poor:l")
    assert "2553/QĐ-TTg" in chat.text
    assert "22/11/2026" in chat.text
    await chat.press("prog:poor")  # back to the card
    await chat.press("progs")
    assert chat.find("prog:student")


async def test_program_card_in_english(chat: Chat):
    await chat.onboard("en")
    await chat.press("progs")
    await chat.press("prog:near_poor")
    assert "7.488% a year" in chat.text
    assert "Who can borrow" in chat.text


@pytest.mark.parametrize("question", ["vay von ho ngheo", "Vay vốn hộ nghèo"])
async def test_free_text_answers_with_the_topic_and_offers_the_card(chat: Chat, question: str):
    await chat.onboard()
    await chat.send(question)
    assert chat.find("prog:poor")
    assert chat.find("menu")
    assert "Căn cứ" in chat.text or "Thông tin kiểm tra" in chat.text


async def test_unknown_question_gets_a_kind_fallback_and_the_menu(chat: Chat):
    await chat.onboard()
    await chat.send("giá vàng hôm nay")
    assert "chưa hiểu" in chat.text
    assert chat.find("menu")


async def test_cancel_with_and_without_a_flow(chat: Chat):
    await chat.send("/start")  # in the onboarding flow
    await chat.press("lang:vi")
    await chat.send("/huy")
    assert "Đã hủy" in chat.text
    await chat.send("/huy")
    assert "Không có gì để hủy" in chat.text


async def test_settings_change_language(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send("/caidat")
    assert "Ngôn ngữ: Tiếng Việt" in chat.text
    await chat.press("lang:en")
    assert "Language changed to English" in chat.text
    assert chat.find("Loan programs")
    assert (await stored_user(deps)).language == "en"


async def test_my_data_shows_everything_kept_and_deletes_for_good(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send("/dulieu")
    assert "1001" in chat.text and "đã đồng ý ngày 22/11/2026" in chat.text
    await chat.press("data_delete")
    assert "vĩnh viễn" in chat.text
    await chat.press("data_delete_yes")
    assert "Đã xóa toàn bộ dữ liệu" in chat.text
    assert await stored_user(deps) is None
    await chat.send("/start")
    assert [b.action for b in chat.buttons] == ["lang:vi", "lang:en"]


async def test_keeping_data_returns_to_menu(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send("/dulieu")
    await chat.press("data_delete")
    await chat.press("Không, giữ lại")
    assert chat.find("progs")
    assert await stored_user(deps) is not None


async def test_withdraw_and_give_consent_again(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send("/dulieu")
    await chat.press("data_withdraw")
    assert "rút lại" in chat.text
    assert (await stored_user(deps)).consent_at is None
    await chat.send("/dulieu")
    await chat.press("consent:yes")
    assert (await stored_user(deps)).consent_at is not None


async def test_withdrawing_consent_forgets_commune_reminders_and_queued_notices(
    chat: Chat, deps: Deps
):
    """The reply says only the chat id and language stay: so it is."""
    await chat.onboard()
    now = deps.clock()
    payload = {"text": "x", "buttons": []}
    async with transaction(deps.sessions) as s:
        s.add(
            TransactionPoint(
                id="P1", commune_code="21220", name="Điểm Tịnh Hà", address="UBND xã cũ",
                day_of_month=15, start_time=dt.time(7, 30), end_time=dt.time(11, 0),
                office="PGD Sơn Tịnh", phone="0255 000 000",
            )
        )  # fmt: skip
        user = await users.find_user(s, "test", "1001")
        user.commune_code = "21220"
        await s.flush()
        await subscriptions.subscribe(s, user.id, "P1", now)
        for kind in ("reminder_eve", "schedule_change", "point_removed"):
            await outbox.enqueue_subscribers(
                s, "P1", kind, f"{kind}:", {"vi": payload, "en": payload}, now
            )
        await outbox.enqueue_one(s, "report:1:ev1:reporter", "test", "1001", "report", payload, now)
        for area in ("21220", None):  # a commune's announcement, and the whole country's
            broadcast = await broadcast_store.create(
                s, Broadcast(author="telegram:1", area_code=area, text="x", status="sending")
            )
            communes = [area] if area else None
            assert await broadcast_store.expand(s, broadcast, communes, ("vi", "en"), now) == 1

    await chat.send("/dulieu")
    await chat.press("data_withdraw")
    assert "chỉ còn nhớ mã tài khoản chat, ngôn ngữ" in chat.text
    async with transaction(deps.sessions) as s:
        user = await users.find_user(s, "test", "1001")
        assert user.language == "vi" and user.consent_at is None and user.commune_code is None
        assert await subscriptions.subscribed_points(s, user.id) == set()
        queued = (await s.exec(select(Outbox).where(Outbox.channel_user_id == "1001"))).all()
        # The report's news and the whole country's announcement (by language) stay.
        assert sorted(r.kind for r in queued) == ["broadcast", "report"]
        assert [r.broadcast_id for r in queued if r.kind == "broadcast"] == [2]
        assert await broadcast_store.count_audience(s, ["21220"], False) == 0
        assert await broadcast_store.count_audience(s, ["21220"], True) == 0
    await chat.send("/dulieu")
    assert "Xã: chưa có" in chat.text and "Nhắc lịch: 0 điểm" in chat.text


async def test_unknown_command_is_named_safely(chat: Chat):
    await chat.onboard()
    await chat.send("/<b>oops")
    assert "/&lt;b&gt;oops" in chat.text
    assert chat.find("menu")


@pytest.mark.parametrize("action", ["prog:nosuch", "topic:nosuch", "zzz", "prog"])
async def test_stale_or_forged_buttons_get_a_way_back(chat: Chat, action: str):
    from handlers.core.dispatch import handle
    from handlers.core.types import Incoming

    await chat.onboard()
    replies = await handle(Incoming("test", "1001", action=action), chat.deps)
    assert "Nút này đã cũ" in replies[0].text
    assert replies[0].buttons[-1][0].action == "menu"


async def test_report_commands_open_their_dialogs_not_a_coming_soon_page(chat: Chat):
    await chat.onboard()
    await chat.send("/baocao")
    assert "đang được xây dựng" not in chat.text
    assert "nguy hiểm" in chat.text  # the first question: is anyone in danger now?
    assert chat.find("rpd:yes") and chat.find("rpd:no")
    await chat.send("/tracuu")
    assert "mã tra cứu" in chat.text
    await chat.send("/menu")
    assert chat.find("rp")  # the menu's report button leads to the report flow


async def test_a_button_of_no_feature_gets_the_one_stale_reply(chat: Chat):
    """Old "soon:" buttons (features once coming soon), forged prefixes and malformed fields
    all get the same reply, with the way back to the menu."""
    await chat.onboard()
    from handlers.core.dispatch import handle
    from handlers.core.types import Incoming

    answers = []
    for forged in ("soon:anything", "nosuch", "lang:xx", "lang:vi:extra", "consent"):
        replies = await handle(Incoming("test", "1001", action=forged), chat.deps)
        answers.append(replies[0].text)
        assert replies[0].buttons[-1][0].action == "menu"
    assert len(set(answers)) == 1 and "nút này đã cũ" in answers[0].lower()


async def test_black_credit_page_links_its_topics(chat: Chat):
    await chat.onboard()
    await chat.send("/tindungden")
    actions = [b.action for b in chat.buttons]
    assert "topic:blackcredit.apps" in actions and "topic:blackcredit.victim" in actions


async def test_a_crash_gets_an_apology_and_the_menu(chat: Chat, monkeypatch):
    await chat.onboard("en")

    async def broken(ctx, text):
        raise RuntimeError("boom")

    monkeypatch.setitem(routes.COMMANDS, "chuongtrinh", Command(broken))
    await chat.send("/chuongtrinh")
    assert "Sorry, something went wrong" in chat.text
    assert chat.buttons[0].action == "menu"
    await chat.press("menu")  # and the user carries on
    assert chat.find("progs")


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_every_reachable_button_answers_without_error(chat: Chat, content: Content, lang):
    """Walk the whole button graph from the menu: no dead end, no internal error."""
    await chat.onboard(lang)
    seen: set[str] = set()
    queue = deque(["menu"])
    internal_error = content.text("error.internal", lang)
    while queue:
        action = queue.popleft()
        # The questionnaire's deeper paths are walked by test_eligibility; two answers deep
        # here keeps this walk short.
        too_deep = action.startswith("el:") and len(action) > len("el:") + 4
        if (
            too_deep
            or action in seen
            or action in ("data_delete_yes", "data_withdraw", "lang:vi", "lang:en")
        ):
            continue
        seen.add(action)
        from handlers.core.dispatch import handle
        from handlers.core.types import Incoming

        replies = await handle(Incoming("test", "1001", action=action), chat.deps)
        assert replies, action
        assert internal_error not in replies[0].text, action
        assert replies[-1].buttons, f"{action} leaves the user without a button"
        for row in (r for reply in replies for r in reply.buttons):
            assert len(row) <= 8
            queue.extend(b.action for b in row)
    assert len(seen) > 40

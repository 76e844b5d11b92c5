"""What a new user found (issue 11, "Found by a new user"): each case as they met it."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.core.dispatch import Deps
from handlers.core.types import Incoming
from storage import users
from storage.db import transaction
from storage.models import TransactionPoint
from tests.conftest import Chat


async def set_commune(deps: Deps, code: str, user_id: str = "1001") -> None:
    async with transaction(deps.sessions) as s:
        user = await users.find_user(s, "test", user_id)
        user.commune_code = code
        s.add(user)


async def test_my_data_names_the_commune_not_only_its_code(chat: Chat, deps: Deps):
    await chat.onboard()
    await set_commune(deps, "01354")
    await chat.send("/dulieu")
    assert "Xã: Xã Huy Giáp (Cao Bằng) · 01354" in chat.text
    assert "Xã: 01354" not in chat.text


def point(point_id: str, name: str, day_of_month: int, code: str = "21220") -> TransactionPoint:
    return TransactionPoint(
        id=point_id, commune_code=code, name=name, address="UBND xã cũ",
        day_of_month=day_of_month, start_time=dt.time(7, 30), end_time=dt.time(11, 0),
        office="PGD Sơn Tịnh", phone="0255 000 000",
    )  # fmt: skip


async def test_schedule_lists_the_point_working_soonest_first(chat: Chat, deps: Deps):
    """Today is 22/11: the point of day 25 comes before the one of day 30, whatever the
    names or ids say (the old order put "Điểm An Phú" on 30/11 first)."""
    await chat.onboard()
    async with transaction(deps.sessions) as s:
        s.add(point("P1", "Điểm An Phú", 30))
        s.add(point("P2", "Điểm Bình Hòa", 25))
    await set_commune(deps, "21220")
    replies = await chat.send("/lich")
    texts = [r.text for r in replies]
    first = next(i for i, t in enumerate(texts) if "Bình Hòa" in t)
    second = next(i for i, t in enumerate(texts) if "An Phú" in t)
    assert first < second
    assert "25/11/2026" in texts[first] and "30/11/2026" in texts[second]
    labels = [b.label for b in chat.buttons]
    assert labels.index(next(x for x in labels if "Bình Hòa" in x)) < labels.index(
        next(x for x in labels if "An Phú" in x)
    )


async def test_reminder_confirmation_names_the_point_once(chat: Chat, deps: Deps):
    await chat.onboard()
    async with transaction(deps.sessions) as s:
        s.add(point("P1", "Điểm giao dịch Tịnh Hà", 25))
    await set_commune(deps, "21220")
    await chat.send("/lich")
    await chat.press("sub:P1")
    assert "Đã bật nhắc lịch cho Điểm giao dịch Tịnh Hà." in chat.text
    assert "điểm Điểm" not in chat.text


async def test_program_card_states_the_rate_once(chat: Chat):
    await chat.onboard()
    await chat.press("progs")
    await chat.press("prog:poor")
    assert chat.text.count("6,24%/năm") == 1 and chat.text.count("0,52%/tháng") == 1
    await chat.press("pp:poor:r")  # the rate in full
    terms = chat.text
    assert terms.count("6,24%/năm") == 1 and terms.count("0,52%/tháng") == 1
    assert "130%" in terms and "Quyết định 2553/QĐ-TTg" in terms  # the note keeps its source


async def test_program_card_rate_in_english_once_too(chat: Chat):
    await chat.onboard("en")
    await chat.press("progs")
    await chat.press("prog:poor")
    assert chat.replies[0].text.count("6.24% a year") == 1
    await chat.press("pp:poor:r")
    assert chat.replies[0].text.count("6.24% a year") == 1


async def test_the_first_document_bullet_starts_its_own_line(chat: Chat):
    await chat.onboard()
    await chat.press("progs")
    await chat.press("prog:poor")
    await chat.press("pp:poor:d")
    assert "<b>Cho vay hộ nghèo: hồ sơ cần gì</b>\n• Giấy đề nghị" in chat.text
    await chat.press("pp:poor:s")
    assert "<b>Cho vay hộ nghèo: các bước vay</b>\n1. " in chat.text


async def test_eligibility_next_step_names_the_office_only_when_it_applies(chat: Chat):
    await chat.onboard()
    await chat.send("/dieukien")
    for label in ("Hộ nghèo", "Sản xuất, kinh doanh", "Không", "Không", "Không"):
        await chat.press(next(b.action for b in chat.buttons if b.label == label))
    assert "Bước tiếp theo" in chat.text
    assert "nước ngoài" not in chat.text and "nhà ở xã hội" not in chat.text

    await chat.press("el")
    for label in ("Hộ có mức sống trung bình", "Đi làm việc ở nước ngoài", "Không"):
        await chat.press(next(b.action for b in chat.buttons if b.label == label))
    assert "Về đi làm việc ở nước ngoài: hỏi thẳng Phòng giao dịch NHCSXH." in chat.text
    assert "nhà ở xã hội" not in chat.text


async def stored(deps: Deps, user_id: str = "1001"):
    async with transaction(deps.sessions) as s:
        user = await users.find_user(s, "test", user_id)
        return user, await users.get_state(s, user.id)


COMMAND_WORDS = ["huy", "Hủy", "huỷ", "hủy bỏ", "thoat", "Thoát.", "quay lai", "Quay lại", "menu"]


@pytest.mark.parametrize("word", COMMAND_WORDS)
async def test_a_command_word_at_the_commune_prompt_is_not_a_commune(
    chat: Chat, deps: Deps, word: str
):
    """ "huy" once saved Xã Huy Giáp (Cao Bằng) as the user's commune."""
    await chat.onboard()
    await chat.send("/lich")
    await chat.send(word)
    assert "Huy Giáp" not in chat.text
    assert chat.find("progs")  # the main menu
    user, state = await stored(deps)
    assert user.commune_code is None and state.flow is None


async def test_command_words_leave_other_steps_waiting_for_text(chat: Chat, deps: Deps):
    """The calculator waits for an amount, /tracuu for a code: the words leave them too."""
    await chat.onboard()
    await chat.press("progs")
    await chat.press("prog:poor")
    await chat.press("calc:poor")
    assert (await stored(deps))[1].flow == "calc"
    await chat.send("Hủy")
    assert "Đã hủy bước đang làm" in chat.text and chat.find("progs")
    assert (await stored(deps))[1].flow is None

    await chat.send("/tracuu")
    assert (await stored(deps))[1].flow == "tracuu"
    await chat.send("quay lại")
    assert chat.find("progs") and "report.code_unknown" not in chat.text
    assert (await stored(deps))[1].flow is None


async def test_a_short_match_is_confirmed_before_it_is_saved(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send("/lich")
    await chat.send("huy gia")
    assert "Có phải bạn ở đây không?" in chat.text and "Xã Huy Giáp (Cao Bằng)" in chat.text
    user, state = await stored(deps)
    assert user.commune_code is None and state.flow == "commune"
    await chat.press("Không phải")
    assert "Bạn ở xã, phường nào?" in chat.text
    await chat.send("huy gia")
    await chat.press("Đúng, Xã Huy Giáp (Cao Bằng)")
    assert "Đã lưu xã của bạn: Xã Huy Giáp (Cao Bằng)" in chat.text
    user, _ = await stored(deps)
    assert user.commune_code == "01354"


@pytest.mark.parametrize("typed", ["muong phan", "huy gia"])
async def test_a_misspelt_or_partial_name_is_confirmed_too(chat: Chat, deps: Deps, typed: str):
    await chat.onboard()
    await chat.send("/lich")
    await chat.send(typed)
    assert "Có phải bạn ở đây không?" in chat.text or "Có nhiều nơi" in chat.text
    user, _ = await stored(deps)
    assert user.commune_code is None


@pytest.mark.parametrize(
    "typed",
    ["son tinh", "Xã Sơn Tịnh", "Sơn Tịnh, Quảng Ngãi", "xa son tinh tinh quang ngai", "21220"],
)
async def test_the_whole_name_is_saved_at_once(chat: Chat, deps: Deps, typed: str):
    await chat.onboard()
    await chat.send("/lich")
    await chat.send(typed)
    assert "Đã lưu xã của bạn: Xã Sơn Tịnh (Quảng Ngãi)" in chat.text
    user, _ = await stored(deps)
    assert user.commune_code == "21220"


async def test_a_point_found_by_its_name_is_confirmed_and_named_once(chat: Chat, deps: Deps):
    await chat.onboard()
    async with transaction(deps.sessions) as s:
        s.add(point("P1", "Điểm giao dịch Tịnh Hà", 25))
    await chat.send("/lich")
    await chat.send("tinh ha")
    assert "Điểm giao dịch Tịnh Hà → Xã Sơn Tịnh (Quảng Ngãi)" in chat.text
    assert "Điểm Điểm" not in chat.text
    user, _ = await stored(deps)
    assert user.commune_code is None


async def test_a_monthly_repayment_question_with_an_amount_opens_the_calculator(chat: Chat):
    """It once got the fallback and a savings suggestion."""
    await chat.onboard()
    await chat.send("vay 50tr tra gop moi thang bao nhieu")
    assert "Tính thử khoản vay 50.000.000 đ" in chat.text
    assert "tiết kiệm" not in chat.text.lower()
    assert chat.find("calc:poor:50000000")
    await chat.press("calc:poor:50000000")  # no term said: the calculator asks for it
    assert "50.000.000 đ" in chat.text and "tháng" in chat.text
    await chat.send("3 năm")
    assert "Vay 50.000.000 đ trong 36 tháng (3 năm)" in chat.text


async def test_amount_and_term_give_the_result_after_choosing_the_program(chat: Chat):
    await chat.onboard()
    await chat.send("vay 50 triệu 3 năm lãi bao nhiêu")
    assert "Tính thử khoản vay 50.000.000 đ trong 36 tháng (3 năm)" in chat.text
    await chat.press("calc:poor:50000000:36")
    assert "Vay 50.000.000 đ trong 36 tháng (3 năm)" in chat.text
    assert "Tiền lãi tháng đầu: <b>260.000 đ</b>" in chat.text  # 50 million × 0,52 %


async def test_a_named_program_goes_straight_to_the_result(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send("vay ho ngheo 50 trieu 3 nam thi lai bao nhieu")
    assert "Tính thử: Cho vay hộ nghèo" in chat.text
    assert "Tiền lãi tháng đầu: <b>260.000 đ</b>" in chat.text
    assert (await stored(deps))[1].flow is None


async def test_a_figure_over_the_cap_is_said_and_asked_again(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.send("vay ho ngheo 5 ty lai bao nhieu")
    assert "vượt mức tối đa" in chat.text or "lớn quá" in chat.text
    _, state = await stored(deps)
    assert (state.flow, state.step) == ("calc", "amount")


@pytest.mark.parametrize(
    "text",
    [
        "Một người cho tôi vay 5 triệu, lãi 3 nghìn mỗi ngày, nay đòi 9 triệu,"
        " tôi phải trả bao nhiêu?",
        "lai suat ho ngheo bao nhieu",  # no figure: the answer, as before
    ],
)
async def test_stories_and_questions_without_a_figure_are_not_priced(chat: Chat, text: str):
    await chat.onboard()
    await chat.send(text)
    assert "Tính thử" not in chat.text


@pytest.mark.parametrize("action", ["calc:poor:0:36", "calc:poor:50000000:999"])
async def test_forged_figures_get_the_calculators_correction(chat: Chat, action: str):
    await chat.onboard()
    await chat.press("progs")
    replies = await chat._handle(Incoming("test", "1001", action=action))
    assert replies and "Tiền lãi tháng đầu" not in chat.text
    assert "Hãy gõ" in chat.text  # asked again, kindly


async def test_a_kind_of_loan_the_program_does_not_have_is_an_old_button(chat: Chat):
    """Not digits after the program is a kind of loan (calc:jobs:worker); an unknown one is
    answered as a button that no longer fits, never as a figure."""
    await chat.onboard()
    await chat.press("progs")
    replies = await chat._handle(Incoming("test", "1001", action="calc:poor:abc"))
    assert replies and "Tiền lãi tháng đầu" not in chat.text
    assert "Nút này đã cũ" in chat.text


async def test_a_question_for_a_program_with_several_kinds_of_loan_carries_its_figures(
    chat: Chat,
):
    """The figures ride through the choice of the kind of loan (worker or business)."""
    await chat.onboard()
    await chat._handle(Incoming(chat.channel, chat.user_id, action="calc:jobs:50000000:36"))
    kinds = [b.action for b in chat.buttons if b.action.startswith("calc:jobs:")]
    assert kinds and all(a.endswith(":50000000:36") for a in kinds)
    await chat.press(kinds[0])
    assert "Tiền lãi tháng đầu" in chat.text

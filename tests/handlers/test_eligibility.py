"""The eligibility self-check (/dieukien), read as conversations.

The answers travel inside the buttons (``el:<pairs>``), so these tests also check that the
questionnaire writes nothing to the database, and that forged or stale codes are refused.
"""

from __future__ import annotations

import dataclasses
import html

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on the metadata)
from content.loader import Content
from content.models import Eligibility
from handlers.core.dispatch import Deps, handle
from handlers.core.formatting import day
from handlers.core.types import Button, Incoming, Reply
from handlers.loans.eligibility_rules import matching_rules, next_question, parse
from storage.db import transaction
from tests.conftest import Chat
from tests.handlers.test_cards import MAX_FIRST_CHARS, assert_english_legal

# The result's first message: one phone screen of at most 600 characters and 10 lines.
MAX_RESULT_LINES = 10

STALE = "Nút này đã cũ"
# The questions in order, as the Vietnamese user sees them.
STATUS, PURPOSE, STUDENT, AREA, PRISON = (
    "hộ của bạn thuộc diện nào",
    "để làm gì",
    "đang học",
    "vùng khó khăn",
    "chấp hành xong án phạt tù",
)


async def pick(chat: Chat, label: str) -> list[Reply]:
    """Press the button whose label is exactly ``label``."""
    for button in chat.buttons:
        if button.label == label:
            return await chat.press(button.action)
    raise AssertionError(f"no button {label!r} in {[b.label for b in chat.buttons]}")


async def press_action(chat: Chat, action: str) -> list[Reply]:
    """Press a button by its action, even one from an older message."""
    chat.replies = await handle(Incoming(chat.channel, chat.user_id, action=action), chat.deps)
    return chat.replies


async def answer_all(chat: Chat, *labels: str) -> None:
    for label in labels:
        await pick(chat, label)


def programs_offered(chat: Chat) -> list[str]:
    """The programs whose documents the result offers (pp:<id>:d), in order."""
    return [
        b.action.split(":")[1]
        for b in chat.buttons
        if b.action.startswith("pp:") and b.action.endswith(":d")
    ]


@pytest.fixture
async def quiz(chat: Chat) -> Chat:
    """An onboarded Vietnamese user at the first question."""
    await chat.onboard()
    await chat.send("/dieukien")
    return chat


# ------------------------------------------------------------------ conversations


async def test_intro_says_nothing_is_kept_and_asks_the_household_status(quiz: Chat):
    assert "không lưu" in quiz.text
    assert "Câu 1" in quiz.text and STATUS in quiz.text
    labels = [b.label for b in quiz.buttons]
    for label in (
        "Hộ nghèo",
        "Hộ cận nghèo",
        "Hộ mới thoát nghèo (trong 3 năm)",
        "Hộ có mức sống trung bình",
        "Không thuộc diện nào",
        "Không biết",
        "⏭ Bỏ qua",
        "🔄 Làm lại từ đầu",
        "🏠 Menu chính",
    ):
        assert label in labels
    assert quiz.find("Hộ nghèo").action == "el:sp"
    assert quiz.find("Bỏ qua").action == "el:s-"
    assert quiz.find("Làm lại").action == "el"


async def test_menu_button_starts_the_questionnaire(chat: Chat):
    await chat.onboard()
    await chat.send("/menu")
    await chat.press("Tôi có được vay không?")
    assert "Câu 1" in chat.text and chat.find("el:sp")


async def test_poor_household_doing_business(quiz: Chat):
    await pick(quiz, "Hộ nghèo")
    assert "Câu 2" in quiz.text and PURPOSE in quiz.text
    await pick(quiz, "Sản xuất, kinh doanh")
    assert STUDENT in quiz.text
    await pick(quiz, "Không")
    assert AREA in quiz.text
    await pick(quiz, "Không")
    assert PRISON in quiz.text
    assert quiz.find("Có").action == "el:sppbtnanry"
    await pick(quiz, "Không")

    assert programs_offered(quiz) == ["poor"]
    assert len(quiz.replies) == 1
    result = quiz.text
    assert "Bạn có thể thuộc diện vay" in result
    assert "<b>Vay hộ nghèo</b>: hộ bạn có tên trong danh sách hộ nghèo" in result
    assert "<b>Bước tiếp theo:</b> gặp tổ trưởng tổ vay vốn ở thôn." in result
    assert "chưa phải kết quả xét duyệt" in result
    assert [b.action for b in quiz.buttons] == [
        "pp:poor:d",
        "el:sppbtnanrn:l",
        "el",
        "menu",
    ]

    await quiz.press("Hồ sơ: Vay hộ nghèo")  # the card's own part: one place for documents
    assert "Giấy đề nghị vay vốn" in quiz.text and "không mất phí" in quiz.text
    await quiz.press("prog:poor")
    assert "6,24%/năm" in quiz.text

    await press_action(quiz, "el:sppbtnanrn:l")
    assert "bình xét" in quiz.text and "UBND xã xác nhận" in quiz.text
    assert "Nghị định 78/2002/NĐ-CP" in quiz.text and "22/11/2026" in quiz.text
    await quiz.press("Về kết quả")
    assert quiz.text == result


async def test_near_poor_with_a_student(quiz: Chat):
    await answer_all(quiz, "Hộ cận nghèo", "Sản xuất, kinh doanh", "Có", "Không", "Không")
    assert programs_offered(quiz) == ["near_poor", "student"]
    assert "4 triệu đồng/tháng" in quiz.text
    # The means-tested reason wins; the STEM reason for the same program is not repeated.
    assert quiz.text.count("Vay học sinh, sinh viên") == 1
    assert "STEM" not in quiz.text
    await quiz.press("pp:student:d")
    assert "Giấy xác nhận của nhà trường" in quiz.text


async def test_studying_without_means_test_points_to_stem(quiz: Chat):
    await answer_all(quiz, "Không thuộc diện nào", "Đi học (học sinh, sinh viên)", "Không")
    assert programs_offered(quiz) == ["student"]
    assert "STEM" in quiz.text


async def test_ex_prisoner(quiz: Chat):
    await answer_all(quiz, "Không thuộc diện nào", "Sản xuất, kinh doanh", "Không", "Không", "Có")
    assert programs_offered(quiz) == ["ex_prisoner", "jobs"]
    assert "Công an xã, UBND xã xác nhận" in quiz.text
    await quiz.press("pp:ex_prisoner:d")
    assert "Cho vay người chấp hành xong án phạt tù" in quiz.text


async def test_going_abroad_asks_only_what_matters(quiz: Chat):
    await answer_all(quiz, "Hộ có mức sống trung bình", "Đi làm việc ở nước ngoài")
    assert STUDENT in quiz.text
    await pick(quiz, "Không")
    # Neither the area nor the prison question changes anything for work abroad.
    assert programs_offered(quiz) == ["labor_abroad"]
    assert "vay tối đa 100% chi phí" in quiz.text
    await quiz.press("Căn cứ pháp lý")
    assert "Luật Việc làm 74/2025/QH15" in quiz.text
    await quiz.press("Về kết quả")
    await quiz.press("Hồ sơ: Vay đi làm việc ở nước ngoài")
    assert "Hợp đồng đưa người lao động đi làm việc ở nước ngoài" in quiz.text


async def test_difficult_area_business_of_a_household_not_on_the_lists(quiz: Chat):
    await answer_all(
        quiz, "Không thuộc diện nào", "Sản xuất, kinh doanh", "Không", "Cả hai", "Không"
    )
    assert programs_offered(quiz) == ["difficult_area", "ethnic_minority", "jobs"]


async def test_water_and_housing(quiz: Chat):
    await answer_all(quiz, "Hộ nghèo", "Nước sạch, nhà vệ sinh", "Không")
    assert programs_offered(quiz) == ["poor", "clean_water"]
    await quiz.press("el")
    await answer_all(quiz, "Hộ cận nghèo", "Nhà ở (mua, xây, sửa nhà)", "Không", "Không")
    assert programs_offered(quiz) == ["near_poor", "social_housing"]


async def test_nothing_fits_is_said_kindly_with_a_way_on(quiz: Chat):
    await answer_all(quiz, "Không thuộc diện nào", "⏭ Bỏ qua", "Không", "Không", "Không")
    assert "chưa thấy chương trình nào phù hợp" in quiz.text
    assert "Điểm giao dịch xã" in quiz.text and "Phòng giao dịch" in quiz.text
    assert programs_offered(quiz) == []
    assert [b.action for b in quiz.buttons] == ["progs", "el", "menu"]
    await quiz.press("progs")
    assert quiz.find("prog:poor")


async def test_not_knowing_the_status_says_whom_to_ask(quiz: Chat):
    await answer_all(quiz, "Không biết", "⏭ Bỏ qua", "Không", "Không biết", "Không")
    assert "Hỏi trưởng thôn hoặc UBND xã" in quiz.text
    assert "Danh sách xã, thôn vùng khó khăn" in quiz.text


async def test_skip_everything(quiz: Chat):
    for number in range(1, 6):
        assert f"Câu {number}" in quiz.text
        await quiz.press("Bỏ qua")
    assert "chưa thấy chương trình nào phù hợp" in quiz.text


PATH = ("Hộ nghèo", "Sản xuất, kinh doanh", "Không", "Không", "Không")


@pytest.mark.parametrize("step", range(len(PATH)))
async def test_skip_at_any_step_goes_on_to_the_next_question(quiz: Chat, step: int):
    for i, label in enumerate(PATH):
        if i == step:
            before = quiz.text
            await quiz.press("Bỏ qua")
            assert quiz.text != before
        else:
            await pick(quiz, label)
    assert "Bạn có thể thuộc diện vay" in quiz.text
    # Without the status the bank may still lend for a business through the job programs.
    assert programs_offered(quiz) == (["jobs"] if step == 0 else ["poor"])


@pytest.mark.parametrize("step", range(len(PATH) + 1))
async def test_restart_at_any_step(quiz: Chat, step: int):
    await answer_all(quiz, *PATH[:step])
    await quiz.press("Làm lại từ đầu")
    assert "Câu 1" in quiz.text and STATUS in quiz.text
    assert quiz.find("Hộ nghèo").action == "el:sp"
    await answer_all(quiz, "Hộ cận nghèo", "Nước sạch, nhà vệ sinh", "Không")
    assert programs_offered(quiz) == ["near_poor", "clean_water"]


async def test_old_buttons_keep_working_after_typed_text_and_commands(quiz: Chat):
    await pick(quiz, "Hộ nghèo")
    purpose_buttons = list(quiz.buttons)
    # No flow state: typed text is an ordinary question and gets an ordinary answer.
    await quiz.send("vay von ho ngheo")
    assert quiz.find("prog:poor") and "Câu" not in quiz.text
    await quiz.send("/huy")
    assert quiz.find("progs")
    await quiz.send("/menu")
    business = next(b for b in purpose_buttons if b.label == "Sản xuất, kinh doanh")
    await press_action(quiz, business.action)
    assert STUDENT in quiz.text and "Câu 3" in quiz.text


@pytest.mark.parametrize(
    "action",
    [
        "el:s",  # half a pair
        "el:sz",  # no such answer
        "el:sP",  # codes are lower case
        "el:pbsp",  # out of order
        "el:spsp",  # a question twice
        "el:xx",  # no such question
        "el:sppsty",  # the student question is not asked when the purpose is study
        "el:sppbtnanrnzz",  # past the last question
        "el:sp:pb",  # two arguments
        "el:" + "s-" * 20,  # far too long
        "el:sp pb",
    ],
)
async def test_forged_or_stale_codes_get_a_way_back(quiz: Chat, action: str):
    await press_action(quiz, action)
    assert STALE in quiz.text
    assert [b.action for b in quiz.buttons] == ["menu"]


async def test_in_english(chat: Chat):
    await chat.onboard("en")
    await chat.send("/dieukien")
    assert "does not keep" in chat.text and "Question 1" in chat.text
    assert chat.find("⏭ Skip") and chat.find("🔄 Start over") and chat.find("Main menu")
    await answer_all(chat, "Near-poor household", "Study (school, college)", "No")
    assert programs_offered(chat) == ["near_poor", "student"]
    assert "You may qualify for" in chat.text and "not a decision" in chat.text
    assert "<b>Student loans</b>: someone is studying; up to 4 million VND a month." in chat.text
    assert chat.find("📄 Documents: Student loans")
    await chat.press("Legal basis")
    assert "Prime Minister's Decision 15/2013/QĐ-TTg" in chat.text
    assert "Quyết định" not in chat.text  # the citations in English, numbers kept
    assert "22 Nov 2026" in chat.text
    await chat.press("Back to the result")
    await chat.press("pp:student:d")
    assert "documents needed" in chat.text
    await chat.press("prog:student")
    assert "Who can borrow" in chat.text


async def _snapshot(deps: Deps) -> dict[str, list[tuple]]:
    async with transaction(deps.sessions) as session:
        conn = await session.connection()
        tables = {}
        for table in SQLModel.metadata.sorted_tables:
            rows = (await conn.execute(text(f"SELECT * FROM {table.name}"))).all()
            tables[table.name] = sorted(tuple(map(str, row)) for row in rows)
        return tables


async def _states(deps: Deps) -> list[tuple]:
    async with transaction(deps.sessions) as session:
        conn = await session.connection()
        rows = await conn.execute(text("SELECT flow, step, data FROM conversation_states"))
        return [tuple(row) for row in rows.all()]


async def test_the_questionnaire_writes_nothing(chat: Chat, deps: Deps):
    await chat.onboard()
    before = await _snapshot(deps)
    await chat.send("/dieukien")
    await answer_all(chat, "Hộ cận nghèo", "Sản xuất, kinh doanh", "Có", "Cả hai")
    await chat.press("Bỏ qua")
    await chat.press("Làm lại từ đầu")
    await answer_all(chat, "Hộ nghèo", "Đi học (học sinh, sinh viên)", "Có")
    await press_action(chat, "el:zz")
    assert programs_offered(chat) == [] and STALE in chat.text
    # No conversation state holds anything (onboarding may leave an emptied row) ...
    assert all(flow is None and step is None for flow, step, _ in await _states(deps))
    assert all(str(data) in ("{}", "None") for _, _, data in await _states(deps))
    # ... and no row of any table changed.
    assert await _snapshot(deps) == before


async def test_starting_leaves_another_flow(chat: Chat, deps: Deps):
    await chat.send("/start")
    await chat.press("lang:vi")  # now in the onboarding flow
    await press_action(chat, "el")  # an eligibility button from another device
    assert "Câu 1" in chat.text
    assert all(flow is None for flow, _, _ in await _states(deps))


async def test_without_the_content_file_it_says_coming_soon(deps: Deps):
    content = dataclasses.replace(deps.content, eligibility=None)
    chat = Chat(dataclasses.replace(deps, content=content))
    await chat.onboard()
    await chat.send("/dieukien")
    assert "đang được xây dựng" in chat.text and chat.find("menu")
    await press_action(chat, "el:sp")
    assert STALE in chat.text


# --------------------------------------------------------------- a phone's screen


def every_result(spec: Eligibility) -> list[str]:
    """The answers of every way through the questionnaire, as the result's action carries
    them (el:<pairs>)."""
    paths, done = [""], []
    while paths:
        code = paths.pop()
        answers = parse(spec, code)
        assert answers is not None, code
        question = next_question(spec, answers)
        if question is None:
            done.append(code)
            continue
        paths += [f"{code}{question.code}{a}" for a in [*(a.code for a in question.answers), "-"]]
    return sorted(done)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_every_result_is_one_short_message(chat: Chat, content: Content, lang: str):
    """Every combination of answers (1,323 of them), in both languages."""
    spec = content.eligibility
    assert spec is not None
    await chat.onboard(lang)
    codes = every_result(spec)
    assert len(codes) > 1000
    with_programs = 0
    for code in codes:
        await press_action(chat, f"el:{code}")
        assert len(chat.replies) == 1, code
        text = chat.text
        assert len(text) <= MAX_FIRST_CHARS, (code, len(text), text)
        rules = matching_rules(spec, parse(spec, code) or {})
        if not rules:
            continue
        with_programs += 1
        assert len(text.split("\n")) <= MAX_RESULT_LINES, (code, text)
        for rule in rules:  # one line each, with why, and its documents one tap away
            line = f"<b>{rule.title.get(lang)}</b>: {rule.why.get(lang)}"
            assert sum(line in row for row in text.split("\n")) == 1, (code, line)
            assert f"pp:{rule.program}:d" in [b.action for b in chat.buttons]
        assert text.count(content.text("eligibility.result.next", lang).split("</b>")[0]) == 1
        assert [b.action for b in chat.buttons][-3:] == [f"el:{code}:l", "el", "menu"]
    assert with_programs > 1000


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_the_legal_basis_of_each_result_is_one_tap_away(
    chat: Chat, content: Content, lang: str
):
    spec = content.eligibility
    assert spec is not None
    await chat.onboard(lang)
    codes = every_result(spec)
    for code in codes[:: len(codes) // 60]:  # some sixty results, of every kind
        rules = matching_rules(spec, parse(spec, code) or {})
        await press_action(chat, f"el:{code}")
        result = chat.text
        if not rules:
            assert f"el:{code}:l" not in [b.action for b in chat.buttons]
            continue
        await chat.press(f"el:{code}:l")
        assert len(chat.replies) == 1
        for rule in rules:
            assert f"<b>{rule.title.get(lang)}</b>" in chat.text
            for ref in rule.legal_basis:
                assert html.escape(ref.get(lang), quote=False) in chat.text, (code, ref.ref)
        assert day(spec.checked_on, lang) in chat.text
        if lang == "en":
            assert_english_legal(chat.text)
        assert [b.action for b in chat.buttons] == [f"el:{code}", "menu"]
        await chat.press(f"el:{code}")
        assert chat.text == result


async def test_each_documents_button_opens_the_programs_own_part(chat: Chat, content: Content):
    """One place for documents: the program card's "Hồ sơ cần gì", with its way to the card."""
    await chat.onboard()
    await press_action(chat, "el:supbtyabry")  # five programs
    assert programs_offered(chat) == [
        "student",
        "ex_prisoner",
        "difficult_area",
        "ethnic_minority",
        "jobs",
    ]
    for program in programs_offered(chat):
        await press_action(chat, "el:supbtyabry")
        await chat.press(f"pp:{program}:d")
        assert content.programs[program].documents.vi in chat.text
        assert chat.find(f"prog:{program}") and chat.find("menu")


async def test_the_next_step_is_one_line(quiz: Chat):
    await press_action(quiz, "el:snphtnan")  # near-poor, housing: the office for housing
    steps = [line for line in quiz.text.split("\n") if "Bước tiếp theo" in line]
    assert steps == [
        "<b>Bước tiếp theo:</b> gặp tổ trưởng tổ vay vốn ở thôn."
        " Về vay nhà ở xã hội: hỏi thẳng Phòng giao dịch NHCSXH."
    ]


@pytest.mark.parametrize(
    "action",
    [
        "el:sp:l",  # not a result yet: the legal button is only under a result
        "el::l",
        "el:sppbtnanrn:x",  # no such part
        "el:sppbtnanrn:L",
        "el:sppbtnanrn:l:l",
        "el:sppbtnanrnzz:l",
        "el:sppsty:l",
        "el:zz:l",
        "el:sop-tnanrn:l",  # nothing fits that result: it has no legal button
    ],
)
async def test_a_bad_or_stale_legal_button_gets_a_way_back(
    quiz: Chat, content: Content, action: str
):
    spec = content.eligibility
    assert spec is not None
    if action == "el:sop-tnanrn:l":  # a whole set of answers, for which nothing fits
        answers = parse(spec, "sop-tnanrn")
        assert answers is not None and next_question(spec, answers) is None
        assert not matching_rules(spec, answers)
    await press_action(quiz, action)
    assert STALE in quiz.text
    assert [b.action for b in quiz.buttons] == ["menu"]


# --------------------------------------------------------------- the whole tree


def test_every_path_fits_in_a_button_and_parses_back(content: Content):
    spec = content.eligibility
    assert spec is not None
    paths, results = [""], 0
    while paths:
        code = paths.pop()
        answers = parse(spec, code)
        assert answers is not None, code
        question = next_question(spec, answers)
        if question is None:
            results += 1
            continue
        for answer_code in [*(a.code for a in question.answers), "-"]:
            action = f"el:{code}{question.code}{answer_code}"
            Button("x", action)  # raises over Telegram's 64 bytes
            paths.append(action[3:])
    assert results > 100

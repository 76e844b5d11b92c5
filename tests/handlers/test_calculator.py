"""The loan calculator, read as conversations, and its arithmetic in whole đồng."""

from __future__ import annotations

import dataclasses
import html
import itertools
import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.render import TELEGRAM_TEXT_LIMIT, visible_length
from content.loader import DATA_DIR, Content, ContentError, load_content
from content.models import Program
from handlers.core import routes
from handlers.core.dispatch import Deps, handle
from handlers.core.formatting import day, percent
from handlers.core.types import Button, Incoming
from handlers.loans import calculator
from handlers.loans.amounts import group_digits
from handlers.loans.repayment import monthly_interest, plan
from storage import users
from storage.db import transaction
from tests.conftest import Chat
from tests.handlers.test_cards import MAX_FIRST_CHARS, MAX_FIRST_LINES, assert_english_legal

MILLION = 1_000_000


async def stored_state(deps: Deps, user_id: str = "1001"):
    async with transaction(deps.sessions) as session:
        user = await users.find_user(session, "test", user_id)
        assert user is not None
        return await users.get_state(session, user.id or 0)


def with_caps(content: Content, program_id: str, amount: int | None, months: int | None):
    """The content with one program's numeric caps set (or cleared)."""
    program = content.programs[program_id].model_copy(
        update={"max_amount_vnd": amount, "max_term_months": months}
    )
    return dataclasses.replace(content, programs={**content.programs, program_id: program})


def deps_with(deps: Deps, content: Content) -> Deps:
    return Deps(content=content, sessions=deps.sessions, clock=deps.clock)


def figures(text: str) -> list[int]:
    """Every 'N đ' amount in a Vietnamese text, in order."""
    return [int(m.replace(".", "")) for m in re.findall(r"([\d.]+) đ\b", text)]


async def tap(chat: Chat, action: str) -> None:
    """A button pressed from an earlier message (still on the user's screen)."""
    chat.replies = await handle(Incoming("test", chat.user_id, action=action), chat.deps) or []


async def open_calculator(chat: Chat, program: str = "poor", lang: str = "vi") -> None:
    await chat.onboard(lang)
    await chat.press("progs")
    await chat.press(f"prog:{program}")
    await chat.press(f"calc:{program}")


# ------------------------------------------------------------------------ arithmetic


def test_monthly_interest_is_rounded_to_the_dong_half_up():
    assert monthly_interest(50 * MILLION, 0.52) == 260_000
    assert monthly_interest(41_666_667, 0.52) == 216_667  # 216 666,6684
    assert monthly_interest(1_000_001, 0.65) == 6_500  # 6 500,0065
    assert monthly_interest(100, 0.5) == 1  # 0,5 rounds up


@pytest.mark.parametrize("amount", [1 * MILLION, 50 * MILLION, 33_333_333, 10_000 * MILLION])
@pytest.mark.parametrize("months", [1, 6, 12, 13, 36, 40, 120, 300])
@pytest.mark.parametrize("rate", [0.52, 0.624, 0.6604, 0.25, 0.45])
def test_the_plan_adds_up_exactly(amount: int, months: int, rate: float, content: Content):
    assert content.calculator is not None
    every = content.calculator.every_months(months)
    estimate = plan(amount, months, rate, every)
    periods = estimate.periods
    assert periods[0].first == 1 and periods[-1].last == months
    assert all(a.last + 1 == b.first for a, b in itertools.pairwise(periods))
    assert sum(p.principal for p in periods) == amount
    assert periods[0].owed == amount
    for before, after in itertools.pairwise(periods):
        assert after.owed == before.owed - before.principal
    monthly = [monthly_interest(p.owed, rate) for p in periods for _ in range(p.months)]
    assert len(monthly) == months
    assert estimate.total_interest == sum(monthly)
    assert estimate.total == amount + sum(monthly)
    assert estimate.first_month_interest == monthly[0]


@pytest.mark.parametrize(("months", "every"), [(1, 1), (6, 6), (12, 12), (13, 6), (120, 6)])
def test_the_assumed_interval_comes_from_the_content(content: Content, months, every):
    assert content.calculator is not None
    assert content.calculator.every_months(months) == every


def test_principal_in_equal_parts_the_last_takes_the_remainder():
    estimate = plan(50 * MILLION, 36, 0.52, 6)
    assert [p.principal for p in estimate.periods] == [8_333_333] * 5 + [8_333_335]
    assert [p.monthly_interest for p in estimate.periods] == [
        260_000,
        216_667,
        173_333,
        130_000,
        86_667,
        43_333,
    ]
    assert estimate.total_interest == 5_460_000
    short = plan(20 * MILLION, 12, 0.52, 12)
    assert len(short.periods) == 1 and short.total_interest == 12 * 104_000


# ------------------------------------------------------------------------ conversations


async def test_card_to_result(chat: Chat, deps: Deps):
    await chat.onboard()
    await chat.press("progs")
    await chat.press("prog:poor")
    assert chat.find("calc:poor")
    await chat.press("Tính thử khoản vay")
    assert "bao nhiêu" in chat.text and "50 triệu" in chat.text
    assert {b.action for b in chat.buttons} == {"calc_cancel", "menu"}
    assert len(chat.replies) == 1

    await chat.send("50 triệu")
    assert "<b>50.000.000 đ</b>" in chat.text and "bao lâu" in chat.text
    assert {b.action for b in chat.buttons} == {"calc_cancel", "menu"}
    state = await stored_state(deps)
    assert (state.flow, state.step, state.data["amount"]) == ("calc", "term", 50 * MILLION)

    await chat.send("3 năm")
    assert len(chat.replies) == 1  # one short message; the rest behind buttons
    text = chat.text
    expected = plan(50 * MILLION, 36, 0.52, 6)
    assert "Vay 50.000.000 đ trong 36 tháng (3 năm), lãi suất 6,24%/năm (0,52%/tháng)" in text
    assert "Tiền lãi tháng đầu: <b>260.000 đ</b>" in text
    assert "Tổng tiền lãi cả 36 tháng (3 năm): <b>5.460.000 đ</b>" in text
    assert "Tổng phải trả, cả gốc và lãi: <b>55.460.000 đ</b>" in text
    assert "Lần trả gốc đầu: <b>8.333.333 đ</b> vào tháng 6." in text
    assert "ước tính" in text
    parts = "cp:poor::50000000:36"
    assert [b.action for b in chat.buttons] == [
        f"{parts}:t",
        f"{parts}:l",
        "calc:poor",
        "prog:poor",
        "menu",
    ]
    assert (await stored_state(deps)).flow is None

    await chat.press("Lịch trả nợ")
    table = chat.text
    assert "Vay 50.000.000 đ trong 36 tháng (3 năm), lãi 0,52%/tháng" in table
    assert "6 tháng một lần" in table
    assert "Tháng 1–6: lãi 260.000 đ/tháng, trả gốc 8.333.333 đ" in table
    assert "Tháng 31–36: lãi 43.333 đ/tháng, trả gốc 8.333.335 đ" in table
    assert "phân kỳ trả nợ" in table and "ước tính" in table
    assert "8,112%/năm (0,676%/tháng)" in table and "130%" in table
    assert [b.action for b in chat.buttons] == [f"{parts}:l", "calc:poor:50000000:36", "menu"]
    assert all(visible_length(r.text) < TELEGRAM_TEXT_LIMIT for r in chat.replies)

    # The table's lines add up to its total line, and to the result's total.
    rows = [figures(line) for line in table.splitlines() if line.startswith("Tháng")]
    assert len(rows) == len(expected.periods) == 6
    interest = sum(
        monthly * p.months for (monthly, _), p in zip(rows, expected.periods, strict=True)
    )
    principal = sum(part for _, part in rows)
    assert principal == 50 * MILLION
    assert interest == expected.total_interest == 5_460_000
    assert "<b>Cộng:</b> gốc 50.000.000 đ, lãi 5.460.000 đ." in table

    await chat.press("Căn cứ pháp lý")
    assert "2553/QĐ-TTg" in chat.text and "22/11/2026" in chat.text
    assert [b.action for b in chat.buttons] == [f"{parts}:t", "calc:poor:50000000:36", "menu"]
    await chat.press("Về kết quả")
    assert chat.text == text  # the same result, rebuilt from the button
    assert (await stored_state(deps)).flow is None


async def test_short_loan_repays_principal_at_the_end(chat: Chat):
    await open_calculator(chat)
    await chat.send("20tr")
    await chat.send("12")
    assert "Trả gốc một lần: <b>20.000.000 đ</b> vào tháng 12, khi hết hạn." in chat.text
    assert "Tổng tiền lãi cả 12 tháng (1 năm): <b>1.248.000 đ</b>" in chat.text
    await chat.press("Lịch trả nợ")
    assert "một lần khi hết hạn vay" in chat.text
    assert "Tháng 1–12: lãi 104.000 đ/tháng, trả gốc 20.000.000 đ" in chat.text


async def test_from_the_program_list_choose_a_program_first(chat: Chat, content: Content):
    await chat.onboard()
    await chat.send("/chuongtrinh")
    await chat.press("Tính thử khoản vay")
    assert "chương trình nào" in chat.text
    calc_actions = [b.action for b in chat.buttons if b.action.startswith("calc:")]
    assert calc_actions == [
        f"calc:{p.id}" for p in content.programs.values() if p.calculator_lines()
    ]
    # Programs without a cap of their own are not offered (no general cap to fall back to).
    assert "calc:student" not in calc_actions and "calc:clean_water" not in calc_actions
    await chat.press("calc:near_poor")
    await chat.send("50 củ")
    await chat.send("5 năm 6 tháng")
    assert "Cho vay hộ cận nghèo" in chat.text
    assert "66 tháng" in chat.text and "0,624%/tháng" in chat.text


async def test_in_english_amounts_read_the_english_way(chat: Chat):
    await open_calculator(chat, lang="en")
    assert "How much" in chat.text and "50 million" in chat.text
    await chat.send("50,000,000")
    assert "<b>50,000,000 VND</b>" in chat.text
    await chat.send("36 months")
    assert "Interest in the first month: <b>260,000 VND</b>" in chat.text
    assert "First repayment of principal: <b>8,333,333 VND</b> in month 6." in chat.text
    assert "estimate" in chat.text and "Calculate again" in chat.buttons[2].label
    await chat.press("Repayment schedule")
    assert "Months 1–6: interest 260,000 VND/month, principal 8,333,333 VND" in chat.text
    assert "phân kỳ trả nợ" in chat.text and "repayment schedule" in chat.text
    await chat.press("Legal basis")
    assert "Decision" in chat.text and "Quyết định" not in chat.text
    assert chat.find("Back to the result")


BAD_AMOUNTS = ["abc", "0", "-5", "50 tỷ", "500 nghìn", "50", " ", "36 tháng"]


@pytest.mark.parametrize("bad", BAD_AMOUNTS)
async def test_a_bad_amount_is_corrected_kindly_and_asked_again(chat: Chat, deps: Deps, bad):
    await open_calculator(chat)
    await chat.send(bad)
    assert len(chat.replies) == 2
    correction = chat.replies[0].text
    assert "ví dụ <b>" in correction
    assert "bao nhiêu" in chat.replies[1].text
    assert {b.action for b in chat.buttons} == {"calc_cancel", "menu"}
    state = await stored_state(deps)
    assert (state.flow, state.step, state.data.get("amount")) == ("calc", "amount", None)
    await chat.send("50 triệu")  # and the user carries on
    assert "bao lâu" in chat.text


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("abc", "chưa hiểu số tiền"),
        ("0", "chưa hiểu số tiền"),
        ("-5", "chưa hiểu số tiền"),
        ("500 nghìn", "nhỏ quá"),
        ("50", "Nếu ý bạn là 50 triệu"),
    ],
)
async def test_each_bad_amount_says_what_is_wrong(chat: Chat, bad: str, words: str):
    await open_calculator(chat)
    await chat.send(bad)
    assert words in chat.replies[0].text


BAD_TERMS = ["abc", "0", "-5", "600 tháng", "50 năm", "2,5 tháng", "50 triệu", ""]


@pytest.mark.parametrize("bad", BAD_TERMS)
async def test_a_bad_term_keeps_the_amount(chat: Chat, deps: Deps, bad: str):
    await open_calculator(chat)
    await chat.send("75 triệu")
    await chat.send(bad)
    assert len(chat.replies) == 2
    assert "ví dụ <b>" in chat.replies[0].text
    assert "Số tiền vay: <b>75.000.000 đ</b>" in chat.replies[1].text
    state = await stored_state(deps)
    assert (state.flow, state.step, state.data["amount"]) == ("calc", "term", 75 * MILLION)
    await chat.send("24 tháng")
    assert "Vay 75.000.000 đ trong 24 tháng (2 năm)" in chat.text


async def test_caps_of_the_program_are_enforced_and_named(deps: Deps, content: Content):
    chat = Chat(deps_with(deps, with_caps(content, "poor", 100 * MILLION, 120)))
    await open_calculator(chat)
    assert "tối đa 100.000.000 đ" in chat.text
    await chat.send("150 triệu")
    assert "vượt mức tối đa của chương trình (100.000.000 đ)" in chat.replies[0].text
    await chat.send("100 triệu")
    assert "120 tháng (10 năm)" in chat.text
    await chat.send("121")
    assert "dài hơn mức tối đa của chương trình là 120 tháng (10 năm)." in chat.replies[0].text
    assert "((" not in chat.replies[0].text and "))" not in chat.replies[0].text
    await chat.send("10 năm")
    await chat.press("Lịch trả nợ")
    assert "Tháng 115–120" in chat.text


async def test_without_caps_of_its_own_a_program_gets_no_estimate(deps: Deps, content: Content):
    # No general cap to fall back to: the card offers no calculator, a stale button explains.
    chat = Chat(deps_with(deps, with_caps(content, "poor", None, None)))
    await chat.onboard()
    await chat.press("progs")
    await chat.press("prog:poor")
    assert not any(b.action.startswith("calc:") for b in chat.buttons)
    await tap(chat, "calc:poor")
    assert "không có một mức vay và thời hạn tối đa chung" in chat.text
    assert [b.action for b in chat.buttons] == ["prog:poor", "menu"]
    await chat.send("50 triệu")  # not taken as an amount: no flow was entered
    assert "Tổng tiền lãi" not in chat.text


@pytest.mark.parametrize("program", ["student", "clean_water", "labor_abroad", "difficult_area"])
async def test_programs_without_one_cap_and_term_are_not_calculated(chat: Chat, program: str):
    await chat.onboard()
    await chat.press("progs")
    await chat.press(f"prog:{program}")
    assert not any(b.action.startswith("calc:") for b in chat.buttons)
    await tap(chat, f"calc:{program}")
    assert "không có một mức vay và thời hạn tối đa chung" in chat.text


async def test_a_worker_is_held_to_200_million_a_business_to_10_billion(chat: Chat):
    await chat.onboard()
    await chat.press("progs")
    await chat.press("prog:jobs")
    await chat.press("calc:jobs")
    assert [b.action for b in chat.buttons][:2] == ["calc:jobs:worker", "calc:jobs:business"]
    await chat.press("calc:jobs:worker")
    assert "tối đa 200.000.000 đ" in chat.text
    await chat.send("300 triệu")
    assert "vượt mức tối đa của chương trình (200.000.000 đ)" in chat.replies[0].text
    await tap(chat, "calc:jobs:business")
    assert "tối đa 10.000.000.000 đ" in chat.text
    await chat.send("3 tỷ")
    await chat.send("10 năm")
    assert "Cơ sở sản xuất, kinh doanh" in chat.text and "0,6604%/tháng" in chat.text
    assert chat.find("Tính lại").action == "calc:jobs:business"  # again: same line
    await chat.press("Lịch trả nợ")
    assert "Tháng 115–120" in chat.text and "0,6604%/tháng" in chat.text
    await chat.press("Về kết quả")
    assert "Tổng tiền lãi cả 120 tháng (10 năm)" in chat.text
    await chat.press("calc:jobs:business")
    await chat.send("11 tỷ")
    assert "vượt mức tối đa của chương trình (10.000.000.000 đ)" in chat.replies[0].text


async def test_ethnic_minority_housing_is_40_million_over_15_years_at_3_percent(chat: Chat):
    await open_calculator(chat, "ethnic_minority")  # one line: straight to the amount
    assert "tối đa 40.000.000 đ" in chat.text
    await chat.send("50 triệu")
    assert "vượt mức tối đa của chương trình (40.000.000 đ)" in chat.replies[0].text
    await chat.send("40 triệu")
    assert "180 tháng (15 năm)" in chat.text
    await chat.send("16 năm")
    assert "dài hơn mức tối đa của chương trình là 180 tháng (15 năm)" in chat.replies[0].text
    await chat.send("15 năm")
    assert "Vay làm nhà ở" in chat.text and "0,25%/tháng" in chat.text


async def test_social_housing_has_its_own_term_and_no_made_up_amount_cap(chat: Chat):
    await open_calculator(chat, "social_housing")
    assert "tùy mục đích" in chat.text and "10.000.000.000" not in chat.text
    await chat.send("2 tỷ")  # no fixed sum to refuse it against
    assert "300 tháng (25 năm)" in chat.text
    await chat.send("26 năm")
    assert "dài hơn mức tối đa của chương trình là 300 tháng (25 năm)" in chat.replies[0].text
    await chat.send("25 năm")
    assert "0,45%/tháng" in chat.text
    await chat.press("Lịch trả nợ")
    assert "Tháng 295–300" in chat.text
    assert "Lịch trả nợ dự tính (tiếp)" in chat.text  # 50 lines do not fit one message
    assert all(visible_length(r.text) < TELEGRAM_TEXT_LIMIT for r in chat.replies)


async def test_a_small_cap_gives_a_small_example(deps: Deps, content: Content):
    chat = Chat(deps_with(deps, with_caps(content, "clean_water", 25 * MILLION, 6)))
    await open_calculator(chat, "clean_water")
    assert "<b>25 triệu</b>" in chat.text
    await chat.send("abc")
    assert "<b>25.000.000</b>" in chat.replies[0].text
    await chat.send("20 triệu")
    assert "<b>6 tháng</b>" in chat.text
    await chat.send("xyz")
    assert "<b>6 tháng</b> hoặc <b>6 tháng</b>" in chat.replies[0].text


@pytest.mark.parametrize("command", ["/huy", "/menu", "/start"])
async def test_commands_leave_the_flow_mid_way(chat: Chat, deps: Deps, command: str):
    await open_calculator(chat)
    await chat.send("50 triệu")
    await chat.send(command)
    assert chat.find("progs")
    if command == "/huy":
        assert "Đã hủy" in chat.text
    assert (await stored_state(deps)).flow is None
    await chat.send("vay von ho ngheo")  # a question again, not a term
    assert "chưa hiểu thời hạn" not in chat.text
    assert chat.find("prog:poor")


async def test_cancel_button_and_menu_button_leave(chat: Chat, deps: Deps):
    await open_calculator(chat)
    await chat.press("Hủy")
    assert "Đã hủy tính thử" in chat.text
    assert [b.action for b in chat.buttons] == ["prog:poor", "menu"]
    assert (await stored_state(deps)).flow is None
    # Pressed again, from an old message: nothing to cancel, still a way on.
    replies = await handle(Incoming("test", "1001", action="calc_cancel"), chat.deps)
    assert [b.action for row in replies[-1].buttons for b in row] == ["menu"]

    await chat.press("menu")
    await chat.press("progs")
    await chat.press("prog:poor")
    await chat.press("calc:poor")
    await chat.send("50 triệu")
    await chat.press("menu")
    assert (await stored_state(deps)).flow is None


async def test_a_restart_between_steps_keeps_the_amount(chat: Chat, deps: Deps):
    await open_calculator(chat)
    await chat.send("60 triệu")
    again = Chat(deps)  # the process restarted: nothing but the database survives
    await again.send("4 năm")
    assert "Vay 60.000.000 đ trong 48 tháng (4 năm)" in again.text


async def test_calculate_again_starts_over_for_the_same_program(chat: Chat, deps: Deps):
    await open_calculator(chat)
    await chat.send("50 triệu")
    await chat.send("36")
    await chat.press("Tính lại")
    assert "bao nhiêu" in chat.text
    state = await stored_state(deps)
    assert state.step == "amount" and state.data.get("amount") is None  # the amount forgotten
    assert (state.data["program"], state.data["line"]) == ("poor", "")
    await chat.send("10 triệu")
    await chat.send("6")
    assert "Vay 10.000.000 đ trong 6 tháng" in chat.text


# "calc:" was never written by the bot (the list of programs is "calc"): like any bytes that
# are no button of ours, it gets the one "out of date" reply.
@pytest.mark.parametrize("action", ["calc:nosuch", "calc:", "calc:jobs:nosuch"])
async def test_stale_calculator_buttons_get_a_way_back(chat: Chat, action: str):
    await chat.onboard()
    replies = await handle(Incoming("test", "1001", action=action), chat.deps)
    assert "Nút này đã cũ" in replies[0].text
    assert replies[0].buttons[-1][0].action == "menu"


async def test_a_program_removed_mid_flow_ends_it_kindly(deps: Deps, content: Content):
    chat = Chat(deps)
    await open_calculator(chat)
    programs = {k: v for k, v in content.programs.items() if k != "poor"}
    later = Chat(deps_with(deps, dataclasses.replace(content, programs=programs)))
    await later.send("50 triệu")
    assert "Nút này đã cũ" in later.text
    assert (await stored_state(deps)).flow is None


async def test_without_calculator_content_no_button_is_offered(deps: Deps, content: Content):
    chat = Chat(deps_with(deps, dataclasses.replace(content, calculator=None)))
    await chat.onboard()
    await chat.press("progs")
    assert not [b for b in chat.buttons if b.action.startswith("calc")]
    await chat.press("prog:poor")
    assert not [b for b in chat.buttons if b.action.startswith("calc")]
    replies = await handle(Incoming("test", "1001", action="calc:poor"), chat.deps)
    assert "Nút này đã cũ" in replies[0].text


# ------------------------------------------------------------------------ a phone's screen


# The amounts and terms the tests above use, and each line's own caps.
AMOUNTS = [MILLION, 10 * MILLION, 20 * MILLION, 33_333_333, 50 * MILLION, 75 * MILLION]
TERMS = [1, 6, 12, 13, 24, 36, 40, 48, 66, 120, 180, 300]


def calculator_lines(content: Content) -> list[tuple[str, str, Program]]:
    return [
        (pid, line_id, line)
        for pid, program in content.programs.items()
        for line_id, line in program.calculator_lines()
    ]


def line_cases(line: Program) -> list[tuple[int, int]]:
    """(amount, months) within the line's caps: the tests' figures and the caps themselves."""
    cap = line.max_amount_vnd or 3_000 * MILLION  # "3 tỷ", as a business types it
    amounts = [a for a in AMOUNTS if a <= cap] + [cap]
    term_cap = line.max_term_months or 0
    terms = [t for t in TERMS if t <= term_cap] + [term_cap]
    return [(a, m) for a in amounts for m in terms]


def result_action(pid: str, line_id: str, amount: int, months: int) -> str:
    return f"calc:{pid}{':' + line_id if line_id else ''}:{amount}:{months}"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_every_result_is_one_short_message(chat: Chat, content: Content, lang: str):
    assert content.calculator is not None
    await chat.onboard(lang)
    checked = 0
    for pid, line_id, line in calculator_lines(content):
        for amount, months in line_cases(line):
            await tap(chat, result_action(pid, line_id, amount, months))
            assert len(chat.replies) == 1, (pid, line_id, amount, months)
            first = chat.text
            assert len(first) <= MAX_FIRST_CHARS, (pid, line_id, amount, months, len(first))
            assert len(first.split("\n")) <= MAX_FIRST_LINES, first
            estimate = plan(
                amount, months, line.rate_month_pct, content.calculator.every_months(months)
            )
            for value in (amount, estimate.first_month_interest, estimate.total_interest):
                assert group_digits(value, lang) in first, (value, first)
            assert group_digits(estimate.total, lang) in first
            assert group_digits(estimate.periods[0].principal, lang) in first
            assert percent(line.rate_month_pct, lang) in first
            assert content.text("calc.result", lang).splitlines()[-1] in first  # an estimate
            parts = f"cp:{pid}:{line_id}:{amount}:{months}"
            assert [b.action for b in chat.buttons][:2] == [f"{parts}:t", f"{parts}:l"]
            checked += 1
    assert checked > 200


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_each_part_is_one_tap_away_with_the_way_back(chat: Chat, content: Content, lang: str):
    await chat.onboard(lang)
    for pid, line_id, line in calculator_lines(content):
        amount, months = min(50 * MILLION, line.max_amount_vnd or 50 * MILLION), 36
        back = result_action(pid, line_id, amount, months)
        await tap(chat, back)
        result = chat.text
        parts = f"cp:{pid}:{line_id}:{amount}:{months}"

        await chat.press(f"{parts}:t")
        periods = plan(amount, months, line.rate_month_pct, 6).periods
        row = "calc.table_row" if periods[-1].first != periods[-1].last else "calc.table_row_one"
        last = content.text(
            row, lang, first=periods[-1].first, last=months,
            interest=content.text("calc.money", lang,
                                  amount=group_digits(periods[-1].monthly_interest, lang)),
            principal=content.text("calc.money", lang,
                                   amount=group_digits(periods[-1].principal, lang)),
        )  # fmt: skip
        assert last in chat.text, (pid, line_id)
        assert percent(line.overdue_rate_pct_of_rate, lang) + "%" in chat.text
        assert [b.action for b in chat.buttons] == [f"{parts}:l", back, "menu"]

        await chat.press(f"{parts}:l")
        assert len(chat.replies) == 1
        for ref in line.legal_basis:
            assert html.escape(ref.get(lang), quote=False) in chat.text, (pid, ref.ref)
        assert day(line.checked_on, lang) in chat.text
        if lang == "en":
            assert_english_legal(chat.text)
        assert [b.action for b in chat.buttons] == [f"{parts}:t", back, "menu"]

        await chat.press(back)
        assert chat.text == result, (pid, line_id)


def social_housing_line(content: Content) -> str:
    lines = content.programs["social_housing"].calculator_lines()
    assert len(lines) == 1 and lines[0][1].max_amount_vnd is None  # no cap: the ceiling holds
    return lines[0][0]


@pytest.mark.parametrize(
    "action",
    [
        "cp",
        "cp:poor::50000000:36",  # no part
        "cp:poor::50000000:36:t:x",
        "cp:poor::50000000:36:z",  # no such part
        "cp:nosuch::50000000:36:t",
        "cp:poor:nosuch:50000000:36:t",  # no such kind of loan
        "cp:jobs::50000000:36:t",  # jobs has two kinds: one must be named
        "cp:jobs:worker:300000000:36:l",  # over the worker's cap
        "cp:poor::0:36:t",
        "cp:poor::500000:36:t",  # under the calculator's smallest amount
        "cp:poor::050000000:36:t",  # not as the bot writes it
        "cp:poor::5e7:36:t",
        "cp:poor::-50000000:36:t",
        "cp:poor::50000000:0:t",
        "cp:poor::50000000:121:l",  # over the program's term
        "cp:poor::50000000:036:t",
        "cp:poor::50000000:3 6:t",
        "cp:poor::100000001:36:t",
        "cp:social_housing:{home}:10000000000000:120:t",  # 14 digits: past the ceiling
    ],
)
async def test_a_bad_or_stale_part_button_gets_the_stale_reply(
    chat: Chat, content: Content, action: str
):
    await chat.onboard()
    await tap(chat, action.format(home=social_housing_line(content)))
    assert chat.text == content.text("error.stale_button", "vi")
    assert [b.action for b in chat.buttons] == ["menu"]


async def test_a_part_button_without_calculator_content_is_stale(deps: Deps, content: Content):
    chat = Chat(deps_with(deps, dataclasses.replace(content, calculator=None)))
    await chat.onboard()
    await tap(chat, "cp:poor::50000000:36:t")
    assert "Nút này đã cũ" in chat.text


async def test_a_part_button_after_the_cap_changed_is_stale(deps: Deps, content: Content):
    chat = Chat(deps)
    await chat.onboard()
    await tap(chat, "calc:poor:100000000:120")
    action = chat.find("Lịch trả nợ").action
    later = Chat(deps_with(deps, with_caps(content, "poor", 50 * MILLION, 120)))
    await tap(later, action)
    assert "Nút này đã cũ" in later.text


async def test_an_amount_past_any_loan_is_refused_where_there_is_no_cap(chat: Chat):
    await open_calculator(chat, "social_housing")
    await chat.send("100000 tỷ")
    assert "lớn quá để tính thử" in chat.replies[0].text
    await chat.send("9000 tỷ")  # 13 digits: still worked out
    await chat.send("25 năm")
    assert "Tổng tiền lãi cả 300 tháng (25 năm)" in chat.text


def test_part_actions_fit_telegram_and_are_open_to_everyone():
    longest = f"cp:{'x' * 24}:{'y' * 16}:{'9' * calculator.MAX_AMOUNT_DIGITS}:480:t"
    back = f"calc:{'x' * 24}:{'y' * 16}:{'9' * calculator.MAX_AMOUNT_DIGITS}:480"
    for action in (longest, back):
        Button("x", action)  # raises over Telegram's 64 bytes
    assert routes.known_action("cp") and routes.action_role("cp") is None


# ------------------------------------------------------------------------ content


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit_calculator(data: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = data / "calculator.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document["calculator"])
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def test_calculator_content_loads(content: Content):
    assert content.calculator is not None
    assert content.calculator.min_amount_vnd == MILLION
    assert content.calculator.every_months(480) == 6  # past the last rule: the last rule


async def test_the_longest_term_a_program_may_have_still_fits(deps: Deps, content: Content):
    chat = Chat(deps_with(deps, with_caps(content, "poor", 10_000 * MILLION, 480)))
    await open_calculator(chat)
    await chat.send("10 tỷ")
    await chat.send("40 năm")
    await chat.press("Lịch trả nợ")
    assert "Tháng 475–480" in chat.text
    assert len(chat.replies) == 4  # 81 lines in 4 messages, the note under the last
    assert chat.replies[-1].buttons and not any(r.buttons for r in chat.replies[:-1])
    assert all(visible_length(r.text) < TELEGRAM_TEXT_LIMIT for r in chat.replies)


def test_calculator_file_is_optional(data: Path):
    (data / "calculator.yaml").unlink()
    assert load_content(data).calculator is None


def test_a_general_cap_in_calculator_yaml_is_refused(data: Path):
    edit_calculator(data, lambda c: c.update(max_amount_vnd=10_000_000_000))
    with pytest.raises(ContentError, match=r"calculator\.yaml: calculator.*max_amount_vnd"):
        load_content(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["schedule"].reverse(), "must grow"),
        (lambda c: c["schedule"][1].update(every_months=0), "every_months"),
        (lambda c: c.pop("schedule"), "schedule: Field required"),
    ],
)
def test_broken_calculator_content_is_refused(data: Path, change, message: str):
    edit_calculator(data, change)
    with pytest.raises(ContentError, match=f"calculator.yaml: calculator.*{message}"):
        load_content(data)


def test_calculator_texts_have_both_languages_and_fit_a_button(content: Content):
    keys = [k for k in content.messages if k.startswith(("calc.", "button.calc"))]
    assert len(keys) > 20
    for key in keys:
        if key.startswith("button."):
            assert len(content.text(key, "vi")) <= 30 and len(content.text(key, "en")) <= 30
    assert calculator.CALC.name == "calc"

"""End to end on Telegram: the loan calculator through the real webhook and the fake Bot API.

The `api` fixture checks that the fake refused nothing: no over-long message, no bad markup,
no callback data over 64 bytes.
"""

from __future__ import annotations

from content.loader import load_content
from handlers.loans.repayment import plan
from tests.bot.conftest import Bot, labels, plain

CANCEL, MENU = "✖️ Hủy", "🏠 Menu chính"
SCHEDULE, LEGAL, BACK = "📅 Lịch trả nợ", "⚖️ Căn cứ pháp lý", "↩️ Về kết quả"


async def onboard(bot: Bot, language: str = "Tiếng Việt", agree: str = "Tôi đồng ý") -> None:
    await bot.send("/start")
    await bot.press(language)
    await bot.press(agree)


async def test_from_the_card_to_the_result_with_bad_input_at_each_step(bot: Bot, api):
    await onboard(bot)
    await bot.press("Các chương trình cho vay")
    replies = await bot.press("Cho vay hộ nghèo")
    assert "🧮 Tính thử khoản vay" in labels(replies)

    replies = await bot.press("Tính thử khoản vay")
    assert "Bạn muốn vay bao nhiêu tiền?" in plain(replies)
    assert labels(replies) == [CANCEL, MENU]

    for bad in ("abc", "0", "-5", "50 tỷ", "500k", "50"):
        replies = await bot.send(bad)
        assert "ví dụ" in plain(replies) and "Bạn muốn vay bao nhiêu tiền?" in plain(replies)
        assert labels(replies) == [CANCEL, MENU]

    replies = await bot.send("50tr")
    assert "Số tiền vay: 50.000.000 đ." in plain(replies)

    for bad in ("xyz", "0", "50 năm", "2,5 tháng"):
        replies = await bot.send(bad)
        assert "ví dụ" in plain(replies), bad
        assert "Số tiền vay: 50.000.000 đ." in plain(replies), bad
        assert labels(replies) == [CANCEL, MENU]

    replies = await bot.send("3 nam")
    assert len(replies) == 1  # one short message, the rest behind buttons
    result = plain(replies)
    assert "Tiền lãi tháng đầu: 260.000 đ" in result
    assert "Tổng tiền lãi cả 36 tháng (3 năm): 5.460.000 đ." in result
    assert "Tổng phải trả, cả gốc và lãi: 55.460.000 đ." in result
    assert "Lần trả gốc đầu: 8.333.333 đ vào tháng 6." in result
    assert "ước tính" in result and len(result) <= 600
    assert labels(replies) == [
        SCHEDULE,
        LEGAL,
        "🔁 Tính lại",
        "📄 Xem chi tiết chương trình",
        MENU,
    ]

    replies = await bot.press(SCHEDULE)
    table = plain(replies)
    assert "Tháng 31–36: lãi 43.333 đ/tháng, trả gốc 8.333.335 đ" in table
    assert "Cộng: gốc 50.000.000 đ, lãi 5.460.000 đ." in table
    assert "phân kỳ trả nợ" in table and "8,112%/năm" in table
    assert labels(replies) == [LEGAL, BACK, MENU]
    replies = await bot.press(LEGAL)
    assert "Quyết định 2553/QĐ-TTg" in plain(replies)
    assert labels(replies) == [SCHEDULE, BACK, MENU]
    replies = await bot.press(BACK)
    assert plain(replies) == result

    replies = await bot.press("Xem chi tiết chương trình")
    assert "6,24%/năm" in plain(replies)
    replies = await bot.send("vay von ho ngheo")  # out of the flow: a question again
    assert "Xem chi tiết chương trình" in " ".join(labels(replies))


async def test_from_the_program_list_and_cancel_mid_way(bot: Bot):
    await onboard(bot)
    await bot.send("/chuongtrinh")
    replies = await bot.press("Tính thử khoản vay")
    assert "chương trình nào" in plain(replies)
    await bot.press("Cho vay hộ cận nghèo")
    await bot.send("30 triệu")
    replies = await bot.send("/huy")
    assert "Đã hủy" in plain(replies)
    replies = await bot.send("36")  # no longer a term: the question fallback
    assert "Tổng tiền lãi" not in plain(replies)

    await bot.send("/chuongtrinh")
    await bot.press("Tính thử khoản vay")
    await bot.press("Cho vay hộ cận nghèo")
    replies = await bot.press("Hủy")
    assert "Đã hủy tính thử khoản vay." in plain(replies)


async def test_the_longest_table_in_english_fits_telegram(bot: Bot):
    content = load_content()
    assert content.calculator is not None
    calc = content.calculator
    # The longest term of any program that has a single calculator line (no line to choose).
    program, line = max(
        (
            (p, lines[0][1])
            for p in content.programs.values()
            if len(lines := p.calculator_lines()) == 1
        ),
        key=lambda pair: pair[1].max_term_months or 0,
    )
    months = line.max_term_months or 0
    millions = min(500, (line.max_amount_vnd or 500_000_000) // 1_000_000)
    await onboard(bot, "English", "I agree")
    await bot.press("Loan programs")
    await bot.press(program.name.en)
    await bot.press("Loan calculator")
    replies = await bot.send(f"{millions} million")
    assert f"Amount: {millions * 1_000_000:,} VND." in plain(replies)
    replies = await bot.send(f"{months} months")
    assert "Total interest over" in plain(replies)
    replies = await bot.press("Repayment schedule")
    result = plain(replies)
    last = plan(millions * 1_000_000, months, line.rate_month_pct, calc.every_months(months))
    assert f"{last.periods[-1].first}–{months}:" in result and "Total:" in result
    assert "(continued)" in result  # the table spreads over several messages
    assert labels(replies) == ["⚖️ Legal basis", "↩️ Back to the result", "🏠 Main menu"]
    replies = await bot.press("Legal basis")
    assert "legal basis" in plain(replies) and "Nghị định" not in plain(replies)
    for ref in line.legal_basis:
        assert ref.en in plain(replies)
    replies = await bot.press("Back to the result")
    assert "Calculate again" in " ".join(labels(replies))


async def test_a_typed_question_with_its_figures_reaches_the_result(bot: Bot):
    """Issue 11: "vay 50 triệu 3 năm lãi bao nhiêu" once got a general answer, the figures lost."""
    await onboard(bot)
    replies = await bot.send("vay 50 triệu 3 năm lãi bao nhiêu")
    assert "Tính thử khoản vay 50.000.000 đ trong 36 tháng (3 năm)" in plain(replies)
    replies = await bot.press("Cho vay hộ nghèo")
    result = plain(replies)
    assert "Tiền lãi tháng đầu: 260.000 đ" in result
    assert "Tổng tiền lãi cả 36 tháng (3 năm): 5.460.000 đ." in result

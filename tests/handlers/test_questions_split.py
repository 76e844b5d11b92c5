"""The questions inside one message (handlers/questions/split.py): where it is cut, what
counts as a question, and that only the last few are kept."""

from __future__ import annotations

import pytest

from handlers.questions.split import (
    MAX_CHARS,
    MAX_QUESTIONS,
    is_question,
    questions,
    sentences,
)


def test_cut_after_sentence_marks_and_line_breaks():
    text = "Nhà em hộ nghèo. Vay được bao nhiêu? Lãi thế nào!\nHồ sơ gồm gì; nộp ở đâu… cảm ơn"
    assert sentences(text) == [
        "Nhà em hộ nghèo",
        "Vay được bao nhiêu?",
        "Lãi thế nào!",
        "Hồ sơ gồm gì",
        "nộp ở đâu",
        "cảm ơn",
    ]


def test_figures_with_dots_are_not_cut():
    assert sentences("Vay 50.000.000 đồng, lãi 0.65% một tháng. Trả thế nào?") == [
        "Vay 50.000.000 đồng, lãi 0.65% một tháng",
        "Trả thế nào?",
    ]


@pytest.mark.parametrize(
    "text, pieces",
    [
        (
            "nha em ho ngheo vay bao nhieu cho em hoi them ho so gom gi",
            ["nha em ho ngheo vay bao nhieu", "cho em hoi them ho so gom gi"],
        ),
        (
            "Vay đi Nhật có cần thế chấp không, xin hỏi lãi suất bao nhiêu",
            ["Vay đi Nhật có cần thế chấp không", "xin hỏi lãi suất bao nhiêu"],
        ),
        (
            "lịch giao dịch ngày nào, còn hồ sơ cần gì, và nếu trả chậm thì sao",
            ["lịch giao dịch ngày nào", "còn hồ sơ cần gì", "và nếu trả chậm thì sao"],
        ),
        (
            "lich giao dich ngay nao, voi lai ho so can gi",
            ["lich giao dich ngay nao", "voi lai ho so can gi"],
        ),
    ],
)
def test_cut_before_openers_and_comma_led_joiners(text, pieces):
    assert sentences(text) == pieces


@pytest.mark.parametrize(
    "text",
    [
        "hộ nghèo và cận nghèo vay được bao nhiêu",  # "và" without a comma joins
        "con em hoc dai hoc vay duoc bao nhieu",  # "con" (child) typed without diacritics
        "nếu trả chậm thì có bị phạt không",  # a question that opens with "nếu"
        "Cho em hỏi thêm lãi suất hộ nghèo",  # one opener, cut once
    ],
)
def test_one_question_stays_whole(text):
    assert sentences(text) == [text]


@pytest.mark.parametrize(
    "piece",
    [
        "Vay được bao nhiêu?",
        "vay duoc bao nhieu",
        "Hồ sơ gồm những gì ạ",
        "ho so gom nhung gi a",
        "có được vay không",
        "co duoc vay ko",
        "Cho em hỏi lịch giao dịch",
        "xin hoi lich giao dich",
        "ngân hàng về xã ngày nào",
        "Trả nợ ở đâu",
        "how much can I borrow",
    ],
)
def test_questions_with_or_without_marks_and_diacritics(piece):
    assert is_question(piece)


@pytest.mark.parametrize(
    "piece",
    [
        "Nhà em ở thôn Nà Lầu",
        "nha em o thon na lau",
        "tháng nào cũng lỡ ngày giao dịch",  # "nào cũng": every, not which
        "xe đứng tên em, em không vay gì",  # a negation before "gì" tells
        "em cảm ơn ạ",
        "Hai vợ chồng làm ruộng",
    ],
)
def test_statements_are_not_questions(piece):
    assert not is_question(piece)


def test_a_story_gives_only_its_question():
    story = (
        "Nhà em ở thôn Nà Lầu, năm nay mới được xã công nhận hộ nghèo. Hai vợ chồng làm "
        "ruộng, tháng nào cũng thiếu tiền. Em muốn vay ít vốn mua hai con bò về nuôi. Hộ "
        "nghèo như nhà em vay được bao nhiêu?"
    )
    assert questions(story) == ["Hộ nghèo như nhà em vay được bao nhiêu?"]


def test_a_question_of_few_words_is_left_out():
    assert questions("Tôi có báo công an được không? Báo ở đâu?") == [
        "Tôi có báo công an được không?"
    ]


def test_only_the_last_questions_are_kept():
    asked = [f"Câu số {n} hỏi gì vậy?" for n in range(10)]
    assert questions(" ".join(asked)) == asked[-MAX_QUESTIONS:]


def test_a_long_run_on_question_keeps_its_end():
    story = "tôi kể " * 100 + "vậy giờ lịch giao dịch ở xã tôi là ngày nào?"
    [asked] = questions(story)
    assert len(asked) <= MAX_CHARS and asked.endswith("lịch giao dịch ở xã tôi là ngày nào?")
    assert asked.split()[0] == "tôi" or asked.split()[0] == "kể"  # cut at a word's start

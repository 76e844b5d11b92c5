"""In scope or not: the scope model beside the topic model turns a topic into ``none`` when a
message is about something the bank does not do (issue 11: "an out-of-scope message still
gets a kind reply and the menu, never a wrong program"); the bank's own questions keep their
topic. The messages here were written for these tests, from topics.yaml's rule 5."""

from __future__ import annotations

import pytest

from content.loader import Content, load_content

OUT_OF_SCOPE = [
    # another bank's credit card
    "Tôi đang dùng thẻ tín dụng Vietcombank, bị tính phí thường niên 500 nghìn dù không dùng, "
    "có đòi lại được không?",
    # inheritance and land between siblings
    "Bố mẹ tôi mất không để lại di chúc, mấy anh em tranh chấp mảnh đất hương hỏa, chia thế nào "
    "cho đúng luật?",
    # a mistaken transfer
    "Tôi chuyển khoản nhầm 5 triệu vào tài khoản người lạ, làm sao lấy lại được?",
    # a disability allowance
    "Mẹ tôi bị khuyết tật nặng mà mấy tháng nay xã chưa chi tiền trợ cấp, hỏi ai bây giờ?",
]
IN_SCOPE = [
    (
        "Nhà tôi là hộ nghèo, muốn vay vốn ngân hàng chính sách để nuôi bò thì cần giấy tờ gì?",
        "program.poor",
    ),
    (
        # a disaster (loan.risk) and an extension (loan.overdue): either, the other a choice
        "Lũ lụt cuốn mất ao cá, khoản vay ở ngân hàng chính sách sắp đến hạn, có được gia hạn "
        "không?",
        "loan.risk|loan.overdue",
    ),
    ("Con tôi đỗ đại học, nhà khó khăn, vay vốn sinh viên thế nào?", "program.student"),
    (
        "Tôi vay tiền qua app, giờ tụi nó gọi điện đe dọa cả nhà tôi, phải làm sao?",
        "blackcredit.victim",
    ),
    (
        "Tổ trưởng tổ vay vốn thu tiền lãi của cả xóm mà không nộp cho ngân hàng",
        "misconduct.embezzle",
    ),
]


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_an_out_of_scope_message_is_answered_none(content: Content, text: str) -> None:
    assert content.matcher.match(text).topic == "none"


@pytest.mark.parametrize(("text", "topic"), IN_SCOPE)
def test_the_banks_own_questions_keep_their_topic(content: Content, text: str, topic: str) -> None:
    found = content.matcher.match(text)
    assert found.topic in topic.split("|")
    assert set(topic.split("|")) <= {found.topic, *found.alternatives}


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_the_scope_model_reads_an_outside_matter_as_not_the_banks(
    content: Content, text: str
) -> None:
    """Its margin is one of the features the combiner weighs for "none"
    (tests/content/test_combiner.py)."""
    model = content.matcher.model
    assert model is not None
    margin = model.in_scope(content.matcher.model_text(text))
    assert margin is not None and margin < 0


@pytest.mark.parametrize(("text", "topic"), IN_SCOPE)
def test_the_scope_model_reads_the_banks_own_questions_as_its(
    content: Content, text: str, topic: str
) -> None:
    model = content.matcher.model
    assert model is not None
    margin = model.in_scope(content.matcher.model_text(text))
    assert margin is not None and margin > 0

"""Zalo OA rendering: buttons as oa.query.hide, the 5-button limit, numbered beyond it,
titles and text within Zalo's limits, and a press told apart from typed text."""

from __future__ import annotations

from bot.zalo_oa_api import BUTTON_PAYLOAD_LIMIT as PAYLOAD_LIMIT
from bot.zalo_oa_render import (
    MAX_BUTTONS,
    TEXT_LIMIT,
    TITLE_LIMIT,
    OaMessage,
    pressed_action,
    render,
    title_of,
)
from bot.zalo_render import utf16_len
from handlers.core.types import Button, Reply


def hint(count: int) -> str:
    return f"(1–{count})"


def buttons(n: int, start: int = 1) -> tuple[tuple[Button, ...], ...]:
    return tuple((Button(f"Mục {i}", f"program:{i}"),) for i in range(start, start + n))


def test_a_few_buttons_become_hidden_query_buttons_with_the_action_as_payload():
    rendered = render([Reply("<b>Chọn</b> một mục", buttons(2))], hint)
    assert len(rendered.messages) == 1
    assert rendered.messages[0].to_api() == {
        "text": "Chọn một mục",
        "attachment": {
            "type": "template",
            "payload": {
                "buttons": [
                    {"title": "Mục 1", "type": "oa.query.hide", "payload": "vbsp:program:1"},
                    {"title": "Mục 2", "type": "oa.query.hide", "payload": "vbsp:program:2"},
                ]
            },
        },
    }
    assert rendered.choices == [("Mục 1", "program:1"), ("Mục 2", "program:2")]
    assert rendered.numbered == 0  # nothing shown with a number


def test_five_buttons_fit_in_one_message_ten_in_two_eleven_go_as_a_numbered_list():
    five = render([Reply("Năm", buttons(MAX_BUTTONS))], hint)
    assert len(five.messages) == 1
    assert len(five.messages[0].buttons) == 5 and "1." not in five.messages[0].text

    seven = render([Reply("Bảy", buttons(7))], hint, more="Hoặc:")
    assert [(m.text, len(m.buttons)) for m in seven.messages] == [("Bảy", 4), ("Hoặc:", 3)]
    assert seven.numbered == 0 and len(seven.choices) == 7
    ten = render([Reply("Mười", buttons(10))], hint)
    assert [len(m.buttons) for m in ten.messages] == [5, 5]

    eleven = render([Reply("Mười một", buttons(11))], hint)
    [message] = eleven.messages
    assert message.buttons == [] and "attachment" not in message.to_api()
    listed = "\n".join(f"{i}. Mục {i}" for i in range(1, 12))
    assert message.text == f"Mười một\n\n{listed}\n\n(1–11)"
    assert eleven.numbered == 11 and len(eleven.choices) == 11


def test_numbered_choices_come_first_and_buttons_of_another_reply_follow():
    replies = [Reply("Nút", buttons(2, start=20)), Reply("Danh sách", buttons(12))]
    rendered = render(replies, hint)
    assert [len(m.buttons) for m in rendered.messages] == [2, 0]
    assert "1. Mục 1" in rendered.messages[1].text and "(1–12)" in rendered.messages[1].text
    assert rendered.numbered == 12
    assert rendered.choices[:12] == [(f"Mục {i}", f"program:{i}") for i in range(1, 13)]
    assert rendered.choices[12:] == [("Mục 20", "program:20"), ("Mục 21", "program:21")]


def test_the_same_action_twice_is_one_button():
    reply = Reply("Menu", ((Button("Menu", "menu"),), (Button("Về menu", "menu"),)))
    rendered = render([reply], hint)
    assert rendered.messages[0].buttons == [("Menu", "menu")]


def test_long_text_is_split_under_2000_and_the_buttons_ride_on_the_last_part():
    text = "\n\n".join(f"{i} " + "x" * 900 for i in range(5))
    rendered = render([Reply(text, buttons(2))], hint)
    assert len(rendered.messages) == 3
    assert all(utf16_len(m.text) <= TEXT_LIMIT for m in rendered.messages)
    assert [len(m.buttons) for m in rendered.messages] == [0, 0, 2]


def test_buttons_without_text_still_have_a_text():
    rendered = render([Reply("", buttons(1))], hint, more="Chọn:")
    assert rendered.messages[0].text == "Chọn:" and rendered.messages[0].buttons


def test_a_title_is_cut_to_the_limit_and_the_payload_stays_whole():
    long = "Cho vay " + "rất dài " * 30
    assert utf16_len(title_of(long)) <= TITLE_LIMIT and title_of(long).endswith("…")
    assert title_of("  Hai\ndòng ") == "Hai dòng"
    emoji = "🏠" * 80  # two UTF-16 units each
    assert utf16_len(title_of(emoji)) <= TITLE_LIMIT
    message = OaMessage("x", [(title_of(long), "program:1")])
    payload = message.to_api()["attachment"]["payload"]["buttons"][0]["payload"]
    assert payload == "vbsp:program:1" and len(payload) <= PAYLOAD_LIMIT


def test_files_are_named_not_sent():
    from handlers.core.types import Media

    reply = Reply("Ảnh", media=(Media("photo", "a.jpg", b"x"),))
    rendered = render([reply], hint, lambda n: f"[{n} tệp]")
    assert rendered.messages[0].text == "[1 tệp]\n\nẢnh"


def test_a_press_is_told_from_typed_text():
    assert pressed_action("vbsp:program:3") == "program:3"
    assert pressed_action("vbsp:") is None
    assert pressed_action("program:3") is None
    assert pressed_action(None) is None

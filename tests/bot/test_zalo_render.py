"""Zalo rendering: plain text, numbered choices, 2,000-character messages, typed answers."""

from __future__ import annotations

import pytest

from bot import zalo_api
from bot.zalo import NotAnEvent, parse_event
from bot.zalo_render import (
    as_command,
    exact_choice,
    partial_choice,
    render,
    split_message,
    to_plain,
    typed_number,
    utf16_len,
)
from handlers.core.types import Button, Reply

COMMANDS = {"start", "menu", "huy", "lich", "caidat", "tracuu", "lienket", "tindungden"}


def hint(count: int) -> str:
    return f"(1–{count})"


def test_html_subset_becomes_plain_text():
    text = "<b>Lãi</b> <i>6,24%</i> <u>u</u> <s>s</s> <code>01/TD</code> TK&amp;VV &lt;3"
    assert to_plain(text) == "Lãi 6,24% u s 01/TD TK&VV <3"
    assert to_plain('<a href="https://vbsp.org.vn">NHCSXH</a>') == "NHCSXH (https://vbsp.org.vn)"


def test_choices_are_numbered_on_across_replies_and_repeated_actions_share_a_number():
    replies = [
        Reply("Chọn <b>xã</b>", ((Button("Xã A", "commune_set:1"),), (Button("Menu", "menu"),))),
        Reply("Hoặc", ((Button("Xã B", "commune_set:2"), Button("Về menu", "menu")),)),
    ]
    rendered = render(replies, hint)
    assert rendered.messages == [
        "Chọn xã\n\n1. Xã A\n2. Menu",
        "Hoặc\n\n3. Xã B\n2. Về menu\n\n(1–3)",
    ]
    assert rendered.choices == [
        ("Xã A", "commune_set:1"),
        ("Menu", "menu"),
        ("Xã B", "commune_set:2"),
    ]


def test_no_buttons_no_choices():
    rendered = render([Reply("Chào")], hint)
    assert rendered.messages == ["Chào"] and rendered.choices == []


def test_split_at_paragraphs_under_2000_utf16_units():
    paragraphs = [f"{i} " + "x" * 900 for i in range(5)]
    chunks = split_message("\n\n".join(paragraphs))
    assert chunks == ["\n\n".join(paragraphs[0:2]), "\n\n".join(paragraphs[2:4]), paragraphs[4]]


def test_emoji_count_double_and_are_never_cut_apart():
    text = "😀" * 1500  # 3,000 UTF-16 units, no space to cut at
    chunks = split_message(text)
    assert all(utf16_len(c) <= 2000 for c in chunks)
    assert "".join(chunks) == text
    family = "👨\u200d👩\u200d👧"
    chunks = split_message("a" * 1998 + family + "b" * 10)
    assert all(utf16_len(c) <= 2000 for c in chunks)
    assert any(family in c for c in chunks)


def test_long_paragraph_cut_at_a_space():
    words = "chữ " * 800
    chunks = split_message(words.strip())
    assert len(chunks) == 2 and all(utf16_len(c) <= 2000 for c in chunks)
    assert all(not c.startswith(" ") and not c.endswith(" ") for c in chunks)


@pytest.mark.parametrize(("typed", "number"), [("2", 2), (" 2. ", 2), ("(3)", 3), ("số 4", 4)])
def test_typed_numbers(typed, number):
    assert typed_number(typed) == number


@pytest.mark.parametrize("typed", ["2 năm", "50 triệu", "", "một"])
def test_not_numbers(typed):
    assert typed_number(typed) is None


def test_words_of_a_choice():
    choices = [("Tiếng Việt", "lang:vi"), ("English", "lang:en"), ("🏠 Menu chính", "menu")]
    assert exact_choice("tieng viet", choices) == "lang:vi"
    assert exact_choice("ENGLISH", choices) == "lang:en"
    assert exact_choice("1. Tiếng Việt", choices) == "lang:vi"  # copied with its number
    assert exact_choice("menu chinh", choices) == "menu"
    assert exact_choice("viet", choices) is None
    choices = [("Cho vay hộ nghèo", "prog:a"), ("Cho vay hộ cận nghèo", "prog:b")]
    assert partial_choice("ho ngheo", choices) == "prog:a"
    assert partial_choice("cho vay", choices) is None  # two of them
    assert partial_choice("nghèo", choices) is None  # one word is too little


def test_command_words_without_the_slash():
    assert as_command("Lịch", COMMANDS) == "/lich"
    assert as_command("HỦY", COMMANDS) == "/huy"
    assert as_command("cài đặt", COMMANDS) == "/caidat"
    assert as_command("tín dụng đen", COMMANDS) == "/tindungden"
    assert as_command("tra cuu AB12CD", COMMANDS) == "/tracuu AB12CD"
    assert as_command("lienket ABCD-2345", COMMANDS) == "/lienket ABCD-2345"
    assert as_command("lịch giao dịch tháng này", COMMANDS) is None
    assert as_command("/lich", COMMANDS) is None  # already a command
    assert as_command("menu chính", COMMANDS) is None


def test_events_flat_wrapped_and_refused():
    message = {
        "message_id": "a" * 20,
        "date": 1789033572455,
        "chat": {"id": "b" * 20, "chat_type": "PRIVATE"},
        "from": {"id": "b" * 20, "display_name": "An", "is_bot": False},
        "text": "chào",
    }
    flat = {"event_name": "message.text.received", "message": message}
    event = parse_event(flat)
    assert event is not None and event.text == "chào" and event.user_id == "b" * 20
    assert parse_event({"ok": True, "result": flat}) == event
    image = {
        "event_name": "message.image.received",
        "message": {**message, "photo": "https://zdn.vn/x.jpg", "caption": "Ảnh"},
    }
    got = parse_event(image)
    assert got.photo_url == "https://zdn.vn/x.jpg" and got.text == "Ảnh"
    assert parse_event({"event_name": "user.follow"}) is None  # unknown: ignored
    for bad in ([], {"message": message}, {"event_name": "message.text.received"}):
        with pytest.raises(NotAnEvent):
            parse_event(bad)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (408, {"ok": False, "error_code": 408, "description": "Request timeout"}, "idle"),
        (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, "invalid_token"),
        (429, {"ok": False, "error_code": 429, "description": "Too Many Requests"}, "rate_limited"),
        (429, {"ok": False, "error_code": 429, "description": "Monthly quota exceeded"}, "quota"),
        (403, {"ok": False, "error_code": 403, "description": "Forbidden"}, "unreachable"),
        (400, {"ok": False, "error_code": 400, "description": "chat not found"}, "unreachable"),
        (502, None, "server"),
        (200, {"ok": False, "error_code": 400, "description": "text too long"}, "bad_request"),
    ],
)
def test_error_kinds(status, body, kind):
    assert zalo_api.classify(status, body, "3").kind == kind

"""Rendering replies: splitting long texts for Telegram, plain text for the terminal."""

from __future__ import annotations

from bot.render import split_text, to_plain, visible_length
from bot.telegram import keyboard
from handlers.core.types import Button, Reply


def test_short_text_is_one_message():
    assert split_text("<b>Chào</b> bạn") == ["<b>Chào</b> bạn"]


def test_long_text_splits_at_paragraphs_below_the_limit():
    paragraphs = [f"<b>Đoạn {i}</b> " + "chữ " * 300 for i in range(12)]
    text = "\n\n".join(paragraphs)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(visible_length(c) <= 4096 for c in chunks)
    # Nothing lost, nothing cut inside a paragraph.
    assert "\n\n".join(chunks) == text
    assert all(c.count("<b>") == c.count("</b>") for c in chunks)


def test_one_huge_paragraph_is_cut_at_spaces_without_half_tags():
    text = "<b>" + "tín dụng đen &amp; " * 600 + "</b>"
    chunks = split_text(text, limit=1000)
    assert all(visible_length(c) <= 1000 for c in chunks)
    assert all("<b" not in c for c in chunks)
    assert to_plain(" ".join(chunks)).count("tín dụng đen") == 600


def test_visible_length_counts_like_telegram():
    assert visible_length("<b>a</b>&amp;") == 2
    assert visible_length("😀") == 2  # one emoji is two UTF-16 code units


def test_to_plain_drops_tags_and_decodes_entities():
    assert to_plain("<b>Tổ TK&amp;VV</b> &lt;3") == "Tổ TK&VV <3"


def test_keyboard_keeps_rows_and_actions():
    reply = Reply("x", ((Button("A", "prog:poor"), Button("B", "menu")), (Button("C", "help"),)))
    markup = keyboard(reply)
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        ["prog:poor", "menu"],
        ["help"],
    ]
    assert keyboard(Reply("no buttons")) is None


def test_a_long_paragraph_of_emoji_is_cut_by_utf16_units_and_no_piece_is_empty():
    """Telegram counts UTF-16 units: an emoji is two. 5,000 of them are three messages."""
    for text in ("😀" * 5000, "Chú ý 📢 " * 600, "a" * 4000 + "\n\n" + "😀" * 3000):
        pieces = split_text(text)
        assert all(0 < visible_length(p) <= 4096 for p in pieces), [
            visible_length(p) for p in pieces
        ]
        assert "".join(p.replace("\n\n", "").replace(" ", "") for p in pieces) == text.replace(
            "\n\n", ""
        ).replace(" ", "")

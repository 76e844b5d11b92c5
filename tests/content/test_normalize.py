"""Normalisation: diacritics, punctuation, abbreviations and regional words."""

from __future__ import annotations

import unicodedata

import pytest

from content.normalize import Normalizer, basic_tokens, fold, mark_key, strip_diacritics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ngân hàng Chính sách xã hội", "Ngan hang Chinh sach xa hoi"),
        ("Đường dây nóng", "Duong day nong"),
        ("đồng bào dân tộc thiểu số", "dong bao dan toc thieu so"),
        ("lãi suất ưu đãi", "lai suat uu dai"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_strip_diacritics(text: str, expected: str) -> None:
    assert strip_diacritics(text) == expected


def test_nfd_and_nfc_input_fold_the_same() -> None:
    text = "Hộ nghèo được vay bao nhiêu?"
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    assert fold(nfd) == fold(text) == "ho ngheo duoc vay bao nhieu"


def test_fold_removes_punctuation_and_spaces() -> None:
    assert fold("  Vay   vốn!!! (hộ nghèo)... ") == "vay von ho ngheo"
    assert fold("lãi-suất/tháng?") == "lai suat thang"


def test_letters_and_digits_are_split() -> None:
    assert basic_tokens("vay 50tr/2năm") == ["vay", "50", "tr", "2", "năm"]


def test_ampersand_is_its_own_token() -> None:
    assert basic_tokens("tổ TK&VV") == ["tổ", "tk", "&", "vv"]


@pytest.fixture
def norm() -> Normalizer:
    return Normalizer(
        accented={"vậy": "", "mần": "làm", "nhiêu": "bao nhiêu", "bao nhiêu": "bao nhiêu"},
        expansions={
            "nhcsxh": "ngân hàng chính sách xã hội",
            "ngân hàng cs": "ngân hàng chính sách",
            "tk&vv": "tổ tiết kiệm và vay vốn",
            "ko": "không",
            "bi nhiu": "bao nhiêu",
            "dc": "được",
            "z": "",
        },
    )


def test_abbreviations_expand(norm: Normalizer) -> None:
    assert norm("NHCSXH cho vay ko?") == "ngan hang chinh sach xa hoi cho vay khong"
    assert norm("tk&vv la gi") == "to tiet kiem va vay von la gi"
    assert norm("tk & vv") == "to tiet kiem va vay von"


def test_multi_word_keys_win_over_shorter_ones(norm: Normalizer) -> None:
    assert norm("vay ngân hàng cs dc bi nhiu") == "vay ngan hang chinh sach duoc bao nhieu"


def test_accented_rules_need_the_diacritics(norm: Normalizer) -> None:
    # "vậy" (filler) is dropped, but "vay" (borrow) is kept
    assert norm("là gì vậy") == "la gi"
    assert norm("vay von") == "vay von"
    assert norm("mần ăn") == "lam an"
    assert norm("vay được nhiêu") == "vay duoc bao nhieu"
    assert norm("bao nhiêu") == "bao nhieu"  # not "bao bao nhieu"


def test_accented_rules_can_be_skipped(norm: Normalizer) -> None:
    assert norm("là gì vậy", accented=False) == "la gi vay"


def test_empty_replacement_drops_the_word(norm: Normalizer) -> None:
    assert norm.tokens("sao z") == ["sao"]
    assert norm.tokens("") == []
    assert norm.tokens("?!...") == []


def test_normalizer_without_rules_just_folds() -> None:
    assert Normalizer()("Hộ Cận Nghèo") == "ho can ngheo"


def test_percent_and_thousands_after_a_number() -> None:
    norm = Normalizer(expansions={"k": "không"})
    assert norm("lai 5%/thang") == "lai 5 phan tram thang"
    assert norm("nop 500k phi") == "nop 500 nghin phi"
    assert norm("vay dc k") == "vay dc khong"  # a lone "k" is still "không"


def test_mark_key_keeps_vowel_marks_and_moves_the_tone_to_the_end() -> None:
    # old and new tone placement are the same word
    assert mark_key("hoà") == mark_key("hòa") == "hoa2"
    assert mark_key("thuý") == mark_key("thúy") == "thuy1"
    assert mark_key(unicodedata.normalize("NFD", "ủy")) == mark_key("uỷ")
    # words that fold alike are not
    assert len({mark_key(w) for w in ("tối", "tôi", "tới", "tội")}) == 4
    assert mark_key("sập") != mark_key("sắp")
    assert mark_key("dời") != mark_key("đòi")
    assert mark_key("vay") == "vay"


def test_marked_tokens_follow_the_tokens() -> None:
    norm = Normalizer(accented={"vậy": "", "đô la": "usd"}, expansions={"nhcsxh": "ngân hàng"})
    tokens, marks = norm.marked_tokens("Vậy NHCSXH cho vay tối đa 100 đô la?")
    assert tokens == ["ngan", "hang", "cho", "vay", "toi", "da", "100", "usd"]
    # words a rule wrote have no marks: they say nothing about the message's diacritics
    assert marks == [None, None, "cho", "vay", "tôi1", "đa", "100", None]
    assert norm.tokens("Vậy NHCSXH cho vay tối đa 100 đô la?") == tokens

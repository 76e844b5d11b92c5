"""bench/fold_collisions.py finds the cue phrases that fold like other words: its list is only
worth something if it counts the other words and not the cue's own, nor bare words."""

from __future__ import annotations

from bench.fold_collisions import collisions, cue_phrases, vocabulary_texts
from content.loader import DATA_DIR
from content.normalize import basic_tokens


def test_other_words_are_counted_and_the_cue_itself_is_not() -> None:
    cues = {"tối đa": {"loan.amount"}, "sập": {"loan.risk"}, "# năm": {"loan.term"}}
    texts = [
        basic_tokens("Tôi đã vay tối đa bao nhiêu"),
        basic_tokens("Nhà sắp sập, tôi đã báo"),
        basic_tokens("vay toi da 5 năm"),  # bare words are taken to be the cue's
    ]
    found = collisions(cues, texts)
    assert found["tối đa"][0] == 2  # "tối đa" and bare "toi da"
    assert dict(found["tối đa"][1]) == {"tôi đã": 2}
    assert found["sập"][0] == 1 and dict(found["sập"][1]) == {"sắp": 1}
    assert found["# năm"] == (1, {})


def test_the_real_cues_and_vocabulary_show_known_collisions() -> None:
    cues = cue_phrases(DATA_DIR)
    assert "tối đa" in cues and "vay" not in cues  # only phrases written with diacritics
    found = collisions(cues, vocabulary_texts(DATA_DIR))
    assert found["tối đa"][1]["tôi đã"] > 0

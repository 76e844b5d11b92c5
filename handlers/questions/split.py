"""The questions inside one long message: "Nhà em hộ nghèo, vay được bao nhiêu? Lịch giao dịch
ngày nào? Trả chậm có bị phạt không?" asks three things.

The rule, small enough to explain to a content editor:

1. Cut the message into sentences after "?", "!", ";", "…", a line break, or a "." that ends
   a sentence (followed by a space or the end: "50.000.000" and "3.5%" stay whole).
2. Cut a sentence again before a question opener ("cho em hỏi", "xin hỏi", "em muốn hỏi",
   "hỏi thêm"), and before "và", "còn", "nếu", "với lại", "ngoài ra", "thêm nữa" when a
   comma comes just before them: without the comma these words join parts of one question
   ("hộ nghèo và cận nghèo", "con tôi" typed without diacritics).
3. A piece is a question when it ends with "?", starts with an opener, has a question word
   ("bao nhiêu", "thế nào", "ở đâu"...) or ends with one ("gì", "không", "chưa"...). Words
   are compared without diacritics, so both ways of typing count.
4. A question of fewer than ``MIN_WORDS`` words leans on the sentence before it ("Báo ở
   đâu?", "Nộp cho ai?"): alone it names no topic, so it is left out. One longer than
   ``MAX_CHARS`` is cut to its end.

Only the last ``MAX_QUESTIONS`` questions are kept: each is one more matcher call, and the
questions of a story come at its end (the story first, then "xin hỏi...").
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

from content.normalize import fold

# Each question is one more matcher call, and the whole message with its questions must stay
# inside the matcher's budget (p99 under 5 ms for 2,000 characters; the whole message alone
# takes 2.5-3 ms of it on a test machine, a question of 100 characters about 0.4 ms). Three
# are enough: the multi-question messages in tests/content ask two or three things (one
# asks four), and the questions of a story come at its end, so the last three are read.
MAX_QUESTIONS = 3
# A tidy question is under 100 characters (95 in 100 of the held-out questions). A longer
# piece is a story told without stops whose question is its end: only its end is read.
MAX_CHARS = 100
MIN_WORDS = 4  # "Lãi suất thế nào?" and "Hồ sơ gồm gì?" have four

# After these a new sentence begins; a "." only when a space or the end follows.
_SENTENCE_END = re.compile(r"(?<=[?!;…\n])|(?<=\.)(?=\s|$)")
_WORD = re.compile(r"[^\W_]+")
# One word folded once: a 2,000-character message holds ~450 words, mostly repeated ones.
_fold_word = lru_cache(maxsize=50_000)(fold)

# Folded word sequences that open a question wherever they stand.
OPENERS = tuple(
    tuple(phrase.split())
    for phrase in (
        "cho em hoi", "cho toi hoi", "cho minh hoi", "cho chau hoi", "cho con hoi",
        "cho hoi", "xin hoi", "xin cho hoi", "em muon hoi", "toi muon hoi", "minh muon hoi",
        "chau muon hoi", "hoi them",
    )
)  # fmt: skip
# Folded words that open a second question only right after a comma.
JOINERS = tuple(
    tuple(phrase.split())
    for phrase in ("va", "con", "neu", "voi lai", "ngoai ra", "them nua", "and", "also")
)
# Folded question words, found anywhere in the piece.
QUESTION_WORDS = tuple(
    f" {phrase} "
    for phrase in (
        "bao nhieu", "bao lau", "bao gio", "the nao", "ra sao", "lam sao", "tai sao", "vi sao",
        "o dau", "cho nao", "khi nao", "luc nao", "ngay nao", "co phai", "hay khong",
        "duoc khong", "how", "what", "when", "where", "which", "who", "why", "can i", "is it",
        "do i",
    )
)  # fmt: skip
# Folded words that ask only as the last word, once the polite particles after them are set
# aside: "hồ sơ gồm gì (ạ)", "có được vay không"; but "tháng nào cũng lỡ" tells, and "ạ"
# also ends a statement ("em cảm ơn ạ").
QUESTION_ENDS = frozenset(
    ("khong", "chua", "ko", "k", "hong", "ha", "nhi", "sao", "gi", "nao", "ai", "may", "dau")
)
POLITE_ENDS = frozenset(("a", "ah", "nhe", "nha", "voi", "please"))
# "em không vay gì", "chẳng còn gì": a negation before a last "gì" tells, it does not ask.
NEGATIONS = frozenset(("khong", "chang", "chua", "ko"))


def _cut_at(text: str, starts: list[int]) -> list[str]:
    bounds = [0, *sorted(set(starts)), len(text)]
    return [text[a:b] for a, b in pairwise(bounds)]


def _phrase_at(
    folded: list[str], i: int, index: dict[str, tuple[tuple[str, ...], ...]]
) -> tuple[str, ...] | None:
    """The phrase of ``index`` (by first word, longest first) that starts at word ``i``."""
    for phrase in index.get(folded[i], ()):
        if tuple(folded[i : i + len(phrase)]) == phrase:
            return phrase
    return None


def _by_first_word(
    phrases: tuple[tuple[str, ...], ...],
) -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted(phrases, key=len, reverse=True):
        index.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(found) for first, found in index.items()}


_OPENER_INDEX = _by_first_word(OPENERS)
_JOINER_INDEX = _by_first_word(JOINERS)


def _clauses(sentence: str) -> list[str]:
    """``sentence`` cut before its question openers and its comma-led joiners (rule 2),
    stripped, none empty."""
    words = list(_WORD.finditer(sentence))
    folded = [_fold_word(w.group(0)) for w in words]
    starts = []
    i = 0
    while i < len(words):
        opener = _phrase_at(folded, i, _OPENER_INDEX)
        if i and (
            opener is not None
            or (
                "," in sentence[words[i - 1].end() : words[i].start()]
                and _phrase_at(folded, i, _JOINER_INDEX) is not None
            )
        ):
            starts.append(words[i].start())
        i += len(opener) if opener else 1  # "cho tôi hỏi thêm" is cut once, before "cho"
    pieces = (piece.strip(" \t\n,.;:-–—…") for piece in _cut_at(sentence, starts))
    return [piece for piece in pieces if _WORD.search(piece)]


def sentences(text: str) -> list[str]:
    """The sentences and clauses of ``text`` (rules 1 and 2)."""
    return [clause for sentence in _SENTENCE_END.split(text) for clause in _clauses(sentence)]


def is_question(piece: str) -> bool:
    """Rule 3: the piece asks something."""
    words = [_fold_word(word) for word in _WORD.findall(piece)]
    if not words:
        return False
    if piece.rstrip().endswith("?") or _phrase_at(words, 0, _OPENER_INDEX) is not None:
        return True
    if any(q in f" {' '.join(words)} " for q in QUESTION_WORDS):
        return True
    while len(words) > 1 and words[-1] in POLITE_ENDS:
        words.pop()
    if words[-1] == "gi" and NEGATIONS.intersection(words[:-1]):
        return False
    return words[-1] in QUESTION_ENDS


def _tail(piece: str) -> str:
    """The last ``MAX_CHARS`` of ``piece``, from a word's start."""
    if len(piece) <= MAX_CHARS:
        return piece
    cut = len(piece) - MAX_CHARS
    space = piece.find(" ", cut)
    return piece[space + 1 :] if space != -1 else piece[cut:]


def questions(text: str, limit: int = MAX_QUESTIONS) -> list[str]:
    """The last ``limit`` questions of ``text`` (rules 1 to 4), in their order. Read from the
    end, and no further than needed: the cost of a long story stays that of its tail."""
    asked: list[str] = []
    for sentence in reversed(_SENTENCE_END.split(text)):
        for piece in reversed(_clauses(sentence)):
            if len(asked) >= limit:
                return asked[::-1]
            if len(_WORD.findall(piece)) >= MIN_WORDS and is_question(piece):
                asked.append(_tail(piece))
    return asked[::-1]

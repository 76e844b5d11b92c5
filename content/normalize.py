"""Text normalisation for matching citizens' questions.

Citizens type on cheap phones, mostly without diacritics, with typos, abbreviations and
regional words. Everything the matcher compares goes through :class:`Normalizer`:

1. Unicode NFC, lowercase.
2. Tokenise: letters, digits and ``&`` (for "tk&vv"); every other character separates;
   letters and digits are split apart ("2tr" -> "2 tr"); "%" reads "phần trăm" and a "k"
   right after a number reads "nghìn" ("500k").
3. Replace words that are only unambiguous WITH their diacritics ("vậy" -> dropped, "mần" ->
   "lam"); these rules come from data and are applied greedily, longest key first.
4. Strip diacritics (đ -> d).
5. Expand abbreviations and regional words written without diacritics ("nhcsxh", "ko",
   "bi nhiu"), again from data, greedily, longest key first.

The result is a list of plain ASCII-ish tokens; ``" ".join(tokens)`` is the normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

__all__ = [
    "Normalizer",
    "basic_tokens",
    "fold",
    "mark_key",
    "strip_diacritics",
]

_SEPARATOR = re.compile(r"[^\w&]+|_")
_PIECES = re.compile(r"\d+|[^\W\d_]+|&+")
_D_MAP = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})


def strip_diacritics(text: str) -> str:
    """'Ngân hàng Chính sách' -> 'Ngan hang Chinh sach'; 'đ' -> 'd'. Case is kept."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept)


# a word is stripped once: a 2,000-character message holds ~450 words, mostly repeated ones
_strip_word = lru_cache(maxsize=50_000)(strip_diacritics)


# the five tone marks (huyền, sắc, ngã, hỏi, nặng); the other combining marks (circumflex,
# breve, horn) make a different vowel and stay in the word
_TONES = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}


@lru_cache(maxsize=50_000)
def mark_key(word: str) -> str:
    """A lowercase word with its diacritics, its tone moved to the end: 'hoà' and 'hòa' ->
    'hoa2', 'thuý' and 'thúy' -> 'thuy1', 'lãi' -> 'lai4', 'đô' -> 'đô'. Words written with
    the old and the new tone placement compare equal; different words that fold alike
    ('tối' 'tôi1' / 'tôi' 'tôi', 'sập' 'sâp5' / 'sắp' 'săp1') do not. A word without any
    diacritic is its own key."""
    tone = ""
    base: list[str] = []
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONES:
            tone = _TONES[ch]
        else:
            base.append(ch)
    return unicodedata.normalize("NFC", "".join(base)) + tone


def basic_tokens(text: str) -> list[str]:
    """NFC, lowercase and split into word/number tokens; diacritics are kept."""
    text = unicodedata.normalize("NFC", text).lower()
    tokens: list[str] = []
    for chunk in _SEPARATOR.split(text):
        if chunk:
            tokens.extend(_PIECES.findall(chunk))
    return tokens


def fold(text: str) -> str:
    """Lowercase, no diacritics, no punctuation, single spaces: 'Hộ nghèo?' -> 'ho ngheo'.

    An '&' stays as a token of its own ('tk&vv' -> 'tk & vv') so abbreviation keys can use it.
    """
    return " ".join(strip_diacritics(t) for t in basic_tokens(text))


class _Rewriter:
    """Greedy longest-first replacement of token sequences."""

    def __init__(self, rules: Mapping[tuple[str, ...], tuple[str, ...]]) -> None:
        self._rules = dict(rules)
        self._longest = max((len(k) for k in self._rules), default=0)
        self._firsts = {k[0] for k in self._rules}

    def __call__(
        self, tokens: list[str], marks: list[str | None]
    ) -> tuple[list[str], list[str | None]]:
        """The rewritten tokens, and beside each the mark of the word it came from
        (``marks`` is parallel to ``tokens``); a word a rule wrote has no mark (None)."""
        if not self._rules:
            return tokens, marks
        out: list[str] = []
        out_marks: list[str | None] = []
        i, n = 0, len(tokens)
        while i < n:
            if tokens[i] in self._firsts:
                for size in range(min(self._longest, n - i), 0, -1):
                    repl = self._rules.get(tuple(tokens[i : i + size]))
                    if repl is not None:
                        out.extend(repl)
                        out_marks.extend([None] * len(repl))
                        i += size
                        break
                else:
                    out.append(tokens[i])
                    out_marks.append(marks[i])
                    i += 1
            else:
                out.append(tokens[i])
                out_marks.append(marks[i])
                i += 1
        return out, out_marks


class Normalizer:
    """Turns free text into matching tokens.

    ``accented`` maps words written WITH diacritics (matched exactly, before stripping) to a
    replacement; ``expansions`` maps abbreviations and regional words (matched after stripping,
    so keys may be written with or without diacritics). Keys and values may be several words;
    an empty value drops the key.
    """

    def __init__(
        self,
        accented: Mapping[str, str] | None = None,
        expansions: Mapping[str, str] | None = None,
    ) -> None:
        self._accented = _Rewriter(
            {tuple(basic_tokens(k)): tuple(basic_tokens(v)) for k, v in (accented or {}).items()}
        )
        self._expand = _Rewriter(
            {tuple(fold(k).split()): tuple(fold(v).split()) for k, v in (expansions or {}).items()}
        )

    def tokens(self, text: str, *, accented: bool = True) -> list[str]:
        """Matching tokens of ``text``; ``accented=False`` skips the diacritics-only rules
        (used for cue phrases, which must match the question with or without diacritics)."""
        return self.marked_tokens(text, accented=accented)[0]

    def marked_tokens(
        self, text: str, *, accented: bool = True
    ) -> tuple[list[str], list[str | None]]:
        """:meth:`tokens`, and beside each token the :func:`mark_key` of the word of ``text``
        it came from, diacritics and all; None for a word that a rule of this normaliser wrote
        (an abbreviation's expansion, a regional word's replacement)."""
        toks = basic_tokens(text.replace("%", " phần trăm "))
        # "500k" is five hundred thousand, not "500 không"
        toks = [
            "nghìn" if t == "k" and i and toks[i - 1].isdigit() else t for i, t in enumerate(toks)
        ]
        marks: list[str | None] = [mark_key(t) for t in toks]
        if accented:
            toks, marks = self._accented(toks, marks)
        toks = [_strip_word(t) for t in toks]
        toks, marks = self._expand(toks, marks)
        # '&' only served to recognise "tk&vv"-like abbreviations
        kept = [i for i, t in enumerate(toks) if t[0] != "&"]
        return [toks[i] for i in kept], [marks[i] for i in kept]

    def __call__(self, text: str, *, accented: bool = True) -> str:
        return " ".join(self.tokens(text, accented=accented))

    def many(self, texts: Iterable[str]) -> list[str]:
        return [self(t) for t in texts]

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

    def __call__(self, tokens: list[str]) -> list[str]:
        if not self._rules:
            return tokens
        out: list[str] = []
        i, n = 0, len(tokens)
        while i < n:
            if tokens[i] in self._firsts:
                for size in range(min(self._longest, n - i), 0, -1):
                    repl = self._rules.get(tuple(tokens[i : i + size]))
                    if repl is not None:
                        out.extend(repl)
                        i += size
                        break
                else:
                    out.append(tokens[i])
                    i += 1
            else:
                out.append(tokens[i])
                i += 1
        return out


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
        toks = basic_tokens(text.replace("%", " phần trăm "))
        # "500k" is five hundred thousand, not "500 không"
        toks = [
            "nghìn" if t == "k" and i and toks[i - 1].isdigit() else t for i, t in enumerate(toks)
        ]
        if accented:
            toks = self._accented(toks)
        toks = [_strip_word(t) for t in toks]
        toks = self._expand(toks)
        # '&' only served to recognise "tk&vv"-like abbreviations
        return [t for t in toks if t[0] != "&"]

    def __call__(self, text: str, *, accented: bool = True) -> str:
        return " ".join(self.tokens(text, accented=accented))

    def many(self, texts: Iterable[str]) -> list[str]:
        return [self(t) for t in texts]

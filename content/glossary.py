"""The plain-words glossary (glossary.yaml) and the check that no citizen-facing text uses a
term of it without saying what it means.

The rule: where a text first uses a term, one of the term's plain phrases is in that
paragraph or the next one (a title is followed by what it means): "tổ vay vốn ở thôn (Tổ
TK&VV)". Later paragraphs of the same text may use the term alone. A text is one field in
one language, the unit the bot shows in one message. An entry marked ``required: false`` is
explained where the bot defines it and is not checked.
"""

from __future__ import annotations

import html
import re
from functools import cached_property

from pydantic import Field

from content.models import LANGUAGES, LText, Strict


class GlossarySide(Strict):
    """One language of a glossary entry."""

    terms: list[str] = Field(min_length=1)
    plain: list[str] = Field(min_length=1)
    explain: str = Field(min_length=10)


class GlossaryEntry(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    required: bool = True  # false: explained where the bot defines it, fine alone elsewhere
    vi: GlossarySide
    en: GlossarySide

    def side(self, lang: str) -> GlossarySide:
        return self.en if lang == "en" else self.vi


class Glossary(Strict):
    glossary: list[GlossaryEntry] = Field(min_length=1)

    @cached_property
    def _patterns(self) -> dict[tuple[str, str], list[re.Pattern[str]]]:
        # A term is whole words ("PGD" is not found inside "PGDX"), matched on the text
        # without markup, case-insensitively.
        return {
            (entry.id, lang): [
                re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
                for term in entry.side(lang).terms
            ]
            for entry in self.glossary
            for lang in LANGUAGES
        }

    def unexplained(self, text: str, lang: str) -> tuple[GlossaryEntry, str] | None:
        """The first entry (and the term as written) that ``text`` uses without its plain
        words in the paragraph of its first use; None when every term is explained."""
        paragraphs = [_plain(p) for p in text.split("\n\n")]
        for entry in self.glossary:
            if not entry.required:
                continue
            side = entry.side(lang)
            plain = [p.casefold() for p in side.plain]
            for pattern in self._patterns[(entry.id, lang)]:
                first = next(
                    ((i, m) for i, p in enumerate(paragraphs) if (m := pattern.search(p))),
                    None,
                )
                if first is None:
                    continue
                index, match = first
                around = " ".join(paragraphs[index : index + 2]).casefold()
                if not any(words in around for words in plain):
                    return entry, match.group(0)
        return None

    def problem(self, texts: list[tuple[str, LText]]) -> str | None:
        """'where.lang: ...' for the first text with an unexplained term, or None."""
        for where, text in texts:
            for lang in LANGUAGES:
                found = self.unexplained(text.get(lang), lang)
                if found is not None:
                    entry, term = found
                    side = entry.side(lang)
                    return (
                        f"{where}.{lang}: {term!r} is not explained where it is first used; "
                        f"say it in plain words ({' / '.join(side.plain)}) in the same "
                        f"paragraph. It means: {side.explain}"
                    )
        return None


def _plain(paragraph: str) -> str:
    """A paragraph as a person reads it: without tags, with &amp; as &."""
    return html.unescape(re.sub(r"<[^>]+>", "", paragraph))

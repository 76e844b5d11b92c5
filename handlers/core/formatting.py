"""Small formatters shared by the dialogs: numbers, dates, legal-basis footers."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from content.loader import Content
from content.models import LegalRef


def safe_text(content: Content, key: str, lang: str, **values: Any) -> str:
    """The message ``key`` with its values HTML-escaped: users, officials' files and the
    database hold them, and the texts are HTML. The one way to fill a message."""
    safe = {k: html.escape(str(v), quote=False) for k, v in values.items()}
    return content.text(key, lang, **safe)


def percent(value: float, lang: str) -> str:
    """6.24 -> '6,24' in Vietnamese, '6.24' in English; no trailing zeros."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "vi" else text


def day(value: dt.date, lang: str) -> str:
    return value.strftime("%d/%m/%Y") if lang == "vi" else value.strftime("%d %b %Y")


def legal_refs(refs: list[LegalRef], lang: str) -> str:
    """The documents on one line: Vietnamese citations, or in English their English
    descriptions (each keeps its document number)."""
    return "; ".join(ref.get(lang) for ref in refs)


def legal_list(refs: list[LegalRef], lang: str) -> str:
    """The documents one per line, for the legal-basis message a button opens."""
    return "\n".join(f"• {ref.get(lang)}" for ref in refs)


def short_title(title: str) -> str:
    """A topic title fit for a button: without the '(...)' remarks."""
    return re.sub(r"\s*\([^)]*\)\s*", " ", title).strip()

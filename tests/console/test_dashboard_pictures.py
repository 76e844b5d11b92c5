"""A dashboard chart is drawn once per figure and language, and anew for a new figure."""

from __future__ import annotations

from typing import Any

import pytest

from bot.console import dashboard


def test_a_picture_is_drawn_once_per_figure_and_language(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[tuple[int, str]] = []

    def draw(figure: Any, lang: str) -> bytes:
        drawn.append((id(figure), lang))
        return f"<svg>{lang}</svg>".encode()

    monkeypatch.setattr(dashboard.charts, "svg", draw)
    pictures = dashboard.PictureCache(size=2)
    first, second = object(), object()
    assert pictures.svg(first, "vi") == b"<svg>vi</svg>"  # type: ignore[arg-type]
    assert pictures.svg(first, "vi") == b"<svg>vi</svg>"  # type: ignore[arg-type]
    assert len(drawn) == 1
    pictures.svg(first, "en")  # type: ignore[arg-type]
    pictures.svg(second, "vi")  # type: ignore[arg-type]
    assert len(drawn) == 3
    pictures.svg(first, "vi")  # type: ignore[arg-type]  # pushed out: two kept at most
    assert len(drawn) == 4

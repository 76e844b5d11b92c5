"""`vbsp-bot chat`: choices are made by typing their number, so the terminal says so."""

from __future__ import annotations

import io

from bot import terminal
from bot.terminal import chat
from handlers.core.dispatch import Deps


async def talk(deps: Deps, typed: str) -> str:
    out = io.StringIO()
    await chat(deps, "local", io.StringIO(typed), out, interactive=False)
    return out.getvalue()


def test_tap_becomes_choose():
    as_typed = terminal.as_typed
    assert as_typed("Hãy bấm một nút bên dưới.") == "Hãy chọn một nút bên dưới."
    assert as_typed("Bấm «Xong» để tiếp tục.") == "Chọn «Xong» để tiếp tục."
    assert as_typed("Tap a button below. Please press one.") == (
        "Choose a button below. Please choose one."
    )
    assert as_typed("tapping pressed") == "tapping pressed"


async def test_the_language_prompt_says_to_type_a_number_not_to_tap(deps: Deps):
    out = await talk(deps, "1\n")
    prompt = out.split("[1] Tiếng Việt")[0]
    assert "bấm" not in prompt.split("\n\n", 1)[1] and "Tap" not in prompt.split("\n\n", 1)[1]
    assert "👉 Gõ số của lựa chọn (1–2) rồi Enter." in out
    assert "👉 Type the number of a choice (1–2) and Enter." in out
    # Once Vietnamese is chosen, the hint is in Vietnamese only.
    after = out.split("[2] English", 1)[1].split("Type the number of a choice (1–2)", 1)[1]
    assert "👉 Gõ số của lựa chọn" in after and "Type the number" not in after


async def test_a_start_typed_first_does_not_show_the_prompt_twice(deps: Deps):
    out = await talk(deps, "/start\n1\n")
    assert out.count("[1] Tiếng Việt") == 1
    assert "Bot lưu gì về bạn?" in out  # "1" still chose the language


async def test_a_later_start_still_restarts(deps: Deps):
    out = await talk(deps, "1\n1\n/start\n")
    assert out.count("Bạn cần gì?") == 2  # after consent, and again for /start

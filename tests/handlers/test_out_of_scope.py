"""An out-of-scope message gets the kind "not something I can answer" reply and the menu,
never a program's card (issue 11); a question about the bank's own loans still gets its
answer. The messages were written for these tests (topics.yaml rule 5)."""

from __future__ import annotations

import pytest

from handlers.core.actions import ShowMenu
from tests.conftest import Chat
from tests.content.test_scope import IN_SCOPE, OUT_OF_SCOPE

KIND = {
    "vi": "nằm ngoài việc vay vốn chính sách",
    "en": "outside social-policy loans",
}


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("text", OUT_OF_SCOPE[1:3])
async def test_an_out_of_scope_story_gets_the_kind_reply_and_the_menu(
    chat: Chat, lang: str, text: str
) -> None:
    await chat.onboard(lang)
    await chat.send(text)
    assert KIND[lang] in chat.text
    assert chat.find(ShowMenu().pack())  # the way back to the menu
    # no program card: the reply is the one short fallback message
    assert len(chat.replies) == 1 and len(chat.text) < 400


async def test_a_question_about_the_banks_own_loans_is_still_answered(chat: Chat) -> None:
    await chat.onboard()
    text, _ = IN_SCOPE[0]  # a poor household asking for a loan to raise a cow
    await chat.send(text)
    assert KIND["vi"] not in chat.text
    assert "hộ nghèo" in chat.text.lower()

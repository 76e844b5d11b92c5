"""Replies that fit a phone: a program card is one short message (who can borrow, how much,
the rate, the first step) with the rest one tap away; the legal basis is never more than one
tap away, and in English it is English with the document numbers kept."""

from __future__ import annotations

import html
import re

import pytest

from content.loader import Content
from content.models import DOC_NUMBER_RE, LegalRef
from handlers.core import routes
from handlers.core.formatting import day, legal_refs
from handlers.core.types import Incoming
from handlers.loans.programs import PARTS
from handlers.questions.answers import ONE_SCREEN_CHARS
from tests.conftest import Chat

# The first message of a card or of a program's answer: one screen of a cheap phone.
MAX_FIRST_CHARS = 600
MAX_FIRST_LINES = 8
LANGS = ("vi", "en")
# A Vietnamese legal word left in an English reply (document numbers are taken out first).
VIETNAMESE_LEGAL = re.compile(
    r"Nghị định|Quyết định|Thông tư|Nghị quyết|Bộ luật|Luật|Chỉ thị|Văn bản|Thủ tục|ngày \d"
)


def shown(ref: LegalRef, lang: str) -> str:
    return html.escape(ref.get(lang), quote=False)


def assert_english_legal(text: str) -> None:
    left = VIETNAMESE_LEGAL.search(DOC_NUMBER_RE.sub("", text))
    assert left is None, f"{left.group(0)!r} in an English reply: {text}"


def actions(chat: Chat) -> list[str]:
    return [b.action for b in chat.buttons]


async def tap(chat: Chat, action: str) -> None:
    """Press a button by its action, as a user does on a message still on their screen."""
    await chat._handle(Incoming(chat.channel, chat.user_id, action=action))


@pytest.mark.parametrize("lang", LANGS)
async def test_every_card_opens_with_one_short_message(chat: Chat, content: Content, lang: str):
    await chat.onboard(lang)
    for pid, program in content.programs.items():
        await tap(chat, f"prog:{pid}")
        assert len(chat.replies) == 1, pid
        first = chat.replies[0].text
        assert len(first) <= MAX_FIRST_CHARS, (pid, len(first))
        assert len(first.split("\n")) <= MAX_FIRST_LINES, (pid, first)
        assert program.name.get(lang) in first
        assert program.summary.who.get(lang) in first
        assert program.summary.amount.get(lang) in first
        assert program.summary.next_step.get(lang) in first
        for code in PARTS:
            assert f"pp:{pid}:{code}" in actions(chat), (pid, code)
        assert "menu" in actions(chat) and "progs" in actions(chat)


async def test_the_card_keeps_its_rate_and_names_the_parts(chat: Chat):
    await chat.onboard()
    await tap(chat, "prog:poor")
    assert "<b>6,24%/năm</b> (0,52%/tháng)" in chat.text
    for label in ("Hồ sơ cần gì", "Các bước", "Căn cứ pháp lý", "Điều kiện vay"):
        assert chat.find(label)
    await tap(chat, "prog:jobs")  # several rates: the summary's own line says them
    assert "7,9248%/năm" in chat.text and "6,24%/năm" in chat.text


@pytest.mark.parametrize("lang", LANGS)
async def test_each_button_shows_its_part_with_a_way_back(chat: Chat, content: Content, lang: str):
    await chat.onboard(lang)
    for pid, program in content.programs.items():
        expected = {
            "c": [program.who.get(lang)]
            + ([program.conditions.get(lang)] if program.conditions else []),
            "r": [program.term.get(lang), program.collateral.get(lang)],
            "d": [program.documents.get(lang)],
            "s": [program.how_to_apply.get(lang)],
            "l": [shown(ref, lang) for ref in program.legal_basis]
            + [day(program.checked_on, lang)],
        }
        for code, parts in expected.items():
            await tap(chat, f"prog:{pid}")
            await tap(chat, f"pp:{pid}:{code}")
            assert len(chat.replies) == 1
            for part in parts:
                assert part in chat.text, (pid, code, part)
            assert f"prog:{pid}" in actions(chat) and "menu" in actions(chat)
            others = {a for a in actions(chat) if a.startswith(f"pp:{pid}:")}
            assert f"pp:{pid}:{code}" not in others and len(others) == len(PARTS) - 1
        await tap(chat, f"prog:{pid}")  # the way back is the card itself
        assert program.summary.who.get(lang) in chat.text


async def test_a_part_is_its_own_short_message(chat: Chat, content: Content):
    # Not a wall of text either: documents and steps each fit about two screens.
    await chat.onboard()
    for pid in content.programs:
        for code in "ds":
            await tap(chat, f"prog:{pid}")
            await tap(chat, f"pp:{pid}:{code}")
            assert len(chat.text) <= 2 * MAX_FIRST_CHARS, (pid, code, len(chat.text))


async def test_english_cards_cite_english_descriptions_with_the_numbers(
    chat: Chat, content: Content
):
    await chat.onboard("en")
    for pid, program in content.programs.items():
        for code in PARTS:
            await tap(chat, f"prog:{pid}")
            assert_english_legal(chat.text)
            await tap(chat, f"pp:{pid}:{code}")
            assert_english_legal(chat.text)
        for ref in program.legal_basis:
            assert ref.en in chat.text  # the legal part was pressed last
            for number in DOC_NUMBER_RE.findall(ref.ref):
                assert number in chat.text, (pid, number)
        assert "Checked on" in chat.text or "checked on" in chat.text


def answers_with_legal_basis(content: Content) -> list[str]:
    return [topic for topic, answer in content.answers.items() if answer.legal_basis]


@pytest.mark.parametrize("lang", LANGS)
async def test_every_answer_has_its_legal_basis_at_most_one_tap_away(
    chat: Chat, content: Content, lang: str
):
    await chat.onboard(lang)
    topics = answers_with_legal_basis(content)
    assert len(topics) > 20
    for topic in topics:
        answer = content.answers[topic]
        refs = [shown(ref, lang) for ref in answer.legal_basis]
        await tap(chat, f"topic:{topic}")
        if lang == "en":
            assert_english_legal(chat.text)
        inline = all(ref in chat.text for ref in refs)
        if not inline:
            await tap(chat, f"tl:{topic}")
            assert len(chat.replies) == 1
            for ref in refs:
                assert ref in chat.text, (topic, ref)
            assert day(answer.checked_on, lang) in chat.text
            assert f"topic:{topic}" in actions(chat) and "menu" in actions(chat)
            if lang == "en":
                assert_english_legal(chat.text)


async def test_the_legal_basis_goes_behind_a_button_by_one_rule(chat: Chat, content: Content):
    """Inline only for an answer of no program whose text and footer fit one screen."""
    await chat.onboard()
    behind = 0
    for topic in answers_with_legal_basis(content):
        answer = content.answers[topic]
        await tap(chat, f"topic:{topic}")
        has_button = f"tl:{topic}" in actions(chat)
        footer = chat.replies[-1].text
        if answer.program is not None:
            assert has_button, topic
        else:
            basis = content.text("answer.basis", "vi", basis=legal_refs(answer.legal_basis, "vi"))
            checked = content.text("answer.checked", "vi", date=day(answer.checked_on, "vi"))
            whole = len(answer.text.vi) + len(basis) + len(checked)
            assert has_button != (whole <= ONE_SCREEN_CHARS), (topic, whole)
        assert has_button != ("Căn cứ:" in footer), topic
        behind += has_button
    assert behind >= 11  # at least every program's answer


@pytest.mark.parametrize("lang", LANGS)
async def test_a_programs_answer_is_short_and_offers_its_parts(
    chat: Chat, content: Content, lang: str
):
    await chat.onboard(lang)
    for topic, answer in content.answers.items():
        if answer.program is None:
            continue
        await tap(chat, f"topic:{topic}")
        first = chat.replies[0].text
        assert len(first) <= MAX_FIRST_CHARS and len(first.split("\n")) <= MAX_FIRST_LINES, topic
        for action in (f"pp:{answer.program}:d", f"pp:{answer.program}:s", f"tl:{topic}"):
            assert action in actions(chat), (topic, action)
        assert f"prog:{answer.program}" in actions(chat)
        await tap(chat, f"pp:{answer.program}:d")
        assert content.programs[answer.program].documents.get(lang) in chat.text


async def test_free_text_about_a_program_gets_the_short_answer_and_its_buttons(chat: Chat):
    await chat.onboard()
    await chat.send("vay vốn hộ nghèo")
    assert len(chat.replies[0].text) <= MAX_FIRST_CHARS
    await chat.press("Hồ sơ cần gì")
    assert "Giấy đề nghị vay vốn" in chat.text
    await tap(chat, "prog:poor")
    await chat.press("Căn cứ pháp lý")
    assert "Nghị định 78/2002/NĐ-CP" in chat.text


@pytest.mark.parametrize(
    "action",
    ["pp:nosuch:d", "pp:poor:z", "pp:poor", "pp:poor:d:x", "pp", "tl:nosuch", "tl", "tl:contact"],
)
async def test_a_bad_part_or_legal_button_gets_the_stale_reply(
    chat: Chat, content: Content, action: str
):
    # tl:contact: the contact answer cites no document, so there is nothing to show.
    assert not content.answers["contact"].legal_basis
    await chat.onboard()
    await tap(chat, action)
    assert chat.text == content.text("error.stale_button", "vi")
    assert actions(chat) == ["menu"]


def test_new_actions_are_short_and_open_to_everyone(content: Content):
    longest_program = max(content.programs, key=len)
    longest_topic = max(content.answers, key=len)
    for action in (f"pp:{'x' * 24}:l", f"pp:{longest_program}:l", f"tl:{longest_topic}"):
        assert len(action.encode()) <= 64, action
    for name in ("pp", "tl"):
        assert routes.known_action(name) and routes.action_role(name) is None

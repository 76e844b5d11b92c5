"""The loans and questions buttons as typed actions: today's bytes in, the same bytes out.

The codes below were recorded from the buttons the bot sent before the buttons became typed
classes (a crawl of every program, calculator and eligibility path, in both languages):
buttons already sitting in people's chats must keep working, byte for byte.
"""

from __future__ import annotations

from typing import get_args

import pytest

from content.loader import Content
from handlers.core import routes
from handlers.core.actions import Action, ActionError
from handlers.core.dispatch import handle
from handlers.core.types import MAX_ACTION_BYTES, Incoming
from handlers.loans import calculator, programs
from handlers.loans.actions import (
    Calculate,
    CancelCalculation,
    CheckEligibility,
    EstimatePart,
    ListPrograms,
    ProgramPart,
    ShowEstimatePart,
    ShowProgram,
    ShowProgramPart,
)
from handlers.questions.actions import ShowBlackCredit, ShowTopic, ShowTopicLegal
from tests.conftest import Chat

RECORDED: dict[type[Action], tuple[str, ...]] = {
    ListPrograms: ("progs",),
    ShowProgram: ("prog:poor", "prog:social_housing", "prog:ethnic_minority"),
    ShowProgramPart: ("pp:poor:d", "pp:poor:s", "pp:escaped_poverty:c", "pp:labor_abroad:r",
                      "pp:student:l"),
    Calculate: (
        "calc",
        "calc:poor",
        "calc:jobs",
        "calc:jobs:worker",
        "calc:poor:30000000",
        "calc:poor:50000000:36",
        "calc:ethnic_minority:housing",
        "calc:ethnic_minority:30000000",
        "calc:jobs:business:30000000",
        "calc:ethnic_minority:housing:30000000:36",
        "calc:social_housing:home:50000000:36",
    ),
    CancelCalculation: ("calc_cancel",),
    ShowEstimatePart: (
        "cp:poor::50000000:36:t",
        "cp:poor::50000000:36:l",
        "cp:near_poor::30000000:36:t",
        "cp:jobs:worker:50000000:36:t",
        "cp:ethnic_minority:housing:30000000:36:l",
        "cp:social_housing:home:30000000:36:t",
    ),
    CheckEligibility: (
        "el",
        "el:sp",
        "el:s-",
        "el:s-p-t-",
        "el:snphtyan",
        "el:sopbtnamrn",
        "el:s-pjtnaurn",
        "el:s-psry:l",
        "el:s-p-t-a-ry:l",
        "el:sep-tya-rn:l",
        "el:sapbtnaur-:l",
    ),
    ShowTopic: ("topic:blackcredit.apps", "topic:loan.term", "topic:program.poor"),
    ShowTopicLegal: ("tl:blackcredit.signs", "tl:loan.interest", "tl:program.poor"),
    ShowBlackCredit: ("blackcredit",),
}  # fmt: skip
EVERY_RECORDED = [(cls, code) for cls, codes in RECORDED.items() for code in codes]

# Bytes the bot never wrote: each is no button of ours (dispatch's one "out of date" reply).
FORGED = (
    "progs:x", "prog", "prog:", "prog:POOR", "prog:poor:x", "pp:poor", "pp:poor:x",
    "pp:poor:d:x", "pp::d", "calc:", "calc:poor:", "calc:poor::50000000", "calc:poor:050000000",
    "calc:poor:+5", "calc:poor:5_000", "calc:poor:50000000:x", "calc:poor:50000000:36:9",
    "calc:poor:1234567890123456", "calc:poor:x:y", "calc_cancel:x", "cp", "cp:poor::50000000:36",
    "cp:poor::050000000:36:t", "cp:poor::50000000:36:x", "cp:poor::50000000:36:t:x",
    "cp:poor::50000000:1000:t", "cp:poor::12345678901234:36:t", "cp:poor:9x:50000000:36:t",
    "el:sp:x", "el:sp:l:x", "el:SP", "el:s:p", "topic", "topic:", "topic:loan.term:x",
    "topic:Loan", "tl", "tl:loan.term:x", "blackcredit:x",
)  # fmt: skip


@pytest.mark.parametrize(("cls", "code"), EVERY_RECORDED)
def test_recorded_codes_unpack_and_pack_to_the_same_bytes(cls: type[Action], code: str):
    action = Action.parse(code)
    assert type(action) is cls
    assert action.pack() == code
    assert cls.unpack(code) == action


@pytest.mark.parametrize("code", FORGED)
def test_forged_codes_are_no_action(code: str):
    with pytest.raises(ActionError):
        Action.parse(code)


def test_fields_say_what_the_bytes_carry():
    part = Action.parse("cp:ethnic_minority:housing:30000000:36:l")
    assert part == ShowEstimatePart(
        program="ethnic_minority", line="housing", amount=30_000_000, months=36, part="l"
    )
    assert ShowEstimatePart(program="poor", amount=50_000_000, months=36, part="t").pack() == (
        "cp:poor::50000000:36:t"
    )
    # A line id begins with a letter, so the figures after a program of one line are not
    # taken for one, and no "::" is written for the missing line.
    assert Action.parse("calc:poor:50000000:36") == Calculate(
        program="poor", amount=50_000_000, months=36
    )
    assert Action.parse("calc:jobs:worker") == Calculate(program="jobs", line="worker")
    assert Calculate(program="poor", line="", amount=30_000_000).pack() == "calc:poor:30000000"
    assert Action.parse("el:sppb:l") == CheckEligibility(answers="sppb", part="l")
    assert CheckEligibility().pack() == "el"
    assert ShowProgramPart(program="poor", part="d").pack() == "pp:poor:d"


def test_a_calculation_is_written_in_order():
    for bad in ({"line": "worker"}, {"amount": 5}, {"program": "poor", "months": 36}):
        with pytest.raises(ValueError):
            Calculate(**bad)


def test_the_longest_buttons_fit_telegram(content: Content):
    program, line = "x" * 24, "y" * 16
    amount = int("9" * calculator.MAX_AMOUNT_DIGITS)
    longest = [
        ShowProgram(program=program),
        ShowProgramPart(program=program, part="l"),
        ShowEstimatePart(program=program, line=line, amount=amount, months=480, part="t"),
        Calculate(program=program, line=line, amount=amount, months=480),
        CheckEligibility(answers="a1" * 8, part="l"),  # eligibility.yaml: 8 questions at most
        ShowTopic(topic=max(content.answers, key=len)),
        ShowTopicLegal(topic=max(content.answers, key=len)),
    ]
    for action in longest:
        assert len(action.pack().encode()) <= MAX_ACTION_BYTES, action
    assert len(longest[2].pack().encode()) == MAX_ACTION_BYTES  # the part of a result: exactly
    with pytest.raises(ValueError):  # one more character, and pack refuses
        ShowEstimatePart(program=program, line=line + "y", amount=amount, months=480, part="t")


def test_every_id_and_code_of_the_content_packs(content: Content):
    """The fields are typed as content/models.py defines ids and codes: each one fits."""
    everything = [*content.programs.values()] + [
        p for local in content.local.values() for p in local.programs
    ]
    for program in everything:
        assert Action.parse(ShowProgram(program=program.id).pack()).program == program.id
        for line in program.calculator:
            Calculate(program=program.id, line=line.id).pack()
    for topic in content.answers:
        assert ShowTopic.unpack(ShowTopic(topic=topic).pack()).topic == topic
    spec = content.eligibility
    assert spec is not None
    pairs = "".join(q.code + a.code for q in spec.questions for a in q.answers[:1])
    assert CheckEligibility.unpack(f"el:{pairs}:l").answers == pairs
    for rule in spec.rules:
        ShowProgramPart(program=rule.program, part="d")


def test_the_parts_are_the_cards_parts():
    assert set(get_args(ProgramPart)) == set(programs.PARTS)
    assert set(get_args(EstimatePart)) == set(calculator.PARTS)


def test_every_button_is_routed_and_open_to_everyone():
    for cls in RECORDED:
        assert cls in routes.ACTIONS and cls.role is None and not cls.steps
        assert routes.known_action(cls.prefix)


async def test_every_recorded_code_still_works(chat: Chat, content: Content):
    """Pressed as it sits in an old message, each recorded button gets its page, not the
    "out of date" reply."""
    await chat.onboard()
    stale = content.text("error.stale_button", "vi")
    for _, code in EVERY_RECORDED:
        replies = await handle(Incoming("test", chat.user_id, action=code), chat.deps)
        assert replies and stale not in replies[0].text, code


async def test_forged_codes_get_the_one_stale_reply(chat: Chat, content: Content):
    await chat.onboard()
    stale = content.text("error.stale_button", "vi")
    for code in FORGED:
        replies = await handle(Incoming("test", chat.user_id, action=code), chat.deps)
        assert replies[0].text == stale and replies[0].buttons[-1][0].action == "menu", code

"""The report buttons as typed actions: today's bytes (recorded before the change) unpack to
their action and pack back to the same bytes; forged bytes unpack to nothing; the report's
steps are written once and their order drives "next" and "change this answer"."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.core import routes
from handlers.core.actions import Action, ActionError
from handlers.core.dispatch import handle
from handlers.core.flows import Flow
from handlers.core.types import MAX_ACTION_BYTES, Incoming
from handlers.reports import intake
from handlers.reports.actions import (
    AnswerDanger,
    AnswerQuestion,
    ChooseAccused,
    ChooseCategory,
    ChooseContact,
    ChoosePlace,
    ChooseWhen,
    ConfirmWithdraw,
    DropReport,
    EditReport,
    EvidenceDone,
    GiveConsent,
    ReportStory,
    SendReport,
    ShowMyReport,
    StartReport,
    WithdrawReport,
)
from handlers.reports.intake_rules import EDITABLE, ORDER, Draft, Step, next_step
from tests.conftest import Chat

# Bytes the buttons carried before typed actions, as the old code built them.
RECORDED: list[tuple[str, Action]] = [
    ("rp", StartReport()),
    ("rpd:yes", AnswerDanger(choice="yes")),
    ("rpd:no", AnswerDanger(choice="no")),
    ("rpd:go", AnswerDanger(choice="go")),
    ("rpy:yes", GiveConsent(answer="yes")),
    ("rpy:no", GiveConsent(answer="no")),
    ("rpk:usury", ChooseCategory(category="usury")),
    ("rpk:collects_principal", ChooseCategory(category="collects_principal")),
    ("rpa:leader", ChooseAccused(accused="leader")),
    ("rpa:other_person", ChooseAccused(accused="other_person")),
    ("rpc:21220", ChoosePlace(choice="21220")),
    ("rpc:mine", ChoosePlace(choice="mine")),
    ("rpc:typed", ChoosePlace(choice="typed")),
    ("rpc:skip", ChoosePlace(choice="skip")),
    ("rpt:week", ChooseWhen(when="week")),
    ("rpt:skip", ChooseWhen(when="skip")),
    ("rpe:done", EvidenceDone()),
    ("rpo:yes", ChooseContact(answer="yes")),
    ("rpo:no", ChooseContact(answer="no")),
    ("rps", SendReport()),
    ("rpx", EditReport()),
    ("rpx:category", EditReport(answer=Step.CATEGORY)),
    ("rpx:evidence", EditReport(answer=Step.EVIDENCE)),
    ("rpx:back", EditReport(answer="back")),
    ("rpn", DropReport()),
    ("rpf:threats", ReportStory(category="threats")),
    ("rpf:collects_principal", ReportStory(category="collects_principal")),
    ("rv:12", ShowMyReport(report_id=12)),
    ("rw:12", WithdrawReport(report_id=12)),
    ("rwy:12", ConfirmWithdraw(report_id=12)),
    ("rq:2147483647", AnswerQuestion(report_id=2147483647)),
]


@pytest.mark.parametrize(("data", "action"), RECORDED, ids=[data for data, _ in RECORDED])
def test_todays_bytes_unpack_and_pack_back(data: str, action: Action):
    assert Action.parse(data) == action
    assert action.pack() == data
    assert type(action) in routes.ACTIONS  # and a handler takes it


def test_every_report_button_is_recorded():
    prefixes = {action.prefix for _, action in RECORDED}
    assert prefixes == {
        "rp", "rpd", "rpy", "rpk", "rpa", "rpc", "rpt", "rpe", "rpo", "rps", "rpx", "rpn",
        "rpf", "rv", "rw", "rwy", "rq",
    }  # fmt: skip


def test_the_longest_buttons_fit_telegram():
    longest = [
        ChooseCategory(category="collects_principal"),
        ReportStory(category="collects_principal"),
        ChooseAccused(accused="other_person"),
        EditReport(answer=Step.EVIDENCE),
        ChoosePlace(choice="99999"),
        *(cls(report_id=2147483647) for cls in (ShowMyReport, WithdrawReport, ConfirmWithdraw)),
        AnswerQuestion(report_id=2147483647),
    ]
    for action in longest:
        assert len(action.pack().encode()) <= MAX_ACTION_BYTES


def test_an_old_button_without_its_value_still_means_done():
    assert Action.parse("rpe") == EvidenceDone()


@pytest.mark.parametrize(
    "forged",
    [
        "rpd", "rpd:maybe", "rpy:", "rpk:bogus", "rpa:mayor", "rpc:abc", "rpc:123456",
        "rpc:٣", "rpt:yesterday", "rpx:danger", "rpx:summary", "rpx:accused", "rps:1",
        "rpn:x", "rpf:", "rpf:usury:more", "rv:", "rv:0", "rv:-1", "rv:²", "rv:٣",
        "rw:3000000000", "rwy:1e3", "rq:99999999999999999999", "rv:12:13",
    ],
)  # fmt: skip
def test_forged_bytes_are_no_action(forged: str):
    with pytest.raises(ActionError):
        Action.parse(forged)


def test_question_buttons_act_only_at_their_step():
    steps = {
        AnswerDanger: Step.DANGER,
        GiveConsent: Step.CONSENT,
        ChooseCategory: Step.CATEGORY,
        ChooseAccused: Step.ACCUSED,
        ChoosePlace: Step.PLACE,
        ChooseWhen: Step.WHEN,
        EvidenceDone: Step.EVIDENCE,
        ChooseContact: Step.CONTACT,
        SendReport: Step.SUMMARY,
        EditReport: Step.SUMMARY,
    }
    for cls, step in steps.items():
        assert (cls.flow, cls.steps) == ("report", frozenset({step})), cls
    for cls in (StartReport, DropReport, ReportStory, ShowMyReport, AnswerQuestion):
        assert not cls.steps
    assert Flow.registry["report"] is intake.FLOW


# --- the steps, written once -----------------------------------------------------------------


def test_the_steps_are_todays_and_each_is_asked_by_one_function():
    assert [s.value for s in ORDER] == [
        "danger", "consent", "category", "accused", "place", "when", "story", "evidence",
        "contact", "summary",
    ]  # fmt: skip
    assert intake.FLOW.order == ORDER and set(intake.ASK) == set(Step)
    assert [s.value for s in EDITABLE] == [
        "category",
        "place",
        "when",
        "story",
        "evidence",
        "contact",
    ]
    assert set(intake.FLOW.text) == {Step.PLACE, Step.WHEN, Step.STORY, Step.EVIDENCE}
    assert intake.FLOW.other_text is not None  # elsewhere: "use the buttons"
    assert ("report", "evidence") in routes.FILE_STEPS


def test_next_follows_the_order_and_skips_what_does_not_apply():
    black = Draft(category="usury")
    misconduct = Draft(category="fees")
    assert next_step(Step.DANGER, Draft()) == Step.CONSENT
    assert next_step(Step.CONSENT, Draft()) == Step.CATEGORY
    assert next_step(Step.CONSENT, misconduct) == Step.ACCUSED  # chosen from a story
    assert next_step(Step.CONSENT, black) == Step.PLACE
    assert next_step(Step.CATEGORY, misconduct) == Step.ACCUSED
    assert next_step(Step.CATEGORY, black) == Step.PLACE
    assert next_step(Step.ACCUSED, misconduct) == Step.PLACE
    walked = [Step.PLACE]
    while walked[-1] is not Step.SUMMARY:
        walked.append(next_step(walked[-1], black))
    assert walked == [Step.PLACE, Step.WHEN, Step.STORY, Step.EVIDENCE, Step.CONTACT, Step.SUMMARY]


def test_a_changed_answer_goes_back_to_the_summary_after_its_follow_up():
    editing = Draft(category="fees", editing=True)
    assert next_step(Step.CATEGORY, editing) == Step.ACCUSED  # who did it, asked again
    assert next_step(Step.ACCUSED, editing) == Step.SUMMARY
    assert next_step(Step.CATEGORY, Draft(category="app", editing=True)) == Step.SUMMARY
    for step in (Step.PLACE, Step.WHEN, Step.STORY, Step.EVIDENCE, Step.CONTACT):
        assert next_step(step, editing) == Step.SUMMARY


def test_a_draft_stored_before_the_change_reads_back():
    """The keys and values an older version stored in conversation_states.data."""
    stored = {
        "danger": False,
        "consent_at": "2026-11-20T03:00:00+00:00",
        "category": "fees",
        "accused": "bank",
        "commune": "21220",
        "place_text": None,
        "pending_place": None,
        "happened": ":week",
        "story": "x" * 30,
        "warned": True,
        "files": [3, 4],
        "contact": True,
        "editing": False,
        "offered_story": None,
        "told_at": None,
    }
    draft = Draft.model_validate(stored)
    assert draft.consent_at == dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC)
    assert (draft.category, draft.accused, draft.files) == ("fees", "bank", [3, 4])


# --- pressed in a conversation ---------------------------------------------------------------


async def tap(chat: Chat, data: str) -> None:
    """A press of ``data``, on screen or not (an older message's button, or forged)."""
    incoming = Incoming(chat.channel, chat.user_id, action=data)
    chat.replies = await handle(incoming, chat.deps) or []


async def test_a_forged_value_gets_the_one_stale_button_reply(chat: Chat):
    await chat.onboard()
    await chat.send("/baocao")
    await chat.press("rpd:no")
    await chat.press("rpy:yes")
    await tap(chat, "rpk:bogus")
    assert chat.text == chat.deps.content.text("error.stale_button", "vi")
    await tap(chat, "rpk:usury")  # the step is still there
    assert "Việc này xảy ra ở xã" in chat.text


async def test_a_button_of_another_step_offers_a_new_report(chat: Chat):
    await chat.onboard()
    await chat.send("/baocao")
    await tap(chat, "rpo:yes")  # a button of a later step, from an older message
    assert "rp" in [b.action for b in chat.buttons]
    await chat.press("rp")
    assert chat.find("rpd:no")

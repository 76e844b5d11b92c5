"""The schedules feature's typed buttons and rules: every button packs to the bytes it carried
before typed actions (recorded below) and unpacks back, the longest fit Telegram's 64 bytes,
forged bytes are refused, each recorded code still reaches its handler in a conversation, and
the rules of a day's change (rules.py) allow and refuse by the day's state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from handlers.core import roles
from handlers.core.actions import Action, ActionError
from handlers.core.types import MAX_ACTION_BYTES, Incoming
from handlers.schedules import actions as a
from handlers.schedules import changes, rules
from handlers.schedules.calendar import Occurrence
from handlers.schedules.csv import MAX_LENGTH, parse_schedule_csv
from handlers.schedules.flows import EDIT, EditStep
from handlers.schedules.rules import DayChange, DayState, PointField, Refusal, ValueProblem
from storage import audit, schedules
from storage.db import transaction
from tests.conftest import Chat

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
TINH_HA = "SAMPLE-21220-TINHHA"  # day 10 of each month
DAY = dt.date(2026, 12, 10)  # a coming day of Tịnh Hà at the test clock (22/11/2026)

# Codes as the buttons carried them before typed actions, and what they mean now.
RECORDED: list[tuple[str, Action]] = [
    ("lich", a.ShowSchedule()),
    ("lich:21220", a.ShowSchedule(commune="21220")),
    ("commune", a.AskCommune()),
    ("commune_set:21220", a.ChooseCommune(commune="21220")),
    ("commune_set:70", a.ChooseCommune(commune="70")),  # read as 00070, as before
    (f"sub:{TINH_HA}", a.Subscribe(point=TINH_HA)),
    (f"unsub:{TINH_HA}", a.Unsubscribe(point=TINH_HA)),
    ("lx", a.ListPoints()),
    ("lxc:21220", a.PickCommune(commune="21220")),
    (f"lxp:{TINH_HA}", a.ShowPoint(point=TINH_HA)),
    (f"lxo:{TINH_HA}:20261210", a.ShowDay(point=TINH_HA, day="20261210")),
    (f"lxm:{TINH_HA}:20261210", a.MoveDay(point=TINH_HA, day="20261210")),
    (f"lxx:{TINH_HA}:20261210", a.CancelDay(point=TINH_HA, day="20261210")),
    (f"lxr:{TINH_HA}:20261210", a.RestoreDay(point=TINH_HA, day="20261210")),
    (f"lxe:{TINH_HA}:day", a.EditPoint(point=TINH_HA, field="day")),
    (f"lxe:{TINH_HA}:hours", a.EditPoint(point=TINH_HA, field="hours")),
    (f"lxe:{TINH_HA}:addr", a.EditPoint(point=TINH_HA, field="addr")),
    ("lxh:yes", a.AnswerHoliday(answer="yes")),
    ("lxh:no", a.AnswerHoliday(answer="no")),
    ("lxok", a.ConfirmChange()),
    ("lxno", a.DropChange()),
]


@pytest.mark.parametrize(("code", "action"), RECORDED, ids=[code for code, _ in RECORDED])
def test_recorded_codes_pack_and_unpack_unchanged(code: str, action: Action):
    assert action.pack() == code
    assert Action.parse(code) == action


def test_a_day_button_is_made_from_a_date_and_gives_it_back():
    show = a.ShowDay.of(TINH_HA, DAY)
    assert show.pack() == f"lxo:{TINH_HA}:20261210" and show.regular == DAY


def test_the_longest_buttons_fit_telegram():
    longest = "P" * MAX_LENGTH["point_id"]
    for action in (
        a.ShowDay.of(longest, dt.date(2027, 12, 31)),
        a.MoveDay.of(longest, dt.date(2027, 12, 31)),
        a.CancelDay.of(longest, dt.date(2027, 12, 31)),
        a.RestoreDay.of(longest, dt.date(2027, 12, 31)),
        a.EditPoint(point=longest, field="hours"),
        a.ShowPoint(point=longest),
        a.Subscribe(point=longest),
        a.Unsubscribe(point=longest),
    ):
        assert len(action.pack().encode()) <= MAX_ACTION_BYTES
        assert Action.parse(action.pack()) == action


@pytest.mark.parametrize(
    "forged",
    [
        "lich:212200",  # not a commune code
        "commune_set:",
        "commune_set:abcde",
        "commune:21220",  # a field where there is none
        "lx:1",
        "lxok:now",
        f"sub:{'P' * 49}",  # longer than any point id
        "sub:P/1",  # not a point id
        f"lxo:{TINH_HA}",  # no day
        f"lxo:{TINH_HA}:2026-12-10",
        f"lxo:{TINH_HA}:20261310",  # no 13th month
        f"lxm:{TINH_HA}:20270230",
        f"lxe:{TINH_HA}:name",
        "lxh:maybe",
    ],
)
def test_forged_bytes_are_no_action(forged: str):
    with pytest.raises(ActionError):
        Action.parse(forged)


def test_the_edit_is_for_officials_and_the_view_for_everyone():
    for cls in Action.registry.values():
        if cls.__module__ == a.__name__:
            assert cls.role == ("official" if cls.prefix.startswith("lx") else None), cls
    assert a.AnswerHoliday.steps == {EditStep.HOLIDAY}
    assert a.ConfirmChange.steps == {EditStep.CONFIRM}
    assert a.DropChange.steps == set(EditStep)
    assert {a.AnswerHoliday.flow, a.ConfirmChange.flow, a.DropChange.flow} == {EDIT.name}


# --- each recorded code reaches its handler --------------------------------------------------


@pytest.fixture
async def seeded(deps):
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
        await roles.grant_role(session, "test", "3001", "official", "21220", "cli")
    return deps


async def tap(chat: Chat, code: str) -> str:
    await chat._handle(Incoming(chat.channel, chat.user_id, action=code))
    return chat.text


async def test_each_recorded_code_is_handled_as_before(seeded):
    chat = Chat(seeded, user_id="3001")
    await chat.onboard()
    stale = await tap(chat, "nosuch")
    assert "Nút này đã cũ" in stale
    said = {
        "lich": "Bạn ở xã, phường nào?",
        "lich:21220": "Tịnh Hà",
        "commune": "Bạn ở xã, phường nào?",
        "commune_set:21220": "Đã lưu xã của bạn: Xã Sơn Tịnh",
        f"sub:{TINH_HA}": "Đã bật nhắc lịch",
        f"unsub:{TINH_HA}": "Đã tắt nhắc lịch",
        "lx": "Sửa lịch giao dịch",
        "lxc:21220": "Sửa lịch giao dịch: Xã Sơn Tịnh",
        f"lxp:{TINH_HA}": "Ngày cố định: ngày 10",
        f"lxo:{TINH_HA}:20261210": "buổi giao dịch",
        f"lxe:{TINH_HA}:day": "Ngày cố định hiện là ngày 10",
        f"lxe:{TINH_HA}:hours": "Giờ giao dịch hiện là 07:30-11:00",
        f"lxe:{TINH_HA}:addr": "Địa chỉ hiện là",
        f"lxx:{TINH_HA}:20261210": "Lý do thay đổi",
        f"lxm:{TINH_HA}:20261210": "sang ngày nào",
    }
    for code, words in said.items():
        assert words in await tap(chat, code), code
    # a move to a holiday, kept (lxh:yes), confirmed (lxok)
    assert "Tết Dương lịch" in (await chat.send("01/01/2027"))[0].text
    assert "Lý do" in await tap(chat, "lxh:yes")
    await chat.send("Họp dân")
    assert "Đã dời buổi ngày 10/12/2026" in await tap(chat, "lxok")
    # the moved day can be restored (lxr); dropped (lxno) it stays moved
    assert "Khôi phục buổi giao dịch" in await tap(chat, f"lxr:{TINH_HA}:20261210")
    assert "Đã bỏ" in await tap(chat, "lxno")
    await tap(chat, f"lxm:{TINH_HA}:20261210")
    await chat.send("01/01/2027")
    assert "sang ngày nào" in await tap(chat, "lxh:no")


async def test_a_flow_button_out_of_turn_is_stale_and_keeps_the_step(seeded):
    chat = Chat(seeded, user_id="3001")
    await chat.onboard()
    stale = await tap(chat, "nosuch")
    for code in ("lxok", "lxno", "lxh:yes"):
        assert await tap(chat, code) == stale, code  # outside the edit
    await tap(chat, f"lxx:{TINH_HA}:20261210")
    for code in ("lxok", "lxh:no"):
        assert await tap(chat, code) == stale, code
    assert "Hủy buổi giao dịch" in (await chat.send("Họp dân"))[0].text  # still at the reason


async def test_restoring_a_regular_day_is_refused(seeded):
    chat = Chat(seeded, user_id="3001")
    await chat.onboard()
    await tap(chat, f"lxo:{TINH_HA}:20261210")
    assert "Khôi phục" not in " ".join(b.label for b in chat.buttons)
    assert "Nút này đã cũ" in await tap(chat, f"lxr:{TINH_HA}:20261210")


# --- the rules -------------------------------------------------------------------------------


def day(date: dt.date | None, cancelled: bool = False) -> Occurrence:
    return Occurrence(TINH_HA, DAY, date, cancelled=cancelled, reason="x" if date != DAY else None)


def test_what_a_day_allows_by_its_state():
    regular, moved, cancelled = day(DAY), day(DAY + dt.timedelta(days=2)), day(None, True)
    assert [rules.state_of(o) for o in (regular, moved, cancelled)] == list(DayState)
    assert rules.allowed(regular) == (DayChange.MOVE, DayChange.CANCEL)
    assert rules.allowed(moved) == rules.allowed(cancelled) == tuple(DayChange)
    assert rules.refuse(None, DayChange.CANCEL) is Refusal.PASSED
    assert rules.refuse(regular, DayChange.RESTORE) is Refusal.NOT_ALLOWED
    assert rules.refuse(cancelled, DayChange.RESTORE) is None


def test_what_a_new_date_may_be():
    today = dt.date(2026, 12, 1)
    refuse = rules.refuse_date
    assert refuse(DAY, None, today) is Refusal.UNREADABLE
    assert refuse(DAY, DAY, today) is Refusal.SAME_DATE
    assert refuse(DAY, dt.date(2026, 11, 30), today) is Refusal.PAST_DATE
    assert refuse(DAY, DAY + dt.timedelta(days=rules.MAX_SHIFT_DAYS + 1), today) is (
        Refusal.FAR_DATE
    )
    assert refuse(DAY, DAY + dt.timedelta(days=rules.MAX_SHIFT_DAYS), today) is None
    assert refuse(DAY, today, today) is None


def test_typed_values_are_read_or_refused():
    [point] = [
        r.to_point()
        for r in parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
        if r.point_id == TINH_HA
    ]
    read = rules.read_value
    assert read(point, PointField.DAY, " 12 ") == 12
    assert read(point, PointField.DAY, "10") is ValueProblem.SAME
    assert read(point, PointField.DAY, "²") is ValueProblem.BAD
    assert read(point, PointField.HOURS, "7h30 - 11h30") == "07:30-11:30"
    assert read(point, PointField.HOURS, "07:30-11:00") is ValueProblem.SAME
    assert read(point, PointField.ADDRESS, "=HYPERLINK(1)") is ValueProblem.FORMULA
    assert read(point, PointField.ADDRESS, "Nhà  văn hóa\nthôn 2") == "Nhà văn hóa thôn 2"
    assert rules.read_reason("ab") is ValueProblem.BAD
    assert rules.read_reason("+ lũ") is ValueProblem.FORMULA
    assert rules.read_reason(" Mưa   lũ ") == "Mưa lũ"


async def test_a_refused_change_writes_nothing(seeded):
    now = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)
    async with transaction(seeded.sessions) as session:
        point = await schedules.get_point(session, TINH_HA)
        assert point is not None
        common = {"today": now.date(), "now": now, "actor": "test"}
        restore = await changes.change_day(
            session, seeded.content, point, DAY, DayChange.RESTORE, **common
        )
        passed = await changes.change_day(
            session, seeded.content, point, dt.date(2026, 11, 10), DayChange.CANCEL,
            reason="Họp", **common,
        )  # fmt: skip
        far = await changes.change_day(
            session, seeded.content, point, DAY, DayChange.MOVE,
            new=dt.date(2027, 3, 1), reason="Họp", **common,
        )  # fmt: skip
        assert (restore, passed, far) == (Refusal.NOT_ALLOWED, Refusal.PASSED, Refusal.FAR_DATE)
        assert await schedules.exceptions_between(session, [TINH_HA], DAY, DAY) == []
        assert [e.action for e in await audit.entries(session)] == ["role.grant"]

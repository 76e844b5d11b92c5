"""Roles in the dialogs: what an area covers, a refusal that looks like an unknown command,
and a role checked when each privileged action runs, not only when its menu was shown."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from handlers.core import roles, routes
from handlers.core.types import Incoming
from handlers.schedules.csv import parse_schedule_csv
from handlers.schedules.rules import holiday_name, parse_day, parse_hours
from storage import audit, schedules
from storage import roles as role_store
from storage.db import transaction
from storage.models import ConversationState
from tests.conftest import Chat

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"


# --- areas -----------------------------------------------------------------------------------


def test_the_whole_country_covers_every_commune():
    assert roles.covers(None, "21220") and roles.covers(None, "00004")


def test_a_province_covers_its_communes_only():
    assert roles.covers("51", "21220")  # Xã Sơn Tịnh, Quảng Ngãi
    assert not roles.covers("51", "03325")  # Mường Phăng, Điện Biên
    assert roles.covers("01", "00004")  # Ba Đình, Hà Nội
    assert not roles.covers("51", "99999")


def test_a_commune_covers_itself_only():
    assert roles.covers("21220", "21220")
    assert not roles.covers("21220", "21223")


def test_within_nests_areas():
    assert roles.within(None, None) and roles.within(None, "51")
    assert roles.within("51", "51") and roles.within("51", "21220")
    assert not roles.within("51", None) and not roles.within("51", "11")
    assert not roles.within("21220", "51") and roles.within("21220", "21220")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("5", "2-digit province code"),
        ("99", "no province has this code"),
        ("99999", "no commune or ward has this code"),
        ("abc", "2-digit province code"),
    ],
)
def test_bad_areas_are_named(text, problem):
    with pytest.raises(roles.RoleInputError, match=problem):
        roles.parse_area(text)


def test_good_areas_and_users_parse():
    assert roles.parse_area("51") == "51" and roles.parse_area("21220") == "21220"
    assert roles.parse_area(None) is None
    assert roles.parse_user("Telegram:123") == ("telegram", "123")
    for bad in ("123", "sms:1", "telegram:", "telegram:a b", "zalo:" + "9" * 65):
        with pytest.raises(roles.RoleInputError):
            roles.parse_user(bad)
    with pytest.raises(roles.RoleInputError):
        roles.parse_role("superuser")


# --- small parsers of /lichxa ----------------------------------------------------------------


def test_a_date_without_year_is_the_one_nearest_the_regular_day():
    regular = dt.date(2026, 12, 29)
    assert parse_day("02/01", regular) == dt.date(2027, 1, 2)
    assert parse_day("20/12", regular) == dt.date(2026, 12, 20)
    assert parse_day("5/1/2027", regular) == dt.date(2027, 1, 5)
    assert parse_day("31/02", regular) is None
    assert parse_day("mai", regular) is None


def test_hours_need_the_end_after_the_start():
    assert parse_hours("07:30-11:00") == (dt.time(7, 30), dt.time(11, 0))
    assert parse_hours(" 7h30 – 11h00 ") == (dt.time(7, 30), dt.time(11, 0))
    assert parse_hours("11:00-07:30") is None
    assert parse_hours("25:00-26:00") is None
    assert parse_hours("sáng") is None


def test_holidays_include_tet():
    assert holiday_name(dt.date(2027, 1, 1)) == "Tết Dương lịch"
    assert "Tết Nguyên Đán" in (holiday_name(dt.date(2027, 2, 6)) or "")
    assert holiday_name(dt.date(2027, 1, 1), "en") == "New Year's Day"
    assert holiday_name(dt.date(2027, 1, 5)) is None


# --- the dialogs -----------------------------------------------------------------------------


@pytest.fixture
async def seeded(deps):
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    return deps


async def grant(deps, user: str, role: str, area: str | None) -> None:
    async with transaction(deps.sessions) as session:
        await roles.grant_role(session, "test", user, role, area, "cli")


async def revoke(deps, user: str, role: str, area: str | None) -> None:
    async with transaction(deps.sessions) as session:
        await roles.revoke_role(session, "test", user, role, area, "cli")


async def state_of(deps, chat: Chat) -> tuple[str | None, str | None]:
    from storage import users

    async with transaction(deps.sessions) as session:
        user = await users.find_user(session, chat.channel, chat.user_id)
        state = await session.get(ConversationState, user.id)
        return (state.flow, state.step) if state else (None, None)


async def tap(chat: Chat, action: str) -> list:
    """Send a button action directly, as a forged or very old button would."""
    return await chat._handle(Incoming(chat.channel, chat.user_id, action=action))


async def as_unknown(monkeypatch, chat: Chat, command: str) -> list:
    """What the bot answers when ``command`` does not exist at all."""
    with monkeypatch.context() as m:
        m.delitem(routes.COMMANDS, command)
        return await chat.send(f"/{command}")


async def test_a_citizen_gets_exactly_the_unknown_command_reply(seeded, monkeypatch):
    chat = Chat(seeded)
    await chat.onboard()
    for command in ("lichxa", "quyen"):
        refused = await chat.send(f"/{command}")
        assert refused == await as_unknown(monkeypatch, chat, command)
        assert f"Tôi không biết lệnh /{command}" in refused[0].text


async def test_a_refusal_keeps_the_conversation_state_as_an_unknown_command_does(seeded):
    chat = Chat(seeded)
    await chat.onboard()
    await chat.send("/lich")  # now in the commune flow
    before = await state_of(seeded, chat)
    await chat.send("/lichxa")
    assert await state_of(seeded, chat) == before == ("commune", "name")


async def test_a_privileged_button_is_refused_like_an_unknown_one(seeded):
    chat = Chat(seeded)
    await chat.onboard()
    unknown = await tap(chat, "nosuch:1")
    for action in ("lxp:SAMPLE-21220-TINHHA", "lxok", "qg", "qrok:1"):
        assert await tap(chat, action) == unknown


async def test_an_official_revoked_after_the_menu_is_refused_at_the_button(seeded):
    chat = Chat(seeded, user_id="2001")
    await chat.onboard()
    await grant(seeded, "2001", "official", "21220")
    await chat.send("/lichxa")
    assert "Điểm giao dịch Tịnh Hà (dữ liệu mẫu)" in {b.label for b in chat.buttons}
    await revoke(seeded, "2001", "official", "21220")
    unknown = await tap(Chat(seeded, user_id="2001"), "nosuch")
    assert await chat.press("Tịnh Hà") == unknown
    assert "Nút này đã cũ" in unknown[0].text


async def test_an_official_revoked_before_confirming_changes_nothing(seeded):
    chat = Chat(seeded, user_id="2002")
    await chat.onboard()
    await grant(seeded, "2002", "official", "21220")
    await chat.send("/lichxa")
    await chat.press("Tịnh Hà")
    await chat.press("lxo:SAMPLE-21220-TINHHA:20261210")
    await chat.press("Hủy buổi này")
    await chat.send("Họp dân")
    assert "Xác nhận" in chat.text
    await revoke(seeded, "2002", "official", "21220")
    replies = await chat.press("Xác nhận")
    assert "Nút này đã cũ" in replies[0].text
    async with transaction(seeded.sessions) as session:
        found = await schedules.exceptions_between(
            session, ["SAMPLE-21220-TINHHA"], dt.date(2026, 12, 1), dt.date(2026, 12, 31)
        )
        assert found == []
        assert [e.action for e in await audit.entries(session)] == ["role.revoke", "role.grant"]


async def test_an_official_revoked_mid_flow_is_refused_when_typing(seeded):
    chat = Chat(seeded, user_id="2003")
    await chat.onboard()
    await grant(seeded, "2003", "official", "21220")
    await chat.send("/lichxa")
    await chat.press("Tịnh Hà")
    await chat.press("Đổi giờ")
    await revoke(seeded, "2003", "official", "21220")
    replies = await chat.send("08:00-11:00")
    assert "Tôi không biết lệnh /lichxa" in replies[0].text
    assert await state_of(seeded, chat) == (None, None)


async def test_an_official_cannot_reach_a_point_outside_the_area(seeded):
    chat = Chat(seeded, user_id="2004")
    await chat.onboard()
    await grant(seeded, "2004", "official", "21220")
    await chat.send("/lichxa")
    labels = {b.label for b in chat.buttons}
    assert not any("Mường Phăng" in label for label in labels)
    for action in ("lxp:SAMPLE-03325-MUONGPHANG", "lxc:03325", "lxe:SAMPLE-03325-PAKHOANG:hours"):
        replies = await tap(chat, action)  # a forged or old button
        assert "Nút này đã cũ" in replies[0].text, action


async def test_a_province_admin_counts_as_official_there_and_only_there(seeded):
    chat = Chat(seeded, user_id="2005")
    await chat.onboard()
    await grant(seeded, "2005", "admin", "51")
    await chat.send("/lichxa")
    assert {b.action for b in chat.buttons} >= {
        "lxp:SAMPLE-21220-TINHHA",
        "lxp:SAMPLE-21220-TINHSON",
        "lxp:SAMPLE-21220-TINHGIANG",
    }
    assert "lxp:SAMPLE-03325-PAKHOANG" not in {b.action for b in chat.buttons}
    async with transaction(seeded.sessions) as session:
        held = await role_store.roles_of(session, "test", "2005")
        assert [(r.role, r.area_code) for r in held] == [("admin", "51")]


def test_the_role_buttons_offer_exactly_the_roles_storage_knows() -> None:
    from handlers.account.actions import ROLE_NAMES
    from storage.roles import ROLES

    assert sorted(ROLE_NAMES) == sorted(ROLES)

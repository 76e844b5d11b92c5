"""Officials and admins end to end through the Telegram webhook: the first admin from the
command line, /quyen grant and revoke, /lichxa moving (with a holiday warning), cancelling and
restoring a day, changing the hours and the fixed day, bad input at each step, and refusals
that look exactly like an unknown command."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli.admin import admin_command
from bot.scheduler import remind_and_deliver
from handlers.schedules.csv import parse_schedule_csv
from storage import audit, schedules
from storage.db import transaction
from storage.models import TransactionPoint
from tests.bot.conftest import CHAT, Bot, labels, migrate_like_operators, plain
from tests.conftest import FakeClock

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SAMPLE = Path(__file__).resolve().parents[2] / "content" / "data" / "schedules" / "sample.csv"
ADMIN, OFFICIAL, OUTSIDER = 5550101, 5550202, 5550303
CITIZEN = CHAT
TINH_GIANG, TINH_HA = "SAMPLE-21220-TINHGIANG", "SAMPLE-21220-TINHHA"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN).astimezone(dt.UTC)


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock(at(2026, 12, 14, 10, 0))


@pytest.fixture
async def bot(api, database_url, clock):
    await migrate_like_operators(database_url)
    bot = Bot(api, database_url, clock=clock)
    await bot.start()
    rows = parse_schedule_csv(SAMPLE.read_text(encoding="utf-8"))
    async with transaction(bot.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, [row.to_point() for row in rows])
    yield bot
    await bot.stop()


async def cli(bot: Bot, action: str, user: int, role: str, area: str | None = None) -> None:
    """What `vbsp-bot admin grant|revoke telegram:USER ROLE [--area AREA]` does."""
    async with transaction(bot.runtime.deps.sessions) as session:
        await admin_command(session, action, ("telegram", str(user), role, area))


async def onboard(bot: Bot, chat: int) -> None:
    await bot.send("/start", chat=chat)
    await bot.press("Tiếng Việt", chat=chat)
    await bot.press("Tôi đồng ý", chat=chat)


async def forged(bot: Bot, api, chat: int, data: str):
    """A button press with callback data the bot never offered this user."""
    before = len(api.messages(chat))
    assert await bot.post(api.make_callback(chat, data)) == 200
    return api.messages(chat)[before:]


async def audit_log(bot: Bot) -> list[tuple[str, str, str]]:
    async with transaction(bot.runtime.deps.sessions) as session:
        entries = reversed(await audit.entries(session))
        return [(e.actor, e.action, e.subject) for e in entries]


async def point(bot: Bot, point_id: str) -> TransactionPoint:
    async with transaction(bot.runtime.deps.sessions) as session:
        found = await schedules.get_point(session, point_id)
        assert found is not None
        return found


async def exceptions(bot: Bot, point_id: str):  # type: ignore[no-untyped-def]
    async with transaction(bot.runtime.deps.sessions) as session:
        found = await schedules.exceptions_between(
            session, [point_id], dt.date(2026, 12, 1), dt.date(2027, 3, 31)
        )
        return [(e.regular_date, e.moved_to, e.reason) for e in found]


# --- refusals --------------------------------------------------------------------------------


async def test_a_citizen_is_answered_as_for_an_unknown_command(bot: Bot):
    await onboard(bot, CITIZEN)
    for command in ("lichxa", "quyen"):
        refused = await bot.send(f"/{command}")
        unknown = await bot.send(f"/{command}zz")
        assert plain(refused) == plain(unknown).replace(f"/{command}zz", f"/{command}")
        assert f"Tôi không biết lệnh /{command}" in plain(refused)
        assert labels(refused) == labels(unknown)


async def test_an_official_outside_their_area_is_refused(bot: Bot, api):
    await cli(bot, "grant", OUTSIDER, "official", "03325")  # Mường Phăng, Điện Biên
    await onboard(bot, OUTSIDER)
    replies = await bot.send("/lichxa", chat=OUTSIDER)
    assert "Pá Khoang" in " ".join(labels(replies))
    assert not any("Tịnh" in label for label in labels(replies))
    stale = plain(await forged(bot, api, OUTSIDER, "nosuchbutton"))
    for data in (f"lxp:{TINH_HA}", f"lxo:{TINH_HA}:20270110", f"lxx:{TINH_HA}:20270110"):
        assert plain(await forged(bot, api, OUTSIDER, data)) == stale
    assert "Nút này đã cũ" in stale
    assert await exceptions(bot, TINH_HA) == []
    # and /quyen is not theirs either
    assert "Tôi không biết lệnh /quyen" in plain(await bot.send("/quyen", chat=OUTSIDER))


# --- /quyen ----------------------------------------------------------------------------------


async def test_first_admin_from_the_cli_grants_and_revokes_in_the_chat(bot: Bot):
    await cli(bot, "grant", ADMIN, "admin")
    await onboard(bot, ADMIN)
    await onboard(bot, OFFICIAL)
    assert "Tôi không biết lệnh /lichxa" in plain(await bot.send("/lichxa", chat=OFFICIAL))

    replies = await bot.send("/quyen", chat=ADMIN)
    assert "Phân quyền" in plain(replies) and f"telegram:{ADMIN}: quản trị, cả nước" in plain(
        replies
    )
    await bot.press("Cấp quyền", chat=ADMIN)
    replies = await bot.send("5550202", chat=ADMIN)  # no channel
    assert "Gõ theo dạng KÊNH:MÃ" in plain(replies)
    replies = await bot.send("viber:5550202", chat=ADMIN)
    assert "Gõ theo dạng KÊNH:MÃ" in plain(replies)
    replies = await bot.send(f"telegram:{OFFICIAL}", chat=ADMIN)
    assert set(labels(replies)) >= {"quản trị", "cán bộ lịch giao dịch", "người xử lý phản ánh"}
    await bot.press("cán bộ lịch giao dịch", chat=ADMIN)
    replies = await bot.send("12", chat=ADMIN)  # Lai Châu, by its code
    assert "Xác nhận cấp quyền" in plain(replies)
    await bot.press("Bỏ", chat=ADMIN)  # drop it, start again
    await bot.send("/quyen", chat=ADMIN)
    await bot.press("Cấp quyền", chat=ADMIN)
    await bot.send(f"telegram:{OFFICIAL}", chat=ADMIN)
    await bot.press("cán bộ lịch giao dịch", chat=ADMIN)
    replies = await bot.send("77777", chat=ADMIN)
    assert "không phải mã tỉnh" in plain(replies)
    replies = await bot.send("qqqq zzzz", chat=ADMIN)
    assert "Không tìm thấy" in plain(replies)
    replies = await bot.send("son tinh", chat=ADMIN)
    assert "Xã Sơn Tịnh, Quảng Ngãi (21220)" in labels(replies)
    await bot.press("Xã Sơn Tịnh, Quảng Ngãi", chat=ADMIN)
    replies = await bot.press("Xác nhận", chat=ADMIN)
    assert "Đã cấp quyền cán bộ lịch giao dịch cho telegram:5550202" in plain(replies)

    replies = await bot.send("/lichxa", chat=OFFICIAL)
    assert "Điểm giao dịch Tịnh Hà (dữ liệu mẫu)" in labels(replies)

    await bot.send("/quyen", chat=ADMIN)
    replies = await bot.press("Thu hồi quyền", chat=ADMIN)
    assert f"telegram:{OFFICIAL} · cán bộ lịch giao dịch · 21220" in labels(replies)
    await bot.press(f"telegram:{OFFICIAL} · cán bộ", chat=ADMIN)
    replies = await bot.press("Thu hồi", chat=ADMIN)
    assert "Đã thu hồi quyền cán bộ lịch giao dịch của telegram:5550202" in plain(replies)
    assert "Tôi không biết lệnh /lichxa" in plain(await bot.send("/lichxa", chat=OFFICIAL))

    assert await audit_log(bot) == [
        ("cli", "role.grant", f"telegram:{ADMIN}"),
        (f"telegram:{ADMIN}", "role.grant", f"telegram:{OFFICIAL}"),
        (f"telegram:{ADMIN}", "role.revoke", f"telegram:{OFFICIAL}"),
    ]


async def test_a_province_admin_grants_only_within_the_province(bot: Bot, api):
    await cli(bot, "grant", ADMIN, "admin", "51")  # Quảng Ngãi
    await cli(bot, "grant", OUTSIDER, "official", "03325")  # Điện Biên: not theirs
    await onboard(bot, ADMIN)
    replies = await bot.send("/quyen", chat=ADMIN)
    assert "telegram:5550303" not in plain(replies)  # outside the area: not listed
    await bot.press("Cấp quyền", chat=ADMIN)
    await bot.send(f"telegram:{OFFICIAL}", chat=ADMIN)
    replies = await bot.press("người xử lý phản ánh", chat=ADMIN)
    area_buttons = [label for label in labels(replies) if "Danh sách" not in label]
    assert area_buttons == ["Quảng Ngãi (51)"]  # never the whole country
    replies = await bot.send("03325", chat=ADMIN)
    assert "nằm ngoài khu vực của bạn" in plain(replies)
    stale = plain(await forged(bot, api, ADMIN, "nosuch"))
    assert "nằm ngoài" in plain(await forged(bot, api, ADMIN, "qga:*"))
    replies = await bot.send("21220", chat=ADMIN)
    assert "Xác nhận cấp quyền" in plain(replies)
    await bot.press("Xác nhận", chat=ADMIN)
    # the outsider's role is not the province admin's to revoke, even with a forged button
    async with transaction(bot.runtime.deps.sessions) as session:
        from storage import roles

        outsider = (await roles.roles_of(session, "telegram", str(OUTSIDER)))[0]
    assert plain(await forged(bot, api, ADMIN, f"qrok:{outsider.id}")) == stale
    async with transaction(bot.runtime.deps.sessions) as session:
        assert await roles.roles_of(session, "telegram", str(OUTSIDER)) != []


# --- /lichxa ---------------------------------------------------------------------------------


async def test_moving_a_day_to_a_holiday_warns_and_asks_again(bot: Bot):
    await cli(bot, "grant", OFFICIAL, "official", "21220")
    await onboard(bot, OFFICIAL)
    replies = await bot.send("/lichxa", chat=OFFICIAL)
    assert len(labels(replies)) == 5  # three points, the web console and the menu
    replies = await bot.press("Tịnh Giang", chat=OFFICIAL)
    assert "ngày 31 hằng tháng" in plain(replies) and "31/12/2026" in plain(replies)
    await bot.press("Buổi 31/12/2026", chat=OFFICIAL)
    replies = await bot.press("Dời sang ngày khác", chat=OFFICIAL)
    assert "sang ngày nào" in plain(replies)
    for typed, answer in (
        ("mai", "chưa hiểu ngày này"),
        ("30/02", "chưa hiểu ngày này"),
        ("01/12", "Ngày này đã qua (hôm nay là 14/12/2026)"),
        ("31/12", "Đó chính là ngày 31/12/2026"),
        ("15/03/2027", "cách ngày 31/12/2026 hơn 60 ngày"),
    ):
        assert answer in plain(await bot.send(typed, chat=OFFICIAL)), typed
    replies = await bot.send("01/01", chat=OFFICIAL)
    assert "01/01/2027 là ngày lễ: Tết Dương lịch" in plain(replies)
    replies = await bot.press("Chọn ngày khác", chat=OFFICIAL)
    assert "sang ngày nào" in plain(replies)
    await bot.send("01/01", chat=OFFICIAL)
    replies = await bot.send("đồng ý", chat=OFFICIAL)  # a button is awaited
    assert "bấm một nút" in plain(replies)
    replies = await bot.press("Vẫn dời sang ngày này", chat=OFFICIAL)
    assert "Lý do" in plain(replies)
    assert "từ 3 đến 500 ký tự" in plain(await bot.send("x", chat=OFFICIAL))
    replies = await bot.send("Trùng lịch   họp xã", chat=OFFICIAL)
    text = plain(replies)
    assert "Dời buổi giao dịch ngày 31/12/2026" in text and "sang ngày 01/01/2027" in text
    assert "Lý do: Trùng lịch họp xã" in text and "ngày lễ: Tết Dương lịch" in text
    replies = await bot.press("Xác nhận", chat=OFFICIAL)
    assert "Đã dời buổi ngày 31/12/2026" in plain(replies)
    assert "01/01/2027 (dời từ 31/12/2026: Trùng lịch họp xã)" in plain(replies)

    assert await exceptions(bot, TINH_GIANG) == [
        (dt.date(2026, 12, 31), dt.date(2027, 1, 1), "Trùng lịch họp xã")
    ]
    async with transaction(bot.runtime.deps.sessions) as session:
        entry = (await audit.entries(session, subject=TINH_GIANG))[0]
    assert (entry.actor, entry.action) == (f"telegram:{OFFICIAL}", "schedule.move")
    assert entry.detail["moved_to"] == "2027-01-01" and entry.detail["holiday"] == "Tết Dương lịch"

    # a citizen of the commune sees the new date
    await onboard(bot, CITIZEN)
    await bot.send("/lich")
    assert "01/01/2027" in plain(await bot.send("son tinh"))


@pytest.mark.slow
async def test_cancel_after_a_reminder_tells_subscribers_then_restore(bot: Bot, api, clock):
    await cli(bot, "grant", OFFICIAL, "official", "21220")
    await onboard(bot, CITIZEN)
    await bot.send("/lich")
    await bot.send("son tinh")
    await bot.press("Nhắc lịch: Điểm giao dịch Tịnh Hà")
    clock.now = at(2027, 1, 9, 18, 0)  # the evening before 10/01/2027
    runtime = bot.runtime
    planned, stats = await remind_and_deliver(
        runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
    )
    assert (planned, stats.sent) == (1, 1)

    await onboard(bot, OFFICIAL)
    await bot.send("/lichxa", chat=OFFICIAL)
    await bot.press("Tịnh Hà", chat=OFFICIAL)
    await bot.press("Buổi 10/01/2027", chat=OFFICIAL)
    await bot.press("Hủy buổi này", chat=OFFICIAL)
    assert "từ 3 đến 500" in plain(await bot.send("ab", chat=OFFICIAL))
    replies = await bot.send("Mưa lũ, đường vào xã bị chia cắt", chat=OFFICIAL)
    assert "Hủy buổi giao dịch ngày 10/01/2027" in plain(replies)
    replies = await bot.press("Xác nhận", chat=OFFICIAL)
    text = plain(replies)
    assert "Đã hủy buổi ngày 10/01/2027" in text and "10/01/2027: đã hủy (Mưa lũ" in text
    assert "báo cho 1 người" in text

    planned, stats = await remind_and_deliver(
        runtime.deps.sessions, runtime.content, runtime.sender, clock(), VN
    )
    assert stats.sent == 1
    assert "Buổi giao dịch bị hủy" in api.last_message(CITIZEN).plain_text

    await bot.press("Buổi 10/01/2027", chat=OFFICIAL)
    replies = await bot.press("Khôi phục như lịch cố định", chat=OFFICIAL)
    assert "Khôi phục buổi giao dịch ngày 10/01/2027" in plain(replies)
    replies = await bot.press("Xác nhận", chat=OFFICIAL)
    assert "Đã khôi phục buổi ngày 10/01/2027" in plain(replies)
    assert await exceptions(bot, TINH_HA) == []
    assert [a for _, a, s in await audit_log(bot) if s == TINH_HA] == [
        "schedule.cancel",
        "schedule.restore",
    ]


async def test_changing_hours_fixed_day_and_address_with_bad_input(bot: Bot):
    await cli(bot, "grant", OFFICIAL, "official", "51")  # the whole province
    await onboard(bot, OFFICIAL)
    await bot.send("/lichxa", chat=OFFICIAL)
    await bot.press("Tịnh Sơn", chat=OFFICIAL)

    replies = await bot.press("Đổi giờ", chat=OFFICIAL)
    assert "07:30-11:00" in plain(replies)
    for typed in ("sáng", "11:00-07:30", "07:30-11:00"):
        replies = await bot.send(typed, chat=OFFICIAL)
        assert "chưa hiểu giờ" in plain(replies) or "giống hệt" in plain(replies), typed
    replies = await bot.send("7h30 - 11h30", chat=OFFICIAL)
    assert "từ 07:30-11:00 sang 07:30-11:30" in plain(replies)
    replies = await bot.press("Xác nhận", chat=OFFICIAL)
    assert "Đã đổi giờ giao dịch" in plain(replies) and "giờ 07:30-11:30" in plain(replies)
    assert (await point(bot, "SAMPLE-21220-TINHSON")).end_time == dt.time(11, 30)

    await bot.press("Đổi ngày cố định", chat=OFFICIAL)
    for typed in ("32", "0", "mười"):
        assert "từ 1 đến 31" in plain(await bot.send(typed, chat=OFFICIAL)), typed
    await bot.send("12", chat=OFFICIAL)
    replies = await bot.press("Bỏ", chat=OFFICIAL)
    assert "Đã bỏ" in plain(replies)
    assert (await point(bot, "SAMPLE-21220-TINHSON")).day_of_month == 11
    await bot.press("Quay lại điểm giao dịch", chat=OFFICIAL)
    await bot.press("Đổi ngày cố định", chat=OFFICIAL)
    await bot.send("12", chat=OFFICIAL)
    replies = await bot.press("Xác nhận", chat=OFFICIAL)
    assert "ngày 12 hằng tháng" in plain(replies)

    await bot.press("Đổi địa chỉ", chat=OFFICIAL)
    assert "từ 5 đến 300" in plain(await bot.send("abc", chat=OFFICIAL))
    await bot.send("Nhà văn hóa thôn 2, xã Sơn Tịnh", chat=OFFICIAL)
    replies = await bot.press("Xác nhận", chat=OFFICIAL)
    assert "Địa chỉ: Nhà văn hóa thôn 2, xã Sơn Tịnh" in plain(replies)

    log = [(a, s) for _, a, s in await audit_log(bot)]
    assert log[-3:] == [
        ("point.hours", "SAMPLE-21220-TINHSON"),
        ("point.day", "SAMPLE-21220-TINHSON"),
        ("point.address", "SAMPLE-21220-TINHSON"),
    ]


async def test_a_wide_area_asks_for_the_commune_first(bot: Bot):
    # more points in Quảng Ngãi than fit in one list
    extra = [
        TransactionPoint(
            id=f"TEST-21028-P{i}",
            commune_code="21028",
            name=f"Điểm thử {i}",
            address="Thôn 1",
            day_of_month=i + 1,
            start_time=dt.time(7, 30),
            end_time=dt.time(11, 0),
            office="PGD thử",
            phone="0255 0000 000",
        )
        for i in range(6)
    ]
    async with transaction(bot.runtime.deps.sessions) as session:
        await schedules.upsert_points(session, extra)
    await cli(bot, "grant", OFFICIAL, "official", "51")
    await onboard(bot, OFFICIAL)
    replies = await bot.send("/lichxa", chat=OFFICIAL)
    assert "có 9 điểm giao dịch" in plain(replies)
    assert "Không tìm thấy" in plain(await bot.send("zzzz qqqq", chat=OFFICIAL))
    # a commune of another province is not offered
    assert "Không tìm thấy" in plain(await bot.send("muong phang", chat=OFFICIAL))
    replies = await bot.send("son tinh", chat=OFFICIAL)
    assert "Sơn Tịnh" in plain(replies)
    assert set(labels(replies)) >= {
        "Điểm giao dịch Tịnh Hà (dữ liệu mẫu)",
        "Điểm giao dịch Tịnh Sơn (dữ liệu mẫu)",
    }
    # by a point's name too
    await bot.press("Danh sách điểm", chat=OFFICIAL)
    replies = await bot.send("Tinh Giang", chat=OFFICIAL)
    assert "Điểm giao dịch Tịnh Giang (dữ liệu mẫu)" in labels(replies)

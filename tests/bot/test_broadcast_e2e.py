"""Broadcasts end to end through the Telegram webhook against the fake Bot API: composed,
previewed, test copy, confirmed and delivered to exactly the audience; opt-out; an official
outside their area refused; province-wide approval; scheduling and cancelling; quiet hours;
a user who blocked the bot skipped afterwards; a 429 storm honoured."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from bot.cli.admin import admin_command
from bot.cli.broadcast import broadcast_status
from bot.clock import shifted_clock
from bot.scheduler import prune_outbox
from handlers.schedules.reminders import plan_reminders
from storage import audit, outbox, users
from storage import broadcasts as store
from storage.db import transaction
from storage.models import Subscription, TransactionPoint
from tests.bot.conftest import Bot, labels, migrate_like_operators, plain
from tests.conftest import FakeClock

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICIAL, PROVINCIAL, SECOND, ADMIN, OUTSIDER = 5560001, 5560002, 5560003, 5560004, 5560005
SON_TINH, OTHER_QN, DIEN_BIEN = "21220", "21025", "03325"  # 21220, 21025 in Quảng Ngãi (51)
IN_COMMUNE = [5561001, 5561002, 5561003]
IN_PROVINCE = [5562001, 5562002]  # Quảng Ngãi, another commune
ELSEWHERE = [5563001]  # Điện Biên
TEXT = "Lịch giao dịch tháng 12 đổi sang ngày 20 & nhớ mang theo sổ vay <3"


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
    await seed_citizens(bot, api)
    yield bot
    await bot.stop()


async def seed_citizens(bot: Bot, api) -> None:
    """Citizens who chose their commune earlier (as /lich records it)."""
    now = bot.clock() if bot.clock is not None else dt.datetime.now(dt.UTC)
    async with transaction(bot.runtime.deps.sessions) as session:
        groups = ((IN_COMMUNE, SON_TINH), (IN_PROVINCE, OTHER_QN), (ELSEWHERE, DIEN_BIEN))
        for chats, code in groups:
            for chat in chats:
                api.add_chat(chat)
                user = await users.get_or_create_user(session, "telegram", str(chat), now)
                user.language, user.consent_at, user.commune_code = "vi", now, code
        en = await users.find_user(session, "telegram", str(IN_COMMUNE[2]))
        en.language = "en"


async def cli(bot: Bot, user: int, role: str, area: str | None) -> None:
    async with transaction(bot.runtime.deps.sessions) as session:
        await admin_command(session, "grant", ("telegram", str(user), role, area))


async def onboard(bot: Bot, chat: int) -> None:
    await bot.send("/start", chat=chat)
    await bot.press("Tiếng Việt", chat=chat)
    await bot.press("Tôi đồng ý", chat=chat)


async def deliver(bot: Bot) -> None:
    """What the serving process's sender does: start what is due, send, report."""
    for _ in range(3):  # the final report is queued by the pass that finishes
        await bot.runtime.sender.run_once()
        if hasattr(bot.clock, "advance"):
            bot.clock.advance(seconds=2)  # one message a second per chat: time passes


async def compose(bot: Bot, chat: int, text: str = TEXT, area: str = "Cả địa bàn") -> list:
    await bot.send("/thongbao", chat=chat)
    await bot.send(text, chat=chat)
    await bot.press(area, chat=chat)
    return await bot.press("Mọi người dùng", chat=chat)


def got(api, chat: int) -> list[str]:
    return [m.plain_text for m in api.messages(chat) if "Thông báo của NHCSXH" in m.plain_text
            or "Announcement from VBSP" in m.plain_text]  # fmt: skip


async def audit_actions(bot: Bot) -> list[tuple[str, str]]:
    async with transaction(bot.runtime.deps.sessions) as session:
        return [(e.actor, e.action) for e in reversed(await audit.entries(session))]


# --- the whole way, commune-wide -------------------------------------------------------------


@pytest.mark.slow
async def test_commune_broadcast_previewed_tested_confirmed_and_delivered_to_exactly_it(
    bot: Bot, api, capsys
):
    await cli(bot, OFFICIAL, "official", SON_TINH)
    await onboard(bot, OFFICIAL)
    replies = await bot.send("/thongbao", chat=OFFICIAL)
    assert "Soạn thông báo" in plain(replies)
    await bot.send(TEXT, chat=OFFICIAL)
    assert labels(api.messages(OFFICIAL)[-1:]) == [
        "Cả địa bàn: Xã Sơn Tịnh, Quảng Ngãi",
        "🏠 Menu chính",
    ]
    await bot.press("Cả địa bàn", chat=OFFICIAL)
    preview = await bot.press("Mọi người dùng", chat=OFFICIAL)
    # The preview, exactly as citizens get it, then the figures and the choices.
    assert "Xem trước" in preview[0].plain_text
    assert preview[1].plain_text == ("📢 Thông báo của NHCSXH — Xã Sơn Tịnh, Quảng Ngãi\n\n" + TEXT)
    summary = preview[2].plain_text
    assert "Số người nhận: 3." in summary and "khoảng 1 phút" in summary
    assert "25 tin/giây" in summary
    assert {"📤 Gửi ngay", "🕘 Hẹn giờ", "🧪 Gửi thử cho tôi", "✖ Hủy thông báo"} <= set(
        labels(preview)
    )
    test = await bot.press("Gửi thử cho tôi", chat=OFFICIAL)
    assert test[0].plain_text == preview[1].plain_text
    assert test[0].buttons == [[("🔕 Tắt thông báo", "ann:off")]]
    assert got(api, IN_COMMUNE[0]) == []  # nothing went out yet

    await bot.press("Quay lại", chat=OFFICIAL)
    confirmed = await bot.press("Gửi ngay", chat=OFFICIAL)
    assert "Đã xác nhận thông báo số 1" in plain(confirmed)
    await deliver(bot)

    for chat in IN_COMMUNE[:2]:
        assert got(api, chat) == [preview[1].plain_text]
        assert api.last_message(chat).buttons == [[("🔕 Tắt thông báo", "ann:off")]]
    assert got(api, IN_COMMUNE[2]) == [
        "📢 Announcement from VBSP — Xã Sơn Tịnh, Quảng Ngãi\n\n" + TEXT
    ]
    for chat in IN_PROVINCE + ELSEWHERE:
        assert api.messages(chat) == []
    report = plain(api.messages(OFFICIAL)[-2:])
    assert "Bắt đầu gửi thông báo số 1 đến 3 người" in report or "Đã gửi xong" in report
    final = api.last_message(OFFICIAL).plain_text
    assert "Đã gửi xong thông báo số 1" in final
    assert "Đã nhận: 3." in final and "Đã chặn bot: 0." in final and "Lỗi: 0." in final
    assert ("telegram:5560001", "broadcast.confirm") in await audit_actions(bot)
    # The CLI tells the same story.
    async with transaction(bot.runtime.deps.sessions) as session:
        await broadcast_status(session, 1, bot.runtime.settings, bot.clock())
        await broadcast_status(session, None, bot.runtime.settings, bot.clock())
    out = capsys.readouterr().out
    assert "broadcast #1: done" in out and "sent 3, blocked 0, failed 0, cancelled 0" in out
    assert "#1 done" in out
    # A season later the texts sent to each person are deleted; the figures stay.
    sessions = bot.runtime.deps.sessions
    assert await prune_outbox(sessions, bot.clock) == 0  # not yet
    bot.clock.advance(days=91)
    assert await prune_outbox(sessions, bot.clock) >= 3
    async with transaction(sessions) as session:
        assert await outbox.queue_depth(session, bot.clock()) == {}
        assert await outbox.counts(session) == {}
        await broadcast_status(session, 1, bot.runtime.settings, bot.clock())
    assert "sent 3, blocked 0, failed 0, cancelled 0" in capsys.readouterr().out


@pytest.mark.slow
async def test_a_photo_goes_with_the_text_as_its_caption(bot: Bot, api):
    await cli(bot, OFFICIAL, "official", SON_TINH)
    await onboard(bot, OFFICIAL)
    await bot.send("/thongbao", chat=OFFICIAL)
    update = api.make_photo(OFFICIAL, b"\xff\xd8 fake jpeg", caption="Ảnh lịch mới")
    assert await bot.post(update) == 200
    await bot.press("Cả địa bàn", chat=OFFICIAL)
    preview = await bot.press("Mọi người dùng", chat=OFFICIAL)
    assert preview[1].kind == "photo" and "Ảnh lịch mới" in preview[1].plain_text
    await bot.press("Gửi ngay", chat=OFFICIAL)
    await deliver(bot)
    sent = api.last_message(IN_COMMUNE[0])
    assert sent.kind == "photo" and sent.file_id == preview[1].file_id
    assert sent.plain_text.endswith("Ảnh lịch mới")


# --- opt-out ---------------------------------------------------------------------------------


@pytest.mark.slow
async def test_stop_announcements_is_respected_and_reminders_stay(bot: Bot, api):
    await cli(bot, OFFICIAL, "official", SON_TINH)
    await onboard(bot, OFFICIAL)
    async with transaction(bot.runtime.deps.sessions) as session:
        session.add(
            TransactionPoint(
                id="P-ST", commune_code=SON_TINH, name="Điểm Tịnh Hà", address="UBND xã cũ",
                day_of_month=15, start_time=dt.time(7, 30), end_time=dt.time(11, 0),
                office="PGD Sơn Tịnh", phone="0255 000 000",
            )
        )  # fmt: skip
        await session.flush()
        quitter = await users.find_user(session, "telegram", str(IN_COMMUNE[0]))
        session.add(Subscription(user_id=quitter.id, point_id="P-ST"))
    await compose(bot, OFFICIAL, "Thông báo thứ nhất")
    await bot.press("Gửi ngay", chat=OFFICIAL)
    await deliver(bot)
    # The citizen taps the one-tap stop on the announcement.
    replies = await bot.press("Tắt thông báo", chat=IN_COMMUNE[0])
    assert "Đã tắt thông báo" in plain(replies) and "Nhắc lịch" in plain(replies)
    caidat = await bot.send("/caidat", chat=IN_COMMUNE[0])
    assert "Thông báo của ngân hàng: đang tắt." in plain(caidat)
    assert "🔔 Bật thông báo" in labels(caidat)

    await compose(bot, OFFICIAL, "Thông báo thứ hai")
    await bot.press("Gửi ngay", chat=OFFICIAL)
    await deliver(bot)
    assert len(got(api, IN_COMMUNE[0])) == 1  # not the second one
    assert len(got(api, IN_COMMUNE[1])) == 2
    # Reminders are not announcements: the 18:00 reminder of the day still comes.
    bot.clock.now = at(2026, 12, 14, 18, 0)
    async with transaction(bot.runtime.deps.sessions) as session:
        assert await plan_reminders(session, bot.runtime.content, bot.clock(), VN) == 1
    await bot.runtime.sender.run_once()
    assert "Ngày mai" in api.last_message(IN_COMMUNE[0]).plain_text

    # And on again from /caidat.
    await bot.press("Bật thông báo", chat=IN_COMMUNE[0])
    await compose(bot, OFFICIAL, "Thông báo thứ ba")
    await bot.press("Gửi ngay", chat=OFFICIAL)
    await deliver(bot)
    assert got(api, IN_COMMUNE[0])[-1].endswith("Thông báo thứ ba")


# --- refusals --------------------------------------------------------------------------------


async def test_a_citizen_and_an_official_outside_the_area_are_refused(bot: Bot, api):
    refused = await bot.send("/thongbao", chat=IN_COMMUNE[0])
    assert "Tôi không biết lệnh /thongbao" in plain(refused)

    await cli(bot, OFFICIAL, "official", SON_TINH)
    await onboard(bot, OFFICIAL)
    await compose(bot, OFFICIAL)
    await cli(bot, OUTSIDER, "official", DIEN_BIEN)
    await onboard(bot, OUTSIDER)
    await bot.send("/thongbao", chat=OUTSIDER)
    await bot.send("Một thông báo", chat=OUTSIDER)
    assert not any("Quảng Ngãi" in label for label in labels(api.messages(OUTSIDER)[-1:]))
    stale = "Nút này đã cũ"
    for data in ("tbw:51", "tbw:*", f"tbk:{SON_TINH}"):
        before = len(api.messages(OUTSIDER))
        await bot.post(api.make_callback(OUTSIDER, data))
        answer = plain(api.messages(OUTSIDER)[before:])
        assert stale in answer or "Nơi này nằm ngoài địa bàn của bạn" in answer
        await bot.press("Mọi người dùng", chat=OUTSIDER) if "Mọi người" in answer else None
    async with transaction(bot.runtime.deps.sessions) as session:
        assert [b.author for b in await store.in_state(session, store.DRAFT)] == [
            f"telegram:{OFFICIAL}"
        ]
    # Someone else's draft: neither confirmed, nor cancelled, nor tested.
    for data in ("tbok:1", "tbx:1", "tbt:1", "tbap:1"):
        before = len(api.messages(OUTSIDER))
        await bot.post(api.make_callback(OUTSIDER, data))
        assert stale in plain(api.messages(OUTSIDER)[before:])
    # A commune official picks no other commune: typing one outside the area finds nothing.
    await bot.send("/thongbao", chat=OUTSIDER)
    await bot.send("Một thông báo", chat=OUTSIDER)
    assert "🏘 Một xã, phường" not in labels(api.messages(OUTSIDER)[-1:])
    async with transaction(bot.runtime.deps.sessions) as session:
        assert (await store.get(session, 1)).status == store.DRAFT

    # A revoked official's button no longer works, checked when pressed.
    async with transaction(bot.runtime.deps.sessions) as session:
        await admin_command(session, "revoke", ("telegram", str(OFFICIAL), "official", SON_TINH))
    before = len(api.messages(OFFICIAL))
    await bot.post(api.make_callback(OFFICIAL, "tbok:1"))
    assert stale in plain(api.messages(OFFICIAL)[before:])
    await deliver(bot)
    assert all(api.messages(chat) == [] for chat in IN_COMMUNE[1:] + IN_PROVINCE)


async def test_a_crafted_broadcast_number_gets_the_stale_button_answer(bot: Bot, api):
    """Not an id ("²" passes str.isdigit), too large for a row id, or 0: the stale-button
    answer, never the apology of an internal error."""
    await cli(bot, PROVINCIAL, "official", "51")
    await onboard(bot, PROVINCIAL)
    for data in ("tbv:²", "tbx:99999999999", "tbok:0", "tbr:²", "tbap:99999999999", "tbrj:0"):
        before = len(api.messages(PROVINCIAL))
        await bot.post(api.make_callback(PROVINCIAL, data))
        answer = plain(api.messages(PROVINCIAL)[before:])
        assert "Nút này đã cũ" in answer and "Xin lỗi" not in answer, data


# --- a whole province: a second official or an admin approves --------------------------------


@pytest.mark.slow
async def test_a_province_wide_broadcast_goes_out_only_once_approved(bot: Bot, api):
    await cli(bot, PROVINCIAL, "official", "51")
    await cli(bot, SECOND, "official", "51")
    await cli(bot, OFFICIAL, "official", SON_TINH)  # a commune official may not approve it
    for chat in (PROVINCIAL, SECOND, OFFICIAL):
        await onboard(bot, chat)
    preview = await compose(bot, PROVINCIAL, area="Cả địa bàn: Quảng Ngãi")
    assert "Số người nhận: 5." in preview[2].plain_text
    assert "cần một cán bộ khác hoặc quản trị của tỉnh duyệt" in preview[2].plain_text
    submitted = await bot.press("Gửi để duyệt", chat=PROVINCIAL)
    assert "chờ" in plain(submitted) or "duyệt" in plain(submitted)
    # The author cannot approve their own.
    before = len(api.messages(PROVINCIAL))
    await bot.post(api.make_callback(PROVINCIAL, "tbap:1"))
    assert "Nút này đã cũ" in plain(api.messages(PROVINCIAL)[before:])
    await deliver(bot)
    assert all(got(api, chat) == [] for chat in IN_COMMUNE + IN_PROVINCE)
    # The second official was asked; the commune official was not.
    assert "cần bạn duyệt" in api.last_message(SECOND).plain_text
    assert not any("cần bạn duyệt" in m.plain_text for m in api.messages(OFFICIAL))
    review = await bot.press("Xem và duyệt", chat=SECOND)
    assert review[0].plain_text.endswith(TEXT) and "Soạn bởi: telegram:5560002" in plain(review)
    approved = await bot.press("Duyệt", chat=SECOND)
    assert "Đã duyệt thông báo số 1" in plain(approved)
    await deliver(bot)
    for chat in IN_COMMUNE[:2] + IN_PROVINCE:
        assert len(got(api, chat)) == 1
    assert api.messages(ELSEWHERE[0]) == []
    author = plain(api.messages(PROVINCIAL))
    assert "đã được telegram:5560003 duyệt" in author and "Đã nhận: 5." in author
    actions = await audit_actions(bot)
    assert ("telegram:5560002", "broadcast.submit") in actions
    assert ("telegram:5560003", "broadcast.approve") in actions
    assert ("system", "broadcast.finish") in actions


async def test_an_admin_of_the_province_may_approve_and_may_reject(bot: Bot, api):
    await cli(bot, PROVINCIAL, "official", "51")
    await cli(bot, ADMIN, "admin", "51")
    await onboard(bot, PROVINCIAL)
    await onboard(bot, ADMIN)
    await compose(bot, PROVINCIAL, area="Cả địa bàn: Quảng Ngãi")
    await bot.press("Gửi để duyệt", chat=PROVINCIAL)
    replies = await bot.send("/thongbao", chat=ADMIN)  # what awaits them is listed
    assert "đang chờ bạn duyệt" in plain(replies)
    await bot.press("Duyệt số 1", chat=ADMIN)
    rejected = await bot.press("Không duyệt", chat=ADMIN)
    assert "Đã từ chối thông báo số 1" in plain(rejected)
    await deliver(bot)
    assert all(got(api, chat) == [] for chat in IN_COMMUNE + IN_PROVINCE)
    assert "không được telegram:5560004 duyệt" in api.last_message(PROVINCIAL).plain_text
    assert ("telegram:5560004", "broadcast.reject") in await audit_actions(bot)


# --- later, or not at all --------------------------------------------------------------------


@pytest.mark.slow
async def test_scheduled_for_later_and_cancelled_before_it_went(bot: Bot, api):
    await cli(bot, OFFICIAL, "official", SON_TINH)
    await onboard(bot, OFFICIAL)
    await compose(bot, OFFICIAL, "Sẽ hủy")
    await bot.press("Hẹn giờ", chat=OFFICIAL)
    bad = await bot.send("hôm nào đó", chat=OFFICIAL)
    assert "Không hiểu thời điểm này" in plain(bad)
    scheduled = await bot.send("07:30 16/12", chat=OFFICIAL)
    assert "lúc 07:30 16/12/2026" in plain(scheduled)
    await deliver(bot)
    assert got(api, IN_COMMUNE[0]) == []
    shown = await bot.press("Xem tình trạng", chat=OFFICIAL)
    assert "đã hẹn giờ" in plain(shown)
    cancelled = await bot.press("Hủy thông báo", chat=OFFICIAL)
    assert "Đã hủy thông báo số 1" in plain(cancelled)
    bot.clock.now = at(2026, 12, 16, 8, 0)
    await deliver(bot)
    assert got(api, IN_COMMUNE[0]) == []
    assert ("telegram:5560001", "broadcast.cancel") in await audit_actions(bot)

    await compose(bot, OFFICIAL, "Sẽ gửi")
    await bot.press("Hẹn giờ", chat=OFFICIAL)
    await bot.send("7:00", chat=OFFICIAL)  # today 07:00 has passed: tomorrow
    bot.clock.now = at(2026, 12, 17, 6, 59)
    await deliver(bot)
    assert got(api, IN_COMMUNE[0]) == []
    bot.clock.now = at(2026, 12, 17, 7, 0)
    await deliver(bot)
    assert [t.endswith("Sẽ gửi") for t in got(api, IN_COMMUNE[0])] == [True]


async def test_cancelling_while_it_goes_out_stops_the_rest(bot: Bot, api):
    await cli(bot, OFFICIAL, "official", SON_TINH)
    await onboard(bot, OFFICIAL)
    await compose(bot, OFFICIAL)
    await bot.press("Gửi ngay", chat=OFFICIAL)
    await bot.runtime.sender.run_once(max_rows=2)  # started: the notice and one message out
    await bot.press("Xem tình trạng", chat=OFFICIAL)
    replies = await bot.press("Hủy thông báo", chat=OFFICIAL)
    assert "phần chưa gửi sẽ không gửi nữa" in plain(replies)
    await deliver(bot)
    delivered = sum(len(got(api, chat)) for chat in IN_COMMUNE)
    assert delivered == 1
    final = api.last_message(OFFICIAL).plain_text
    assert "Thông báo số 1 đã hủy" in final and "Không gửi: 2." in final


@pytest.mark.slow
async def test_quiet_hours_hold_a_broadcast_until_morning_unless_urgent(bot: Bot, api):
    await cli(bot, OFFICIAL, "official", SON_TINH)
    await onboard(bot, OFFICIAL)
    bot.clock.now = at(2026, 12, 14, 22, 0)
    preview = await compose(bot, OFFICIAL, "Không khẩn")
    assert "bắt đầu gửi lúc 06:00 15/12/2026" in preview[2].plain_text
    confirmed = await bot.press("Gửi ngay", chat=OFFICIAL)
    assert "06:00 15/12/2026" in plain(confirmed)
    await deliver(bot)
    assert got(api, IN_COMMUNE[0]) == []

    await compose(bot, OFFICIAL, "Khẩn: cảnh báo lừa đảo")
    urgent = await bot.press("Đánh dấu khẩn", chat=OFFICIAL)
    assert "Khẩn: có" in plain(urgent)
    await bot.press("Gửi ngay", chat=OFFICIAL)
    await deliver(bot)
    assert [t.endswith("cảnh báo lừa đảo") for t in got(api, IN_COMMUNE[0])] == [True]

    bot.clock.now = at(2026, 12, 15, 5, 59)
    await deliver(bot)
    assert len(got(api, IN_COMMUNE[0])) == 1
    bot.clock.now = at(2026, 12, 15, 6, 0)
    await deliver(bot)
    assert got(api, IN_COMMUNE[0])[-1].endswith("Không khẩn")


# --- the delivery engine's rules, through the same path --------------------------------------


@pytest.mark.slow
async def test_a_user_who_blocked_the_bot_is_marked_and_skipped_later(bot: Bot, api):
    await cli(bot, OFFICIAL, "official", SON_TINH)
    await onboard(bot, OFFICIAL)
    api.block(IN_COMMUNE[1])
    await compose(bot, OFFICIAL, "Lần một")
    await bot.press("Gửi ngay", chat=OFFICIAL)
    await deliver(bot)
    final = api.last_message(OFFICIAL).plain_text
    assert "Đã nhận: 2." in final and "Đã chặn bot: 1." in final
    async with transaction(bot.runtime.deps.sessions) as session:
        assert (await users.find_user(session, "telegram", str(IN_COMMUNE[1]))).blocked
    preview = await compose(bot, OFFICIAL, "Lần hai")
    assert "Số người nhận: 2." in preview[2].plain_text
    calls = len(api.calls_to("sendMessage"))
    await bot.press("Gửi ngay", chat=OFFICIAL)
    await deliver(bot)
    later = api.calls_to("sendMessage")[calls:]
    assert [c for c in later if c.params["chat_id"] == IN_COMMUNE[1]] == []
    async with transaction(bot.runtime.deps.sessions) as session:
        counts = await outbox.broadcast_counts(session, 2)
    assert counts.get("sent") == 2 and "blocked" not in counts
    api.rejected.clear()  # the one 403 was the point


@pytest.fixture
async def live_bot(api, database_url):
    """The bot on a clock that runs as the real one does (a 429's pause is a real wait) from
    10:00 in Vietnam today, outside the quiet hours whatever the hour here."""
    await migrate_like_operators(database_url)
    today = dt.datetime.now(VN).date()
    start = dt.datetime.combine(today, dt.time(10), VN)
    bot = Bot(api, database_url, clock=shifted_clock(start, time.time()))
    await bot.start()
    await seed_citizens(bot, api)
    yield bot
    await bot.stop()


def watch_pauses_and_sends(bot: Bot) -> tuple[list[tuple[float, float, float]], list[float]]:
    """Record, on the monotonic clock, each pause the sender takes and each send it begins."""
    sender = bot.runtime.sender
    pauses: list[tuple[float, float, float]] = []
    starts: list[float] = []
    sleep, transport = sender.sleep, sender.transports["telegram"]

    async def pause(seconds: float) -> None:
        began = time.monotonic()
        try:
            await sleep(seconds)
        finally:
            pauses.append((began, time.monotonic(), seconds))

    async def send(chat, replies):  # type: ignore[no-untyped-def]
        starts.append(time.monotonic())
        return await transport(chat, replies)

    sender.sleep, sender.transports["telegram"] = pause, send
    return pauses, starts


@pytest.mark.slow
async def test_a_429_storm_is_honoured_no_request_during_a_pause(live_bot: Bot, api):
    bot = live_bot
    await cli(bot, PROVINCIAL, "official", "51")
    await cli(bot, ADMIN, "admin", None)
    await onboard(bot, PROVINCIAL)
    await onboard(bot, ADMIN)
    await compose(bot, PROVINCIAL, "Bão 429", area="Cả địa bàn: Quảng Ngãi")
    await bot.press("Gửi để duyệt", chat=PROVINCIAL)
    await bot.post(api.make_callback(ADMIN, "tbap:1"))
    # Telegram allows this bot 4 messages a second (one at a time); the bot is set to 25.
    limit = api.enforce_rate(4, burst=1, retry_after=1)
    pauses, starts = watch_pauses_and_sends(bot)
    await deliver(bot)
    assert limit.limited >= 2  # a storm: the bot ran into the limit again and again
    # ...and never began a send while told to wait, each wait as long as Telegram asked.
    # (Judged by the bot's own events, not by arrival times at the fake: a send begun
    # before the 429 came back may arrive after it, later still on a busy machine.)
    assert len(pauses) >= 2
    for began, ended, asked in pauses:
        assert asked >= 1 and ended - began >= asked
        assert not [t for t in starts if began <= t < ended], "a send began during a pause"
    for chat in IN_COMMUNE[:2] + IN_PROVINCE:
        assert len(got(api, chat)) == 1, chat
    assert api.rejected and all(r.error_code == 429 for r in api.rejected)
    api.rejected.clear()

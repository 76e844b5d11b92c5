"""Reports and moderation end to end through the Telegram webhook and the fake Bot API: a full
report with photos (stored and re-sent without their GPS position), the danger path, each
validation failure, tracking codes, the moderator's whole review with the reporter told at
each step and answers relayed both ways, routing away from the commune, areas, refusals, the
daily cap, withdrawal, the audit log, the digest, deletion by the reporter, and an export
that carries no identity."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import re
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfWriter

from bot.cli import run as cli_run
from bot.cli.admin import admin_command
from bot.scheduler import report_digest
from storage import audit, outbox, reports
from storage.db import transaction
from tests.bot.conftest import Bot, labels, migrate_like_operators, plain
from tests.conftest import FakeClock
from tests.handlers.evidence_samples import jpeg_with_gps, leaked, pdf_with_its_maker

VN = ZoneInfo("Asia/Ho_Chi_Minh")
REPORTER, NEIGHBOUR, CITIZEN = 5550001, 5550002, 5550003
MOD_COMMUNE, MOD_PROVINCE, MOD_ELSEWHERE = 5550601, 5550602, 5550603
NAME, USERNAME = "Nguyễn Thị Tố", "to_nguyen_84"
SON_TINH = "21220"
STORY = (
    "Một người tên Hùng cho tôi vay 5 triệu, lãi 3 nghìn mỗi ngày, nay đòi 9 triệu và nhắn tin "
    "chửi bới, dọa đến nhà."
)
MISCONDUCT = "Tổ trưởng thu tiền lãi tháng 10 của cả tổ nhưng không nộp cho ngân hàng."


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN).astimezone(dt.UTC)


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock(at(2026, 12, 14, 9, 0))


@pytest.fixture
async def bot(api, database_url, clock):
    await migrate_like_operators(database_url)
    bot = Bot(api, database_url, clock=clock)
    await bot.start()
    async with transaction(bot.runtime.deps.sessions) as session:
        for user, area in ((MOD_COMMUNE, SON_TINH), (MOD_PROVINCE, "51"), (MOD_ELSEWHERE, "01")):
            await admin_command(session, "grant", ("telegram", str(user), "moderator", area))
    yield bot
    await bot.stop()


# --- helpers -------------------------------------------------------------------------------------


def _who(chat: int) -> dict[str, str]:
    return {"first_name": NAME, "username": USERNAME} if chat == REPORTER else {}


async def say(bot: Bot, text: str, chat: int = REPORTER):
    """The user types ``text`` (the reporter with their real name and username)."""
    before = len(bot.api.messages(chat))
    assert await bot.post(bot.api.make_message(chat, text, **_who(chat))) == 200
    return bot.api.messages(chat)[before:]


async def send_photo(bot: Bot, content: bytes, chat: int = REPORTER):
    before = len(bot.api.messages(chat))
    assert await bot.post(bot.api.make_photo(chat, content, **_who(chat))) == 200
    return bot.api.messages(chat)[before:]


async def send_document(bot: Bot, content: bytes, name: str, mime: str, chat: int = REPORTER):
    before = len(bot.api.messages(chat))
    update = bot.api.make_document(chat, content, name, mime, **_who(chat))
    assert await bot.post(update) == 200
    return bot.api.messages(chat)[before:]


async def forged(bot: Bot, chat: int, data: str):
    """A button press with callback data the bot never offered this user."""
    before = len(bot.api.messages(chat))
    assert await bot.post(bot.api.make_callback(chat, data)) == 200
    return bot.api.messages(chat)[before:]


async def onboard(bot: Bot, chat: int = REPORTER) -> None:
    await say(bot, "/start", chat)
    await bot.press("Tiếng Việt", chat=chat)
    await bot.press("Tôi đồng ý", chat=chat)


async def file_report(
    bot: Bot,
    chat: int = REPORTER,
    category: str = "Cho vay lãi nặng",
    accused: str | None = None,
    story: str = STORY,
    photos: tuple[bytes, ...] = (),
    contact: str = "Đồng ý, hỏi qua bot",
) -> str:
    """A whole report through the buttons; returns the tracking code."""
    await say(bot, "/baocao", chat)
    await bot.press("Không", chat=chat)
    await bot.press("Đồng ý, tiếp tục", chat=chat)
    await bot.press(category, chat=chat)
    if accused:
        await bot.press(accused, chat=chat)
    await say(bot, "son tinh", chat)
    await bot.press("Trong tuần này", chat=chat)
    await say(bot, story, chat)
    for photo in photos:
        await send_photo(bot, photo, chat)
    await bot.press("Xong" if photos else "Bỏ qua", chat=chat)
    await bot.press(contact, chat=chat)
    sent = plain(await bot.press("Gửi báo cáo", chat=chat))
    found = re.search(r"Mã tra cứu của bạn: ([A-Z0-9]{8})", sent)
    assert found, sent
    return found.group(1)


async def deliver(bot: Bot) -> int:
    """Run the outbox sender once, as the scheduler does, a moment later (the sender keeps
    to about one message a second per chat)."""
    bot.clock.advance(seconds=2)
    return (await bot.runtime.sender.run_once()).sent


async def only_report(bot: Bot):
    async with transaction(bot.runtime.deps.sessions) as session:
        [report] = await reports.for_export(session)
        return report


def shown_to(bot: Bot, chat: int) -> str:
    """Everything a chat was ever sent: texts, captions and buttons."""
    messages = bot.api.messages(chat)
    return "\n".join(m.text + " " + " ".join(labels([m])) for m in messages)


def no_identity_in(text: str) -> None:
    for secret in (str(REPORTER), NAME, USERNAME, "Tố"):
        assert secret not in text, secret


def gps_of(data: bytes) -> dict:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825))


def _pdf_bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- the citizen's report ------------------------------------------------------------------------


async def test_a_full_report_with_photos_reaches_moderators_without_gps(bot: Bot, api):
    await onboard(bot)
    replies = await say(bot, "/baocao")
    assert "nguy hiểm" in plain(replies)
    await bot.press("Không")
    assert "Bot sẽ lưu báo cáo của bạn" in plain(api.messages(REPORTER)[-1:])
    await bot.press("Đồng ý, tiếp tục")
    await bot.press("App cho vay online")
    await say(bot, "son tinh")
    await bot.press("Hôm nay")
    await say(bot, STORY)
    first = jpeg_with_gps()
    assert gps_of(first)
    assert "Đã nhận 1/5 tệp" in plain(await send_photo(bot, first))
    assert "Đã nhận 2/5 tệp" in plain(await send_photo(bot, jpeg_with_gps((120, 90))))
    pdf = pdf_with_its_maker()  # its maker's name, photos' GPS, attached files, form values
    assert "Đã nhận 3/5 tệp" in plain(
        await send_document(bot, pdf, "hop-dong.pdf", "application/pdf")
    )
    await bot.press("Xong")
    summary = plain(await bot.press("Đồng ý, hỏi qua bot"))
    assert "Bằng chứng: 3 tệp" in summary and "Xã Sơn Tịnh (Quảng Ngãi)" in summary
    sent = plain(await bot.press("Gửi báo cáo"))
    assert "Mã tra cứu của bạn" in sent
    assert len(api.calls_to("getFile")) == 3  # downloaded into storage, not kept by file id

    report = await only_report(bot)
    async with transaction(bot.runtime.deps.sessions) as session:
        stored = await reports.files_of(session, report.id)
    assert [f.kind for f in stored] == ["photo", "photo", "document"]
    assert not gps_of(stored[0].data) and not gps_of(stored[1].data)
    assert leaked(stored[2].data) == []

    # A province moderator opens it: the cleaned copies are uploaded, not the user's file ids.
    await onboard(bot, MOD_PROVINCE)
    queue = await say(bot, "/xuly", MOD_PROVINCE)
    assert f"#{report.id}" in plain(queue)
    opened = await bot.press(f"#{report.id}", chat=MOD_PROVINCE)
    photos = [m for m in opened if m.kind == "photo"]
    documents = [m for m in opened if m.kind == "document"]
    assert len(photos) == 2 and len(documents) == 1
    reporter_files = {c.params.get("file_id") for c in api.calls_to("getFile")}
    for message in photos + documents:
        assert message.file_id not in reporter_files
    for message in photos:
        data = api.file_content(message.file_id)
        assert data and not gps_of(data) and b"PhoneMaker" not in data
    shown = api.file_content(documents[0].file_id)
    assert shown and shown.startswith(b"%PDF-") and leaked(shown) == []
    assert len(pdfium.PdfDocument(shown)) == 1
    text = plain(opened)
    assert STORY in text and f"#{report.handle}" in text
    no_identity_in(shown_to(bot, MOD_PROVINCE))


async def test_the_danger_path_says_113_first(bot: Bot):
    await onboard(bot)
    await say(bot, "/baocao")
    replies = await bot.press("Có, đang nguy hiểm")
    text = plain(replies)
    assert "Hãy gọi ngay 113" in text and "Công an xã" in text
    assert "Bot sẽ lưu" not in text
    assert "Tiếp tục" in labels(replies)[0]


async def test_someone_in_danger_alerts_the_areas_moderators_at_once(bot: Bot, api):
    """Not in tomorrow's digest: every moderator who sees the report hears now, with a
    button to open it, and nothing about who sent it."""
    for chat in (MOD_COMMUNE, MOD_PROVINCE, MOD_ELSEWHERE):
        api.add_chat(chat)  # they started the bot when they were given the role
    await onboard(bot)
    await say(bot, "/baocao")
    await bot.press("Có, đang nguy hiểm")
    await bot.press("Tiếp tục")
    await bot.press("Đồng ý, tiếp tục")
    await bot.press("Đòi nợ đe dọa")
    await say(bot, "son tinh")
    await bot.press("Hôm nay")
    await say(bot, STORY)
    await bot.press("Bỏ qua")
    await bot.press("Không, đừng hỏi tôi")
    sent = plain(await bot.press("Gửi báo cáo"))
    assert "113" in sent
    report = await only_report(bot)
    assert report.danger
    await deliver(bot)
    for moderator in (MOD_COMMUNE, MOD_PROVINCE):
        alert = bot.api.last_message(moderator)
        assert alert is not None and f"Báo cáo mới số {report.id}" in alert.plain_text
        assert alert.buttons == [[("📂 Mở báo cáo", f"xo:{report.id}")]]
        no_identity_in(shown_to(bot, moderator))
    assert bot.api.messages(MOD_ELSEWHERE) == []
    await deliver(bot)  # once only
    assert sum("Báo cáo mới số" in m.plain_text for m in bot.api.messages(MOD_PROVINCE)) == 1


async def test_each_validation_failure_is_explained(bot: Bot, api):
    await onboard(bot)
    await say(bot, "/baocao")
    await bot.press("Không")
    await bot.press("Đồng ý, tiếp tục")
    await bot.press("Tờ rơi")
    assert "dài quá" in plain(await say(bot, "a" * 150))
    assert "không tìm thấy" in plain(await say(bot, "qqqq zzzz"))
    await bot.press("Giữ như tôi đã gõ")
    assert "dài quá" in plain(await say(bot, "b" * 150))
    await bot.press("Bỏ qua")
    assert "ít nhất 20 ký tự" in plain(await say(bot, "tờ rơi"))
    assert "tối đa 2000" in plain(await say(bot, "c" * 2500))
    await say(bot, "Tờ rơi cho vay không cần thế chấp dán khắp cột điện ở chợ xã.")
    refused = await send_document(bot, b"PK\x03\x04zip", "bang-chung.zip", "application/zip")
    assert "chỉ nhận ảnh (JPG, PNG) và tệp PDF" in plain(refused)
    big = b"\xff\xd8" + b"0" * (5 * 1024 * 1024)
    refused = await send_document(bot, big, "anh.jpg", "image/jpeg")
    assert "lớn quá" in plain(refused)
    assert api.calls_to("getFile") == []  # both refused before downloading anything
    refused = await send_photo(bot, b"\xff\xd8\xff\xe0 not really a picture")
    assert "không đọc được ảnh này" in plain(refused)
    locked = PdfWriter()
    locked.add_blank_page(100, 100)
    locked.encrypt("mat-khau")
    refused = await send_document(bot, _pdf_bytes(locked), "hop-dong.pdf", "application/pdf")
    assert "không mở được tệp PDF này" in plain(refused)
    long = PdfWriter()
    for _ in range(21):
        long.add_blank_page(100, 100)
    refused = await send_document(bot, _pdf_bytes(long), "sao-ke.pdf", "application/pdf")
    assert "tối đa 20 trang" in plain(refused)
    assert "bot chờ ảnh" in plain(await say(bot, "ảnh đây"))
    for _ in range(5):
        await send_photo(bot, jpeg_with_gps())
    assert "Đã đủ 5 tệp" in plain(await send_photo(bot, jpeg_with_gps()))
    await bot.press("Xong")
    summary = plain(await bot.press("Không, đừng hỏi tôi"))
    assert "Bằng chứng: 5 tệp" in summary and "Nơi xảy ra: qqqq zzzz" in summary


async def test_tracking_code_by_the_reporter_and_by_someone_else(bot: Bot):
    await onboard(bot)
    code = await file_report(bot)
    mine = plain(await say(bot, f"/tracuu {code.lower()}"))
    assert "đã nhận, đang chờ xem xét" in mine and "Cho vay lãi nặng" in mine
    assert "Xã Sơn Tịnh" in mine and "14/12/2026" in mine

    await onboard(bot, CITIZEN)
    theirs = plain(await say(bot, f"/tracuu {code}", CITIZEN))
    assert f"Báo cáo {code}: đã nhận, đang chờ xem xét." in theirs
    assert "Cho vay lãi nặng" not in theirs and "Sơn Tịnh" not in theirs
    assert "Rút báo cáo" not in labels(bot.api.messages(CITIZEN)[-1:])
    unknown = plain(await say(bot, "/tracuu ABCDEFGH", CITIZEN))
    assert "Không có báo cáo nào có mã này" in unknown
    # /tracuu alone lists my reports
    listed = await say(bot, "/tracuu")
    assert any(code in label for label in labels(listed))


# --- moderation ----------------------------------------------------------------------------------


@pytest.mark.slow
async def test_take_question_answer_forward_resolve_with_the_reporter_told_each_time(
    bot: Bot, api, clock
):
    await onboard(bot)
    code = await file_report(bot)
    report = await only_report(bot)
    await onboard(bot, MOD_COMMUNE)

    queue = plain(await say(bot, "/xuly", MOD_COMMUNE))
    assert f"#{report.id}" in queue and "Mới: 1" in queue
    await bot.press(f"#{report.id}", chat=MOD_COMMUNE)
    await bot.press("Nhận xử lý", chat=MOD_COMMUNE)
    assert await deliver(bot) == 1
    assert f"Báo cáo {code} của bạn đang được xem xét." in api.last_message(REPORTER).plain_text

    clock.advance(hours=1)
    await bot.press("Về báo cáo", chat=MOD_COMMUNE)
    await bot.press("Hỏi người báo tin", chat=MOD_COMMUNE)
    asked = await say(bot, "Người cho vay có đưa giấy vay nợ nào không?", MOD_COMMUNE)
    assert "Đã chuyển câu hỏi" in plain(asked)
    assert await deliver(bot) == 1
    question = api.last_message(REPORTER)
    assert "Người cho vay có đưa giấy vay nợ nào không?" in question.plain_text
    assert "✍️ Trả lời câu hỏi" in labels([question])

    await bot.press("Trả lời câu hỏi")
    answered = await say(bot, "Có, tôi có chụp lại giấy vay viết tay.")
    assert "Đã chuyển câu trả lời" in plain(answered)
    assert await deliver(bot) == 1
    relayed = api.last_message(MOD_COMMUNE).plain_text
    assert f"Người báo tin #{report.handle}" in relayed
    assert "Có, tôi có chụp lại giấy vay viết tay." in relayed

    await bot.press("Mở báo cáo", chat=MOD_COMMUNE)
    await bot.press("Chuyển cơ quan xử lý", chat=MOD_COMMUNE)
    await bot.press("Công an xã, phường", chat=MOD_COMMUNE)
    await say(bot, "Đã gửi công văn cho Công an xã Sơn Tịnh ngày 15/12.", MOD_COMMUNE)
    assert await deliver(bot) == 1
    forwarded = api.last_message(REPORTER).plain_text
    assert f"Báo cáo {code} của bạn đã được chuyển đến Công an xã, phường" in forwarded

    await bot.press("Về báo cáo", chat=MOD_COMMUNE)
    await bot.press("Đã xử lý xong", chat=MOD_COMMUNE)
    await say(bot, "Công an đã mời người cho vay lên làm việc.", MOD_COMMUNE)
    assert await deliver(bot) == 1
    assert "đã được xử lý xong" in api.last_message(REPORTER).plain_text

    # The reporter's history, in plain words; no moderator, no internal note.
    told = shown_to(bot, REPORTER)
    assert str(MOD_COMMUNE) not in told and "công văn" not in told and "mời người" not in told
    history = plain(await say(bot, f"/tracuu {code}"))
    assert "đã xử lý xong" in history and "đã chuyển đến Công an xã, phường" in history
    assert "người xử lý hỏi thêm" in history and "bạn đã trả lời" in history
    no_identity_in(shown_to(bot, MOD_COMMUNE))

    # The audit log: who, from, to, and the notes; the reporter only as "reporter".
    async with transaction(bot.runtime.deps.sessions) as session:
        entries = list(reversed(await audit.entries(session, f"report:{report.id}")))
    moderator = f"telegram:{MOD_COMMUNE}"
    assert [(e.actor, e.action, e.detail.get("from"), e.detail["to"]) for e in entries] == [
        ("reporter", "report.create", None, "new"),
        (moderator, "report.take", "new", "in_review"),
        (moderator, "report.ask", "in_review", "waiting"),
        ("reporter", "report.answer", "waiting", "in_review"),
        (moderator, "report.forward", "in_review", "forwarded"),
        (moderator, "report.resolve", "forwarded", "resolved"),
    ]
    assert entries[4].detail["forwarded_to"] == "police"
    assert "công văn" in entries[4].detail["note"]
    assert entries[1].at == at(2026, 12, 14, 9, 0)
    assert entries[2].at == at(2026, 12, 14, 10, 0, 2)  # an hour (and a delivery) later
    no_identity_in(repr([(e.actor, e.subject, e.detail) for e in entries]))


async def test_misconduct_of_the_commune_apparatus_skips_the_commune_moderator(bot: Bot):
    await onboard(bot)
    await file_report(
        bot, category="Tổ trưởng, cán bộ giữ tiền", accused="Tổ trưởng tổ", story=MISCONDUCT
    )
    report = await only_report(bot)
    assert report.escalated and report.commune_code == SON_TINH

    await onboard(bot, MOD_COMMUNE)
    queue = plain(await say(bot, "/xuly", MOD_COMMUNE))
    assert f"#{report.id}" not in queue and "Không có báo cáo nào" in queue
    assert "Mới: 0" in queue
    refused = plain(await forged(bot, MOD_COMMUNE, f"xo:{report.id}"))
    assert "Nút này đã cũ" in refused and MISCONDUCT not in refused
    refused = plain(await forged(bot, MOD_COMMUNE, f"xt:{report.id}"))
    assert "Nút này đã cũ" in refused

    await onboard(bot, MOD_PROVINCE)
    queue = plain(await say(bot, "/xuly", MOD_PROVINCE))
    assert f"#{report.id}" in queue
    opened = plain(await bot.press(f"#{report.id}", chat=MOD_PROVINCE))
    assert MISCONDUCT in opened and "chỉ cấp tỉnh xử lý" in opened


async def test_a_moderator_of_another_area_sees_nothing(bot: Bot):
    await onboard(bot)
    await file_report(bot)
    report = await only_report(bot)
    await onboard(bot, MOD_ELSEWHERE)
    queue = plain(await say(bot, "/xuly", MOD_ELSEWHERE))
    assert "Không có báo cáo nào" in queue and "Thành phố Hà Nội" in queue
    for data in (f"xo:{report.id}", f"xt:{report.id}", f"xj:{report.id}:spam"):
        assert "Nút này đã cũ" in plain(await forged(bot, MOD_ELSEWHERE, data))
    assert (await only_report(bot)).status == "new"


async def test_a_non_moderator_is_refused_xuly_as_an_unknown_command(bot: Bot):
    await onboard(bot, CITIZEN)
    refused = await say(bot, "/xuly", CITIZEN)
    unknown = await say(bot, "/xulyzz", CITIZEN)
    assert plain(refused) == plain(unknown).replace("/xulyzz", "/xuly")
    assert "Tôi không biết lệnh /xuly" in plain(refused)
    assert "Nút này đã cũ" in plain(await forged(bot, CITIZEN, "xl:new"))


async def test_the_daily_cap(bot: Bot, clock):
    await onboard(bot)
    for n in range(3):
        await file_report(bot, story=f"{STORY} Lần thứ {n + 1}, ở một chỗ khác.")
        clock.advance(minutes=30)
    refused = plain(await say(bot, "/baocao"))
    assert "Bạn đã gửi 3 báo cáo trong 24 giờ qua" in refused
    clock.advance(hours=24)
    assert "nguy hiểm" in plain(await say(bot, "/baocao"))


async def test_withdrawal_tells_the_moderator_and_stops_the_review(bot: Bot, api):
    await onboard(bot)
    code = await file_report(bot)
    report = await only_report(bot)
    await onboard(bot, MOD_PROVINCE)
    await say(bot, "/xuly", MOD_PROVINCE)
    await bot.press(f"#{report.id}", chat=MOD_PROVINCE)
    await bot.press("Nhận xử lý", chat=MOD_PROVINCE)
    await deliver(bot)

    await say(bot, f"/tracuu {code}")
    await bot.press("Rút báo cáo")
    done = plain(await bot.press("Rút báo cáo"))
    assert f"Đã rút báo cáo {code}" in done
    assert await deliver(bot) == 1
    assert f"Báo cáo #{report.id}" in api.last_message(MOD_PROVINCE).plain_text
    assert "rút lại" in api.last_message(MOD_PROVINCE).plain_text
    assert (await only_report(bot)).status == "withdrawn"
    await bot.press("Mở báo cáo", chat=MOD_PROVINCE)
    assert "Nhận xử lý" not in labels(api.messages(MOD_PROVINCE)[-1:])
    replies = await forged(bot, MOD_PROVINCE, f"xr:{report.id}")
    assert "không làm được việc này nữa" in plain(replies)
    async with transaction(bot.runtime.deps.sessions) as session:
        [entry] = [
            e for e in await audit.entries(session, f"report:{report.id}")
            if e.action == "report.withdraw"
        ]  # fmt: skip
    assert entry.actor == "reporter" and entry.detail == {"from": "in_review", "to": "withdrawn"}


async def test_rejection_as_spam_tells_the_reason_and_starts_a_cooldown(bot: Bot, api):
    await onboard(bot)
    code = await file_report(bot, story="quảng cáo quảng cáo quảng cáo quảng cáo quảng cáo")
    report = await only_report(bot)
    await onboard(bot, MOD_PROVINCE)
    await say(bot, "/xuly", MOD_PROVINCE)
    await bot.press(f"#{report.id}", chat=MOD_PROVINCE)
    await bot.press("Từ chối", chat=MOD_PROVINCE)
    await bot.press("Không phải báo cáo", chat=MOD_PROVINCE)
    await deliver(bot)
    told = api.last_message(REPORTER).plain_text
    assert f"Báo cáo {code} của bạn đã được đóng, vì nội dung không phải là một báo cáo" in told
    assert "không phải báo cáo thật" in plain(await say(bot, "/baocao"))


async def test_the_daily_digest_goes_to_the_moderators_of_the_area_once(bot: Bot, api, clock):
    await onboard(bot)
    await file_report(bot)
    await file_report(bot, category="Tổ trưởng, cán bộ giữ tiền", accused="Tổ trưởng tổ")
    for moderator in (MOD_COMMUNE, MOD_PROVINCE, MOD_ELSEWHERE):
        api.add_chat(moderator)
    sessions, content = bot.runtime.deps.sessions, bot.runtime.content
    clock.now = at(2026, 12, 15, 7, 30)
    assert await report_digest(sessions, content, clock, VN) == 2
    assert await deliver(bot) == 2
    assert "có 2 báo cáo mới" in api.last_message(MOD_PROVINCE).plain_text
    assert "có 1 báo cáo mới" in api.last_message(MOD_COMMUNE).plain_text  # not the escalated
    assert api.messages(MOD_ELSEWHERE) == []
    assert await report_digest(sessions, content, clock, VN) == 0  # once a day
    clock.now = at(2026, 12, 16, 7, 30)
    assert await report_digest(sessions, content, clock, VN) == 2


async def test_deleting_my_data_leaves_the_report_cut_off(bot: Bot, api):
    await onboard(bot)
    await file_report(bot)
    report = await only_report(bot)
    await say(bot, "/dulieu")
    assert "Báo cáo bạn đã gửi: 1" in plain(api.messages(REPORTER)[-2:])
    await bot.press("Xóa dữ liệu")
    await bot.press("Xóa vĩnh viễn")
    kept = await only_report(bot)
    assert kept.id == report.id and kept.reporter_id is None

    await onboard(bot, MOD_PROVINCE)
    await say(bot, "/xuly", MOD_PROVINCE)
    opened = await bot.press(f"#{report.id}", chat=MOD_PROVINCE)
    assert "Không còn liên lạc được với người báo tin" in plain(opened)
    assert "Hỏi người báo tin" not in labels(opened)
    await bot.press("Nhận xử lý", chat=MOD_PROVINCE)
    assert "Hỏi người báo tin" not in labels(api.messages(MOD_PROVINCE)[-1:])
    replies = await forged(bot, MOD_PROVINCE, f"xa:{report.id}")
    assert "Không hỏi được người báo tin" in plain(replies)
    before = len(api.messages(REPORTER))
    await deliver(bot)
    assert len(api.messages(REPORTER)) == before  # relays stopped
    async with transaction(bot.runtime.deps.sessions) as session:
        assert await outbox.counts(session, f"report:{report.id}:") == {}


async def test_the_export_carries_no_identity(bot: Bot, capsys, caplog, monkeypatch):
    caplog.set_level(logging.INFO)  # LOG_LEVEL's default
    await onboard(bot)
    await file_report(bot, photos=(jpeg_with_gps(),))
    await file_report(bot, category="Tổ trưởng, cán bộ giữ tiền", accused="Tổ trưởng tổ")
    report = await only_report_of(bot, "usury")
    await onboard(bot, MOD_PROVINCE)
    await say(bot, "/xuly", MOD_PROVINCE)
    await bot.press(f"#{report.id}", chat=MOD_PROVINCE)
    await bot.press("Nhận xử lý", chat=MOD_PROVINCE)
    await deliver(bot)

    monkeypatch.setenv("DATABASE_URL", bot.database_url)
    capsys.readouterr()
    assert await asyncio.to_thread(cli_run, ["reports", "export"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("report,created,category,group,commune_code,commune")
    assert "in_review" in out and "keeps_repayment" in out
    assert 'usury,21220,"Xã Sơn Tịnh, Quảng Ngãi",1' in out
    assert 'keeps_repayment,21220,"Xã Sơn Tịnh, Quảng Ngãi",1' in out
    no_identity_in(out)
    assert STORY not in out and report.code not in out and report.handle not in out

    assert await asyncio.to_thread(cli_run, ["reports", "export", "--status", "new"]) == 0
    only_new = capsys.readouterr().out
    assert "keeps_repayment" in only_new and "in_review" not in only_new
    assert await asyncio.to_thread(cli_run, ["reports", "export", "--since", "2026-12-15"]) == 0
    assert "usury" not in capsys.readouterr().out.split("\n\n")[0]
    assert await asyncio.to_thread(cli_run, ["reports", "export", "--since", "15/12"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err

    # ... and neither do the logs of the whole conversation (at the default level).
    no_identity_in("\n".join(record.getMessage() for record in caplog.records))


async def only_report_of(bot: Bot, category: str):
    async with transaction(bot.runtime.deps.sessions) as session:
        return next(r for r in await reports.for_export(session) if r.category == category)
